"""Presentation: the map every view starts from, and the layers all views share.

:func:`base_map` is an empty map fitted to the territory: vendored Leaflet inlined (no CDN,
:mod:`~atr_model.presentation.maps.assets`), the country outline, the relief background
(:mod:`~atr_model.presentation.maps.basemap`) in a multiply-blended pane, a metric scale and the
maps' style sheet. The shared layers are the raion and oblast outlines with oblast names at
national zoom (:func:`outline_layers`) and the settlements with names at closer zoom
(:func:`settlement_layer`).

Every view also explains the land of :attr:`DisplayLayers.land_notes` the same way: raion land
held by no unit in the open data as its own grey layer with a tooltip, units' exclaves as a
thick dashed outline (drawn by :func:`outline_layers`), the reason in the unit's popup
(:func:`exclave_rows`, :func:`exclave_notes`) and both in the legend (:func:`land_legend_entries`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from atr_model.data.contract import is_estimate_source
from atr_model.presentation.i18n import DEFAULT_LANGUAGE, display_name, format_number, t
from atr_model.presentation.maps.assets import inline_assets
from atr_model.presentation.maps.basemap import BASEMAPS
from atr_model.presentation.maps.display import DisplayLayers
from atr_model.presentation.maps.elements import (
    MetricScale,
    ZoomLabels,
    add_css,
    declutter_labels,
    features,
    geojson_layer,
    html_text,
    label_min_zoom,
    records,
    swatch,
)
from atr_model.presentation.maps.palette import GROUND, LINES
from atr_model.presentation.territory_text import cut_off_text
from atr_model.presentation.view import format_area

__all__ = [
    "base_map",
    "outline_layers",
    "settlement_layer",
    "unit_names",
    "exclave_rows",
    "exclave_notes",
    "land_legend_entries",
    "HILLSHADE_PANE",
]

logger = logging.getLogger(__name__)

#: Leaflet pane of the relief: above the unit fills (overlay pane, z 400), below labels and
#: markers (z 600), blended with ``multiply`` (see the style sheet in ``elements``).
HILLSHADE_PANE = "hillshade"
#: Settlement names appear from this zoom (towns of 10,000 people and more from two steps
#: before), each only where it overlaps no other name (see ``elements.declutter_labels``).
SETTLEMENT_LABEL_ZOOM = 9.0
_TOWN_POPULATION = 10_000
_NO_MAX_ZOOM = 99.0


def unit_names(layers: DisplayLayers, lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """Unit code -> display name in ``lang`` (falls back to other languages, then the code)."""
    return {str(r["unit_code"]): display_name(r, lang) for r in records(layers.units)}


def base_map(
    layers: DisplayLayers,
    *,
    offline: bool | None = None,
    tiles: str | None = None,
    height: str = "100%",
    basemap: str | None = "hillshade",
    lang: str = DEFAULT_LANGUAGE,
) -> folium.Map:
    """An empty map fitted to the territory, with the country outline and the relief background.

    Parameters
    ----------
    layers
        Display layers (bounds, country outline, hillshade).
    offline
        Kept for compatibility: ``True`` drops any internet tile layer. The map's own scripts
        and styles never come from the internet.
    tiles
        A folium tile layer name to add (needs the internet); None by default.
    height
        CSS height of the map element.
    basemap
        ``"hillshade"`` (offline relief from the dataset's elevation grid, the default),
        ``"osm"`` (OpenStreetMap tiles, needs the internet) or None.
    lang
        Language of the layer names.
    """
    if basemap not in BASEMAPS:
        raise ValueError(f"basemap must be one of {BASEMAPS!r}, got {basemap!r}")
    (south, west), (north, east) = layers.bounds
    fmap = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=7,
        tiles=None,
        control_scale=False,
        prefer_canvas=True,
        height=height,
        zoom_snap=0.25,
        zoom_delta=0.5,
    )
    if not offline:
        if basemap == "osm":
            folium.TileLayer("OpenStreetMap", name="OpenStreetMap").add_to(fmap)
        if tiles:
            folium.TileLayer(tiles, name=str(tiles)).add_to(fmap)
    fmap.fit_bounds(layers.bounds, padding=(8, 8))
    fmap.atr_bounds = layers.bounds  # type: ignore[attr-defined]  # lets renderers skip folium's slow pure-Python bounds walk
    add_css(fmap)
    geojson_layer(
        features(layers.country[["geometry"]]),
        name="country",
        control=False,
        interactive=False,
        style_function=lambda _f: {
            "color": LINES["country"], "weight": 1.5, "fillColor": GROUND["country"],
            "fillOpacity": 0.0 if basemap == "osm" else 1.0,
        },
    ).add_to(fmap)
    if basemap == "hillshade" and layers.hillshade is not None:
        folium.map.CustomPane(HILLSHADE_PANE, z_index=450, pointer_events=False).add_to(fmap)
        folium.raster_layers.ImageOverlay(
            layers.hillshade.url,
            bounds=layers.hillshade.bounds,
            name=t("map.relief", lang),
            pixelated=False,
            pane=HILLSHADE_PANE,
            interactive=False,
            # Leaflet writes the attribution as HTML, and the source is a file name of the dataset's
            attribution=html_text(f"{t('map.relief', lang)}: {layers.hillshade.source}"),
        ).add_to(fmap)
    MetricScale().add_to(fmap)
    # Inline now too, so a caller that adds its own layers and never calls finish() stays offline.
    return inline_assets(fmap)


_LABEL_PRIORITY = ("new-unit", "oblast", "settlement")


def finish(fmap: folium.Map) -> folium.Map:
    """Last step of every map: labels decluttered, a collapsed layer control, assets inlined."""
    groups = [c for c in fmap._children.values() if isinstance(c, ZoomLabels)]
    declutter_labels(sorted(groups, key=lambda g: _LABEL_PRIORITY.index(g.css_class) if g.css_class in _LABEL_PRIORITY else 99))
    folium.LayerControl(collapsed=True, position="topright").add_to(fmap)
    return inline_assets(fmap)


def outline_layers(fmap: folium.Map, layers: DisplayLayers, lang: str) -> None:
    """Raion (dashed) and oblast outlines, oblast names at national zoom, raion land held by no
    unit (grey, dotted, with a tooltip) and units' exclaves (thick dashed outline)."""
    unplaced_layer(fmap, layers, lang)
    # Outlines are not interactive: with the canvas renderer an unfilled polygon still
    # catches clicks inside it, which would hide the units' popups underneath.
    geojson_layer(
        features(layers.raions[["geometry"]]),
        name=t("map.raions", lang),
        interactive=False,
        style_function=lambda _f: {"color": LINES["raion"], "weight": 1.1, "dashArray": "4 3", "opacity": 0.8, "fill": False},
    ).add_to(fmap)
    geojson_layer(
        features(layers.oblasts[["geometry"]]),
        name=t("map.oblasts", lang),
        interactive=False,
        style_function=lambda _f: {"color": LINES["oblast"], "weight": 2.2, "opacity": 0.9, "fill": False},
    ).add_to(fmap)
    exclave_layer(fmap, layers, lang)
    oblast_labels(fmap, layers, lang)


def _land(layers: DisplayLayers, kind: str) -> gpd.GeoDataFrame:
    notes = layers.land_notes
    return notes[notes["kind"] == kind]


#: Raion land held by no unit: a light see-through grey with a dotted outline, so the relief and
#: the raion's outline still read through it.
_UNPLACED_STYLE = {"color": LINES["unplaced"], "weight": 1.2, "dashArray": "1 4", "opacity": 0.9,
                   "fillColor": GROUND["unplaced"], "fillOpacity": 0.45}
#: A unit's exclave: a thick dashed dark outline over the unit's own fill.
_EXCLAVE_STYLE = {"color": LINES["exclave"], "weight": 3.0, "dashArray": "7 5", "opacity": 0.9, "fill": False}


def unplaced_layer(fmap: folium.Map, layers: DisplayLayers, lang: str) -> None:
    """Raion land held by no unit in the open data (none drawn when there is none).

    Interactive, for its tooltip: the land lies between the units' fills, not over them, so it
    hides no unit's popup. The area is the raion piece's as the build measured it on the raion
    polygon (not an estimate); the tooltip says the land is a gap in the estimated territories.
    """
    land = _land(layers, "unplaced")
    if not len(land):
        return
    raion = [display_name(r, lang, code_column="raion_code") for r in records(land)]
    tips = [t("map.unplaced_tip", lang, area=format_number(a, lang, digits=1), raion=name)
            for a, name in zip(land["area_km2"], raion)]
    frame = gpd.GeoDataFrame({"tip": tips}, geometry=land.geometry.to_numpy(), crs=land.crs,
                             index=[f"unplaced-{i}" for i in range(len(land))])
    geojson_layer(
        features(frame),
        name=t("map.unplaced", lang),
        style_function=lambda _f: _UNPLACED_STYLE,
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
    ).add_to(fmap)


def exclave_layer(fmap: folium.Map, layers: DisplayLayers, lang: str) -> None:
    """Outlines of units' exclaves (none drawn when there is none). Not interactive, like the
    other outlines: the explanation is in the unit's popup (:func:`exclave_rows`)."""
    land = _land(layers, "exclave")
    if not len(land):
        return
    frame = gpd.GeoDataFrame(geometry=land.geometry.to_numpy(), crs=land.crs, index=land["unit_code"].to_numpy())
    geojson_layer(
        features(frame),
        name=t("map.exclaves", lang),
        interactive=False,
        style_function=lambda _f: _EXCLAVE_STYLE,
    ).add_to(fmap)


def exclave_rows(layers: DisplayLayers, lang: str) -> dict[str, list[tuple[str, str]]]:
    """Unit code -> popup rows of a unit that holds an exclave of its raion: "Territory: 2 pieces
    — holds an exclave: <why>" and the area of its land there (an estimate where the unit's
    territory is approximate). Empty when no unit holds one."""
    land = _land(layers, "exclave")
    rows: dict[str, list[tuple[str, str]]] = {}
    units = layers.units
    for note in records(land):
        code = str(note["unit_code"])
        source = units.at[code, "geometry_source"] if "geometry_source" in units and code in units.index else ""
        territory = t("map.territory_exclave", lang, pieces=int(note["unit_pieces"]), why=cut_off_text(note, lang))
        area = format_area(note["area_km2"], lang, is_estimate=is_estimate_source(source))
        rows.setdefault(code, []).extend([(t("field.territory", lang), territory), (t("field.exclave_area", lang), area)])
    return rows


def exclave_notes(
    layers: DisplayLayers, groups: Mapping[str, tuple[list[str], int]], names: Mapping[str, str], lang: str
) -> dict[str, str]:
    """New unit id -> the "Territory" line of a new unit whose members hold exclaves:
    "3 pieces — Suu-Bashyn holds an exclave: <why>" for each such member (new units whose
    members hold none are absent). ``groups``: new unit id -> (member unit codes, number of pieces).
    One pass over the exclaves, not one look-up per new unit."""
    group_of = {member: uid for uid, (members, _pieces) in groups.items() for member in members}
    lines: dict[str, list[str]] = {}
    for n in records(_land(layers, "exclave")):
        code = str(n["unit_code"])
        if code in group_of:
            uid = group_of[code]
            lines.setdefault(uid, []).append(t("map.territory_exclave_of", lang, pieces=groups[uid][1],
                                               unit=names.get(code, code), why=cut_off_text(n, lang)))
    return {uid: "; ".join(parts) for uid, parts in lines.items()}


def land_legend_entries(layers: DisplayLayers, lang: str) -> list[tuple[str, str]]:
    """Legend entries of raion land held by no unit and of units' exclaves, each only when the
    map draws it."""
    entries = []
    if len(_land(layers, "unplaced")):
        entries.append((swatch(GROUND["unplaced"], border=LINES["unplaced"], dotted=True), t("map.unplaced", lang)))
    if len(_land(layers, "exclave")):
        entries.append((swatch(LINES["exclave"], "line", dashed=True, width_px=3), t("map.exclaves", lang)))
    return entries


def oblast_labels(fmap: folium.Map, layers: DisplayLayers, lang: str, *, max_zoom: float = 8.5) -> None:
    """Oblast names from the zoom at which they fit until ``max_zoom`` (then new units take over)."""
    oblasts = layers.oblasts
    if not len(oblasts) or len(oblasts) < 2:
        return
    points = oblasts.geometry.representative_point()
    labels = []
    for row, point, geom in zip(records(oblasts), points, oblasts.geometry):
        name = display_name(row, lang, code_column="oblast_code") if "oblast_code" in row else display_name(row, lang)
        minx, miny, maxx, maxy = geom.bounds
        lo = label_min_zoom((maxx - minx) * 0.6, (maxy - miny) * 0.6, name, lat=point.y, floor=4.0)
        labels.append((point.y, point.x, name, lo, max_zoom))
    ZoomLabels(labels, css_class="oblast", name=t("map.oblasts", lang), char_px=9.5).add_to(fmap)


def _settlement_radius(population: float) -> float:
    # Area proportional to population; 2 px floor so hamlets stay visible, 14 px cap for towns.
    return round(min(max(2.0, math.sqrt(max(population, 0.0)) / 14.0), 14.0) * 2) / 2


def settlement_layer(fmap: folium.Map, layers: DisplayLayers, lang: str, *, show: bool = True) -> None:
    """Settlements as circles (area ~ population, hollow when the population is an estimate)
    and their names from :data:`SETTLEMENT_LABEL_ZOOM` (towns earlier)."""
    pts = layers.settlements
    est = pts["population_is_estimate"].astype(bool) if "population_is_estimate" in pts else pd.Series(False, index=pts.index)
    located = pts["is_located"].astype(bool) if "is_located" in pts else pd.Series(True, index=pts.index)
    tips, labels = [], []
    for row, is_est, is_loc, point in zip(records(pts), est, located, pts.geometry):
        # Tooltip only (no popup): national maps carry ~2,000 settlements, so keep them light.
        name = display_name(row, lang, code_column="settlement_code")
        tip = f"{name} — {format_number(row['population'], lang, is_estimate=bool(is_est))}"
        if not is_loc:
            tip += f" · {t('map.location_estimated', lang)}"
        tips.append(tip)  # text: geojson_layer escapes it (the tooltip is HTML)
        big = float(row.get("population") or 0.0) >= _TOWN_POPULATION
        labels.append((point.y, point.x, name, SETTLEMENT_LABEL_ZOOM - (2.0 if big else 0.0), _NO_MAX_ZOOM))
    data = gpd.GeoDataFrame(
        {"tip": tips, "r": [_settlement_radius(p) for p in pts["population"]], "est": est.to_numpy()},
        geometry=pts.geometry.to_numpy(),
        crs=pts.crs,
        index=pts["settlement_code"].astype(str).to_numpy(),
    )

    def style(feature: Mapping[str, Any]) -> dict[str, Any]:
        props = feature["properties"]
        return {
            "radius": props["r"],
            "color": LINES["new_unit"],
            "weight": 0.8,
            "fillColor": "#ffffff" if props["est"] else LINES["settlement"],
            "fill": True,
            "fillOpacity": 0.85,
        }

    geojson_layer(
        features(data),
        name=t("map.settlements", lang),
        show=show,
        marker=folium.CircleMarker(radius=3),
        style_function=style,
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
    ).add_to(fmap)
    # Larger places claim their label space first (the declutter pass is greedy in this order).
    population = pts["population"].astype(float).fillna(0.0).to_numpy()
    order = sorted(range(len(labels)), key=lambda i: (-population[i], i))
    ZoomLabels([labels[i] for i in order], css_class="settlement", name=t("map.settlement_names", lang),
               char_px=6.2).add_to(fmap)
