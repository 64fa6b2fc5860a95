"""Counts and data-quality figures of a dataset (what ``atr-model data info`` prints)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import shapely

from atr_model.data.borders import CUT_OFF_KINDS, detached_pieces_of, split_kind
from atr_model.data.contract import is_estimate_source
from atr_model.data.dataset import Dataset

__all__ = ["dataset_info"]


def _source_kind(source: object) -> str:
    """Group a ``*_source`` value: estimates by method head, real figures by source head."""
    text = str(source)
    head = text.split(" (", maxsplit=1)[0].split(",", maxsplit=1)[0].strip()
    return head if head else "unknown"


def _counts(values: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in values.value_counts().sort_index().items()}


def _population_quality(dataset: Dataset) -> dict[str, Any]:
    """The population estimator of the build (if recorded) and the spread of the estimates."""
    out: dict[str, Any] = {}
    report = dataset.metadata.get("report") or {}
    if isinstance(report, dict) and report.get("population_estimator"):
        out["population_estimator"] = report["population_estimator"]
    units = dataset.units
    if "population_log_sd" in units:
        sd = pd.to_numeric(units["population_log_sd"], errors="coerce")
        estimated = units["population_is_estimate"].astype(bool)
        given = sd.notna() & estimated
        out["population_spread"] = {
            "estimated_units_with_spread": int(given.sum()),
            "estimated_units_without_spread": int((estimated & sd.isna()).sum()),
            "log_sd_median": round(float(sd[given].median()), 4) if given.any() else None,
            "log_sd_max": round(float(sd[given].max()), 4) if given.any() else None,
            "note": "population_log_sd is the SD of the natural log of an estimate (0 for real figures); "
                    "population_p5/_p95 bound its 90 % interval",
        }
    return out


def _territories_report(dataset: Dataset) -> dict[str, Any]:
    """The build report's ``territories`` entry (exclaves, raion pieces); empty when not recorded."""
    return (dataset.metadata.get("report") or {}).get("territories") or {}


def _multipart_info(dataset: Dataset) -> dict[str, Any]:
    """Units drawn in several pieces: split by the allocation, raion exclaves, listed exclaves.

    A unit is a raion exclave when each of its pieces lies in a different piece of its raion's
    polygon (:func:`~atr_model.data.borders.piece_homes`: the raion's outline, not
    the allocation, cut it); listed exclaves come from the build's metadata
    (``report.territories.listed_exclaves``, the user's ``exclaves.csv``).
    """
    units = dataset.units
    parts = shapely.get_num_geometries(units.geometry.to_numpy())
    territories = _territories_report(dataset)
    listed = set(territories.get("listed_exclaves", []))
    raion_pieces = territories.get("raion_pieces", [])
    raion_geom = dataset.raions.set_index("raion_code").geometry
    names = units["name_ru"] if "name_ru" in units else pd.Series("", index=units.index)
    forced, unexplained = [], []
    for code, raion, geom, name in zip(units["unit_code"], units["raion_code"], units.geometry, names):
        kind = split_kind(geom, raion_geom.get(raion, shapely.Polygon()), code in listed)
        if kind == "raion":
            pieces = int(shapely.get_num_geometries(geom))
            detached = detached_pieces_of(str(code), raion_pieces)
            for piece in detached:
                if "cut_off_by" in piece:
                    piece["cut_off_by_means"] = CUT_OFF_KINDS[piece["cut_off_by"]]
            forced.append({"unit_code": str(code), "name_ru": str(name), "pieces": pieces,
                           "detached_pieces": detached})
        elif kind == "split":
            unexplained.append(code)
    return {
        "units_multipart": len(unexplained),
        "units_multipart_total": int((parts > 1).sum()),
        "units_multipart_raion_exclave": len(forced),
        "units_multipart_raion_exclave_units": forced,
        "units_multipart_listed_exclaves": int(sum(1 for c, n in zip(units["unit_code"], parts) if n > 1 and c in listed)),
    }


