"""Import any country's territory into the data contract (``atr-model data import``).

Inputs are the files a researcher of another country has: unit polygons (GeoPackage, GeoJSON or
Shapefile; OCHA COD-AB column names such as ``ADM3_PCODE``, ``ADM3_EN``, ``ADM2_PCODE`` by
default), a population table (CSV or XLSX, keyed by unit code or by name) and, optionally,
district polygons, settlement points, an elevation grid, the country outline and the dataset's
terms (``--terms FILE.yaml``, see ``data/README.md``). Which column holds what is said by
:class:`ImportColumns` (command options or a small mapping YAML).

Everything the contract needs that the files do not give is derived, and labelled with its
method the way the Kyrgyz build labels estimates:

* ``area_km2``: the polygon's area in a Lambert azimuthal equal-area projection centred on the
  territory;
* ``border_distance_km``: distance of the unit's nearest settlement (or centre) to the country
  outline's boundary, in an azimuthal equidistant projection centred on the territory;
* the unit centre: the settlement flagged as the centre in the settlement file, else the
  population-weighted medoid of the unit's settlements (the settlement from which the unit's
  people are nearest in total), else, for a unit without settlements, a representative point
  inside the polygon (a stand-in settlement with ``is_located = False``);
* settlement populations missing from the file: the unit's remaining population split equally;
* districts and regions missing as files: dissolved from the units by parent code; the outline:
  dissolved from the units.

Every input problem is one line naming the file, the row (``row N`` of a table counts the header
as row 1, as a spreadsheet does; ``feature N`` of a vector file counts from 1) and what is wrong
(:class:`~atr_model.errors.DataError`). The result is checked (:mod:`atr_model.data.checks`:
area against the polygon, every centre inside its unit, one centre settlement per unit, JSON
metadata) before it is written atomically.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import yaml

from atr_model import __version__
from atr_model._atomic import atomic_directory, claim_output
from atr_model.data.checks import border_distance_km, centred_crs, check_metadata_json, dataset_problems
from atr_model.data.contract import CRS, ESTIMATE_PREFIX, LAYERS
from atr_model.data.dataset import Dataset
from atr_model.data.files import file_sha256, read_text_file
from atr_model.data.loaders import check_codes, check_geometries, read_population_table, read_vector, sample_elevation
from atr_model.data.terms import TERM_KEYS, parse_terms
from atr_model.errors import ContractError, DataError

__all__ = [
    "CODE_PATTERN",
    "IMPORT_KIND",
    "ImportColumns",
    "ImportInputs",
    "ImportReport",
    "TERMS_KEYS",
    "import_dataset",
    "read_mapping",
    "read_terms",
    "write_import",
]

logger = logging.getLogger(__name__)

#: ``metadata['kind']`` of an imported dataset.
IMPORT_KIND = "import"
#: What a unit, district, region or settlement code may look like (P-codes, digits, ...).
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$")
#: The keys a terms file may hold (the contract of ``data/terms.py``).
TERMS_KEYS = TERM_KEYS

_PCT = "population-weighted medoid settlement (least people-distance to the unit's settlements)"
_SRC_CENTRE_FLAG = "settlement file: flagged as the unit centre"
_SRC_CENTRE_MEDOID = ESTIMATE_PREFIX + _PCT
_SRC_CENTRE_POINT = ESTIMATE_PREFIX + "representative point of the polygon (no settlement in the unit)"
_SRC_STAND_IN = ESTIMATE_PREFIX + "stand-in at the unit centre (no settlement point in the unit)"
_SRC_SETTLEMENT_SPLIT = ESTIMATE_PREFIX + "unit population less the known settlements, split equally"
_SRC_DISSOLVED = "dissolved from the units by parent code"
_SRC_DISTRICT_CENTRE = ESTIMATE_PREFIX + "most populous unit of the district"


@dataclass(frozen=True)
class ImportColumns:
    """Which column of each input file holds what (defaults: OCHA COD-AB names, level 3 units).

    Every field can be set by a command option or a key of the mapping YAML with the same name.
    ``None`` means the file has no such column (the value is derived or left empty).
    """

    unit_code: str = "ADM3_PCODE"
    unit_name: str = "ADM3_EN"
    unit_name_ru: str | None = None
    unit_name_ky: str | None = None
    parent_code: str = "ADM2_PCODE"
    parent_name: str | None = "ADM2_EN"
    region_code: str | None = "ADM1_PCODE"
    region_name: str | None = "ADM1_EN"
    #: Column of the unit file marking towns, and the values that mean "town" (else 'aiyl_aimak',
    #: the contract's name for an ordinary unit).
    level: str | None = None
    town_values: tuple[str, ...] = ("town", "city")
    #: Column of the unit file with an area to check against the polygon (km²).
    area_km2: str | None = None
    population_code: str | None = "ADM3_PCODE"
    population_name: str | None = None
    population: str = "population"
    population_year: str | None = "year"
    district_code: str = "ADM2_PCODE"
    district_name: str | None = "ADM2_EN"
    settlement_code: str | None = "code"
    settlement_name: str | None = "name"
    settlement_population: str | None = "population"
    settlement_unit: str | None = None
    settlement_centre: str | None = None


@dataclass(frozen=True)
class ImportInputs:
    """The files of one import (see :func:`import_dataset`)."""

    units: Path
    population: Path
    districts: Path | None = None
    settlements: Path | None = None
    elevation: Path | None = None
    outline: Path | None = None
    terms: Path | None = None
    mapping: Path | None = None

    def files(self) -> dict[str, Path]:
        """The given files by role."""
        return {k: Path(v) for k, v in dataclasses.asdict(self).items() if v is not None}


@dataclass
class ImportReport:
    """What an import did: counts, derived-value labels, warnings, time."""

    build_id: str
    name: str
    units: int = 0
    districts: int = 0
    regions: int = 0
    settlements: int = 0
    settlements_stand_in: int = 0
    centre_sources: dict[str, int] = field(default_factory=dict)
    settlement_population_sources: dict[str, int] = field(default_factory=dict)
    population_total: float = 0.0
    area_km2_total: float = 0.0
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return dataclasses.asdict(self)


# --------------------------------------------------------------------------- small files


def _yaml_mapping(path: Path, what: str) -> dict[str, Any]:
    text = read_text_file(path, what)
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        raise DataError(f"{path}: {line}not readable YAML ({getattr(exc, 'problem', None) or exc})") from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DataError(f"{path}: expected a mapping of keys to values, found {type(value).__name__}")
    return value


def read_mapping(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read a mapping YAML: column names (:class:`ImportColumns` fields) and extra metadata.

    Parameters
    ----------
    path : path-like
        YAML with keys of :class:`ImportColumns`, plus optionally ``name`` (the dataset's name),
        ``population_year``-like keys and ``metadata`` (a mapping stored in the dataset's metadata
        table, e.g. sources and licences).

    Returns
    -------
    (dict, dict)
        Column settings and extra metadata.

    Raises
    ------
    DataError
        On an unknown key, a non-text column name, or a metadata value JSON cannot store.
    """
    source = Path(path)
    values = _yaml_mapping(source, "mapping file")
    known = {f.name for f in dataclasses.fields(ImportColumns)} | {"metadata", "name"}
    unknown = sorted(str(k) for k in values if k not in known)
    if unknown:
        raise DataError(f"{source}: unknown key(s) {', '.join(unknown)}; expected some of {', '.join(sorted(known))}")
    extra = values.pop("metadata", None) or {}
    if not isinstance(extra, dict):
        raise DataError(f"{source}: key 'metadata' must be a mapping, found {type(extra).__name__}")
    problems = check_metadata_json(extra, f"{source}: key 'metadata'")
    if problems:
        raise DataError(problems[0] + "; quote it to store it as text")
    for key, value in values.items():
        if key == "town_values":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise DataError(f"{source}: key 'town_values' must be a list of texts")
            values[key] = tuple(value)
        elif value is not None and not isinstance(value, str):
            raise DataError(f"{source}: key {key!r} must be a column name (text) or null, found {value!r}")
    return values, extra


