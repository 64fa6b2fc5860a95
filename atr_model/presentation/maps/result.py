"""Presentation: the map of a scenario result, one function per layer.

Every unit is coloured by its new unit's status category (:mod:`atr_model.scenarios.categories`,
colours :data:`~atr_model.presentation.maps.palette.CATEGORY_COLOURS`), the one owner of what
"below the floor", "exempt" and "town" mean, so the map paints red exactly the new units the
key figure ``below_floor_after_non_exempt`` counts:

* :func:`ground_layer` - new units of one unit kept as they are: kept (muted), towns, and those
  below the floor (red);
* :func:`exempt_layer` - exempt aiyl aimaks kept as they are: one sand tint whatever the rule
  (the rule is in the tooltip and popup), dotted outline;
* :func:`new_units_layer` - new units of several units, the figure: merged ones in distinct
  colours (touching ones differ, :func:`figure_colours`), one still below the floor red;
* :func:`members_layer` - the current units inside them: faint internal borders, and the
  hover target that highlights the whole new unit and shows its passport;
* :func:`marked_units_layer` - outlines over everything: units a violation names (a checked
  plan) and units grouped differently in the other plan (Compare);
* :func:`centres_layer`, :func:`links_layer` (off by default), :func:`new_unit_labels`
  ("Ak-Bulun + 3" where the name fits) and :func:`result_legend` (one entry per category the
  map shows and per line style it draws).

New units are named as :func:`atr_model.presentation.view.new_unit_names` names them ("Dostuk
+ 2"), the id secondary. Tooltips and popups are HTML: names in them are escaped. Estimated
figures carry their mark ("≈ … (estimate)"): populations flagged as estimates, areas of
approximate territories and travel times of a modelled travel network.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
import shapely

from atr_model.data.contract import is_estimate_source
from atr_model.presentation import view as owner
from atr_model.presentation.i18n import (
    DEFAULT_LANGUAGE,
    display_name,
    estimate_note,
    format_minutes,
    format_number,
    status_label,
    t,
)
from atr_model.presentation.maps.base import (
    base_map,
    exclave_notes,
    exclave_rows,
    finish,
    land_legend_entries,
    outline_layers,
    settlement_layer,
)
from atr_model.presentation.maps.display import DisplayLayers
from atr_model.presentation.maps.elements import (
    HoverGroups,
    Legend,
    ZoomLabels,
    features,
    geojson_layer,
    hover_layer,
    label_min_zoom,
    popup_table,
    records,
    swatch,
    text,
    tip_text,
)
from atr_model.presentation.maps.palette import CATEGORY_COLOURS, FIGURE, LINES
from atr_model.presentation.messages import render_reason
from atr_model.scenarios import CATEGORIES, unit_categories

__all__ = [
    "result_map",
    "MergerColours",
    "figure_colours",
    "figure_members",
    "plan_names",
    "new_unit_colours",
    "ground_layer",
    "exempt_layer",
    "new_units_layer",
    "members_layer",
    "marked_units_layer",
    "centres_layer",
    "links_layer",
    "new_unit_labels",
    "result_legend",
    "PALETTE",
    "DIFFERS_STYLE",
    "VIOLATION_STYLE",
]

logger = logging.getLogger(__name__)

#: Colours of merging new units (the palette's figure colours).
PALETTE = FIGURE
#: New-unit names show from this zoom at the earliest, even where a name would fit before.
_LABEL_FLOOR_ZOOM = 7.0
#: Outline of a unit a violation of a criterion names (a checked plan), over everything else.
VIOLATION_STYLE: dict[str, Any] = {"color": LINES["violation"], "weight": 3.0, "opacity": 1.0, "fill": False}
#: Outline of a unit grouped differently in the other plan of a comparison: thick and dashed,
#: longer dashes than an exclave's, in its own colour.
DIFFERS_STYLE: dict[str, Any] = {"color": LINES["differs"], "weight": 3.5, "dashArray": "9 5", "opacity": 0.95, "fill": False}


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


# ---------------------------------------------------------------------------------------------
# categories and colours


def _with_levels(assignments: pd.DataFrame, units: pd.DataFrame | None) -> pd.DataFrame:
    """``assignments`` with string codes and, when it lacks them, the units' ``level`` from
    the dataset (towns are told apart by it)."""
    assign = assignments.copy()
    assign["unit_code"] = assign["unit_code"].astype(str)
    assign["new_unit_id"] = assign["new_unit_id"].astype(str)
    if units is not None and "level" not in assign and "level" in units:
        levels = units["level"].astype(str)
        levels.index = units.index.astype(str)
        assign["level"] = assign["unit_code"].map(levels).fillna("").to_numpy()
    return assign


def _with_names(assign: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """``assign`` with the name columns the result view names units from
    (:func:`~atr_model.presentation.view.unit_names`), taken from the dataset where the
    assignments lack them (a plan people bring has none)."""
    rows = {str(r["unit_code"]): r for r in records(units)} if "unit_code" in units else {}
    out = assign.copy()
    for column, lang in (("unit_name_ky", "ky"), ("unit_name_ru", "ru"), ("unit_name", "en")):
        if column not in out or not out[column].fillna("").astype(str).str.strip().any():
            out[column] = [display_name(rows[c], lang) if c in rows else c for c in out["unit_code"]]
    return out


def plan_names(assignments: pd.DataFrame, units: pd.DataFrame, lang: str) -> tuple[dict[str, str], dict[str, str]]:
    """Unit code -> name and new unit id -> name ("Dostuk + 2") in ``lang``, as the result view
    names them (:func:`~atr_model.presentation.view.unit_names`, :func:`~atr_model.presentation.view.new_unit_names`),
    with the dataset's names where the plan carries none."""
    named = _with_names(_with_levels(assignments, None), units)
    return owner.unit_names(named, lang), owner.new_unit_names(named, lang)


