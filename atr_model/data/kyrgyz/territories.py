"""Kyrgyz build, stage 5: unit territories.

Without official aiyl aimak polygons, each unit's territory is approximated inside its raion
from its seed points (its located settlements and its centre), by one of two methods:

``terrain`` (default)
    terrain-cost allocation: every cell of the elevation grid goes to the unit whose seeds
    reach it at the least travel time over the terrain (:mod:`.allocation`); territories
    follow ridges and valleys and each is one piece.
``voronoi``
    the Voronoi cells of the seeds, clipped to the raion and dissolved per unit (straight-line
    nearest seed; a unit's cells may be in several pieces).

With ``terrain``, a unit stays in several pieces only as a *raion exclave* (its raion's OCHA
polygon is in pieces and each piece of the unit lies in another one; how those pieces are
settled is in :mod:`.allocation`) or when the user lists it in ``reference/exclaves.csv``;
:func:`compare_territories` counts the two apart from the units split by the allocation itself
(``units_multipart``, 0 on the Kyrgyz build). A piece of a raion with no settlement and no unit
centre is held by no unit (*unplaced raion land*, recorded per piece in the build report): the
units of such a raion cover it less those pieces.

User-supplied official polygons replace the approximation for the units they cover (the rest of
the raion is shared among the others). Every approximate territory is labelled
``approximate: <method>`` in ``geometry_source``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPoint, Point

from atr_model.data.borders import MIN_SHARED_BORDER_M, detached_pieces_of, shared_borders, split_kind
from atr_model.data.contract import APPROXIMATE_PREFIX, CRS, TERRAIN_COST_SOURCE
from atr_model.data.geo import metric_crs
from atr_model.data.kyrgyz.allocation import (
    DEFAULT_CELL_M,
    MIN_DETACHED_PIECE_KM2,
    PieceDecisions,
    allocate_raion,
    read_cost_grid,
)
from atr_model.errors import DataError

__all__ = [
    "FREE_POINT_STEP_M",
    "INNER_RING_INSET_M",
    "TERRAIN_SOURCE",
    "TERRITORY_METHODS",
    "VORONOI_SOURCE",
    "Territories",
    "compare_territories",
    "unit_territories",
]

#: Territory methods of the build (``--territories``); the first is the default.
TERRITORY_METHODS = ("terrain", "voronoi")

#: ``geometry_source`` of a terrain-cost territory.
TERRAIN_SOURCE = TERRAIN_COST_SOURCE

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


@dataclass
class Territories(PieceDecisions):
    """Unit territories and what building them decided (:class:`PieceDecisions`; the pieces are
    sorted out by the terrain method, and for Voronoi cells afterwards).

    Attributes
    ----------
    geoms_m : dict
        Polygon in :func:`~atr_model.data.geo.metric_crs` by unit code.
    sources : dict
        ``geometry_source`` by unit code.
    raion_pieces : list of dict
        Every piece of every raion drawn in several pieces (terrain): ``raion_code``,
        ``largest``, ``area_km2``, ``seed_points``, ``units``, ``unplaced`` (held by no unit:
        a detached piece with no settlement), ``sliver``, ``touches_raions`` (the other raions
        whose polygon it touches), ``lon``, ``lat``.
    """

    geoms_m: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    raion_pieces: list[dict[str, Any]] = field(default_factory=list)


def unit_territories(
    units: pd.DataFrame,
    settlements: gpd.GeoDataFrame,
    raions: gpd.GeoDataFrame,
    official: dict[str, Any],
    *,
    method: str = "terrain",
    elevation_path: Path | None = None,
    cell_m: float = DEFAULT_CELL_M,
    exclaves: frozenset[str] = frozenset(),
) -> Territories:
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
    method : {"terrain", "voronoi"}
        How approximate territories are drawn (see the module docstring).
    elevation_path : pathlib.Path, optional
        Elevation raster; required by ``terrain``.
    cell_m : float
        Cost-grid cell size for ``terrain`` (m).
    exclaves : frozenset of str
        Units allowed to stay in several pieces (``terrain``).

    Returns
    -------
    Territories

    Raises
    ------
    DataError
        On an unknown method, a missing raster, or a raion or unit that gets no territory.
    """
    if method not in TERRITORY_METHODS:
        raise DataError(f"territory method {method!r} is not one of {', '.join(TERRITORY_METHODS)}")
    if method == "voronoi":
        geoms, sources = _voronoi_territories(units, settlements, raions, official)
        return _classified(Territories(geoms_m=geoms, sources=sources), units, raions, exclaves)
    if elevation_path is None:
        raise DataError("terrain-cost territories need an elevation raster")
    return _terrain_territories(units, settlements, raions, official, elevation_path, cell_m, exclaves)