def read_terms(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a terms YAML (the dataset's words; ``data/README.md``, section "Dataset terms"),
    checked by the one owner of terms (:func:`atr_model.data.terms.parse_terms`).

    Every text term is a text (taken as English) or a mapping of ``en``/``ru``/``ky`` to text;
    ``currency`` is an ISO 4217 code or null; ``legal_basis`` may be null.

    Returns
    -------
    dict
        The keys the file gives, each text term as ``{"en": ..., ...}``.

    Raises
    ------
    DataError
        Naming the file and key: an unknown key, a value that is not text, an unknown language,
        a currency that is not an ISO 4217 code.
    """
    source = Path(path)
    values = _yaml_mapping(source, "terms file")
    checked = parse_terms(values, where=str(source)).to_json()
    return {key: checked[key] for key in TERM_KEYS if key in values}


# --------------------------------------------------------------------------- reading inputs


def _feature(index: object) -> str:
    return f"feature {int(index) + 1}" if isinstance(index, (int, np.integer)) else f"feature {index!r}"


def _require(frame: pd.DataFrame, columns: Mapping[str, str | None], source: Path) -> None:
    """Refuse missing columns, naming the option (or mapping key) that names each."""
    missing = [f"{col} (option {opt})" for opt, col in columns.items() if col and col not in frame.columns]
    if missing:
        found = ", ".join(str(c) for c in frame.columns if c != "geometry")
        raise DataError(f"{source}: missing column(s) {', '.join(missing)}; found {found}")


def _text(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip()


def _read_units(path: Path, cols: ImportColumns) -> gpd.GeoDataFrame:
    """Unit polygons with ``unit_code``, names, ``raion_code``, ``oblast_code``, ``level``, ``row``."""
    frame, source = read_vector(path, "unit polygons")
    frame = frame.reset_index(drop=True)
    _require(frame, {"unit_code": cols.unit_code, "unit_name": cols.unit_name, "parent_code": cols.parent_code,
                     "unit_name_ru": cols.unit_name_ru, "unit_name_ky": cols.unit_name_ky,
                     "region_code": cols.region_code, "level": cols.level, "area_km2": cols.area_km2}, source)
    for col in (cols.unit_code, cols.parent_code, cols.region_code):
        if col:
            frame[col] = _text(frame[col])
    check_codes(frame[cols.unit_code], source, cols.unit_code, CODE_PATTERN, _feature)
    empty_parent = frame[cols.parent_code].isna() | (frame[cols.parent_code] == "")
    if empty_parent.any():
        idx = frame.index[empty_parent][0]
        raise DataError(f"{source}: {_feature(idx)} (unit {frame.at[idx, cols.unit_code]!r}): "
                        f"column {cols.parent_code!r} (the parent code) is empty")
    _check_unit_geometries(frame, source, cols.unit_code)
    level = pd.Series("aiyl_aimak", index=frame.index)
    if cols.level:
        level = level.where(~_text(frame[cols.level]).str.lower().isin([v.lower() for v in cols.town_values]), "town")
    out = gpd.GeoDataFrame(
        {
            "unit_code": frame[cols.unit_code].astype(str),
            "name_en": _names(frame, cols.unit_name),
            "name_ru": _names(frame, cols.unit_name_ru),
            "name_ky": _names(frame, cols.unit_name_ky),
            "level": level,
            "raion_code": frame[cols.parent_code].astype(str),
            "oblast_code": frame[cols.region_code].astype(str) if cols.region_code else "REGION",
            "raion_name": _names(frame, cols.parent_name),
            "oblast_name": _names(frame, cols.region_name),
            "row": frame.index.to_numpy() + 1,
        },
        geometry=frame.geometry.to_numpy(),
        crs=CRS,
    )
    if cols.area_km2:
        _check_declared_areas(out, pd.to_numeric(frame[cols.area_km2], errors="coerce"), source, cols.area_km2)
    return out


def _names(frame: pd.DataFrame, column: str | None) -> pd.Series:
    if not column or column not in frame:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    text = _text(frame[column])
    return cast("pd.Series", text.where(text.notna() & (text != ""), None).astype(object))


def _check_unit_geometries(frame: gpd.GeoDataFrame, source: Path, key: str) -> None:
    """Empty polygons (a unit with no place for its centre) and non-polygons refused; invalid
    polygons repaired (``make_valid``, keeping the polygonal part) with a log line."""
    geom = frame.geometry
    empty = geom.isna() | geom.is_empty
    if empty.any():
        idx = frame.index[empty.to_numpy()][0]
        raise DataError(f"{source}: {_feature(idx)} (unit {frame.at[idx, key]!r}) has an empty geometry: "
                        "the unit has no territory and no centre can be placed")
    invalid = ~geom.is_valid
    if invalid.any():
        repaired = shapely.make_valid(geom[invalid].to_numpy())
        polygonal = [shapely.union_all([g for g in getattr(r, "geoms", [r]) if g.geom_type.endswith("Polygon")])
                     for r in repaired]
        frame.loc[invalid, frame.geometry.name] = polygonal
        logger.warning("%s: repaired %d invalid polygon(s) with make_valid: %s", source, int(invalid.sum()),
                       ", ".join(frame.loc[invalid, key].astype(str).head(5)))
    check_geometries(frame, source, key, ("Polygon", "MultiPolygon"), _feature)


def _check_declared_areas(units: gpd.GeoDataFrame, declared: pd.Series, source: Path, column: str) -> None:
    """A declared area more than 10 % off the polygon's (an area in m² or ha, or the wrong polygon)."""
    measured = units.geometry.to_crs(centred_crs(units, "area")).area.to_numpy() / 1e6
    ratio = declared.to_numpy(dtype=float) / measured
    off = ~((ratio > 0.9) & (ratio < 1.1))
    if off.any():
        k = int(np.flatnonzero(off)[0])
        raise DataError(
            f"{source}: {_feature(k)} (unit {units['unit_code'].iloc[k]!r}): column {column!r} gives "
            f"{declared.iloc[k]:g} km² but the polygon measures {measured[k]:.3f} km² (ratio {ratio[k]:.3g}); "
            "check the unit of the column (km², not m² or ha)"
        )


def _read_population(path: Path, cols: ImportColumns, units: gpd.GeoDataFrame, year: int | None) -> pd.DataFrame:
    """Population per unit (and year): every row names a known unit, every unit has a row."""
    by_name = cols.population_name is not None
    table = read_population_table(
        path, code_column=None if by_name else cols.population_code, name_column=cols.population_name,
        population_column=cols.population, year_column=cols.population_year,
        units=units.assign(name=units["name_en"].fillna("")), code_pattern=CODE_PATTERN, unit_name_column="name",
    )
    known = set(units["unit_code"])
    unknown = table.loc[~table["unit_code"].isin(known)]
    if len(unknown):
        first = unknown.iloc[0]
        raise DataError(f"{path}: row {first['row']}: unit {first['unit_code']!r} is not in the unit polygons "
                        f"({len(unknown)} such row(s))")
    # the latest year of each unit is its figure (a table may carry several census years)
    latest = table.sort_values(["unit_code", "year"], na_position="first").drop_duplicates("unit_code", keep="last")
    missing = units.loc[~units["unit_code"].isin(set(latest["unit_code"]))]
    if len(missing):
        first = missing.iloc[0]
        raise DataError(f"{path}: no population row for unit {first['unit_code']!r} (feature {first['row']} of the "
                        f"unit polygons; {len(missing)} unit(s) without a row)")
    latest = latest.set_index("unit_code")
    if year is not None:
        latest["year"] = latest["year"].fillna(year)
    if latest["year"].isna().any():
        code = latest.index[latest["year"].isna()][0]
        raise DataError(f"{path}: unit {code!r} has no year; add a column {cols.population_year!r} or give "
                        "--population-year")
    return cast("pd.DataFrame", latest)


def _read_settlements(path: Path, cols: ImportColumns, units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Settlement points with their unit (named by a column, else the polygon they lie in)."""
    frame, source = read_vector(path, "settlement points")
    frame = frame.reset_index(drop=True)
    _require(frame, {"settlement_code": cols.settlement_code, "settlement_name": cols.settlement_name,
                     "settlement_population": cols.settlement_population, "settlement_unit": cols.settlement_unit,
                     "settlement_centre": cols.settlement_centre}, source)
    key = cols.settlement_code
    if key:
        frame[key] = _text(frame[key])
        check_codes(frame[key], source, key, CODE_PATTERN, _feature)
    else:
        key = "_code"
        frame[key] = [f"S{i + 1:05d}" for i in range(len(frame))]
    check_geometries(frame, source, key, ("Point",), _feature)
    out = gpd.GeoDataFrame(
        {"settlement_code": frame[key].astype(str), "name_en": _names(frame, cols.settlement_name),
         "row": frame.index.to_numpy() + 1},
        geometry=frame.geometry.to_numpy(), crs=CRS,
    )
    if cols.settlement_population:
        pop = pd.to_numeric(frame[cols.settlement_population], errors="coerce")
        bad = pop < 0
        if bad.any():
            k = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(f"{source}: {_feature(k)} (settlement {out['settlement_code'].iloc[k]!r}): "
                            f"population {pop.iloc[k]:g} is negative")
        out["population"] = pop.astype(float)
    else:
        out["population"] = np.nan
    out["is_centre_flag"] = (
        frame[cols.settlement_centre].map(_truthy).to_numpy() if cols.settlement_centre else False
    )
    out["unit_code"] = _settlement_units(out, frame, cols, units, source)
    return out


def _truthy(value: object) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "y", "t", "x")


def _settlement_units(
    points: gpd.GeoDataFrame, frame: pd.DataFrame, cols: ImportColumns, units: gpd.GeoDataFrame, source: Path
) -> pd.Series:
    """The unit of each point: its own column (checked against the polygons), else the polygon it is in."""
    shapes = units.set_index("unit_code").geometry
    metric = centred_crs(units)
    if cols.settlement_unit:
        named = _text(frame[cols.settlement_unit])
        unknown = ~named.isin(set(shapes.index))
        if unknown.any():
            k = int(np.flatnonzero(unknown.to_numpy())[0])
            raise DataError(f"{source}: {_feature(k)} (settlement {points['settlement_code'].iloc[k]!r}): "
                            f"unit {named.iloc[k]!r} is not in the unit polygons")
        own = gpd.GeoSeries([shapes[c] for c in named], crs=CRS).to_crs(metric)
        gap_km = shapely.distance(own.to_numpy(), points.geometry.to_crs(metric).to_numpy()) / 1000
        far = gap_km > 1.0  # digitising slack of a boundary, as for the Kyrgyz settlement points
        if far.any():
            k = int(np.flatnonzero(far)[0])
            raise DataError(f"{source}: {_feature(k)} (settlement {points['settlement_code'].iloc[k]!r}) lies "
                            f"{gap_km[k]:.1f} km outside its unit {named.iloc[k]!r}")
        return named.astype(str)
    joined = gpd.sjoin(points[["geometry"]], units[["unit_code", "geometry"]], how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    outside = joined["unit_code"].isna()
    if outside.any():
        k = int(np.flatnonzero(outside.to_numpy())[0])
        raise DataError(f"{source}: {_feature(k)} (settlement {points['settlement_code'].iloc[k]!r}) lies in no "
                        f"unit polygon ({int(outside.sum())} such point(s)); remove it or name its unit with "
                        "--settlement-unit-column")
    return cast("pd.Series", joined["unit_code"].astype(str))


# --------------------------------------------------------------------------- derived values


def _medoid(points_m: np.ndarray, weights: np.ndarray) -> int:
    """Index of the point with the least weighted distance to all the others."""
    d = np.hypot(points_m[:, None, 0] - points_m[None, :, 0], points_m[:, None, 1] - points_m[None, :, 1])
    return int(np.argmin((d * weights[None, :]).sum(axis=1)))


def _settlement_populations(sett: gpd.GeoDataFrame, unit_pop: pd.Series, source: str) -> None:
    """Fill missing settlement figures from the unit total (in place), labelling each figure."""
    known = sett["population"].notna()
    sett["population_source"] = np.where(known, source, _SRC_SETTLEMENT_SPLIT)
    sett["population_is_estimate"] = ~known
    known_sum = sett["population"].where(known, 0.0).groupby(sett["unit_code"]).transform("sum")
    n_missing = (~known).groupby(sett["unit_code"]).transform("sum").clip(lower=1)
    rest = (sett["unit_code"].map(unit_pop) - known_sum).clip(lower=0.0) / n_missing
    sett["population"] = sett["population"].where(known, rest.round(1))


def _centres(units: gpd.GeoDataFrame, sett: gpd.GeoDataFrame, source: Path | None) -> gpd.GeoDataFrame:
    """One centre settlement per unit; stand-ins for units without settlements. Returns all settlements."""
    metric = centred_crs(units)
    sett = sett.copy()
    sett["is_unit_centre"] = False
    sett["is_located"] = True
    sett["location_method"] = f"settlement file {source.name}" if source else ""
    xy = sett.geometry.to_crs(metric).get_coordinates().to_numpy()
    centre_source: dict[str, str] = {}
    for code, rows in sett.groupby("unit_code").indices.items():
        flagged = rows[sett["is_centre_flag"].to_numpy()[rows]]
        if len(flagged) > 1:
            names = ", ".join(sett["settlement_code"].iloc[flagged].astype(str))
            raise DataError(f"{source}: unit {code!r} has {len(flagged)} settlements flagged as its centre ({names}); "
                            "flag one")
        if len(flagged) == 1:
            pick, centre_source[code] = int(flagged[0]), _SRC_CENTRE_FLAG
        else:
            w = sett["population"].to_numpy(dtype=float)[rows]
            w = np.where(np.isfinite(w) & (w > 0), w, 1.0)
            pick, centre_source[code] = int(rows[_medoid(xy[rows], w)]), _SRC_CENTRE_MEDOID
        sett.iloc[pick, sett.columns.get_loc("is_unit_centre")] = True
    stand_ins = units.loc[~units["unit_code"].isin(set(centre_source))]
    if len(stand_ins):
        points = stand_ins.geometry.representative_point()
        extra = gpd.GeoDataFrame(
            {"settlement_code": stand_ins["unit_code"] + "-C", "name_en": stand_ins["name_en"],
             "unit_code": stand_ins["unit_code"], "population": np.nan, "is_centre_flag": False,
             "is_unit_centre": True, "is_located": False, "location_method": _SRC_STAND_IN},
            geometry=points.to_numpy(), crs=CRS,
        )
        taken = set(sett["settlement_code"]) & set(extra["settlement_code"])
        if taken:
            raise DataError(f"{source}: settlement code {sorted(taken)[0]!r} is reserved for a stand-in centre; rename it")
        for code in stand_ins["unit_code"]:
            centre_source[code] = _SRC_CENTRE_POINT
        sett = pd.concat([sett, extra], ignore_index=True)
    centre = sett.loc[sett["is_unit_centre"]].set_index("unit_code")
    units["centre_settlement_code"] = units["unit_code"].map(centre["settlement_code"])
    units["centre_lon"] = units["unit_code"].map(centre.geometry.x).round(7)
    units["centre_lat"] = units["unit_code"].map(centre.geometry.y).round(7)
    units["centre_source"] = units["unit_code"].map(centre_source)
    return gpd.GeoDataFrame(sett, geometry="geometry", crs=CRS)


def _upper_levels(
    units: gpd.GeoDataFrame, districts_path: Path | None, cols: ImportColumns, year: pd.Series
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, str]:
    """Districts (``raions``) and regions (``oblasts``): from a file, else dissolved from the units."""
    if districts_path is not None:
        frame, source = read_vector(districts_path, "district polygons")
        frame = frame.reset_index(drop=True)
        _require(frame, {"district_code": cols.district_code, "district_name": cols.district_name}, source)
        frame[cols.district_code] = _text(frame[cols.district_code])
        check_codes(frame[cols.district_code], source, cols.district_code, CODE_PATTERN, _feature)
        check_geometries(frame, source, cols.district_code, ("Polygon", "MultiPolygon"), _feature)
        known = set(frame[cols.district_code])
        orphan = units.loc[~units["raion_code"].isin(known)]
        if len(orphan):
            first = orphan.iloc[0]
            raise DataError(f"{source}: has no district {first['raion_code']!r}, the parent of unit "
                            f"{first['unit_code']!r} (feature {first['row']} of the unit polygons)")
        geoms = frame.set_index(cols.district_code).geometry
        names = _names(frame, cols.district_name).set_axis(frame[cols.district_code])
        geometry_source = f"district file {source.name}"
    else:
        geoms = units.dissolve("raion_code").geometry
        names = units.groupby("raion_code")["raion_name"].first()
        geometry_source = _SRC_DISSOLVED
    pop = units.groupby("raion_code")["population"].sum()
    biggest = units.sort_values(["population", "unit_code"], ascending=[False, True]).drop_duplicates("raion_code")
    region_of = units.drop_duplicates("raion_code").set_index("raion_code")["oblast_code"]
    codes = sorted(pop.index)
    raions = gpd.GeoDataFrame(
        {"raion_code": codes, "name_en": [names.get(c) for c in codes], "name_ru": None, "name_ky": None,
         "kind": "raion", "oblast_code": [region_of[c] for c in codes], "population": [float(pop[c]) for c in codes],
         "population_year": [int(year[units["raion_code"] == c].max()) for c in codes],
         "population_source": "sum of the units' population",
         "centre_unit_code": [biggest.set_index("raion_code").at[c, "unit_code"] for c in codes],
         "centre_source": _SRC_DISTRICT_CENTRE},
        geometry=[geoms[c] for c in codes], crs=CRS,
    )
    region_names = units.groupby("oblast_code")["oblast_name"].first()
    oblasts = raions.dissolve("oblast_code").reset_index()[["oblast_code", "geometry"]]
    oblasts["name_en"] = oblasts["oblast_code"].map(region_names)
    oblasts["name_ru"] = None
    oblasts["name_ky"] = None
    return raions, oblasts, geometry_source


def _outline(units: gpd.GeoDataFrame, path: Path | None, name: str) -> tuple[gpd.GeoDataFrame, str]:
    if path is None:
        geom = shapely.union_all(units.geometry.to_numpy())
        return gpd.GeoDataFrame({"name_en": [name]}, geometry=[geom], crs=CRS), "dissolved from the units"
    frame, source = read_vector(path, "country outline")
    check_geometries(frame.reset_index(drop=True).assign(_k=name), source, "_k",
                      ("Polygon", "MultiPolygon"))
    geom = shapely.union_all(frame.geometry.to_numpy())
    return gpd.GeoDataFrame({"name_en": [name]}, geometry=[geom], crs=CRS), f"outline file {source.name}"


def _elevations(units: gpd.GeoDataFrame, sett: gpd.GeoDataFrame, path: Path | None) -> None:
    """``elevation_m``, ``centre_elevation_m``, ``max_settlement_elevation_m`` (empty without a grid)."""
    if path is None:
        sett["elevation_m"] = np.nan
        units["centre_elevation_m"] = np.nan
        units["max_settlement_elevation_m"] = np.nan
        return
    sett["elevation_m"] = np.round(sample_elevation(path, sett.geometry.x, sett.geometry.y), 1)
    units["centre_elevation_m"] = np.round(sample_elevation(path, units["centre_lon"], units["centre_lat"]), 1)
    units["max_settlement_elevation_m"] = units["unit_code"].map(sett.groupby("unit_code")["elevation_m"].max())


# --------------------------------------------------------------------------- the import


def _build_id(inputs: ImportInputs, cols: ImportColumns, options: Mapping[str, Any]) -> str:
    digest = hashlib.sha256()
    for role, path in sorted(inputs.files().items()):
        digest.update(f"{role}={file_sha256(path)}\n".encode())
    digest.update(json.dumps({"columns": dataclasses.asdict(cols), **options}, sort_keys=True, default=str).encode())
    digest.update(__version__.encode())
    return f"import-{digest.hexdigest()[:12]}"


def import_dataset(
    inputs: ImportInputs,
    columns: ImportColumns | None = None,
    *,
    name: str | None = None,
    population_year: int | None = None,
) -> tuple[Dataset, ImportReport]:
    """Build a contract dataset from another country's files.

    Parameters
    ----------
    inputs : ImportInputs
        The files; ``inputs.mapping`` (YAML) sets columns not set in ``columns``' non-defaults.
    columns : ImportColumns, optional
        Column names (default: COD-AB level 3); fields set here win over the mapping file.
    name : str, optional
        Name of the dataset (default: the mapping's ``name``, the terms' country, else the file stem).
    population_year : int, optional
        Year of the population figures when the table has no year column.

    Returns
    -------
    (Dataset, ImportReport)
        The checked dataset (``metadata['kind'] == 'import'``) and what was derived.

    Raises
    ------
    DataError
        On the first problem in an input, naming the file, row and problem; or when a derived
        value disagrees with the geometry (a bug, named the same way).
    """
    started = time.perf_counter()
    cols, extra, mapped_name = _columns(inputs, columns)
    terms = read_terms(inputs.terms) if inputs.terms else None
    country = (terms or {}).get("country", {}).get("en") if terms else None
    name = name or mapped_name or country or inputs.units.stem
    units = _read_units(inputs.units, cols)
    table = _read_population(inputs.population, cols, units, population_year)
    units["population"] = units["unit_code"].map(table["population"]).astype(float)
    units["population_year"] = units["unit_code"].map(table["year"]).astype(int)
    units["population_source"] = f"population table {inputs.population.name}"
    units["population_is_estimate"] = False
    units["population_log_sd"] = 0.0
    units["population_p5"] = units["population"]
    units["population_p95"] = units["population"]
    if inputs.settlements:
        sett = _read_settlements(inputs.settlements, cols, units)
        _settlement_populations(sett, units.set_index("unit_code")["population"], f"settlement file {inputs.settlements.name}")
    else:
        sett = gpd.GeoDataFrame({"settlement_code": [], "name_en": [], "unit_code": [], "population": [],
                                 "is_centre_flag": []}, geometry=[], crs=CRS)
    settlements = _centres(units, sett, inputs.settlements)
    stand_in = ~settlements["is_located"].astype(bool)
    settlements.loc[stand_in, "population"] = settlements.loc[stand_in, "unit_code"].map(
        units.set_index("unit_code")["population"])
    settlements.loc[stand_in, "population_source"] = ESTIMATE_PREFIX + "the whole unit population at its stand-in centre"
    settlements.loc[stand_in, "population_is_estimate"] = True
    units["geometry_source"] = "official"
    units["area_km2"] = np.round(units.geometry.to_crs(centred_crs(units, "area")).area.to_numpy() / 1e6, 3)
    outline, outline_source = _outline(units, inputs.outline, name)
    units["border_distance_km"] = border_distance_km(units, settlements, outline, centred_crs(units))
    _elevations(units, settlements, inputs.elevation)
    raions, oblasts, district_source = _upper_levels(units, inputs.districts, cols, units["population_year"])
    region_of = units.set_index("unit_code")
    settlements["raion_code"] = settlements["unit_code"].map(region_of["raion_code"])
    settlements["oblast_code"] = settlements["unit_code"].map(region_of["oblast_code"])
    settlements["population_is_estimate"] = settlements["population_is_estimate"].astype(bool)
    town_units = set(units.loc[units["level"] == "town", "unit_code"])
    is_town_itself = settlements["unit_code"].isin(town_units) & settlements["is_unit_centre"].astype(bool)
    settlements["settlement_kind"] = np.where(is_town_itself, "town", "village")
    for column in ("name_ru", "name_ky"):
        settlements[column] = None
    build_id = _build_id(inputs, cols, {"name": name, "population_year": population_year})
    derived = {
        "area_km2": "equal-area projection (Lambert azimuthal) centred on the territory",
        "border_distance_km": f"equidistant projection centred on the territory; border: outline {outline_source}",
        "centre": [_SRC_CENTRE_FLAG, _SRC_CENTRE_MEDOID, _SRC_CENTRE_POINT],
        "raions": district_source,
        "oblasts": "dissolved from the districts by region code",
        "elevation": f"grid {inputs.elevation.name}" if inputs.elevation else "none (no elevation grid given)",
    }
    metadata: dict[str, Any] = {
        **extra,
        "build_id": build_id,
        "kind": IMPORT_KIND,
        "name": name,
        "sources": sorted(f"{role}: {path.name}" for role, path in inputs.files().items()),
        "package_version": __version__,
        "created_utc": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "derived": derived,
        "import_columns": {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(cols).items()},
    }
    if terms is not None:
        metadata["terms"] = terms
    dataset = Dataset(
        units=_layer(units, "units").sort_values("unit_code").reset_index(drop=True),
        settlements=_layer(settlements, "settlements").sort_values("settlement_code").reset_index(drop=True),
        raions=_layer(raions, "raions"), oblasts=_layer(oblasts, "oblasts"),
        country=_layer(outline, "country"), metadata=metadata,
    )
    where = f"import of {inputs.units}"
    try:
        dataset.validate(where=where)
    except ContractError as exc:  # an input the readers let through; named as the contract names it
        raise DataError(str(exc)) from None
    problems = dataset_problems(dataset.units, dataset.settlements, dataset.metadata, where)
    if problems:
        raise DataError(problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    report = _report(dataset, build_id, name, started)
    return dataset.replace(metadata={**dataset.metadata, "report": report.to_dict()}), report


def _columns(inputs: ImportInputs, columns: ImportColumns | None) -> tuple[ImportColumns, dict[str, Any], str | None]:
    """Column settings: the defaults, then the mapping file, then what the caller set explicitly."""
    cols = ImportColumns()
    extra: dict[str, Any] = {}
    name = None
    if inputs.mapping:
        mapped, extra = read_mapping(inputs.mapping)
        name = mapped.pop("name", None)
        cols = dataclasses.replace(cols, **mapped)
    if columns is not None:
        defaults = ImportColumns()
        explicit = {f.name: getattr(columns, f.name) for f in dataclasses.fields(columns)
                    if getattr(columns, f.name) != getattr(defaults, f.name)}
        cols = dataclasses.replace(cols, **explicit)
    return cols, extra, name


def _layer(frame: pd.DataFrame, layer: str) -> gpd.GeoDataFrame:
    """The contract's columns of a layer (in the contract's order) and the geometry."""
    names = [c.name for c in LAYERS[layer] if c.name in frame.columns]
    return gpd.GeoDataFrame(frame[names], geometry=frame.geometry.to_numpy(), crs=CRS)


def _report(dataset: Dataset, build_id: str, name: str, started: float) -> ImportReport:
    units, sett = dataset.units, dataset.settlements
    return ImportReport(
        build_id=build_id, name=name, units=len(units), districts=len(dataset.raions), regions=len(dataset.oblasts),
        settlements=int(sett["is_located"].sum()), settlements_stand_in=int((~sett["is_located"]).sum()),
        centre_sources={str(k): int(v) for k, v in units["centre_source"].value_counts().sort_index().items()},
        settlement_population_sources={
            str(k): int(v) for k, v in sett["population_source"].value_counts().sort_index().items()},
        population_total=float(units["population"].sum()), area_km2_total=round(float(units["area_km2"].sum()), 3),
        seconds=round(time.perf_counter() - started, 2),
    )


def _file_name(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return (slug or "dataset")[:60] + ".gpkg"


def write_import(
    inputs: ImportInputs,
    out_dir: str | os.PathLike[str],
    columns: ImportColumns | None = None,
    *,
    name: str | None = None,
    population_year: int | None = None,
    force: bool = False,
) -> tuple[Path, ImportReport]:
    """Import and write ``<name>.gpkg`` plus ``import_report.json`` into ``out_dir``, atomically.

    ``out_dir`` is claimed first (:func:`atr_model._atomic.claim_output`, kind ``dataset-import``):
    a folder holding other files is refused unless ``force``.

    Returns
    -------
    (pathlib.Path, ImportReport)
        The GeoPackage written and the report.
    """
    target = claim_output(out_dir, "dataset-import", force=force)
    dataset, report = import_dataset(inputs, columns, name=name, population_year=population_year)
    file_name = _file_name(dataset.name)
    with atomic_directory(target, kind="dataset-import", force=force) as staging:
        dataset.write(staging / file_name)
        (staging / "import_report.json").write_text(
            json.dumps(report.to_dict(), ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    logger.info("imported %s (%d units) into %s", report.build_id, report.units, target)
    return target / file_name, report