def _category_passports(assignments: pd.DataFrame, new_units: pd.DataFrame | None) -> pd.DataFrame:
    """The new-unit passports the categories are read from.

    A result's passports (``n_members``, ``below_floor`` against the scenario's floor); without
    them (a plan people bring, drawn before its passports exist) the sizes come from the
    assignments and a new unit is below the floor when the engine's status says so.
    """
    if new_units is not None and {"new_unit_id", "n_members", "below_floor"} <= set(new_units.columns):
        return pd.DataFrame(new_units.drop(columns="geometry", errors="ignore"))
    grouped = assignments.groupby(assignments["new_unit_id"].astype(str), sort=True)
    status = assignments["status"] if "status" in assignments else pd.Series("", index=assignments.index)
    below = status.astype(str).eq("below_floor_no_partner").groupby(assignments["new_unit_id"].astype(str)).any()
    sizes = grouped.size()
    return pd.DataFrame(
        {"new_unit_id": sizes.index, "n_members": sizes.to_numpy(), "below_floor": below.reindex(sizes.index).to_numpy()}
    )


def _categories(assignments: pd.DataFrame, new_units: pd.DataFrame | None) -> pd.DataFrame:
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
    table = _categories(_with_levels(assignments, units), new_units)
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


# ---------------------------------------------------------------------------------------------
# passports


