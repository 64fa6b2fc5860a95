"""Presentation: the report's key figures (headline KPIs, which of them rest on estimates and
why, the new units' population brackets and the estimated administrative savings)."""

from __future__ import annotations

import re

from atr_model.presentation.i18n import DEFAULT_LANGUAGE, STRINGS, format_number, t
from atr_model.presentation.report.html_parts import cell_text
from atr_model.presentation.report.html_parts import escape as _e
from atr_model.presentation.report.html_parts import table as _table
from atr_model.presentation.report.html_parts import td as _td
from atr_model.scenarios import ResultFiles, kpi_table

__all__ = ["HEADLINE_KPIS", "MORE_KPIS", "kpi_basis", "kpi_section"]


#: Headline KPIs -> catalogue keys of their labels (:mod:`atr_model.presentation.i18n`).
HEADLINE_KPIS = {
    "units_before": "report.kpi.units_before",
    "units_after": "report.kpi.units_after",
    "below_floor_before": "report.kpi.below_floor_before",
    "below_floor_after": "report.kpi.below_floor_after",
    "population_weighted_mean_travel_min": "report.kpi.mean_travel",
    "worst_travel_min": "report.kpi.worst_travel",
    "new_unit_population.min": "report.kpi.pop_min",
    "new_unit_population.median": "report.kpi.pop_median",
    "new_unit_population.max": "report.kpi.pop_max",
}


#: KPIs of the headline table, beyond :data:`HEADLINE_KPIS`' keys, with their labels' keys.
MORE_KPIS = {
    "below_floor_before_non_exempt": "report.kpi.below_floor_before_ne",
    "below_floor_after_non_exempt": "report.kpi.below_floor_after_ne",
    "merged_units": "report.kpi.merged",
    "exempt_units": "report.kpi.exempt",
    "towns": "report.kpi.towns",
    "settlements_without_route_to_centre": "report.kpi.no_route",
}


def kpi_basis(files: ResultFiles, lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """Which headline figures rest on estimates, and why (empty text: measured inputs only)."""
    share = files.kpis.get("estimated_share") or {}
    a = files.assignments
    travel_est = bool(share.get("travel_times_modelled", 0.0)) or (
        "travel_time_is_modelled" in a and bool(a["travel_time_is_modelled"].any())
    )
    pop_share = float(share.get("population", 0.0) or 0.0)
    pct = format_number(100.0 * pop_share, lang, digits=1)
    pop_note = t("report.basis.population", lang, pct=pct) if pop_share > 0 else ""
    travel_note = t("report.basis.travel", lang) if travel_est else ""
    basis: dict[str, str] = {}
    for key in ("population_weighted_mean_travel_min", "worst_travel_min"):
        basis[key] = "; ".join(x for x in (travel_note, pop_note if key.startswith("population") else "") if x)
    for key in ("below_floor_before", "below_floor_after", "below_floor_before_non_exempt",
                "below_floor_after_non_exempt", "new_unit_population.min", "new_unit_population.median",
                "new_unit_population.max"):
        basis[key] = pop_note
    return basis


def kpi_section(files: ResultFiles, lang: str = DEFAULT_LANGUAGE) -> str:
    flat = dict(kpi_table(files.kpis))
    basis = kpi_basis(files, lang)
    rows = []
    for key, label in (*HEADLINE_KPIS.items(), *MORE_KPIS.items()):
        if key in flat:
            note = basis.get(key, "")
            rows.append(f"<tr><td>{_e(t(label, lang))}</td>{_td(flat[key], lang, estimate=bool(note))}<td>{_e(note)}</td></tr>")
    solver = files.kpis.get("solver") or {}
    solver_line = ""
    if solver:
        solver_line = "<p class='muted'>" + _e(t(
            "report.solver_line", lang, solver=solver.get("solver", ""),
            status=t(f"solver_status.{solver.get('status', '')}", lang)
            if f"solver_status.{solver.get('status', '')}" in STRINGS else solver.get("status", ""),
            proven=cell_text(solver.get("proven_optimal"), lang), gap=cell_text(solver.get("gap"), lang, 4),
            seconds=cell_text(solver.get("seconds"), lang, 2), method=solver.get("contiguity_method", ""),
        )) + "</p>"
    header = [t("report.indicator", lang), t("report.value", lang), t("report.rests_on_estimates", lang)]
    return (
        f"<h2 id='kpis'>{_e(t('report.nav.kpis', lang))}</h2>" + _table(header, rows) + solver_line
        + _distribution_block(files, lang) + _savings_block(files, lang)
    )


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
    sav = files.kpis.get("admin_savings") or {}
    if not sav:
        return ""
    title = f"<h3>{_e(t('report.savings', lang))}</h3>"
    basis = sav.get("basis", "") if lang not in ("ky", "ru") else t("report.cost_model", lang)
    if sav.get("annual_saving_som") is None:
        return f"{title}<p>{_e(basis or t('report.not_computed', lang))}</p>"
    rows = [
        ("report.savings.offices", sav.get("abolished_offices"), False),
        ("report.savings.staff", sav.get("staff_positions_saved"), True),
        ("report.savings.annual", sav.get("annual_saving_som"), True),
        ("report.savings.one_off", sav.get("one_off_cost_som"), True),
        ("report.savings.payback", sav.get("payback_years"), True),
    ]
    body = "".join(
        f"<tr><td>{_e(t(label, lang))}</td>{_td(value, lang, estimate=est, digits=2)}</tr>" for label, value, est in rows
    )
    return (
        title
        + _table([t("report.item", lang), t("report.value", lang)], [body])
        # the cost model's own basis text is English: other languages name what it is instead
        + f"<p class='muted'>{t('report.savings_note', lang, basis=_e(basis))}</p>"
    )

