"""The defaults of the terrain travel cost (:mod:`.terrain`, which re-exports them): plain
numbers, so the travel settings (and the travel-model key of a reuse check) need no numpy."""

from __future__ import annotations

__all__ = [
    "DEFAULT_BLOCKED_PASS_M",
    "DEFAULT_CLIMB_MIN_PER_100M",
    "DEFAULT_DETOUR_FACTOR",
    "DEFAULT_SEASONAL_PASS_M",
    "DEFAULT_SPEED_KMH",
]

#: Speed over the straight line between two places without road data (km/h).
DEFAULT_SPEED_KMH = 40.0
#: Road length per straight-line length (roads wind; 1.35 is a common rural detour index).
DEFAULT_DETOUR_FACTOR = 1.35
#: Minutes added per 100 m of ascent (a loaded vehicle on a mountain road climbs at ~4 km/h
#: of height per hour, roughly 1.5 min per 100 m).
DEFAULT_CLIMB_MIN_PER_100M = 1.5
#: Above this altitude a crossing is seasonal (passes closed by snow part of the year).
DEFAULT_SEASONAL_PASS_M = 3_200.0
#: Above this altitude a crossing is blocked for vehicles (the modelled network drops the link).
DEFAULT_BLOCKED_PASS_M = 4_000.0
