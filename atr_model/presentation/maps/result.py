"""Presentation: the map of a scenario result, one function per layer.

Read as figure and ground (colours from :mod:`~atr_model.presentation.maps.palette`):

* :func:`ground_layer` - units that stay as they are (muted), towns, and units below the
  floor with no partner (the one alarm colour);
* :func:`exempt_layer` - exempt units that stay as they are, a muted tint per exemption rule;
* :func:`new_units_layer` - new units that merge, the figure: distinct colours, strong outline;
* :func:`members_layer` - the current units inside them: faint internal borders, and the
  hover target that highlights the whole new unit and shows its passport;
* :func:`centres_layer`, :func:`links_layer` (off by default), :func:`new_unit_labels`
  ("Ak-Bulun + 3" where the name fits) and :func:`result_legend`.

Estimated figures carry their mark ("≈ … (estimate)"): populations flagged as estimates,
areas of approximate territories and travel times of a modelled travel network.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import folium
import geopandas as gpd
import networkx as nx
import pandas as pd
import shapely

from atr_model.data.contract import is_estimate_source
from atr_model.presentation.i18n import (
    DEFAULT_LANGUAGE,
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
    unit_names,
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
)
from atr_model.presentation.maps.palette import EXEMPT_RULES, FIGURE, GROUND, LINES, exempt_rule_colour
from atr_model.presentation.messages import render_reason
from atr_model.scenarios import new_unit_display_name

__all__ = [
    "result_map",
    "new_unit_colours",
    "ground_layer",
    "exempt_layer",
    "new_units_layer",
    "members_layer",
    "centres_layer",
    "links_layer",
    "new_unit_labels",
    "result_legend",
    "PALETTE",
]

logger = logging.getLogger(__name__)

#: Colours of merging new units (the palette's figure colours).
PALETTE = FIGURE
#: New-unit names show from this zoom at the earliest, even where a name would fit before.
_LABEL_FLOOR_ZOOM = 7.0


def new_unit_colours(new_units: gpd.GeoDataFrame, id_column: str = "new_unit_id") -> dict[str, str]:
    """Give each new unit a palette colour so that touching new units differ.

    Greedy colouring (largest degree first) of the touch graph, with nodes inserted in sorted
    order so the result is deterministic.
    """
    ids = [str(v) for v in new_units[id_column]]
    graph = nx.Graph()
    graph.add_nodes_from(sorted(ids))
    geoms = new_units.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    for a, b in zip(left, right):
        if a < b:
            graph.add_edge(ids[a], ids[b])
    colouring = nx.greedy_color(graph, strategy="largest_first")
    return {uid: FIGURE[colouring[uid] % len(FIGURE)] for uid in ids}


# ---------------------------------------------------------------------------------------------
# passports


def _passports(
    assignments: pd.DataFrame,
    new_units: pd.DataFrame | None,
    names: Mapping[str, str],
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
        passport["display_name"] = new_unit_display_name(passport["centre_name"], len(members), fallback=uid)
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
        return [(t("field.members", lang), str(passport.get("n_members", ""))), *rows]
    rows = [
        (t("field.new_unit", lang), text(passport.get("new_unit_id"))),
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
    return rows


def _reason(a: Mapping[str, Any], names: Mapping[str, str], lang: str) -> str:
    """Why a unit ends where it does, in ``lang`` (:func:`~atr_model.presentation.messages.render_reason`)."""
    return render_reason(a, lang, names)


def _unit_rows(
    code: str, a: Mapping[str, Any], unit: Mapping[str, Any], names: Mapping[str, str], lang: str, *,
    modelled: bool, area_estimate: bool,
) -> list[tuple[str, str]]:
    est = bool(a.get("population_is_estimate", unit.get("population_is_estimate", False)))
    tt_modelled = modelled or bool(a.get("travel_time_is_modelled", False))
    return [
        (t("field.code", lang), code),
        (t("field.status", lang), status_label(str(a["status"]), lang)),
        (t("field.reason", lang), _reason(a, names, lang)),
        (t("field.population", lang), format_number(a.get("population", unit.get("population")), lang, is_estimate=est)),
        (t("field.area", lang), format_number(unit.get("area_km2"), lang, digits=1, is_estimate=area_estimate)),
        (t("field.new_unit", lang), str(a["new_unit_id"])),
        (t("field.centre", lang), names.get(text(a.get("centre_code")), text(a.get("centre_code")))),
        (t("field.travel_max", lang), format_minutes(a.get("travel_time_to_centre_min"), lang, is_modelled=tt_modelled)),
    ]


# ---------------------------------------------------------------------------------------------
# layers


def _ground_class(a: Mapping[str, Any], level: str) -> str:
    """Which ground a unit kept as it is stands on: town, exempt, below_floor or kept."""
    if level == "town" or str(a.get("level", "")) == "town":
        return "town"
    status = str(a.get("status", ""))
    if status == "below_floor_no_partner":
        return "below_floor"
    if status == "kept_exempt" or bool(a.get("exempt", False)):
        return "exempt"
    return "kept"


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
) -> folium.GeoJson:
    """One hoverable polygon layer of the result map: ``tip_fields`` as tooltip, ``popup`` on click.

    ``style`` names the layer's outline and fill in :data:`_LAYER_STYLES`; ``fill`` adds the
    per-feature part (from the feature's properties).
    """
    fixed = _LAYER_STYLES[style]
    layer = hover_layer(
        frame, name=name, style_function=lambda f: {**fixed, **(fill(f["properties"]) if fill else {})}, tip_fields=tip_fields
    )
    layer.add_to(fmap)
    return layer


def ground_layer(fmap: folium.Map, frame: gpd.GeoDataFrame, lang: str) -> folium.GeoJson | None:
    """Units kept as they are (not exempt): muted ground; towns a shade darker; units below the
    floor with no partner in the alarm colour."""
    part = frame[frame["ground"].isin(["kept", "town", "below_floor"])]
    if not len(part):
        return None
    colours = {"kept": GROUND["kept"], "town": GROUND["town"], "below_floor": GROUND["below_floor"]}

    def fill(props: Mapping[str, Any]) -> dict[str, Any]:
        ground = props["ground"]
        return {"fillColor": colours[ground], "fillOpacity": 0.75 if ground == "below_floor" else 0.9}

    columns = ["tip", "popup", "ground", "new_unit_id", "geometry"]
    return _unit_layer(fmap, part[columns], name=t("map.unchanged", lang), style="ground", fill=fill)


def exempt_layer(fmap: folium.Map, frame: gpd.GeoDataFrame, lang: str) -> folium.GeoJson | None:
    """Exempt units kept as they are: a muted tint per exemption rule, dotted outline."""
    part = frame[frame["ground"] == "exempt"]
    if not len(part):
        return None
    columns = ["tip", "popup", "rule_colour", "new_unit_id", "geometry"]
    return _unit_layer(fmap, part[columns], name=t("status.kept_exempt", lang), style="exempt",
                       fill=lambda props: {"fillColor": props["rule_colour"]})


def new_units_layer(
    fmap: folium.Map, dissolved: gpd.GeoDataFrame, passports: Mapping[str, Mapping[str, Any]], lang: str
) -> folium.GeoJson | None:
    """Merging new units, the figure: dissolved polygons in distinct palette colours."""
    if not len(dissolved):
        return None
    colours = new_unit_colours(dissolved)
    frame = dissolved.copy()
    frame["fill"] = [colours[uid] for uid in frame["new_unit_id"]]
    frame["tip"] = [passports[uid]["display_name"] for uid in frame["new_unit_id"]]
    frame["popup"] = [
        popup_table(_passport_rows(passports[uid], lang), passports[uid]["display_name"]) for uid in frame["new_unit_id"]
    ]
    frame = frame.set_index("new_unit_id", drop=False)[["new_unit_id", "fill", "tip", "popup", "geometry"]]
    return _unit_layer(fmap, frame, name=t("map.new_units", lang), style="new_units",
                       fill=lambda props: {"fillColor": props["fill"]})


def members_layer(fmap: folium.Map, frame: gpd.GeoDataFrame, lang: str) -> folium.GeoJson | None:
    """Current units inside merging new units: faint internal borders over the new unit's
    colour, and the hover target (tooltip: the unit, then its new unit's passport)."""
    part = frame[frame["ground"] == "member"]
    if not len(part):
        return None
    columns = ["tip", "passport", "popup", "group", "geometry"]
    return _unit_layer(fmap, part[columns], name=t("map.current_units", lang), style="members",
                       tip_fields=("tip", "passport"))


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
    """A layer of drawn features (rows with ``id``, ``tip`` and a geometry), the tip on hover;
    nothing when there are no rows. ``kwargs`` go to :func:`geojson_layer` (style, marker, show)."""
    if not rows:
        return
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=layers.units.crs).set_index("id")
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


def result_legend(
    fmap: folium.Map, lang: str, *, rules: list[str], has_links: bool, has_relief: bool, modelled: bool,
    land: list[tuple[str, str]] | None = None,
) -> None:
    """The result map's legend: figure first, then ground, exemption rules, lines and notes;
    ``land``: entries of raion land held by no unit and of exclaves
    (:func:`~atr_model.presentation.maps.base.land_legend_entries`)."""
    entries = [
        ("".join(swatch(c, border=LINES["new_unit"]) for c in FIGURE[:3]), t("map.new_units", lang)),
        (swatch("#ffffff", "dot", border=LINES["centre"]), t("map.centres", lang)),
        (swatch(GROUND["kept"]), t("map.unchanged", lang)),
        (swatch(GROUND["town"]), t("map.towns", lang)),
        *[(swatch(EXEMPT_RULES.get(r, EXEMPT_RULES["other"])), f"{t('status.kept_exempt', lang)}: {t(f'map.rule.{r}', lang)}")
          for r in rules],
        (swatch(GROUND["below_floor"]), status_label("below_floor_no_partner", lang)),
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
    Legend(t("map.legend", lang), entries, notes).add_to(fmap)


def _rule_key(rules: Any) -> str:
    first = next((r.strip() for r in str(rules or "").split(";") if r.strip() and r.strip() != "town"), "other")
    return first if first in EXEMPT_RULES else "other"


# ---------------------------------------------------------------------------------------------
# the map


def _prepare_assignments(assignments: pd.DataFrame) -> pd.DataFrame:
    assign = assignments.copy()
    assign["unit_code"] = assign["unit_code"].astype(str)
    assign["new_unit_id"] = assign["new_unit_id"].astype(str)
    return assign.set_index("unit_code", drop=False)


def _unit_table(
    layers: DisplayLayers, assign: pd.DataFrame, passports: Mapping[str, Mapping[str, Any]],
    names: Mapping[str, str], approximate: Mapping[str, bool], lang: str, modelled: bool,
) -> gpd.GeoDataFrame:
    """One row per current unit: its ground class, tooltip, popup and new unit."""
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
        merging = int(passport.get("n_members", 1)) > 1
        ground = "member" if merging else _ground_class(a, str(unit.get("level", "")))
        name = names.get(code, code)
        tip = f"{name} — {status_label(str(a['status']), lang)}"
        detail = _unit_rows(code, a, unit, names, lang, modelled=modelled, area_estimate=approximate.get(code, False))
        detail += exclaves.get(code, [])
        if merging:
            detail += [(t("field.new_unit", lang) + " · " + k, v) for k, v in _passport_rows(passport, lang, short=True)]
        rows.append({
            "tip": tip,
            "passport": popup_table(_passport_rows(passport, lang, short=True), passport["display_name"]) if merging else "",
            "popup": popup_table(detail, name),
            "ground": ground,
            "group": uid if merging else None,
            "new_unit_id": uid,  # every unit feature names its new unit (the app looks it up)
            "rule_colour": exempt_rule_colour(str(a.get("exempt_rules", ""))) if ground == "exempt" else "",
            "rule": _rule_key(a.get("exempt_rules", "")) if ground == "exempt" else "",
        })
    return _unit_frame(units, codes, rows)


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
) -> folium.Map:
    """Map of a scenario result: merging new units as the figure over the units kept as they are.

    Parameters
    ----------
    layers
        Display layers of the dataset the scenario ran on.
    assignments
        The result's ``assignments.csv`` table (unit_code, new_unit_id, centre_code, status,
        reason, population, population_is_estimate, travel_time_to_centre_min, exempt_rules...).
    new_units
        The result's new-unit passports (``new_units.gpkg`` attributes); geometry is not used,
        new units are dissolved from the simplified current units so borders stay clean.
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
    """
    fmap = base_map(layers, offline=offline, tiles=tiles, basemap=basemap, lang=lang)
    modelled = travel_model_label.startswith("modelled")
    names = unit_names(layers, lang)
    assign = _prepare_assignments(assignments)
    units = layers.units
    approximate = (
        {str(k): bool(v) for k, v in units["geometry_source"].map(is_estimate_source).items()}
        if "geometry_source" in units else {}
    )
    passports = _passports(assign.reset_index(drop=True), new_units, names, approximate, modelled)
    table = _unit_table(layers, assign, passports, names, approximate, lang, modelled)

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
    figure = new_units_layer(fmap, dissolved, passports, lang)
    member_layer = members_layer(fmap, table, lang)
    outline_layers(fmap, layers, lang)
    if links is not None and len(links):
        links_layer(fmap, layers, links, lang)
    settlement_layer(fmap, layers, lang, show=show_settlements)
    centres_layer(fmap, layers, passports, lang)
    new_unit_labels(fmap, dissolved, passports, lang)
    if figure is not None:
        HoverGroups(
            figure, [m for m in (member_layer,) if m is not None],
            style={"weight": 3.2, "color": LINES["highlight"], "fillOpacity": 0.92},
        ).add_to(fmap)
    rules = sorted(set(table.loc[table["ground"] == "exempt", "rule"]), key=list(EXEMPT_RULES).index)
    result_legend(
        fmap, lang, rules=rules, has_links=links is not None and len(links) > 0,
        has_relief=layers.hillshade is not None and basemap == "hillshade", modelled=modelled,
        land=land_legend_entries(layers, lang),
    )
    return finish(fmap)
