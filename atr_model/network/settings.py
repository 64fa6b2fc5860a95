"""Settings of the travel model: speeds per road class, penalties, terrain and fallback rules.

Every figure here is an editable default, not a fact about Kyrgyz roads. Speeds are typical
rural driving speeds (km/h) for each OpenStreetMap ``highway`` class; a ``maxspeed`` tag,
when present and lower, replaces the class speed. Unpaved surfaces and poor track grades
slow a road down by a factor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from atr_model.data import (
    DEFAULT_BLOCKED_PASS_M,
    DEFAULT_CLIMB_MIN_PER_100M,
    DEFAULT_DETOUR_FACTOR,
    DEFAULT_SEASONAL_PASS_M,
    DEFAULT_SPEED_KMH,
)
from atr_model.errors import NetworkError

__all__ = [
    "TravelSettings", "DEFAULT_SPEEDS_KMH", "DEFAULT_SURFACE_FACTORS", "DEFAULT_TRACKTYPE_FACTORS", "PASS_SEARCH_MODES",
]

#: Values of :attr:`TravelSettings.pass_search`: which high crossings are searched for a lower one.
PASS_SEARCH_MODES: tuple[str, ...] = ("blocked_and_seasonal", "blocked", "off")

#: Default driving speed (km/h) per OSM ``highway`` class. Classes not listed are not routable.
DEFAULT_SPEEDS_KMH: dict[str, float] = {
    "motorway": 90.0,
    "motorway_link": 60.0,
    "trunk": 80.0,
    "trunk_link": 50.0,
    "primary": 70.0,
    "primary_link": 45.0,
    "secondary": 60.0,
    "secondary_link": 40.0,
    "tertiary": 50.0,
    "tertiary_link": 35.0,
    "unclassified": 40.0,
    "residential": 30.0,
    "living_street": 10.0,
    "service": 20.0,
    "road": 30.0,
    "track": 20.0,
}

#: Speed factor per OSM ``surface`` value (1.0 = no penalty).
DEFAULT_SURFACE_FACTORS: dict[str, float] = {
    "unpaved": 0.7,
    "compacted": 0.85,
    "fine_gravel": 0.8,
    "gravel": 0.75,
    "pebblestone": 0.7,
    "dirt": 0.6,
    "earth": 0.6,
    "ground": 0.6,
    "grass": 0.5,
    "mud": 0.4,
    "sand": 0.5,
}

#: Speed factor per OSM ``tracktype`` grade (only applied to ``highway=track``).
DEFAULT_TRACKTYPE_FACTORS: dict[str, float] = {
    "grade1": 1.0,
    "grade2": 0.85,
    "grade3": 0.7,
    "grade4": 0.55,
    "grade5": 0.4,
}


@dataclass(frozen=True)
class TravelSettings:
    """Parameters of the travel model (roads and the modelled fallback).

    Parameters
    ----------
    speeds_kmh : mapping of str to float
        Driving speed per road class (OSM ``highway`` values, or the class column of a line
        layer). Classes not listed are dropped.
    surface_factors, tracktype_factors : mapping of str to float
        Speed factors for ``surface`` and (on tracks) ``tracktype`` tags.
    use_maxspeed : bool
        Let a lower ``maxspeed`` tag replace the class speed.
    offroad_speed_kmh : float
        Speed along a settlement's connector: the straight leg from the settlement point to the
        nearest point of the nearest road (walking or 4x4 off-road).
    snap_max_m : float
        A settlement further than this from every road is not connected to the network
        (flagged unreachable with the distance as reason).
    connector_modelled_m : float
        A connector longer than this is *modelled*: the settlement point lies off the mapped
        roads and the leg to the road is a guess. Routes from or to such a settlement are
        counted in the summary (``connectors_modelled``, ``pairs_via_modelled_connectors``),
        marked ``travel_time_is_estimate`` and named in the estimate notes. Default 500 m: a
        village point placed at its centre lies within a few hundred metres of its own street.
    ferry_speed_kmh : float
        Speed of a ferry (OSM ``route=ferry``) without a usable ``duration`` tag; with one, the
        ferry takes that long end to end.
    min_shared_border_m : float
        Shortest shared border that makes two units neighbours. A corner contact measures about
        ``2 x boundary_tolerance_m`` (100 m under the default tolerance, up to a third more at an
        acute corner), so the default 150 m keeps every border longer than a corner. On the
        Kyrgyz build 150 m gives 1,367 bordering pairs against 1,363 at the former 250 m.
    fallback_speed_kmh, fallback_detour_factor : float
        Modelled links (no road data): time = straight distance x detour factor / speed.
    fallback_k_nearest : int
        Nearest neighbours linked besides the Delaunay triangulation.
    fallback_max_link_km : float
        Longest Delaunay link kept (k-nearest links are always kept).
    climb_min_per_100m : float
        Minutes added per 100 m of ascent along a modelled link (needs elevation data).
    seasonal_pass_m, blocked_pass_m : float
        A link whose highest point exceeds ``seasonal_pass_m`` is seasonal (hard to reach in
        winter); a modelled link above ``blocked_pass_m`` is dropped. Roads in the road file
        are never dropped, only marked seasonal.
    terrain_sample_m : float
        Spacing of the elevation samples along a modelled link.
    pass_search : {"blocked_and_seasonal", "blocked", "off"}
        Which modelled links whose straight line crosses a high crest are searched for a lower
        crossing on the elevation grid (:mod:`atr_model.network.fallback`): blocked and seasonal
        ones (default), blocked ones only (faster), or none (straight lines decide, as before
        this search existed).
    pass_corridor_share, pass_corridor_min_km : float
        A modelled link whose straight line crosses a blocked or seasonal crest is searched for
        a lower crossing inside the bounding box of its two ends grown on every side by
        ``max(pass_corridor_share x link length, pass_corridor_min_km)`` (0.5 and 5 km: room
        for a valley that bends away from the straight line, yet local enough that the route
        stays a link between neighbours).
    pass_step_m : float
        Precision of that search: the crossing's threshold is found on steps of this height
        (25 m: the crossing used lies at most 25 m above the lowest one in the corridor; far
        finer than the grid itself, whose cells average heights over some 400 m).
    search_limit_min : float
        Travel times beyond this are not searched and count as unreachable (keeps bulk
        shortest paths on a country road graph fast).
    first_search_min : float
        Radius of the first, short search from each candidate centre; centres that leave a
        needed settlement unreached are searched again with the radius doubled, up to
        ``search_limit_min``. Only
        changes speed, never results.
    approximate_link_max_min : float
        Straight-line approximate territories (``geometry_source`` starting
        ``"approximate: "``, other than terrain-cost allocation) sharing a boundary are
        adjacent only if a settlement of one reaches the other's centre within this time.
    boundary_tolerance_m : float
        Gap or overlap tolerated between neighbouring polygons when measuring shared borders.
    road_class_column : str or None
        Class column of a line layer; None tries ``highway``, ``fclass``, ``road_class``,
        ``class``, ``type``.
    memory_budget_mb : float
        Upper bound for one block of the bulk shortest-path result.
    """

    speeds_kmh: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SPEEDS_KMH))
    surface_factors: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SURFACE_FACTORS))
    tracktype_factors: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_TRACKTYPE_FACTORS))
    use_maxspeed: bool = True
    offroad_speed_kmh: float = 10.0
    snap_max_m: float = 10_000.0
    connector_modelled_m: float = 500.0
    ferry_speed_kmh: float = 15.0
    min_shared_border_m: float = 150.0
    fallback_speed_kmh: float = DEFAULT_SPEED_KMH
    fallback_detour_factor: float = DEFAULT_DETOUR_FACTOR
    fallback_k_nearest: int = 6
    fallback_max_link_km: float = 60.0
    climb_min_per_100m: float = DEFAULT_CLIMB_MIN_PER_100M
    seasonal_pass_m: float = DEFAULT_SEASONAL_PASS_M
    blocked_pass_m: float = DEFAULT_BLOCKED_PASS_M
    terrain_sample_m: float = 250.0
    pass_search: str = "blocked_and_seasonal"
    pass_corridor_share: float = 0.5
    pass_corridor_min_km: float = 5.0
    pass_step_m: float = 25.0
    search_limit_min: float = 720.0
    first_search_min: float = 240.0
    approximate_link_max_min: float = 120.0
    boundary_tolerance_m: float = 50.0
    road_class_column: str | None = None
    memory_budget_mb: float = 256.0

    def __post_init__(self) -> None:
        bad = {k: v for k, v in self.speeds_kmh.items() if not (float(v) > 0)}
        if bad:
            raise NetworkError(f"TravelSettings.speeds_kmh: speeds must be positive, got {bad}")
        for name in ("offroad_speed_kmh", "fallback_speed_kmh", "fallback_detour_factor", "search_limit_min",
                     "terrain_sample_m", "memory_budget_mb", "pass_step_m", "ferry_speed_kmh"):
            if not float(getattr(self, name)) > 0:
                raise NetworkError(f"TravelSettings.{name} must be positive, got {getattr(self, name)!r}")
        if self.blocked_pass_m < self.seasonal_pass_m:
            raise NetworkError(
                f"TravelSettings: blocked_pass_m ({self.blocked_pass_m}) is below seasonal_pass_m "
                f"({self.seasonal_pass_m})"
            )
        if self.pass_search not in PASS_SEARCH_MODES:
            raise NetworkError(
                f"TravelSettings.pass_search must be one of {', '.join(PASS_SEARCH_MODES)}, got {self.pass_search!r}"
            )
        for name in ("pass_corridor_share", "pass_corridor_min_km", "connector_modelled_m", "min_shared_border_m"):
            if not float(getattr(self, name)) >= 0:
                raise NetworkError(f"TravelSettings.{name} must be zero or positive, got {getattr(self, name)!r}")
        if self.fallback_k_nearest < 1:
            raise NetworkError("TravelSettings.fallback_k_nearest must be at least 1")

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (JSON-ready), used in cache metadata."""
        out = asdict(self)
        for key in ("speeds_kmh", "surface_factors", "tracktype_factors"):
            out[key] = {k: float(v) for k, v in sorted(dict(getattr(self, key)).items())}
        return out

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> TravelSettings:
        """Inverse of :meth:`to_dict`; unknown keys raise :class:`NetworkError`."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(values) - known)
        if unknown:
            raise NetworkError(f"TravelSettings: unknown setting(s) {', '.join(unknown)}")
        return cls(**dict(values))
