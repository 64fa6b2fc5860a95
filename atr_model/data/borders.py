"""Shared borders between unit polygons (who touches whom, and over how many metres).

Also which piece of a raion drawn in several pieces holds each piece of a unit
(:func:`piece_homes`) and why a unit is in several pieces (:func:`split_kind`), so that the
build and ``data info`` tell a raion exclave the same way.

Used by the Kyrgyz build's report (adjacency of the terrain-cost territories against the Voronoi
ones) and by the network layer's adjacency (:mod:`atr_model.network.adjacency`), so both count
a border the same way.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd
import shapely

__all__ = [
    "CUT_OFF_KINDS",
    "MIN_SHARED_BORDER_M",
    "detached_pieces_of",
    "part_at",
    "piece_homes",
    "piece_of",
    "shared_borders",
    "split_kind",
]

#: A border shorter than this does not make two units neighbours. Polygons that meet at a
#: corner, or approximate territories whose outlines cross over a few hundred metres where
#: three or four of them meet, share no usable border: 250 m is half a cell of the terrain-cost
#: grid (the shortest border it can draw is one 500 m cell side) and well above the 2 x 50 m a
#: corner contact measures under the default boundary tolerance.
MIN_SHARED_BORDER_M = 250.0


#: What cuts a detached raion piece off from the raion's largest piece (``cut_off_by``).
CUT_OFF_KINDS = {
    "foreign_all_round": "it touches no other raion: an enclave inside a neighbouring country",
    "foreign_land": "the shortest way to the rest of the raion runs mostly over land outside every raion "
                    "(a neighbouring country or an enclave of one)",
    "other_raions": "the shortest way to the rest of the raion runs mostly over other raions' land",
}


def shared_borders(
    codes: np.ndarray,
    geoms_m: np.ndarray,
    *,
    tolerance_m: float = 0.0,
    min_border_m: float = MIN_SHARED_BORDER_M,
    with_geometry: bool = False,
) -> pd.DataFrame:
    """Pairs of polygons sharing a border of at least ``min_border_m``.

    Parameters
    ----------
    codes : numpy.ndarray of str
        Unit codes.
    geoms_m : numpy.ndarray of shapely geometries
        Polygons in a metric CRS.
    tolerance_m : float
        Gap or overlap tolerated between neighbours (0 for an exact coverage). A corner contact
        measures about ``2 x tolerance_m`` under it, so a border must be longer than that too.
    min_border_m : float
        Shortest border that counts (see :data:`MIN_SHARED_BORDER_M`).
    with_geometry : bool
        Also return the border itself (column ``border``, lines in the metric CRS).

    Returns
    -------
    pandas.DataFrame
        ``unit_a < unit_b`` and ``shared_border_m`` (and ``border``), sorted by the pair.
    """
    geoms_m = np.asarray(geoms_m, dtype=object)
    codes = np.asarray(codes, dtype=object)
    tree = shapely.STRtree(geoms_m)
    grown = shapely.buffer(geoms_m, tolerance_m) if tolerance_m > 0 else geoms_m
    left, right = tree.query(grown, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if not len(left):
        empty = {"unit_a": pd.Series(dtype=object), "unit_b": pd.Series(dtype=object),
                 "shared_border_m": pd.Series(dtype=float)}
        return cast("pd.DataFrame", pd.DataFrame({**empty, "border": pd.Series(dtype=object)} if with_geometry else empty))
    border = shapely.intersection(shapely.boundary(geoms_m[left]), grown[right])
    length_m = shapely.length(border)
    a, b = codes[left], codes[right]
    swap = a > b
    frame = pd.DataFrame({"unit_a": np.where(swap, b, a), "unit_b": np.where(swap, a, b), "shared_border_m": length_m})
    if with_geometry:
        frame["border"] = border
    frame = frame[(frame["shared_border_m"] >= min_border_m) & (frame["shared_border_m"] > 2 * tolerance_m)]
    return cast("pd.DataFrame", frame.sort_values(["unit_a", "unit_b"]).reset_index(drop=True))


def piece_of(part: Any, raion_pieces: list[Any]) -> int:
    """Index of the raion piece holding ``part`` (the one it overlaps most; 0 if none)."""
    overlaps = [shapely.intersection(part, p).area for p in raion_pieces]
    return int(np.argmax(overlaps)) if overlaps else 0


def part_at(geom: Any, x: float, y: float) -> Any:
    """The part of ``geom`` holding the point (x, y), else the nearest part (a simplified outline
    can move a part's edge across a point near it)."""
    parts = shapely.get_parts(geom)
    return parts[int(np.argmin(shapely.distance(parts, shapely.Point(x, y))))]


def piece_homes(geom: Any, raion: Any) -> list[int]:
    """For each piece of a unit's territory, the index of the piece of its raion holding it.

    A unit in several pieces is a *raion exclave* when these indices are all different (each of
    its pieces lies in another piece of the raion: the raion's outline cut it, not the
    allocation of the raion's land to its units).

    Parameters
    ----------
    geom : shapely geometry
        The unit's territory.
    raion : shapely geometry
        Its raion's polygon, in the same CRS.

    Returns
    -------
    list of int
        One index per piece of ``geom``, in the order of ``shapely.get_parts``.
    """
    raion_pieces = list(shapely.get_parts(raion))
    return [piece_of(part, raion_pieces) for part in shapely.get_parts(geom)]


def split_kind(geom: Any, raion: Any, listed: bool) -> str | None:
    """Why a unit's territory is in several pieces, the same way for the build and ``data info``.

    Parameters
    ----------
    geom, raion : shapely geometry
        The unit's territory and its raion's polygon, as for :func:`piece_homes`.
    listed : bool
        Whether the unit is a listed exclave (``reference/exclaves.csv``).

    Returns
    -------
    str or None
        None for a territory in one piece; ``"listed"`` for a listed exclave; ``"raion"`` for a
        raion exclave (each piece in another piece of its raion, :func:`piece_homes`);
        ``"split"`` when the allocation itself split it.
    """
    if shapely.get_num_geometries(geom) < 2:
        return None
    if listed:
        return "listed"
    homes = piece_homes(geom, raion)
    return "raion" if len(set(homes)) == len(homes) else "split"


def detached_pieces_of(unit_code: str, raion_pieces: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The detached pieces of its raion (not the raion's largest) that a unit holds land in, with
    what cuts each off (``cut_off_by``, ``gap_km``, ``gap_outside_raions_km``, ``seed_points``).

    Parameters
    ----------
    unit_code : str
        The unit.
    raion_pieces : list of dict
        The pieces of the raions drawn in several pieces, as the Kyrgyz build records them
        (the build report's ``territories.raion_pieces``).

    Returns
    -------
    list of dict
        ``area_km2``, ``seed_points``, ``touches_raions`` and, where the build measured it, what
        cuts the piece off (a key of :data:`CUT_OFF_KINDS`) and the gap's length in km, all of it
        and the part outside every raion.
    """
    keys = ("area_km2", "seed_points", "touches_raions", "cut_off_by", "gap_km", "gap_outside_raions_km")
    return [{k: p[k] for k in keys if k in p} for p in raion_pieces
            if not p["largest"] and unit_code in p.get("units", [])]
