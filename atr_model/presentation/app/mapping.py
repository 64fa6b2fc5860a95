"""The app's maps and key-figure table: cached renderings, clicks, search zoom, synced pairs.

* Maps come from :mod:`atr_model.presentation.maps` and are rendered once per result,
  language and dataset (``cache_resource``), so a rerun only hands strings to the component.
* A click on a unit comes back as the clicked point; :func:`unit_search.unit_at` finds the unit,
  which becomes the session's selected unit (for its passport and for locks).
* Two maps shown side by side (Compare) follow each other: a few lines of JavaScript added
  to each rendering move the other map of the same group when one is panned or zoomed
  (Streamlit's component frames share the page's origin, so they can reach each other).
* The key-figure tables are HTML: they wrap to the page width (no sideways scrolling at
  1024 px) and each figure's name carries its definition as a hover title. Every label,
  definition and value comes from :mod:`atr_model.presentation.view` (the one owner of what a
  result shows); Compare prints the floor of both plans beside "below the floor".
* The selected unit is outlined on the map by a small overlay sent beside the cached
  rendering (:func:`selection_overlay`), so selecting a unit never redraws the map.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
import streamlit as st

from atr_model.presentation import maps
from atr_model.presentation.app import cache, results, unit_search
from atr_model.presentation.app.context import AppContext
from atr_model.presentation.app.folium_view import (
    RenderedMap,
    compact_json,
    render_map,
    show_map,
    show_map_default_bounds,
    stored_render,
)
from atr_model.presentation.i18n import t
from atr_model.presentation.maps.palette import LINES
from atr_model.presentation.view import FigureRow, comparison_table_html, figures_table_html
from atr_model.scenarios import Comparison, Scenario

__all__ = [
    "MAP_HEIGHT",
    "MAP_RETURNED_OBJECTS",
    "UNIT_ZOOM",
    "MAP_VIEW",
    "MAP_VIEW_FROM",
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
    "user_view",
    "remember_view",
    "forget_view",
    "selection_overlay",
    "comparison_table",
    "figure_table",
]

#: Only clicks come back from the map: panning or zooming never reruns the page.
MAP_RETURNED_OBJECTS = ["last_object_clicked"]
MAP_HEIGHT = 600
#: Zoom level a search result is shown at (a unit fills a good part of the map).
UNIT_ZOOM = 10
#: Session key of the view the maps are shown at: ``([lat, lon], zoom)``, set by a search and
#: by the analyst moving the result map, so a re-solve draws the new plan where they were.
MAP_VIEW = "map_view"
#: Session key of the map that reported :data:`MAP_VIEW` (None: a search set it). That map is
#: where the view already is: handing the view back to it would pull it to where it was one
#: report ago while the analyst goes on zooming.
MAP_VIEW_FROM = "_map_view_from"


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
    return results.compare_folders(folder_a, folder_b)


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
    var b = map_div.getBounds(), asked = data.returned_objects || [];
    var now = {bounds: {_southWest: b.getSouthWest(), _northEast: b.getNorthEast()},
               zoom: map_div.getZoom(), center: map_div.getCenter()};
    var kept = {};
    Object.keys(now).forEach(function (k) { if (asked.indexOf(k) >= 0) { kept[k] = now[k]; } });
    data.previous_data = Object.assign({}, data.previous_data, kept);
  }
  map_div.on("moveend resize", quiet);
  quiet();
})();
"""


