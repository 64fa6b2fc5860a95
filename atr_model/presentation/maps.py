"""Interactive maps (folium) of a dataset, a scenario result and a comparison of two results.

The maps are built from :class:`DisplayLayers`: the dataset's polygons simplified once for
display in a metric CRS (a shared-edge coverage simplification, so neighbouring units keep a
common border and dissolved new units have no slivers), with coordinates rounded to about a
metre. Each map carries a :class:`folium.LayerControl` and an HTML legend; popups show status,
reason and the new unit's passport, and every estimated figure is marked ("≈ 4,200
(estimate)").

Offline use (tests, air-gapped machines): with ``ATR_OFFLINE_ASSETS=1`` (or
``offline=True``) the maps load the vendored Leaflet from ``/app/static/leaflet/`` instead of
CDNs and use no tile layer. Only Leaflet itself is needed: points are ``CircleMarker``\\ s, so
no marker icon images are fetched.
"""

from __future__ import annotations

import html
import logging
import math
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from atr_model.criteria import DEFAULT_POPULATION_FLOOR
from atr_model.data.dataset import Dataset
from atr_model.presentation.i18n import (
    DEFAULT_LANGUAGE,
    display_name,
    format_minutes,
    format_number,
    status_label,
    t,
)

__all__ = [
    "OFFLINE_ENV",
    "LEAFLET_JS",
    "LEAFLET_CSS",
    "PALETTE",
    "DisplayLayers",
    "display_layers",
    "offline_assets_enabled",
    "base_map",
    "dataset_map",
    "result_map",
    "diff_map",
    "new_unit_colours",
    "map_feature_counts",
    "unit_names",
]

logger = logging.getLogger(__name__)

#: Environment variable that switches maps to the vendored Leaflet and no tiles.
OFFLINE_ENV = "ATR_OFFLINE_ASSETS"
#: Where Streamlit's static serving exposes the vendored Leaflet (``static/leaflet``).
LEAFLET_JS = "/app/static/leaflet/leaflet.js"
LEAFLET_CSS = "/app/static/leaflet/leaflet.css"

#: Qualitative colours for new units (ColorBrewer Set3 + Paired, readable under outlines).
PALETTE: tuple[str, ...] = (
    "#8dd3c7", "#fdb462", "#bebada", "#80b1d3", "#b3de69", "#ffed6f",
    "#bc80bd", "#ccebc5", "#a6cee3", "#fdbf6f", "#d9d9d9", "#c2a5cf",
)  # reds are left out: red marks units below the floor
_UNCHANGED = "#eef0f2"
_STATUS_COLOURS = {
    "kept": "#9e9e9e",
    "kept_exempt": "#4a90d9",
    "centre": "#2e7d32",
    "merged": "#66bb6a",
    "below_floor_no_partner": "#d32f2f",
}
#: Current units drawn over the new units are transparent except where the status matters.
_STATUS_OPACITY = {"below_floor_no_partner": 0.6, "kept_exempt": 0.45}
_ROUND_DEG = 4  # ~10 m: invisible at the zooms a country map is read at, and a far smaller payload


