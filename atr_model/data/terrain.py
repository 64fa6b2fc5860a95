"""Terrain travel cost, shared by the territory allocation (data) and the modelled network.

One model of how long it takes to cross terrain without road data, used in two places so that
the two agree: the modelled travel network (:mod:`atr_model.network.fallback`) times a
straight link as ``distance x detour factor / speed + ascent / 100 m x minutes per 100 m``, and
the terrain-cost territories (:mod:`atr_model.data.kyrgyz.allocation`) time each step between
neighbouring cells of the elevation grid the same way. The defaults live once in
:mod:`.terrain_defaults` (re-exported here); the network's
:class:`~atr_model.network.settings.TravelSettings` reads them.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from atr_model.data.terrain_defaults import (
    DEFAULT_BLOCKED_PASS_M,
    DEFAULT_CLIMB_MIN_PER_100M,
    DEFAULT_DETOUR_FACTOR,
    DEFAULT_SEASONAL_PASS_M,
    DEFAULT_SPEED_KMH,
)

__all__ = [
    "BLOCKED_ALTITUDE_FACTOR",
    "DEFAULT_BLOCKED_PASS_M",
    "DEFAULT_CLIMB_MIN_PER_100M",
    "DEFAULT_DETOUR_FACTOR",
    "DEFAULT_SEASONAL_PASS_M",
    "DEFAULT_SPEED_KMH",
    "SEASONAL_ALTITUDE_FACTOR",
    "HALF_NEIGHBOUR_STEPS",
    "altitude_factor",
    "neighbour_pairs",
    "terrain_time_min",
]

#: Slow-down of terrain in the seasonal band (between the seasonal and the blocking altitude):
#: open about half of the year, so on average it takes twice as long to cross.
SEASONAL_ALTITUDE_FACTOR = 2.0
#: Slow-down of terrain above the blocking altitude: crossed on foot or horseback only (about
#: 8 km/h against the 40 km/h of the modelled roads). The network drops such links; a grid cell
#: cannot be dropped (every cell of a raion needs an owner), so it is made slow instead.
BLOCKED_ALTITUDE_FACTOR = 5.0


def terrain_time_min(
    distance_m: np.ndarray | float,
    ascent_m: np.ndarray | float,
    *,
    speed_kmh: float = DEFAULT_SPEED_KMH,
    detour_factor: float = DEFAULT_DETOUR_FACTOR,
    climb_min_per_100m: float = DEFAULT_CLIMB_MIN_PER_100M,
) -> np.ndarray:
    """Minutes to cover ``distance_m`` of straight line with ``ascent_m`` of climbing.

    ``distance x detour factor / speed + ascent / 100 m x climb minutes``; descent is free.
    """
    base = np.asarray(distance_m, dtype=float) * detour_factor / (speed_kmh * 1000.0 / 60.0)
    return base + np.asarray(ascent_m, dtype=float) / 100.0 * climb_min_per_100m


def altitude_factor(
    elevation_m: np.ndarray,
    *,
    seasonal_pass_m: float = DEFAULT_SEASONAL_PASS_M,
    blocked_pass_m: float = DEFAULT_BLOCKED_PASS_M,
) -> np.ndarray:
    """Slow-down of terrain at ``elevation_m``: 1, :data:`SEASONAL_ALTITUDE_FACTOR` or
    :data:`BLOCKED_ALTITUDE_FACTOR` (NaN elevation counts as low)."""
    elev = np.nan_to_num(np.asarray(elevation_m, dtype=float), nan=-np.inf)
    return np.where(elev > blocked_pass_m, BLOCKED_ALTITUDE_FACTOR,
                    np.where(elev > seasonal_pass_m, SEASONAL_ALTITUDE_FACTOR, 1.0))


#: Grid steps (row, column) that meet every pair of 8-neighbouring cells once: east, south,
#: south-east, south-west.
HALF_NEIGHBOUR_STEPS = ((0, 1), (1, 0), (1, 1), (1, -1))


def neighbour_pairs(
    mask: np.ndarray, steps: tuple[tuple[int, int], ...] = HALF_NEIGHBOUR_STEPS,
) -> Iterator[tuple[int, int, tuple[slice, slice], tuple[slice, slice], np.ndarray]]:
    """Pairs of neighbouring cells of a grid, one step direction at a time, as shifted views.

    Parameters
    ----------
    mask : numpy.ndarray of bool, shape (h, w)
        The cells that may take part.
    steps : tuple of (int, int)
        Steps ``(dr, dc)`` with ``dr >= 0`` (:data:`HALF_NEIGHBOUR_STEPS` meets each pair once).

    Yields
    ------
    dr, dc : int
        The step.
    here, there : tuple of slice
        Views of a grid of ``mask``'s shape: a cell and its neighbour one step away.
    both : numpy.ndarray of bool
        Where both cells are in ``mask`` (the shape of the views).
    """
    h, w = mask.shape
    for dr, dc in steps:
        here = (slice(0, h - dr), slice(max(0, -dc), w - max(0, dc)))
        there = (slice(dr, h), slice(max(0, dc), w + min(0, dc)))
        yield dr, dc, here, there, mask[here] & mask[there]