def _passports(
    assignments: pd.DataFrame,
    new_units: pd.DataFrame | None,
    names: Mapping[str, str],
    new_names: Mapping[str, str],
    approximate: Mapping[str, bool],
    travel_modelled: bool,
) -> dict[str, dict[str, Any]]:
    """Passport per new unit id (from the result's new_units table, else from assignments),
    with its display name in the map's language and the estimate flags of area and travel."""
    out: dict[str, dict[str, Any]] = {}
    if new_units is not None and len(new_units):
        for record in records(new_units):
            out[str(record["new_unit_id"])] = dict(record)
    groups = {str(uid): g for uid, g in assignments.groupby("new_unit_id", sort=True)}
    for uid, group in groups.items():
        members = sorted(group["unit_code"].astype(str))
        passport = out.setdefault(uid, {"new_unit_id": uid})
        if not passport.get("centre_code"):
            passport["centre_code"] = str(group["centre_code"].iloc[0])
        if "population" not in passport and "population" in group:
            passport["population"] = float(group["population"].sum())
            est = group.get("population_is_estimate", pd.Series(False, index=group.index)).astype(bool)
            passport["population_has_estimates"] = bool(est.any())
        centre = str(passport["centre_code"])
        passport["members_list"] = members
        passport["n_members"] = len(members)
        passport["centre_name"] = names.get(centre, text(passport.get("centre_name")) or centre)
        passport["members_text"] = ", ".join(names.get(m, m) for m in members)
        passport["display_name"] = new_names.get(uid, uid)
        passport["area_is_estimate"] = any(approximate.get(m, False) for m in members)
        flags = group.get("travel_time_is_modelled", pd.Series(False, index=group.index)).fillna(False).astype(bool)
        passport["travel_is_modelled"] = travel_modelled or bool(flags.any())
    return out


def _passport_rows(passport: Mapping[str, Any], lang: str, *, short: bool = False) -> list[tuple[str, str]]:
    """Passport lines; ``short`` for the hover tooltip."""
    has_est = bool(passport.get("population_has_estimates", False))
    modelled = bool(passport.get("travel_is_modelled", False))
    rows = [
        (t("field.centre", lang), text(passport.get("centre_name") or passport.get("centre_code"))),
        (t("field.population", lang), format_number(passport.get("population"), lang, is_estimate=has_est)),
        (
            t("field.area", lang),
            format_number(passport.get("area_km2"), lang, digits=1, is_estimate=bool(passport.get("area_is_estimate"))),
        ),
        (t("field.travel_mean", lang), format_minutes(passport.get("travel_time_mean_min"), lang, is_modelled=modelled)),
        (t("field.travel_max", lang), format_minutes(passport.get("travel_time_max_min"), lang, is_modelled=modelled)),
    ]
    if short:
        return [(t("field.members", lang), str(passport.get("n_members", ""))), *rows, *passport.get("extra_rows", ())]
    rows = [
        (t("field.new_unit", lang), text(passport.get("new_unit_id"))),
        (t("field.category", lang), text(passport.get("category_label"))),
        *rows[:1],
        (t("field.members", lang), text(passport.get("members_text"))),
        *rows[1:],
    ]
    exempt = passport.get("exempt_members")
    if isinstance(exempt, str) and exempt:
        rows.append((t("field.exempt", lang), exempt))
    estimated = passport.get("estimated_inputs")
    if isinstance(estimated, str) and estimated:
        rows.append((t("field.estimates", lang), "≈ " + estimate_note(estimated, lang)))
    if passport.get("territory_note"):
        rows.append((t("field.territory", lang), str(passport["territory_note"])))
    rows.extend(passport.get("extra_rows", ()))
    return rows


def _reason(a: Mapping[str, Any], names: Mapping[str, str], lang: str) -> str:
    """Why a unit ends where it does, in ``lang`` (:func:`~atr_model.presentation.messages.render_reason`)."""
    return render_reason(a, lang, names)