def offline_assets_enabled() -> bool:
    """Whether ``ATR_OFFLINE_ASSETS=1`` asks for vendored Leaflet and no tiles."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in ("1", "true", "yes")


# ---------------------------------------------------------------------------------------------
# display geometry


@dataclass(frozen=True, eq=False)
class DisplayLayers:
    """A dataset's layers simplified for display (EPSG:4326, rounded coordinates).

    Attributes
    ----------
    units, raions, oblasts, country : geopandas.GeoDataFrame
        Polygons with the dataset's attribute columns (units indexed by ``unit_code``).
    settlements : geopandas.GeoDataFrame
        Points with code, names, unit, population and estimate flags.
    tolerance_m : float
        Simplification tolerance used, in metres.
    build_id : str
        Build id of the source dataset (cache key).
    """

    units: gpd.GeoDataFrame
    raions: gpd.GeoDataFrame
    oblasts: gpd.GeoDataFrame
    country: gpd.GeoDataFrame
    settlements: gpd.GeoDataFrame
    tolerance_m: float
    build_id: str

    @property
    def bounds(self) -> list[list[float]]:
        """``[[south, west], [north, east]]`` of the units, for ``fit_bounds``."""
        minx, miny, maxx, maxy = self.units.total_bounds
        return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


def _default_tolerance_m(frame: gpd.GeoDataFrame, metric_crs: Any) -> float:
    minx, miny, maxx, maxy = frame.to_crs(metric_crs).total_bounds
    extent_m = max(maxx - minx, maxy - miny, 1.0)
    # About 1/4000 of the extent: ~250 m for a country of 900 km, invisible at national zoom.
    return float(min(max(extent_m / 4000.0, 10.0), 500.0))


def _simplify(frame: gpd.GeoDataFrame, metric_crs: Any, tolerance_m: float) -> gpd.GeoDataFrame:
    """Simplify polygons in a metric CRS, keeping shared borders shared where possible."""
    out = frame.copy()
    metric = out.geometry.to_crs(metric_crs)
    geoms = metric.to_numpy()
    try:
        simplified = shapely.coverage_simplify(geoms, tolerance_m)
        if not shapely.is_valid(simplified).all() or shapely.is_empty(simplified).any():
            raise ValueError("coverage simplification produced invalid or empty polygons")
    except Exception as exc:  # overlapping (approximate) territories are not a clean coverage
        logger.info("coverage simplification not possible (%s); simplifying polygons one by one", exc)
        simplified = shapely.simplify(geoms, tolerance_m, preserve_topology=True)
    back = gpd.GeoSeries(simplified, crs=metric_crs, index=out.index).to_crs(frame.crs)
    out = out.set_geometry(shapely.set_precision(back.to_numpy(), 10**-_ROUND_DEG))
    out = out.set_crs(frame.crs, allow_override=True)
    return out


def display_layers(dataset: Dataset, *, tolerance_m: float | None = None) -> DisplayLayers:
    """Simplify a dataset's polygons once for display.

    Parameters
    ----------
    dataset
        The territory.
    tolerance_m
        Simplification tolerance in metres; by default 1/4000 of the territory's extent
        (bounded to 10-500 m).

    Returns
    -------
    DisplayLayers
        New frames; the dataset is not modified.
    """
    units = dataset.units
    metric_crs = units.estimate_utm_crs()
    tol = _default_tolerance_m(units, metric_crs) if tolerance_m is None else float(tolerance_m)
    simple_units = _simplify(units, metric_crs, tol).set_index("unit_code", drop=False)
    simple_units.index.name = None
    # Outlines are drawn over the units, so a coarser tolerance does not show.
    raions = _simplify(dataset.raions, metric_crs, tol * 1.5)
    oblasts = _simplify(dataset.oblasts, metric_crs, tol * 3)
    country = _simplify(dataset.country, metric_crs, tol * 3)
    keep = [
        c
        for c in (
            "settlement_code", "name_ky", "name_ru", "name_en", "unit_code", "raion_code", "population",
            "population_is_estimate", "population_source", "is_located", "is_unit_centre", "elevation_m",
        )
        if c in dataset.settlements.columns
    ]
    settlements = dataset.settlements[[*keep, "geometry"]].copy()
    settlements = settlements.set_geometry(shapely.set_precision(settlements.geometry.to_numpy(), 10**-_ROUND_DEG))
    settlements = settlements.set_crs(dataset.settlements.crs, allow_override=True)
    return DisplayLayers(
        units=simple_units,
        raions=raions,
        oblasts=oblasts,
        country=country,
        settlements=settlements,
        tolerance_m=tol,
        build_id=dataset.build_id,
    )


# ---------------------------------------------------------------------------------------------
# map scaffolding


def base_map(
    layers: DisplayLayers,
    *,
    offline: bool | None = None,
    tiles: str | None = "CartoDB positron",
    height: str = "100%",
) -> folium.Map:
    """An empty map fitted to the territory, with the country outline as background.

    Parameters
    ----------
    layers
        Display layers (for the bounds and the country outline).
    offline
        Use the vendored Leaflet and no tiles; default from ``ATR_OFFLINE_ASSETS``.
    tiles
        Tile layer name for online use; ``None`` for no tiles.
    height
        CSS height of the map element.
    """
    offline = offline_assets_enabled() if offline is None else offline
    (south, west), (north, east) = layers.bounds
    fmap = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=7,
        tiles=None if offline else tiles,
        control_scale=True,
        prefer_canvas=True,
        height=height,
    )
    if offline:
        # Instance attributes, not class globals: other maps in the process stay untouched.
        fmap.default_js = [("leaflet", LEAFLET_JS)]
        fmap.default_css = [("leaflet_css", LEAFLET_CSS)]
    fmap.fit_bounds(layers.bounds)
    fmap.atr_bounds = layers.bounds  # lets renderers skip folium's slow pure-Python bounds walk
    _geojson(
        _features(layers.country[["geometry"]]),
        name="country",
        control=False,
        interactive=False,
        style_function=lambda _f: {"color": "#5f6b7a", "weight": 1.5, "fillColor": "#f4f1ea", "fillOpacity": 1.0},
    ).add_to(fmap)
    return fmap


def _features(frame: gpd.GeoDataFrame, ids: Iterable[Any] | None = None) -> dict[str, Any]:
    """GeoJSON FeatureCollection with string ids (folium styles features by id)."""
    data = frame.to_geo_dict(na="null", show_bbox=False, drop_id=True)
    id_list = [str(i) for i in (frame.index if ids is None else ids)]
    for feature, fid in zip(data["features"], id_list):
        feature["id"] = fid
        feature.pop("bbox", None)
        props = feature.get("properties") or {}
        feature["properties"] = {k: _json_safe(v) for k, v in props.items()}
    return data


def _geojson(
    data: dict[str, Any], *, style_function: Callable[[Mapping[str, Any]], dict[str, Any]], **kwargs: Any
) -> folium.GeoJson:
    """A folium GeoJson layer whose per-feature style travels in ``properties.style``.

    folium then styles features in the browser (``feature.properties.style``) instead of
    compiling a style lookup table into the page, which keeps rendering fast and lets
    :func:`atr_model.presentation.app.folium_view.render_map` render big layers cheaply.
    """
    for feature in data["features"]:
        feature["properties"]["style"] = {k: v for k, v in style_function(feature).items() if v is not None}
    return folium.GeoJson(data, **kwargs)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts without geometry (far faster than ``iterrows`` on a GeoDataFrame)."""
    plain = pd.DataFrame(frame.drop(columns=[c for c in ("geometry",) if c in frame.columns]))
    return plain.to_dict("records")