def _classified(
    drawn: Territories, units: pd.DataFrame, raions: gpd.GeoDataFrame, exclaves: frozenset[str],
) -> Territories:
    """Sort the units in several pieces as the terrain method does: listed exclaves, and units
    each of whose pieces lies in a different piece of the raion (forced by the raion's outline)."""
    raions_m = raions.set_index("raion_code").geometry.to_crs(metric_crs())
    raion_of = dict(zip(units["unit_code"], units["raion_code"]))
    for code in sorted(drawn.geoms_m):
        if shapely.get_num_geometries(drawn.geoms_m[code]) < 2:
            continue  # only a unit in pieces needs its raion's polygon
        kind = split_kind(drawn.geoms_m[code], raions_m[raion_of[code]], code in exclaves)
        if kind == "listed":
            drawn.exclave_units.append(code)
        elif kind == "raion":
            drawn.raion_piece_units.append(code)
    return drawn


def _official_and_areas(
    units: pd.DataFrame, raions: gpd.GeoDataFrame, official: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, tuple[Any, list[str]]]]:
    """Official polygons (metric) by unit, and per raion the land left and the units to place."""
    metric = metric_crs()
    raions_m = raions.set_index("raion_code").geometry.to_crs(metric)
    official_m = {
        code: gpd.GeoSeries([geom], crs=CRS).to_crs(metric).iloc[0] for code, geom in official.items()
    }
    todo: dict[str, tuple[Any, list[str]]] = {}
    for raion_code, group in units.groupby("raion_code", sort=True):
        area = raions_m[raion_code]
        taken = [official_m[c] for c in group["unit_code"] if c in official_m]
        left = sorted(c for c in group["unit_code"] if c not in official_m)
        if not left:
            continue
        if taken:
            area = polygonal(shapely.difference(area, shapely.union_all(taken)))
        todo[str(raion_code)] = (area, left)
    return official_m, todo


def _terrain_territories(
    units: pd.DataFrame,
    settlements: gpd.GeoDataFrame,
    raions: gpd.GeoDataFrame,
    official: dict[str, Any],
    elevation_path: Path,
    cell_m: float,
    exclaves: frozenset[str],
) -> Territories:
    metric = metric_crs()
    official_m, todo = _official_and_areas(units, raions, official)
    out = Territories(geoms_m=dict(official_m), sources={code: "official" for code in official_m})
    if not todo:
        return out
    centres_m = gpd.GeoSeries(gpd.points_from_xy(units["centre_lon"], units["centre_lat"]), crs=CRS).to_crs(metric)
    centre_of = dict(zip(units["unit_code"], centres_m))
    located = settlements.loc[settlements["is_located"]]
    points_of: dict[str, list[Point]] = {}
    for code, pt in zip(located["unit_code"], located.geometry.to_crs(metric)):
        points_of.setdefault(code, []).append(pt)
    bounds = shapely.union_all([area for area, _ in todo.values()]).bounds
    raions_m = raions.set_index("raion_code").geometry.to_crs(metric)
    grid = read_cost_grid(elevation_path, bounds, cell_m)
    for raion_code, (area, codes) in todo.items():
        seeds = []
        for code in codes:
            centre = centre_of[code]
            own = [] if centre.is_empty or not np.isfinite(centre.x) else [centre]
            seeds.append((code, own + points_of.get(code, [])))
        result = allocate_raion(area, seeds, grid, where=raion_code, exclaves=exclaves)
        for code in codes:
            out.geoms_m[code] = result.territories[code]
            out.sources[code] = TERRAIN_SOURCE
        out.raion_piece_units += result.raion_piece_units
        out.exclave_units += result.exclave_units
        out.no_seed_cell += result.no_seed_cell
        out.raion_pieces += _located_pieces(raion_code, result.detached_pieces, area, raions_m)
        out.notes += [f"raion {raion_code}: {n}" for n in result.notes]
    return out


