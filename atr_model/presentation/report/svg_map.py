"""Presentation: the report's maps as inline SVG, drawn by matplotlib from the result's polygons.

:func:`map_svg` draws the new units (or any polygons) deterministically, with raion land held
by no unit (:func:`unplaced_land`) in the interactive maps' grey; the full report, its
robustness section, the comparison page and the Council summary (and, as a PNG, the app's map
download) all draw with it. The new-unit map numbers its units only up to
:data:`MAP_LABEL_LIMIT` (:func:`is_numbered`).

Every map image stands alone (:class:`MapTexts`, :func:`map_texts`): a header with the
scenario's title, what the map shows, the scenario's name, the dataset and the date the result
was created; a scale bar in kilometres, measured on the ellipsoid at the bar's latitude; and a
legend listing exactly what is drawn: each colour present, the grey of raion land held by no
unit, the hatching and the dashed outline when the map has them. A PNG also carries the header
as its ``Title`` and ``Description``.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Geod
from shapely.geometry import shape

from atr_model.presentation.i18n import DEFAULT_LANGUAGE, dataset_label, format_number, localized, t
from atr_model.scenarios import ResultFiles

if TYPE_CHECKING:  # annotations only: matplotlib loads when a map is drawn
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "MAP_LABEL_LIMIT", "MapTexts", "is_numbered", "map_svg", "map_texts", "scale_length_km", "unplaced_land",
    "unplaced_land_of",
]


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
#: Hatching of marked rows and the dashed outline drawn on top (their legend entries match).
_HATCH_EDGE, _OUTLINE = "#a00", "#c00"

_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class MapTexts:
    """What a map image says besides its colours, in one language.

    Attributes
    ----------
    title : str
        The header's first line, in bold: the scenario's title in the language.
    lines : tuple of str
        Further header lines: the scenario's name, the dataset and the date created.
    lang : str
        The language of the scale bar ("50 km") and of the default legend labels.
    hatch : str
        Legend label of the hatched rows (no entry when empty or nothing is hatched).
    outline : str
        Legend label of the dashed outline (no entry when empty or no outline is drawn).
    """

    title: str
    lines: tuple[str, ...] = ()
    lang: str = DEFAULT_LANGUAGE
    hatch: str = ""
    outline: str = ""


def map_texts(files: ResultFiles, lang: str = DEFAULT_LANGUAGE, *, hatch: str = "", outline: str = "") -> MapTexts:
    """The header of a result's map: scenario title, then scenario name, dataset and date created.

    Parameters
    ----------
    files : ResultFiles
        The result package (its scenario and ``provenance.json``).
    lang : str
        "ky", "ru" or "en".
    hatch, outline : str, optional
        Legend labels of the map's hatching and dashed outline (see :class:`MapTexts`).
    """
    provenance = files.provenance
    dataset = dataset_label(str(provenance.get("dataset_name", "")), str(provenance.get("dataset_kind", "")), lang)
    created = str(provenance.get("created_utc", ""))[:10] or "–"  # the date: the hour adds nothing on paper
    meta = t("map.meta", lang, name=files.name, dataset=dataset or "–", created=created)
    return MapTexts(title=localized(files.scenario, "title", lang) or files.name, lines=(meta,), lang=lang,
                    hatch=hatch, outline=outline)


def scale_length_km(width_km: float) -> float:
    """The scale bar's length: the largest 1, 2 or 5 times a power of ten within a fifth of the map's width.

    Examples
    --------
    >>> scale_length_km(620.0), scale_length_km(48.0), scale_length_km(4.0)
    (100.0, 5.0, 0.5)
    """
    target = max(width_km, 1e-6) / 5.0
    power = 10.0 ** math.floor(math.log10(target))
    return max(step * power for step in (1.0, 2.0, 5.0) if step * power <= target)


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
    texts: MapTexts | None = None,
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
        What the map shows ("New units"): under the header's title with ``texts``, else the
        axes title.
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
        Fixed colour per category (categorical maps), in legend order; the legend lists those
        drawn.
    png_dpi : int, optional
        Draw a PNG at this resolution instead and return it base64-encoded (the map image
        download of the app, :func:`atr_model.presentation.report.summary.map_png`).
    unplaced : geopandas.GeoDataFrame, optional
        Raion land held by no unit (the result package's territory notes), drawn light grey
        with a dotted edge, as on the interactive maps.
    texts : MapTexts, optional
        The header, the scale bar's language and the legend labels of hatching and outline
        (:func:`map_texts`); without it, a bare map (no header, no scale bar).

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
        ax.margins(0.01)  # the map fills its frame: the header, legend and scale bar stand outside it
        kwargs: dict[str, Any] = {"ax": ax, "edgecolor": "#222", "linewidth": 0.5}
        swatches: list[Any] = []
        if column is None:
            data.plot(color="#cfdff0", **kwargs)
        elif categorical:
            swatches = _draw_categories(data, column, colours, avoid_greys=draw_unplaced, **kwargs)
        else:
            _draw_ramp(data, column, legend_label, **kwargs)
        if ax.collections:
            ax.collections[0].set_gid("units")  # the units' fills, found by their colour in the SVG
        if draw_unplaced and unplaced is not None:
            # dotted edge and a fine dot hatch: told apart from the units in black-and-white print too
            unplaced.to_crs("EPSG:4326").plot(ax=ax, facecolor=_UNPLACED_FILL, edgecolor=_UNPLACED_EDGE,
                                              linewidth=0.7, linestyle=":", hatch="....")
        marks = _draw_marks(ax, data, hatch_mask, outline, labels)
        ax.set_aspect(aspect)
        ax.set_axis_off()
        if texts is None:
            if title:
                ax.set_title(title)
            _draw_legend(ax, swatches, [], below=False)
            return _saved(fig, png_dpi)
        return _saved(fig, png_dpi, _frame(ax, texts, title, swatches, _extra_entries(texts, draw_unplaced, *marks)))


def _draw_categories(
    data: gpd.GeoDataFrame, column: str, colours: dict[str, str] | None, *, avoid_greys: bool, **kwargs: Any
) -> list[Any]:
    """Fill by category: ``colours`` or tab20 (without its greys when ``avoid_greys``).

    Returns the legend swatches: one per category of ``colours`` drawn, in its order (none for tab20).
    """
    import matplotlib.pyplot as plt  # colour maps only; figures stay off pyplot
    from matplotlib.patches import Patch

    cats = sorted(data[column].astype(str).unique())
    cmap = plt.get_cmap("tab20")
    # tab20's two greys would read as the grey of raion land held by no unit
    ramp = [cmap(i) for i in range(20) if not avoid_greys or i not in _TAB20_GREYS]
    palette: dict[str, Any] = dict(colours) if colours else {c: ramp[i % len(ramp)] for i, c in enumerate(cats)}
    data.plot(color=[palette[str(v)] for v in data[column]], **kwargs)
    if not colours:
        return []
    drawn = set(cats)
    return [Patch(facecolor=colour, edgecolor="#222", linewidth=0.5, label=c) for c, colour in colours.items() if c in drawn]


def _extra_entries(texts: MapTexts, unplaced: bool, hatched: bool, outlined: bool) -> list[tuple[str, Any]]:
    """Legend entries beyond the fills, ``(gid, handle)``: what the map draws on top (grey raion
    land held by no unit, hatching, dashed outline), each only when drawn and named."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    entries: list[tuple[str, Any]] = []
    if unplaced:
        entries.append(("legend-unplaced", Patch(facecolor=_UNPLACED_FILL, edgecolor=_UNPLACED_EDGE, linestyle=":",
                                                 hatch="....", label=t("map.unplaced", texts.lang))))
    if hatched and texts.hatch:
        entries.append(("legend-hatch", Patch(facecolor="white", edgecolor=_HATCH_EDGE, hatch="///", label=texts.hatch)))
    if outlined and texts.outline:
        entries.append(("legend-outline", Line2D([], [], color=_OUTLINE, linestyle="--", label=texts.outline)))
    return entries


