"""Checks of a dataset's derived values against its own geometry, shared by every builder.

:meth:`Dataset.validate` checks the contract's shape (columns, kinds, keys, CRS). These checks go
further, to the values a builder computes: the area of every unit against its polygon, every unit
centre inside its unit, every unit with one centre settlement, and metadata that JSON can store.
``atr-model data import`` refuses a dataset with any problem; the Kyrgyz build records them as
build warnings (its approximate territories are checked the same way).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS as ProjCRS

from atr_model.data.geo import equal_area_crs, metric_crs

__all__ = [
    "AREA_TOLERANCE",
    "border_distance_km",
    "CENTRE_TOLERANCE_M",
    "centred_crs",
    "check_areas",
    "check_centres_inside",
    "check_centre_settlements",
    "check_metadata_json",
    "dataset_problems",
]

#: Relative difference allowed between ``area_km2`` and the area of the polygon (rounding of
#: the stored figure; an area in the wrong unit is off by 100 or 10^6).
AREA_TOLERANCE = 0.005
#: How far (metres) a unit centre may lie outside its polygon: coordinate rounding only.
CENTRE_TOLERANCE_M = 1.0


def centred_crs(frame: gpd.GeoDataFrame, kind: str = "distance") -> ProjCRS:
    """A metric CRS centred on ``frame`` (its bounding box centre).

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Layer in EPSG:4326.
    kind : {"distance", "area"}
        Azimuthal equidistant (distances from the centre are true) or Lambert azimuthal
        equal-area (areas are true everywhere).

    Returns
    -------
    pyproj.CRS
    """
    minx, miny, maxx, maxy = frame.total_bounds
    lat0, lon0 = round((miny + maxy) / 2, 4), round((minx + maxx) / 2, 4)
    return equal_area_crs(lat0, lon0) if kind == "area" else metric_crs(lat0, lon0)


def border_distance_km(
    units: pd.DataFrame, settlements: gpd.GeoDataFrame, country: gpd.GeoDataFrame, metric: ProjCRS
) -> np.ndarray:
    """Distance (km) to the state border of each unit's nearest located settlement or its centre.

    Parameters
    ----------
    units : DataFrame
        ``unit_code``, ``centre_lon``, ``centre_lat``.
    settlements : GeoDataFrame
        Points (EPSG:4326) with ``unit_code`` and ``is_located`` (stand-in points are not used).
    country : GeoDataFrame
        The national outline (EPSG:4326); its boundary is the state border.
    metric : pyproj.CRS
        Equidistant CRS the distances are measured in (centred on the territory).

    Returns
    -------
    numpy.ndarray
        Kilometres, rounded to metres, one per unit.
    """
    border = shapely.union_all(country.to_crs(metric).geometry.to_numpy()).boundary
    pts = settlements.to_crs(metric)
    use = pts.loc[pts["is_located"].astype(bool)]
    dist = pd.Series(shapely.distance(use.geometry.to_numpy(), border) / 1000.0, index=use.index)
    by_unit = dist.groupby(use["unit_code"]).min()
    centres = gpd.GeoSeries(gpd.points_from_xy(units["centre_lon"], units["centre_lat"]), crs="EPSG:4326").to_crs(metric)
    centre_d = shapely.distance(centres.to_numpy(), border) / 1000.0
    out = [float(by_unit.get(code, centre_d[i])) for i, code in enumerate(units["unit_code"])]
    return cast("np.ndarray", np.round(np.minimum(out, centre_d), 3))


def check_areas(units: gpd.GeoDataFrame, where: str, *, tolerance: float = AREA_TOLERANCE) -> list[str]:
    """Units whose ``area_km2`` is not the area of their polygon.

    Returns
    -------
    list of str
        One line per unit: code, stored and measured area.
    """
    measured = units.geometry.to_crs(centred_crs(units, "area")).area.to_numpy() / 1e6
    stored = pd.to_numeric(units["area_km2"], errors="coerce").to_numpy(dtype=float)
    off = ~(np.abs(stored - measured) <= tolerance * measured + 0.01)
    return [
        f"{where}: unit {code!r}: area_km2 {s:g} but its polygon measures {m:.3f} km²"
        for code, s, m in zip(units["unit_code"].to_numpy()[off], stored[off], measured[off])
    ]


def check_centres_inside(
    units: gpd.GeoDataFrame, where: str, *, tolerance_m: float = CENTRE_TOLERANCE_M
) -> list[str]:
    """Units whose centre (``centre_lon``, ``centre_lat``) lies outside their polygon.

    Returns
    -------
    list of str
        One line per unit: code and distance of the centre from the polygon.
    """
    crs = centred_crs(units)
    shapes = units.geometry.to_crs(crs)
    points = gpd.GeoSeries(
        gpd.points_from_xy(pd.to_numeric(units["centre_lon"]), pd.to_numeric(units["centre_lat"])), crs=units.crs
    ).to_crs(crs)
    gap = shapely.distance(shapes.to_numpy(), points.to_numpy())
    off = ~(gap <= tolerance_m)
    return [
        f"{where}: unit {code!r}: its centre lies {g / 1000:.2f} km outside the unit"
        for code, g in zip(units["unit_code"].to_numpy()[off], gap[off])
    ]


def check_centre_settlements(units: pd.DataFrame, settlements: pd.DataFrame, where: str) -> list[str]:
    """Units without exactly one centre settlement (``is_unit_centre``) named by ``centre_settlement_code``.

    Returns
    -------
    list of str
        One line per unit without a centre, with several, or naming another settlement.
    """
    flagged = settlements.loc[settlements["is_unit_centre"].astype(bool), ["settlement_code", "unit_code"]]
    count = flagged.groupby("unit_code").size()
    centre_of = flagged.drop_duplicates("unit_code").set_index("unit_code")["settlement_code"]
    problems = []
    for code, named in zip(units["unit_code"], units["centre_settlement_code"]):
        n = int(count.get(code, 0))
        if n == 0:
            problems.append(f"{where}: unit {code!r} has no centre settlement (is_unit_centre)")
        elif n > 1:
            problems.append(f"{where}: unit {code!r} has {n} centre settlements; expected one")
        elif named != centre_of[code]:
            problems.append(
                f"{where}: unit {code!r}: centre_settlement_code {named!r} is not its centre settlement "
                f"{centre_of[code]!r}"
            )
    return problems


def _json_problem(value: object) -> str | None:
    try:
        json.dumps(value, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        return str(exc)
    return None


def check_metadata_json(metadata: Mapping[str, object], where: str) -> list[str]:
    """Metadata entries that the GeoPackage's ``metadata`` table cannot store as JSON.

    Returns
    -------
    list of str
        One line per key: a value of a type JSON has no form for (a date, a set, an object), or
        a NaN / infinity (not JSON).
    """
    problems = []
    for key, value in metadata.items():
        if not isinstance(key, str):
            problems.append(f"{where}: metadata key {key!r} is not text")
            continue
        problem = _json_problem(value)
        if problem:
            problems.append(f"{where}: metadata {key!r} is not a JSON value ({problem})")
    return problems


def dataset_problems(
    units: gpd.GeoDataFrame,
    settlements: pd.DataFrame,
    metadata: Mapping[str, object],
    where: str,
    *,
    require_centre_settlement: bool = True,
) -> list[str]:
    """Every problem the checks of this module find in one dataset's layers.

    Parameters
    ----------
    units, settlements : DataFrame
        The dataset's layers (units with geometry in EPSG:4326).
    metadata : mapping
        The dataset's metadata.
    where : str
        Names the dataset or its file in the messages.
    require_centre_settlement : bool, default True
        Check that every unit has one centre settlement (the contract allows a unit whose centre
        is not a known settlement; an import always places one).

    Returns
    -------
    list of str
        Empty when the values agree with the geometry.
    """
    problems = check_areas(units, where) + check_centres_inside(units, where)
    if require_centre_settlement:
        problems += check_centre_settlements(units, settlements, where)
    return problems + check_metadata_json(metadata, where)

