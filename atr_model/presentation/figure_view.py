"""Presentation: the key figures of a result as every surface shows them (part of the result view).

One :class:`FigureRow` per key figure (:mod:`atr_model.scenarios.key_figures`): its label, its
definition with the scenario's floor, its value as text in the language's number format, and
whether it is an estimate; the headline line of the command line; the labels of the workbook;
the figure tables of the HTML pages. :mod:`.view` re-exports every name (surfaces import them
from there); this module needs no table library, so ``atr-model run`` prints the headline of
an up-to-date result without loading pandas.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from atr_model.presentation.i18n import DEFAULT_LANGUAGE, STRINGS, format_number, kpi_label, t
from atr_model.scenarios import KeyFigure, figure_def, figure_params, key_figures

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FigureRow",
    "area_digits",
    "comparison_table_html",
    "figure_basis",
    "figure_definition",
    "figure_label",
    "figure_row_html",
    "figure_rows",
    "figure_text",
    "figures_table_html",
    "floor_pair_text",
    "format_area",
    "headline_text",
    "workbook_labels",
]


@dataclass(frozen=True)
class FigureRow:
    """One key figure as a surface shows it.

    Attributes
    ----------
    key : str
        The dotted ``kpis.json`` key.
    label : str
        Its name in the language ("≈ ..." when it is an estimate).
    definition : str
        What it counts, in the language, with its parameters (the floor).
    value : float or None
        The value.
    text : str
        The value in the language's number format.
    is_estimate : bool
        Whether it rests on estimated or assumed inputs.
    headline : bool
        Whether it belongs to the short list.
    basis : str
        What it rests on that is estimated, in the language (empty for measured inputs).
    """

    key: str
    label: str
    definition: str
    value: float | None
    text: str
    is_estimate: bool
    headline: bool
    basis: str = ""


def _catalogue_key(prefix: str, key: str) -> tuple[str, dict[str, str]]:
    """The catalogue entry of a figure, and the rule it is about for ``exempt_by_reason.*``."""
    group, _, member = key.partition(".")
    if group == "exempt_by_reason":
        return f"{prefix}.exempt_by_reason", {"rule": member}
    return f"{prefix}.{key}", {}


def _params(kpis: Mapping[str, object], lang: str, rule: str = "", floor_text: str | None = None) -> dict[str, str]:
    values = {"floor": floor_text if floor_text is not None else format_number(figure_params(kpis)["floor"], lang)}
    if rule:
        values["rule"] = t(f"map.rule.{rule}", lang)
    return values


def figure_label(
    key: str,
    kpis: Mapping[str, object],
    lang: str = DEFAULT_LANGUAGE,
    *,
    is_estimate: bool = False,
    floor_text: str | None = None,
) -> str:
    """A key figure's name in ``lang`` (the floor filled in; "≈ ... (estimate)" for estimates).

    ``floor_text`` replaces the floor taken from ``kpis`` (Compare: "5,000 | 3,000" when the
    two scenarios' floors differ).
    """
    entry, extra = _catalogue_key("fig", key)
    label = t(entry, lang, **_params(kpis, lang, extra.get("rule", ""), floor_text)) if entry in STRINGS else key
    return f"≈ {label} ({t('estimate.suffix', lang)})" if is_estimate else label


def figure_definition(
    key: str, kpis: Mapping[str, object], lang: str = DEFAULT_LANGUAGE, *, floor_text: str | None = None
) -> str:
    """What a key figure counts, in ``lang``, with its parameters."""
    entry, extra = _catalogue_key("figdef", key)
    return t(entry, lang, **_params(kpis, lang, extra.get("rule", ""), floor_text)) if entry in STRINGS else ""


def area_digits(value: object) -> int:
    """Decimals an area in km² is shown with: one from 1 km² up, two significant digits below
    (a town of 0.045 km² reads "0.045", not "0.0"), at most four.

    Examples
    --------
    >>> area_digits(1234.5), area_digits(0.45), area_digits(0.045), area_digits(0.0)
    (1, 2, 3, 1)
    """
    try:
        number = abs(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 1
    if not math.isfinite(number) or number >= 1 or number == 0:
        return 1
    return min(4, max(1, 1 - math.floor(math.log10(number))))


def format_area(value: object, lang: str = DEFAULT_LANGUAGE, *, is_estimate: bool = False, trim_whole: bool = False) -> str:
    """An area in km² in ``lang``'s number format with :func:`area_digits` decimals (every map,
    passport and table shows areas through this)."""
    return format_number(value, lang, digits=area_digits(value), is_estimate=is_estimate, trim_whole=trim_whole)


def floor_pair_text(floor_a: object, floor_b: object, lang: str = DEFAULT_LANGUAGE) -> str:
    """The floor two compared plans count "below the floor" against: one value, or "A | B"."""
    a, b = format_number(floor_a, lang), format_number(floor_b, lang)
    return a if a == b else f"{a} | {b}"


def figure_text(figure: KeyFigure, lang: str = DEFAULT_LANGUAGE) -> str:
    """The value of a key figure in ``lang``'s number format, with the figure's precision."""
    if figure.value is None or not math.isfinite(figure.value):
        return "–"
    return format_number(figure.value, lang, digits=figure.spec.digits)


def figure_basis(figure: KeyFigure, kpis: Mapping[str, object], lang: str = DEFAULT_LANGUAGE) -> str:
    """Why a key figure is an estimate, in ``lang`` (empty when it rests on measured inputs)."""
    if not figure.is_estimate:
        return ""
    share = kpis.get("estimated_share")
    share = share if isinstance(share, Mapping) else {}
    population = float(share.get("population") or 0.0)
    notes = []
    if figure.spec.travel and float(share.get("travel_times_modelled") or 0.0) > 0:
        notes.append(t("report.basis.travel", lang))
    elif figure.spec.travel and float(share.get("modelled_connectors") or 0.0) > 0:
        pct = format_number(100.0 * float(share.get("modelled_connectors") or 0.0), lang, digits=1)
        notes.append(t("report.basis.connectors", lang, pct=pct))
    if figure.spec.population and population > 0:
        notes.append(t("report.basis.population", lang, pct=format_number(100.0 * population, lang, digits=1)))
    if figure.spec.assumed:
        notes.append(t("report.cost_model", lang))
    return "; ".join(notes)


def figure_rows(kpis: Mapping[str, object], lang: str = DEFAULT_LANGUAGE, *, headline_only: bool = False) -> list[FigureRow]:
    """The key figures of a result (or of an evaluated plan's KPIs) as rows to show.

    Parameters
    ----------
    kpis : mapping
        ``kpis.json`` of a result, or the KPIs ``evaluate`` reports (the same keys).
    lang : str
        Interface language.
    headline_only : bool, default False
        Only the short list.
    """
    rows = []
    for figure in key_figures(kpis):
        if figure.key.startswith("exempt_by_reason.") and not figure.value:
            continue  # a rule that exempts no unit: no row (the rows still add up)
        if headline_only and not figure.spec.headline:
            continue
        rows.append(FigureRow(
            key=figure.key,
            label=figure_label(figure.key, kpis, lang, is_estimate=figure.is_estimate),
            definition=figure_definition(figure.key, kpis, lang),
            value=figure.value,
            text=figure_text(figure, lang),
            is_estimate=figure.is_estimate,
            headline=figure.spec.headline,
            basis=figure_basis(figure, kpis, lang),
        ))
    return rows


def figure_row_html(row: FigureRow, values: Sequence[str] | None = None, *, with_basis: bool = False) -> str:
    """One key figure as a table row every HTML surface uses (report, summary, Compare, app).

    ``<tr data-fig='<key>'>``: the label cell carries the definition as its hover title; each
    value cell has class ``fig-value`` (and ``est`` for an estimate). ``values`` replaces the
    row's own text by several columns (Compare: A, B, difference); ``with_basis`` adds a cell
    saying what the figure rests on that is estimated.
    """
    estimate = " est" if row.is_estimate else ""
    cells = "".join(f"<td class='num fig-value{estimate}'>{html.escape(v)}</td>" for v in (values or [row.text]))
    if with_basis:
        cells += f"<td class='fig-basis'>{html.escape(row.basis)}</td>"
    return (
        f"<tr data-fig='{html.escape(row.key)}'><td class='fig-label'>"
        f"<span title='{html.escape(row.definition)}'>{html.escape(row.label)}</span></td>{cells}</tr>"
    )


def figures_table_html(rows: Iterable[FigureRow], header: Sequence[str], *, with_basis: bool = False) -> str:
    """A table of key figures (:func:`figure_row_html` rows) under an escaped ``header``."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(figure_row_html(row, with_basis=with_basis) for row in rows)
    return f"<table class='atr-figures'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def comparison_table_html(
    table: pd.DataFrame,
    kpis_a: Mapping[str, object],
    kpis_b: Mapping[str, object],
    header: Sequence[str],
    lang: str = DEFAULT_LANGUAGE,
) -> str:
    """Compare's key-figure table: one :func:`figure_row_html` row per figure, values A, B, B - A.

    Parameters
    ----------
    table : pandas.DataFrame
        :attr:`atr_model.scenarios.Comparison.kpis` (``kpi, a, b, delta``).
    kpis_a, kpis_b : mapping
        The two results' ``kpis.json`` (estimate marks and the two floors).
    header : sequence of str
        Column titles (figure, A, B, difference).
    lang : str
        Interface language.
    """
    floor_text = floor_pair_text(figure_params(kpis_a)["floor"], figure_params(kpis_b)["floor"], lang)
    rows_a = {row.key: row for row in figure_rows(kpis_a, lang)}
    rows_b = {row.key: row for row in figure_rows(kpis_b, lang)}
    body = []
    for rec in table.to_dict("records"):
        key = str(rec["kpi"])
        digits = figure_def(key).digits
        own = rows_a.get(key) or rows_b.get(key)
        row = FigureRow(
            key=key,
            label=figure_label(key, kpis_a, lang, floor_text=floor_text,
                               is_estimate=bool(own and own.is_estimate)),
            definition=figure_definition(key, kpis_a, lang, floor_text=floor_text),
            value=None, text="", is_estimate=bool(own and own.is_estimate), headline=bool(own and own.headline),
        )
        delta = rec["delta"]
        sign = "+" if isinstance(delta, float) and math.isfinite(delta) and delta > 0 else ""
        values = [format_number(rec["a"], lang, digits=digits), format_number(rec["b"], lang, digits=digits),
                  sign + format_number(delta, lang, digits=digits)]
        body.append(figure_row_html(row, values))
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    return f"<table class='atr-figures'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def headline_text(kpis: Mapping[str, object], lang: str = DEFAULT_LANGUAGE) -> str:
    """The headline figures in one line, for the command line and logs: "531 -> 458 units; label: value; ..."."""
    rows = {row.key: row for row in figure_rows(kpis, lang, headline_only=True)}
    counts = f"{rows.pop('units_before').text} -> {rows.pop('units_after').text} units" if "units_after" in rows else ""
    return "; ".join([counts, *(f"{row.label}: {row.text}" for row in rows.values())] if counts else
                     [f"{row.label}: {row.text}" for row in rows.values()])


def workbook_labels(kpis: Mapping[str, object], lang: str = DEFAULT_LANGUAGE) -> Callable[[str], str]:
    """The label function :func:`atr_model.scenarios.write_xlsx` takes, in ``lang``.

    Key figures (``fig.<key>``) get the same labels as on every other surface; other KPIs
    (``kpi.<key>``) their catalogue label; sheets, columns and items (``sheet.``, ``col.``,
    ``item.``, ``text.note``) the catalogue's ``xlsx.<name>`` text, else their own name.
    """

    def label(name: str) -> str:
        kind, _, rest = name.partition(".")
        if kind == "fig":
            return figure_label(rest, kpis, lang)
        if kind == "kpi":
            return kpi_label(rest, lang)
        key = f"xlsx.{name}"
        return t(key, lang) if key in STRINGS else rest

    return label
