"""Scenario layer: the territory notes a result package carries (``territory_notes.json``).

The Kyrgyz build records in its report's ``territories`` (data README section 2.4) the land its
estimated territories give to no unit (detached raion pieces with no settlement: *unplaced*
raion land) and the units drawn in several pieces because their raion is (*raion exclaves*).
A printed report draws only what the result package holds, so the notes travel with it:

- ``unplaced_pieces``: each raion piece held by no unit, with its raion's code and names, the
  build's area (km2, measured on the raion polygon), a point inside it and its outline simplified
  to a few hundred metres (GeoJSON geometry, EPSG:4326) for the report's map;
- ``split_new_units``: each new unit whose dissolved territory is in several pieces, with its
  members that hold an exclave of their raion (what cuts the exclave off, a key of
  :data:`atr_model.data.borders.CUT_OFF_KINDS`, and the gap in km) or that the user listed as
  real exclaves.

Datasets whose build recorded no raion pieces (the demo, a Voronoi build, user files) have no
notes: :func:`territory_notes` returns None and no file is written.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping

from atr_model.data import Dataset, part_at
from atr_model.errors import DataError

__all__ = ["TERRITORY_NOTES_NAME", "TERRITORY_NOTES_VERSION", "PIECE_TOLERANCE_M", "territory_notes"]

logger = logging.getLogger(__name__)

#: File name of the notes in a result package (optional: absent for datasets without notes).
TERRITORY_NOTES_NAME = "territory_notes.json"
#: Bump when the notes' layout changes.
TERRITORY_NOTES_VERSION = 1
#: Simplification of an unplaced piece's outline, in metres: invisible on a printed country map
#: (about 1/3000 of its width), and it keeps the file small (the largest piece is 3,367 km2).
PIECE_TOLERANCE_M = 300.0
_ROUND_DEG = 4  # ~10 m: finer than the simplification, and short, stable numbers in the file
_NAME_COLUMNS = ("name_ky", "name_ru", "name_en")
_CUT_OFF_KEYS = ("area_km2", "seed_points", "cut_off_by", "gap_km", "gap_outside_raions_km")


def _names(row: Mapping[Hashable, Any]) -> dict[str, str]:
    return {c: str(row[c]) for c in _NAME_COLUMNS if c in row and isinstance(row[c], str) and row[c].strip()}


def _rounded(geom: Any) -> Any:
    """``geom`` with coordinates rounded to :data:`_ROUND_DEG` decimals (valid, same shape)."""
    return shapely.make_valid(shapely.transform(geom, lambda xy: np.round(xy, _ROUND_DEG)))


def _outlines(parts: list[Any], metric_crs: Any) -> list[dict[str, Any]]:
    """``parts`` (EPSG:4326) simplified to :data:`PIECE_TOLERANCE_M` in ``metric_crs``, as GeoJSON
    geometries in EPSG:4326 (one projection there and back for all of them)."""
    metric = gpd.GeoSeries(parts, crs="EPSG:4326").to_crs(metric_crs)
    simple = metric.simplify(PIECE_TOLERANCE_M, preserve_topology=True).to_crs("EPSG:4326")
    return [dict(mapping(_rounded(g))) for g in simple]


def _unplaced_pieces(dataset: Dataset, pieces: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Raion pieces held by no unit, largest first within a raion, raions by code."""
    raions = dataset.raions.assign(raion_code=dataset.raions["raion_code"].astype(str)).set_index("raion_code")
    unplaced = sorted((p for p in pieces if p.get("unplaced")),
                      key=lambda p: (str(p["raion_code"]), -float(p["area_km2"])))
    notes, parts = [], []
    for piece in unplaced:
        code = str(piece["raion_code"])
        if code not in raions.index:
            raise DataError(f"dataset {dataset.build_id}: the build report's raion_pieces name raion {code}, "
                            "which its raions layer does not have")
        raion = raions.loc[code]
        lon, lat = float(piece["lon"]), float(piece["lat"])
        parts.append(part_at(raion.geometry, lon, lat))
        notes.append({
            "raion_code": code,
            **_names(raion.to_dict()),
            "area_km2": float(piece["area_km2"]),
            "sliver": bool(piece.get("sliver", False)),
            "touches_raions": sorted(str(r) for r in piece.get("touches_raions", [])),
            "lon": lon,
            "lat": lat,
        })
    if notes:
        for note, outline in zip(notes, _outlines(parts, dataset.raions.estimate_utm_crs())):
            note["geometry"] = outline
    return notes