def _unit_rows(
    code: str, a: Mapping[str, Any], unit: Mapping[str, Any], names: Mapping[str, str], new_unit: str, rule: str,
    lang: str, *, modelled: bool, area_estimate: bool,
) -> list[tuple[str, str]]:
    est = bool(a.get("population_is_estimate", unit.get("population_is_estimate", False)))
    tt_modelled = modelled or bool(a.get("travel_time_is_modelled", False))
    return [
        (t("field.code", lang), code),
        (t("field.status", lang), status_label(str(a["status"]), lang)),
        (t("field.exempt_rule", lang), t(f"map.rule.{rule}", lang) if rule else ""),
        (t("field.reason", lang), _reason(a, names, lang)),
        (t("field.population", lang), format_number(a.get("population", unit.get("population")), lang, is_estimate=est)),
        (t("field.area", lang), format_number(unit.get("area_km2"), lang, digits=1, is_estimate=area_estimate)),
        (t("field.new_unit", lang), new_unit),
        (t("field.centre", lang), names.get(text(a.get("centre_code")), text(a.get("centre_code")))),
        (t("field.travel_max", lang), format_minutes(a.get("travel_time_to_centre_min"), lang, is_modelled=tt_modelled)),
    ]


# ---------------------------------------------------------------------------------------------
# layers


def _unit_frame(
    units: gpd.GeoDataFrame, codes: list[str], rows: list[dict[str, Any]]
) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry=units.loc[codes].geometry.to_numpy(), crs=units.crs, index=codes)


#: Outline and fill of each polygon layer of the result map; the fill colour comes from a
#: feature property where the layer colours its features one by one.
_LAYER_STYLES: dict[str, dict[str, Any]] = {
    "ground": {"color": LINES["unit"], "weight": 0.6},
    "exempt": {"color": LINES["unit"], "weight": 0.6, "dashArray": "2 3", "fillOpacity": 0.9},
    "new_units": {"color": LINES["new_unit"], "weight": 1.6, "fillOpacity": 0.78},
    "members": {"color": LINES["internal"], "weight": 0.8, "opacity": 0.55, "fill": True, "fillOpacity": 0.0},
}


def _unit_layer(
    fmap: folium.Map,
    frame: pd.DataFrame,
    *,
    name: str,
    style: str,
    fill: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None,
    tip_fields: tuple[str, ...] = ("tip",),
    html_fields: tuple[str, ...] = (),
) -> folium.GeoJson:
    """One hoverable polygon layer of the result map: ``tip_fields`` as tooltip, ``popup`` on click.

    ``style`` names the layer's outline and fill in :data:`_LAYER_STYLES`; ``fill`` adds the
    per-feature part (from the feature's properties). Tooltip fields are plain text (escaped)
    unless named in ``html_fields``.
    """
    fixed = _LAYER_STYLES[style]
    layer = hover_layer(
        frame, name=name, style_function=lambda f: {**fixed, **(fill(f["properties"]) if fill else {})},
        tip_fields=tip_fields, html_fields=html_fields,
    )
    layer.add_to(fmap)
    return layer


def ground_layer(fmap: folium.Map, frame: gpd.GeoDataFrame, lang: str) -> folium.GeoJson | None:
    """New units of one unit kept as they are (not exempt), in their category's colour: muted
    ground, towns a shade darker, units below the floor red."""
    part = frame[frame["ground"].isin(["kept", "town", "below_floor"])]
    if not len(part):
        return None

    def fill(props: Mapping[str, Any]) -> dict[str, Any]:
        ground = props["ground"]
        return {"fillColor": CATEGORY_COLOURS[ground], "fillOpacity": 0.75 if ground == "below_floor" else 0.9}

    columns = ["tip", "popup", "ground", "category", "new_unit_id", "geometry"]
    return _unit_layer(fmap, part[columns], name=t("map.unchanged", lang), style="ground", fill=fill)


def exempt_layer(fmap: folium.Map, frame: gpd.GeoDataFrame, lang: str) -> folium.GeoJson | None:
    """Exempt aiyl aimaks kept as they are: one tint whatever the rule (the rule is in the
    tooltip and popup), dotted outline."""
    part = frame[frame["ground"] == "exempt"]
    if not len(part):
        return None
    columns = ["tip", "popup", "category", "rule", "new_unit_id", "geometry"]
    return _unit_layer(fmap, part[columns], name=t("category.exempt", lang), style="exempt",
                       fill=lambda _props: {"fillColor": CATEGORY_COLOURS["exempt"]})


