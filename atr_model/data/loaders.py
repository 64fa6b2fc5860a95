"""Loaders for the files users have, with validation that names file, row or unit.

Admin layers (GeoJSON, GeoPackage, Shapefile with OCHA COD-AB column names), the COATE
classifier CSV, population tables keyed by COATE code or by name (CSV or XLSX), settlement
points, and an elevation GeoTIFF. Every loader returns a fresh frame and raises
:class:`~atr_model.errors.DataError` on bad input.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import cast

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.validation import explain_validity

from atr_model.data.contract import CRS
from atr_model.data.files import check_file, reading
from atr_model.data.geo import bad_coordinate, metric_crs
from atr_model.data.names import strict_key, unit_stem
from atr_model.errors import DataError

__all__ = [
    "COATE_PATTERN",
    "PCODE_PATTERN",
    "read_coate",
    "read_admin_layer",
    "read_unit_points",
    "read_localities",
    "read_population_table",
    "read_settlement_points",
    "check_points_in_polygons",
    "check_codes",
    "check_geometries",
    "read_vector",
    "sample_elevation",
    "coate_to_pcode",
]

logger = logging.getLogger(__name__)

#: A COATE code: ``417`` followed by 11 digits.
COATE_PATTERN = re.compile(r"^417\d{11}$")
#: An OCHA P-code: ``KG`` followed by 11 digits (or fewer for higher levels).
PCODE_PATTERN = re.compile(r"^KG\d{2,11}$")

_COATE_COLUMNS = ("id", "coate", "name_ru", "level", "parent_id")


def coate_to_pcode(code: str) -> str:
    """Return the OCHA P-code of a COATE code (``"KG"`` + the last 11 digits)."""
    return "KG" + str(code)[3:]


def _require_file(path: str | os.PathLike[str], what: str) -> Path:
    return check_file(path, f"{what} file")  # stat only: a folder or a FIFO is refused unopened


def _require_columns(frame: pd.DataFrame, columns: Iterable[str], source: Path) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{source}: missing column(s) {', '.join(missing)}; found {', '.join(map(str, frame.columns))}"
        )


def _row_label(index: object) -> str:
    # data rows start on line 2 of a CSV (line 1 is the header)
    return f"row {int(index) + 2}" if isinstance(index, (int, np.integer)) else f"row {index!r}"


def check_codes(
    codes: pd.Series, source: Path, column: str, pattern: re.Pattern[str], row_label: Callable[[object], str] = _row_label
) -> None:
    """Refuse an empty, malformed (not ``pattern``) or repeated code, naming the row (``row_label``)."""
    text = codes.astype("string")
    empty = text.isna() | (text.str.strip() == "")
    if empty.any():
        raise DataError(f"{source}: {row_label(text.index[empty][0])}: column '{column}' is empty")
    bad = ~text.str.fullmatch(pattern.pattern)
    if bad.any():
        idx = text.index[bad.fillna(True)][0]
        raise DataError(
            f"{source}: {row_label(idx)}: malformed code {text[idx]!r} in column '{column}' "
            f"(expected pattern {pattern.pattern})"
        )
    dup = text.duplicated(keep="first")
    if dup.any():
        idx = text.index[dup][0]
        raise DataError(f"{source}: {row_label(idx)}: duplicate code {text[idx]!r} in column '{column}'")


def read_coate(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read the COATE classifier CSV and resolve every row's oblast, raion and unit.

    Parameters
    ----------
    path : path-like
        CSV with at least ``id``, ``coate``, ``name_ru``, ``level`` (1 oblast/city, 2 raion/city,
        3 aiyl aimak/town, 4 village) and ``parent_id``.

    Returns
    -------
    pandas.DataFrame
        One row per code with ``coate``, ``name_ru``, ``level`` (int), ``type``, ``oblast_coate``,
        ``raion_coate``, ``unit_coate`` (empty above level 3).

    Raises
    ------
    DataError
        On a missing column, a malformed or duplicate code, an unknown level, or a village or
        unit whose parent is missing from the file.
    """
    source = _require_file(path, "COATE classifier")
    with reading(source, "COATE classifier"):
        frame = pd.read_csv(source, dtype=str, keep_default_na=False, na_values=[""])
    _require_columns(frame, _COATE_COLUMNS, source)
    if frame.empty:
        raise DataError(f"{source}: the COATE classifier has a header but no rows")
    frame = frame.reset_index(drop=True)
    frame["coate"] = frame["coate"].str.strip()
    check_codes(frame["coate"], source, "coate", COATE_PATTERN)
    level = pd.to_numeric(frame["level"], errors="coerce")
    bad = ~level.isin([1, 2, 3, 4])
    if bad.any():
        idx = frame.index[bad][0]
        raise DataError(f"{source}: {_row_label(idx)}: level {frame.at[idx, 'level']!r} is not 1, 2, 3 or 4")
    frame["level"] = level.astype(int)
    frame["name_ru"] = frame["name_ru"].str.replace(r"\s+", " ", regex=True).str.strip()
    frame["name_ru"] = frame["name_ru"].str.replace("районрайон", "район")
    by_id = dict(zip(frame["id"], frame.index))
    levels = frame["level"].tolist()
    codes = frame["coate"].tolist()
    names = frame["name_ru"].tolist()
    parent_row: list[int | None] = []
    for idx, parent in enumerate(frame["parent_id"].tolist()):
        if levels[idx] == 1:
            parent_row.append(None)
            continue
        if not isinstance(parent, str) or parent not in by_id:
            what = {2: "raion", 3: "unit", 4: "village"}[levels[idx]]
            raise DataError(
                f"{source}: {_row_label(idx)}: {what} {codes[idx]} ({names[idx]}) has parent_id {parent!r}, "
                "which is not in the file"
            )
        parent_row.append(int(by_id[parent]))
    for idx, pidx in enumerate(parent_row):
        if levels[idx] == 4 and (pidx is None or levels[pidx] != 3):
            raise DataError(
                f"{source}: {_row_label(idx)}: village {codes[idx]} ({names[idx]}) "
                "belongs to no aiyl aimak or town (its parent is not a level-3 unit)"
            )
    chains: list[dict[int, str]] = []
    for idx in range(len(frame)):
        chain: dict[int, str] = {}
        cur: int | None = idx
        for _ in range(6):
            if cur is None:
                break
            chain.setdefault(levels[cur], codes[cur])
            cur = parent_row[cur]
        chains.append(chain)
    frame["oblast_coate"] = [c.get(1) for c in chains]
    frame["raion_coate"] = [c.get(2) if lv >= 2 else None for c, lv in zip(chains, levels)]
    frame["unit_coate"] = [c.get(3) if lv >= 3 else None for c, lv in zip(chains, levels)]
    if "type" not in frame:
        frame["type"] = ""
    keep = ["id", "coate", "name_ru", "level", "type", "parent_id", "oblast_coate", "raion_coate", "unit_coate"]
    return cast("pd.DataFrame", frame[keep].reset_index(drop=True))