def _draw_legend(ax: Axes, swatches: list[Any], extra: list[tuple[str, Any]], *, below: bool) -> None:
    """The legend: the fill swatches, then the extra entries; ids ``legend-category-<k>``,
    ``legend-unplaced``, ``legend-hatch`` in the SVG (a test reads the colours back).

    ``below``: under the map, beside the scale bar, where it hides no unit (a map image with
    a header); else in the lower left corner of the map (a bare map).
    """
    handles = swatches + [h for _gid, h in extra]
    if not handles:
        return
    if below:
        legend = ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.01), fontsize=7,
                           frameon=False, ncols=2 if len(handles) > 3 else 1, borderaxespad=0.0)
    else:
        legend = ax.legend(handles=handles, loc="lower left", fontsize=7, frameon=True, framealpha=0.9)
    gids = [f"legend-category-{k}" for k in range(len(swatches))] + [gid for gid, _h in extra]
    for gid, handle in zip(gids, legend.legend_handles):
        if handle is not None:
            handle.set_gid(gid)


def _draw_scale_bar(ax: Axes, lang: str) -> str:
    """A scale bar under the map's lower right corner, its length measured on the ellipsoid at
    the map's lower edge; returns its text.

    The map is drawn in degrees with the aspect set for the middle latitude: one length holds
    across the bar's width, and the lower edge is where the bar stands.
    """
    (x0, x1), (y0, _y1) = ax.get_xlim(), ax.get_ylim()
    width_km = _GEOD.inv(x0, y0, x1, y0)[2] / 1000.0
    length = scale_length_km(width_km)
    x_start = _GEOD.fwd(x1, y0, 270.0, length * 1000.0)[0]
    # x in degrees, y in fractions of the map's height: under the map, outside every unit
    where = ax.get_xaxis_transform()
    ax.plot([x_start, x1], [-0.035, -0.035], color="#222", linewidth=2.0, solid_capstyle="butt", transform=where,
            clip_on=False, gid="scale-bar")
    for x in (x_start, x1):
        ax.plot([x, x], [-0.05, -0.02], color="#222", linewidth=0.8, transform=where, clip_on=False)
    text = t("map.scale_km", lang, n=format_number(length, lang, digits=0 if length >= 1 else 1))
    ax.annotate(text, ((x_start + x1) / 2.0, -0.035), xycoords=where, xytext=(0, -4), textcoords="offset points",
                ha="center", va="top", fontsize=7, color="#111")
    ax.set_xlim(x0, x1)  # the bar must not move the map
    ax.set_ylim(y0, _y1)
    return text


