"""The modelled travel network used when no road data is given.

Settlements (and unit centre points) are linked along a Delaunay triangulation plus their
k nearest neighbours, only within a raion and to neighbouring raions. A link takes
``distance x detour factor / speed`` plus a climbing penalty sampled from the elevation
raster; a link whose highest point is above ``seasonal_pass_m`` is seasonal and one above
``blocked_pass_m`` (and at least 50 m above both ends) is blocked (kept only to explain why
a place is cut off). Every figure built on it is labelled "modelled: no road data".

**Passes are found on the terrain, not along straight lines.** A straight line over mountains
overstates the height of the crossing (roads run along valleys), so a link whose straight line
is blocked or seasonal is searched for a lower crossing on the elevation grid, inside a corridor
around it (the bounding box of its ends grown by ``max(pass_corridor_share x length,
pass_corridor_min_km)``; :meth:`~atr_model.network.terrain.ElevationRaster.window`). The
*bottleneck* (the lowest threshold at which both end cells are joined through cells at or below
it, 8-connectivity, cells without data impassable) is found by bisection on steps of
``pass_step_m`` (:func:`~atr_model.network.terrain.lowest_crossing`), and only where it would
put the link in a better class (a blocked link open or seasonal, a seasonal link open): one
labelling of the corridor tells whether it can, so links that cannot cost little.
``pass_search`` limits the search to blocked links, or turns it off. Such a link
*goes round* (``detour``): its time is that of the fastest route on the grid through cells at
or below the bottleneck (the same terrain time per grid step as a straight link, with the climb
of each step; :func:`~atr_model.network.terrain.crossing_route`), never less than the straight
time, and its ``pass_elevation_m`` is the highest cell of that route. A blocked link is replaced
by its way round; a seasonal link keeps its pass for the season and gains the way round as a
second, all-season link beside it (:func:`_search_crossings`). A crossing that stays in the same
class keeps the straight line (a detour would only be slower).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from scipy.spatial import Delaunay, QhullError, cKDTree

from atr_model.network.settings import TravelSettings
from atr_model.network.terrain import ElevationRaster, crossing_route, lowest_crossing, terrain_time_min

__all__ = ["ModelledLinks", "modelled_links"]

logger = logging.getLogger(__name__)

#: A crest less than this above the higher end of a link is not a pass (sampling noise).
_PASS_PROMINENCE_M = 50.0


@dataclass(frozen=True)
class ModelledLinks:
    """Directed modelled arcs between places.

    Attributes
    ----------
    u, v : numpy.ndarray of int
        Place indices.
    time_min : numpy.ndarray
        Travel time including terrain penalties.
    distance_km : numpy.ndarray
        Straight-line distance.
    seasonal, blocked : numpy.ndarray of bool
        Pass above the seasonal or the blocking altitude.
    pass_elevation_m : numpy.ndarray
        Highest point of the crossing: the highest sample of the straight line, or the highest
        cell of the route of a link that goes round (NaN without elevation data).
    detour : numpy.ndarray of bool
        The link goes round its straight crest by a lower crossing found on the grid.
    """

    u: np.ndarray
    v: np.ndarray
    time_min: np.ndarray
    distance_km: np.ndarray
    seasonal: np.ndarray
    blocked: np.ndarray
    pass_elevation_m: np.ndarray
    detour: np.ndarray


def _candidate_pairs(xy: np.ndarray, k: int, max_link_m: float) -> np.ndarray:
    n = len(xy)
    pairs = []
    if n >= 3:
        try:
            tri = Delaunay(xy)
            s = tri.simplices
            edges = np.concatenate([s[:, [0, 1]], s[:, [1, 2]], s[:, [0, 2]]])
            edges = np.sort(edges, axis=1)
            length = np.hypot(*(xy[edges[:, 0]] - xy[edges[:, 1]]).T)
            pairs.append(edges[length <= max_link_m])
        except QhullError:  # all points on a line: k-nearest links suffice
            logger.info("Delaunay triangulation impossible (collinear places); using nearest neighbours only")
    if n >= 2:
        kk = min(k + 1, n)
        _, idx = cKDTree(xy).query(xy, k=kk)
        idx = np.asarray(idx).reshape(n, kk)
        a = np.repeat(np.arange(n), kk - 1)
        b = idx[:, 1:].ravel()
        pairs.append(np.sort(np.column_stack([a, b]), axis=1))
    if not pairs:
        return np.zeros((0, 2), dtype=np.int64)
    out = np.unique(np.concatenate(pairs), axis=0)
    links: np.ndarray = out[out[:, 0] != out[:, 1]]
    return links


def modelled_links(
    lon: np.ndarray,
    lat: np.ndarray,
    xy: np.ndarray,
    group: np.ndarray,
    allowed_groups: np.ndarray,
    settings: TravelSettings,
    elevation: ElevationRaster | None,
) -> ModelledLinks:
    """Build the modelled arcs between places.

    Parameters
    ----------
    lon, lat : numpy.ndarray
        Place coordinates (EPSG:4326), for terrain sampling.
    xy : numpy.ndarray, shape (n, 2)
        Projected coordinates in metres.
    group : numpy.ndarray of int
        Raion index of each place.
    allowed_groups : numpy.ndarray of bool, shape (g, g)
        Which raion pairs may be linked (a raion and its neighbours).
    settings : TravelSettings
        Speeds, detour factor and terrain thresholds.
    elevation : ElevationRaster, optional
        Terrain for penalties; None means flat (no penalties, no passes).

    Returns
    -------
    ModelledLinks
    """
    pairs = _candidate_pairs(xy, settings.fallback_k_nearest, settings.fallback_max_link_km * 1000.0)
    if len(pairs):
        pairs = pairs[allowed_groups[group[pairs[:, 0]], group[pairs[:, 1]]]]
    a, b = pairs[:, 0], pairs[:, 1]
    dist_m = np.hypot(*(xy[a] - xy[b]).T) if len(pairs) else np.zeros(0)
    # the same terrain model times the steps of the terrain-cost territories (data layer)
    pace = {"speed_kmh": settings.fallback_speed_kmh, "detour_factor": settings.fallback_detour_factor,
            "climb_min_per_100m": settings.climb_min_per_100m}
    base = terrain_time_min(dist_m, 0.0, **pace)
    detour = np.zeros(len(pairs), dtype=bool)
    if elevation is not None and len(pairs):
        prof = elevation.profile(lon[a], lat[a], lon[b], lat[b], dist_m, settings.terrain_sample_m)
        pass_m = prof.max_elevation_m
        fwd = terrain_time_min(dist_m, prof.ascent_forward_m, **pace)
        bwd = terrain_time_min(dist_m, prof.ascent_backward_m, **pace)
        ends = np.fmax(elevation.sample(lon[a], lat[a]), elevation.sample(lon[b], lat[b]))
        seasonal, blocked = _pass_class(pass_m, ends, settings)
        arcs = _Arcs(a, b, dist_m, fwd, bwd, seasonal, blocked, pass_m, detour)
        arcs = _search_crossings(arcs, elevation, lon, lat, ends, settings, pace)
        a, b, dist_m, fwd, bwd, seasonal, blocked, pass_m, detour = arcs
    else:
        pass_m = np.full(len(pairs), np.nan)
        fwd = bwd = base
        seasonal = blocked = np.zeros(len(pairs), dtype=bool)
    return ModelledLinks(
        u=np.concatenate([a, b]),
        v=np.concatenate([b, a]),
        time_min=np.concatenate([fwd, bwd]),
        distance_km=np.concatenate([dist_m, dist_m]) / 1000.0,
        seasonal=np.concatenate([seasonal, seasonal]),
        blocked=np.concatenate([blocked, blocked]),
        pass_elevation_m=np.concatenate([pass_m, pass_m]),
        detour=np.concatenate([detour, detour]),
    )


class _Arcs(NamedTuple):
    """Undirected links as parallel arrays (the first end, the second, and per link its figures)."""

    a: np.ndarray
    b: np.ndarray
    dist_m: np.ndarray
    fwd_min: np.ndarray
    bwd_min: np.ndarray
    seasonal: np.ndarray
    blocked: np.ndarray
    pass_m: np.ndarray
    detour: np.ndarray


def _search_crossings(
    arcs: _Arcs, elevation: ElevationRaster, lon: np.ndarray, lat: np.ndarray, ends: np.ndarray,
    settings: TravelSettings, pace: dict[str, float],
) -> _Arcs:
    """Links going round their crest where the terrain offers a crossing in a better class.

    A blocked link is replaced by its way round (the straight one cannot be driven). A seasonal
    link keeps its straight crossing for the season and gains the way round as a second,
    all-season link beside it: in summer the shorter pass, in winter the valley route, so no
    time in season gets longer.
    """
    arcs = _Arcs(*(np.array(x, copy=True) for x in arcs))
    extra: list[tuple[Any, ...]] = []
    for i in np.flatnonzero(_searched(arcs.seasonal, arcs.blocked, settings.pass_search)):
        a, b = arcs.a[i], arcs.b[i]
        found = _go_round(elevation, lon[[a, b]], lat[[a, b]], float(arcs.dist_m[i]), bool(arcs.blocked[i]),
                          float(ends[i]), settings, pace)
        if found is None:
            continue
        pass_m, route_fwd, route_bwd = found
        seasonal, blocked = _pass_class(np.asarray([pass_m]), np.asarray([ends[i]]), settings)
        row = (a, b, arcs.dist_m[i], max(arcs.fwd_min[i], route_fwd), max(arcs.bwd_min[i], route_bwd),
               bool(seasonal[0]), bool(blocked[0]), pass_m, True)
        if arcs.blocked[i]:
            for field, value in zip(_Arcs._fields, row):
                getattr(arcs, field)[i] = value
        else:
            extra.append(row)
    replaced = int(arcs.detour.sum())
    if extra:
        columns = list(zip(*extra))
        arcs = _Arcs(*(np.concatenate([old, np.asarray(new, dtype=old.dtype)]) for old, new in zip(arcs, columns)))
    if replaced or extra:
        logger.info("modelled links: %d blocked links go round their crest; %d seasonal links gain an all-season "
                    "way round beside them", replaced, len(extra))
    return arcs


def _searched(seasonal: np.ndarray, blocked: np.ndarray, mode: str) -> np.ndarray:
    """Links to search for a lower crossing under ``TravelSettings.pass_search``."""
    if mode == "off":
        return np.zeros_like(blocked)
    return blocked | seasonal if mode == "blocked_and_seasonal" else blocked


def _pass_class(pass_m: np.ndarray, ends_m: np.ndarray, settings: TravelSettings) -> tuple[np.ndarray, np.ndarray]:
    """Seasonal and blocked flags of crossings at ``pass_m`` between ends whose higher is ``ends_m``."""
    high = np.nan_to_num(pass_m, nan=-np.inf)
    seasonal = high > settings.seasonal_pass_m
    # Only a crossing above both ends blocks a link: a place that itself lies high is
    # hard to reach (seasonal), not cut off.
    blocked = (high > settings.blocked_pass_m) & ~(high <= np.nan_to_num(ends_m, nan=-np.inf) + _PASS_PROMINENCE_M)
    return seasonal, blocked


def _go_round(
    elevation: ElevationRaster, lon: np.ndarray, lat: np.ndarray, length_m: float, blocked: bool, ends_m: float,
    settings: TravelSettings, pace: dict[str, float],
) -> tuple[float, float, float] | None:
    """A lower crossing for a blocked or seasonal link, if one puts it in a better class.

    Returns
    -------
    tuple of float or None
        Highest cell of the route, time there and time back (min); None when the corridor
        offers no crossing in a better class (or the grid has no data at an end).
    """
    margin_m = max(settings.pass_corridor_share * length_m, settings.pass_corridor_min_km * 1000.0)
    window = elevation.window(lon, lat, margin_m)
    if window is None:
        return None
    # Better classes, best first: open (at or below seasonal_pass_m); for a blocked link also
    # seasonal (at or below the blocking altitude, or within the 50 m prominence of its ends).
    ranges = [(ends_m, settings.seasonal_pass_m)]
    if blocked:
        ranges.append((max(ends_m, settings.seasonal_pass_m), max(settings.blocked_pass_m, ends_m + _PASS_PROMINENCE_M)))
    for low_m, high_m in ranges:
        if low_m > high_m:
            continue
        threshold_m = lowest_crossing(window, low_m, high_m, settings.pass_step_m)
        if threshold_m is None:
            continue
        route = crossing_route(window, threshold_m, **pace)
        if route is not None:
            return route.highest_m, route.time_forward_min, route.time_backward_min
    return None
