"""The Map view: the current units and, after a run, the proposed new units with the key
figures, a search, the selected unit's facts and locks, a new unit's passport and the units table."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from atr_model.criteria import Criteria
from atr_model.presentation import maps
from atr_model.presentation.app import cache, plan_edit_view, state, unit_search
from atr_model.presentation.app.balance_panel import result_balance, with_balance_chart
from atr_model.presentation.app.context import AppContext, current_result, run_current
from atr_model.presentation.app.edits import Edit
from atr_model.presentation.app.mapping import (
    MAP_RETURNED_OBJECTS,
    MAP_VIEW,
    dataset_map,
    figure_table,
    remember_view,
    reports_user_view,
    result_map,
    select_unit,
    show_clickable_map,
    view_bounds,
)
from atr_model.presentation.app.results import ResultView
from atr_model.presentation.i18n import estimate_note, format_number, status_label, t, translit_note, travel_model_label
from atr_model.presentation.markdown_text import md_text
from atr_model.presentation.messages import render_reason, result_unit_names
from atr_model.presentation.view import ResultView as DisplayView
from atr_model.presentation.view import format_area

__all__ = ["view_map", "MAP_VIEW_KEY"]

#: Session key of the result map's last view: ``{"folder": ..., "bounds": ((s, w), (n, e)) or None}``.
MAP_VIEW_KEY = "result_map_view"


def _kpi_row(result: ResultView, shown: DisplayView, lang: str) -> None:
    """The headline key figures as metrics, the solver's status beside them, every key figure
    in a table below: labels (the floor printed), definitions on hover and values are the
    result view's (:mod:`atr_model.presentation.view`), as on every other surface."""
    headline = [row for row in shown.figures if row.headline]
    for column, row in zip(st.columns(len(headline)), headline):
        column.metric(row.label, row.text, border=True, help=row.definition)
    solver = result.kpis.get("solver", {}) or {}
    optimal = t("kpi.optimal", lang) if solver.get("proven_optimal") else t("kpi.not_optimal", lang)
    seconds = format_number(solver.get("seconds"), lang, digits=1)
    st.caption(f"{t('kpi.solver', lang)} ({solver.get('solver', '–')}): {optimal} · {seconds} s")
    with st.expander(t("kpi.table", lang)):
        st.markdown(figure_table(shown.figures, lang), unsafe_allow_html=True)


def _estimate(label: str, lang: str) -> str:
    return f"≈ {label} ({t('estimate.suffix', lang)})"


def _reason_names(result: ResultView, ctx: AppContext) -> dict[str, str]:
    """Unit code -> name in the interface's language for the engine's sentences: the map's names,
    else the result's own name columns."""
    names = result_unit_names(result.assignments, ctx.lang)
    if ctx.layers is not None:
        names.update(maps.unit_names(ctx.layers, ctx.lang))
    return names


def _units_table(result: ResultView, shown: DisplayView, ctx: AppContext) -> None:
    """Every unit by its name, the new unit it joins by the new unit's name ("Dostuk + 2"), the
    codes beside them; filter by status, search by name or code."""
    lang = ctx.lang
    table = result.assignments.copy()
    names = dict(shown.unit_name)
    table.insert(0, "name", [names.get(str(c), str(c)) for c in table["unit_code"]])
    table["new_unit_name"] = [shown.new_unit_name.get(str(u), str(u)) for u in table["new_unit_id"]]
    est = table.get("population_is_estimate", pd.Series(False, index=table.index)).astype(bool)
    table["population_text"] = [format_number(p, lang, is_estimate=e) for p, e in zip(table["population"], est)]
    table["status_text"] = [status_label(s, lang) for s in table["status"]]
    # the engine's reason from its code and values, in the interface's language
    reason_names = _reason_names(result, ctx)
    table["reason"] = [render_reason(r, lang, reason_names) for r in table.to_dict("records")]
    st.subheader(t("units.table", lang))
    c1, c2 = st.columns([2, 3])
    statuses = sorted(table["status"].unique())
    chosen = c1.multiselect(
        t("units.filter", lang), statuses, default=statuses, format_func=lambda s: status_label(s, lang), key="status_filter"
    )
    query = c2.text_input(t("units.search", lang), key="unit_search")
    rows = table[table["status"].isin(chosen)]
    if query:
        mask = pd.Series(False, index=rows.index)
        for column in ("name", "unit_code", "new_unit_name", "new_unit_id"):
            mask |= rows[column].astype(str).str.contains(query, case=False, na=False, regex=False)
        rows = rows[mask]
    columns = {
        "name": t("field.name", lang), "unit_code": t("field.code", lang), "raion_code": t("field.raion", lang),
        "status_text": t("field.status", lang), "new_unit_name": t("field.new_unit", lang),
        "new_unit_id": t("field.new_unit_id", lang), "population_text": t("field.population", lang),
        "reason": t("field.reason", lang),
    }
    st.dataframe(
        rows[[c for c in columns if c in rows.columns]].rename(columns=columns),
        hide_index=True, width="stretch", height=320,
    )
    if ctx.layers is not None:
        units = ctx.layers.units
        note = translit_note(units[[c for c in ("name_en", "name_ky", "name_ru") if c in units]].to_dict("records"), lang)
        if note:
            st.caption(note)