def _exclave_member(code: str, entry: Mapping[str, Any] | None, listed: set[str], units: pd.DataFrame) -> dict[str, Any]:
    """What a member of a split new unit holds: the detached pieces of its raion it has land in,
    with what cuts each off (the build's ``raion_exclave_units`` entry, from
    :func:`atr_model.data.borders.detached_pieces_of`), and whether the user listed it as a
    real exclave."""
    detached = (entry or {}).get("detached_pieces") or []
    row = units.loc[code].to_dict() if code in units.index else {}
    return {
        "unit_code": code,
        **_names(row),
        "pieces_km2": [float(a) for a in (entry or {}).get("pieces_km2", [])],
        "detached_pieces": [{k: d[k] for k in _CUT_OFF_KEYS if k in d} for d in detached],
        "listed_exclave": code in listed,
    }


def _split_new_units(territories: Mapping[str, Any], assignments: pd.DataFrame,
                     new_units: gpd.GeoDataFrame, units: pd.DataFrame) -> list[dict[str, Any]]:
    """New units whose dissolved territory is in several pieces, by id, with the members that
    hold an exclave of their raion or that the user listed as exclaves."""
    entries = {str(e["unit_code"]): e for e in territories.get("raion_exclave_units") or []}
    listed = {str(c) for c in territories.get("listed_exclaves") or []}
    members = assignments.groupby(assignments["new_unit_id"].astype(str))["unit_code"].agg(
        lambda s: sorted(str(c) for c in s))
    counts = shapely.get_num_geometries(new_units.geometry.to_numpy())
    notes = []
    for new_id, n in sorted(zip(new_units["new_unit_id"].astype(str), counts)):
        if n < 2:
            continue
        held = [c for c in members.get(new_id, []) if c in entries or c in listed]
        if not held:
            logger.warning("new unit %s is drawn in %d pieces but no member holds a recorded exclave", new_id, n)
        notes.append({"new_unit_id": new_id, "pieces": int(n),
                      "exclave_members": [_exclave_member(c, entries.get(c), listed, units) for c in held]})
    return notes


def territory_notes(dataset: Dataset, assignments: pd.DataFrame, new_units: gpd.GeoDataFrame) -> dict[str, Any] | None:
    """The territory notes of a run (the content of ``territory_notes.json``).

    Parameters
    ----------
    dataset : Dataset
        The territory the run used; its build report's ``territories`` gives the notes.
    assignments : pandas.DataFrame
        The run's ``assignments`` (``unit_code``, ``new_unit_id``).
    new_units : geopandas.GeoDataFrame
        The run's dissolved new units (``new_unit_id``, geometry).

    Returns
    -------
    dict or None
        ``version``, ``build_id``, ``unplaced_pieces``, ``unplaced_area_km2``,
        ``split_new_units`` (see the module docstring); None when the build recorded no raion
        pieces. The same inputs give the same notes.

    Raises
    ------
    DataError
        When the build report names a raion the dataset's raions layer lacks.
    """
    territories = (dataset.metadata.get("report") or {}).get("territories") or {}
    pieces = territories.get("raion_pieces") or []
    if not pieces:
        return None
    units = dataset.units.assign(unit_code=dataset.units["unit_code"].astype(str)).set_index("unit_code")
    unplaced = _unplaced_pieces(dataset, pieces)
    return {
        "version": TERRITORY_NOTES_VERSION,
        "build_id": str(dataset.build_id),
        "unplaced_pieces": unplaced,
        "unplaced_area_km2": round(sum(p["area_km2"] for p in unplaced), 3),
        "split_new_units": _split_new_units(territories, assignments, new_units, units),
    }
