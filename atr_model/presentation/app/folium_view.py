"""Show folium maps in Streamlit from a cached rendering.

``streamlit_folium.st_folium`` re-renders the whole map (every GeoJSON feature) on each rerun of
the page, which costs seconds on a national map. Here the map is rendered once into the
strings the ``st_folium`` component needs (:class:`RenderedMap`, cacheable and immutable),
and each rerun only hands those strings to the same component. The preparation mirrors
``st_folium`` (streamlit-folium 0.2x) and uses its helpers, so the browser side is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import branca
import folium
import folium.elements
import streamlit as st
import streamlit_folium as stf

__all__ = ["RenderedMap", "render_map", "show_map"]


@dataclass(frozen=True)
class RenderedMap:
    """A folium map rendered to the component's inputs (all plain strings and numbers)."""

    script: str
    header: str
    html: str
    map_id: str
    bounds: list[list[float | None]]
    zoom: Any
    js_links: tuple[str, ...]
    css_links: tuple[str, ...]


def _links(fmap: folium.Map) -> tuple[tuple[str, ...], tuple[str, ...]]:
    css: list[str] = []
    js: list[str] = []

    def walk(element: Any) -> Iterable[Any]:
        if isinstance(element, (branca.colormap.ColorMap, folium.elements.JSCSSMixin)):
            yield element
        for child in getattr(element, "_children", {}).values():
            yield from walk(child)

    for element in walk(fmap):
        css.extend(href for _, href in getattr(element, "default_css", []))
        js.extend(src for _, src in getattr(element, "default_js", []))
    return tuple(dict.fromkeys(js)), tuple(dict.fromkeys(css))


def _geojson_layers(element: Any) -> Iterable[folium.GeoJson]:
    for child in getattr(element, "_children", {}).values():
        if isinstance(child, folium.GeoJson):
            yield child
        yield from _geojson_layers(child)


def render_map(fmap: folium.Map) -> RenderedMap:
    """Render a folium map once into what the ``st_folium`` component draws.

    folium's page render turns every layer's script, data included, into a Jinja template,
    which costs seconds for a national map. The page render is only needed for the header,
    the extra HTML (legend) and each element's preparation, so it runs with every GeoJSON
    layer cut to its first feature; the scripts are then generated with the full data.
    Layers must carry their style in ``properties.style`` (as :mod:`atr_model.presentation.maps`
    does), since folium's style lookup table would be built from the cut data.
    """
    layers = list(_geojson_layers(fmap.get_root()))  # the page: both maps of a DualMap
    full = [layer.data for layer in layers]
    for layer in layers:
        if getattr(layer, "style", False):
            raise ValueError(f"layer {layer.layer_name!r} uses a style_function; put the style in properties.style")
        layer.data = {**layer.data, "features": layer.data["features"][:1]}
    try:
        fmap.get_root().render()
    finally:
        for layer, data in zip(layers, full):
            layer.data = data
    html = stf._get_html(fmap)
    header = stf._get_header(fmap)
    script = stf._get_map_string(fmap)
    bounds = getattr(fmap, "atr_bounds", None)
    if bounds is None:
        try:
            bounds = fmap.get_bounds()
        except AttributeError:  # pragma: no cover - maps always have bounds here
            bounds = [[None, None], [None, None]]
    js_links, css_links = _links(fmap.get_root())
    return RenderedMap(
        script=script,
        header=header,
        html=html,
        map_id=stf.get_full_id(fmap),
        bounds=bounds,
        zoom=getattr(fmap, "m1", fmap).options.get("zoom"),
        js_links=js_links,
        css_links=css_links,
    )


def _bounds_dict(bounds: list[list[float | None]]) -> dict[str, dict[str, float | None]]:
    (south, west), (north, east) = bounds
    return {"_southWest": {"lat": south, "lng": west}, "_northEast": {"lat": north, "lng": east}}


def show_map(
    rendered: RenderedMap,
    *,
    key: str,
    height: int = 620,
    returned_objects: Iterable[str] = (),
    center: list[float] | None = None,
    zoom: int | None = None,
) -> dict[str, Any]:
    """Draw a rendered map with the ``st_folium`` component; return what it reports.

    Parameters
    ----------
    rendered
        From :func:`render_map` (cache it).
    key
        Widget key; keep it stable so the map is not remounted on reruns.
    height
        Pixel height; the width follows the container.
    returned_objects
        Interaction fields to send back (only these trigger a rerun).
    center, zoom
        A view to move to (``[lat, lon]`` and a zoom level); changing them moves the drawn
        map without rebuilding it. None keeps the map's own view.
    """
    returned = list(returned_objects)
    defaults_all: dict[str, Any] = {
        "last_clicked": None,
        "last_object_clicked": None,
        "last_object_clicked_tooltip": None,
        "last_object_clicked_popup": None,
        "bounds": _bounds_dict(rendered.bounds),
        "zoom": rendered.zoom,
    }
    defaults = {k: v for k, v in defaults_all.items() if k in returned}
    hash_key = stf.generate_js_hash(rendered.script, key, False)

    def _on_change() -> None:
        st.session_state[key] = st.session_state.get(hash_key, {})

    value = stf._component_func(
        script=rendered.script,
        header=rendered.header,
        html=rendered.html,
        id=rendered.map_id,
        key=hash_key,
        height=height,
        width=None,
        returned_objects=returned,
        default=defaults,
        zoom=zoom,
        center=center,
        feature_group=None,
        return_on_hover=False,
        layer_control=None,
        pixelated=False,
        css_links=list(rendered.css_links),
        js_links=list(rendered.js_links),
        on_change=_on_change,
        wrap_longitude=False,
    )
    return dict(value or {})
