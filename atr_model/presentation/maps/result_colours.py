"""Presentation: the status category and the fill of every unit on a result map.

Every unit takes its new unit's status category (:func:`atr_model.scenarios.unit_categories`,
the one owner of what "below the floor", "exempt" and "town" mean); merged new units take
figure colours so that touching ones differ (:func:`new_unit_colours`), or the classes of a
:class:`MergerColours` (the robustness map).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import geopandas as gpd
import pandas as pd
import shapely

from atr_model.presentation import view as owner
from atr_model.presentation.i18n import display_name
from atr_model.presentation.maps.display import DisplayLayers
from atr_model.presentation.maps.elements import records
from atr_model.presentation.maps.palette import CATEGORY_COLOURS, FIGURE
from atr_model.scenarios import unit_categories

__all__ = [
    "MergerColours",
    "PALETTE",
    "with_levels",
    "plan_names",
    "plan_categories",
    "figure_members",
    "new_unit_colours",
    "figure_colours",
    "new_unit_fills",
]

#: Colours of merging new units (the palette's figure colours).
PALETTE = FIGURE


@dataclass(frozen=True)
class MergerColours:
    """Fills of the new units of several units when they show something other than the plan's
    colouring (the robustness map: the share of draws in which each appears exactly).

    Units kept as they are keep their category's ground colour.

    Attributes
    ----------
    title : str
        What the colours show (a legend line).
    colours : mapping
        New unit id -> fill; a merging new unit without one is drawn in the ``kept`` ground.
    legend : sequence of (str, str)
        ``(colour, label)`` per class, in legend order.
    rows : mapping
        New unit id -> extra passport rows ``(label, value)`` (e.g. the share of draws).
    """

    title: str
    colours: Mapping[str, str]
    legend: Sequence[tuple[str, str]]
    rows: Mapping[str, Sequence[tuple[str, str]]] = field(default_factory=dict)


def with_levels(assignments: pd.DataFrame, units: pd.DataFrame | None) -> pd.DataFrame:
    """``assignments`` with string codes and, when it lacks them, the units' ``level`` from
    the dataset (towns are told apart by it)."""
    assign = assignments.copy()
    assign["unit_code"] = assign["unit_code"].astype(str)
    assign["new_unit_id"] = assign["new_unit_id"].astype(str)
    if units is not None and "level" not in assign and "level" in units:
        levels = units["level"].astype(str)
        levels.index = units.index.astype(str)
        assign["level"] = assign["unit_code"].map(levels).fillna("").to_numpy()
    return cast("pd.DataFrame", assign)


def _with_names(assign: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """``assign`` with the name columns the result view names units from
    (:func:`~atr_model.presentation.view.unit_names`), taken from the dataset where the
    assignments lack them (a plan people bring has none)."""
    rows = {str(r["unit_code"]): r for r in records(units)} if "unit_code" in units else {}
    out = assign.copy()
    for column, lang in (("unit_name_ky", "ky"), ("unit_name_ru", "ru"), ("unit_name", "en")):
        if column not in out or not out[column].fillna("").astype(str).str.strip().any():
            out[column] = [display_name(rows[c], lang) if c in rows else c for c in out["unit_code"]]
    return cast("pd.DataFrame", out)


def plan_names(assignments: pd.DataFrame, units: pd.DataFrame, lang: str) -> tuple[dict[str, str], dict[str, str]]:
    """Unit code -> name and new unit id -> name ("Dostuk + 2") in ``lang``, as the result view
    names them (:func:`~atr_model.presentation.view.unit_names`, :func:`~atr_model.presentation.view.new_unit_names`),
    with the dataset's names where the plan carries none."""
    named = _with_names(with_levels(assignments, None), units)
    return owner.unit_names(named, lang), owner.new_unit_names(named, lang)


def _category_passports(assignments: pd.DataFrame, new_units: pd.DataFrame | None) -> pd.DataFrame:
    """The new-unit passports the categories are read from.

    A result's passports (``n_members``, ``below_floor`` against the scenario's floor); without
    them (a plan people bring, drawn before its passports exist) the sizes come from the
    assignments and a new unit is below the floor when the engine's status says so.
    """
    if new_units is not None and {"new_unit_id", "n_members", "below_floor"} <= set(new_units.columns):
        return cast("pd.DataFrame", pd.DataFrame(new_units.drop(columns="geometry", errors="ignore")))
    grouped = assignments.groupby(assignments["new_unit_id"].astype(str), sort=True)
    status = assignments["status"] if "status" in assignments else pd.Series("", index=assignments.index)
    below = status.astype(str).eq("below_floor_no_partner").groupby(assignments["new_unit_id"].astype(str)).any()
    sizes = grouped.size()
    return cast("pd.DataFrame", pd.DataFrame(
        {"new_unit_id": sizes.index, "n_members": sizes.to_numpy(), "below_floor": below.reindex(sizes.index).to_numpy()}
    ))


