"""The modelled travel network used when no road data is given.

Settlements (and unit centre points) are linked along a Delaunay triangulation plus their
k nearest neighbours, only within a raion and to neighbouring raions. A link takes
``distance x detour factor / speed`` plus a climbing penalty sampled from the elevation
raster; a link whose highest point is above ``seasonal_pass_m`` is seasonal and one above
``blocked_pass_m`` (and at least 50 m above both ends) is blocked (kept only to explain why
a place is cut off). Every figure
built on it is labelled "modelled: no road data".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from scipy.spatial import Delaunay, QhullError, cKDTree

from atr_model.network.settings import TravelSettings
from atr_model.network.terrain import ElevationRaster, terrain_time_min

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
        Highest sampled point (NaN without elevation data).
    """

    u: np.ndarray
    v: np.ndarray
    time_min: np.ndarray
    distance_km: np.ndarray
    seasonal: np.ndarray
    blocked: np.ndarray
    pass_elevation_m: np.ndarray


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
    return out[out[:, 0] != out[:, 1]]


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
    if elevation is not None and len(pairs):
        prof = elevation.profile(lon[a], lat[a], lon[b], lat[b], dist_m, settings.terrain_sample_m)
        pass_m = prof.max_elevation_m
        fwd = terrain_time_min(dist_m, prof.ascent_forward_m, **pace)
        bwd = terrain_time_min(dist_m, prof.ascent_backward_m, **pace)
        high = np.nan_to_num(pass_m, nan=-np.inf)
        ends = np.fmax(elevation.sample(lon[a], lat[a]), elevation.sample(lon[b], lat[b]))
        seasonal = high > settings.seasonal_pass_m
        # Only a crossing above both ends blocks a link: a place that itself lies high is
        # hard to reach (seasonal), not cut off.
        blocked = (high > settings.blocked_pass_m) & ~(high <= np.nan_to_num(ends, nan=-np.inf) + _PASS_PROMINENCE_M)
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
    )
