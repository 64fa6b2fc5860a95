"""Presentation: the report's maps as inline SVG, drawn by matplotlib from the result's polygons.

:func:`map_svg` draws the new units (or any polygons) deterministically, with raion land held
by no unit (:func:`unplaced_land`) in the interactive maps' grey; the full report, its
robustness section, the comparison page and the Council summary (and, as a PNG, the app's map
download) all draw with it. The new-unit map numbers its units only up to
:data:`MAP_LABEL_LIMIT` (:func:`is_numbered`).
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import shape

from atr_model.scenarios import ResultFiles

if TYPE_CHECKING:  # annotations only: matplotlib loads when a map is drawn
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["MAP_LABEL_LIMIT", "is_numbered", "map_svg", "unplaced_land", "unplaced_land_of"]


#: The new-unit map numbers its units only up to this many (above, labels would not fit).
MAP_LABEL_LIMIT = 80


def is_numbered(n_units: int) -> bool:
    """Whether the new-unit map numbers its ``n_units`` units (at most :data:`MAP_LABEL_LIMIT`)."""
    return n_units <= MAP_LABEL_LIMIT


#: Raion land held by no unit: the interactive maps' light grey and dotted slate edge
#: (``presentation.maps.palette``, GROUND and LINES "unplaced"; not imported, which would load
#: folium with every report).
_UNPLACED_FILL, _UNPLACED_EDGE = "#b8bec6", "#6b7480"
_TAB20_GREYS = (14, 15)


def map_svg(
    frame: gpd.GeoDataFrame,
    *,
    column: str | None = None,
    categorical: bool = False,
    title: str = "",
    hatch_mask: Sequence[bool] | None = None,
    outline: gpd.GeoDataFrame | None = None,
    labels: Sequence[str] | None = None,
    legend_label: str = "",
    width_in: float = 8.0,
    colours: dict[str, str] | None = None,
    png_dpi: int | None = None,
    unplaced: gpd.GeoDataFrame | None = None,
) -> str:
    """Draw polygons with matplotlib and return the figure as an inline ``<svg>`` string.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Polygons in EPSG:4326 (drawn in lon/lat with the aspect corrected for latitude).
    column : str, optional
        Column to colour by; plain fill when None.
    categorical : bool, default False
        Treat ``column`` as categories (distinct colours) rather than a colour ramp.
    title : str, optional
        Axes title.
    hatch_mask : sequence of bool, optional
        Rows to hatch (used for estimated or below-floor units).
    outline : geopandas.GeoDataFrame, optional
        Extra boundaries drawn on top (dashed).
    labels : sequence of str, optional
        Text placed at each row's representative point (skipped above 80 rows).
    legend_label : str, optional
        Colour-bar label for a ramp.
    width_in : float, default 8.0
        Figure width in inches.
    colours : dict, optional
        Fixed colour per category (categorical maps); a legend lists them.
    png_dpi : int, optional
        Draw a PNG at this resolution instead and return it base64-encoded (the map image
        download of the app, :func:`atr_model.presentation.report.summary.map_png`).
    unplaced : geopandas.GeoDataFrame, optional
        Raion land held by no unit (the result package's territory notes), drawn light grey
        with a dotted edge, as on the interactive maps.

    Returns
    -------
    str
        An ``<svg>`` element (no XML prologue), deterministic for the same input; with
        ``png_dpi``, the PNG file's bytes in base64.
    """
    import matplotlib
    from matplotlib.figure import Figure

    data = frame.to_crs("EPSG:4326").reset_index(drop=True)
    minx, miny, maxx, maxy = data.total_bounds
    span = max(maxx - minx, maxy - miny, 1e-6)
    # thin the outlines for display only: the GeoPackage keeps full detail
    data = data.set_geometry(data.geometry.simplify(span / 1500.0, preserve_topology=True))
    mid_lat = (miny + maxy) / 2.0
    aspect = 1.0 / max(math.cos(math.radians(mid_lat)), 0.2)
    height_in = max(2.5, min(width_in * (maxy - miny) * aspect / max(maxx - minx, 1e-6), 7.0))
    draw_unplaced = unplaced is not None and len(unplaced) > 0
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "atr-model", "font.size": 8}):
        # A bare Figure (no pyplot canvas): geopandas' draw_idle after each layer is then a no-op
        # instead of a full redraw, and nothing is left open in pyplot's registry.
        fig = Figure(figsize=(width_in, height_in))
        ax = fig.subplots()
        ax.set_axis_off()
        kwargs: dict[str, Any] = {"ax": ax, "edgecolor": "#222", "linewidth": 0.5}
        if column is None:
            data.plot(color="#cfdff0", **kwargs)
        elif categorical:
            _draw_categories(data, column, colours, avoid_greys=draw_unplaced, **kwargs)
        else:
            _draw_ramp(data, column, legend_label, **kwargs)
        if draw_unplaced:
            # dotted edge and a fine dot hatch: told apart from the units in black-and-white print too
            unplaced.to_crs("EPSG:4326").plot(ax=ax, facecolor=_UNPLACED_FILL, edgecolor=_UNPLACED_EDGE,
                                              linewidth=0.7, linestyle=":", hatch="....")
        _draw_marks(ax, data, hatch_mask, outline, labels)
        ax.set_aspect(aspect)
        ax.set_axis_off()
        if title:
            ax.set_title(title)
        return _saved(fig, png_dpi)


def _draw_categories(
    data: gpd.GeoDataFrame, column: str, colours: dict[str, str] | None, *, avoid_greys: bool, **kwargs: Any
) -> None:
    """Fill by category: ``colours`` (with a legend) or tab20 (without its greys when ``avoid_greys``)."""
    import matplotlib.pyplot as plt  # colour maps only; figures stay off pyplot
    from matplotlib.patches import Patch

    cats = sorted(data[column].astype(str).unique())
    cmap = plt.get_cmap("tab20")
    # tab20's two greys would read as the grey of raion land held by no unit
    ramp = [cmap(i) for i in range(20) if not avoid_greys or i not in _TAB20_GREYS]
    palette = colours or {c: ramp[i % len(ramp)] for i, c in enumerate(cats)}
    data.plot(color=[palette[str(v)] for v in data[column]], **kwargs)
    if colours:
        handles = [Patch(facecolor=colours[c], edgecolor="#222", label=c) for c in cats if c in colours]
        kwargs["ax"].legend(handles=handles, loc="lower left", fontsize=7, frameon=True)


def _draw_ramp(data: gpd.GeoDataFrame, column: str, legend_label: str, **kwargs: Any) -> None:
    """Fill by a numeric column on a colour ramp with a colour bar; rows without a finite value grey."""
    values = pd.to_numeric(data[column], errors="coerce")
    finite = data[np.isfinite(values.to_numpy(dtype=float))]
    if len(finite):
        finite.plot(column=column, cmap="viridis_r", legend=True,
                    legend_kwds={"label": legend_label, "shrink": 0.6}, **kwargs)
    missing = data[~np.isfinite(values.to_numpy(dtype=float))]
    if len(missing):
        missing.plot(color="#ddd", **kwargs)


def _draw_marks(
    ax: Axes, data: gpd.GeoDataFrame, hatch_mask: Sequence[bool] | None, outline: gpd.GeoDataFrame | None,
    labels: Sequence[str] | None,
) -> None:
    """On top of the fill: hatched rows, the dashed ``outline`` and the labels (up to 80 rows)."""
    if hatch_mask is not None:
        mask = np.asarray(hatch_mask, dtype=bool)
        if mask.any():
            data[mask].plot(ax=ax, facecolor="none", edgecolor="#a00", hatch="///", linewidth=0.8)
    if outline is not None and len(outline):
        outline.to_crs("EPSG:4326").boundary.plot(ax=ax, color="#c00", linewidth=1.0, linestyle="--")
    if labels is not None and len(data) <= 80:
        for point, text in zip(data.geometry.representative_point(), labels):
            ax.annotate(str(text), (point.x, point.y), ha="center", va="center", fontsize=6.5,
                        color="#000")


def _saved(fig: Figure, png_dpi: int | None) -> str:
    """The figure as an ``<svg>`` element (no XML prologue), or with ``png_dpi`` as base64 PNG."""
    if png_dpi is not None:
        raw = io.BytesIO()
        fig.savefig(raw, format="png", dpi=png_dpi, bbox_inches="tight", metadata={"Software": None})
        return base64.b64encode(raw.getvalue()).decode("ascii")
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    svg = buf.getvalue()
    return svg[svg.index("<svg"):]


def unplaced_land(files: ResultFiles) -> gpd.GeoDataFrame:
    """The raion pieces held by no unit, from the package's territory notes (empty without)."""
    return unplaced_land_of(files.territory_notes)


def unplaced_land_of(notes: dict[str, Any] | None) -> gpd.GeoDataFrame:
    """The raion pieces held by no unit, from territory notes (``territory_notes.json``; empty
    for None or notes without such land)."""
    pieces = (notes or {}).get("unplaced_pieces") or []
    return gpd.GeoDataFrame({"raion_code": [str(p["raion_code"]) for p in pieces]},
                            geometry=[shape(p["geometry"]) for p in pieces], crs="EPSG:4326")