#: A raion piece "touches" another raion whose polygon lies within this distance (m): the OCHA
#: raion outlines do not always meet exactly.
TOUCH_TOLERANCE_M = 100.0


def _touching(piece: Any, raion_code: str, raions_m: gpd.GeoSeries) -> list[str]:
    """The other raions whose polygon lies within :data:`TOUCH_TOLERANCE_M` of ``piece``."""
    near = raions_m.index[raions_m.distance(piece) <= TOUCH_TOLERANCE_M]
    return sorted(str(c) for c in near if c != raion_code)


def _cut_off(geom: Any, largest: Any, touches: list[str], raions_m: gpd.GeoSeries) -> dict[str, Any]:
    """What separates a detached raion piece from the raion's largest piece (see :data:`~atr_model.data.borders.CUT_OFF_KINDS`).

    The gap is the shortest line between the two; the part of it inside no raion polygon is land
    of another country (or of a foreign enclave), which no merger can bridge.
    """
    gap = shapely.shortest_line(geom, largest)
    gap_m = float(gap.length)
    near = raions_m[raions_m.intersects(gap)]
    inside_m = float(sum(shapely.intersection(gap, r).length for r in near))
    outside_m = max(gap_m - inside_m, 0.0)
    if not touches:
        kind = "foreign_all_round"
    else:
        kind = "foreign_land" if outside_m >= 0.5 * gap_m else "other_raions"
    return {"gap_km": round(gap_m / 1000.0, 3), "gap_outside_raions_km": round(outside_m / 1000.0, 3),
            "cut_off_by": kind}


def _located_pieces(
    raion_code: str, pieces: list[dict[str, Any]], area_m: Any, raions_m: gpd.GeoSeries,
) -> list[dict[str, Any]]:
    """The allocation's raion pieces with the raion code, the raions each piece touches, what
    cuts each detached piece off (:func:`_cut_off`) and a point inside in EPSG:4326."""
    if not pieces:
        return []
    points = gpd.GeoSeries(gpd.points_from_xy([p["x"] for p in pieces], [p["y"] for p in pieces]),
                           crs=metric_crs())
    parts = list(shapely.get_parts(area_m))
    largest = max(parts, key=lambda g: g.area)
    out = []
    for piece, pt_m, pt in zip(pieces, points, points.to_crs(CRS)):
        geom = next((g for g in parts if g.covers(pt_m)), pt_m)
        entry = {"raion_code": raion_code, **{k: v for k, v in piece.items() if k not in ("x", "y")}}
        entry["touches_raions"] = _touching(geom, raion_code, raions_m)
        if not piece["largest"]:
            entry.update(_cut_off(geom, largest, entry["touches_raions"], raions_m))
        out.append({**entry, "lon": round(pt.x, 5), "lat": round(pt.y, 5)})
    return out


