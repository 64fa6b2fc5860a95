"""Presentation: the map of a plan's agreement with a reference plan (issue 24).

Each current unit is filled by its agreement (:func:`atr_model.scenarios.agreement.unit_agreement`):
grouped as in the reference, grouped differently, or not in the reference, in the colours of
:data:`~atr_model.presentation.maps.palette.AGREEMENT_COLOURS`; the plan's new units are
outlined on top; labels through the locales.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from atr_model.presentation.i18n import DEFAULT_LANGUAGE, t
from atr_model.presentation.maps.base import base_map, finish, land_legend_entries, outline_layers
from atr_model.presentation.maps.display import DisplayLayers
from atr_model.presentation.maps.elements import Legend, features, geojson_layer, hover_layer, popup_table, swatch
from atr_model.presentation.maps.palette import AGREEMENT_COLOURS, LINES
from atr_model.presentation.maps.result_colours import plan_names

__all__ = ["AGREEMENT_STATES", "agreement_map"]

#: The states a unit's agreement takes, in legend order (each a key of AGREEMENT_COLOURS and of
#: the catalogue's ``agree.map.<state>``).
AGREEMENT_STATES = ("agree", "differ", "not_covered")


def agreement_map(
    layers: DisplayLayers,
    assignments: pd.DataFrame,
    status: Mapping[str, str],
    *,
    lang: str = DEFAULT_LANGUAGE,
    offline: bool | None = None,
    tiles: str | None = None,
    basemap: str | None = "hillshade",
) -> folium.Map:
    """Map of a plan's agreement with a reference, unit by unit.

    Parameters
    ----------
    layers
        Display layers of the dataset the plan ran on.
    assignments
        The plan's assignment table.
    status
        Unit code -> ``"agree"`` or ``"differ"`` for the units the reference covers.
    lang
        Language of the labels.
    offline, tiles, basemap
        Background options of :func:`~atr_model.presentation.maps.base.base_map`.
    """
    fmap = base_map(layers, offline=offline, tiles=tiles, basemap=basemap, lang=lang)
    units = layers.units
    names, named = plan_names(assignments, units, lang)
    plan = assignments.assign(unit_code=assignments["unit_code"].astype(str)).set_index("unit_code")
    rows = []
    for code in units.index:
        state = status.get(str(code), "not_covered")
        uid = str(plan.at[code, "new_unit_id"]) if code in plan.index else "–"
        rows.append({
            "state": state,
            "tip": f"{names.get(code, code)}: {t(f'agree.map.{state}', lang)}",
            "popup": popup_table([
                (t("field.code", lang), code),
                (t("field.new_unit", lang), f"{named[uid]} ({uid})" if uid in named and named[uid] != uid else uid),
                (t("agree.map.layer", lang), t(f"agree.map.{state}", lang)),
            ], names.get(code, code)),
        })
    frame = gpd.GeoDataFrame(rows, geometry=units.geometry.to_numpy(), crs=units.crs, index=units.index)

    def fill(feature: Mapping[str, Any]) -> dict[str, Any]:
        state = feature["properties"]["state"]
        return {"fillColor": AGREEMENT_COLOURS[state], "fillOpacity": 0.55 if state == "not_covered" else 0.8,
                "color": LINES["unit"], "weight": 0.5}

    hover_layer(frame, name=t("agree.map.layer", lang), style_function=fill).add_to(fmap)
    joined = units[["geometry"]].join(plan[["new_unit_id"]].astype(str), how="inner")
    geojson_layer(
        features(joined.dissolve(by="new_unit_id", sort=True)[["geometry"]]),
        name=t("map.new_units", lang), interactive=False,
        style_function=lambda _f: {"color": LINES["new_unit"], "weight": 1.6, "fill": False},
    ).add_to(fmap)
    outline_layers(fmap, layers, lang)
    Legend(
        t("map.legend", lang),
        [
            *[(swatch(AGREEMENT_COLOURS[s]), t(f"agree.map.{s}", lang)) for s in AGREEMENT_STATES],
            (swatch(LINES["new_unit"], "line"), t("map.new_units", lang)),
            (swatch(LINES["oblast"], "line"), t("map.oblasts", lang)),
            *land_legend_entries(layers, lang),
        ],
    ).add_to(fmap)
    return finish(fmap)