def reports_user_view(rendered: RenderedMap) -> RenderedMap:
    """The rendering with a script that makes the map report its ``bounds`` (and ``zoom``,
    ``center``) only after the user panned or zoomed it (for the PNG of the current view,
    :func:`view_bounds`, and the view a re-solve keeps, :func:`remember_view`).

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
        st.session_state[MAP_VIEW] = ([round(point.y, 5), round(point.x, 5)], UNIT_ZOOM)
        st.session_state.pop(MAP_VIEW_FROM, None)  # every map moves there, the one shown too


def user_view(reported: Mapping[str, Any], rendered: RenderedMap) -> tuple[list[float], float] | None:
    """The view (``[lat, lon]``, zoom) the analyst moved a map to, from what it reported
    (its ``center`` and ``zoom``; the maps zoom in half steps, so the zoom stays fractional);
    None while it still shows the extent it was drawn with, which is no choice of theirs."""
    if view_bounds(dict(reported), rendered) is None:
        return None
    centre, zoom = reported.get("center") or {}, reported.get("zoom")
    if zoom is None:
        return None
    try:
        lat, lon, level = float(centre["lat"]), float(centre["lng"]), float(zoom)
    except (KeyError, TypeError, ValueError):
        return None
    if not all(math.isfinite(v) for v in (lat, lon, level)):
        return None
    return [round(lat, 5), round(lon, 5)], level


def _map_origin(key: str, rendered: RenderedMap) -> str:
    """Which drawn map a view came from: the widget key and a digest of the rendering (what
    the component is keyed by; a new plan is a new map)."""
    return f"{key}|{hashlib.blake2b(rendered.script.encode('utf-8'), digest_size=12).hexdigest()}"


def remember_view(reported: Mapping[str, Any], rendered: RenderedMap, key: str) -> None:
    """Keep the view the analyst moved map ``key`` to (:func:`user_view`) as the session's
    :data:`MAP_VIEW`: the next map drawn (the plan after a re-solve, say) opens there
    instead of at the whole territory; this one is left where it is."""
    view = user_view(reported, rendered)
    if view is not None:
        st.session_state[MAP_VIEW] = view
        st.session_state[MAP_VIEW_FROM] = _map_origin(key, rendered)


def forget_view() -> None:
    """Draw the next map at its own extent (another territory or dataset: the old view is elsewhere)."""
    st.session_state.pop(MAP_VIEW, None)
    st.session_state.pop(MAP_VIEW_FROM, None)


def selection_overlay(layers: maps.DisplayLayers | None, code: str | None) -> str | None:
    """Leaflet code that outlines unit ``code`` on a drawn map (None: nothing to outline).

    It goes to the map component as its ``feature_group``: the component swaps it without
    redrawing the map, so the outline follows the selection at no cost. The outline is the
    maps' highlight line (:data:`~atr_model.presentation.maps.palette.LINES`), unfilled, and
    lets clicks through to the units below.
    """
    if not code or layers is None or code not in layers.units.index:
        return None
    geometry = layers.units.geometry.loc[code]
    feature = {"type": "Feature", "id": str(code), "properties": {"unit_code": str(code)},
               "geometry": geometry.__geo_interface__}
    style = {"color": LINES["highlight"], "weight": 4, "opacity": 1.0, "fill": False}
    # its own pane above the units that takes no pointer events: the maps draw on canvas, and a
    # canvas in a shared pane would catch every later click on another unit (seen in edit mode)
    return (
        "if (!window.map.getPane('atrSelection')) { var atr_pane = window.map.createPane('atrSelection');"
        " atr_pane.style.zIndex = 620; atr_pane.style.pointerEvents = 'none'; }\n"
        "var atr_selected = L.geoJSON(" + compact_json(feature) + ", {style: function () { return "
        + json.dumps(style) + "; }, interactive: false, pane: 'atrSelection',"
        " renderer: L.svg({pane: 'atrSelection'})});\n"
        "window.map.addLayer(atr_selected);\n"
        "window.feature_group = window.feature_group || [];\n"
        "window.feature_group.push(atr_selected);\n"
    )


def show_clickable_map(
    rendered: RenderedMap,
    *,
    key: str,
    ctx: AppContext,
    height: int = MAP_HEIGHT,
    returned_objects: Iterable[str] = MAP_RETURNED_OBJECTS,
) -> dict[str, Any]:
    """Draw a map; a click on a unit selects it, a search result centres the map on it.

    The map opens at the session's kept view (:data:`MAP_VIEW`), and the selected unit is
    outlined (:func:`selection_overlay`). Returns what the map reports (``returned_objects``:
    the last click, and e.g. its view's ``bounds`` when asked for; see :func:`view_bounds`).
    """
    view = st.session_state.get(MAP_VIEW)
    if st.session_state.get(MAP_VIEW_FROM) == _map_origin(key, rendered):
        view = None  # this map reported the view: it is there already
    center, zoom = (view if view else (None, None))
    overlay = selection_overlay(ctx.layers, st.session_state.get("selected_unit"))
    out = show_map(rendered, key=key, height=height, returned_objects=returned_objects, center=center, zoom=zoom,
                   overlay=overlay)
    clicked = out.get("last_object_clicked")
    seen_key = f"_clicked_seen_{key}"
    if not clicked or clicked == st.session_state.get(seen_key):
        return out
    st.session_state[seen_key] = clicked
    if ctx.layers is None:
        return out
    code = unit_search.unit_at(ctx.layers.units, float(clicked["lat"]), float(clicked["lng"]))
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


def comparison_table(
    table: pd.DataFrame, kpis_a: Mapping[str, object], kpis_b: Mapping[str, object], label_a: str, label_b: str, lang: str
) -> str:
    """Compare's key-figure table (``kpi, a, b, delta``) as the page shows it: the result view's
    rows (:func:`~atr_model.presentation.view.comparison_table_html`), as on the comparison page."""
    header = [t("kpi.metric", lang), f"A: {label_a}", f"B: {label_b}", f"{t('kpi.delta', lang)} (B − A)"]
    return comparison_table_html(table, kpis_a, kpis_b, header, lang)


def figure_table(rows: Iterable[FigureRow], lang: str) -> str:
    """One result's key figures (:func:`~atr_model.presentation.view.figure_rows`) as the page
    shows them: the view's table, as in the report and the summary."""
    return figures_table_html(rows, [t("kpi.metric", lang), ""])
