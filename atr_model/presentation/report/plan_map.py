"""Presentation: how a plan's map image colours its new units, the same on every printed map.

Each new unit takes its status category's colour (:mod:`atr_model.scenarios.categories`,
:data:`atr_model.presentation.maps.palette.CATEGORY_COLOURS`), named by the category's label
(``category.<name>``) in the legend, as on the interactive maps: the report's new-unit map,
the Council summary's map and its PNG all read :func:`plan_map_frame`. Coloured by confidence
(a robustness run's share of draws in which a merger's new unit appears exactly), each merger
takes its share's colour on the stability ramp (:data:`~atr_model.presentation.maps.palette.STABILITY`,
as in the app's robustness view) and the other units keep their category's colour.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import geopandas as gpd
import pandas as pd

from atr_model.presentation.i18n import DEFAULT_LANGUAGE, format_number, t
from atr_model.presentation.maps.palette import CATEGORY_COLOURS, STABILITY, STABILITY_LOWER, stability_colour
from atr_model.presentation.view import result_view
from atr_model.scenarios import CATEGORIES, ResultFiles

__all__ = ["COLOUR_BY", "KIND", "ColourBy", "confidence_bins", "confidence_text", "percent_text", "plan_map_frame"]

#: What a plan's map can colour by.
ColourBy = Literal["category", "confidence"]
COLOUR_BY: tuple[str, ...] = ("category", "confidence")

#: The column of :func:`plan_map_frame` holding each unit's legend label.
KIND = "kind"


def percent_text(share: float, lang: str = DEFAULT_LANGUAGE) -> str:
    """A share (0 to 1) as a whole percentage in ``lang``'s format ("85%", "85 %")."""
    return t("map.percent", lang, n=format_number(round(100.0 * float(share)), lang))


def confidence_text(share: float, lang: str = DEFAULT_LANGUAGE) -> str:
    """A merger's confidence as the summary and the passports write it ("confidence 85%")."""
    return t("summary.confidence", lang, pct=percent_text(share, lang))


def confidence_bins(lang: str = DEFAULT_LANGUAGE) -> list[tuple[float, str, str]]:
    """``(lower share, colour, legend label)`` of the stability ramp, from the most confident."""
    bounds = [percent_text(lower, lang) for lower in STABILITY_LOWER]
    ranges = [f"≥ {bounds[0]}"]
    ranges += [f"{format_number(round(100 * low), lang)}–{bounds[k]}" for k, low in enumerate(STABILITY_LOWER[1:-1])]
    ranges.append(f"< {bounds[-2]}")
    return [(lower, colour, t("map.confidence_bin", lang, range=text))
            for lower, colour, text in zip(STABILITY_LOWER, STABILITY, ranges)]


def _bin_label(share: float, bins: list[tuple[float, str, str]]) -> str:
    colour = stability_colour(share)
    return next(label for _lower, c, label in bins if c == colour)


def plan_map_frame(
    files: ResultFiles,
    lang: str = DEFAULT_LANGUAGE,
    *,
    colour_by: ColourBy = "category",
    confidence: Mapping[str, float] | None = None,
) -> tuple[gpd.GeoDataFrame, dict[str, str]]:
    """The new units with their legend label (column ``kind``) and the colour of each label.

    Parameters
    ----------
    files : ResultFiles
        The result package.
    lang : str
        "ky", "ru" or "en".
    colour_by : {"category", "confidence"}
        Status categories, or mergers by their confidence (other units by category).
    confidence : mapping, optional
        New unit id -> share of draws (:func:`atr_model.scenarios.merger_confidence`); needed
        for ``colour_by="confidence"``. A merger without a share keeps its category.

    Returns
    -------
    (geopandas.GeoDataFrame, dict)
        The new units in the order of ``new_units.gpkg`` with ``kind``, and label -> colour in
        legend order (confidence bins first, then the categories); :func:`map_svg` lists those drawn.

    Raises
    ------
    ValueError
        For an unknown ``colour_by``, or ``"confidence"`` without shares.
    """
    if colour_by not in COLOUR_BY:
        raise ValueError(f"colour_by {colour_by!r}: expected one of {', '.join(COLOUR_BY)}")
    if colour_by == "confidence" and confidence is None:
        raise ValueError("colour_by='confidence' needs the mergers' confidence (a robustness run of this plan)")
    view = result_view(files.kpis, files.assignments, files.new_units, lang)
    units = files.new_units.copy()
    ids = units["new_unit_id"].astype(str)
    labels = [view.category_label(view.new_unit_category.get(uid, "kept")) for uid in ids]
    colours = {view.category_label(c): CATEGORY_COLOURS[c] for c in CATEGORIES}
    if colour_by == "confidence" and confidence is not None:
        bins = confidence_bins(lang)
        sizes = pd.to_numeric(units["n_members"], errors="coerce").fillna(1).astype(int)
        labels = [_bin_label(confidence[uid], bins) if size > 1 and uid in confidence else label
                  for uid, size, label in zip(ids, sizes, labels)]
        colours = {**{label: colour for _lower, colour, label in bins}, **colours}
    units[KIND] = labels
    return units, colours
