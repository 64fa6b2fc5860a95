"""Presentation: the pieces every map is built from (GeoJSON layers, popups, legend, labels, scale).

* :func:`geojson_layer` puts each feature's style into ``properties.style`` (the app renders
  big layers once; see :mod:`atr_model.presentation.app.folium_view`);
* :func:`html_text` is the one escape of every map: folium writes a tooltip's or popup's field
  into the page as HTML and Leaflet a layer's name in the layer control, so
  :func:`geojson_layer`, through which every layer goes, escapes each field a tooltip or popup
  shows and the layer's name; only the fields of :data:`HTML_FIELDS` holding a table made by
  :func:`popup_table` (which escapes its values) pass as HTML, so nothing is escaped twice (a
  unit named ``<img onerror=...>`` shows as text, it never runs);
* :class:`Legend` is a collapsible Leaflet control (``<details>``), open only on tall maps so
  it never covers a small one, stacked by Leaflet with the other controls;
* :class:`MetricScale` is a metric-only scale bar (``L.control.scale({imperial: false})``);
* :class:`ZoomLabels` are text labels (Leaflet ``divIcon`` markers, no image) shown only
  between a minimum and a maximum zoom each, so names appear where they fit;
* :class:`HoverGroups` highlights a whole new unit when the pointer is over any of its
  members.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Element, Figure, MacroElement
from folium.template import Template

from atr_model.presentation.maps.palette import GROUND, LINES

__all__ = [
    "features",
    "geojson_layer",
    "hover_layer",
    "records",
    "text",
    "popup_table",
    "html_text",
    "HTML_FIELDS",
    "swatch",
    "Legend",
    "MetricScale",
    "ZoomLabels",
    "HoverGroups",
    "add_css",
    "label_min_zoom",
    "declutter_labels",
]

#: Feature properties that hold HTML made by :func:`popup_table` (a popup, a new unit's passport
#: in a tooltip); every other field a tooltip or popup shows is text.
HTML_FIELDS = ("popup", "passport")
#: How a :func:`popup_table` begins: an HTML field that does not is escaped like text.
_TABLE_STARTS = ("<div class='atr-pop-title'>", "<table class='atr-pop'>")

_ROUND_DEG = 4  # ~10 m: invisible at the zooms a country map is read at, and a far smaller payload


def json_safe(value: Any) -> Any:
    """A cell as a JSON value (numpy scalars unwrapped, NaN/inf as null)."""
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(float(value)) else float(value)
    return value


def features(frame: gpd.GeoDataFrame, ids: Iterable[Any] | None = None) -> dict[str, Any]:
    """GeoJSON FeatureCollection with string ids (folium styles features by id)."""
    data = frame.to_geo_dict(na="null", show_bbox=False, drop_id=True)
    id_list = [str(i) for i in (frame.index if ids is None else ids)]
    for feature, fid in zip(data["features"], id_list):
        feature["id"] = fid
        feature.pop("bbox", None)
        props = feature.get("properties") or {}
        feature["properties"] = {k: json_safe(v) for k, v in props.items()}
    return cast("dict[str, Any]", data)


def geojson_layer(
    data: dict[str, Any], *, style_function: Callable[[Mapping[str, Any]], dict[str, Any]], **kwargs: Any
) -> folium.GeoJson:
    """A folium GeoJson layer whose per-feature style travels in ``properties.style``.

    folium then styles features in the browser (``feature.properties.style``) instead of
    compiling a style lookup table into the page, which keeps rendering fast and lets
    :func:`atr_model.presentation.app.folium_view.render_map` render big layers cheaply.

    Every layer of every map is made here, so this is where what a user supplies (unit,
    settlement and scenario names) becomes text: the fields the layer's ``tooltip`` and
    ``popup`` show are escaped (:func:`safe_fields`), and so is its ``name`` (Leaflet's layer
    control writes it as HTML).
    """
    shown = [f for key in ("tooltip", "popup") if kwargs.get(key) is not None for f in kwargs[key].fields]
    safe_fields(data, shown)
    if kwargs.get("name") is not None:
        kwargs["name"] = html.escape(str(kwargs["name"]), quote=False)
    for feature in data["features"]:
        feature["properties"]["style"] = {k: v for k, v in style_function(feature).items() if v is not None}
    return folium.GeoJson(data, **kwargs)


def safe_fields(data: dict[str, Any], fields: Iterable[str]) -> None:
    """Escape, in place, the ``fields`` of every feature of ``data`` that a tooltip or popup shows:
    text through :func:`html_text`; a field of :data:`HTML_FIELDS` kept when it is a
    :func:`popup_table` (escaped when built), escaped like text otherwise."""
    names = list(dict.fromkeys(fields))
    for feature in data["features"]:
        props = feature.get("properties") or {}
        for name in names:
            if name in props:
                props[name] = _safe(name, props[name])


def _safe(name: str, value: Any) -> str:
    if name in HTML_FIELDS and isinstance(value, str) and (value == "" or value.startswith(_TABLE_STARTS)):
        return value
    return html_text(value)


def html_text(value: Any) -> str:
    """A value (a name, a status, a sentence) as text inside a map's HTML: the maps' one escape
    (``<``, ``>``, ``&`` and quotes), used by :func:`geojson_layer`, :func:`popup_table` and
    :class:`Legend`; missing values as ''."""
    return html.escape(text(value))


def hover_layer(
    frame: gpd.GeoDataFrame,
    *,
    name: str,
    style_function: Callable[[Mapping[str, Any]], dict[str, Any]],
    tip_fields: Sequence[str] = ("tip",),
) -> folium.GeoJson:
    """A polygon layer of units: the ``tip_fields`` columns as tooltip on hover, the ``popup``
    column (HTML, see :func:`popup_table`) on click.

    Tooltip fields are plain text, escaped by :func:`geojson_layer`; those of
    :data:`HTML_FIELDS` (``passport``) are tables made by :func:`popup_table`.
    """
    return geojson_layer(
        features(frame),
        name=name,
        style_function=style_function,
        tooltip=folium.GeoJsonTooltip(fields=list(tip_fields), labels=False),
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False),
    )


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts without geometry (far faster than ``iterrows`` on a GeoDataFrame)."""
    plain = pd.DataFrame(frame.drop(columns=[c for c in ("geometry",) if c in frame.columns]))
    return cast("list[dict[str, Any]]", plain.to_dict("records"))


