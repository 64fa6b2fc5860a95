"""The app's maps and key-figure table: cached renderings, clicks, search zoom, synced pairs.

* Maps come from :mod:`atr_model.presentation.maps` and are rendered once per result,
  language and dataset (``cache_resource``), so a rerun only hands strings to the component.
* A click on a unit comes back as the clicked point; :func:`backend.unit_at` finds the unit,
  which becomes the session's selected unit (for its passport and for locks).
* Two maps shown side by side (Compare) follow each other: a few lines of JavaScript added
  to each rendering move the other map of the same group when one is panned or zoomed
  (Streamlit's component frames share the page's origin, so they can reach each other).
* The key-figure table is HTML: it wraps to the page width (no sideways scrolling at
  1024 px) and each figure's name carries its definition as a hover title.
"""

from __future__ import annotations

import dataclasses
import html
import math
from collections.abc import Iterable
from typing import Any

import pandas as pd
import streamlit as st

from atr_model.presentation import maps
from atr_model.presentation.app import backend, cache
from atr_model.presentation.app.context import AppContext
from atr_model.presentation.app.folium_view import (
    RenderedMap,
    render_map,
    show_map,
    show_map_default_bounds,
    stored_render,
)
from atr_model.presentation.i18n import format_number, kpi_label, t
from atr_model.scenarios import Comparison, Scenario

__all__ = [
    "MAP_HEIGHT",
    "MAP_RETURNED_OBJECTS",
    "UNIT_ZOOM",
    "BELOW_FLOOR_KPIS",
    "result_map",
    "compare_maps",
    "dataset_map",
    "diff_map",
    "comparison",
    "synced",
    "show_clickable_map",
    "select_unit",
    "view_bounds",
    "reports_user_view",
    "kpi_rows",
    "kpi_html",
    "kpi_definition",
]

#: Only clicks come back from the map: panning or zooming never reruns the page.
MAP_RETURNED_OBJECTS = ["last_object_clicked"]
MAP_HEIGHT = 600
#: Zoom level a search result is shown at (a unit fills a good part of the map).
UNIT_ZOOM = 10
#: The one definition of "below the floor" used on every page: new units under the population
#: floor that hold at least one unit not exempt from it (exempt units may stay small under the
#: Concept, so counting them would report hundreds of "failures" the Concept allows).
BELOW_FLOOR_KPIS = ("below_floor_before_non_exempt", "below_floor_after_non_exempt")
#: KPIs left out of the key-figure table: the other count of small units (exempt ones
#: included; see BELOW_FLOOR_KPIS) and the long population distribution.
_HIDDEN_KPIS = ("below_floor_before", "below_floor_after")
_HIDDEN_PREFIXES = ("new_unit_population_distribution.",)
#: KPIs that are estimates wherever they are shown (modelled travel times, the cost model).
_ESTIMATE_PREFIXES = ("population_weighted_mean_travel_min", "worst_travel_min", "admin_savings.")


# ---------------------------------------------------------------------------------------------
# cached maps


@st.cache_resource(show_spinner=False, max_entries=16)
def result_map(folder: str, lang: str, source: str, build_id: str, _scenario: Scenario | None = None) -> RenderedMap:
    """The result's map, built and rendered once per result, language and dataset."""
    result = cache.result(folder)
    return render_map(maps.result_map(
        cache.layers(source, build_id),
        result.assignments,
        new_units=result.new_units,
        links=cache.links(source, _scenario) if _scenario is not None else None,
        lang=lang,
        travel_model_label=result.travel_model_label,
    ))


@st.cache_resource(show_spinner=False, max_entries=8)
def compare_maps(folder_a: str, folder_b: str, lang: str, source: str, build_id: str) -> tuple[RenderedMap, RenderedMap]:
    """The two results' maps for Compare, coloured together (the same new unit has the same
    colour on both) with the units grouped differently outlined on both; rendered once per pair."""
    a, b = cache.result(folder_a), cache.result(folder_b)
    map_a, map_b = maps.compare_maps(
        cache.layers(source, build_id), a.assignments, b.assignments,
        comparison(folder_a, folder_b).changed_units["unit_code"].astype(str),
        new_units_a=a.new_units, new_units_b=b.new_units,
        travel_model_labels=(a.travel_model_label, b.travel_model_label), lang=lang,
    )
    return render_map(map_a), render_map(map_b)


@st.cache_resource(show_spinner=False, max_entries=8)
def dataset_map(dataset_key: str, build_id: str, lang: str, floor: float) -> RenderedMap:
    """The current units (before any run), rendered once per dataset, language and floor.

    Kept in the cache folder too: it is the first map a fresh server shows.
    """
    return stored_render(
        ["dataset_map", build_id, lang, floor],
        lambda: maps.dataset_map(cache.layers(dataset_key, build_id), lang=lang, population_floor=floor),
    )


