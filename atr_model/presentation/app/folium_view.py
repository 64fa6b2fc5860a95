"""Show folium maps in Streamlit from a cached rendering.

``streamlit_folium.st_folium`` re-renders the whole map (every GeoJSON feature) on each rerun of
the page, which costs seconds on a national map. Here the map is rendered once into the
strings the ``st_folium`` component needs (:class:`RenderedMap`, cacheable and immutable),
and each rerun only hands those strings to the same component. The preparation mirrors
``st_folium`` (streamlit-folium 0.2x) and uses its helpers, so the browser side is unchanged.

The component's frame gets a Content-Security-Policy (:func:`frame_policy`, a ``<meta>`` in the
header the component puts into its page before the map): the one inline script it runs is the
map's own, allowed by its hash, so no script that a name or any other text of the map might
smuggle in (an ``onerror`` attribute, a ``<script>``) runs there, and no plug-in or form either.
Streamlit gives a component's frame the page's origin (``allow-same-origin``), so a script that
ran there could reach the app's page; the policy makes sure none but the map's does.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import html as html_lib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import branca
import folium
import folium.elements
import streamlit as st
import streamlit_folium as stf

from atr_model.data.cache import default_cache_dir
from atr_model.presentation import maps
from atr_model.presentation.i18n import current_terms

__all__ = [
    "COMPONENT_SCRIPT_TAIL",
    "RenderedMap",
    "compact_json",
    "frame_policy",
    "render_map",
    "show_map",
    "show_map_default_bounds",
    "stored_render",
]

#: What the st_folium component appends to the map's script before it runs it as one inline
#: script (streamlit-folium 0.2x, ``return_on_hover`` false as :func:`show_map` asks): the hash
#: of the policy is that of ``script + COMPONENT_SCRIPT_TAIL``.
COMPONENT_SCRIPT_TAIL = "window.map = map_div; window.initComponent(map_div, false);"


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


def _links(fmap: branca.element.Element) -> tuple[tuple[str, ...], tuple[str, ...]]:
    css: list[str] = []
    js: list[str] = []

    # folium and branca elements are duck-typed: ``_children`` is branca's (private) child table,
    # and only the asset-carrying classes have ``default_css`` / ``default_js``
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
    # any folium or branca element: ``_children`` is branca's (private) child table
    for child in getattr(element, "_children", {}).values():
        if isinstance(child, folium.GeoJson):
            yield child
        yield from _geojson_layers(child)


_SLOT = "atrLayerSlot"
#: One ``<layer>_add({...});`` line of folium's GeoJson script (``tojson`` writes no newline).
_ADD_CALL = re.compile(r'^(?P<head>[ \t]*\w+_add\()\{[^\n]*"atrLayerSlot": (?P<slot>\d+)[^\n]*\}\);[ \t]*$', re.M)


def compact_json(data: Any) -> str:
    """JSON without spaces or ASCII escapes, safe inside a ``<script>`` element (``</`` escaped)."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")


def _fill_slots(script: str, data: list[Any]) -> str:
    """Replace each layer's cut data in its ``<layer>_add(...)`` call by the whole data as compact JSON.

    folium's ``tojson`` writes spaces after every separator and six-character escapes for each
    ``<``, ``>`` and non-ASCII letter of the popups, and streamlit-folium runs its regular
    expressions over the whole script: with the data cut to one marked feature per layer while
    the script is generated, both cost nothing, and the payload is a third smaller.
    """
    seen: list[int] = []

    def fill(match: re.Match[str]) -> str:
        slot = int(match.group("slot"))
        seen.append(slot)
        return f"{match.group('head')}{compact_json(data[slot])});"

    filled = _ADD_CALL.sub(fill, script)
    if sorted(seen) != list(range(len(data))):
        raise ValueError(f"map script: layer data calls found for layers {sorted(seen)}, expected 0..{len(data) - 1}")
    return filled


def render_map(fmap: folium.Map) -> RenderedMap:
    """Render a folium map once into what the ``st_folium`` component draws.

    folium's page render turns every layer's script, data included, into a Jinja template,
    which costs seconds for a national map. The page render is only needed for the header,
    the extra HTML (legend) and each element's preparation, so it runs with every GeoJSON
    layer cut to its first feature; the scripts too, and each layer's data is then put in as
    compact JSON (:func:`compact_json`, :func:`_fill_slots`).
    Layers must carry their style in ``properties.style`` (as :mod:`atr_model.presentation.maps`
    does), since folium's style lookup table would be built from the cut data.
    """
    layers = list(_geojson_layers(fmap.get_root()))  # the page: both maps of a DualMap
    full = [layer.data for layer in layers]
    for index, layer in enumerate(layers):
        if layer.style:
            raise ValueError(f"layer {layer.layer_name!r} uses a style_function; put the style in properties.style")
        # the first feature (folium checks tooltip fields against it) and a mark of the layer
        layer.data = {**layer.data, "features": layer.data["features"][:1], _SLOT: index}
    try:
        fmap.get_root().render()
        html = stf._get_html(fmap)
        header = stf._get_header(fmap)
        script = _fill_slots(stf._get_map_string(fmap), full)
    finally:
        for layer, data in zip(layers, full):
            layer.data = data
    bounds = getattr(fmap, "atr_bounds", None)  # set by maps.base_map; a map made elsewhere has none
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
        zoom=getattr(fmap, "m1", fmap).options.get("zoom"),  # a DualMap's zoom is its first map's
        js_links=js_links,
        css_links=css_links,
    )


