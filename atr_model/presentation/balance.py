"""Presentation: the population-balance chart of a plan's new units.

One bar per new unit (its population), the population floor drawn as a line, the units the
floor does not apply to set apart in groups of their own (aiyl aimaks exempt by a rule, towns
that keep their status), as analysts know it from redistricting tools. Everything a bar shows
comes from its one owner: names and categories from the result view
(:func:`atr_model.presentation.view.result_view`), colours from the category palette
(:data:`~atr_model.presentation.maps.palette.CATEGORY_COLOURS`), numbers from
:func:`~atr_model.presentation.i18n.format_number`, populations and the floor from the
result's ``new_units`` and ``kpis``. :func:`balance_chart` is the chart's data (tests check it
against the key figures); :func:`balance_chart_html` draws it as HTML with inline SVG, with no
script and no outside resource (it works offline, inside the map's frame).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from atr_model.presentation.i18n import DEFAULT_LANGUAGE, format_number, t
from atr_model.presentation.maps.palette import LINES
from atr_model.presentation.view import result_view

__all__ = ["BalanceBar", "BalanceChart", "GROUPS", "balance_chart", "balance_chart_html", "BAR_ATTRIBUTE"]

#: The chart's groups in order, and the categories each holds (:mod:`atr_model.scenarios.categories`):
#: the floor applies to the first; exempt aiyl aimaks and towns are set apart.
GROUPS: dict[str, tuple[str, ...]] = {
    "floor": ("below_floor", "merged", "kept"),
    "exempt": ("exempt",),
    "town": ("town",),
}

#: The attribute that carries a bar's new unit id (the map's hover script looks bars up by it).
BAR_ATTRIBUTE = "data-new-unit"

#: Drawing sizes (pixels).
_BAR_PX = 13
_GAP_PX = 3
_WIDTH_PX = 250
_LABEL_PX = 0  # names are written on the bars: the panel stays narrow beside the map


@dataclass(frozen=True)
class BalanceBar:
    """One new unit in the chart.

    Attributes
    ----------
    new_unit_id : str
        Its id (the map's features carry it as ``properties.new_unit_id``).
    name : str
        Its name in the language ("Dostuk + 2").
    population : float
        Its population (the passport's).
    text : str
        The population in the language's number format ("≈ ..." for estimates).
    category : str
        Its status category.
    category_label : str
        The category's name in the language.
    colour : str
        The category's colour.
    group : str
        Its group (a key of :data:`GROUPS`).
    """

    new_unit_id: str
    name: str
    population: float
    text: str
    category: str
    category_label: str
    colour: str
    group: str


@dataclass(frozen=True)
class BalanceChart:
    """The population balance of a plan's new units, in one language.

    Attributes
    ----------
    lang : str
        The language.
    floor : float
        The scenario's population floor (``kpis.json``'s ``population_floor``; 0: none).
    floor_text : str
        The floor in the language's number format.
    bars : tuple of BalanceBar
        Group by group (:data:`GROUPS` order), smallest population first inside a group (the
        units near or under the floor on top).
    group_labels : mapping
        Group key -> its heading in the language.
    """

    lang: str
    floor: float
    floor_text: str
    bars: tuple[BalanceBar, ...]
    group_labels: Mapping[str, str]

    def group(self, key: str) -> tuple[BalanceBar, ...]:
        """The bars of group ``key``."""
        return tuple(bar for bar in self.bars if bar.group == key)


def _group_of(category: str) -> str:
    return next(key for key, members in GROUPS.items() if category in members)


def balance_chart(
    kpis: Mapping[str, object], assignments: pd.DataFrame, new_units: pd.DataFrame, lang: str = DEFAULT_LANGUAGE
) -> BalanceChart:
    """The population-balance chart of a result (or an evaluated plan's package).

    Parameters
    ----------
    kpis : mapping
        ``kpis.json`` (its ``population_floor``).
    assignments : pandas.DataFrame
        ``assignments.csv``.
    new_units : pandas.DataFrame
        The new-unit passports (``new_unit_id``, ``population``, ``population_has_estimates``,
        ``n_members``, ``below_floor``).
    lang : str
        Interface language.
    """
    shown = result_view(kpis, assignments, new_units, lang)
    floor_value = kpis.get("population_floor")
    floor = float(floor_value) if isinstance(floor_value, (int, float)) else 0.0
    estimates = new_units.get("population_has_estimates", pd.Series(False, index=new_units.index)).astype(bool)
    bars = []
    for uid, population, estimate in zip(new_units["new_unit_id"].astype(str), new_units["population"].astype(float),
                                         estimates):
        category = shown.new_unit_category[uid]
        bars.append(BalanceBar(
            new_unit_id=uid, name=shown.new_unit_name.get(uid, uid), population=population,
            text=format_number(population, lang, is_estimate=bool(estimate)), category=category,
            category_label=shown.category_label(category), colour=shown.category_colour(category),
            group=_group_of(category),
        ))
    order = {key: i for i, key in enumerate(GROUPS)}
    bars.sort(key=lambda b: (order[b.group], b.population, b.name.casefold(), b.new_unit_id))
    labels = {key: t(f"balance.group.{key}", lang) for key in GROUPS}
    return BalanceChart(lang=lang, floor=floor, floor_text=format_number(floor, lang), bars=tuple(bars),
                        group_labels=labels)


def _group_svg(bars: tuple[BalanceBar, ...], floor: float, floor_title: str) -> str:
    """One group's bars as an SVG, the floor as a dashed line across them (when it applies)."""
    top = max([b.population for b in bars] + [floor]) or 1.0
    scale = (_WIDTH_PX - 2) / top
    height = len(bars) * (_BAR_PX + _GAP_PX) + _GAP_PX
    parts = [f"<svg class='atr-balance-bars' width='{_WIDTH_PX}' height='{height}' "
             f"viewBox='0 0 {_WIDTH_PX} {height}'>"]
    for i, bar in enumerate(bars):
        y = _GAP_PX + i * (_BAR_PX + _GAP_PX)
        width = max(1.0, bar.population * scale)
        tip = html.escape(f"{bar.name} ({bar.new_unit_id}): {bar.text} · {bar.category_label}", quote=True)
        parts.append(
            f"<g class='atr-bar' {BAR_ATTRIBUTE}='{html.escape(bar.new_unit_id, quote=True)}' "
            f"data-category='{bar.category}'><title>{tip}</title>"
            f"<rect x='{_LABEL_PX}' y='{y}' width='{_WIDTH_PX - _LABEL_PX}' height='{_BAR_PX}' fill='transparent'/>"
            f"<rect class='atr-bar-fill' x='{_LABEL_PX}' y='{y}' width='{width:.1f}' height='{_BAR_PX}' "
            f"fill='{bar.colour}' stroke='{LINES['unit']}' stroke-width='0.5'/>"
            f"<text x='{_LABEL_PX + 3}' y='{y + _BAR_PX - 3}'>{html.escape(bar.name)} · {html.escape(bar.text)}</text></g>"
        )
    if floor > 0:
        x = floor * scale
        parts.append(f"<line class='atr-floor' x1='{x:.1f}' x2='{x:.1f}' y1='0' y2='{height}' "
                     f"stroke='{LINES['violation']}' stroke-width='1.5' stroke-dasharray='4 3'>"
                     f"<title>{html.escape(floor_title)}</title></line>")
    parts.append("</svg>")
    return "".join(parts)


_CSS = (
    "<style>.atr-balance{background:rgba(255,255,255,0.95);padding:4px 6px;border-radius:4px;"
    "box-shadow:0 1px 4px rgba(0,0,0,0.3);font:12px/1.3 sans-serif;max-width:270px}"
    ".atr-balance summary{cursor:pointer;font-weight:600}"
    ".atr-balance .atr-balance-scroll{max-height:var(--atr-balance-height,420px);overflow-y:auto;overflow-x:hidden}"
    ".atr-balance h4{margin:6px 0 2px;font-size:12px;color:#2f3a46}"
    ".atr-balance .atr-floor-key{color:#5f6b7a;font-size:11px}"
    ".atr-balance svg text{font-size:10px;fill:#1f2d3d;pointer-events:none}"
    ".atr-balance g.atr-bar{cursor:pointer}"
    ".atr-balance g.atr-bar:hover rect.atr-bar-fill,.atr-balance g.atr-bar.atr-lit rect.atr-bar-fill"
    "{stroke:#111111;stroke-width:2}</style>"
)


def balance_chart_html(chart: BalanceChart) -> str:
    """The chart as HTML with inline SVG (no script): a collapsible panel, one block per group.

    Every bar is a ``<g class='atr-bar' data-new-unit='<id>'>`` with its name, population and
    category as its title; the floor is a dashed red line in the groups it applies to.
    """
    lang = chart.lang
    floor_title = t("balance.floor", lang, floor=chart.floor_text)
    blocks = []
    for key in GROUPS:
        bars = chart.group(key)
        if not bars:
            continue
        floor = chart.floor if key == "floor" else 0.0
        heading = f"{chart.group_labels[key]} ({format_number(len(bars), lang)})"
        blocks.append(f"<div class='atr-balance-group' data-group='{key}'><h4>{html.escape(heading)}</h4>"
                      f"{_group_svg(bars, floor, floor_title)}</div>")
    key_line = (f"<div class='atr-floor-key'><svg width='18' height='8'><line x1='0' x2='18' y1='4' y2='4' "
                f"stroke='{LINES['violation']}' stroke-width='1.5' stroke-dasharray='4 3'/></svg> "
                f"{html.escape(floor_title)}</div>") if chart.floor > 0 else ""
    return (f"{_CSS}<details class='atr-balance' open><summary>{html.escape(t('balance.title', lang))}</summary>"
            f"{key_line}<div class='atr-balance-scroll'>{''.join(blocks)}</div></details>")
