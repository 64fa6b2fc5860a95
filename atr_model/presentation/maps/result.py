"""Presentation: the map of a scenario result, assembled from its parts.

Every unit is coloured by its new unit's status category (:mod:`atr_model.scenarios.categories`,
colours :data:`~atr_model.presentation.maps.palette.CATEGORY_COLOURS`), the one owner of what
"below the floor", "exempt" and "town" mean, so the map paints red exactly the new units the
key figure ``below_floor_after_non_exempt`` counts. :func:`result_map` puts together:

* :mod:`.result_colours` - each unit's category and each merged new unit's fill;
* :mod:`.result_passports` - the new-unit passports, tooltips and popups;
* :mod:`.result_layers` - the layers, one function per layer;
* :mod:`.result_legend` - one entry per category the map shows and per line style it draws.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
import shapely

from atr_model.data.contract import is_estimate_source
from atr_model.presentation.i18n import DEFAULT_LANGUAGE, t
from atr_model.presentation.maps.base import (
    base_map,
    exclave_notes,
    finish,
    land_legend_entries,
    outline_layers,
    settlement_layer,
)
from atr_model.presentation.maps.display import DisplayLayers
from atr_model.presentation.maps.elements import HoverGroups, swatch
from atr_model.presentation.maps.palette import LINES
from atr_model.presentation.maps.result_colours import (
    MergerColours,
    figure_colours,
    new_unit_fills,
    plan_categories,
    plan_names,
    with_levels,
)
from atr_model.presentation.maps.result_layers import (
    DIFFERS_STYLE,
    VIOLATION_STYLE,
    centres_layer,
    exempt_layer,
    ground_layer,
    links_layer,
    marked_units_layer,
    members_layer,
    new_unit_labels,
    new_units_layer,
)
from atr_model.presentation.maps.result_legend import result_legend
from atr_model.presentation.maps.result_passports import new_unit_passports, unit_table

__all__ = ["result_map"]


@dataclass(frozen=True)
class _Plan:
    """What the layers of a result map are drawn from.

    Attributes
    ----------
    assign
        The assignments with the units' levels, indexed by unit code (the column kept).
    names
        Unit code -> name in the map's language.
    passports
        New unit id -> passport (:func:`~.result_passports.new_unit_passports`) with its
        category, category label, extra rows and territory note.
    table
        One row per current unit (:func:`~.result_passports.unit_table`).
    dissolved
        The new units of several units, dissolved from their members' shapes.
    """

    assign: pd.DataFrame
    names: Mapping[str, str]
    passports: dict[str, dict[str, Any]]
    table: gpd.GeoDataFrame
    dissolved: gpd.GeoDataFrame


def result_map(
    layers: DisplayLayers,
    assignments: pd.DataFrame,
    *,
    new_units: pd.DataFrame | None = None,
    links: pd.DataFrame | None = None,
    lang: str = DEFAULT_LANGUAGE,
    travel_model_label: str = "",
    offline: bool | None = None,
    tiles: str | None = None,
    show_settlements: bool = False,
    basemap: str | None = "hillshade",
    colours: Mapping[str, str] | None = None,
    differing: Iterable[str] = (),
    violations: Iterable[str] = (),
    mergers: MergerColours | None = None,
) -> folium.Map:
    """Map of a scenario result: merging new units as the figure over the units kept as they
    are, every unit in its new unit's status category's colour.

    Parameters
    ----------
    layers
        Display layers of the dataset the scenario ran on.
    assignments
        The result's ``assignments.csv`` table (unit_code, new_unit_id, centre_code, status,
        reason, population, population_is_estimate, travel_time_to_centre_min, exempt_rules...).
    new_units
        The result's new-unit passports (``new_units.gpkg`` attributes: ``n_members`` and
        ``below_floor`` decide the categories); geometry is not used, new units are dissolved
        from the simplified current units so borders stay clean. Without them a new unit is
        below the floor when its status says so.
    links
        Optional unit adjacency (unit_a, unit_b, kind, barrier) drawn between unit centres.
    lang
        Label language.
    travel_model_label
        A label starting with "modelled" marks every travel time as an estimate (≈).
    offline, tiles, basemap
        Background options of :func:`~atr_model.presentation.maps.base.base_map`.
    show_settlements
        Whether the settlement layer is switched on initially (off for national maps).
    colours
        Figure colours already decided for merged new units (new unit id -> colour; Compare
        colours both plans together, :func:`~atr_model.presentation.maps.compare.paired_colours`);
        the others are coloured so that touching new units differ.
    differing
        Codes of units grouped differently in the other plan of a comparison: a thick dashed
        outline, with its legend entry.
    violations
        Codes of units a violation of a criterion names (a checked plan): a red outline, with
        its legend entry.
    mergers
        Colour the new units of several units by something else (the robustness map).
    """
    fmap = base_map(layers, offline=offline, tiles=tiles, basemap=basemap, lang=lang)
    modelled = travel_model_label.startswith("modelled")
    plan = _plan(layers, assignments, new_units, lang, modelled=modelled, mergers=mergers)
    ground_layer(fmap, plan.table, lang)
    exempt_layer(fmap, plan.table, lang)
    figure = figure_colours(layers, plan.assign.reset_index(drop=True), new_units, fixed=colours) if mergers is None else {}
    fills = new_unit_fills(plan.dissolved, plan.passports, figure, mergers)
    new_layer = new_units_layer(fmap, plan.dissolved, plan.passports, fills, lang)
    member_layer = members_layer(fmap, plan.table, lang)
    _context_layers(fmap, layers, plan, links, lang, show_settlements=show_settlements)
    if new_layer is not None:
        HoverGroups(
            new_layer, [m for m in (member_layer,) if m is not None],
            style={"weight": 3.2, "color": LINES["highlight"], "fillOpacity": 0.92},
        ).add_to(fmap)
    marks = _marks(fmap, layers, plan.assign, differing, violations, lang)
    # categories the map paints: under ``mergers`` the merging new units show its classes instead
    table = plan.table
    shown = table.loc[table["ground"] != "member", "category"] if mergers is not None else table["category"]
    result_legend(
        fmap, lang, categories=set(shown), has_links=links is not None and len(links) > 0,
        has_relief=layers.hillshade is not None and basemap == "hillshade", modelled=modelled,
        land=land_legend_entries(layers, lang), marks=marks, mergers=mergers,
    )
    return finish(fmap)


def _plan(
    layers: DisplayLayers, assignments: pd.DataFrame, new_units: pd.DataFrame | None, lang: str, *,
    modelled: bool, mergers: MergerColours | None,
) -> _Plan:
    """The tables a result map is drawn from: categories, names, passports, one row per unit
    and the dissolved new units of several units."""
    units = layers.units
    assign = with_levels(assignments, units)
    names, new_names = plan_names(assign, units, lang)
    categories = plan_categories(assign, new_units)
    assign = assign.set_index("unit_code", drop=False)
    approximate = (
        {str(k): bool(v) for k, v in units["geometry_source"].map(is_estimate_source).items()}
        if "geometry_source" in units else {}
    )
    passports = new_unit_passports(assign.reset_index(drop=True), new_units, names, new_names, approximate, modelled)
    _categorise(passports, categories["category"], lang, mergers)
    table = unit_table(layers, assign, categories, passports, names, approximate, lang, modelled)
    dissolved = _dissolved(table, units.crs)
    _note_exclaves(layers, dissolved, passports, names, lang)
    return _Plan(assign, names, passports, table, dissolved)


def _categorise(
    passports: dict[str, dict[str, Any]], unit_category: pd.Series, lang: str, mergers: MergerColours | None
) -> None:
    """Give each passport its new unit's category (that of its first member on the map), the
    category's label and the rows ``mergers`` adds."""
    for uid, passport in passports.items():
        members = [m for m in passport.get("members_list", []) if m in unit_category.index]
        passport["category"] = str(unit_category[members[0]]) if members else "kept"
        passport["category_label"] = t(f"category.{passport['category']}", lang)
        passport["extra_rows"] = list(mergers.rows.get(uid, ())) if mergers is not None else []


