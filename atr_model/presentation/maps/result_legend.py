"""Presentation: the legend of a result map: one entry per status category the map shows and per
line style it draws, then the notes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import folium

from atr_model.presentation.i18n import t
from atr_model.presentation.maps.elements import Legend, swatch
from atr_model.presentation.maps.palette import CATEGORY_COLOURS, FIGURE, LINES
from atr_model.presentation.maps.result_colours import MergerColours
from atr_model.scenarios import CATEGORIES

__all__ = ["result_legend"]


def _category_swatch(category: str) -> str:
    """A category's legend swatch, drawn as the map draws it (merged units: three figure
    colours with the new unit's outline; exempt ones: the dotted outline)."""
    if category == "merged":
        return "".join(swatch(c, border=LINES["new_unit"]) for c in FIGURE[:3])
    return swatch(CATEGORY_COLOURS[category], dashed=category == "exempt")


def result_legend(
    fmap: folium.Map, lang: str, *, categories: Iterable[str], has_links: bool, has_relief: bool, modelled: bool,
    land: list[tuple[str, str]] | None = None, marks: Sequence[tuple[str, str]] = (),
    mergers: MergerColours | None = None,
) -> Legend:
    """The result map's legend: one entry per status category the map shows (in the order of
    :data:`~atr_model.scenarios.CATEGORIES`, labels ``category.<name>``), then one per line
    style drawn and the notes.

    ``land``: entries of raion land held by no unit and of exclaves
    (:func:`~atr_model.presentation.maps.base.land_legend_entries`); ``marks``: entries of the
    outlines over the units (violations, differences); ``mergers``: the classes the merging new
    units are coloured by instead of their category.
    """
    shown = set(categories)
    entries = []
    if mergers is not None:
        entries.append(("", mergers.title))
        entries += [(swatch(colour, border=LINES["new_unit"]), label) for colour, label in mergers.legend]
    entries += [(_category_swatch(c), t(f"category.{c}", lang)) for c in CATEGORIES if c in shown]
    entries += [
        (swatch("#ffffff", "dot", border=LINES["centre"]), t("map.centres", lang)),
        *marks,
        (swatch(LINES["raion"], "line", dashed=True), t("map.raions", lang)),
        (swatch(LINES["oblast"], "line"), t("map.oblasts", lang)),
        *(land or []),
        (swatch(LINES["settlement"], "dot"), f"{t('map.settlements', lang)} ({t('map.legend_size', lang)})"),
    ]
    if has_links:
        entries += [(swatch(LINES["link"], "line"), t("map.links", lang)),
                    (swatch(LINES["barrier"], "line", dashed=True), t("map.barrier", lang))]
    notes = [t("map.hover_note", lang), t("map.estimate_note", lang)]
    if modelled:
        notes.append(f"{t('field.travel_model', lang)}: ≈ {t('map.modelled', lang)}")
    if has_relief:
        notes.append(t("map.relief_note", lang))
    legend = Legend(t("map.legend", lang), entries, notes)
    legend.add_to(fmap)
    return legend