def unit_names(layers: DisplayLayers, lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """Unit code -> display name in ``lang`` (falls back to other languages, then the code)."""
    return {str(r["unit_code"]): display_name(r, lang) for r in _records(layers.units)}


def _text(value: Any) -> str:
    """A cell as text; missing values (None, NaN) as ''."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _json_safe(value: Any) -> Any:
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(float(value)) else float(value)
    return value


def _popup_table(rows: Iterable[tuple[str, str]], title: str = "") -> str:
    """Small HTML table for a popup (values escaped)."""
    head = f"<div class='atr-pop-title'>{html.escape(title)}</div>" if title else ""
    body = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows if v not in (None, "")
    )
    return f"{head}<table class='atr-pop'>{body}</table>"


_POPUP_CSS = """
<style>
.atr-pop-title{font-weight:600;font-size:13px;margin-bottom:4px;color:#1f2d3d}
table.atr-pop{border-collapse:collapse;font-size:12px;max-width:340px}
table.atr-pop th{text-align:left;color:#5f6b7a;font-weight:500;padding:1px 8px 1px 0;vertical-align:top;white-space:nowrap}
table.atr-pop td{padding:1px 0;color:#1f2d3d}
.leaflet-container{background:#e8eef3}
.leaflet-control-layers{font:12px/1.4 system-ui,sans-serif}
.atr-legend{position:absolute;z-index:1000;bottom:24px;left:10px;max-width:250px;background:rgba(255,255,255,.93);
 padding:8px 10px;border-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.25);font:12px/1.45 system-ui,sans-serif;color:#1f2d3d}
.atr-legend b{display:block;margin-bottom:3px}
.atr-legend i{display:inline-block;width:14px;height:10px;margin-right:6px;vertical-align:middle}
.atr-legend i.dot{width:10px;height:10px;border-radius:50%}
.atr-legend i.line{height:0;border-top:2px solid}
</style>
"""


def _add_legend(fmap: folium.Map, title: str, entries: Iterable[tuple[str, str]], notes: Iterable[str] = ()) -> None:
    """Attach an HTML legend (``entries`` = (swatch HTML, label)) to the map's document."""
    items = "".join(f"<div>{swatch}{html.escape(label)}</div>" for swatch, label in entries)
    extra = "".join(f"<div style='color:#5f6b7a'>{html.escape(n)}</div>" for n in notes)
    legend = f"<div class='atr-legend'><b>{html.escape(title)}</b>{items}{extra}</div>"
    fmap.get_root().html.add_child(folium.Element(_POPUP_CSS + legend))


def _swatch(colour: str, kind: str = "box", *, border: str = "#5f6b7a", dashed: bool = False) -> str:
    if kind == "dot":
        return f"<i class='dot' style='background:{colour};border:1px solid {border}'></i>"
    if kind == "line":
        style = "dashed" if dashed else "solid"
        return f"<i class='line' style='border-top:2px {style} {colour}'></i>"
    return f"<i style='background:{colour};border:1px solid {border}'></i>"


def _outline_layers(fmap: folium.Map, layers: DisplayLayers, lang: str) -> None:
    # Outlines are not interactive: with the canvas renderer an unfilled polygon still
    # catches clicks inside it, which would hide the units' popups underneath.
    raions = layers.raions.copy()
    _geojson(
        _features(raions[["geometry"]]),
        name=t("map.raions", lang),
        interactive=False,
        style_function=lambda _f: {"color": "#37474f", "weight": 1.6, "dashArray": "5 4", "fill": False},
    ).add_to(fmap)
    oblasts = layers.oblasts.copy()
    _geojson(
        _features(oblasts[["geometry"]]),
        name=t("map.oblasts", lang),
        interactive=False,
        style_function=lambda _f: {"color": "#1f2d3d", "weight": 3, "fill": False},
    ).add_to(fmap)


def _settlement_radius(population: float) -> float:
    # Area proportional to population; 2 px floor so hamlets stay visible, 14 px cap for towns.
    return round(min(max(2.0, math.sqrt(max(population, 0.0)) / 14.0), 14.0) * 2) / 2


def _settlement_layer(
    fmap: folium.Map, layers: DisplayLayers, lang: str, *, show: bool = True
) -> None:
    pts = layers.settlements
    est = pts["population_is_estimate"].astype(bool) if "population_is_estimate" in pts else pd.Series(False, index=pts.index)
    located = pts["is_located"].astype(bool) if "is_located" in pts else pd.Series(True, index=pts.index)
    tips = []
    for row, is_est, is_loc in zip(_records(pts), est, located):
        # Tooltip only (no popup): national maps carry ~2,000 settlements, so keep them light.
        tip = f"{display_name(row, lang, code_column='settlement_code')} — {format_number(row['population'], lang, is_estimate=bool(is_est))}"
        if not is_loc:
            tip += f" · {t('map.location_estimated', lang)}"
        tips.append(tip)
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
            "color": "#263238",
            "weight": 0.8,
            "fillColor": "#ffffff" if props["est"] else "#455a64",
            "fill": True,
            "fillOpacity": 0.85,
        }

    _geojson(
        _features(data),
        name=t("map.settlements", lang),
        show=show,
        marker=folium.CircleMarker(radius=3),
        style_function=style,
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
    ).add_to(fmap)


# ---------------------------------------------------------------------------------------------
# dataset map


def dataset_map(
    layers: DisplayLayers,
    *,
    lang: str = DEFAULT_LANGUAGE,
    population_floor: float = DEFAULT_POPULATION_FLOOR,
    offline: bool | None = None,
    tiles: str | None = "CartoDB positron",
) -> folium.Map:
    """Map of the current units (coloured by population against the floor) before any run.

    Parameters
    ----------
    layers
        Display layers of the dataset.
    lang
        Label language.
    population_floor
        Units below it are shaded as candidates for merging.
    """
    fmap = base_map(layers, offline=offline, tiles=tiles)
    units = layers.units
    est = units["population_is_estimate"].astype(bool)
    records = _records(units)
    frame = gpd.GeoDataFrame(
        {
            "tip": [display_name(r, lang) for r in records],
            "popup": [
                _popup_table(
                    [
                        (t("field.code", lang), str(r["unit_code"])),
                        (t("field.level", lang), str(r["level"])),
                        (t("field.raion", lang), str(r["raion_code"])),
                        (t("field.population", lang), format_number(r["population"], lang, is_estimate=bool(e))),
                        (t("field.area", lang), format_number(r.get("area_km2"), lang, digits=1)),
                    ],
                    display_name(r, lang),
                )
                for r, e in zip(records, est)
            ],
            "below": (units["population"].astype(float) < population_floor).to_numpy(),
        },
        geometry=units.geometry.to_numpy(),
        crs=units.crs,
        index=units.index,
    )
    _geojson(
        _features(frame),
        name=t("map.current_units", lang),
        style_function=lambda f: {
            "color": "#455a64",
            "weight": 0.8,
            "fillColor": "#ffcc80" if f["properties"]["below"] else "#c5e1a5",
            "fillOpacity": 0.6,
        },
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False),
    ).add_to(fmap)
    _outline_layers(fmap, layers, lang)
    _settlement_layer(fmap, layers, lang, show=True)
    folium.LayerControl(collapsed=False).add_to(fmap)
    floor = format_number(population_floor, lang)
    _add_legend(
        fmap,
        t("map.legend", lang),
        [
            (_swatch("#ffcc80"), f"{t('map.current_units', lang)} < {floor}"),
            (_swatch("#c5e1a5"), f"{t('map.current_units', lang)} ≥ {floor}"),
            (_swatch("#37474f", "line", dashed=True), t("map.raions", lang)),
            (_swatch("#1f2d3d", "line"), t("map.oblasts", lang)),
            (_swatch("#455a64", "dot"), f"{t('map.settlements', lang)} ({t('map.legend_size', lang)})"),
            (_swatch("#ffffff", "dot"), t("map.estimate_note", lang)),
        ],
    )
    return fmap


# ---------------------------------------------------------------------------------------------
# result map


def new_unit_colours(new_units: gpd.GeoDataFrame, id_column: str = "new_unit_id") -> dict[str, str]:
    """Give each new unit a palette colour so that touching new units differ.

    Greedy colouring (largest degree first) of the touch graph, with nodes inserted in sorted
    order so the result is deterministic.
    """
    ids = [str(v) for v in new_units[id_column]]
    graph = nx.Graph()
    graph.add_nodes_from(sorted(ids))
    geoms = new_units.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    for a, b in zip(left, right):
        if a < b:
            graph.add_edge(ids[a], ids[b])
    colouring = nx.greedy_color(graph, strategy="largest_first")
    return {uid: PALETTE[colouring[uid] % len(PALETTE)] for uid in ids}


def _new_unit_rows(passport: Mapping[str, Any], lang: str) -> list[tuple[str, str]]:
    has_est = bool(passport.get("population_has_estimates", False))
    rows = [
        (t("field.new_unit", lang), str(passport.get("new_unit_id", ""))),
        (t("field.centre", lang), str(passport.get("centre_name") or passport.get("centre_code") or "")),
        (t("field.members", lang), str(passport.get("members_text") or passport.get("members") or "")),
        (t("field.population", lang), format_number(passport.get("population"), lang, is_estimate=has_est)),
        (t("field.area", lang), format_number(passport.get("area_km2"), lang, digits=1)),
        (t("field.travel_mean", lang), format_minutes(passport.get("travel_time_mean_min"), lang)),
        (t("field.travel_max", lang), format_minutes(passport.get("travel_time_max_min"), lang)),
    ]
    exempt = passport.get("exempt_members")
    if isinstance(exempt, str) and exempt:
        rows.append((t("field.exempt", lang), exempt))
    estimated = passport.get("estimated_inputs")
    if isinstance(estimated, str) and estimated:
        rows.append((t("field.estimates", lang), "≈ " + estimated))
    return rows


def _passports(
    assignments: pd.DataFrame, new_units: pd.DataFrame | None, names: Mapping[str, str]
) -> dict[str, dict[str, Any]]:
    """Passport per new unit id: from the result's new_units table, else from assignments."""
    out: dict[str, dict[str, Any]] = {}
    if new_units is not None and len(new_units):
        for record in _records(new_units):
            members = str(record.get("members", "")).split(";") if record.get("members") else []
            record["members_text"] = ", ".join(names.get(m, m) for m in members if m)
            out[str(record["new_unit_id"])] = record
    missing = sorted(set(assignments["new_unit_id"].astype(str)) - set(out))
    if missing:
        rest = assignments[assignments["new_unit_id"].astype(str).isin(missing)]
        for uid, group in rest.groupby("new_unit_id", sort=True):
            uid = str(uid)
            members = sorted(group["unit_code"].astype(str))
            est = group.get("population_is_estimate", pd.Series(False, index=group.index)).astype(bool)
            centre = str(group["centre_code"].iloc[0])
            out[uid] = {
                "new_unit_id": uid,
                "centre_code": centre,
                "centre_name": names.get(centre, centre),
                "members_text": ", ".join(names.get(m, m) for m in members),
                "population": float(group["population"].sum()) if "population" in group else float("nan"),
                "population_has_estimates": bool(est.any()),
            }
    return out


def result_map(
    layers: DisplayLayers,
    assignments: pd.DataFrame,
    *,
    new_units: pd.DataFrame | None = None,
    links: pd.DataFrame | None = None,
    lang: str = DEFAULT_LANGUAGE,
    travel_model_label: str = "",
    offline: bool | None = None,
    tiles: str | None = "CartoDB positron",
    show_settlements: bool = False,
) -> folium.Map:
    """Map of a scenario result: current units, proposed new units, centres and outlines.

    Parameters
    ----------
    layers
        Display layers of the dataset the scenario ran on.
    assignments
        The result's ``assignments.csv`` table (unit_code, new_unit_id, centre_code, status,
        reason, population, population_is_estimate, travel_time_to_centre_min...).
    new_units
        The result's new-unit passports (``new_units.gpkg`` attributes); geometry is not used,
        new units are dissolved from the simplified current units so borders stay clean.
    links
        Optional unit adjacency (unit_a, unit_b, kind, barrier) drawn between unit centres.
    lang
        Label language.
    travel_model_label
        Shown in popups; a label starting with "modelled" marks travel times with ≈.
    show_settlements
        Whether the settlement layer is switched on initially (off for national maps).
    """
    fmap = base_map(layers, offline=offline, tiles=tiles)
    modelled = travel_model_label.startswith("modelled")
    units = layers.units
    names = unit_names(layers, lang)
    assign = assignments.copy()
    assign["unit_code"] = assign["unit_code"].astype(str)
    assign["new_unit_id"] = assign["new_unit_id"].astype(str)
    assign = assign.set_index("unit_code", drop=False)
    missing = units.index.difference(assign.index)
    if len(missing):
        logger.warning("%d units have no assignment (e.g. %s); they are drawn without a new unit", len(missing), missing[0])
    joined = units[["geometry"]].join(assign[["new_unit_id"]], how="inner")
    passports = _passports(assign, new_units, names)

    # Proposed new units: dissolved from the simplified current units (shared borders stay shared).
    dissolved = joined.dissolve(by="new_unit_id", sort=True).reset_index()
    sizes = assign["new_unit_id"].value_counts()
    merged_mask = dissolved["new_unit_id"].map(sizes).fillna(1).to_numpy() > 1
    # Merged new units get distinct colours; units that stay as they are a neutral tone.
    colours = {uid: _UNCHANGED for uid in dissolved["new_unit_id"]}
    if merged_mask.any():
        colours.update(new_unit_colours(dissolved[merged_mask]))
    dissolved["popup"] = [
        _popup_table(_new_unit_rows(passports.get(uid, {"new_unit_id": uid}), lang), t("passport.title", lang))
        for uid in dissolved["new_unit_id"]
    ]
    dissolved["tip"] = [
        f"{uid} · {passports.get(uid, {}).get('centre_name', '')}" for uid in dissolved["new_unit_id"]
    ]
    dissolved["fill"] = [colours[uid] for uid in dissolved["new_unit_id"]]
    new_layer = dissolved.set_index("new_unit_id", drop=False)[["new_unit_id", "fill", "tip", "popup", "geometry"]]
    _geojson(
        _features(new_layer),
        name=t("map.new_units", lang),
        style_function=lambda f: {
            "color": "#263238",
            "weight": 2.2,
            "fillColor": f["properties"]["fill"],
            "fillOpacity": 0.7,
        },
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False),
    ).add_to(fmap)

    # Current units: thin outlines, popup with status, reason and the new unit's passport.
    unit_rows = []
    assign_records = {str(r["unit_code"]): r for r in assign.to_dict("records")}
    for row in _records(units.loc[joined.index]):
        code = str(row["unit_code"])
        a = assign_records[code]
        est = bool(a.get("population_is_estimate", row.get("population_is_estimate", False)))
        tt_modelled = modelled or bool(a.get("travel_time_is_modelled", False))
        rows = [
            (t("field.code", lang), code),
            (t("field.status", lang), status_label(str(a["status"]), lang)),
            (t("field.reason", lang), _text(a.get("reason"))),
            (t("field.population", lang), format_number(a.get("population", row["population"]), lang, is_estimate=est)),
            (t("field.new_unit", lang), str(a["new_unit_id"])),
            (t("field.centre", lang), names.get(_text(a.get("centre_code")), _text(a.get("centre_code")))),
            (
                t("field.travel_max", lang),
                format_minutes(a.get("travel_time_to_centre_min"), lang, is_modelled=tt_modelled),
            ),
        ]
        passport = passports.get(str(a["new_unit_id"]))
        if passport and str(a["status"]) in ("merged", "centre"):
            has_est = bool(passport.get("population_has_estimates", False))
            rows.append((t("field.members", lang), _text(passport.get("members_text"))))
            rows.append(
                (f"{t('field.population', lang)} ({t('field.new_unit', lang)})",
                 format_number(passport.get("population"), lang, is_estimate=has_est))
            )
        popup = _popup_table(rows, names.get(code, code))
        unit_rows.append({"tip": f"{names.get(code, code)} — {status_label(str(a['status']), lang)}", "popup": popup,
                          "status": str(a["status"])})
    current = gpd.GeoDataFrame(unit_rows, geometry=joined.geometry.to_numpy(), crs=units.crs, index=joined.index)
    _geojson(
        _features(current),
        name=t("map.current_units", lang),
        style_function=lambda f: {
            "color": "#546e7a",
            "weight": 0.7,
            "fillColor": _STATUS_COLOURS.get(f["properties"]["status"], "#9e9e9e"),
            "fillOpacity": _STATUS_OPACITY.get(f["properties"]["status"], 0.0),
        },
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False),
    ).add_to(fmap)

    _outline_layers(fmap, layers, lang)
    if links is not None and len(links):
        _links_layer(fmap, layers, links, lang)
    _settlement_layer(fmap, layers, lang, show=show_settlements)
    _centres_layer(fmap, layers, assign, passports, lang)
    folium.LayerControl(collapsed=False).add_to(fmap)
    notes = [t("map.estimate_note", lang)]
    if modelled:
        notes.append(f"{t('field.travel_model', lang)}: ≈ {t('map.modelled', lang)}")
    _add_legend(
        fmap,
        t("map.legend", lang),
        [
            (_swatch(PALETTE[0], border="#263238") + _swatch(PALETTE[1], border="#263238"), t("map.new_units", lang)),
            (_swatch(_UNCHANGED, border="#263238"), t("map.unchanged", lang)),
            (_swatch("#ffffff", border="#546e7a"), t("map.current_units", lang)),
            (_swatch(_STATUS_COLOURS["below_floor_no_partner"]), status_label("below_floor_no_partner", lang)),
            (_swatch(_STATUS_COLOURS["kept_exempt"]), status_label("kept_exempt", lang)),
            (_swatch("#ffffff", "dot", border="#000000"), t("map.centres", lang)),
            (_swatch("#37474f", "line", dashed=True), t("map.raions", lang)),
            (_swatch("#1f2d3d", "line"), t("map.oblasts", lang)),
            (_swatch("#455a64", "dot"), f"{t('map.settlements', lang)} ({t('map.legend_size', lang)})"),
            *(
                [(_swatch("#6d4c41", "line"), t("map.links", lang)),
                 (_swatch("#c62828", "line", dashed=True), t("map.barrier", lang))]
                if links is not None and len(links) else []
            ),
        ],
        notes,
    )
    return fmap


def _unit_centre_points(layers: DisplayLayers) -> pd.DataFrame:
    units = layers.units
    return pd.DataFrame(
        {"lon": units["centre_lon"].astype(float), "lat": units["centre_lat"].astype(float)}, index=units.index
    )


def _centres_layer(
    fmap: folium.Map, layers: DisplayLayers, assign: pd.DataFrame, passports: Mapping[str, Mapping[str, Any]], lang: str
) -> None:
    points = _unit_centre_points(layers)
    sizes = assign["new_unit_id"].astype(str).value_counts()
    rows = []
    for uid, passport in sorted(passports.items()):
        code = str(passport.get("centre_code", ""))
        if code not in points.index:
            continue
        if int(sizes.get(uid, 0)) < 2:
            continue  # a unit kept as it is needs no centre marker
        rows.append(
            {
                "id": uid,
                "tip": f"{t('field.centre', lang)}: {passport.get('centre_name', code)} ({uid})",
                "geometry": shapely.Point(points.at[code, "lon"], points.at[code, "lat"]),
            }
        )
    if not rows:
        return
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=layers.units.crs).set_index("id")
    _geojson(
        _features(frame),
        name=t("map.centres", lang),
        marker=folium.CircleMarker(radius=6),
        style_function=lambda _f: {"radius": 6, "color": "#000000", "weight": 2, "fillColor": "#ffffff", "fillOpacity": 1},
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
    ).add_to(fmap)


