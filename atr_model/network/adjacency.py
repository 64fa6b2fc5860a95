"""Unit adjacency: shared boundaries, road links, islands, enclaves and user edits.

Two units are neighbours when their territories share a border of at least
``TravelSettings.min_shared_border_m`` (150 m by default: longer than the ~100 m a corner
contact measures under the 50 m boundary tolerance; the length is recorded in
``shared_border_m``), when a road links them, or when a user edit says so. With an elevation grid,
a border whose lowest point lies above the blocking altitude (``blocked_pass_m``) can only be
crossed over a blocked pass and does not count (:func:`borders_over_blocked_passes`); a road
link or a user edit can still make the pair neighbours. A border between straight-line
approximate territories (Voronoi cells) counts only when a settlement of one reaches the other's
centre within ``approximate_link_max_min``; terrain-cost territories follow the ridges, so their
borders count as official ones do.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from atr_model.data import APPROXIMATE_PREFIX, MIN_SHARED_BORDER_M, TERRAIN_COST_SOURCE, read_text_csv, shared_borders
from atr_model.errors import NetworkError

__all__ = [
    "ADJACENCY_COLUMNS",
    "borders_over_blocked_passes",
    "read_adjacency_edits",
    "shared_boundaries",
    "unit_adjacency",
]

logger = logging.getLogger(__name__)

#: Columns of the adjacency table; ``shared_border_m`` is the border length in metres (0 for a
#: road link or an island joined to its fastest neighbour), ``shared_boundary_km`` the same in km.
ADJACENCY_COLUMNS = ["unit_a", "unit_b", "kind", "barrier", "shared_boundary_km", "note", "shared_border_m"]


def _ordered(a: pd.Series, b: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    a_, b_ = a.to_numpy(dtype=object), b.to_numpy(dtype=object)
    swap = a_ > b_
    return np.where(swap, b_, a_), np.where(swap, a_, b_)


def _needs_travel_link(geometry_source: str) -> bool:
    """Whether a shared border of this territory counts only with a travel link behind it.

    Straight-line approximate territories (Voronoi cells) can share a border across a ridge no
    road crosses, so theirs need a travel link; terrain-cost territories follow the ridges
    (:data:`~atr_model.data.TERRAIN_COST_SOURCE`), so their borders count like official ones,
    less those over a blocked pass.
    """
    return geometry_source.startswith(APPROXIMATE_PREFIX) and not geometry_source.startswith(TERRAIN_COST_SOURCE)


def shared_boundaries(
    codes: np.ndarray, geoms_m: np.ndarray, tolerance_m: float, min_border_m: float = MIN_SHARED_BORDER_M,
) -> pd.DataFrame:
    """:func:`atr_model.data.borders.shared_borders` (same arguments) with the length in km too.

    Returns
    -------
    pandas.DataFrame
        ``unit_a < unit_b``, ``shared_boundary_km``, ``shared_border_m``.
    """
    frame = shared_borders(codes, geoms_m, tolerance_m=tolerance_m, min_border_m=min_border_m)
    frame.insert(2, "shared_boundary_km", frame["shared_border_m"] / 1000.0)
    return frame


def borders_over_blocked_passes(
    codes: np.ndarray,
    geoms_m: np.ndarray,
    lowest_point_m: Callable[[object], float],
    *,
    tolerance_m: float,
    blocked_pass_m: float,
    min_border_m: float = MIN_SHARED_BORDER_M,
) -> list[tuple[str, str, float]]:
    """Shared borders that can only be crossed above the blocking altitude.

    Parameters
    ----------
    codes, geoms_m, tolerance_m, min_border_m
        As for :func:`shared_boundaries`.
    lowest_point_m : callable
        ``border line (metric CRS) -> elevation (m)`` of its lowest sampled point (``-inf``
        where the grid has no data, so such a border always counts).
    blocked_pass_m : float
        Blocking altitude (:class:`~atr_model.network.settings.TravelSettings`).

    Returns
    -------
    list of (str, str, float)
        ``(unit_a, unit_b, lowest point m)`` of every border whose lowest point is higher.
    """
    frame = shared_borders(codes, geoms_m, tolerance_m=tolerance_m, min_border_m=min_border_m,
                           with_geometry=True)
    out = []
    for a, b, line in zip(frame["unit_a"], frame["unit_b"], frame["border"]):
        low = float(lowest_point_m(line))
        if low > blocked_pass_m:
            out.append((str(a), str(b), round(low, 1)))
    return out


def read_adjacency_edits(path: str | os.PathLike[str], unit_codes: set[str]) -> pd.DataFrame:
    """Read a user adjacency edit file (CSV ``unit_a,unit_b,action``, action add|remove).

    Raises
    ------
    NetworkError
        On a missing file or column, an unknown action or unit, or a unit paired with itself.
    """
    source = Path(path)
    frame = read_text_csv(source, ["unit_a", "unit_b", "action"], what="adjacency edit file", error=NetworkError)
    for row, (unit_a, unit_b, action) in enumerate(zip(frame["unit_a"], frame["unit_b"], frame["action"]), start=2):
        if action not in ("add", "remove"):
            raise NetworkError(f"{source}: row {row}: action {action!r} is not 'add' or 'remove'")
        for code in (unit_a, unit_b):
            if code not in unit_codes:
                raise NetworkError(f"{source}: row {row}: unknown unit {code!r}")
        if unit_a == unit_b:
            raise NetworkError(f"{source}: row {row}: unit {unit_a!r} paired with itself")
    a, b = _ordered(frame["unit_a"], frame["unit_b"])
    edits: pd.DataFrame = pd.DataFrame({"unit_a": a, "unit_b": b, "action": frame["action"].to_numpy()})
    return edits


def unit_adjacency(
    units: pd.DataFrame,
    geoms_m: np.ndarray,
    links: pd.DataFrame,
    pair_time_min: Callable[[str, str], float],
    fastest_neighbour: Callable[[str], str | None],
    *,
    tolerance_m: float,
    approximate_link_max_min: float,
    min_border_m: float = MIN_SHARED_BORDER_M,
    edits: pd.DataFrame | None = None,
    links_make_neighbours: bool = True,
    blocked_borders: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset(),
) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Adjacency of units.

    Parameters
    ----------
    units : pandas.DataFrame
        The units layer (``unit_code``, ``geometry_source``).
    geoms_m : numpy.ndarray
        Unit polygons in a metric CRS, aligned with ``units``.
    links : pandas.DataFrame
        Travel links between units: ``unit_a < unit_b``, ``hard`` (True when every link
        between the pair is seasonal or blocked).
    pair_time_min : callable
        ``(a, b) -> minutes``: fastest time from a settlement of one to the other's centre.
    fastest_neighbour : callable
        ``unit -> unit or None``: the unit whose centre an island reaches fastest.
    tolerance_m, approximate_link_max_min : float
        See :class:`~atr_model.network.settings.TravelSettings`.
    min_border_m : float
        Shortest shared border that counts (``TravelSettings.min_shared_border_m``; the travel
        model passes that setting, 150 m by default).
    edits : pandas.DataFrame, optional
        From :func:`read_adjacency_edits`.
    links_make_neighbours : bool
        Whether a travel link alone makes two units neighbours (true for real roads; false
        for modelled links, which only mark barriers).
    blocked_borders : set of (str, str)
        Pairs ``unit_a < unit_b`` whose shared border lies wholly above the blocking altitude
        (:func:`borders_over_blocked_passes`); their border does not count.

    Returns
    -------
    adjacency : pandas.DataFrame
        Columns of :data:`ADJACENCY_COLUMNS`, sorted.
    islands : list of str
        Units without any neighbour by boundary, road link or user edit (each is joined to
        the unit it reaches fastest, when there is one; see the ``note`` column).
    enclaves : list of str
        Units whose whole outline is shared with a single neighbour.
    """
    codes = units["unit_code"].to_numpy(dtype=object)
    needs_link = dict(zip(codes, [_needs_travel_link(src) for src in units["geometry_source"].astype(str)]))
    shared = shared_boundaries(codes, geoms_m, tolerance_m, min_border_m)
    if blocked_borders and len(shared):
        over = np.array([(a, b) in blocked_borders for a, b in zip(shared["unit_a"], shared["unit_b"])])
        logger.info("%d shared borders lie wholly above the blocking altitude and do not count", int(over.sum()))
        shared = shared[~over].reset_index(drop=True)
    plausible = [
        not (needs_link[a] or needs_link[b]) or pair_time_min(a, b) <= approximate_link_max_min
        for a, b in zip(shared["unit_a"], shared["unit_b"])
    ]
    dropped = int(len(shared) - sum(plausible))
    if dropped:
        logger.info("%d shared boundaries of approximate territories dropped (no travel link within %.0f min)",
                    dropped, approximate_link_max_min)
    shared = shared[np.asarray(plausible, dtype=bool)] if len(shared) else shared
    hard = {(a, b): bool(h) for a, b, h in zip(links["unit_a"], links["unit_b"], links["hard"])}
    rows = {
        (a, b): {"kind": "shared_boundary", "barrier": hard.get((a, b), False), "shared_boundary_km": km, "note": ""}
        for a, b, km in zip(shared["unit_a"], shared["unit_b"], shared["shared_boundary_km"])
    }
    for (a, b), h in hard.items() if links_make_neighbours else ():
        rows.setdefault((a, b), {"kind": "road_link", "barrier": h, "shared_boundary_km": 0.0, "note": ""})
    if edits is not None:
        for a, b, action in zip(edits["unit_a"], edits["unit_b"], edits["action"]):
            if action == "remove":
                rows.pop((a, b), None)
            else:
                rows[(a, b)] = {"kind": "user", "barrier": False,
                                "shared_boundary_km": rows.get((a, b), {}).get("shared_boundary_km", 0.0),
                                "note": "added by user edit"}
    removed = set() if edits is None else {
        (a, b) for a, b, act in zip(edits["unit_a"], edits["unit_b"], edits["action"]) if act == "remove"
    }
    linked = {c for pair in rows for c in pair}
    islands = sorted(set(codes) - linked)
    for code in islands:
        other = fastest_neighbour(code)
        if other is None:
            logger.warning("unit %s has no neighbour and no reachable unit centre", code)
            continue
        a, b = sorted((code, other))
        if (a, b) in removed:
            continue
        rows[(a, b)] = {"kind": "road_link", "barrier": hard.get((a, b), False), "shared_boundary_km": 0.0,
                        "note": f"island: {code} joined to the unit whose centre it reaches fastest"}
    frame = pd.DataFrame(
        [{"unit_a": a, "unit_b": b, **rec} for (a, b), rec in sorted(rows.items())], columns=ADJACENCY_COLUMNS
    )
    frame["barrier"] = frame["barrier"].astype(bool)
    frame["shared_border_m"] = (frame["shared_boundary_km"].astype(float) * 1000.0).round(1)
    frame["shared_boundary_km"] = frame["shared_boundary_km"].astype(float).round(3)
    perimeter_km = dict(zip(codes, shapely.length(shapely.boundary(geoms_m)) / 1000.0))
    shared_only = frame[frame["kind"] != "road_link"]
    count = pd.concat([shared_only["unit_a"], shared_only["unit_b"]]).value_counts()
    total = pd.concat(
        [shared_only[["unit_a", "shared_boundary_km"]].rename(columns={"unit_a": "u"}),
         shared_only[["unit_b", "shared_boundary_km"]].rename(columns={"unit_b": "u"})]
    ).groupby("u")["shared_boundary_km"].sum()
    enclaves = sorted(
        c for c in codes if count.get(c, 0) == 1 and total.get(c, 0.0) >= 0.95 * perimeter_km[c] > 0
    )
    return frame.reset_index(drop=True), islands, enclaves