@st.cache_data(show_spinner=False, max_entries=16)
def comparison(folder_a: str, folder_b: str) -> Comparison:
    """The comparison of two result folders (read once)."""
    return backend.compare_folders(folder_a, folder_b)


@st.cache_resource(show_spinner=False, max_entries=8)
def diff_map(
    folder_a: str, folder_b: str, label_a: str, label_b: str, lang: str, dataset_key: str, build_id: str
) -> RenderedMap:
    """Both plans on one map with the units that differ highlighted."""
    a, b = cache.result(folder_a), cache.result(folder_b)
    return render_map(maps.diff_map(
        cache.layers(dataset_key, build_id), a.assignments, b.assignments,
        comparison(folder_a, folder_b).changed_units["unit_code"].astype(str), label_a=label_a, label_b=label_b,
        lang=lang,
    ))


# ---------------------------------------------------------------------------------------------
# synced maps

_SYNC_JS = """
;(function () {
  var group = %(group)s;
  window.atrSyncGroup = group;
  var own = map_div;
  function peers() {
    var out = [];
    try {
      var frames = window.parent.document.querySelectorAll("iframe");
      for (var i = 0; i < frames.length; i++) {
        var w = frames[i].contentWindow;
        if (w && w !== window && w.atrSyncGroup === group && w.map) { out.push(w); }
      }
    } catch (e) { /* a frame of another origin: nothing to follow */ }
    return out;
  }
  own.on("moveend", function () {
    if (window.atrSyncing) { return; }  // this move was set by a peer: do not echo it back
    var c = own.getCenter(), z = own.getZoom();
    peers().forEach(function (w) {
      var m = w.map, size = m.getSize(), p = m.latLngToContainerPoint(c);
      if (m.getZoom() === z && Math.abs(p.x - size.x / 2) < 2 && Math.abs(p.y - size.y / 2) < 2) { return; }
      w.atrSyncing = true;
      try { m.setView(c, z, {animate: false}); } finally { w.atrSyncing = false; }
    });
  });
})();
"""


def synced(rendered: RenderedMap, group: str) -> RenderedMap:
    """The rendering with a script that keeps every map of ``group`` on the same view.

    Each map of the group, when panned or zoomed, sets the same centre and zoom on the
    others; a map moved by a peer does not echo the move back (maps of different pixel sizes
    would otherwise bounce the view between them forever).
    """
    return dataclasses.replace(rendered, script=rendered.script + _SYNC_JS % {"group": _js_string(group)})


_USER_VIEW_JS = """
;(function () {
  // Report the view only once the user moved the map: until then every move (the fit to the
  // territory, a frame resize, a search zoom) is written into streamlit-folium's last sent
  // value, so it sends nothing and the page does not rerun under the user's next click.
  var touched = false, el = map_div.getContainer();
  ["mousedown", "wheel", "touchstart", "keydown", "dblclick"].forEach(function (name) {
    el.addEventListener(name, function () { touched = true; }, {capture: true, passive: true});
  });
  function quiet() {
    var data = window.__GLOBAL_DATA__;
    if (touched || !data || !data.previous_data) { return; }
    var b = map_div.getBounds();
    data.previous_data = Object.assign({}, data.previous_data,
      {bounds: {_southWest: b.getSouthWest(), _northEast: b.getNorthEast()}});
  }
  map_div.on("moveend resize", quiet);
  quiet();
})();
"""


def reports_user_view(rendered: RenderedMap) -> RenderedMap:
    """The rendering with a script that makes the map report its ``bounds`` only after the user
    panned or zoomed it (for the PNG of the current view; :func:`view_bounds`).

    streamlit-folium sends the view after every move, the fit on load included, and each
    message reruns the page; a rerun started by the map's own load would land under the
    user's next click.
    """
    return dataclasses.replace(rendered, script=rendered.script + _USER_VIEW_JS)


def _js_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---------------------------------------------------------------------------------------------
# clicks and search


def select_unit(code: str | None, *, zoom_to: bool = False, ctx: AppContext | None = None) -> None:
    """Make ``code`` the session's selected unit; optionally centre the maps on it."""
    st.session_state["selected_unit"] = code
    if zoom_to and code and ctx is not None and ctx.layers is not None and code in ctx.layers.units.index:
        point = ctx.layers.units.geometry.loc[code].representative_point()
        st.session_state["map_view"] = ([round(point.y, 5), round(point.x, 5)], UNIT_ZOOM)


