"""Presentation: the report's data-quality section (how much rests on estimates) and its
provenance table."""

from __future__ import annotations

import pandas as pd

from atr_model.presentation.i18n import (
    DEFAULT_LANGUAGE,
    STRINGS,
    dataset_label,
    format_number,
    t,
    translit_note,
    travel_model_label,
)
from atr_model.presentation.report.html_parts import cell_text
from atr_model.presentation.report.html_parts import escape as _e
from atr_model.presentation.report.html_parts import table as _table
from atr_model.scenarios import ResultFiles, flatten_mapping

__all__ = ["provenance_section", "quality_section"]


def quality_section(files: ResultFiles, lang: str = DEFAULT_LANGUAGE) -> str:
    a = files.assignments
    total_pop = float(a["population"].sum()) or 1.0
    items = []
    if "population_is_estimate" in a:
        est = a[a["population_is_estimate"]]
        items.append(t(
            "report.q.population", lang, n=format_number(len(est), lang), total=format_number(len(a), lang),
            pct=format_number(100.0 * float(est["population"].sum()) / total_pop, lang, digits=1),
        ))
    if "travel_time_is_modelled" in a:
        n = int(a["travel_time_is_modelled"].sum())
        model = _e(travel_model_label(files.provenance.get("travel_model", ""), lang) or "–")
        if n:
            items.append(t("report.q.travel_modelled", lang, n=format_number(n, lang), total=format_number(len(a), lang),
                           model=model))
        else:
            items.append(t("report.q.travel_roads", lang, model=model))
    if not files.settlements.empty and "is_located" in files.settlements:
        n = int((~files.settlements["is_located"]).sum())
        total = format_number(len(files.settlements), lang)
        items.append(_e(t("report.q.not_located", lang, n=format_number(n, lang), total=total)))
    if "population_has_estimates" in files.new_units:
        n = int(files.new_units["population_has_estimates"].sum())
        total = format_number(len(files.new_units), lang)
        items.append(_e(t("report.q.new_units_est", lang, n=format_number(n, lang), total=total)))
    share = files.kpis.get("estimated_share") or {}
    for key, value in sorted(flatten_mapping(share).items()):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            shown = t(f"share.{key}", lang) if f"share.{key}" in STRINGS else key
            items.append(t("report.q.share", lang, key=_e(shown), pct=format_number(100.0 * value, lang, digits=1)))
    savings = files.kpis.get("admin_savings") or {}
    if savings:
        items.append(t("report.q.savings", lang))
    if str(files.provenance.get("dataset_kind", "")).lower() == "demo":
        items.append(t("report.q.demo", lang))
    transliterated = files.assignments.get("unit_name_transliterated", pd.Series(False, index=a.index))
    note = translit_note(int(transliterated.astype(bool).sum()), lang)
    if note:
        items.append(_e(note))
    lis = "".join(f"<li>{item}</li>" for item in items)
    return f"<h2 id='quality'>{_e(t('report.quality_title', lang))}</h2><ul>{lis}</ul>"


def provenance_section(files: ResultFiles, lang: str = DEFAULT_LANGUAGE) -> str:
    # the dataset's terms and cost model are the report's own words and savings basis, not rows
    own = ("dataset_terms", "dataset_cost_model", "district_names", "region_names")
    shown = {k: v for k, v in flatten_mapping(files.provenance).items() if not k.startswith(own)}
    # keys are identifiers; the two values written in English are shown in the page's language
    if "dataset_name" in shown:
        shown["dataset_name"] = dataset_label(str(shown["dataset_name"]), str(shown.get("dataset_kind", "")), lang)
    if "travel_model" in shown:
        shown["travel_model"] = travel_model_label(str(shown["travel_model"]), lang)
    rows = [
        f"<tr><td>{_e(k)}</td><td>{_e(cell_text(v, lang) if isinstance(v, bool) else v)}</td></tr>"
        for k, v in shown.items()
    ]
    return (
        f"<h2 id='provenance'>{_e(t('report.nav.provenance', lang))}</h2>"
        + _table([t("report.item", lang), t("report.value", lang)], rows)
    )