def _links_layer(fmap: folium.Map, layers: DisplayLayers, links: pd.DataFrame, lang: str) -> None:
    points = _unit_centre_points(layers)
    rows = []
    for link in links.to_dict("records"):
        a, b = str(link["unit_a"]), str(link["unit_b"])
        if a not in points.index or b not in points.index:
            continue
        barrier = bool(link.get("barrier", False))
        rows.append(
            {
                "id": f"{a}|{b}",
                "barrier": barrier,
                "tip": f"{a} – {b}" + (f" ({t('map.barrier', lang)})" if barrier else ""),
                "geometry": shapely.LineString(
                    [(points.at[a, "lon"], points.at[a, "lat"]), (points.at[b, "lon"], points.at[b, "lat"])]
                ),
            }
        )
    if not rows:
        return
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=layers.units.crs).set_index("id")
    _geojson(
        _features(frame),
        name=t("map.links", lang),
        show=False,
        style_function=lambda f: {
            "color": "#c62828" if f["properties"]["barrier"] else "#6d4c41",
            "weight": 1.2,
            "dashArray": "4 4" if f["properties"]["barrier"] else None,
        },
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
    ).add_to(fmap)


# ---------------------------------------------------------------------------------------------
# comparison map


def diff_map(
    layers: DisplayLayers,
    assignments_a: pd.DataFrame,
    assignments_b: pd.DataFrame,
    differing: Iterable[str],
    *,
    label_a: str = "A",
    label_b: str = "B",
    lang: str = DEFAULT_LANGUAGE,
    offline: bool | None = None,
    tiles: str | None = "CartoDB positron",
) -> folium.Map:
    """Map of two results: units that differ highlighted, new-unit borders of both drawn.

    Parameters
    ----------
    layers
        Display layers of the dataset both results ran on.
    assignments_a, assignments_b
        The two results' assignment tables.
    differing
        Codes of the units whose group of co-members changed.
    label_a, label_b
        Names of the two scenarios for the legend and popups.
    """
    fmap = base_map(layers, offline=offline, tiles=tiles)
    units = layers.units
    names = unit_names(layers, lang)
    differ = {str(c) for c in differing}
    a = assignments_a.assign(unit_code=assignments_a["unit_code"].astype(str)).set_index("unit_code")
    b = assignments_b.assign(unit_code=assignments_b["unit_code"].astype(str)).set_index("unit_code")
    members_a = a.groupby("new_unit_id").groups
    members_b = b.groupby("new_unit_id").groups

    def partners(table: pd.DataFrame, groups: Mapping[Any, Any], code: str) -> str:
        if code not in table.index:
            return "–"
        group = sorted(str(m) for m in groups[table.at[code, "new_unit_id"]] if str(m) != code)
        return ", ".join(names.get(m, m) for m in group) or "–"

    rows = []
    for code in units.index:
        rows.append(
            {
                "changed": code in differ,
                "tip": names.get(code, code),
                "popup": _popup_table(
                    [
                        (t("field.code", lang), code),
                        (f"{t('field.new_unit', lang)} ({label_a})", str(a.at[code, "new_unit_id"]) if code in a.index else "–"),
                        (f"{t('compare.partners_a', lang)}", partners(a, members_a, code)),
                        (f"{t('field.new_unit', lang)} ({label_b})", str(b.at[code, "new_unit_id"]) if code in b.index else "–"),
                        (f"{t('compare.partners_b', lang)}", partners(b, members_b, code)),
                    ],
                    names.get(code, code),
                ),
            }
        )
    frame = gpd.GeoDataFrame(rows, geometry=units.geometry.to_numpy(), crs=units.crs, index=units.index)
    _geojson(
        _features(frame),
        name=t("map.changed", lang),
        style_function=lambda f: {
            "color": "#90a4ae",
            "weight": 0.6,
            "fillColor": "#ff7043" if f["properties"]["changed"] else "#eceff1",
            "fillOpacity": 0.75 if f["properties"]["changed"] else 0.4,
        },
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False),
    ).add_to(fmap)
    for table, label, colour, dash in ((a, label_a, "#1565c0", None), (b, label_b, "#6a1b9a", "6 5")):
        joined = units[["geometry"]].join(table[["new_unit_id"]].astype(str), how="inner")
        dissolved = joined.dissolve(by="new_unit_id", sort=True)
        _geojson(
            _features(dissolved[["geometry"]]),
            name=f"{t('map.new_units', lang)}: {label}",
            interactive=False,
            style_function=_line_style(colour, dash),
        ).add_to(fmap)
    _outline_layers(fmap, layers, lang)
    folium.LayerControl(collapsed=False).add_to(fmap)
    _add_legend(
        fmap,
        t("map.legend", lang),
        [
            (_swatch("#ff7043"), t("map.changed", lang)),
            (_swatch("#1565c0", "line"), f"{t('map.new_units', lang)}: {label_a}"),
            (_swatch("#6a1b9a", "line", dashed=True), f"{t('map.new_units', lang)}: {label_b}"),
            (_swatch("#1f2d3d", "line"), t("map.oblasts", lang)),
        ],
    )
    return fmap


def _line_style(colour: str, dash: str | None) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    def style(_feature: Mapping[str, Any]) -> dict[str, Any]:
        return {"color": colour, "weight": 2.4, "dashArray": dash, "fill": False}

    return style


def map_feature_counts(fmap: folium.Map) -> dict[str, int]:
    """Number of features per named GeoJSON layer of a map (for tests and logs)."""
    counts: dict[str, int] = {}
    for child in fmap._children.values():
        if isinstance(child, folium.GeoJson) and child.control:
            counts[child.layer_name] = len(child.data.get("features", []))
    return counts