def show_clickable_map(
    rendered: RenderedMap,
    *,
    key: str,
    ctx: AppContext,
    height: int = MAP_HEIGHT,
    returned_objects: Iterable[str] = MAP_RETURNED_OBJECTS,
) -> dict[str, Any]:
    """Draw a map; a click on a unit selects it, a search result centres the map on it.

    Returns what the map reports (``returned_objects``: the last click, and e.g. its view's
    ``bounds`` when asked for; see :func:`view_bounds`).
    """
    view = st.session_state.get("map_view")
    center, zoom = (view if view else (None, None))
    out = show_map(rendered, key=key, height=height, returned_objects=returned_objects, center=center, zoom=zoom)
    clicked = out.get("last_object_clicked")
    seen_key = f"_clicked_seen_{key}"
    if not clicked or clicked == st.session_state.get(seen_key):
        return out
    st.session_state[seen_key] = clicked
    if ctx.layers is None:
        return out
    code = backend.unit_at(ctx.layers.units, float(clicked["lat"]), float(clicked["lng"]))
    if code is not None and code != st.session_state.get("selected_unit"):
        select_unit(code)
        st.rerun()  # the passport and the lock panel above the map show the new unit
    return out


def view_bounds(
    reported: dict[str, Any], rendered: RenderedMap | None = None
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """The map view a map reported (``bounds`` in Leaflet's form) as ``((south, west), (north, east))``.

    Rounded to about ten metres (a cache key that does not change with sub-pixel moves); None
    when the map reported no complete view, or (given the ``rendered`` map) still reports the
    extent it was drawn with: the user has not moved it, so it shows the whole territory.
    """
    bounds = reported.get("bounds") or {}
    if rendered is not None and bounds == show_map_default_bounds(rendered):
        return None
    try:
        sw, ne = bounds["_southWest"], bounds["_northEast"]
        values = [round(float(v), 4) for v in (sw["lat"], sw["lng"], ne["lat"], ne["lng"])]
    except (KeyError, TypeError, ValueError):
        return None
    if not all(math.isfinite(v) for v in values):
        return None
    return (values[0], values[1]), (values[2], values[3])


# ---------------------------------------------------------------------------------------------
# key figures


def kpi_definition(name: str, lang: str) -> str:
    """What a KPI measures, for the hover title (the KPI name itself when no text is known)."""
    for prefix in (name, name.split(".", maxsplit=1)[0] + ".*"):
        key = f"kpidef.{prefix}"
        text = t(key, lang)
        if text != key:
            return text
    return name


def _is_estimate(name: str) -> bool:
    return name.startswith(_ESTIMATE_PREFIXES) or name.startswith("estimated_share.")


def _label(name: str, lang: str) -> str:
    label = kpi_label(name, lang)
    if name.startswith(_ESTIMATE_PREFIXES) and not label.startswith("≈"):
        label = f"≈ {label} ({t('estimate.suffix', lang)})"
    return label


def _kpi_digits(value: Any) -> int:
    """Decimals of a KPI cell: none for whole numbers (within rounding) and from 1,000 up, two below 1, else one."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0
    whole = not math.isfinite(number) or abs(number - round(number)) < 1e-9 or abs(number) >= 1000
    return 0 if whole else (2 if abs(number) < 1 else 1)


def kpi_rows(table: pd.DataFrame, lang: str) -> list[dict[str, Any]]:
    """Rows of a comparison's KPI table (``kpi, a, b, delta``) as the page shows them.

    The other count of small units and the population distribution are left out; the
    estimated-share rows stay (they say how much of each figure rests on estimates).
    """
    rows = []
    for record in table.to_dict("records"):
        name = str(record["kpi"])
        if name in _HIDDEN_KPIS or name.startswith(_HIDDEN_PREFIXES):
            continue
        rows.append({
            "kpi": name,
            "label": _label(name, lang),
            "definition": kpi_definition(name, lang),
            "estimate": _is_estimate(name),
            **{k: format_number(record.get(k), lang, digits=_kpi_digits(record.get(k))) for k in ("a", "b", "delta")},
        })
    return rows


def kpi_html(rows: Iterable[dict[str, Any]], label_a: str, label_b: str, lang: str) -> str:
    """An HTML table of KPI rows: figure (definition on hover), A, B, difference."""
    delta = f"{t('kpi.delta', lang)} (B − A)"
    head = "".join(
        f"<th>{html.escape(text)}</th>"
        for text in (t("kpi.metric", lang), f"A: {label_a}", f"B: {label_b}", delta)
    )
    body = []
    for row in rows:
        css = " class='atr-estimate'" if row["estimate"] else ""
        body.append(
            f"<tr{css} data-kpi='{html.escape(row['kpi'])}'>"
            f"<td class='atr-kpi-name'><span title='{html.escape(row['definition'])}'>{html.escape(row['label'])}</span></td>"
            f"<td>{row['a']}</td><td>{row['b']}</td><td>{row['delta']}</td></tr>"
        )
    return f"<table class='atr-kpis'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
