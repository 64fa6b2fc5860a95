"""Plan view: check a plan people bring (a CSV ``unit_code,new_unit_id``) in the app.

The plan is checked against the criteria of the scenario chosen in the sidebar by the
independent checker (:func:`atr_model.scenarios.evaluate_plan`, as ``atr-model evaluate``
does), on the dataset shown. The page lists every violation, draws the plan with the units
concerned outlined in red, and sets its cost (the optimiser's objective) and key figures
beside the optimum of the same scenario. A malformed plan gets one message naming the file,
the row, or every unknown unit code, in the interface's language. The red error box is for a
plan that breaks a hard criterion; soft shortfalls the scenario allows are a warning. The
uploaded file stays in the session (:data:`PLAN_FILE_KEY`) when the user visits other views.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Mapping
from typing import Any, cast

import pandas as pd
import streamlit as st

from atr_model.errors import ATRError
from atr_model.presentation import maps
from atr_model.presentation.app import cache, plans
from atr_model.presentation.app.balance_panel import with_balance_chart
from atr_model.presentation.app.context import AppContext, show_error, upload_refused
from atr_model.presentation.app.folium_view import RenderedMap, render_map
from atr_model.presentation.app.mapping import comparison_table, show_clickable_map
from atr_model.presentation.balance import balance_chart
from atr_model.presentation.i18n import STRINGS, format_number, t
from atr_model.presentation.markdown_text import md_text
from atr_model.presentation.messages import render_violation
from atr_model.scenarios import PlanEvaluation, figure_deltas, limits

__all__ = ["view_plan", "violation_units", "VIOLATION_COLOUR", "PLAN_FILE_KEY"]

#: Outline of units a violation concerns (red marks what breaks a criterion, as on every map;
#: the map draws it with its legend entry, :func:`maps.result_map`'s ``violations``).
VIOLATION_COLOUR = maps.LINES["violation"]

#: Session key of the plan being checked, ``(file name, bytes)``: Streamlit forgets a file
#: uploader's file when its view is not shown, so the plan is kept here across views.
PLAN_FILE_KEY = "plan_file"

#: Key of the plan file uploader.
_UPLOADER_KEY = "plan_upload"


def violation_units(violations: pd.DataFrame) -> list[str]:
    """Codes of every unit named by at least one violation, sorted."""
    codes = {c for units in violations.get("units", []) for c in str(units).split(";") if c}
    return sorted(codes)


@st.cache_resource(show_spinner=False, max_entries=4)
def _plan_map(digest: str, source: str, build_id: str, lang: str, _evaluation: PlanEvaluation) -> RenderedMap:
    layers = cache.layers(source, build_id)
    assignments = plans.plan_assignments(_evaluation, cache.dataset(source).units, lang, maps.unit_names(layers, lang))
    rendered = render_map(maps.result_map(layers, assignments, lang=lang, violations=violation_units(_evaluation.violations)))
    package = _evaluation.package
    if package is None:
        return rendered
    # the checked plan's population balance beside its new units, as on the result map
    return with_balance_chart(rendered, balance_chart(package.kpis, package.assignments, package.new_units, lang))


def _evaluate(ctx: AppContext, name: str, data: bytes) -> tuple[str, PlanEvaluation] | None:
    """The plan's evaluation, kept in the session per file, scenario and dataset."""
    if ctx.scenario is None or ctx.dataset is None or ctx.source is None or ctx.scenario_hash is None:
        return None
    digest = hashlib.sha256(data + ctx.scenario_hash.encode() + ctx.source.encode()).hexdigest()[:16]
    kept = st.session_state.get("plan_evaluation")
    if kept and kept[0] == digest:
        return cast("tuple[str, PlanEvaluation] | None", kept)
    with st.spinner(t("plan.checking", ctx.lang)):
        evaluation = plans.evaluate_plan_upload(
            data, name, ctx.scenario, ctx.dataset, travel_model=cache.travel_model_for(ctx.source, ctx.scenario)
        )
    st.session_state["plan_evaluation"] = (digest, evaluation)
    return digest, evaluation


def _violations_table(evaluation: PlanEvaluation, ctx: AppContext) -> None:
    lang = ctx.lang
    names = maps.unit_names(ctx.layers, lang) if ctx.layers is not None else {}
    table = evaluation.violations
    st.dataframe(
        pd.DataFrame({
            t("plan.constraint", lang): [t(f"constraint.{c}", lang) if f"constraint.{c}" in STRINGS else c
                                         for c in table["constraint"]],
            t("plan.hard", lang): [t("plan.hard_yes", lang) if h else t("plan.hard_no", lang) for h in table["hard"]],
            t("plan.units", lang): [
                ", ".join(f"{names.get(c, c)} ({c})" for c in str(u).split(";") if c) for u in table["units"]
            ],
            t("plan.message", lang): [render_violation(v, lang, names) for v in table.to_dict("records")],
        }),
        hide_index=True, width="stretch",
    )