def _frame(ax: Axes, texts: MapTexts, subject: str, swatches: list[Any], extra: list[tuple[str, Any]]) -> dict[str, str]:
    """Around the map: the legend and the scale bar under it, the header above it. Returns the
    same texts as PNG metadata (``Title``: the scenario's title; ``Description``: the rest)."""
    _draw_legend(ax, swatches, extra, below=True)
    scale = _draw_scale_bar(ax, texts.lang)
    header = _draw_header(ax, texts, subject)
    legend = [str(h.get_label()) for h in swatches + [e for _gid, e in extra]]
    return {"Title": texts.title, "Description": " · ".join([*header[1:], scale, *legend])}


def _draw_header(ax: Axes, texts: MapTexts, subject: str) -> list[str]:
    """The header above the map, from the top left: the title in bold, then the subject and the
    other lines in small type (stacked upwards from the map's edge). Returns its lines."""
    small = [line for line in (subject, *texts.lines) if line]
    for k, line in enumerate(reversed(small)):
        ax.annotate(line, (0.0, 1.0), xycoords="axes fraction", xytext=(0, 3 + 9.5 * k), textcoords="offset points",
                    ha="left", va="bottom", fontsize=7, color="#333")
    ax.annotate(texts.title, (0.0, 1.0), xycoords="axes fraction", xytext=(0, 5 + 9.5 * len(small)),
                textcoords="offset points", ha="left", va="bottom", fontsize=10, fontweight="bold", color="#111")
    return [texts.title, *small]


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
) -> tuple[bool, bool]:
    """On top of the fill: hatched rows, the dashed ``outline`` and the labels (up to 80 rows).

    Returns whether anything was hatched and whether an outline was drawn (for the legend).
    """
    hatched = False
    if hatch_mask is not None:
        mask = np.asarray(hatch_mask, dtype=bool)
        hatched = bool(mask.any())
        if hatched:
            data[mask].plot(ax=ax, facecolor="none", edgecolor=_HATCH_EDGE, hatch="///", linewidth=0.8)
    outlined = outline is not None and len(outline) > 0
    if outline is not None and outlined:
        outline.to_crs("EPSG:4326").boundary.plot(ax=ax, color=_OUTLINE, linewidth=1.0, linestyle="--")
    if labels is not None and len(data) <= 80:
        for point, text in zip(data.geometry.representative_point(), labels):
            ax.annotate(str(text), (point.x, point.y), ha="center", va="center", fontsize=6.5,
                        color="#000")
    return hatched, outlined


def _saved(fig: Figure, png_dpi: int | None, metadata: dict[str, str] | None = None) -> str:
    """The figure as an ``<svg>`` element (no XML prologue), or with ``png_dpi`` as base64 PNG
    (``metadata``, the header and legend as text, in its ``Title`` and ``Description``)."""
    if png_dpi is not None:
        raw = io.BytesIO()
        fig.savefig(raw, format="png", dpi=png_dpi, bbox_inches="tight", metadata={"Software": None, **(metadata or {})})
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