def new_units_layer(
    fmap: folium.Map,
    dissolved: gpd.GeoDataFrame,
    passports: Mapping[str, Mapping[str, Any]],
    fills: Mapping[str, str],
    lang: str,
) -> folium.GeoJson | None:
    """New units of several units, the figure: dissolved polygons filled with ``fills`` (new
    unit id -> colour: the figure colours of merged units, red for one below the floor)."""
    if not len(dissolved):
        return None
    frame = dissolved.copy()
    frame["fill"] = [fills[uid] for uid in frame["new_unit_id"]]
    frame["category"] = [passports[uid]["category"] for uid in frame["new_unit_id"]]
    frame["tip"] = [passports[uid]["display_name"] for uid in frame["new_unit_id"]]
    frame["popup"] = [
        popup_table(_passport_rows(passports[uid], lang), passports[uid]["display_name"]) for uid in frame["new_unit_id"]
    ]
    frame = frame.set_index("new_unit_id", drop=False)[["new_unit_id", "category", "fill", "tip", "popup", "geometry"]]
    return _unit_layer(fmap, frame, name=t("map.new_units", lang), style="new_units",
                       fill=lambda props: {"fillColor": props["fill"]})


def members_layer(fmap: folium.Map, frame: gpd.GeoDataFrame, lang: str) -> folium.GeoJson | None:
    """Current units inside merging new units: faint internal borders over the new unit's
    colour, and the hover target (tooltip: the unit, then its new unit's passport)."""
    part = frame[frame["ground"] == "member"]
    if not len(part):
        return None
    columns = ["tip", "passport", "popup", "category", "group", "geometry"]
    return _unit_layer(fmap, part[columns], name=t("map.current_units", lang), style="members",
                       tip_fields=("tip", "passport"), html_fields=("passport",))


def marked_units_layer(
    fmap: folium.Map, layers: DisplayLayers, codes: Iterable[str], *, name: str, style: Mapping[str, Any],
    group_by: Mapping[str, str] | None = None,
) -> folium.GeoJson | None:
    """Outlines of some units over everything else (not interactive: the units' own popups
    stay reachable); ``group_by`` (unit code -> new unit id) outlines each new unit's marked
    part once instead of every unit. Nothing when no code is on the map."""
    wanted = sorted({str(c) for c in codes} & set(layers.units.index))
    if not wanted:
        return None
    frame = layers.units.loc[wanted, ["geometry"]]
    if group_by is not None:
        frame = frame.assign(part=[group_by.get(c, c) for c in wanted]).dissolve(by="part", sort=True)[["geometry"]]
    layer = geojson_layer(features(frame), name=name, interactive=False, style_function=lambda _f: dict(style))
    layer.add_to(fmap)
    return layer


def _centre_points(layers: DisplayLayers) -> pd.DataFrame:
    units = layers.units
    return pd.DataFrame(
        {"lon": units["centre_lon"].astype(float), "lat": units["centre_lat"].astype(float)}, index=units.index
    )


def centres_layer(
    fmap: folium.Map, layers: DisplayLayers, passports: Mapping[str, Mapping[str, Any]], lang: str
) -> None:
    """Centres of merging new units: small white dots (the figure is the unit, not its centre)."""
    points = _centre_points(layers)
    rows = []
    for uid, passport in sorted(passports.items()):
        code = str(passport.get("centre_code", ""))
        if code not in points.index or int(passport.get("n_members", 0)) < 2:
            continue  # a unit kept as it is needs no centre marker
        rows.append(
            {
                "id": uid,
                "tip": f"{t('field.centre', lang)}: {passport['display_name']}",
                "geometry": shapely.Point(points.at[code, "lon"], points.at[code, "lat"]),
            }
        )
    _tip_layer(
        fmap, rows, layers, name=t("map.centres", lang), marker=folium.CircleMarker(radius=3.5),
        style_function=lambda _f: {
            "radius": 3.5, "color": LINES["centre"], "weight": 1.2, "fillColor": "#ffffff", "fillOpacity": 1,
        },
    )


