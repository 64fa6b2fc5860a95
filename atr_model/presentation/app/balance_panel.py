"""The population-balance chart beside the new units on the result map, linked to them.

The chart (:func:`atr_model.presentation.balance.balance_chart_html`) is put into the map's own
frame as a Leaflet control at the map's right edge, by a few lines of script appended to the
map's script: the frame's Content-Security-Policy (:func:`.folium_view.frame_policy`) allows
only that script (by its hash, which covers what is appended here), so the chart's HTML carries
no script of its own and its hover handlers are attached with ``addEventListener``. Hovering a
bar outlines its new unit on the map (every feature whose ``properties.new_unit_id`` is the
bar's, in the maps' highlight line, :data:`~atr_model.presentation.maps.palette.LINES`), and
leaving it restores the feature's own style (``properties.style``, as the maps' hover groups
do). Nothing is fetched: it works offline.
"""

from __future__ import annotations

import dataclasses
import json

import streamlit as st

from atr_model.presentation.app import cache
from atr_model.presentation.app.folium_view import RenderedMap, compact_json
from atr_model.presentation.balance import BAR_ATTRIBUTE, BalanceChart, balance_chart, balance_chart_html
from atr_model.presentation.maps.palette import LINES

__all__ = ["with_balance_chart", "result_balance", "HIGHLIGHT_STYLE", "PANEL_CLASS"]

#: The style of a new unit while its bar is hovered (the maps' highlight line, a thick outline).
HIGHLIGHT_STYLE = {"color": LINES["highlight"], "weight": 4, "opacity": 1.0, "fillOpacity": 0.92}

#: The panel's class (tests find it by this).
PANEL_CLASS = "atr-balance-panel"

_PANEL_JS = """
;(function () {
  var map = map_div, lit = [], style = %(style)s;
  var panel = L.control({position: "topright"});
  panel.onAdd = function () {
    var div = L.DomUtil.create("div", %(panel_class)s);
    div.innerHTML = %(html)s;
    // the list scrolls inside the map's height, ending above the legend at the bottom right
    div.style.setProperty("--atr-balance-height", Math.max(160, map.getSize().y - 180) + "px");
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  };
  panel.addTo(map);
  function off() {
    lit.forEach(function (l) { l.setStyle(l.feature.properties.style || {}); });
    lit = [];
    window.atrBalanceLit = null;
  }
  function on(id) {
    off();
    map.eachLayer(function (l) {
      var f = l.feature;
      if (f && f.properties && String(f.properties.new_unit_id) === id && l.setStyle) {
        l.setStyle(style);
        lit.push(l);
      }
    });
    window.atrBalanceLit = id;
  }
  var bars = panel.getContainer().querySelectorAll("[%(attribute)s]");
  Array.prototype.forEach.call(bars, function (bar) {
    var id = bar.getAttribute(%(attribute_js)s);
    bar.addEventListener("mouseenter", function () { bar.classList.add("atr-lit"); on(id); });
    bar.addEventListener("mouseleave", function () { bar.classList.remove("atr-lit"); off(); });
  });
})();
"""


def with_balance_chart(rendered: RenderedMap, chart: BalanceChart) -> RenderedMap:
    """The rendering with the balance chart as a panel on the map, each bar linked to its new unit."""
    script = _PANEL_JS % {
        "style": json.dumps(HIGHLIGHT_STYLE),
        "panel_class": json.dumps(PANEL_CLASS),
        "html": compact_json(balance_chart_html(chart)),
        "attribute": BAR_ATTRIBUTE,
        "attribute_js": json.dumps(BAR_ATTRIBUTE),
    }
    return dataclasses.replace(rendered, script=rendered.script + script)


def result_balance(folder: str, lang: str) -> BalanceChart:
    """The balance chart of the result in ``folder`` (kept per folder and language)."""
    return _result_balance(folder, lang)


def _result_balance_uncached(folder: str, lang: str) -> BalanceChart:
    result = cache.result(folder)
    return balance_chart(result.kpis, result.assignments, result.new_units, lang)


_result_balance = st.cache_resource(show_spinner=False, max_entries=16)(_result_balance_uncached)