def text(value: Any) -> str:
    """A cell as text; missing values (None, NaN) as ''."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def popup_table(rows: Iterable[tuple[str, str]], title: str = "") -> str:
    """Small HTML table for a popup or tooltip (values escaped; empty rows left out)."""
    head = f"<div class='atr-pop-title'>{html_text(title)}</div>" if title else ""
    body = "".join(
        f"<tr><th>{html_text(k)}</th><td>{html_text(v)}</td></tr>" for k, v in rows if v not in (None, "")
    )
    return f"{head}<table class='atr-pop'>{body}</table>"


def swatch(
    colour: str, kind: str = "box", *, border: str = LINES["unit"], dashed: bool = False, dotted: bool = False,
    width_px: int | None = None,
) -> str:
    """Legend swatch HTML: a filled box, a dot or a line (``dashed``, ``dotted``: the line's or
    the box border's style; ``width_px``: its width, 2 px for a line and 1 px for a border)."""
    style = "dotted" if dotted else "dashed" if dashed else "solid"
    if kind == "dot":
        return f"<i class='dot' style='background:{colour};border:1px solid {border}'></i>"
    if kind == "line":
        return f"<i class='line' style='border-top:{width_px or 2}px {style} {colour}'></i>"
    return f"<i style='background:{colour};border:{width_px or 1}px {style} {border}'></i>"


_CSS = f"""
<style>
.atr-pop-title{{font-weight:600;font-size:13px;margin-bottom:4px;color:{LINES['label']}}}
table.atr-pop{{border-collapse:collapse;font-size:12px;max-width:340px}}
table.atr-pop th{{text-align:left;color:#5f6b7a;font-weight:500;padding:1px 8px 1px 0;vertical-align:top;white-space:nowrap}}
table.atr-pop td{{padding:1px 0;color:{LINES['label']}}}
.leaflet-container{{background:{GROUND['background']}}}
.leaflet-control-layers{{font:12px/1.4 system-ui,sans-serif}}
.leaflet-hillshade-pane{{mix-blend-mode:multiply}}
.atr-legend{{background:rgba(255,255,255,.94);padding:4px 8px;border-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.25);
 font:12px/1.45 system-ui,sans-serif;color:{LINES['label']};max-width:250px;max-height:60vh;overflow:auto}}
.atr-legend summary{{cursor:pointer;font-weight:600;list-style-position:inside}}
.atr-legend details[open] summary{{margin-bottom:3px}}
.atr-legend i{{display:inline-block;width:14px;height:10px;margin-right:6px;vertical-align:middle}}
.atr-legend i.dot{{width:10px;height:10px;border-radius:50%}}
.atr-legend i.line{{height:0;border-top:2px solid}}
.atr-legend .note{{color:#5f6b7a}}
.atr-label{{background:none;border:none;white-space:nowrap;pointer-events:none}}
.atr-label span{{display:inline-block;transform:translate(-50%,-50%);font:600 11px/1.1 system-ui,sans-serif;
 color:{LINES['label']};text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff}}
.atr-label.oblast span{{font-size:13px;letter-spacing:.08em;text-transform:uppercase;color:#3a4350;font-weight:500}}
.atr-label.settlement span{{font-weight:400;font-size:10px;color:#37474f}}
.atr-label.new-unit span{{font-size:11.5px}}
</style>
"""


def add_css(fmap: folium.Map) -> None:
    """The maps' style sheet, in the page header (kept by the Streamlit component)."""
    cast(Figure, fmap.get_root()).header.add_child(Element(_CSS), name="atr_css")


class _AtrElement(MacroElement):
    """A Leaflet script element of these maps, named ``name`` in the page source (the one typed
    constructor over branca's unannotated ``MacroElement.__init__``)."""

    def __init__(self, name: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = name


class Legend(_AtrElement):
    """A collapsible legend as a Leaflet control (bottom right), open only on maps of at least 1100x820 px
    (collapsed on a laptop screen or in the app, so it never covers the map).

    Parameters
    ----------
    title
        Summary line (always visible).
    entries
        (swatch HTML, label) pairs; labels are escaped.
    notes
        Extra lines in grey (escaped).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function() {
                var div = L.DomUtil.create("div", "atr-legend");
                div.innerHTML = {{ this.html|tojson }};
                var details = div.querySelector("details");
                if (details && map.getSize().y >= 820 && map.getSize().x >= 1100) { details.open = true; }
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            legend.addTo(map);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, title: str, entries: Iterable[tuple[str, str]], notes: Iterable[str] = ()) -> None:
        super().__init__("AtrLegend")
        self.entries = list(entries)  # (swatch HTML, label), for tests and the maps that read it back
        items = "".join(f"<div>{sw}{html_text(label)}</div>" for sw, label in self.entries)
        extra = "".join(f"<div class='note'>{html_text(n)}</div>" for n in notes)
        self.html = f"<details><summary>{html_text(title)}</summary>{items}{extra}</details>"


class MetricScale(_AtrElement):
    """A metric-only scale bar (Leaflet's ``control_scale`` shows miles too)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({metric: true, imperial: false, position: "bottomleft"}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__("AtrMetricScale")


class ZoomLabels(_AtrElement):
    """Text labels shown only between their own minimum and maximum zoom.

    Parameters
    ----------
    labels
        ``(lat, lon, text, min_zoom, max_zoom)`` per label.
    css_class
        Extra CSS class (``new-unit``, ``oblast``, ``settlement``) for the label style.
    name
        Layer name (for tests and the page source).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var data = {{ this.data|tojson }};
            var group = L.layerGroup().addTo(map);
            var items = data.map(function(d) {
                var icon = L.divIcon({className: "atr-label " + {{ this.css_class|tojson }},
                                      html: "<span></span>", iconSize: null});
                var marker = L.marker([d[0], d[1]], {icon: icon, interactive: false, keyboard: false});
                marker.atrText = d[2];
                return {marker: marker, min: d[3], max: d[4]};
            });
            function update() {
                var z = map.getZoom();
                items.forEach(function(it) {
                    var show = z >= it.min && z < it.max;
                    if (show && !group.hasLayer(it.marker)) {
                        group.addLayer(it.marker);
                        it.marker.getElement().firstChild.textContent = it.marker.atrText;
                    } else if (!show && group.hasLayer(it.marker)) {
                        group.removeLayer(it.marker);
                    }
                });
            }
            map.on("zoomend", update);
            map.whenReady(update);
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        labels: Sequence[tuple[float, float, str, float, float]],
        *,
        css_class: str,
        name: str,
        char_px: float = 6.5,
    ) -> None:
        super().__init__("AtrZoomLabels")
        self.layer_name = name
        self.css_class = css_class
        self.char_px = char_px
        # [lat, lon, text, min zoom, max zoom]; declutter_labels raises the min zoom in place
        self.data: list[list[Any]] = [
            [round(lat, 5), round(lon, 5), str(label), float(lo), float(hi)] for lat, lon, label, lo, hi in labels
        ]


def label_min_zoom(width_deg: float, height_deg: float, label: str, *, lat: float, floor: float = 5.0) -> float:
    """Smallest zoom (in half steps) at which ``label`` fits inside a shape of this extent.

    At zoom ``z`` a degree of longitude is ``256 * 2**z / 360`` pixels (Web Mercator), a degree
    of latitude that times ``1 / cos(lat)``; a label of ``n`` characters is about ``6.5 n + 6``
    pixels wide and 14 high (11 px font).
    """
    width_px = 6.5 * len(label) + 6.0
    scale = 256.0 / 360.0
    need_w = width_px / max(width_deg * scale, 1e-9)
    need_h = 14.0 / max(height_deg * scale / max(math.cos(math.radians(lat)), 1e-6), 1e-9)
    zoom = math.log2(max(need_w, need_h, 1e-9))
    return max(floor, math.ceil(zoom * 2.0) / 2.0)


class HoverGroups(_AtrElement):
    """Highlight a whole group feature (a new unit) while the pointer is over one of its members.

    Parameters
    ----------
    groups
        The layer of group polygons (feature ids = group ids).
    members
        Layers whose features carry the group id in ``properties[key]``.
    style
        Leaflet path style applied to the group while highlighted.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var groups = {{ this.groups.get_name() }};
            var index = {};
            groups.eachLayer(function(l) { index[l.feature.id] = l; });
            function on(id) { var l = index[id]; if (l) { l.setStyle({{ this.style|tojson }}); } }
            function off(id) { var l = index[id]; if (l) { l.setStyle(l.feature.properties.style); } }
            groups.eachLayer(function(l) {
                l.on("mouseover", function() { on(l.feature.id); });
                l.on("mouseout", function() { off(l.feature.id); });
            });
            var members = [{% for m in this.members %}{{ m.get_name() }}{% if not loop.last %}, {% endif %}{% endfor %}];
            members.forEach(function(layer) {
                layer.eachLayer(function(l) {
                    var id = l.feature.properties[{{ this.key|tojson }}];
                    if (id === null || id === undefined) { return; }
                    l.on("mouseover", function() { on(id); });
                    l.on("mouseout", function() { off(id); });
                });
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self, groups: folium.GeoJson, members: Sequence[folium.GeoJson], *, style: Mapping[str, Any], key: str = "group"
    ) -> None:
        super().__init__("AtrHoverGroups")
        self.groups = groups
        self.members = list(members)
        self.style = dict(style)
        self.key = key


_ZOOM_STEP = 0.5
_MAX_LABEL_ZOOM = 14.0  # from here on every label is shown (villages are kilometres apart)
_CELL_PX = 128.0


def _world_px(lat: float, lon: float) -> tuple[float, float]:
    """Web Mercator pixel position at zoom 0 (256 px world)."""
    x = (lon + 180.0) / 360.0 * 256.0
    sin = min(max(math.sin(math.radians(lat)), -0.9999), 0.9999)
    y = (0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * 256.0
    return x, y


def declutter_labels(groups: Sequence[ZoomLabels]) -> None:
    """Raise each label's minimum zoom until it overlaps no label placed before it.

    ``groups`` are in priority order (new-unit names before oblast names before settlement
    names; inside a group, in the order given, e.g. larger settlements first). A label placed
    at zoom ``z`` stays shown at every closer zoom, where labels only move apart, so it
    occupies its box at all of them. Greedy and deterministic.
    """
    zooms = [z / 2.0 for z in range(0, int(_MAX_LABEL_ZOOM * 2) + 1)]
    occupied: dict[float, dict[tuple[int, int], list[tuple[float, float, float, float]]]] = {z: {} for z in zooms}

    def boxes(z: float, x0: float, y0: float, half_w: float, half_h: float) -> tuple[float, float, float, float]:
        scale = 2.0**z
        return (x0 * scale - half_w, y0 * scale - half_h, x0 * scale + half_w, y0 * scale + half_h)

    def cells(box: tuple[float, float, float, float]) -> list[tuple[int, int]]:
        return [
            (i, j)
            for i in range(int(box[0] // _CELL_PX), int(box[2] // _CELL_PX) + 1)
            for j in range(int(box[1] // _CELL_PX), int(box[3] // _CELL_PX) + 1)
        ]

    def free(z: float, box: tuple[float, float, float, float]) -> bool:
        grid = occupied[z]
        for cell in cells(box):
            for o in grid.get(cell, ()):
                if box[0] < o[2] and o[0] < box[2] and box[1] < o[3] and o[1] < box[3]:
                    return False
        return True

    for group in groups:
        for item in group.data:
            lat, lon, label, lo, hi = item
            x0, y0 = _world_px(lat, lon)
            half_w, half_h = (group.char_px * len(label) + 8.0) / 2.0, 8.0
            start = math.ceil(lo / _ZOOM_STEP) * _ZOOM_STEP
            placed = None
            for z in zooms:
                if z < start or z >= hi:
                    continue
                if free(z, boxes(z, x0, y0, half_w, half_h)):
                    placed = z
                    break
            if placed is None:
                item[3] = max(start, _MAX_LABEL_ZOOM) if hi > _MAX_LABEL_ZOOM else hi
                continue
            item[3] = placed
            for z in zooms:
                if placed <= z < hi:
                    box = boxes(z, x0, y0, half_w, half_h)
                    for cell in cells(box):
                        occupied[z].setdefault(cell, []).append(box)


def dumps_compact(value: Any) -> str:
    """JSON without spaces (for sizes in logs and tests)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
