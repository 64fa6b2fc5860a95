"""Presentation: the report's key figures (headline KPIs, which of them rest on estimates and
why, the new units' population brackets and the estimated administrative savings)."""

from __future__ import annotations

import re

from atr_model.presentation.i18n import DEFAULT_LANGUAGE, STRINGS, format_number, t
from atr_model.presentation.report.html_parts import cell_text
from atr_model.presentation.report.html_parts import escape as _e
from atr_model.presentation.report.html_parts import table as _table
from atr_model.presentation.report.html_parts import td as _td
from atr_model.presentation.view import figure_rows, figures_table_html
from atr_model.scenarios import ResultFiles

__all__ = ["kpi_section"]


def kpi_section(files: ResultFiles, lang: str = DEFAULT_LANGUAGE) -> str:
    """The key figures (the result view's, as on every surface), the solver line, the
    population brackets and the note on the savings estimate."""
    rows = figure_rows(files.kpis, lang)
    solver = files.kpis.get("solver") or {}
    solver_line = ""
    if solver:
        solver_line = "<p class='muted'>" + _e(t(
            "report.solver_line", lang, solver=solver.get("solver", ""),
            status=t(f"solver_status.{solver.get('status', '')}", lang)
            if f"solver_status.{solver.get('status', '')}" in STRINGS else solver.get("status", ""),
            proven=cell_text(solver.get("proven_optimal"), lang), gap=cell_text(solver.get("gap"), lang, 4),
            seconds=cell_text(solver.get("seconds"), lang, 2), method=solver.get("contiguity_method", ""),
        )) + "</p>" + _proof_line(solver, lang)
    header = [t("report.indicator", lang), t("report.value", lang), t("report.rests_on_estimates", lang)]
    return (
        f"<h2 id='kpis'>{_e(t('report.nav.kpis', lang))}</h2>" + figures_table_html(rows, header, with_basis=True)
        + solver_line + _distribution_block(files, lang) + _savings_block(files, lang)
    )


def _proof_line(solver: dict[str, object], lang: str = DEFAULT_LANGUAGE) -> str:
    """Which groups the solver did not prove optimal (under a time budget), each with its proven
    gap; empty when every group is proven or the result predates the record."""
    proof = solver.get("proof")
    if not isinstance(proof, dict) or proof.get("all_proven", True):
        return ""
    unproven = proof.get("unproven") or {}
    listed = ", ".join(f"{code} ({cell_text(entry.get('gap'), lang, 4)})" for code, entry in sorted(unproven.items()))
    return "<p class='muted'>" + _e(t("report.proof_line", lang, proven=cell_text(proof.get("proven"), lang),
                                       groups=cell_text(proof.get("groups"), lang), unproven=listed)) + "</p>"


def _distribution_block(files: ResultFiles, lang: str = DEFAULT_LANGUAGE) -> str:
    dist = files.kpis.get("new_unit_population_distribution") or {}
    if not dist.get("brackets"):
        return ""
    rows = [f"<tr><td>{_e(_bracket_label(k, lang))}</td>{_td(v, lang)}</tr>" for k, v in dist["brackets"].items()]
    quantiles = ", ".join(
        f"{t('report.median', lang) if name == 'median' else name} {cell_text(dist[name], lang)}"
        for name in ("p10", "p25", "median", "p75", "p90") if dist.get(name) is not None
    )
    return (
        f"<h3>{_e(t('report.population_of_new', lang))}</h3>"
        + _table([t("report.residents", lang), t("report.new_units", lang)], rows)
        + f"<p class='muted'>{_e(t('report.quantiles', lang, text=quantiles))}</p>"
    )


def _bracket_label(label: str, lang: str) -> str:
    """A population bracket of ``kpis.json`` ("3,000-5,000", ">= 20,000": written in English) with
    its figures in ``lang``'s convention."""
    return re.sub(r"\d{1,3}(?:,\d{3})*", lambda m: format_number(int(m.group().replace(",", "")), lang), label)


def _savings_block(files: ResultFiles, lang: str = DEFAULT_LANGUAGE) -> str:
    """What the savings figures (in the key figures above) rest on."""
    sav = files.kpis.get("admin_savings") or {}
    if not sav:
        return ""
    title = f"<h3>{_e(t('report.savings', lang))}</h3>"
    basis = sav.get("basis", "") if lang not in ("ky", "ru") else t("report.cost_model", lang)
    if str(sav.get("basis", "")).startswith("not estimated"):
        # the dataset has no cost model that applies (another country's data, or no currency)
        reason = "savings.no_currency" if "no currency" in str(sav["basis"]) else "savings.no_cost_model"
        return f"{title}<p>{_e(t(reason, lang))}</p>"
    if sav.get("annual_saving_som") is None:
        return f"{title}<p>{_e(basis or t('report.not_computed', lang))}</p>"
    # the cost model's own basis text is English: other languages name what it is instead
    return f"{title}<p class='muted'>{t('report.savings_note', lang, basis=_e(basis))}</p>"