@functools.cache
def _code_digest() -> str:
    """Hash of everything a rendering depends on besides its inputs: the map code, the
    catalogues, the vendored assets and the folium / streamlit-folium versions."""
    presentation = Path(__file__).resolve().parents[1]
    files = [Path(__file__).resolve(), *sorted((presentation / "maps").glob("*.py")),
             *sorted((presentation / "locales").glob("*.json")), *sorted((presentation / "vendor").rglob("*")),
             presentation / "i18n.py"]
    return maps.source_digest(files, folium.__version__, metadata.version("streamlit-folium"))


def _load_render(path: Path) -> RenderedMap:
    fields = json.loads(path.read_text(encoding="utf-8"))
    return RenderedMap(**{**fields, "js_links": tuple(fields["js_links"]), "css_links": tuple(fields["css_links"])})


def stored_render(key: Iterable[Any], build: Callable[[], folium.Map], *, cache_dir: Path | None = None) -> RenderedMap:
    """``render_map(build())``, kept in the cache folder for the next app process.

    ``key`` names the map's inputs (JSON-serialisable: a build id, the language, ...); the
    code and catalogues the rendering depends on are added to it, so a code or text change
    renders anew. A fresh server then shows its first map without building it (about a
    second for the Kyrgyz build); a cache that cannot be read or written only costs the build.
    """
    parts = [*key, _code_digest()]
    if not current_terms().is_kyrgyz:  # another dataset's words in the legends and layer names
        parts.append(current_terms().to_json())
    name = hashlib.sha256(json.dumps(parts, default=str).encode("utf-8")).hexdigest()[:20]
    return maps.kept(
        (cache_dir if cache_dir is not None else default_cache_dir()) / "display" / f"map-{name}.json",
        load=_load_render,
        dump=lambda rendered, tmp: tmp.write_text(json.dumps(dataclasses.asdict(rendered), ensure_ascii=False),
                                                  encoding="utf-8"),
        build=lambda: render_map(build()),
        what="stored map",
    )


def frame_policy(script: str) -> str:
    """The Content-Security-Policy of the frame that shows a map whose script is ``script``.

    Scripts: only the map's own inline script (by its SHA-256, so no inline ``on...`` handler and
    no other inline script runs) and code the component itself evaluates (``'unsafe-eval'``: it
    adds the selection outline with ``eval``); the component's and Leaflet's files are loaded
    before the policy is set. No plug-ins, no ``<base>``, no form posts.
    """
    digest = hashlib.sha256((script + COMPONENT_SCRIPT_TAIL).encode("utf-8")).digest()
    source = "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"
    return f"script-src {source} 'unsafe-eval'; object-src 'none'; base-uri 'none'; form-action 'none'"


def _policy_meta(script: str) -> str:
    return f'<meta http-equiv="Content-Security-Policy" content="{html_lib.escape(frame_policy(script))}">'


def show_map_default_bounds(rendered: RenderedMap) -> dict[str, dict[str, float | None]]:
    """The ``bounds`` :func:`show_map` reports for ``rendered`` until the map reports its own."""
    return _bounds_dict(rendered.bounds)


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
    overlay: str | None = None,
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
    overlay
        Leaflet code of layers drawn over the map (the component's ``feature_group``): a
        change swaps them without redrawing the map. None draws none.
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
        # the policy first: the component writes the header into its page before the map's
        # HTML and script, so the policy holds for both
        header=_policy_meta(rendered.script) + rendered.header,
        html=rendered.html,
        id=rendered.map_id,
        key=hash_key,
        height=height,
        width=None,
        returned_objects=returned,
        default=defaults,
        zoom=zoom,
        center=center,
        feature_group=overlay,
        return_on_hover=False,
        layer_control=None,
        pixelated=False,
        css_links=list(rendered.css_links),
        js_links=list(rendered.js_links),
        on_change=_on_change,
        wrap_longitude=False,
    )
    return dict(value or {})
