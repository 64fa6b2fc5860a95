"""Kyrgyz build, stage 5b: terrain-cost allocation of a raion's land to its units.

The elevation grid (GEBCO) is resampled once to square cells in the metric CRS
(:func:`read_cost_grid`). Inside each raion, every cell of the raion is given to the
unit whose seeds (its located settlements and its centre) reach it at the least travel time,
by one multi-source shortest-path search on the grid graph (8 neighbours;
``scipy.sparse.csgraph.dijkstra(min_only=True)``). A step between two cells takes the modelled
network's terrain time (:func:`atr_model.data.terrain.terrain_time_min`: distance x detour /
speed plus the climb, the climb averaged over both directions so that the cost is symmetric),
slowed down in the seasonal and the blocked altitude bands
(:func:`~atr_model.data.terrain.altitude_factor`). A ridge between two valleys is therefore
expensive from both sides, and the boundary settles on it. Each region grows through its
shortest-path tree, so it is connected by construction.

The search runs on the cells whose centre lies in the raion; where it reached a cell only
through a corner, a second search on the 4-neighbour graph hands that cell on
(:func:`_four_connected`), so every unit's cells are edge-connected; cells that only graze the
raion join their cheapest edge neighbour. The cells are polygonised
(:func:`rasterio.features.shapes`), dissolved per unit, their staircase borders simplified as a
coverage (``shapely.coverage_simplify`` on the inner edges only) and clipped to the raion. What
clipping or the grid's edge leaves over is repaired deterministically (:func:`_repair`): a gap,
or a piece of a unit cut off from the rest of it, goes to the unit it shares the longest border
with, else to the nearest unit. Shared borders are made vertex-identical, so the territories of
a raion form an exact coverage whose union is the raion (less its unplaced pieces, below).

A raion drawn in several pieces (the OCHA polygons of Ton, Tup, Jumgal, Batken, Aravan, Kara-Suu,
Panfilov, ... hold detached pastures and enclaves) is settled piece by piece
(:func:`_settle_raion_pieces`), because no allocation can keep a unit in one piece when its raion
is not:

- a piece holding seed points (settlements, centres) goes only to the units seeded in it; land
  another unit got there (through a cell grazing the piece, or a seed point whose cell centre
  falls outside a small piece) goes to the seeded unit it borders longest, else to the one with
  the most seed points there;
- a piece with no seed point (a summer pasture far from the raion's villages, or a
  digitisation sliver; even the raion's largest piece, as in Panfilov raion) is given to **no
  unit**: which aiyl aimak holds it is not in the open data, so no territory claims it. It stays
  *unplaced raion land*: the raion's polygon keeps it (the map shows it inside the raion's outline),
  the units' territories and ``area_km2`` leave it out, and it is recorded piece by piece
  (:attr:`Allocation.detached_pieces`: ``unplaced``; ``sliver`` when it is smaller than
  :data:`MIN_DETACHED_PIECE_KM2` and cannot be told from a digitisation sliver of the source polygon)
  and summed in the build report and ``data info`` (``unplaced_raion_land_km2``, ``unplaced_raion_pieces``).

A unit then stays in several pieces only when each of its pieces lies in a different piece of
its raion that holds its settlements or its centre (a *raion exclave*: the unit is in pieces
because its raion is) or when it is listed as a real exclave (``reference/exclaves.csv``;
:func:`atr_model.data.borders.piece_homes`). A listed exclave never claims an unplaced piece.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from affine import Affine
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import Point, shape

from atr_model.data.borders import piece_of, split_kind
from atr_model.data.geo import metric_crs
from atr_model.data.terrain import HALF_NEIGHBOUR_STEPS, altitude_factor, neighbour_pairs, terrain_time_min
from atr_model.errors import DataError

__all__ = [
    "DEFAULT_CELL_M",
    "MIN_DETACHED_PIECE_KM2",
    "PRECISION_M",
    "Allocation",
    "CostGrid",
    "PieceDecisions",
    "allocate_raion",
    "read_cost_grid",
]

logger = logging.getLogger(__name__)

#: Side of a cost-grid cell (m). GEBCO's 15 arc-second cells are about 350 x 460 m here; 500 m
#: keeps its detail (a ridge is several cells wide) and the whole build well under a minute.
DEFAULT_CELL_M = 500.0

#: Coordinates of the territories are rounded to this grid (m) so that borders computed
#: separately for two neighbours (where a cell edge meets the raion outline) coincide exactly.
PRECISION_M = 0.01

#: A detached piece of a raion's polygon with no seed point (no located settlement, no unit
#: centre) is left unplaced whatever its size; one smaller than this (km2, four cells of the
#: default cost grid) is also marked ``sliver`` in the record, as it cannot be told from a
#: digitisation sliver of the source polygon. The smallest real detached piece in the OCHA raion
#: layer that holds no settlement is 2.2 km2 (in Batken raion); the smallest holding a unit
#: centre is 0.73 km2 (Tash-Kumir city).
MIN_DETACHED_PIECE_KM2 = 1.0

#: Cell steps of the grid graph: right, down, and the two diagonals (the graph is undirected).
_STEPS = HALF_NEIGHBOUR_STEPS

#: Upper bound on the pieces handed over in one raion (a guard; a few dozen are usual).
_MAX_REPAIRS = 2000


@dataclass(frozen=True)
class CostGrid:
    """The elevation grid resampled to square cells in :func:`~atr_model.data.geo.metric_crs`.

    Attributes
    ----------
    elevation_m : numpy.ndarray
        Elevation (m) per cell, NaN where the source grid has no data.
    transform : affine.Affine
        Cell -> metric coordinates.
    cell_m : float
        Cell side (m).
    source : str
        The source file, for messages.
    """

    elevation_m: np.ndarray
    transform: Affine
    cell_m: float
    source: str


@dataclass
class PieceDecisions:
    """What drawing the territories decided about units in several pieces.

    Attributes
    ----------
    raion_piece_units : list of str
        Raion exclaves: units in several pieces because the raion itself is in several pieces.
    exclave_units : list of str
        Listed exclaves left in several pieces.
    no_seed_cell : list of str
        Units none of whose seed points fell on a cell of their own (given the free cell
        nearest to their first seed point, normally the centre).
    notes : list of str
        Decisions worth reporting.
    """

    raion_piece_units: list[str] = field(default_factory=list)
    exclave_units: list[str] = field(default_factory=list)
    no_seed_cell: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Allocation(PieceDecisions):
    """Territories of one raion's units and what the allocation had to decide
    (:class:`PieceDecisions`).

    Attributes
    ----------
    territories : dict
        Polygon (metric CRS) by unit code.
    detached_pieces : list of dict
        Every piece of a raion drawn in several pieces, largest first: ``largest``,
        ``area_km2``, ``seed_points`` (seed points inside), ``units`` (who holds it; empty when
        unplaced), ``unplaced`` (a detached piece with no seed point, held by no unit),
        ``sliver`` (unplaced and smaller than :data:`MIN_DETACHED_PIECE_KM2`) and ``x``/``y``
        (metric) of a point inside it.
    """

    territories: dict[str, Any] = field(default_factory=dict)
    detached_pieces: list[dict[str, Any]] = field(default_factory=list)


def read_cost_grid(path: Path, bounds_m: tuple[float, float, float, float], cell_m: float = DEFAULT_CELL_M) -> CostGrid:
    """Resample an elevation raster to ``cell_m`` cells over ``bounds_m`` (metric CRS).

    Raises
    ------
    DataError
        When the file cannot be read or has no CRS.
    """
    import rasterio
    from rasterio.warp import Resampling, reproject

    if not cell_m > 0:
        raise DataError(f"terrain cost grid: cell size must be positive, got {cell_m!r}")
    minx, miny, maxx, maxy = bounds_m
    width = int(np.ceil((maxx - minx) / cell_m)) + 2
    height = int(np.ceil((maxy - miny) / cell_m)) + 2
    transform = Affine(cell_m, 0.0, minx - cell_m, 0.0, -cell_m, maxy + cell_m)
    out = np.full((height, width), np.nan, dtype="float64")
    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise DataError(f"{path}: elevation raster has no CRS")
            band = src.read(1, masked=True).astype("float64").filled(np.nan)
            reproject(
                band, out, src_transform=src.transform, src_crs=src.crs, src_nodata=np.nan,
                dst_transform=transform, dst_crs=metric_crs().to_wkt(), dst_nodata=np.nan,
                resampling=Resampling.average,
            )
    except rasterio.errors.RasterioError as exc:
        raise DataError(f"{path}: not a readable elevation raster ({exc})") from exc
    return CostGrid(out, transform, float(cell_m), str(path))


def _apply(t: Affine, x: Any, y: Any) -> tuple[Any, Any]:
    """``t`` applied to coordinates (scalars or arrays)."""
    return t.a * x + t.b * y + t.c, t.d * x + t.e * y + t.f


def _window(grid: CostGrid, bounds: tuple[float, float, float, float]) -> tuple[slice, slice]:
    inv = ~grid.transform
    c0, r0 = _apply(inv, bounds[0], bounds[3])
    c1, r1 = _apply(inv, bounds[2], bounds[1])
    h, w = grid.elevation_m.shape
    rows = slice(max(int(np.floor(r0)) - 1, 0), min(int(np.ceil(r1)) + 1, h))
    cols = slice(max(int(np.floor(c0)) - 1, 0), min(int(np.ceil(c1)) + 1, w))
    return rows, cols


def _grid_graph(
    elev: np.ndarray, mask: np.ndarray, index: np.ndarray, cell_m: float, steps: tuple[tuple[int, int], ...] = _STEPS,
) -> csr_matrix:
    """Grid graph over the masked cells (one arc per neighbour pair), weighted by terrain time (min)."""
    heads, tails, weights = [], [], []
    for dr, dc, a, b, both in neighbour_pairs(mask, steps):
        ha, hb = elev[a][both], elev[b][both]
        step_m = cell_m * (np.sqrt(2.0) if dr and dc else 1.0)
        # mean of the two directions: the climb is paid one way only
        minutes = terrain_time_min(step_m, np.abs(hb - ha) / 2.0) * altitude_factor(np.fmax(ha, hb))
        heads.append(index[a][both])
        tails.append(index[b][both])
        weights.append(minutes)
    n = int(mask.sum())
    return csr_matrix(
        (np.concatenate(weights), (np.concatenate(heads), np.concatenate(tails))), shape=(n, n))


def _attach_grazing(label: np.ndarray, cost: np.ndarray, grazing: np.ndarray) -> None:
    """Give each cell that only grazes the raion the unit of its cheapest edge neighbour (in place).

    A grazing cell without a labelled edge neighbour stays unlabelled; the piece of the raion
    it covers is handed over with the other gaps (:func:`_repair`).
    """
    h, w = label.shape
    best = np.full(label.shape, np.inf)
    pick = np.full(label.shape, -1, dtype=np.int32)
    padded_cost = np.pad(cost, 1, constant_values=np.inf)
    padded_label = np.pad(label, 1, constant_values=-1)
    for dr, dc in ((0, 1), (0, -1), (1, 0), (-1, 0)):
        nb_cost = padded_cost[1 + dr:1 + dr + h, 1 + dc:1 + dc + w]
        nb_label = padded_label[1 + dr:1 + dr + h, 1 + dc:1 + dc + w]
        better = grazing & (nb_label >= 0) & (nb_cost < best)
        best[better] = nb_cost[better]
        pick[better] = nb_label[better]
    label[grazing] = pick[grazing]


def _four_connected(
    node_label: np.ndarray, dist: np.ndarray, seed_nodes: np.ndarray, n: int,
    elev: np.ndarray, mask: np.ndarray, index: np.ndarray, cell_m: float,
) -> np.ndarray:
    """Make every unit's cells edge-connected (4-neighbours), so it polygonises as one piece.

    The 8-neighbour search may reach cells through a diagonal step between two cells of other
    units; such cells are connected to their unit only at a corner. Per unit, the edge-connected
    component holding its seed cells (the largest such) is kept; the other cells are given out
    again by a second search on the 4-neighbour graph that starts from the kept cells at their
    travel time, each taking the unit of the first kept cell on its path (so it hangs on that
    unit's kept component by edges).
    """
    from scipy.ndimage import label as components

    rr, cc = np.nonzero(mask)
    keep = np.zeros(n, dtype=bool)
    seeds_of: dict[int, list[int]] = {}
    for node in seed_nodes:
        seeds_of.setdefault(int(node_label[node]), []).append(int(node))
    grid_label = np.full(mask.shape, -1, dtype=np.int64)
    grid_label[rr, cc] = node_label
    for unit, seeds in seeds_of.items():
        comp, _count = components(grid_label == unit)
        comp_of_node = comp[rr, cc]
        seed_comps = comp_of_node[seeds]
        sizes = np.bincount(comp_of_node, minlength=int(seed_comps.max()) + 1)
        best = max(set(seed_comps.tolist()), key=lambda k: (sizes[k], -k))
        keep |= comp_of_node == best
    if keep[node_label >= 0].all():
        return node_label
    four = _grid_graph(elev, mask, index, cell_m, steps=((0, 1), (1, 0)))
    four = (four + four.T).tocoo()
    kept = np.flatnonzero(keep)
    # a virtual source (node n) reaches every kept cell at its travel time (plus a hair, as a
    # zero weight would mean no arc)
    rows = np.concatenate([four.row, np.full(len(kept), n)])
    cols = np.concatenate([four.col, kept])
    vals = np.concatenate([four.data, dist[kept] + 1e-9])
    graph = csr_matrix((vals, (rows, cols)), shape=(n + 1, n + 1))
    _d, pred = dijkstra(graph, directed=True, indices=n, return_predecessors=True)
    out = np.where(keep, node_label, -1)
    todo = np.flatnonzero(~keep & (pred[:n] >= 0))
    anchor = todo.copy()
    # walk up each path until the first kept cell (pointer jumping would be faster; paths are short)
    while len(todo):
        anchor[:] = np.where(keep[anchor], anchor, pred[anchor])
        done = keep[anchor]
        if done.all():
            break
        if (pred[anchor[~done]] < 0).any():
            raise DataError("territory allocation: a path of the second search lost its kept cell")
    out[todo] = node_label[anchor] if len(todo) else out[todo]
    return out


def _seed_cells(
    seeds: list[tuple[str, list[Point]]], centres_xy: np.ndarray, index: np.ndarray, transform: Affine,
) -> tuple[dict[int, int], list[int]]:
    """Seed node -> unit position; and the units left without a seed cell.

    A cell claimed by several units goes to the unit with a point nearest the cell's centre
    (ties: the first unit code); each cell is a seed of one unit only.
    """
    inv = ~transform
    claims: dict[int, tuple[float, int]] = {}
    h, w = index.shape
    for pos, (_code, points) in enumerate(seeds):
        for pt in points:
            col, row = _apply(inv, pt.x, pt.y)
            r, c = int(np.floor(row)), int(np.floor(col))
            if not (0 <= r < h and 0 <= c < w) or index[r, c] < 0:
                continue
            node = int(index[r, c])
            dist = float(np.hypot(*(centres_xy[node] - (pt.x, pt.y))))
            if node not in claims or (dist, pos) < claims[node]:
                claims[node] = (dist, pos)
    owner = {node: pos for node, (_d, pos) in claims.items()}
    seeded = set(owner.values())
    return owner, [pos for pos in range(len(seeds)) if pos not in seeded]


def allocate_raion(
    area_m: Any,
    seeds: list[tuple[str, list[Point]]],
    grid: CostGrid,
    *,
    where: str,
    exclaves: frozenset[str] = frozenset(),
    simplify: bool = True,
) -> Allocation:
    """Allocate a raion's land (metric CRS) to its units by least terrain travel time.

    Parameters
    ----------
    area_m : shapely geometry
        The raion (minus any official unit polygons), metric CRS.
    seeds : list of (str, list of Point)
        Each unit's seed points (its centre first, then its located settlements), metric CRS.
    grid : CostGrid
        From :func:`read_cost_grid`.
    where : str
        Names the raion in messages.
    exclaves : frozenset of str
        Units allowed to stay in several pieces.
    simplify : bool
        Simplify the staircase borders between units (as a coverage).

    Returns
    -------
    Allocation

    Raises
    ------
    DataError
        When the grid has no data over the raion, or a unit has no seed point at all.
    """
    from rasterio.features import geometry_mask, shapes

    if not seeds:
        raise DataError(f"raion {where}: no unit to allocate its territory to")
    for code, points in seeds:
        if not points:
            raise DataError(f"unit {code} (raion {where}): no seed point (neither a centre nor a located settlement)")
    rows, cols = _window(grid, area_m.bounds)
    elev = grid.elevation_m[rows, cols]
    t = grid.transform
    transform = Affine(t.a, t.b, _apply(t, cols.start, rows.start)[0], t.d, t.e, _apply(t, cols.start, rows.start)[1])
    touched = np.zeros(elev.shape, dtype=bool)
    mask = touched
    if elev.size:
        # the search runs on the cells whose centre lies in the raion (a cell that only grazes
        # it would bridge land the raion's outline separates); grazing cells join afterwards
        touched = geometry_mask([area_m], out_shape=elev.shape, transform=transform, invert=True, all_touched=True)
        touched &= np.isfinite(elev)
        mask = geometry_mask([area_m], out_shape=elev.shape, transform=transform, invert=True) & touched
        if not mask.any():  # a raion smaller than a cell
            mask = touched
    if not mask.any():
        raise DataError(f"{grid.source}: the elevation grid does not cover raion {where} (no cell with data)")
    index = np.full(mask.shape, -1, dtype=np.int64)
    index[mask] = np.arange(int(mask.sum()))
    rr, cc = np.nonzero(mask)
    centres_xy = np.column_stack(_apply(transform, cc + 0.5, rr + 0.5))

    out = Allocation()
    owner, unseeded = _seed_cells(seeds, centres_xy, index, transform)
    for pos in unseeded:
        # no cell of its own: the free cell nearest to its first seed point (its centre)
        first = seeds[pos][1][0]
        d = np.hypot(centres_xy[:, 0] - first.x, centres_xy[:, 1] - first.y)
        d[list(owner)] = np.inf
        node = int(np.argmin(d))
        if not np.isfinite(d[node]):
            raise DataError(f"unit {seeds[pos][0]} (raion {where}): no free grid cell left for it")
        owner[node] = pos
        out.no_seed_cell.append(seeds[pos][0])
    seed_nodes = np.array(sorted(owner), dtype=np.int64)
    graph = _grid_graph(elev, mask, index, grid.cell_m)
    dist, _pred, sources = dijkstra(graph, directed=False, indices=seed_nodes, min_only=True,
                                    return_predecessors=True)
    unit_of_node = np.full(len(centres_xy), -1, dtype=np.int32)
    unit_of_node[seed_nodes] = [owner[int(n)] for n in seed_nodes]
    node_label = np.where(sources >= 0, unit_of_node[np.maximum(sources, 0)], -1)
    node_label = _four_connected(node_label, dist, seed_nodes, graph.shape[0], elev, mask, index, grid.cell_m)
    label = np.full(mask.shape, -1, dtype=np.int32)
    label[rr, cc] = node_label
    cost = np.full(mask.shape, np.inf)
    cost[rr, cc] = np.where(node_label >= 0, dist, np.inf)
    _attach_grazing(label, cost, touched & ~mask)

    pieces: dict[int, list[Any]] = {}
    for geom, value in shapes(label, mask=label >= 0, connectivity=4, transform=transform):
        pieces.setdefault(int(value), []).append(shape(geom))
    # a vertex at every cell corner along every border, so neighbours' borders match vertex for vertex
    cells = {
        code: shapely.set_precision(shapely.segmentize(shapely.union_all(pieces.get(pos, [])), grid.cell_m), PRECISION_M)
        for pos, (code, _points) in enumerate(seeds)
    }
    if simplify:
        # the staircase borders between units, simplified as a coverage before clipping: the
        # outer staircase (outside the raion's outline) is left as it is and cut off below
        codes = sorted(code for code, geom in cells.items() if not geom.is_empty)
        simple = shapely.coverage_simplify(np.array([cells[c] for c in codes]), grid.cell_m,
                                           simplify_boundary=False)
        cells.update(zip(codes, simple))
    territories = {
        code: _polygonal(shapely.set_precision(shapely.intersection(geom, area_m), PRECISION_M))
        for code, geom in cells.items()
    }
    area = shapely.set_precision(area_m, PRECISION_M)
    _repair(territories, area, exclaves, out)
    area = _settle_raion_pieces(territories, area, seeds, out)
    _edge_match(territories)
    if not shapely.coverage_is_valid(np.array([territories[c] for c in sorted(territories)], dtype=object)):
        logger.warning("raion %s: territories do not form an exact coverage", where)
    for code, geom in territories.items():
        if geom.is_empty:
            raise DataError(f"unit {code}: no territory could be built in raion {where}")
    out.territories = territories
    _classify_pieces(out, area, exclaves)
    return out


def _polygonal(geom: Any) -> Any:
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    polys = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(polys) if polys else shapely.Polygon()


def _gaps(territories: dict[str, Any], area: Any) -> list[Any]:
    """Pieces of the raion no unit holds (cells the search did not reach, grid edges)."""
    covered = shapely.union_all([g for g in territories.values() if not g.is_empty])
    gap = area if covered.is_empty else _polygonal(
        shapely.set_precision(shapely.difference(area, covered), PRECISION_M))
    return sorted((p for p in shapely.get_parts(gap) if p.area > 0), key=lambda p: (p.area, p.bounds))


def _fragments(territories: dict[str, Any], raion_pieces: list[Any], exclaves: frozenset[str]) -> list[tuple[str, Any]]:
    """Every piece of a unit but its largest one within each raion piece (listed exclaves keep
    theirs)."""
    out: list[tuple[str, Any]] = []
    for code in sorted(territories):
        parts = list(shapely.get_parts(territories[code]))
        if len(parts) < 2 or code in exclaves:
            continue
        by_piece: dict[int, list[Any]] = {}
        for part in parts:
            by_piece.setdefault(piece_of(part, raion_pieces) if len(raion_pieces) > 1 else 0, []).append(part)
        for group in by_piece.values():
            group.sort(key=lambda p: (-p.area, p.bounds))
            out += [(code, p) for p in group[1:]]
    return out


def _receiver(origin: str | None, frag: Any, territories: dict[str, Any]) -> str | None:
    """Unit sharing the longest border with ``frag`` (not its origin), else the nearest unit."""
    best, best_len = None, 0.0
    ring = frag.boundary
    for code in sorted(territories):
        geom = territories[code]
        if code == origin or geom.is_empty or not geom.intersects(frag):
            continue
        length = shapely.intersection(ring, geom).length
        if length > best_len:
            best, best_len = code, length
    if best is not None:
        return best
    if origin is not None:
        return None  # touches nobody else: it stays with its unit
    near = [(territories[c].distance(frag), c) for c in sorted(territories) if not territories[c].is_empty]
    return min(near)[1] if near else None


def _repair(territories: dict[str, Any], area: Any, exclaves: frozenset[str], out: Allocation) -> None:
    """Hand gaps and cut-off pieces over, smallest first, until every unit is one piece per
    raion piece or what is left cannot move (it touches nobody else).

    The gaps go first (each to the unit it shares the longest border with, else the nearest);
    then the cut-off pieces, one at a time. A piece is moved at most once: a piece that comes
    round again stays where it is, so the loop always ends.
    """
    for gap in _gaps(territories, area):
        target = _receiver(None, gap, territories)
        if target is not None:
            _give(territories, None, gap, target)
    raion_pieces = list(shapely.get_parts(area))
    settled: set[tuple[float, ...]] = set()
    for _ in range(_MAX_REPAIRS):
        frags = sorted(_fragments(territories, raion_pieces, exclaves), key=lambda f: (f[1].area, f[1].bounds))
        frags = [f for f in frags if _key(f[1]) not in settled]
        if not frags:
            return
        origin, frag = frags[0]
        settled.add(_key(frag))
        target = _receiver(origin, frag, territories)
        if target is not None:
            _give(territories, origin, frag, target)
    logger.warning("territory repair stopped after %d moves", _MAX_REPAIRS)


def _give(territories: dict[str, Any], origin: str | None, piece: Any, target: str) -> None:
    """Move ``piece`` from ``origin`` (None for a gap) to ``target`` (in place)."""
    if origin is not None:
        rest = [p for p in shapely.get_parts(territories[origin]) if not p.equals(piece)]
        territories[origin] = shapely.union_all(rest) if rest else shapely.Polygon()
    merged = shapely.set_precision(shapely.union_all([territories[target], piece]), PRECISION_M)
    territories[target] = _polygonal(merged)


def _key(geom: Any) -> tuple[float, ...]:
    """Identity of a piece across rounds (its bounds to the metre)."""
    return tuple(round(v) for v in geom.bounds)


def _edge_match(territories: dict[str, Any]) -> None:
    """Insert each unit's neighbours' vertices into its border where they lie on it, so shared
    borders have identical vertices (a coverage) (in place)."""
    codes = sorted(territories)
    geoms = np.array([territories[c] for c in codes], dtype=object)
    tree = shapely.STRtree(geoms)
    for i, code in enumerate(codes):
        others = [j for j in tree.query(geoms[i], predicate="intersects") if j != i]
        if not others:
            continue
        vertices = shapely.multipoints(shapely.get_coordinates(geoms[others]))
        geom = shapely.snap(geoms[i], vertices, PRECISION_M)
        territories[code] = geom if geom.is_valid else _polygonal(shapely.make_valid(geom))


def _classify_pieces(out: Allocation, area: Any, exclaves: frozenset[str]) -> None:
    """Record the units left in several pieces, and why."""
    for code, geom in sorted(out.territories.items()):
        kind = split_kind(geom, area, code in exclaves)
        if kind == "listed":
            out.exclave_units.append(code)
        elif kind == "raion":
            out.raion_piece_units.append(code)
        elif kind == "split":
            out.notes.append(f"unit {code}: {shapely.get_num_geometries(geom)} pieces left after repair")


def _seed_count(piece: Any, seeds: list[tuple[str, list[Point]]]) -> dict[str, int]:
    """Seed points of each unit inside ``piece`` (units with none are left out)."""
    counts: dict[str, int] = {}
    for code, points in seeds:
        n = sum(1 for pt in points if piece.covers(pt))
        if n:
            counts[code] = n
    return counts


def _land_in(territories: dict[str, Any], piece: Any) -> dict[str, Any]:
    """Each unit's land inside ``piece`` (units with none are left out)."""
    out = {}
    for code in sorted(territories):
        geom = territories[code]
        if geom.is_empty or not geom.intersects(piece):
            continue
        land = _polygonal(shapely.set_precision(shapely.intersection(geom, piece), PRECISION_M))
        if land.area > 0:
            out[code] = land
    return out


def _move_land(territories: dict[str, Any], origin: str, land: Any, target: str | None) -> None:
    """Take ``land`` from ``origin`` and give it to ``target`` (None: drop it) (in place)."""
    rest = shapely.set_precision(shapely.difference(territories[origin], land), PRECISION_M)
    territories[origin] = _polygonal(rest)
    if target is not None:
        merged = shapely.set_precision(shapely.union_all([territories[target], land]), PRECISION_M)
        territories[target] = _polygonal(merged)


def _piece_moves(
    land: dict[str, Any], counts: dict[str, int], unplaced: bool,
) -> list[tuple[str, str | None]]:
    """Who gives its land in one raion piece to whom (``None``: to nobody), in a fixed order.

    An unplaced piece (no settlement, no centre: the data cannot say whose it is) goes to nobody;
    in a piece with seed points, a unit without any gives its land to the seeded unit it shares
    the longest border with (else the one with most points); a seedless piece kept placed (the
    raion's largest when no piece holds a seed) goes whole to the unit with most land in it.
    """
    if unplaced:
        return [(code, None) for code in land]
    if counts:
        moves: list[tuple[str, str | None]] = []
        for code in sorted(set(land) - set(counts)):
            borders = sorted((-shapely.intersection(land[code].boundary, land[c]).length, c)
                             for c in sorted(counts) if c in land)
            target = borders[0][1] if borders and borders[0][0] < 0 else max(sorted(counts), key=lambda c: counts[c])
            moves.append((code, target))
        return moves
    if len(land) > 1:
        keeper = max(sorted(land), key=lambda c: land[c].area)
        return [(code, keeper) for code in sorted(set(land) - {keeper})]
    return []


def _settle_raion_pieces(
    territories: dict[str, Any], area: Any, seeds: list[tuple[str, list[Point]]], out: Allocation,
) -> Any:
    """Settle a raion drawn in several pieces, piece by piece (see the module docstring).

    Returns the raion's land less its unplaced pieces; records every piece in
    ``out.detached_pieces``.
    """
    pieces = sorted(shapely.get_parts(area), key=lambda p: (-p.area, p.bounds))
    if len(pieces) < 2:
        return area
    kept = []
    seed_counts = [_seed_count(piece, seeds) for piece in pieces]
    # a raion none of whose pieces holds a seed point (its units' points all lie outside it)
    # keeps its largest piece placed, so that its units get land at all
    any_seeded = any(seed_counts)
    for rank, (piece, counts) in enumerate(zip(pieces, seed_counts)):
        land = _land_in(territories, piece)
        unplaced = not counts and (any_seeded or rank > 0)
        for code, target in _piece_moves(land, counts, unplaced):
            _move_land(territories, code, land[code], target)
        if not unplaced:
            kept.append(piece)
        inside = piece.representative_point()
        out.detached_pieces.append({
            "largest": rank == 0,
            "area_km2": round(piece.area / 1e6, 3),
            "seed_points": int(sum(counts.values())),
            "units": [] if unplaced else sorted(_land_in(territories, piece)),
            "unplaced": bool(unplaced),
            "sliver": bool(unplaced and piece.area < MIN_DETACHED_PIECE_KM2 * 1e6),
            "x": round(inside.x, 1), "y": round(inside.y, 1),
        })
    return area if len(kept) == len(pieces) else shapely.union_all(kept)