def read_vector(path: str | os.PathLike[str], what: str, *, layer: str | None = None) -> tuple[gpd.GeoDataFrame, Path]:
    """Read a vector file into EPSG:4326: refuse a missing CRS and coordinates off the globe."""
    source = _require_file(path, what)
    try:
        with reading(source, what):
            frame = gpd.read_file(source, layer=layer, engine="pyogrio")
    except DataError:
        raise
    except Exception as exc:  # pyogrio raises several DataSourceError kinds
        raise DataError(f"{source}: not a readable vector file ({' '.join(str(exc).split())})") from exc
    if not isinstance(frame, gpd.GeoDataFrame) or "geometry" not in frame:
        raise DataError(f"{source}: has no geometry column")
    if frame.crs is None:
        raise DataError(f"{source}: has no CRS (coordinate reference system); add one, e.g. EPSG:4326")
    declared_crs = frame.crs
    if not frame.crs.equals(CRS):
        frame = frame.to_crs(CRS)
    bounds = frame.geometry.bounds
    for lon, lat in ((bounds["minx"], bounds["miny"]), (bounds["maxx"], bounds["maxy"])):
        bad = bad_coordinate(lon, lat)
        if bad is not None:  # told as a coordinate problem, before any grid is sampled with it
            declared = f" (the file declares {declared_crs.to_string()}, in degrees: are its coordinates in metres " \
                "of another CRS?)" if declared_crs.is_geographic else ""
            raise DataError(f"{source}: feature {bad[0] + 1}: {bad[1]}; check its coordinates{declared}")
    return frame, source