def _dissolved(table: gpd.GeoDataFrame, crs: Any) -> gpd.GeoDataFrame:
    """The new units of several units (``new_unit_id``, geometry), dissolved from their members."""
    members = table[table["ground"] == "member"]
    if not len(members):
        return gpd.GeoDataFrame({"new_unit_id": []}, geometry=[], crs=crs)
    return members[["group", "geometry"]].dissolve(by="group", sort=True).reset_index().rename(columns={"group": "new_unit_id"})


def _note_exclaves(
    layers: DisplayLayers, dissolved: gpd.GeoDataFrame, passports: dict[str, dict[str, Any]],
    names: Mapping[str, str], lang: str,
) -> None:
    """Add the "Territory" line to the passports of new units whose members hold exclaves."""
    groups = {uid: (passports[uid]["members_list"], int(pieces))
              for uid, pieces in zip(dissolved["new_unit_id"], shapely.get_num_geometries(dissolved.geometry.to_numpy()))}
    for uid, note in exclave_notes(layers, groups, names, lang).items():
        passports[uid]["territory_note"] = note


def _context_layers(
    fmap: folium.Map, layers: DisplayLayers, plan: _Plan, links: pd.DataFrame | None, lang: str, *,
    show_settlements: bool,
) -> None:
    """What surrounds the new units: outlines, links, settlements, centres and new-unit names."""
    outline_layers(fmap, layers, lang)
    if links is not None and len(links):
        links_layer(fmap, layers, links, lang)
    settlement_layer(fmap, layers, lang, show=show_settlements)
    centres_layer(fmap, layers, plan.passports, lang)
    new_unit_labels(fmap, plan.dissolved, plan.passports, lang)


def _marks(
    fmap: folium.Map, layers: DisplayLayers, assign: pd.DataFrame, differing: Iterable[str], violations: Iterable[str],
    lang: str,
) -> list[tuple[str, str]]:
    """Outlines over everything (units grouped differently in the other plan, units a violation
    names); returns their legend entries."""
    marks = []
    group_of = dict(zip(assign["unit_code"], assign["new_unit_id"]))
    if marked_units_layer(fmap, layers, differing, name=t("map.differs", lang), style=DIFFERS_STYLE, group_by=group_of):
        marks.append((swatch(LINES["differs"], "line", dashed=True, width_px=3), t("map.differs", lang)))
    if marked_units_layer(fmap, layers, violations, name=t("plan.violations", lang), style=VIOLATION_STYLE):
        marks.append((swatch(LINES["violation"], "line", width_px=3), t("map.violation", lang)))
    return marks