def _voronoi_territories(
    units: pd.DataFrame,
    settlements: gpd.GeoDataFrame,
    raions: gpd.GeoDataFrame,
    official: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Voronoi territories (metric CRS) and ``geometry_source`` of every unit."""
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


#: Gap or overlap tolerated between neighbouring territories when the build report counts
#: neighbours: both methods draw exact coverages, so 1 m only absorbs rounding.
REPORT_BORDER_TOLERANCE_M = 1.0


def _pairs(drawn: Territories) -> dict[tuple[str, str], float]:
    codes = np.array(sorted(drawn.geoms_m), dtype=object)
    geoms = np.array([drawn.geoms_m[c] for c in codes], dtype=object)
    frame = shared_borders(codes, geoms, tolerance_m=REPORT_BORDER_TOLERANCE_M)
    return {(a, b): float(m) for a, b, m in frame.itertuples(index=False)}


def _multipart(drawn: Territories) -> list[str]:
    return sorted(c for c, g in drawn.geoms_m.items() if shapely.get_num_geometries(g) > 1)


def _raion_exclave_units(drawn: Territories, names: dict[str, str]) -> list[dict[str, Any]]:
    """The units in several pieces because their raion is: code, name, each piece's area, and the
    detached raion pieces they hold with what cuts each off (:func:`~atr_model.data.borders.detached_pieces_of`)."""
    out = []
    for code in sorted(drawn.raion_piece_units):
        areas = sorted((round(p.area / 1e6, 2) for p in shapely.get_parts(drawn.geoms_m[code])), reverse=True)
        out.append({"unit_code": code, "name_ru": names.get(code, ""), "pieces_km2": areas,
                    "detached_pieces": detached_pieces_of(code, drawn.raion_pieces)})
    return out


def compare_territories(
    voronoi: Territories, drawn: Territories, method: str, listed: frozenset[str],
    names: dict[str, str] | None = None,
) -> dict[str, Any]:
    """What the territory method changed against Voronoi cells: pieces and neighbours.

    Parameters
    ----------
    voronoi, drawn : Territories
        The Voronoi territories and the ones of the build (the same object for a Voronoi build).
    method : str
        The build's territory method.
    listed : frozenset of str
        The user's exclave list.
    names : dict, optional
        Unit names (``name_ru``) by code, for the raion exclaves.

    Returns
    -------
    dict
        ``method``; ``units_multipart`` (units split by the allocation itself: in several
        pieces, yet neither listed exclaves nor raion exclaves; 0 on the Kyrgyz build),
        ``units_multipart_raion_exclave`` (units in several pieces because their raion's polygon
        is: each of their pieces lies in another piece of the raion) with
        ``raion_exclave_units`` (code, name, pieces' areas), ``units_multipart_total``,
        ``units_multipart_voronoi``, ``raion_piece_units`` (codes of the raion exclaves),
        ``raion_pieces`` (every piece of a raion drawn in pieces: area, seed points, holders,
        whether unplaced, whether a sliver, the raions it touches), ``unplaced_raion_land_km2``
        and ``unplaced_raion_pieces`` (the detached pieces with no settlement, held by no unit:
        the units of their raion do not cover it whole), ``min_detached_piece_km2``,
        ``exclave_units``, ``listed_exclaves``, ``no_seed_cell``, ``adjacent_pairs``,
        ``adjacent_pairs_voronoi``, ``pairs_added`` / ``pairs_removed`` (``[a, b, border m]``),
        ``min_shared_border_m`` and ``notes``.
    """
    before, after = _pairs(voronoi), _pairs(drawn)
    multipart = _multipart(drawn)
    explained = set(drawn.raion_piece_units) | set(listed)
    unplaced = [p["area_km2"] for p in drawn.raion_pieces if p["unplaced"]]
    return {
        "method": method,
        "units_multipart": len([c for c in multipart if c not in explained]),
        "units_multipart_raion_exclave": len(drawn.raion_piece_units),
        "raion_exclave_units": _raion_exclave_units(drawn, names or {}),
        "units_multipart_total": len(multipart),
        "units_multipart_voronoi": len(_multipart(voronoi)),
        "raion_piece_units": sorted(drawn.raion_piece_units),
        "raion_pieces": list(drawn.raion_pieces),
        "unplaced_raion_land_km2": round(float(sum(unplaced)), 3),
        "unplaced_raion_pieces": len(unplaced),
        "min_detached_piece_km2": MIN_DETACHED_PIECE_KM2,
        "exclave_units": sorted(drawn.exclave_units),
        "listed_exclaves": sorted(listed),
        "no_seed_cell": sorted(drawn.no_seed_cell),
        "adjacent_pairs": len(after),
        "adjacent_pairs_voronoi": len(before),
        "pairs_added": [[a, b, round(after[(a, b)], 1)] for a, b in sorted(set(after) - set(before))],
        "pairs_removed": [[a, b, round(before[(a, b)], 1)] for a, b in sorted(set(before) - set(after))],
        "min_shared_border_m": MIN_SHARED_BORDER_M,
        "notes": list(drawn.notes),
    }