def _cost(evaluation: PlanEvaluation, optimum_kpis: Mapping[str, Any], lang: str) -> None:
    optimum = (optimum_kpis.get("solver") or {}).get("objective")
    gap = evaluation.gap_to(optimum)
    cols = st.columns(3)
    cols[0].metric(t("plan.cost", lang), format_number(evaluation.objective, lang), border=True,
                   help=t("plan.cost_help", lang))
    cols[1].metric(t("plan.optimum", lang), format_number(optimum, lang), border=True)
    cols[2].metric(
        t("plan.gap", lang), "–" if gap is None else f"{format_number(gap * 100, lang, digits=1)} %", border=True,
        help=t("plan.gap_help", lang),
    )


def _uploader_changed() -> None:
    """The user removed the file from the uploader: forget the plan (a view change does not call this)."""
    if st.session_state.get(_UPLOADER_KEY) is None:
        _forget_plan()


def _forget_plan() -> None:
    st.session_state.pop(PLAN_FILE_KEY, None)
    st.session_state.pop("plan_evaluation", None)


def _plan_file(lang: str) -> tuple[str, bytes] | None:
    """The plan to check: the file in the uploader, else the one uploaded before another view."""
    upload = st.file_uploader(t("plan.upload", lang), type=["csv", "txt", "tsv"], key=_UPLOADER_KEY,
                              on_change=_uploader_changed, max_upload_size=limits().upload_mb)
    if upload is not None and upload_refused(upload.name, upload.size, lang):
        return None
    if upload is not None:
        st.session_state[PLAN_FILE_KEY] = (upload.name, upload.getvalue())
        return upload.name, upload.getvalue()
    kept = st.session_state.get(PLAN_FILE_KEY)
    if kept is None:
        return None
    cols = st.columns([4, 1])
    cols[0].caption(t("plan.kept", lang, name=kept[0]))
    cols[1].button(t("plan.forget", lang), key="plan_forget", on_click=_forget_plan)
    return cast("tuple[str, bytes] | None", kept)


def _verdict(evaluation: PlanEvaluation, name: str, lang: str) -> None:
    """One box: red only when a hard criterion is broken; soft shortfalls are a warning."""
    n_hard = int(evaluation.violations["hard"].sum()) if len(evaluation.violations) else 0
    n_soft = len(evaluation.violations) - n_hard
    if n_hard:
        st.error(t("plan.invalid", lang, name=md_text(name), hard=n_hard, soft=n_soft))
    elif n_soft:
        st.warning(t("plan.soft_only", lang, name=md_text(name), soft=n_soft))
    else:
        st.success(t("plan.valid", lang, name=md_text(name)))


def view_plan(ctx: AppContext) -> None:
    """Upload a plan CSV, check it against the scenario's criteria, set it beside the optimum."""
    lang = ctx.lang
    st.subheader(t("plan.title", lang))
    st.caption(t("plan.help", lang, scenario=md_text(ctx.base_label or "–")))
    plan_file = _plan_file(lang)
    if plan_file is None or ctx.dataset is None or ctx.source is None or ctx.layers is None or ctx.scenario is None:
        return
    name, data = plan_file
    try:
        checked = _evaluate(ctx, name, data)
    except ATRError as exc:
        show_error(exc, lang)
        return
    if checked is None:
        return
    digest, evaluation = checked
    _verdict(evaluation, html.escape(name), lang)
    with st.spinner(t("plan.optimum_running", lang)):
        optimum = cache.result(cache.run(ctx.source, ctx.scenario, out_root=ctx.results_root))
    _cost(evaluation, optimum.kpis, lang)
    if len(evaluation.violations):
        st.markdown(f"**{t('plan.violations', lang)}**")
        _violations_table(evaluation, ctx)
    show_clickable_map(_plan_map(digest, ctx.source, ctx.dataset.build_id, lang, evaluation), key="plan_map", ctx=ctx)
    st.markdown(f"**{t('kpi.table', lang)}**")
    st.markdown(
        comparison_table(figure_deltas(optimum.kpis, evaluation.kpis), optimum.kpis, evaluation.kpis,
                         t("plan.optimum", lang), name, lang),
        unsafe_allow_html=True,
    )
