"""Presentation: the map of two results (units whose group differs, both plans' borders).

The units grouped differently are filled and outlined as the Compare maps outline them
(:data:`~atr_model.presentation.maps.result_layers.DIFFERS_STYLE`); new units are named as the result
view names them ("Dostuk + 2 (id)"); colours from the one palette.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from atr_model.presentation.i18n import DEFAULT_LANGUAGE, t
from atr_model.presentation.maps.base import (
    base_map,
    exclave_rows,
    finish,
    land_legend_entries,
    outline_layers,
)
from atr_model.presentation.maps.display import DisplayLayers
from atr_model.presentation.maps.elements import Legend, features, geojson_layer, hover_layer, popup_table, swatch
from atr_model.presentation.maps.palette import COMPARE, GROUND, LINES
from atr_model.presentation.maps.result_colours import plan_names
from atr_model.presentation.maps.result_layers import DIFFERS_STYLE, marked_units_layer

__all__ = ["diff_map"]


def _partners(table: pd.DataFrame, groups: Mapping[Any, Any], code: str, names: Mapping[str, str]) -> str:
    if code not in table.index:
        return "–"
    group = sorted(str(m) for m in groups[table.at[code, "new_unit_id"]] if str(m) != code)
    return ", ".join(names.get(m, m) for m in group) or "–"


def _line_style(colour: str, dash: str | None, weight: float, opacity: float) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    def style(_feature: Mapping[str, Any]) -> dict[str, Any]:
        return {"color": colour, "weight": weight, "dashArray": dash, "opacity": opacity, "fill": False}

    return style


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
    tiles: str | None = None,
    basemap: str | None = "hillshade",
) -> folium.Map:
    """Map of two results: units that differ highlighted, new-unit borders of both drawn.

    Scenario A's borders are wide and translucent underneath, B's narrow and dashed on top,
    in two contrasting palette colours, so both read at national zoom.

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
    offline, tiles, basemap
        Background options of :func:`~atr_model.presentation.maps.base.base_map`.
    """
    fmap = base_map(layers, offline=offline, tiles=tiles, basemap=basemap, lang=lang)
    units = layers.units
    names, named_a = plan_names(assignments_a, units, lang)
    _, named_b = plan_names(assignments_b, units, lang)
    differ = {str(c) for c in differing}
    a = assignments_a.assign(unit_code=assignments_a["unit_code"].astype(str)).set_index("unit_code")
    b = assignments_b.assign(unit_code=assignments_b["unit_code"].astype(str)).set_index("unit_code")
    members_a = a.groupby("new_unit_id").groups
    members_b = b.groupby("new_unit_id").groups

    def unit_of(table: pd.DataFrame, named: Mapping[str, str], code: str) -> str:
        if code not in table.index:
            return "–"
        uid = str(table.at[code, "new_unit_id"])
        return f"{named[uid]} ({uid})" if uid in named and named[uid] != uid else uid
    exclaves = exclave_rows(layers, lang)
    rows = []
    for code in units.index:
        rows.append(
            {
                "changed": code in differ,
                "tip": names.get(code, code),
                "popup": popup_table(
                    [
                        (t("field.code", lang), code),
                        (f"{t('field.new_unit', lang)} ({label_a})", unit_of(a, named_a, code)),
                        (t("compare.partners_a", lang), _partners(a, members_a, code, names)),
                        (f"{t('field.new_unit', lang)} ({label_b})", unit_of(b, named_b, code)),
                        (t("compare.partners_b", lang), _partners(b, members_b, code, names)),
                        *exclaves.get(code, []),
                    ],
                    names.get(code, code),
                ),
            }
        )
    frame = gpd.GeoDataFrame(rows, geometry=units.geometry.to_numpy(), crs=units.crs, index=units.index)
    # units whose group changed stand out; the others are ground
    fills = {True: (GROUND["changed"], 0.75), False: (GROUND["unchanged"], 0.6)}
    hover_layer(
        frame,
        name=t("map.changed", lang),
        style_function=lambda f: dict(
            zip(("fillColor", "fillOpacity"), fills[bool(f["properties"]["changed"])]), color=LINES["unit"], weight=0.5
        ),
    ).add_to(fmap)
    styles = ((a, label_a, _line_style(COMPARE["a"], None, 4.0, 0.55)), (b, label_b, _line_style(COMPARE["b"], "5 4", 1.6, 1.0)))
    for table, label, style in styles:
        joined = units[["geometry"]].join(table[["new_unit_id"]].astype(str), how="inner")
        dissolved = joined.dissolve(by="new_unit_id", sort=True)
        geojson_layer(
            features(dissolved[["geometry"]]),
            name=f"{t('map.new_units', lang)}: {label}",
            interactive=False,
            style_function=style,
        ).add_to(fmap)
    outline_layers(fmap, layers, lang)
    # outlined as on the Compare maps, one outline per new unit of B they now belong to
    group_b = {str(code): str(uid) for code, uid in b["new_unit_id"].items()}
    marked_units_layer(fmap, layers, differ, name=t("map.differs", lang), style=DIFFERS_STYLE, group_by=group_b)
    Legend(
        t("map.legend", lang),
        [
            (swatch(GROUND["changed"], border=LINES["differs"], dashed=True, width_px=3), t("map.changed", lang)),
            (
                f"<i class='line' style='border-top:4px solid {COMPARE['a']};opacity:.6'></i>",
                f"{t('map.new_units', lang)}: {label_a}",
            ),
            (swatch(COMPARE["b"], "line", dashed=True), f"{t('map.new_units', lang)}: {label_b}"),
            (swatch(LINES["oblast"], "line"), t("map.oblasts", lang)),
            *land_legend_entries(layers, lang),
        ],
    ).add_to(fmap)
    return finish(fmap)
