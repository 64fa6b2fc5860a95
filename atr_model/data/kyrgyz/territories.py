"""Kyrgyz build, stage 5: unit territories.

Without official aiyl aimak polygons, each unit's territory is approximated inside its raion
from its seed points (its located settlements and its centre): the Voronoi cells of the seeds,
clipped to the raion and dissolved per unit. User-supplied official polygons replace the
approximation for the units they cover (the rest of the raion is shared among the others).
Every approximate territory is labelled ``approximate: <method>`` in ``geometry_source``.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPoint, Point

from atr_model.data.contract import APPROXIMATE_PREFIX, CRS
from atr_model.data.geo import metric_crs
from atr_model.errors import DataError

__all__ = ["FREE_POINT_STEP_M", "INNER_RING_INSET_M", "VORONOI_SOURCE", "unit_territories"]

#: ``geometry_source`` of a Voronoi territory.
VORONOI_SOURCE = (APPROXIMATE_PREFIX + "Voronoi cells of located settlements and the unit centre, "
                  "clipped to the raion, dissolved per unit")

#: A unit with no seed point of its own inside the raion gets one on a ring this far inside the
#: raion's outline: far enough that its cell is not a sliver along the border, close enough
#: that it does not cut into the cells of the units seeded inside.
INNER_RING_INSET_M = 200.0

#: Step along that ring to the next candidate when a point is taken (two units never share a
#: seed); about the 1 m rounding of seed keys times a few hundred, so a few steps suffice.
FREE_POINT_STEP_M = 300.0


def _grid_key(point: Point) -> tuple[float, float]:
    # seeds closer than 1 m are one seed (Voronoi needs distinct points)
    return (round(point.x, 0), round(point.y, 0))


def _voronoi_units(raion_geom_m: Any, points: list[tuple[str, Point]]) -> dict[str, Any]:
    """Voronoi cells of the points (metric CRS), clipped to the raion, dissolved per unit."""
    seen: dict[tuple[float, float], str] = {}
    for unit, pt in points:
        seen.setdefault(_grid_key(pt), unit)
    coords = sorted(seen)
    owners = [seen[c] for c in coords]
    if len(coords) == 1:
        return {owners[0]: raion_geom_m}
    cells = shapely.voronoi_polygons(MultiPoint(coords), extend_to=raion_geom_m, ordered=True)
    parts: dict[str, list[Any]] = {}
    for owner, cell in zip(owners, shapely.get_parts(cells)):
        clipped = shapely.intersection(cell, raion_geom_m)
        if not clipped.is_empty:
            parts.setdefault(owner, []).append(clipped)
    return {unit: shapely.make_valid(shapely.union_all(geoms)) for unit, geoms in parts.items()}


def _free_point(inner: Any, near: Point, used: set[tuple[float, float]], step_m: float = FREE_POINT_STEP_M) -> Point:
    """Point of ``inner``'s boundary nearest to ``near``, moved along it until not in ``used``."""
    parts = [p for p in shapely.get_parts(inner) if p.geom_type == "Polygon"]
    part = min(parts, key=lambda p: p.distance(near))
    ring = part.exterior
    start = ring.project(near)
    for k in range(int(ring.length // step_m) + 1):
        cand = ring.interpolate((start + k * step_m) % ring.length)
        if _grid_key(cand) not in used:
            return cand
    return part.representative_point()


def polygonal(geom: Any) -> Any:
    """The polygonal part of a geometry (drops the points and lines an overlay may leave)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    polys = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(polys) if polys else shapely.Polygon()


def unit_territories(
    units: pd.DataFrame,
    settlements: gpd.GeoDataFrame,
    raions: gpd.GeoDataFrame,
    official: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Territory (metric CRS) and ``geometry_source`` of every unit.

    Parameters
    ----------
    units : pandas.DataFrame
        Units with ``unit_code``, ``raion_code``, ``centre_lon``, ``centre_lat``.
    settlements : geopandas.GeoDataFrame
        Settlements with ``unit_code``, ``is_located`` and their points.
    raions : geopandas.GeoDataFrame
        Raion polygons.
    official : dict
        Official polygons (EPSG:4326) by unit code; these units keep them.

    Returns
    -------
    tuple of (dict, dict)
        Polygon in :func:`~atr_model.data.geo.metric_crs` and source label, by unit code.
    """
    metric = metric_crs()
    raions_m = raions.set_index("raion_code").geometry.to_crs(metric)
    centres_m = gpd.GeoSeries(
        gpd.points_from_xy(units["centre_lon"], units["centre_lat"]), crs=CRS
    ).to_crs(metric)
    located = settlements.loc[settlements["is_located"]]
    located_m = located.geometry.to_crs(metric)
    official_m = {
        code: gpd.GeoSeries([geom], crs=CRS).to_crs(metric).iloc[0] for code, geom in official.items()
    }
    geoms: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for raion_code, group in units.groupby("raion_code", sort=True):
        area = raions_m[raion_code]
        taken = [official_m[c] for c in group["unit_code"] if c in official_m]
        for code in group["unit_code"]:
            if code in official_m:
                geoms[code] = official_m[code]
                sources[code] = "official"
        todo = [c for c in group["unit_code"] if c not in official_m]
        if not todo:
            continue
        if taken:
            area = polygonal(shapely.difference(area, shapely.union_all(taken)))
        inner = area.buffer(-INNER_RING_INSET_M)
        inner = inner if not inner.is_empty else area
        points: list[tuple[str, Point]] = []
        used: set[tuple[float, float]] = set()
        for code in sorted(todo):
            pos = int(np.flatnonzero(units["unit_code"].to_numpy() == code)[0])
            own = [centres_m.iloc[pos]]
            own += list(located_m[located["unit_code"].to_numpy() == code])
            inside = [p for p in own if area.contains(p) and _grid_key(p) not in used]
            if not inside:
                # no point of its own inside the raion (a city's outlying village, or a shared
                # stand-in centre): a free point on the raion's inner ring nearest to its centre
                inside = [_free_point(inner, own[0], used)]
            used.update(_grid_key(p) for p in inside)
            points.extend((code, p) for p in inside)
        cells = _voronoi_units(area, points)
        for code in todo:
            geom = cells.get(code)
            if geom is None or geom.is_empty:
                raise DataError(f"unit {code}: no territory could be built in raion {raion_code}")
            geoms[code] = polygonal(geom)
            sources[code] = VORONOI_SOURCE
    return geoms, sources
