"""Presentation: the map pages' JavaScript and CSS, inlined from the vendored files (offline).

Every map the package draws loads Leaflet (and Leaflet.Sync for two synced maps) from the
files vendored under ``atr_model/presentation/vendor/`` as ``data:`` URLs: a ``<script
src="data:...">`` and a ``<link href="data:...">`` work in a saved HTML file, in the
Streamlit component frame (which loads ``js_links``/``css_links`` the same way) and in any
working directory, with no CDN, no static file serving and no environment variable. The
images Leaflet's CSS refers to (the layer-control icon, marker icons) are inlined into the
CSS, so nothing 404s either.

folium's defaults (jQuery, Bootstrap, Font Awesome, awesome-markers) are not needed by the
elements these maps use (GeoJSON, tooltips, popups, circle markers, div labels, the layer
control, image overlays), so they are dropped; :func:`inline_assets` raises on any other
asset so that a new plugin cannot silently bring a CDN back.
"""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Iterator
from importlib import resources
from typing import Any, TypeVar

import branca
import folium
import folium.elements

__all__ = ["STATIC_PACKAGE", "leaflet_js", "leaflet_css", "inline_assets", "asset_urls", "VENDORED"]

#: A map, DualMap or other folium element: ``inline_assets`` returns what it was given.
_Element = TypeVar("_Element")

#: Package folder holding the vendored files.
STATIC_PACKAGE = "atr_model.presentation"
_VENDOR_DIR = "vendor"

#: folium asset name -> vendored file (relative to ``vendor/``); ``None``: not needed, dropped.
VENDORED: dict[str, str | None] = {
    "leaflet": "leaflet/leaflet.js",
    "leaflet_css": "leaflet/leaflet.css",
    "Leaflet.Sync": "leaflet-sync/L.Map.Sync.js",
    # folium.Map defaults that none of our elements uses (popups are plain HTML tables).
    "jquery": None,
    "bootstrap": None,
    "awesome_markers": None,
    "bootstrap_css": None,
    "glyphicons_css": None,
    "awesome_markers_font_css": None,
    "awesome_markers_css": None,
    "awesome_rotate_css": None,
}


def _read_bytes(relative: str) -> bytes:
    return resources.files(STATIC_PACKAGE).joinpath(_VENDOR_DIR, *relative.split("/")).read_bytes()


def _data_url(mime: str, payload: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"


@functools.cache
def _asset_url(relative: str) -> str:
    """The vendored file as a ``data:`` URL (CSS with its ``url(images/...)`` inlined)."""
    payload = _read_bytes(relative)
    if relative.endswith(".css"):
        folder = relative.rsplit("/", 1)[0]

        def inline(match: re.Match[str]) -> str:
            image = match.group(1)
            return f"url({_data_url('image/png', _read_bytes(f'{folder}/{image}'))})"

        text = re.sub(r"url\((images/[A-Za-z0-9_.-]+\.png)\)", inline, payload.decode("utf-8"))
        return _data_url("text/css", text.encode("utf-8"))
    return _data_url("text/javascript", payload)


def leaflet_js() -> str:
    """Vendored Leaflet as a ``data:text/javascript`` URL."""
    return _asset_url(VENDORED["leaflet"] or "")


def leaflet_css() -> str:
    """Vendored Leaflet CSS (images inlined) as a ``data:text/css`` URL."""
    return _asset_url(VENDORED["leaflet_css"] or "")


def _walk(element: Any) -> Iterator[Any]:
    # folium and branca elements are duck-typed: ``_children`` is branca's (private) child table,
    # and only the asset-carrying classes have ``default_js`` / ``default_css``
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)
    for attr in ("m1", "m2"):  # folium.plugins.DualMap holds its two maps as attributes
        inner = getattr(element, attr, None)
        if isinstance(inner, folium.Map):
            yield from _walk(inner)


def _localise(links: list[tuple[str, str]], owner: Any) -> list[tuple[str, str]]:
    out = []
    for name, url in links:
        if url.startswith("data:"):
            out.append((name, url))
            continue
        if name not in VENDORED:
            raise ValueError(
                f"{type(owner).__name__} needs {name!r} from {url}, which is not vendored under "
                "atr_model/presentation/vendor/; vendor it and add it to maps.assets.VENDORED"
            )
        target = VENDORED[name]
        if target is not None:
            out.append((name, _asset_url(target)))
    return out


def inline_assets(element: _Element) -> _Element:
    """Point every element of a map (or DualMap) at the vendored, inlined assets.

    Sets instance attributes (``default_js``/``default_css``), so other maps in the process
    keep folium's class defaults. Returns ``element``.

    Raises
    ------
    ValueError
        When an element needs an asset that is not vendored (naming it and its URL).
    """
    for item in _walk(element):  # only the asset-carrying element classes have default_js / default_css
        if isinstance(item, (folium.elements.JSCSSMixin, branca.colormap.ColorMap)) or hasattr(item, "default_js"):
            item.default_js = _localise(list(getattr(item, "default_js", [])), item)
            item.default_css = _localise(list(getattr(item, "default_css", [])), item)
    return element


def asset_urls(element: Any) -> tuple[list[str], list[str]]:
    """Every script and stylesheet URL a map's elements ask for (for tests and checks)."""
    js: list[str] = []
    css: list[str] = []
    for item in _walk(element):  # only the asset-carrying element classes have default_js / default_css
        js.extend(url for _, url in getattr(item, "default_js", []))
        css.extend(url for _, url in getattr(item, "default_css", []))
    return list(dict.fromkeys(js)), list(dict.fromkeys(css))