def _new_unit_passport(result: ResultView, shown: DisplayView, uid: str, ctx: AppContext) -> None:
    """Key figures of one new unit; travel times and area are estimates and say so."""
    lang = ctx.lang
    table = result.new_units.set_index(result.new_units["new_unit_id"].astype(str))
    if uid not in table.index:
        return
    row = table.loc[uid]
    est = bool(row.get("population_has_estimates", False))
    cols = st.columns(4)
    cols[0].metric(t("field.population", lang), format_number(row.get("population"), lang, is_estimate=est))
    cols[1].metric(_estimate(t("field.area", lang), lang), "≈ " + format_area(row.get("area_km2"), lang))
    cols[2].metric(
        _estimate(t("field.travel_mean", lang), lang), "≈ " + format_number(row.get("travel_time_mean_min"), lang, digits=1)
    )
    cols[3].metric(_estimate(t("field.travel_max", lang), lang), "≈ " + format_number(row.get("travel_time_max_min"), lang))
    names = shown.unit_name
    members = [m for m in str(row.get("members", "")).split(";") if m]
    st.markdown(
        f"**{t('field.centre', lang)}:** {md_text(names.get(str(row.get('centre_code')), row.get('centre_name', '')))} · "
        f"**{t('field.members', lang)}:** {md_text(', '.join(names.get(m, m) for m in members))}"
    )
    if isinstance(row.get("estimated_inputs"), str) and row.get("estimated_inputs"):
        st.caption(f"≈ {t('field.estimates', lang)}: {estimate_note(row.get('estimated_inputs'), lang)}")


def _passport(result: ResultView, shown: DisplayView, ctx: AppContext) -> None:
    """The passport of a merged new unit, picked by its name ("Dostuk + 2 (id)")."""
    lang = ctx.lang
    if result.new_units.empty:
        return
    sizes = result.new_units.get("n_members", pd.Series(1, index=result.new_units.index))
    merged = result.new_units[sizes > 1]
    if merged.empty:
        return
    ids = list(merged["new_unit_id"].astype(str))
    st.subheader(t("passport.title", lang))
    ids.sort(key=lambda uid: (shown.new_unit_name.get(uid, uid).casefold(), uid))
    uid = st.selectbox(t("passport.pick", lang), ids, key="passport_pick", format_func=shown.new_unit_label)
    _new_unit_passport(result, shown, uid, ctx)


def _search(ctx: AppContext) -> None:
    """A search box: a unit by name or code; picking one selects it and zooms the map to it."""
    lang = ctx.lang
    if ctx.layers is None:
        return
    names = maps.unit_names(ctx.layers, lang)
    c1, c2 = st.columns([2, 3], vertical_alignment="bottom")
    query = c1.text_input(t("search.label", lang), key="map_search", placeholder=t("search.placeholder", lang))
    if not query:
        c2.caption(t("select.hint", lang))  # beside the box: the map stays high on the page
        return
    hits = unit_search.find_units(names, query)
    if not hits:
        c2.caption(t("search.none", lang, query=query))
        return
    pick = c2.selectbox(
        t("search.pick", lang, n=len(hits)), hits, format_func=lambda c: f"{names[c]} ({c})", key="map_search_pick"
    )
    if pick and st.session_state.get("_search_seen") != (query, pick):
        st.session_state["_search_seen"] = (query, pick)
        select_unit(pick, zoom_to=True, ctx=ctx)