def plan_categories(assignments: pd.DataFrame, new_units: pd.DataFrame | None) -> pd.DataFrame:
    """Unit code -> ``new_unit_id``, ``category`` and ``exempt_rule`` (:func:`~atr_model.scenarios.unit_categories`)."""
    plan = assignments.reset_index(drop=True)
    if "status" not in plan:
        plan = plan.assign(status="")
    return unit_categories(plan, _category_passports(plan, new_units))


def figure_members(
    assignments: pd.DataFrame, new_units: pd.DataFrame | None = None, *, units: pd.DataFrame | None = None
) -> dict[str, frozenset[str]]:
    """New unit id -> its member unit codes, for the merged new units (the map's figure).

    ``units``: the dataset's units, whose ``level`` tells towns apart when the assignments have
    no such column.
    """
    table = plan_categories(with_levels(assignments, units), new_units)
    merged = table[table["category"] == "merged"]
    return {str(uid): frozenset(map(str, group.index)) for uid, group in merged.groupby("new_unit_id", sort=True)}


def _greedy(adjacency: Mapping[str, set[str]], fixed: Mapping[str, str]) -> dict[str, str]:
    """A figure colour per node so that neighbours differ, the ``fixed`` ones kept.

    Largest degree first, ties by id (deterministic); each takes the first palette colour none
    of its coloured neighbours has (in the rare case all eight are taken, the one fewest of
    them have).
    """
    colours = {uid: colour for uid, colour in fixed.items() if uid in adjacency}
    for uid in sorted((u for u in adjacency if u not in colours), key=lambda u: (-len(adjacency[u]), u)):
        around = [colours[n] for n in sorted(adjacency[uid]) if n in colours]
        free = [c for c in FIGURE if c not in around]
        colours[uid] = free[0] if free else min(FIGURE, key=around.count)
    return colours


def new_unit_colours(
    new_units: gpd.GeoDataFrame, id_column: str = "new_unit_id", *, fixed: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Give each new unit a palette colour so that touching new units differ.

    Parameters
    ----------
    new_units
        One row per new unit, or one per member unit (the new unit's id on each of its
        members' rows): new units touch when any of their shapes do.
    id_column
        The column of new unit ids.
    fixed
        Colours already decided (Compare: a new unit with the same members in the other
        plan keeps that plan's colour); the others avoid their neighbours' colours.
    """
    ids = [str(v) for v in new_units[id_column]]
    adjacency: dict[str, set[str]] = {uid: set() for uid in ids}
    geoms = new_units.geometry.to_numpy()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    for a, b in zip(left, right):
        if ids[a] != ids[b]:
            adjacency[ids[a]].add(ids[b])
            adjacency[ids[b]].add(ids[a])
    return _greedy(adjacency, fixed or {})


def figure_colours(
    layers: DisplayLayers,
    assignments: pd.DataFrame,
    new_units: pd.DataFrame | None = None,
    *,
    fixed: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The fill of every merged new unit of a plan (:func:`new_unit_colours` on its members'
    shapes); ``fixed`` colours are kept (see :func:`~atr_model.presentation.maps.compare.paired_colours`)."""
    members = figure_members(assignments, new_units, units=layers.units)
    rows = [(uid, code) for uid, codes in members.items() for code in sorted(codes) if code in layers.units.index]
    if not rows:
        return {}
    frame = gpd.GeoDataFrame(
        {"new_unit_id": [uid for uid, _ in rows]},
        geometry=layers.units.geometry.loc[[code for _, code in rows]].to_numpy(),
        crs=layers.units.crs,
    )
    return new_unit_colours(frame, fixed={uid: c for uid, c in (fixed or {}).items() if uid in members})


def new_unit_fills(
    dissolved: gpd.GeoDataFrame, passports: Mapping[str, Mapping[str, Any]], figure: Mapping[str, str],
    mergers: MergerColours | None,
) -> dict[str, str]:
    """Fill of every new unit of several units: its class under ``mergers``; else its figure
    colour when merged, its category's colour when below the floor."""
    fills = {}
    for uid in dissolved["new_unit_id"]:
        if mergers is not None:
            fills[uid] = mergers.colours.get(uid, CATEGORY_COLOURS["kept"])
        elif passports[uid]["category"] == "merged":
            fills[uid] = figure[uid]
        else:
            fills[uid] = CATEGORY_COLOURS[passports[uid]["category"]]
    return fills