def _tip_layer(fmap: folium.Map, rows: list[dict[str, Any]], layers: DisplayLayers, *, name: str, **kwargs: Any) -> None:
    """A layer of drawn features (rows with ``id``, plain-text ``tip`` and a geometry), the tip
    (escaped) on hover; nothing when there are no rows. ``kwargs`` go to :func:`geojson_layer`
    (style, marker, show)."""
    if not rows:
        return
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=layers.units.crs).set_index("id")
    frame["tip"] = [tip_text(v) for v in frame["tip"]]
    tooltip = folium.GeoJsonTooltip(fields=["tip"], labels=False)
    geojson_layer(features(frame), name=name, tooltip=tooltip, **kwargs).add_to(fmap)


def links_layer(fmap: folium.Map, layers: DisplayLayers, links: pd.DataFrame, lang: str) -> None:
    """Unit adjacency between unit centres (off by default); links across a barrier dashed red."""
    points = _centre_points(layers)
    rows = []
    for link in links.to_dict("records"):
        a, b = str(link["unit_a"]), str(link["unit_b"])
        if a not in points.index or b not in points.index:
            continue
        barrier = bool(link.get("barrier", False))
        rows.append(
            {
                "id": f"{a}|{b}",
                "barrier": barrier,
                "tip": f"{a} – {b}" + (f" ({t('map.barrier', lang)})" if barrier else ""),
                "geometry": shapely.LineString(
                    [(points.at[a, "lon"], points.at[a, "lat"]), (points.at[b, "lon"], points.at[b, "lat"])]
                ),
            }
        )
    barrier_style = {True: {"color": LINES["barrier"], "dashArray": "4 4"}, False: {"color": LINES["link"]}}
    _tip_layer(
        fmap, rows, layers, name=t("map.links", lang), show=False,
        style_function=lambda f: {**barrier_style[bool(f["properties"]["barrier"])], "weight": 1.2},
    )


def new_unit_labels(
    fmap: folium.Map, dissolved: gpd.GeoDataFrame, passports: Mapping[str, Mapping[str, Any]], lang: str
) -> list[tuple[float, float, str, float, float]]:
    """Names of merging new units ("Ak-Bulun + 3") at their polygon's inner point, each from
    the zoom at which it fits inside the polygon. Returns the labels (for tests)."""
    labels = []
    for uid, geom in zip(dissolved["new_unit_id"], dissolved.geometry):
        name = passports[uid]["display_name"]
        point = geom.representative_point()
        minx, miny, maxx, maxy = geom.bounds
        lo = label_min_zoom((maxx - minx) * 1.1, (maxy - miny) * 1.1, name, lat=point.y, floor=_LABEL_FLOOR_ZOOM)
        labels.append((point.y, point.x, name, lo, 99.0))
    if labels:
        ZoomLabels(labels, css_class="new-unit", name=t("map.new_unit_names", lang), char_px=7.2).add_to(fmap)
    return labels


def _category_swatch(category: str) -> str:
    """A category's legend swatch, drawn as the map draws it (merged units: three figure
    colours with the new unit's outline; exempt ones: the dotted outline)."""
    if category == "merged":
        return "".join(swatch(c, border=LINES["new_unit"]) for c in FIGURE[:3])
    return swatch(CATEGORY_COLOURS[category], dashed=category == "exempt")