def _unit_facts(code: str, result: ResultView | None, ctx: AppContext) -> None:
    """The selected unit: status, new unit, population and travel time (estimates marked)."""
    lang = ctx.lang
    shown = cache.view(str(result.folder), lang) if result is not None else None
    names = dict(shown.unit_name) if shown is not None else (maps.unit_names(ctx.layers, lang) if ctx.layers is not None else {})
    st.markdown(f"**{t('select.title', lang)}:** {md_text(names.get(code, code))} ({md_text(code)})")
    units = ctx.dataset.units.set_index(ctx.dataset.units["unit_code"].astype(str)) if ctx.dataset is not None else None
    if result is None:
        if units is not None and code in units.index:
            row = units.loc[code]
            est = bool(row.get("population_is_estimate", False))
            st.caption(f"{t('field.population', lang)}: {format_number(row.get('population'), lang, is_estimate=est)}")
        return
    assert shown is not None  # the view of a result exists once the result does
    table = result.assignments.set_index(result.assignments["unit_code"].astype(str))
    if code not in table.index:
        return
    row = table.loc[code]
    est = bool(row.get("population_is_estimate", False))
    travel = row.get("travel_time_to_centre_min")
    parts = [
        f"{t('field.status', lang)}: {status_label(str(row.get('status')), lang)}",
        f"{t('field.new_unit', lang)}: {md_text(shown.new_unit_label(str(row.get('new_unit_id'))))}",
        f"{t('field.population', lang)}: {format_number(row.get('population'), lang, is_estimate=est)}",
        f"{t('field.travel_to_centre', lang)}: {format_number(travel, lang, is_estimate=True)}",
    ]
    st.caption(" · ".join(parts))
    reason = render_reason(row, lang, _reason_names(result, ctx))
    if reason:
        st.caption(f"{t('field.reason', lang)}: {md_text(reason)}")
    uid = str(row.get("new_unit_id"))
    if (result.assignments["new_unit_id"].astype(str) == uid).sum() > 1:
        with st.expander(t("passport.title", lang) + f": {md_text(shown.new_unit_label(uid))}", expanded=False):
            _new_unit_passport(result, shown, uid, ctx)


def _lock_panel(code: str, ctx: AppContext) -> None:
    """Locks for the selected unit (keep separate, together, apart), undo and re-solve."""
    lang = ctx.lang
    options = sorted(maps.unit_names(ctx.layers, lang)) if ctx.layers is not None else []
    names = maps.unit_names(ctx.layers, lang) if ctx.layers is not None else {}
    c1, c2 = st.columns([2, 3])
    actions = ("keep_separate", "together", "apart")
    action = c1.radio(
        t("select.lock", lang), actions, format_func=lambda a: t(f"edits.{a}", lang), key="select_action", horizontal=True
    )
    other = ""
    if action in ("together", "apart"):
        others = [c for c in options if c != code]
        other = c2.selectbox(
            t("edits.other", lang), others, format_func=lambda c: f"{names.get(c, c)} ({c})", key="select_other"
        ) or ""
    b1, b2, b3 = st.columns(3)
    if b1.button(t("select.add", lang), key="select_add", width="stretch"):
        state.push_edit(st.session_state, Edit(str(action), code, other))
        st.rerun()
    has_edits = bool(state.edits(st.session_state))
    if b2.button(t("edits.undo", lang), key="select_undo", disabled=not has_edits, width="stretch"):
        state.undo_edit(st.session_state)
        st.rerun()
    resolve = b3.button(t("edits.resolve", lang), key="select_resolve", type="primary", disabled=ctx.scenario is None,
                        width="stretch")
    edits = state.edits(st.session_state)
    if edits:
        st.caption(t("select.edits", lang, n=len(edits)) + ": " + "; ".join(
            f"{t(f'edits.{e.action}', lang)} {md_text(names.get(e.unit, e.unit))}"
            + (f" + {md_text(names.get(e.other, e.other))}" if e.other else "")
            for e in edits
        ))
    if resolve:
        run_current(ctx)


