"""Elevation sampling from a GeoTIFF (GEBCO or the demo DEM) for terrain penalties and passes.

Besides sampling points and straight profiles, it finds the lowest crossing between two places
on the grid (:func:`lowest_crossing`) and the fastest route below it (:func:`crossing_route`),
which the modelled network uses where a straight link climbs over a blocked or seasonal crest
that the terrain lets it go round (:mod:`atr_model.network.fallback`).

The terrain cost itself (:func:`terrain_time_min`, :func:`altitude_factor`) lives in the data
layer, :mod:`atr_model.data.terrain`, because the terrain-cost territories of the data build use
it too; it is re-exported here for the network layer.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from pyproj import CRS, Transformer
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from atr_model.data import altitude_factor, neighbour_pairs, terrain_time_min
from atr_model.errors import NetworkError

__all__ = [
    "CrossingRoute",
    "ElevationRaster",
    "GridWindow",
    "SegmentProfile",
    "altitude_factor",
    "crossing_route",
    "lowest_crossing",
    "terrain_time_min",
]

logger = logging.getLogger(__name__)

#: Mean Earth radius (m): cell sides of a longitude/latitude grid in metres.
_EARTH_RADIUS_M = 6_371_008.8
#: 8-connectivity of the grid (a crossing may pass between two cells touching at a corner).
_EIGHT = np.ones((3, 3), dtype=bool)


@dataclass(frozen=True)
class SegmentProfile:
    """Terrain along straight links.

    Attributes
    ----------
    max_elevation_m : numpy.ndarray
        Highest sampled point of each link (NaN when the raster has no data there).
    ascent_forward_m, ascent_backward_m : numpy.ndarray
        Total climb going from the first to the second end, and back.
    """

    max_elevation_m: np.ndarray
    ascent_forward_m: np.ndarray
    ascent_backward_m: np.ndarray


@dataclass(frozen=True)
class GridWindow:
    """A rectangle of the elevation grid around a link, with its cells measured in metres.

    Attributes
    ----------
    elevation_m : numpy.ndarray, shape (h, w)
        Elevation per cell; NaN (no data) is impassable.
    cell_width_m : numpy.ndarray, shape (h,)
        East-west side of the cells of each row (narrower to the north on a longitude/latitude grid).
    cell_height_m : float
        North-south side of the cells.
    start, end : tuple of int
        ``(row, column)`` of the cells holding the two ends of the link.
    """

    elevation_m: np.ndarray
    cell_width_m: np.ndarray
    cell_height_m: float
    start: tuple[int, int]
    end: tuple[int, int]


@dataclass(frozen=True)
class CrossingRoute:
    """The fastest route between the ends of a :class:`GridWindow` through cells below a threshold.

    Attributes
    ----------
    time_forward_min, time_backward_min : float
        Terrain time from start to end along the route, and back along the same route
        (:func:`terrain_time_min` per grid step).
    highest_m : float
        Highest cell of the route: the elevation of the crossing actually used.
    cells : numpy.ndarray, shape (k, 2)
        ``(row, column)`` of the cells of the forward route, start to end.
    """

    time_forward_min: float
    time_backward_min: float
    highest_m: float
    cells: np.ndarray


class ElevationRaster:
    """An elevation grid held in memory, sampled at longitude/latitude points.

    Parameters
    ----------
    path : path-like
        A single-band raster readable by rasterio (GeoTIFF), elevation in metres.

    Raises
    ------
    NetworkError
        When the file is missing, unreadable or has no CRS.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        import rasterio

        self.path = Path(path)
        if not self.path.exists():
            raise NetworkError(f"{self.path}: elevation file not found")
        try:
            with rasterio.open(self.path) as src:
                band = src.read(1, masked=True)
                self._transform = src.transform
                crs = src.crs
        except rasterio.errors.RasterioError as exc:
            raise NetworkError(f"{self.path}: not a readable elevation raster ({exc})") from exc
        if crs is None:
            raise NetworkError(f"{self.path}: elevation raster has no CRS; expected EPSG:4326 or a projected CRS")
        self._grid = np.ma.filled(band.astype("float64"), np.nan)
        self._inverse = ~self._transform
        raster_crs = CRS.from_user_input(crs.to_wkt())
        self._geographic = bool(raster_crs.is_geographic)
        self._unit_m = 1.0 if self._geographic else float(raster_crs.axis_info[0].unit_conversion_factor)
        self._to_raster = (
            None
            if raster_crs.equals(CRS.from_epsg(4326))
            else Transformer.from_crs("EPSG:4326", raster_crs, always_xy=True)
        )

    @property
    def name(self) -> str:
        """File name, for labels."""
        return self.path.name

    def _cells(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row and column of the cells holding points, and whether they fall on the grid."""
        x = np.asarray(lon, dtype=float)
        y = np.asarray(lat, dtype=float)
        if self._to_raster is not None:
            x, y = self._to_raster.transform(x, y)
        inv = self._inverse
        col = np.floor(inv.a * x + inv.b * y + inv.c).astype(np.int64)
        row = np.floor(inv.d * x + inv.e * y + inv.f).astype(np.int64)
        h, w = self._grid.shape
        return row, col, (row >= 0) & (row < h) & (col >= 0) & (col < w)

    def sample(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Elevation (m) at points; NaN outside the grid or on nodata."""
        row, col, inside = self._cells(lon, lat)
        out = np.full(np.shape(row), np.nan)
        out[inside] = self._grid[row[inside], col[inside]]
        return out

    def window(self, lon: np.ndarray, lat: np.ndarray, margin_m: float) -> GridWindow | None:
        """The grid around two points: their bounding box grown by ``margin_m``, clipped to the grid.

        Parameters
        ----------
        lon, lat : numpy.ndarray, shape (2,)
            The two ends (EPSG:4326).
        margin_m : float
            Margin on every side (m).

        Returns
        -------
        GridWindow or None
            None when an end is off the grid or on a cell without data, or the grid is rotated
            (no crossing can be searched there).
        """
        t = self._transform
        row, col, inside = self._cells(lon, lat)
        if not inside.all() or t.b != 0 or t.d != 0:
            return None
        if np.isnan(self._grid[row, col]).any():
            return None
        height_m, width_m = self._cell_sides_m
        mid = int(round(float(row.mean())))
        pad_rows = int(np.ceil(margin_m / height_m))
        pad_cols = int(np.ceil(margin_m / max(float(width_m[mid]), 1e-9)))
        h, w = self._grid.shape
        r0, r1 = max(int(row.min()) - pad_rows, 0), min(int(row.max()) + pad_rows + 1, h)
        c0, c1 = max(int(col.min()) - pad_cols, 0), min(int(col.max()) + pad_cols + 1, w)
        return GridWindow(
            elevation_m=self._grid[r0:r1, c0:c1],
            cell_width_m=width_m[r0:r1],
            cell_height_m=height_m,
            start=(int(row[0]) - r0, int(col[0]) - c0),
            end=(int(row[1]) - r0, int(col[1]) - c0),
        )

    @cached_property
    def _cell_sides_m(self) -> tuple[float, np.ndarray]:
        """North-south side (m) of the cells and east-west side (m) of the cells of each row
        (computed once per grid, on the first :meth:`window`)."""
        t = self._transform
        rows = np.arange(self._grid.shape[0])
        if not self._geographic:
            return abs(t.e) * self._unit_m, np.full(len(rows), abs(t.a) * self._unit_m)
        lat = np.radians(t.f + (rows + 0.5) * t.e)
        per_degree = np.radians(1.0) * _EARTH_RADIUS_M
        return abs(t.e) * per_degree, abs(t.a) * per_degree * np.cos(lat)

    def check_covers(self, lon: np.ndarray, lat: np.ndarray, what: str) -> None:
        """Raise :class:`NetworkError` when no point of ``what`` falls on the grid."""
        values = self.sample(lon, lat)
        if len(values) and np.isnan(values).all():
            raise NetworkError(
                f"{self.path}: elevation raster does not cover {what} "
                "(check that it is the right area and that its CRS is declared correctly)"
            )
        missing = int(np.isnan(values).sum())
        if missing:
            logger.warning("%s: no elevation for %d of %d points of %s", self.path, missing, len(values), what)

    def profile(
        self,
        lon_a: np.ndarray,
        lat_a: np.ndarray,
        lon_b: np.ndarray,
        lat_b: np.ndarray,
        length_m: np.ndarray,
        spacing_m: float,
    ) -> SegmentProfile:
        """Sample straight links every ``spacing_m`` metres (2 to 400 samples per link)."""
        n = np.clip(np.ceil(np.asarray(length_m) / spacing_m).astype(np.int64) + 1, 2, 400)
        starts = np.concatenate([[0], np.cumsum(n)[:-1]])
        seg = np.repeat(np.arange(len(n)), n)
        frac = (np.arange(int(n.sum())) - starts[seg]) / (n[seg] - 1)
        lon = lon_a[seg] + frac * (lon_b[seg] - lon_a[seg])
        lat = lat_a[seg] + frac * (lat_b[seg] - lat_a[seg])
        elev = self.sample(lon, lat)
        filled = np.where(np.isnan(elev), -np.inf, elev)
        max_elev = np.maximum.reduceat(filled, starts) if len(n) else np.zeros(0)
        max_elev = np.where(np.isinf(max_elev), np.nan, max_elev)
        diff = np.diff(elev, append=np.nan)
        diff[starts + n - 1] = 0.0  # no step across link boundaries
        diff = np.nan_to_num(diff, nan=0.0)  # a gap in the grid adds no climb
        up = np.add.reduceat(np.clip(diff, 0, None), starts) if len(n) else np.zeros(0)
        down = np.add.reduceat(np.clip(-diff, 0, None), starts) if len(n) else np.zeros(0)
        return SegmentProfile(max_elevation_m=max_elev, ascent_forward_m=up, ascent_backward_m=down)


def _joined(window: GridWindow, threshold_m: float) -> np.ndarray | None:
    """Cells joined to both ends through cells at or below ``threshold_m`` (8-connectivity).

    Returns the mask of that component, or None when the ends are not joined. Cells without
    data (NaN) never pass.
    """
    from scipy.ndimage import label

    labels, _count = label(window.elevation_m <= threshold_m, structure=_EIGHT)
    first = labels[window.start]
    if first == 0 or first != labels[window.end]:
        return None
    joined: np.ndarray = labels == first
    return joined


def lowest_crossing(window: GridWindow, low_m: float, high_m: float, step_m: float) -> float | None:
    """Lowest threshold at which the two ends are joined through cells at or below it.

    Thresholds are tried on steps of ``step_m`` from ``low_m`` up to ``high_m`` (the last step
    capped at ``high_m``), by bisection, each test one labelling of the window
    (:func:`scipy.ndimage.label`, 8-connectivity). The *bottleneck* (the lowest possible highest
    cell of any route between the ends inside the window) lies in ``(T - step_m, T]`` for the
    returned ``T``, or equals ``low_m`` when ``T == low_m``.

    Parameters
    ----------
    window : GridWindow
        The grid around the link.
    low_m, high_m : float
        Search range (m): ``low_m`` is normally the higher end cell, ``high_m`` the highest
        threshold worth knowing about.
    step_m : float
        Precision of the search (m).

    Returns
    -------
    float or None
        The threshold, or None when the ends are not joined even at ``high_m``.
    """
    if _joined(window, high_m) is None:
        return None
    steps = int(np.ceil((high_m - low_m) / step_m)) if high_m > low_m else 0

    def threshold(k: int) -> float:
        return float(min(low_m + k * step_m, high_m))

    if steps == 0 or _joined(window, threshold(0)) is not None:
        return threshold(0)
    below, joined = 0, steps  # not joined at threshold(below), joined at threshold(joined)
    while joined - below > 1:
        mid = (below + joined) // 2
        if _joined(window, threshold(mid)) is None:
            below = mid
        else:
            joined = mid
    return threshold(joined)


def _step_arcs(
    window: GridWindow, passable: np.ndarray, index: np.ndarray, pace: dict[str, float],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Arcs both ways between neighbouring passable cells, timed by :func:`terrain_time_min`.

    Each of the four step directions (east, south, south-east, south-west) is taken as two
    shifted views of the window, so no cell is visited in Python.
    """
    h = passable.shape[0]
    z = window.elevation_m
    tails, heads, minutes = [], [], []
    for dr, dc, here, there, pair in neighbour_pairs(passable):
        row_width_m = (window.cell_width_m[: h - dr] + window.cell_width_m[dr:]) / 2.0
        step_m = np.broadcast_to(np.hypot(dc * row_width_m, dr * window.cell_height_m)[:, None], pair.shape)[pair]
        rise_m = z[there][pair] - z[here][pair]  # the climb of a step is paid one way only
        a, b = index[here][pair], index[there][pair]
        tails += [a, b]
        heads += [b, a]
        minutes += [terrain_time_min(step_m, np.clip(rise_m, 0.0, None), **pace),
                    terrain_time_min(step_m, np.clip(-rise_m, 0.0, None), **pace)]
    return np.concatenate(tails), np.concatenate(heads), np.concatenate(minutes)


def _walk_back(pred: np.ndarray, source: int, target: int) -> np.ndarray:
    """Nodes of a shortest path from ``source`` to ``target`` (from Dijkstra's predecessors)."""
    path = [target]
    while path[-1] != source:
        path.append(int(pred[path[-1]]))
    return np.asarray(path[::-1], dtype=np.int64)


def crossing_route(
    window: GridWindow, threshold_m: float, *, speed_kmh: float, detour_factor: float, climb_min_per_100m: float,
) -> CrossingRoute | None:
    """Fastest route from the start to the end of ``window`` through cells at or below ``threshold_m``.

    Each step to one of the 8 neighbour cells is timed like a straight modelled link:
    :func:`terrain_time_min` of the step's length with the climb of that step (descent free).
    The route is found by :func:`scipy.sparse.csgraph.dijkstra` on the cells of the component
    holding both ends, from the start; the way back is the same route driven the other way
    (one road, as a real one would be), with the climbs of that direction.

    Returns
    -------
    CrossingRoute or None
        None when the ends are not joined below ``threshold_m``.
    """
    component = _joined(window, threshold_m)
    if component is None:
        return None
    rows, cols = np.nonzero(component)
    index = np.full(component.shape, -1, dtype=np.int64)
    index[rows, cols] = np.arange(len(rows))
    pace = {"speed_kmh": speed_kmh, "detour_factor": detour_factor, "climb_min_per_100m": climb_min_per_100m}
    tails, heads, minutes = _step_arcs(window, component, index, pace)
    graph = csr_matrix((minutes, (tails, heads)), shape=(len(rows), len(rows)))
    start, end = int(index[window.start]), int(index[window.end])
    dist, pred = dijkstra(graph, directed=True, indices=start, return_predecessors=True)
    path = _walk_back(pred, start, end)
    r, c = rows[path], cols[path]
    z = window.elevation_m[r, c]
    width_m = (window.cell_width_m[r[:-1]] + window.cell_width_m[r[1:]]) / 2.0
    step_m = np.hypot(np.diff(c) * width_m, np.diff(r) * window.cell_height_m)
    back_min = terrain_time_min(step_m, np.clip(-np.diff(z), 0.0, None), **pace).sum()
    return CrossingRoute(
        time_forward_min=float(dist[end]),
        time_backward_min=float(back_min),
        highest_m=float(z.max()),
        cells=np.column_stack([r, c]),
    )