def result_legend(
    fmap: folium.Map, lang: str, *, categories: Iterable[str], has_links: bool, has_relief: bool, modelled: bool,
    land: list[tuple[str, str]] | None = None, marks: Sequence[tuple[str, str]] = (),
    mergers: MergerColours | None = None,
) -> Legend:
    """The result map's legend: one entry per status category the map shows (in the order of
    :data:`~atr_model.scenarios.CATEGORIES`, labels ``category.<name>``), then one per line
    style drawn and the notes.

    ``land``: entries of raion land held by no unit and of exclaves
    (:func:`~atr_model.presentation.maps.base.land_legend_entries`); ``marks``: entries of the
    outlines over the units (violations, differences); ``mergers``: the classes the merging new
    units are coloured by instead of their category.
    """
    shown = set(categories)
    entries = []
    if mergers is not None:
        entries.append(("", mergers.title))
        entries += [(swatch(colour, border=LINES["new_unit"]), label) for colour, label in mergers.legend]
    entries += [(_category_swatch(c), t(f"category.{c}", lang)) for c in CATEGORIES if c in shown]
    entries += [
        (swatch("#ffffff", "dot", border=LINES["centre"]), t("map.centres", lang)),
        *marks,
        (swatch(LINES["raion"], "line", dashed=True), t("map.raions", lang)),
        (swatch(LINES["oblast"], "line"), t("map.oblasts", lang)),
        *(land or []),
        (swatch(LINES["settlement"], "dot"), f"{t('map.settlements', lang)} ({t('map.legend_size', lang)})"),
    ]
    if has_links:
        entries += [(swatch(LINES["link"], "line"), t("map.links", lang)),
                    (swatch(LINES["barrier"], "line", dashed=True), t("map.barrier", lang))]
    notes = [t("map.hover_note", lang), t("map.estimate_note", lang)]
    if modelled:
        notes.append(f"{t('field.travel_model', lang)}: ≈ {t('map.modelled', lang)}")
    if has_relief:
        notes.append(t("map.relief_note", lang))
    legend = Legend(t("map.legend", lang), entries, notes)
    legend.add_to(fmap)
    return legend


# ---------------------------------------------------------------------------------------------
# the map


def _unit_table(
    layers: DisplayLayers, assign: pd.DataFrame, categories: pd.DataFrame, passports: Mapping[str, Mapping[str, Any]],
    names: Mapping[str, str], approximate: Mapping[str, bool], lang: str, modelled: bool,
) -> gpd.GeoDataFrame:
    """One row per current unit: its ground class (``member`` inside a new unit of several
    units, else its category), category, tooltip, popup and new unit."""
    units = layers.units
    codes = [c for c in units.index if c in assign.index]
    missing = units.index.difference(assign.index)
    if len(missing):
        logger.warning("%d units have no assignment (e.g. %s); they are drawn without a new unit", len(missing), missing[0])
    unit_records = {str(r["unit_code"]): r for r in records(units.loc[codes])}
    exclaves = exclave_rows(layers, lang)
    rows = []
    for code in codes:
        a = assign.loc[code].to_dict()
        unit = unit_records[code]
        uid = str(a["new_unit_id"])
        passport = passports.get(uid, {})
        category, rule = str(categories.at[code, "category"]), str(categories.at[code, "exempt_rule"])
        merging = int(passport.get("n_members", 1)) > 1
        name = names.get(code, code)
        status = status_label(str(a["status"]), lang)
        tip = f"{name} — {status}: {t(f'map.rule.{rule}', lang)}" if rule else f"{name} — {status}"
        new_unit = f"{passport.get('display_name', uid)} ({uid})" if passport.get("display_name", uid) != uid else uid
        detail = _unit_rows(code, a, unit, names, new_unit, rule, lang, modelled=modelled,
                            area_estimate=approximate.get(code, False))
        detail += exclaves.get(code, [])
        if merging:
            detail += [(t("field.new_unit", lang) + " · " + k, v) for k, v in _passport_rows(passport, lang, short=True)]
        rows.append({
            "tip": tip,
            "passport": popup_table(_passport_rows(passport, lang, short=True), passport["display_name"]) if merging else "",
            "popup": popup_table(detail, name),
            "ground": "member" if merging else category,
            "category": category,
            "group": uid if merging else None,
            "new_unit_id": uid,  # every unit feature names its new unit (the app looks it up)
            "rule": rule,
        })
    return _unit_frame(units, codes, rows)