def _unplaced_info(dataset: Dataset) -> dict[str, Any]:
    """Raion land held by no unit, as the build recorded it (``report.territories.raion_pieces``).

    A detached piece of a raion with no settlement and no unit centre is given to no unit (the
    open data does not say which aiyl aimak holds it): the units of that raion then cover it
    less those pieces. Empty when the build recorded no raion pieces.
    """
    territories = _territories_report(dataset)
    if "raion_pieces" not in territories:
        return {}
    pieces = [p for p in territories["raion_pieces"] if p.get("unplaced")]
    return {
        "unplaced_raion_land_km2": round(float(sum(p["area_km2"] for p in pieces)), 3),
        "unplaced_raion_pieces": len(pieces),
        "unplaced_raion_pieces_list": [
            {"raion_code": p["raion_code"], "area_km2": p["area_km2"], "sliver": bool(p.get("sliver")),
             "touches_raions": list(p.get("touches_raions", []))} for p in pieces],
    }


def dataset_info(dataset: Dataset) -> dict[str, Any]:
    """Summarise a dataset: sizes, located villages, population and geometry sources.

    Parameters
    ----------
    dataset : Dataset
        Any dataset (Kyrgyz build, demo or user-supplied).

    Returns
    -------
    dict
        Plain-JSON summary with at least ``units_by_level``, ``raions`` (count of
        ``kind == 'raion'``), ``cities``, ``oblasts``, ``villages_total``,
        ``villages_located``, ``villages_located_share``, ``population_source_counts`` (units
        per source kind), ``population_real_units``, ``population_estimated_units``,
        ``geometry_source_counts``, ``centre_source_counts``, ``population_total``,
        ``build_id``, ``name``; ``population_spread`` when the units carry
        ``population_log_sd``; ``population_estimator`` (name, predictors and their sources,
        coefficients, cross-validated error beside the former method's, largest changes) when
        the build recorded it; ``units_multipart`` (units split by the allocation itself: in
        several pieces, yet neither listed exclaves nor raion exclaves), ``units_multipart_total``,
        ``units_multipart_raion_exclave`` (units in several pieces because their raion's polygon
        is) with ``units_multipart_raion_exclave_units`` (code, name, pieces, and the detached
        raion pieces it holds with what cuts each off: ``cut_off_by``, ``gap_km``,
        ``gap_outside_raions_km``),
        ``units_multipart_listed_exclaves``; when the build recorded its raion pieces,
        ``unplaced_raion_land_km2``, ``unplaced_raion_pieces`` and
        ``unplaced_raion_pieces_list`` (raion, area, sliver, raions touched): detached raion
        pieces with no settlement, held by no unit.
    """
    units = dataset.units
    settl = dataset.settlements
    raions = dataset.raions
    if "settlement_kind" in settl:
        villages = settl.loc[settl["settlement_kind"].fillna("village") == "village"]
    else:
        villages = settl
    located = int(villages["is_located"].astype(bool).sum()) if len(villages) else 0
    estimated = units["population_is_estimate"].astype(bool)
    info: dict[str, Any] = {
        "name": dataset.name,
        "build_id": dataset.build_id,
        "units": int(len(units)),
        "units_by_level": _counts(units["level"]),
        "raions": int((raions["kind"] == "raion").sum()),
        "cities": int((raions["kind"] == "city").sum()),
        "oblasts": int(len(dataset.oblasts)),
        "settlements": int(len(settl)),
        "villages_total": int(len(villages)),
        "villages_located": located,
        "villages_located_share": round(located / len(villages), 4) if len(villages) else 0.0,
        "population_total": float(units["population"].sum()),
        "population_real_units": int((~estimated).sum()),
        "population_estimated_units": int(estimated.sum()),
        "population_source_counts": _counts(units["population_source"].map(_source_kind)),
        "geometry_source_counts": _counts(
            units["geometry_source"].map(lambda s: "approximate" if is_estimate_source(s) else str(s))
        ),
        "centre_source_counts": _counts(units["centre_source"].map(_source_kind)),
        "settlement_population_estimated": int(settl["population_is_estimate"].astype(bool).sum()),
        "area_km2_total": round(float(units["area_km2"].sum()), 1),
    }
    # what the build warned about (a census table covering fewer units than before, or only
    # part of a raion): shown by `data info` as by the build report
    info["build_warnings"] = list((dataset.metadata.get("report") or {}).get("warnings", []))
    info.update(_population_quality(dataset))
    info.update(_multipart_info(dataset))
    info.update(_unplaced_info(dataset))
    if "location_method" in settl and len(villages):
        method = villages["location_method"].astype(str).str.extract(r"^name match \(([^)]+)\)")[0]
        method = method.fillna(villages["location_method"].astype(str).map(
            lambda s: "official point" if s == "official point" else ("not located" if is_estimate_source(s) else s)))
        info["village_location_methods"] = _counts(method)
    return info
