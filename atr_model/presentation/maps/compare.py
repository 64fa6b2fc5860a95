"""Presentation: two maps side by side whose views move together (compare two results).

:func:`side_by_side` puts two finished maps (e.g. two :func:`~atr_model.presentation.maps.result_map`
calls, same styling and palette) into one folium ``DualMap``: panning or zooming one moves the
other (Leaflet.Sync, vendored and inlined like Leaflet). ``streamlit_folium`` draws a
``DualMap`` as two maps in one component.
"""

from __future__ import annotations

import folium
import folium.plugins
from branca.element import Figure
from branca.utilities import _parse_size as parse_size  # what folium.Map itself uses

from atr_model.presentation.maps.assets import inline_assets
from atr_model.presentation.maps.elements import add_css

__all__ = ["side_by_side"]


def _place(fmap: folium.Map, left: str) -> None:
    fmap.width, fmap.height = parse_size("50%"), parse_size("100%")
    fmap.left, fmap.top = parse_size(left), parse_size("0%")
    fmap.position = "absolute"


def side_by_side(left: folium.Map, right: folium.Map) -> folium.plugins.DualMap:
    """Two maps in one page, left and right halves, with synced views.

    Parameters
    ----------
    left, right
        Finished maps (not yet placed in another page); they are moved into the new page.

    Returns
    -------
    folium.plugins.DualMap
        ``m1`` is ``left`` and ``m2`` is ``right``; all assets are inlined (no CDN).
    """
    if left is right:
        raise ValueError("side_by_side needs two different maps, got the same map twice")
    dual = folium.plugins.DualMap(location=left.location, tiles=None)
    figure = Figure()
    for fmap, offset in ((left, "0%"), (right, "50%")):
        _place(fmap, offset)
        figure.add_child(fmap)
    dual.m1, dual.m2 = left, right
    figure.add_child(dual)  # after the maps: its script syncs them, so they must exist first
    add_css(left)  # the style sheet lived in each map's first page; put it in the new one
    dual.atr_bounds = getattr(left, "atr_bounds", None)  # type: ignore[attr-defined]  # read by the renderers
    return inline_assets(dual)
