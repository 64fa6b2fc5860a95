"""Presentation: the result view, the one source of what any surface shows of a result.

A :class:`ResultView` is computed once from a result (its ``kpis.json``, assignments and
new-unit passports) for one interface language. It holds

* every key figure (:mod:`atr_model.scenarios.key_figures`) with its label, its definition
  (the scenario's floor printed beside the counts below it), its value and the value as text
  in the language's number format, and whether it is an estimate;
* every display name: current units in the language's script and new units named after
  their centre ("Dostuk + 2"), with the id kept as a secondary column;
* every status category (:mod:`atr_model.scenarios.categories`) with its label, colour
  (:mod:`atr_model.presentation.maps.palette`) and count.

The figure rows (labels, definitions, number formats, the headline) are built in
:mod:`.figure_view` and re-exported here: they need no table library, so the command line
prints a result's headline without loading pandas.

The app, Compare, the HTML report, the Council summary, the PNG, the XLSX, ``evaluate`` and the
robustness report read it; none computes a figure, a name or a colour of its own. A test
renders one result through every surface and checks they agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from atr_model.presentation.figure_view import (
    FigureRow,
    area_digits,
    comparison_table_html,
    figure_basis,
    figure_definition,
    figure_label,
    figure_row_html,
    figure_rows,
    figure_text,
    figures_table_html,
    floor_pair_text,
    format_area,
    headline_text,
    workbook_labels,
)
from atr_model.presentation.i18n import DEFAULT_LANGUAGE, format_number, t
from atr_model.presentation.maps.palette import CATEGORY_COLOURS
from atr_model.presentation.territory_text import unit_name_in
from atr_model.scenarios import (
    CATEGORIES,
    category_counts,
    new_unit_categories,
    new_unit_display_name,
)

__all__ = [
    "FigureRow",
    "ResultView",
    "figure_rows",
    "figure_text",
    "figure_label",
    "figure_definition",
    "figure_basis",
    "floor_pair_text",
    "area_digits",
    "format_area",
    "unit_names",
    "new_unit_names",
    "result_view",
    "headline_text",
    "workbook_labels",
    "figure_row_html",
    "figures_table_html",
    "comparison_table_html",
]


def unit_names(assignments: pd.DataFrame, lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """Unit code -> the unit's name in ``lang``'s script (the code when it has no name)."""
    return {str(r["unit_code"]): unit_name_in(r, lang) or str(r["unit_code"]) for r in assignments.to_dict("records")}


def new_unit_names(assignments: pd.DataFrame, lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """New unit id -> its name in ``lang``: its centre's name, then "+ N" for the N others."""
    names = unit_names(assignments, lang)
    grouped = assignments.groupby(assignments["new_unit_id"].astype(str), sort=True)
    centres = grouped["centre_code"].first().astype(str)
    sizes = grouped.size()
    return {uid: new_unit_display_name(names.get(centres[uid], ""), int(sizes[uid]), fallback=uid) for uid in centres.index}


@dataclass(frozen=True)
class ResultView:
    """What every surface shows of one result, in one language (see the module docstring).

    Build it with :func:`result_view`.
    """

    lang: str
    kpis: Mapping[str, object]
    figures: tuple[FigureRow, ...]
    unit_name: Mapping[str, str]
    new_unit_name: Mapping[str, str]
    new_unit_category: Mapping[str, str]
    category_count: Mapping[str, int]
    _by_key: Mapping[str, FigureRow] = field(default_factory=dict, repr=False)

    def figure(self, key: str) -> FigureRow:
        """The key figure ``key`` (KeyError when the result does not have it)."""
        return self._by_key[key]

    def fmt(self, value: object, digits: int = 0, *, is_estimate: bool = False) -> str:
        """A number in the view's language format (the one formatter, :func:`i18n.format_number`)."""
        return format_number(value, self.lang, digits=digits, is_estimate=is_estimate)

    def category_label(self, category: str) -> str:
        """A status category's name in the view's language."""
        return t(f"category.{category}", self.lang)

    @staticmethod
    def category_colour(category: str) -> str:
        """A status category's fill colour (merged units: their legend swatch)."""
        return CATEGORY_COLOURS[category]

    def legend(self) -> list[tuple[str, str, str]]:
        """``(category, colour, label)`` for every category the plan has, in legend order."""
        return [(c, CATEGORY_COLOURS[c], self.category_label(c)) for c in CATEGORIES if self.category_count.get(c)]

    def new_unit_label(self, new_unit_id: str) -> str:
        """"Name (id)": the name people read, with the id as the secondary key."""
        return f"{self.new_unit_name.get(new_unit_id, new_unit_id)} ({new_unit_id})"


def result_view(
    kpis: Mapping[str, object], assignments: pd.DataFrame, new_units: pd.DataFrame, lang: str = DEFAULT_LANGUAGE
) -> ResultView:
    """The view of one result in ``lang`` (computed once; every surface reads it).

    Parameters
    ----------
    kpis : mapping
        ``kpis.json`` of the result.
    assignments : pandas.DataFrame
        ``assignments.csv`` of the result.
    new_units : pandas.DataFrame
        The new-unit passports (``new_units.gpkg``).
    lang : str
        Interface language.
    """
    rows = tuple(figure_rows(kpis, lang))
    return ResultView(
        lang=lang,
        kpis=kpis,
        figures=rows,
        unit_name=unit_names(assignments, lang),
        new_unit_name=new_unit_names(assignments, lang),
        new_unit_category={str(uid): str(cat) for uid, cat in new_unit_categories(assignments, new_units).items()},
        category_count=category_counts(assignments, new_units),
        _by_key={row.key: row for row in rows},
    )
