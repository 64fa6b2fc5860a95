"""Presentation: compare two results on two maps coloured the same way.

:func:`compare_maps` draws both plans as :func:`~atr_model.presentation.maps.result_map`
does, coloured together (:func:`paired_colours`): a new unit with the same members in both
plans has the same colour on both maps, and the units grouped differently are outlined (thick,
dashed, with a legend entry) on both. :func:`side_by_side` puts two finished maps into one folium
``DualMap``: panning or zooming one moves the other (Leaflet.Sync, vendored and inlined like
Leaflet). ``streamlit_folium`` draws a ``DualMap`` as two maps in one component.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import folium
import folium.plugins
import pandas as pd
from branca.element import Figure
from branca.utilities import _parse_size as parse_size  # what folium.Map itself uses

from atr_model.presentation.maps.assets import inline_assets
from atr_model.presentation.maps.display import DisplayLayers
from atr_model.presentation.maps.elements import add_css
from atr_model.presentation.maps.result import result_map
from atr_model.presentation.maps.result_colours import figure_colours, figure_members

__all__ = ["side_by_side", "paired_colours", "compare_maps"]


def paired_colours(
    layers: DisplayLayers,
    assignments_a: pd.DataFrame,
    assignments_b: pd.DataFrame,
    *,
    new_units_a: pd.DataFrame | None = None,
    new_units_b: pd.DataFrame | None = None,
) -> tuple[dict[str, str], dict[str, str]]:
    """Figure colours of two plans' merged new units, so that the same new unit looks the same.

    Plan A is coloured as its own map would be (:func:`~atr_model.presentation.maps.result_colours.figure_colours`);
    in plan B a new unit with exactly the members of one of A's keeps that unit's colour, and
    the others are coloured so that touching new units differ. (Two such units touching in B
    touch in A too, so they already differ.)

    Returns
    -------
    tuple of dict
        New unit id -> colour, for A and for B.
    """
    colours_a = figure_colours(layers, assignments_a, new_units_a)
    by_members = {members: colours_a[uid] for uid, members in
                  figure_members(assignments_a, new_units_a, units=layers.units).items() if uid in colours_a}
    members_b = figure_members(assignments_b, new_units_b, units=layers.units)
    fixed = {uid: by_members[members] for uid, members in members_b.items() if members in by_members}
    return colours_a, figure_colours(layers, assignments_b, new_units_b, fixed=fixed)


def compare_maps(
    layers: DisplayLayers,
    assignments_a: pd.DataFrame,
    assignments_b: pd.DataFrame,
    differing: Iterable[str],
    *,
    new_units_a: pd.DataFrame | None = None,
    new_units_b: pd.DataFrame | None = None,
    travel_model_labels: tuple[str, str] = ("", ""),
    **options: Any,
) -> tuple[folium.Map, folium.Map]:
    """The maps of two plans, coloured together, with the units grouped differently outlined.

    Parameters
    ----------
    layers
        Display layers of the dataset both plans ran on.
    assignments_a, assignments_b
        The two results' assignment tables.
    differing
        Codes of the units whose group of co-members differs between the plans
        (:attr:`atr_model.scenarios.Comparison.changed_units`).
    new_units_a, new_units_b
        The results' new-unit passports (the status categories come from them).
    travel_model_labels
        The two results' travel model labels (modelled travel times are marked as estimates).
    **options
        Further :func:`~atr_model.presentation.maps.result_map` options (``lang``, ``basemap``...).
    """
    colours_a, colours_b = paired_colours(layers, assignments_a, assignments_b,
                                          new_units_a=new_units_a, new_units_b=new_units_b)
    codes = sorted({str(c) for c in differing})
    map_a = result_map(layers, assignments_a, new_units=new_units_a, colours=colours_a, differing=codes,
                       travel_model_label=travel_model_labels[0], **options)
    map_b = result_map(layers, assignments_b, new_units=new_units_b, colours=colours_b, differing=codes,
                       travel_model_label=travel_model_labels[1], **options)
    return map_a, map_b


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
    # read by the renderers; set by base_map, so a map made elsewhere has none
    dual.atr_bounds = getattr(left, "atr_bounds", None)  # type: ignore[attr-defined]
    return inline_assets(dual)