def _selection(ctx: AppContext, result: ResultView | None) -> None:
    code = st.session_state.get("selected_unit")
    if not code or ctx.layers is None or code not in ctx.layers.units.index:
        return  # the search box's help says how to select a unit
    with st.container(border=True):
        _unit_facts(code, result, ctx)
        _lock_panel(code, ctx)


def _first_screen(ctx: AppContext) -> None:
    """Before any run: the current units at once, and the default scenario one click away."""
    lang = ctx.lang
    c1, c2 = st.columns([3, 2], vertical_alignment="center")
    # an explicit icon: without one Streamlit scans the text for a leading emoji, and its
    # first scan compiles the emoji catalogue (0.2 s of the first map on a fresh server)
    c1.info(t("first.hint", lang, name=md_text(ctx.base_label or "–")), icon=":material/info:")
    short = ctx.base_scenario.name if ctx.base_scenario is not None else "–"
    if c2.button(t("first.run", lang, name=short), key="first_run", type="primary",
                 disabled=ctx.scenario is None, width="stretch"):
        run_current(ctx)


def view_map(ctx: AppContext) -> None:
    """Current units and, after a run, the proposed new units with KPIs, selection and locks."""
    lang = ctx.lang
    if ctx.dataset is None or ctx.layers is None or ctx.source is None:
        return
    result = current_result(ctx)
    if result is None:
        _first_screen(ctx)
        criteria = ctx.scenario.criteria if ctx.scenario is not None else Criteria()
        rendered = dataset_map(ctx.source, ctx.dataset.build_id, lang, float(criteria.population_floor or 0))
    else:
        if plan_edit_view.edit_mode(ctx):  # move units by clicking (issue 23): the editor draws the page
            plan_edit_view.view_plan_edit(ctx, result)
            return
        shown = cache.view(str(result.folder), lang)
        _kpi_row(result, shown, lang)  # an out-of-date result is marked under the title (stale_note)
        rendered = result_map(str(result.folder), lang, ctx.source, ctx.dataset.build_id, ctx.scenario)
        # the population balance of the new units beside them, each bar linked to its unit
        rendered = with_balance_chart(rendered, result_balance(str(result.folder), lang))
    _search(ctx)
    _selection(ctx, result)
    if result is None:
        show_clickable_map(rendered, key="dataset_map", ctx=ctx)
        return
    # the result map also reports its view: the PNG download draws what is shown here, and a
    # re-solve opens the new plan at the same place (remember_view)
    drawn = reports_user_view(rendered)
    out = show_clickable_map(drawn, key="result_map", ctx=ctx,
                             returned_objects=[*MAP_RETURNED_OBJECTS, "bounds", "zoom", "center"])
    remember_view(out, drawn, "result_map")
    st.session_state[MAP_VIEW_KEY] = _shown_view(result, view_bounds(out, drawn))
    if result.travel_model_label:
        label = travel_model_label(result.travel_model_label, lang)
        st.caption(f"{t('field.travel_model', lang)}: {label} · {t('map.estimate_note', lang)}")
    _passport(result, shown, ctx)
    _units_table(result, shown, ctx)


def _shown_view(result: ResultView, bounds: Any) -> dict[str, Any]:
    """What the Map page shows of ``result`` (for the PNG of the current view): the bounds the
    map reported, else those of the view it was opened at when the last map was moved there
    (a re-solve opens the new plan at the analyst's view, the same place on the same map)."""
    kept = st.session_state.get(MAP_VIEW)
    seen = st.session_state.get(MAP_VIEW_KEY) or {}
    if bounds is None and kept is not None and seen.get("view") == kept:
        bounds = seen.get("bounds")
    return {"folder": str(result.folder), "bounds": bounds, "view": kept}
