"""Plan view: check a plan people bring (a CSV ``unit_code,new_unit_id``) in the app.

The plan is checked against the criteria of the scenario chosen in the sidebar by the
independent checker (:func:`atr_model.scenarios.evaluate_plan`, as ``atr-model evaluate``
does), on the dataset shown. The page lists every violation, draws the plan with the units
concerned outlined in red, and sets its cost (the optimiser's objective) and key figures
beside the optimum of the same scenario. A malformed plan gets one message naming the file,
the row, or every unknown unit code.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Iterable, Mapping
from typing import Any

import folium
import pandas as pd
import streamlit as st

from atr_model.errors import ATRError
from atr_model.presentation import maps
from atr_model.presentation.app import backend, cache
from atr_model.presentation.app.context import AppContext, show_error
from atr_model.presentation.app.folium_view import RenderedMap, render_map
from atr_model.presentation.app.mapping import kpi_html, kpi_rows, show_clickable_map
from atr_model.presentation.i18n import format_number, t
from atr_model.scenarios import PlanEvaluation

__all__ = ["view_plan", "violation_units", "VIOLATION_COLOUR"]

#: Outline of units a violation concerns (red marks what breaks a criterion, as on every map).
VIOLATION_COLOUR = "#d32f2f"


def violation_units(violations: pd.DataFrame) -> list[str]:
    """Codes of every unit named by at least one violation, sorted."""
    codes = {c for units in violations.get("units", []) for c in str(units).split(";") if c}
    return sorted(codes)


def _flat(values: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flat(value, f"{name}."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[name] = float(value)
    return out


def _kpi_table(optimum: Mapping[str, Any], plan: Mapping[str, Any]) -> pd.DataFrame:
    """KPIs of the optimum (a) and the plan (b), in the optimum's order, with b − a."""
    a = _flat({k: v for k, v in optimum.items() if k not in ("solver", "provenance")})
    b = _flat(plan)
    names = [k for k in a if k in b] + sorted(k for k in b if k not in a)
    return pd.DataFrame(
        {"kpi": names, "a": [a.get(k) for k in names], "b": [b.get(k) for k in names],
         "delta": [None if k not in a else b[k] - a[k] for k in names]}
    )


def _violations_layer(fmap: folium.Map, layers: maps.DisplayLayers, codes: Iterable[str], label: str) -> None:
    """Red outlines of the units a violation concerns, over everything else."""
    wanted = [c for c in codes if c in layers.units.index]
    if not wanted:
        return
    frame = layers.units.loc[wanted, ["geometry"]]
    data = frame.__geo_interface__
    style = {"color": VIOLATION_COLOUR, "weight": 3, "fill": False, "opacity": 1.0}
    features = [
        {"type": "Feature", "id": str(code), "geometry": feature["geometry"],
         "properties": {"unit_code": str(code), "style": style}}
        for code, feature in zip(wanted, data["features"])
    ]
    folium.GeoJson({"type": "FeatureCollection", "features": features}, name=label, interactive=False).add_to(fmap)
    # The layer control lists the layers it finds at render time by their script variables,
    # so it must come after every layer's script (else it refers to one not defined yet).
    for name, child in list(fmap._children.items()):
        if isinstance(child, folium.LayerControl):
            fmap._children.move_to_end(name)


@st.cache_resource(show_spinner=False, max_entries=4)
def _plan_map(digest: str, source: str, build_id: str, lang: str, _evaluation: PlanEvaluation) -> RenderedMap:
    layers = cache.layers(source, build_id)
    assignments = backend.plan_assignments(_evaluation, cache.dataset(source).units)
    fmap = maps.result_map(layers, assignments, lang=lang)
    _violations_layer(fmap, layers, violation_units(_evaluation.violations), t("plan.violations", lang))
    return render_map(fmap)


def _evaluate(ctx: AppContext, name: str, data: bytes) -> tuple[str, PlanEvaluation] | None:
    """The plan's evaluation, kept in the session per file, scenario and dataset."""
    if ctx.scenario is None or ctx.dataset is None or ctx.source is None or ctx.scenario_hash is None:
        return None
    digest = hashlib.sha256(data + ctx.scenario_hash.encode() + ctx.source.encode()).hexdigest()[:16]
    kept = st.session_state.get("plan_evaluation")
    if kept and kept[0] == digest:
        return kept
    with st.spinner(t("plan.checking", ctx.lang)):
        evaluation = backend.evaluate_plan_upload(
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
            t("plan.constraint", lang): table["constraint"],
            t("plan.hard", lang): [t("plan.hard_yes", lang) if h else t("plan.hard_no", lang) for h in table["hard"]],
            t("plan.units", lang): [
                ", ".join(f"{names.get(c, c)} ({c})" for c in str(u).split(";") if c) for u in table["units"]
            ],
            t("plan.message", lang): table["message"],
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


def view_plan(ctx: AppContext) -> None:
    """Upload a plan CSV, check it against the scenario's criteria, set it beside the optimum."""
    lang = ctx.lang
    st.subheader(t("plan.title", lang))
    st.caption(t("plan.help", lang, scenario=ctx.base_label or "–"))
    upload = st.file_uploader(t("plan.upload", lang), type=["csv"], key="plan_upload")
    if upload is None or ctx.dataset is None or ctx.source is None or ctx.layers is None or ctx.scenario is None:
        return
    try:
        checked = _evaluate(ctx, upload.name, upload.getvalue())
    except ATRError as exc:
        show_error(exc, lang)
        return
    if checked is None:
        return
    digest, evaluation = checked
    n_hard = int(evaluation.violations["hard"].sum()) if len(evaluation.violations) else 0
    n_soft = len(evaluation.violations) - n_hard
    if evaluation.valid:
        st.success(t("plan.valid", lang, name=html.escape(upload.name)))
    else:
        st.error(t("plan.invalid", lang, name=upload.name, hard=n_hard, soft=n_soft))
    with st.spinner(t("plan.optimum_running", lang)):
        optimum = cache.result(cache.run(ctx.source, ctx.scenario))
    _cost(evaluation, optimum.kpis, lang)
    if len(evaluation.violations):
        st.markdown(f"**{t('plan.violations', lang)}**")
        _violations_table(evaluation, ctx)
    show_clickable_map(_plan_map(digest, ctx.source, ctx.dataset.build_id, lang, evaluation), key="plan_map", ctx=ctx)
    st.markdown(f"**{t('kpi.table', lang)}**")
    st.markdown(
        kpi_html(kpi_rows(_kpi_table(optimum.kpis, evaluation.kpis), lang), t("plan.optimum", lang), upload.name, lang),
        unsafe_allow_html=True,
    )
