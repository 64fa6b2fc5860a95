"""Presentation: the layers of a result map, one function per layer.

* :func:`ground_layer` - new units of one unit kept as they are: kept (muted), towns, and those
  below the floor (red);
* :func:`exempt_layer` - exempt aiyl aimaks kept as they are: one sand tint whatever the rule
  (the rule is in the tooltip and popup), dotted outline;
* :func:`new_units_layer` - new units of several units, the figure: merged ones in distinct
  colours (touching ones differ, :func:`~atr_model.presentation.maps.result_colours.figure_colours`),
  one still below the floor red;
* :func:`members_layer` - the current units inside them: faint internal borders, and the
  hover target that highlights the whole new unit and shows its passport;
* :func:`marked_units_layer` - outlines over everything: units a violation names (a checked
  plan) and units grouped differently in the other plan (Compare);
* :func:`centres_layer`, :func:`links_layer` (off by default) and :func:`new_unit_labels`
  ("Ak-Bulun + 3" where the name fits).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

import folium
import geopandas as gpd
import pandas as pd
import shapely

from atr_model.presentation.i18n import t
from atr_model.presentation.maps.display import DisplayLayers
from atr_model.presentation.maps.elements import (
    ZoomLabels,
    features,
    geojson_layer,
    hover_layer,
    label_min_zoom,
    popup_table,
)
from atr_model.presentation.maps.palette import CATEGORY_COLOURS, LINES
from atr_model.presentation.maps.result_passports import passport_rows

__all__ = [
    "ground_layer",
    "exempt_layer",
    "new_units_layer",
    "members_layer",
    "marked_units_layer",
    "centres_layer",
    "links_layer",
    "new_unit_labels",
    "DIFFERS_STYLE",
    "VIOLATION_STYLE",
]

#: New-unit names show from this zoom at the earliest, even where a name would fit before.
_LABEL_FLOOR_ZOOM = 7.0
#: Outline of a unit a violation of a criterion names (a checked plan), over everything else.
VIOLATION_STYLE: dict[str, Any] = {"color": LINES["violation"], "weight": 3.0, "opacity": 1.0, "fill": False}
#: Outline of a unit grouped differently in the other plan of a comparison: thick and dashed,
#: longer dashes than an exclave's, in its own colour.
DIFFERS_STYLE: dict[str, Any] = {"color": LINES["differs"], "weight": 3.5, "dashArray": "9 5", "opacity": 0.95, "fill": False}


#: Outline and fill of each polygon layer of the result map; the fill colour comes from a
#: feature property where the layer colours its features one by one.
_LAYER_STYLES: dict[str, dict[str, Any]] = {
    "ground": {"color": LINES["unit"], "weight": 0.6},
    "exempt": {"color": LINES["unit"], "weight": 0.6, "dashArray": "2 3", "fillOpacity": 0.9},
    "new_units": {"color": LINES["new_unit"], "weight": 1.6, "fillOpacity": 0.78},
    "members": {"color": LINES["internal"], "weight": 0.8, "opacity": 0.55, "fill": True, "fillOpacity": 0.0},
}


def _unit_layer(
    fmap: folium.Map,
    frame: pd.DataFrame,
    *,
    name: str,
    style: str,
    fill: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None,
    tip_fields: tuple[str, ...] = ("tip",),
) -> folium.GeoJson:
    """One hoverable polygon layer of the result map: ``tip_fields`` as tooltip, ``popup`` on click.

    ``style`` names the layer's outline and fill in :data:`_LAYER_STYLES`; ``fill`` adds the
    per-feature part (from the feature's properties). Tooltip fields are plain text, escaped by
    :func:`~atr_model.presentation.maps.elements.geojson_layer`, but for the passport table.
    """
    fixed = _LAYER_STYLES[style]
    layer = hover_layer(
        frame, name=name, style_function=lambda f: {**fixed, **(fill(f["properties"]) if fill else {})},
        tip_fields=tip_fields,
    )
    layer.add_to(fmap)
    return layer


def ground_layer(fmap: folium.Map, frame: gpd.GeoDataFrame, lang: str) -> folium.GeoJson | None:
    """New units of one unit kept as they are (not exempt), in their category's colour: muted
    ground, towns a shade darker, units below the floor red."""
    part = frame[frame["ground"].isin(["kept", "town", "below_floor"])]
    if not len(part):
        return None

    def fill(props: Mapping[str, Any]) -> dict[str, Any]:
        ground = props["ground"]
        return {"fillColor": CATEGORY_COLOURS[ground], "fillOpacity": 0.75 if ground == "below_floor" else 0.9}

    columns = ["tip", "popup", "ground", "category", "new_unit_id", "geometry"]
    return _unit_layer(fmap, part[columns], name=t("map.unchanged", lang), style="ground", fill=fill)


def exempt_layer(fmap: folium.Map, frame: gpd.GeoDataFrame, lang: str) -> folium.GeoJson | None:
    """Exempt aiyl aimaks kept as they are: one tint whatever the rule (the rule is in the
    tooltip and popup), dotted outline."""
    part = frame[frame["ground"] == "exempt"]
    if not len(part):
        return None
    columns = ["tip", "popup", "category", "rule", "new_unit_id", "geometry"]
    return _unit_layer(fmap, part[columns], name=t("category.exempt", lang), style="exempt",
                       fill=lambda _props: {"fillColor": CATEGORY_COLOURS["exempt"]})


def new_units_layer(
    fmap: folium.Map,
    dissolved: gpd.GeoDataFrame,
    passports: Mapping[str, Mapping[str, Any]],
    fills: Mapping[str, str],
    lang: str,
) -> folium.GeoJson | None:
    """New units of several units, the figure: dissolved polygons filled with ``fills`` (new
    unit id -> colour: the figure colours of merged units, red for one below the floor)."""
    if not len(dissolved):
        return None
    frame = dissolved.copy()
    frame["fill"] = [fills[uid] for uid in frame["new_unit_id"]]
    frame["category"] = [passports[uid]["category"] for uid in frame["new_unit_id"]]
    frame["tip"] = [passports[uid]["display_name"] for uid in frame["new_unit_id"]]
    frame["popup"] = [
        popup_table(passport_rows(passports[uid], lang), passports[uid]["display_name"]) for uid in frame["new_unit_id"]
    ]
    frame = frame.set_index("new_unit_id", drop=False)[["new_unit_id", "category", "fill", "tip", "popup", "geometry"]]
    return _unit_layer(fmap, frame, name=t("map.new_units", lang), style="new_units",
                       fill=lambda props: {"fillColor": props["fill"]})


def members_layer(fmap: folium.Map, frame: gpd.GeoDataFrame, lang: str) -> folium.GeoJson | None:
    """Current units inside merging new units: faint internal borders over the new unit's
    colour, and the hover target (tooltip: the unit, then its new unit's passport)."""
    part = frame[frame["ground"] == "member"]
    if not len(part):
        return None
    columns = ["tip", "passport", "popup", "category", "group", "geometry"]
    return _unit_layer(fmap, part[columns], name=t("map.current_units", lang), style="members",
                       tip_fields=("tip", "passport"))


def marked_units_layer(
    fmap: folium.Map, layers: DisplayLayers, codes: Iterable[str], *, name: str, style: Mapping[str, Any],
    group_by: Mapping[str, str] | None = None,
) -> folium.GeoJson | None:
    """Outlines of some units over everything else (not interactive: the units' own popups
    stay reachable); ``group_by`` (unit code -> new unit id) outlines each new unit's marked
    part once instead of every unit. Nothing when no code is on the map."""
    wanted = sorted({str(c) for c in codes} & set(layers.units.index))
    if not wanted:
        return None
    frame = layers.units.loc[wanted, ["geometry"]]
    if group_by is not None:
        frame = frame.assign(part=[group_by.get(c, c) for c in wanted]).dissolve(by="part", sort=True)[["geometry"]]
    layer = geojson_layer(features(frame), name=name, interactive=False, style_function=lambda _f: dict(style))
    layer.add_to(fmap)
    return layer


def _centre_points(layers: DisplayLayers) -> pd.DataFrame:
    units = layers.units
    return cast("pd.DataFrame", pd.DataFrame(
        {"lon": units["centre_lon"].astype(float), "lat": units["centre_lat"].astype(float)}, index=units.index
    ))


def centres_layer(
    fmap: folium.Map, layers: DisplayLayers, passports: Mapping[str, Mapping[str, Any]], lang: str
) -> None:
    """Centres of merging new units: small white dots (the figure is the unit, not its centre)."""
    points = _centre_points(layers)
    rows = []
    for uid, passport in sorted(passports.items()):
        code = str(passport.get("centre_code", ""))
        if code not in points.index or int(passport.get("n_members", 0)) < 2:
            continue  # a unit kept as it is needs no centre marker
        rows.append(
            {
                "id": uid,
                "tip": f"{t('field.centre', lang)}: {passport['display_name']}",
                "geometry": shapely.Point(points.at[code, "lon"], points.at[code, "lat"]),
            }
        )
    _tip_layer(
        fmap, rows, layers, name=t("map.centres", lang), marker=folium.CircleMarker(radius=3.5),
        style_function=lambda _f: {
            "radius": 3.5, "color": LINES["centre"], "weight": 1.2, "fillColor": "#ffffff", "fillOpacity": 1,
        },
    )


def _tip_layer(fmap: folium.Map, rows: list[dict[str, Any]], layers: DisplayLayers, *, name: str, **kwargs: Any) -> None:
    """A layer of drawn features (rows with ``id``, plain-text ``tip`` and a geometry), the tip
    (escaped) on hover; nothing when there are no rows. ``kwargs`` go to :func:`geojson_layer`
    (style, marker, show)."""
    if not rows:
        return
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=layers.units.crs).set_index("id")
    tooltip = folium.GeoJsonTooltip(fields=["tip"], labels=False)
    geojson_layer(features(frame), name=name, tooltip=tooltip, **kwargs).add_to(fmap)


def links_layer(fmap: folium.Map, layers: DisplayLayers, links: pd.DataFrame, lang: str) -> None:
    """Unit adjacency between unit centres (off by default); links across a barrier dashed red."""
    points = _centre_points(layers)
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
    barrier_style = {True: {"color": LINES["barrier"], "dashArray": "4 4"}, False: {"color": LINES["link"]}}
    _tip_layer(
        fmap, rows, layers, name=t("map.links", lang), show=False,
        style_function=lambda f: {**barrier_style[bool(f["properties"]["barrier"])], "weight": 1.2},
    )


def new_unit_labels(
    fmap: folium.Map, dissolved: gpd.GeoDataFrame, passports: Mapping[str, Mapping[str, Any]], lang: str
) -> list[tuple[float, float, str, float, float]]:
    """Names of merging new units ("Ak-Bulun + 3") at their polygon's inner point, each from
    the zoom at which it fits inside the polygon. Returns the labels (for tests)."""
    labels = []
    for uid, geom in zip(dissolved["new_unit_id"], dissolved.geometry):
        name = passports[uid]["display_name"]
        point = geom.representative_point()
        minx, miny, maxx, maxy = geom.bounds
        lo = label_min_zoom((maxx - minx) * 1.1, (maxy - miny) * 1.1, name, lat=point.y, floor=_LABEL_FLOOR_ZOOM)
        labels.append((point.y, point.x, name, lo, 99.0))
    if labels:
        ZoomLabels(labels, css_class="new-unit", name=t("map.new_unit_names", lang), char_px=7.2).add_to(fmap)
    return labels
