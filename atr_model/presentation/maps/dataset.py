"""Presentation: the map of a dataset before any run (current units against the floor).

Aiyl aimaks are shaded below / at or above the floor; towns, to which the floor does not
apply (they keep their status), are in the town colour every map gives them
(:data:`~atr_model.presentation.maps.palette.CATEGORY_COLOURS`, label ``category.town``).
"""

from __future__ import annotations

import folium
import geopandas as gpd

from atr_model.criteria import DEFAULT_POPULATION_FLOOR
from atr_model.data.contract import is_estimate_source
from atr_model.presentation.i18n import DEFAULT_LANGUAGE, display_name, format_number, t
from atr_model.presentation.maps.base import (
    base_map,
    exclave_rows,
    finish,
    land_legend_entries,
    outline_layers,
    settlement_layer,
)
from atr_model.presentation.maps.display import DisplayLayers
from atr_model.presentation.maps.elements import Legend, hover_layer, popup_table, records, swatch
from atr_model.presentation.maps.palette import CATEGORY_COLOURS, DATASET, LINES
from atr_model.presentation.view import format_area
from atr_model.scenarios import town_mask

__all__ = ["dataset_map", "DEFAULT_FLOOR"]

#: Settlement circles are switched on at first only up to this many settlements.
MAX_SETTLEMENTS_SHOWN = 300
#: The population floor shaded by default: the criteria's own default (one place per default).
DEFAULT_FLOOR = float(DEFAULT_POPULATION_FLOOR)


def dataset_map(
    layers: DisplayLayers,
    *,
    lang: str = DEFAULT_LANGUAGE,
    population_floor: float = DEFAULT_FLOOR,
    offline: bool | None = None,
    tiles: str | None = None,
    basemap: str | None = "hillshade",
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
    offline, tiles, basemap
        Background options of :func:`~atr_model.presentation.maps.base.base_map`.
    """
    fmap = base_map(layers, offline=offline, tiles=tiles, basemap=basemap, lang=lang)
    units = layers.units
    est = units["population_is_estimate"].astype(bool)
    approx = (
        units["geometry_source"].map(is_estimate_source).astype(bool)
        if "geometry_source" in units else est & False
    )
    rows = records(units)
    exclaves = exclave_rows(layers, lang)
    frame = gpd.GeoDataFrame(
        {
            "tip": [display_name(r, lang) for r in rows],
            "popup": [
                popup_table(
                    [
                        (t("field.code", lang), str(r["unit_code"])),
                        (t("field.level", lang), str(r["level"])),
                        (t("field.raion", lang), str(r["raion_code"])),
                        (t("field.population", lang), format_number(r["population"], lang, is_estimate=bool(e))),
                        # Approximate territories (Voronoi cells) give an estimated area.
                        (t("field.area", lang), format_area(r.get("area_km2"), lang, is_estimate=bool(a))),
                        *exclaves.get(str(r["unit_code"]), []),
                    ],
                    display_name(r, lang),
                )
                for r, e, a in zip(rows, est, approx)
            ],
            "below": (units["population"].astype(float) < population_floor).to_numpy(),
            "town": town_mask(units),
        },
        geometry=units.geometry.to_numpy(),
        crs=units.crs,
        index=units.index,
    )
    fills = {True: DATASET["below"], False: DATASET["above"]}

    def fill(props: dict[str, object]) -> str:
        return CATEGORY_COLOURS["town"] if props["town"] else fills[bool(props["below"])]

    hover_layer(
        frame,
        name=t("map.current_units", lang),
        style_function=lambda f: {"color": LINES["unit"], "weight": 0.7, "fillColor": fill(f["properties"]), "fillOpacity": 0.8},
    ).add_to(fmap)
    outline_layers(fmap, layers, lang)
    # A national map with ~2,000 villages reads better without their circles (switch them on in
    # the layer control); their names still appear as you zoom in.
    settlement_layer(fmap, layers, lang, show=len(layers.settlements) <= MAX_SETTLEMENTS_SHOWN)
    floor = format_number(population_floor, lang)
    towns = [(swatch(CATEGORY_COLOURS["town"]), t("category.town", lang))] if frame["town"].any() else []
    Legend(
        t("map.legend", lang),
        [
            (swatch(DATASET["below"]), f"{t('map.current_units', lang)} < {floor}"),
            (swatch(DATASET["above"]), f"{t('map.current_units', lang)} ≥ {floor}"),
            *towns,
            (swatch(LINES["raion"], "line", dashed=True), t("map.raions", lang)),
            (swatch(LINES["oblast"], "line"), t("map.oblasts", lang)),
            *land_legend_entries(layers, lang),
            (swatch(LINES["settlement"], "dot"), f"{t('map.settlements', lang)} ({t('map.legend_size', lang)})"),
            (swatch("#ffffff", "dot"), t("map.estimate_note", lang)),
        ],
        [t("map.relief_note", lang)] if layers.hillshade is not None else [],
    ).add_to(fmap)
    return finish(fmap)