def _fills(
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
    units = layers.units
    assign = _with_levels(assignments, units)
    names, new_names = plan_names(assign, units, lang)
    categories = _categories(assign, new_units)
    assign = assign.set_index("unit_code", drop=False)
    approximate = (
        {str(k): bool(v) for k, v in units["geometry_source"].map(is_estimate_source).items()}
        if "geometry_source" in units else {}
    )
    passports = _passports(assign.reset_index(drop=True), new_units, names, new_names, approximate, modelled)
    unit_category = categories["category"]
    for uid, passport in passports.items():
        members = [m for m in passport.get("members_list", []) if m in unit_category.index]
        passport["category"] = str(unit_category[members[0]]) if members else "kept"
        passport["category_label"] = t(f"category.{passport['category']}", lang)
        passport["extra_rows"] = list(mergers.rows.get(uid, ())) if mergers is not None else []
    table = _unit_table(layers, assign, categories, passports, names, approximate, lang, modelled)

    ground_layer(fmap, table, lang)
    exempt_layer(fmap, table, lang)
    members = table[table["ground"] == "member"]
    dissolved = (
        members[["group", "geometry"]].dissolve(by="group", sort=True).reset_index().rename(columns={"group": "new_unit_id"})
        if len(members) else gpd.GeoDataFrame({"new_unit_id": []}, geometry=[], crs=units.crs)
    )
    groups = {uid: (passports[uid]["members_list"], int(pieces))
              for uid, pieces in zip(dissolved["new_unit_id"], shapely.get_num_geometries(dissolved.geometry.to_numpy()))}
    for uid, note in exclave_notes(layers, groups, names, lang).items():
        passports[uid]["territory_note"] = note
    figure = figure_colours(layers, assign.reset_index(drop=True), new_units, fixed=colours) if mergers is None else {}
    new_layer = new_units_layer(fmap, dissolved, passports, _fills(dissolved, passports, figure, mergers), lang)
    member_layer = members_layer(fmap, table, lang)
    outline_layers(fmap, layers, lang)
    if links is not None and len(links):
        links_layer(fmap, layers, links, lang)
    settlement_layer(fmap, layers, lang, show=show_settlements)
    centres_layer(fmap, layers, passports, lang)
    new_unit_labels(fmap, dissolved, passports, lang)
    if new_layer is not None:
        HoverGroups(
            new_layer, [m for m in (member_layer,) if m is not None],
            style={"weight": 3.2, "color": LINES["highlight"], "fillOpacity": 0.92},
        ).add_to(fmap)
    marks = []
    group_of = dict(zip(assign["unit_code"], assign["new_unit_id"]))
    if marked_units_layer(fmap, layers, differing, name=t("map.differs", lang), style=DIFFERS_STYLE, group_by=group_of):
        marks.append((swatch(LINES["differs"], "line", dashed=True, width_px=3), t("map.differs", lang)))
    if marked_units_layer(fmap, layers, violations, name=t("plan.violations", lang), style=VIOLATION_STYLE):
        marks.append((swatch(LINES["violation"], "line", width_px=3), t("map.violation", lang)))
    # categories the map paints: under ``mergers`` the merging new units show its classes instead
    shown = table.loc[table["ground"] != "member", "category"] if mergers is not None else table["category"]
    result_legend(
        fmap, lang, categories=set(shown), has_links=links is not None and len(links) > 0,
        has_relief=layers.hillshade is not None and basemap == "hillshade", modelled=modelled,
        land=land_legend_entries(layers, lang), marks=marks, mergers=mergers,
    )
    return finish(fmap)
