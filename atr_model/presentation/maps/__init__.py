"""Presentation: interactive maps (folium/Leaflet) of a dataset, a scenario result and a comparison.

Every map works offline: Leaflet is inlined from the vendored files (:mod:`.assets`), the
background is a hillshade of the dataset's own elevation grid (:mod:`.basemap`), and colours
come from one palette (:mod:`.palette`). Modules, in the order a map is built:

* :mod:`.display` - :class:`DisplayLayers`, a dataset simplified once for display;
* :mod:`.base` - :func:`base_map` and the layers all maps share (outlines, settlements);
* :mod:`.elements` - GeoJSON layers, popups, legend, zoom-dependent labels, metric scale;
* :mod:`.dataset`, :mod:`.result`, :mod:`.diff` - the three maps, one function per layer
  (the result map's parts in :mod:`.result_colours`, :mod:`.result_passports`,
  :mod:`.result_layers` and :mod:`.result_legend`);
* :mod:`.compare` - two plans coloured together (the same new unit, the same colour; the
  units grouped differently outlined), and two finished maps side by side with synced views.

Popups show status, reason and the new unit's passport; every estimated figure is marked
("≈ 4,200 (estimate)").
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import folium

    from atr_model.presentation.maps.assets import asset_urls, inline_assets, leaflet_css, leaflet_js
    from atr_model.presentation.maps.base import base_map, outline_layers, unit_names
    from atr_model.presentation.maps.basemap import BASEMAPS, Hillshade, hillshade_array, hillshade_image
    from atr_model.presentation.maps.compare import compare_maps, paired_colours, side_by_side
    from atr_model.presentation.maps.dataset import DEFAULT_FLOOR, dataset_map
    from atr_model.presentation.maps.diff import diff_map
    from atr_model.presentation.maps.display import DisplayLayers, display_layers, stored_display_layers
    from atr_model.presentation.maps.elements import popup_table
    from atr_model.presentation.maps.palette import CATEGORY_COLOURS, FIGURE, GROUND, LINES, STABILITY
    from atr_model.presentation.maps.result import result_map
    from atr_model.presentation.maps.result_colours import PALETTE, MergerColours, figure_colours, new_unit_colours
    from atr_model.presentation.maps.store import kept, source_digest

#: Where each public name lives. Loaded on first use (PEP 562): the palette and the stores are
#: read by the command line and the reports, which must not pay for folium's import (about a
#: second) on every run.
_SOURCES: dict[str, str] = {
    **dict.fromkeys(("asset_urls", "inline_assets", "leaflet_css", "leaflet_js"), "assets"),
    **dict.fromkeys(("base_map", "outline_layers", "unit_names"), "base"),
    **dict.fromkeys(("BASEMAPS", "Hillshade", "hillshade_array", "hillshade_image"), "basemap"),
    **dict.fromkeys(("compare_maps", "paired_colours", "side_by_side"), "compare"),
    **dict.fromkeys(("DEFAULT_FLOOR", "dataset_map"), "dataset"),
    "diff_map": "diff",
    **dict.fromkeys(("DisplayLayers", "display_layers", "stored_display_layers"), "display"),
    "popup_table": "elements",
    **dict.fromkeys(("CATEGORY_COLOURS", "FIGURE", "GROUND", "LINES", "STABILITY"), "palette"),
    "result_map": "result",
    **dict.fromkeys(("PALETTE", "MergerColours", "figure_colours", "new_unit_colours"), "result_colours"),
    **dict.fromkeys(("kept", "source_digest"), "store"),
}


def __getattr__(name: str) -> object:
    module = _SOURCES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


__all__ = [
    "kept",
    "source_digest",
    "PALETTE",
    "FIGURE",
    "GROUND",
    "LINES",
    "CATEGORY_COLOURS",
    "STABILITY",
    "BASEMAPS",
    "DEFAULT_FLOOR",
    "DisplayLayers",
    "Hillshade",
    "display_layers",
    "stored_display_layers",
    "base_map",
    "outline_layers",
    "dataset_map",
    "result_map",
    "diff_map",
    "side_by_side",
    "compare_maps",
    "paired_colours",
    "MergerColours",
    "figure_colours",
    "new_unit_colours",
    "map_feature_counts",
    "unit_names",
    "popup_table",
    "inline_assets",
    "asset_urls",
    "leaflet_js",
    "leaflet_css",
    "hillshade_array",
    "hillshade_image",
]

def map_feature_counts(fmap: folium.Map) -> dict[str, int]:
    """Number of features per named GeoJSON layer of a map (for tests and logs)."""
    import folium  # loaded with the first map, not with the package

    counts: dict[str, int] = {}
    for child in fmap._children.values():
        if isinstance(child, folium.GeoJson) and child.control:
            counts[child.layer_name] = len(child.data.get("features", []))
    return counts