def check_geometries(
    frame: gpd.GeoDataFrame, source: Path, key: str, kinds: tuple[str, ...], row_label: Callable[[object], str] = _row_label
) -> None:
    """Refuse an empty geometry, one of another kind than ``kinds``, or an invalid one (row named)."""
    geom = frame.geometry
    empty = geom.isna() | geom.is_empty
    if empty.any():
        idx = frame.index[empty.to_numpy()][0]
        raise DataError(f"{source}: {frame.at[idx, key]!r} ({row_label(idx)}) has an empty geometry")
    wrong = ~geom.geom_type.isin(kinds)
    if wrong.any():
        idx = frame.index[wrong.to_numpy()][0]
        raise DataError(
            f"{source}: {frame.at[idx, key]!r} has a {geom[idx].geom_type} geometry; expected {' or '.join(kinds)} "
            f"({row_label(idx)})"
        )
    invalid = ~geom.is_valid
    if invalid.any():
        idx = frame.index[invalid.to_numpy()][0]
        raise DataError(
            f"{source}: {frame.at[idx, key]!r} has an invalid geometry ({explain_validity(geom[idx])}); "
            f"repair it, e.g. with shapely.make_valid ({row_label(idx)})"
        )


def read_admin_layer(path: str | os.PathLike[str], level: int, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read an OCHA COD-AB admin layer (GeoJSON, GeoPackage or Shapefile).

    Parameters
    ----------
    path : path-like
        The file.
    level : int
        Admin level: 1 oblasts, 2 raions and cities, 3 aiyl aimaks and towns.
    layer : str, optional
        Layer name inside a multi-layer GeoPackage.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``pcode``, ``name_en``, ``name_ru``, ``name_ky``, ``parent_pcode`` (level > 1),
        ``geometry`` (EPSG:4326).

    Raises
    ------
    DataError
        On a missing ``ADM<level>_PCODE`` column or CRS, a malformed or duplicate P-code, or an
        empty, non-polygon or invalid geometry.
    """
    frame, source = read_vector(path, f"admin level {level}", layer=layer)
    code_col = f"ADM{level}_PCODE"
    _require_columns(frame, [code_col], source)
    frame = frame.reset_index(drop=True)
    frame[code_col] = frame[code_col].astype("string").str.strip()
    check_codes(frame[code_col], source, code_col, PCODE_PATTERN)
    check_geometries(frame, source, code_col, ("Polygon", "MultiPolygon"))
    out = gpd.GeoDataFrame(
        {
            "pcode": frame[code_col].astype(str),
            "name_en": frame.get(f"ADM{level}_EN", pd.Series([None] * len(frame))),
            "name_ru": frame.get(f"ADM{level}_RU", pd.Series([None] * len(frame))),
            "name_ky": frame.get(f"ADM{level}_KY", pd.Series([None] * len(frame))),
            "parent_pcode": frame.get(f"ADM{level - 1}_PCODE", pd.Series([None] * len(frame))),
        },
        geometry=frame.geometry.values,
        crs=CRS,
    )
    return out


def read_unit_points(path: str | os.PathLike[str]) -> gpd.GeoDataFrame:
    """Read aiyl aimak / town points keyed by COATE (column ``soate`` or ``coate``).

    Returns
    -------
    geopandas.GeoDataFrame
        ``unit_code``, ``name_ky``, ``name_en``, ``geometry``; rows whose code is not a COATE
        code (special areas) are dropped with a log line.
    """
    frame, source = read_vector(path, "unit points")
    code_col = "soate" if "soate" in frame else "coate"
    _require_columns(frame, [code_col], source)
    frame = frame.reset_index(drop=True)
    check_geometries(frame, source, code_col, ("Point",))
    codes = frame[code_col].astype("string").str.strip()
    dup = codes.duplicated()
    if dup.any():
        raise DataError(f"{source}: duplicate code {codes[dup].iloc[0]!r} in column '{code_col}'")
    return gpd.GeoDataFrame(
        {
            "unit_code": codes.astype(str),
            "name_ky": frame.get("name_ky"),
            "name_en": frame.get("name_en"),
        },
        geometry=frame.geometry.values,
        crs=CRS,
    )


def read_localities(path: str | os.PathLike[str]) -> gpd.GeoDataFrame:
    """Read located places (Who's On First / GeoNames style points with names).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns as in the file plus a stable ``place_id``; abandoned or historical places
        (GeoNames feature codes PPLQ, PPLW, PPLH) are dropped.
    """
    frame, source = read_vector(path, "localities")
    _require_columns(frame, ["name"], source)
    frame = frame.reset_index(drop=True)
    frame = frame.loc[~(frame.geometry.isna() | frame.geometry.is_empty)]
    if "gn_feature_code" in frame:
        frame = frame.loc[~frame["gn_feature_code"].isin(["PPLQ", "PPLW", "PPLH"])]
    frame = frame.loc[frame.geometry.geom_type == "Point"].copy()
    id_col = "wof_id" if "wof_id" in frame else None
    frame["place_id"] = frame[id_col].astype(str) if id_col else frame.index.astype(str)
    return frame.reset_index(drop=True)


def read_population_table(
    path: str | os.PathLike[str],
    *,
    code_column: str | None = None,
    name_column: str | None = None,
    population_column: str = "population",
    year_column: str | None = "year",
    units: pd.DataFrame | None = None,
    sheet: str | int = 0,
    code_pattern: re.Pattern[str] = COATE_PATTERN,
    unit_name_column: str = "name_ru",
) -> pd.DataFrame:
    """Read a population table keyed by COATE code or by unit name (CSV or XLSX).

    Parameters
    ----------
    path : path-like
        ``.csv`` or ``.xlsx``.
    code_column : str, optional
        Column with 14-digit COATE codes. Default: ``coate``, ``unit_code`` or ``coate_match``
        when present.
    name_column : str, optional
        Column with unit names, used when there is no code column; needs ``units``. Default
        (when ``units`` is given and no code column exists): ``name_ru``, ``name``,
        ``unit_name`` or ``aiyl_aimak``.
    population_column : str, default "population"
        Column with residents.
    year_column : str or None, default "year"
        Column with the reference year (non-numeric years are kept as missing).
    units : pandas.DataFrame, optional
        ``unit_code``, ``name_ru`` (and optionally ``raion_code``) to resolve names.
    sheet : str or int, default 0
        Sheet of an XLSX file.
    code_pattern : re.Pattern, default COATE_PATTERN
        What a code must look like (another country's import passes its own).
    unit_name_column : str, default "name_ru"
        Column of ``units`` that names are matched against.

    Returns
    -------
    pandas.DataFrame
        ``unit_code``, ``population`` (float), ``year`` (Int64, may be missing), ``row`` (the
        file row), sorted by code then year.

    Raises
    ------
    DataError
        On a missing column, a malformed code, a name that matches no or several units, a
        duplicate (code, year) pair, or a negative or missing population.
    """
    source = _require_file(path, "population table")
    try:
        with reading(source, "population table"):
            if source.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
                frame = pd.read_excel(source, sheet_name=sheet, dtype=object)
            else:
                frame = pd.read_csv(source, dtype=str, keep_default_na=False, na_values=[""])
    except DataError:
        raise
    except Exception as exc:  # pandas raises many parser errors
        raise DataError(f"{source}: not a readable table ({exc})") from exc
    frame = frame.reset_index(drop=True)
    if code_column is None and name_column is None:
        code_column = next((c for c in ("coate", "unit_code", "coate_match", "code") if c in frame), None)
        if code_column is None and units is not None:
            name_column = next((c for c in ("name_ru", "name", "unit_name", "aiyl_aimak") if c in frame), None)
        if code_column is None and name_column is None:
            raise DataError(
                f"{source}: missing column(s) coate (or unit_code); name a code column or a name column"
            )
    _require_columns(frame, [c for c in (code_column, name_column, population_column) if c], source)
    if code_column:
        codes = frame[code_column].astype("string").str.strip().str.replace(r"\.0$", "", regex=True)
        empty = codes.isna() | (codes == "")
        if empty.any():
            raise DataError(f"{source}: {_row_label(codes.index[empty][0])}: column '{code_column}' is empty")
        bad = ~codes.str.fullmatch(code_pattern.pattern)
        if bad.any():
            idx = codes.index[bad][0]
            expected = "14 digits starting with 417" if code_pattern is COATE_PATTERN else f"pattern {code_pattern.pattern}"
            raise DataError(
                f"{source}: {_row_label(idx)}: malformed code {codes[idx]!r} in column '{code_column}' "
                f"(expected {expected})"
            )
    else:
        if units is None:
            raise DataError(f"{source}: a name-keyed population table needs the units to match names against")
        assert name_column is not None  # no code column: a name column was given or found above
        codes = _codes_from_names(frame[name_column], units, source, name_column, unit_name_column)
    population = pd.to_numeric(frame[population_column], errors="coerce")
    missing = population.isna()
    if missing.any():
        idx = population.index[missing][0]
        raise DataError(
            f"{source}: {_row_label(idx)}: unit {codes[idx]}: population {frame.at[idx, population_column]!r} "
            "is missing or not a number"
        )
    negative = population < 0
    if negative.any():
        idx = population.index[negative][0]
        raise DataError(f"{source}: {_row_label(idx)}: unit {codes[idx]}: population {population[idx]:g} is negative")
    if year_column and year_column in frame:
        year = pd.to_numeric(frame[year_column], errors="coerce").astype("Int64")
    else:
        year = pd.Series([pd.NA] * len(frame), dtype="Int64")
    out = pd.DataFrame({"unit_code": codes.astype(str), "population": population.astype(float), "year": year,
                        "row": frame.index.to_numpy() + 2})
    dup = out.duplicated(["unit_code", "year"])
    if dup.any():
        idx = out.index[dup][0]
        raise DataError(
            f"{source}: {_row_label(idx)}: duplicate unit {out.at[idx, 'unit_code']} for year {out.at[idx, 'year']}"
        )
    return cast("pd.DataFrame", out.sort_values(["unit_code", "year"], na_position="first").reset_index(drop=True))


def _codes_from_names(
    names: pd.Series, units: pd.DataFrame, source: Path, column: str, unit_name_column: str = "name_ru"
) -> pd.Series:
    index: dict[str, list[str]] = {}
    for code, name in zip(units["unit_code"], units[unit_name_column]):
        for key in {unit_stem(name), strict_key(name)}:
            if key:
                index.setdefault(key, []).append(code)
    codes: list[str] = []
    for idx, name in names.items():
        hits = sorted(set(index.get(unit_stem(name), []) + index.get(strict_key(name), [])))
        if not hits:
            raise DataError(f"{source}: {_row_label(idx)}: unit name {name!r} in column '{column}' matches no unit")
        if len(hits) > 1:
            raise DataError(
                f"{source}: {_row_label(idx)}: unit name {name!r} is ambiguous ({', '.join(hits)}); key the table by code"
            )
        codes.append(hits[0])
    return pd.Series(codes, index=names.index, dtype="string")


def read_settlement_points(
    path: str | os.PathLike[str],
    *,
    code_column: str = "settlement_code",
    lon_column: str = "lon",
    lat_column: str = "lat",
) -> gpd.GeoDataFrame:
    """Read official settlement points keyed by COATE code (vector file or CSV with lon/lat).

    Returns
    -------
    geopandas.GeoDataFrame
        ``settlement_code`` and point ``geometry`` in EPSG:4326.

    Raises
    ------
    DataError
        On a missing column or CRS, a malformed or duplicate code, or an empty geometry.
    """
    source = _require_file(path, "settlement points")
    if source.suffix.lower() == ".csv":
        with reading(source, "settlement points"):
            table = pd.read_csv(source, dtype={code_column: str})
        _require_columns(table, [code_column, lon_column, lat_column], source)
        lon = pd.to_numeric(table[lon_column], errors="coerce")
        lat = pd.to_numeric(table[lat_column], errors="coerce")
        bad = lon.isna() | lat.isna() | ~lon.between(-180, 180) | ~lat.between(-90, 90)
        if bad.any():
            idx = table.index[bad][0]
            raise DataError(f"{source}: {_row_label(idx)}: settlement {table.at[idx, code_column]!r} has no valid lon/lat")
        frame = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(lon, lat), crs=CRS)
    else:
        frame, source = read_vector(source, "settlement points")
        _require_columns(frame, [code_column], source)
    frame = frame.reset_index(drop=True)
    frame[code_column] = frame[code_column].astype("string").str.strip()
    check_codes(frame[code_column], source, code_column, COATE_PATTERN)
    check_geometries(frame, source, code_column, ("Point",))
    return gpd.GeoDataFrame(
        {"settlement_code": frame[code_column].astype(str)}, geometry=frame.geometry.values, crs=CRS
    )


def check_points_in_polygons(
    points: gpd.GeoDataFrame,
    polygons: gpd.GeoDataFrame,
    *,
    point_key: str,
    point_polygon_column: str,
    polygon_key: str,
    tolerance_km: float = 1.0,
    where: str = "settlement points",
) -> None:
    """Check that each point lies in (or within ``tolerance_km`` of) its own polygon.

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Points with a column naming their polygon.
    polygons : geopandas.GeoDataFrame
        Polygons keyed by ``polygon_key``.
    point_key, point_polygon_column, polygon_key : str
        Column names.
    tolerance_km : float, default 1.0
        Slack for boundary digitising error.
    where : str
        Text naming the input in messages.

    Raises
    ------
    DataError
        Naming the first point outside its polygon, the polygon and the distance.
    """
    metric = metric_crs()
    shapes = polygons.set_index(polygon_key).geometry.to_crs(metric)
    pts = points.to_crs(metric)
    for key, owner, geom in zip(pts[point_key], pts[point_polygon_column], pts.geometry):
        if owner not in shapes.index:
            raise DataError(f"{where}: point {key!r} names polygon {owner!r}, which does not exist")
        gap_km = float(shapes[owner].distance(geom)) / 1000.0
        if gap_km > tolerance_km:
            raise DataError(f"{where}: point {key!r} lies outside its raion {owner!r} ({gap_km:.1f} km away)")


def sample_elevation(raster_path: str | os.PathLike[str], lon: Iterable[float], lat: Iterable[float]) -> np.ndarray:
    """Sample an elevation GeoTIFF at points (metres; NaN outside the grid or on nodata).

    Parameters
    ----------
    raster_path : path-like
        Single-band elevation raster in any CRS.
    lon, lat : iterable of float
        WGS 84 coordinates.

    Returns
    -------
    numpy.ndarray
        Elevation in metres, one per point.
    """
    import rasterio
    from rasterio.warp import transform as warp_transform

    source = _require_file(raster_path, "elevation raster")
    xs = [float(x) for x in lon]
    ys = [float(y) for y in lat]
    if not xs:
        return np.array([], dtype=float)
    try:
        with rasterio.open(source) as ds:
            if ds.crs is None:
                raise DataError(f"{source}: elevation raster has no CRS")
            if ds.crs != rasterio.crs.CRS.from_string(CRS):
                xs, ys = warp_transform(CRS, ds.crs, xs, ys)
            values = np.array([float(v[0]) for v in ds.sample(zip(xs, ys), indexes=1)], dtype=float)
            nodata = ds.nodata
            left, bottom, right, top = ds.bounds
    except rasterio.errors.RasterioIOError as exc:
        raise DataError(f"{source}: not a readable raster ({exc})") from exc
    out = values.copy()
    if nodata is not None:
        out[out == nodata] = np.nan
    inside = (np.array(xs) >= left) & (np.array(xs) <= right) & (np.array(ys) >= bottom) & (np.array(ys) <= top)
    out[~inside] = np.nan
    return cast("np.ndarray", out)
