"""Edit mode of the Map view: move units between new units by clicking on the map.

Click a unit to choose its new unit as the target, then click units beside it to move them in.
After each click the verdict of the independent checker, the key figures against the plan
before the edits and the new units changed are shown again, without a re-solve; a refused move
says why. Undo and redo step through the moves; "Re-solve around my edits" lets the engine
finish the affected raions with the moved units locked. The logic is in :mod:`.plan_editing`
and :mod:`atr_model.scenarios.plan_edit`; this module only draws.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from atr_model.presentation import maps
from atr_model.presentation.app import cache, plan_editing, results
from atr_model.presentation.app.context import AppContext
from atr_model.presentation.app.folium_view import render_map
from atr_model.presentation.app.mapping import comparison_table, show_clickable_map
from atr_model.presentation.app.plan_view import violation_units
from atr_model.presentation.i18n import format_number, t
from atr_model.presentation.markdown_text import md_text
from atr_model.presentation.messages import render_violation
from atr_model.presentation.view import new_unit_names
from atr_model.scenarios import PlanEditor, PlanState, Refusal

__all__ = ["edit_mode", "view_plan_edit"]

#: Session keys: the last selection a click was handled for, the last click's message, the map
#: drawn for a state of the plan.
_HANDLED = "_planedit_handled"
_MESSAGE = "_planedit_message"
_MAP = "_planedit_map"
_CLICK = "planedit_click"


def edit_mode(ctx: AppContext) -> bool:
    """The edit-mode switch above the result map."""
    return bool(st.toggle(t("planedit.mode", ctx.lang), key="planedit_on"))


def _names(made: PlanEditor, ctx: AppContext) -> dict[str, str]:
    """Unit code and new-unit id -> name in the interface's language ("Dostuk + 2")."""
    names = maps.unit_names(ctx.layers, ctx.lang) if ctx.layers is not None else {}
    return {**names, **new_unit_names(made.current.assignments, ctx.lang)}


def _open(ctx: AppContext, result: results.ResultView) -> PlanEditor | None:
    scenario = results.result_scenario(result) or ctx.scenario
    if scenario is None or ctx.dataset is None or ctx.source is None:
        return None
    kept = plan_editing.editor(st.session_state)
    with st.spinner(t("plan.checking", ctx.lang)):
        made = plan_editing.open_editor(st.session_state, str(result.folder), result.assignments, scenario, ctx.dataset,
                                        cache.travel_model_for(ctx.source, scenario))
    if made is not kept:
        # the unit selected before edit mode is no click of the editor's
        st.session_state[_HANDLED] = st.session_state.get("selected_unit")
        st.session_state[_MESSAGE] = None
    return made


def _handle_click(made: PlanEditor, ctx: AppContext) -> None:
    """A new selection on the map is a click of edit mode: choose the target or move."""
    code = st.session_state.get("selected_unit")
    if not code or code == st.session_state.get(_HANDLED):
        return
    st.session_state[_HANDLED] = code
    mode = st.session_state.get(_CLICK, plan_editing.CLICK_TARGET)
    outcome = plan_editing.on_click(st.session_state, made, str(code), str(mode), ctx.lang, _names(made, ctx))
    st.session_state[_MESSAGE] = (outcome.kind, outcome.text)
    if outcome.kind == "target":
        st.session_state[_CLICK] = plan_editing.CLICK_MOVE  # the next clicks move units in


def _buttons(made: PlanEditor, ctx: AppContext) -> None:
    lang = ctx.lang
    b1, b2, b3, b4 = st.columns(4)
    if b1.button(t("planedit.undo", lang), key="planedit_undo", disabled=not made.can_undo, width="stretch"):
        made.undo()
        st.session_state[_MESSAGE] = None
        st.rerun()
    if b2.button(t("planedit.redo", lang), key="planedit_redo", disabled=not made.can_redo, width="stretch"):
        made.redo()
        st.session_state[_MESSAGE] = None
        st.rerun()
    if b3.button(t("planedit.resolve", lang), key="planedit_resolve", type="primary",
                 disabled=not made.current.moves, width="stretch"):
        with st.spinner(t("planedit.resolve", lang)):
            out = made.resolve_around_edits()
        names = _names(made, ctx)
        st.session_state[_MESSAGE] = (
            ("refused", plan_editing.refusal_text(out, lang, names)) if isinstance(out, Refusal)
            else ("resolved", plan_editing.resolved_text(out, lang, names))
        )
        st.rerun()
    b4.download_button(t("planedit.download", lang), made.plan_csv().encode("utf-8"), file_name="edited-plan.csv",
                       mime="text/csv", key="planedit_download", width="stretch")


def _message() -> None:
    """What the last click or button did (a refusal is a warning)."""
    kept = st.session_state.get(_MESSAGE)
    if not kept:
        return
    kind, text = kept
    show = {"refused": st.warning, "moved": st.success, "resolved": st.success}.get(kind, st.info)
    with st.container(key="planedit_message"):
        show(md_text(text))


#: Violations listed under the verdict (a plan broken everywhere would list hundreds).
_SHOWN_VIOLATIONS = 30


def _verdict(state: PlanState, lang: str, names: dict[str, str]) -> None:
    """The checker's verdict: one box (red only for a hard violation), then each violation in
    the interface's language, hard ones first."""
    hard, soft = state.hard_count, state.soft_count
    with st.container(key="planedit_verdict"):
        if hard:
            st.error(t("planedit.verdict_hard", lang, hard=hard, soft=soft))
        elif soft:
            st.warning(t("planedit.verdict_soft", lang, soft=soft))
        else:
            st.success(t("planedit.verdict_valid", lang))
        table = state.violations.sort_values("hard", ascending=False, kind="stable")
        lines = [
            f"- {t('plan.hard_yes', lang) if v['hard'] else t('plan.hard_no', lang)}: "
            f"{md_text(render_violation(v, lang, names))}"
            for v in table.head(_SHOWN_VIOLATIONS).to_dict("records")
        ]
        if len(table) > _SHOWN_VIOLATIONS:
            lines.append("- …")
        if lines:
            st.markdown("\n".join(lines))
    st.caption(t("planedit.moves", lang, n=len(state.moves), seconds=format_number(state.seconds, lang, digits=2)))


def _changed_units(made: PlanEditor, lang: str, names: dict[str, str]) -> None:
    """The new units whose members differ from the plan before the edits: population, travel."""
    state = made.current
    before = made.base.new_units.set_index("new_unit_id")["members"].astype(str)
    now = state.new_units.set_index("new_unit_id")
    changed = [uid for uid in now.index if before.get(uid) != str(now.at[uid, "members"])]
    if not changed:
        return
    rows = now.loc[changed]
    st.markdown(f"**{t('planedit.changed_units', lang)}**")
    st.dataframe(
        pd.DataFrame({
            t("field.new_unit", lang): [f"{names.get(str(u), str(u))} ({u})" for u in rows.index],
            t("field.population", lang): [format_number(p, lang, is_estimate=bool(e))
                                          for p, e in zip(rows["population"], rows["population_has_estimates"])],
            t("field.travel_mean", lang): [format_number(v, lang, digits=1, is_estimate=True)
                                           for v in rows["travel_time_mean_min"]],
            t("field.travel_max", lang): [format_number(v, lang, digits=1, is_estimate=True)
                                          for v in rows["travel_time_max_min"]],
        }),
        hide_index=True, width="stretch",
    )


def _map(made: PlanEditor, ctx: AppContext, result: results.ResultView) -> None:
    """The edited plan, violations outlined; drawn once per state of the plan and language."""
    state = made.current
    kept = st.session_state.get(_MAP)
    # the state itself, not its id: an id is reused once an undone state is dropped
    if kept is None or kept[0] is not state or kept[1] != ctx.lang:
        assert ctx.layers is not None  # the view opens only with a dataset shown
        fmap = maps.result_map(ctx.layers, state.assignments, new_units=state.new_units, lang=ctx.lang,
                               travel_model_label=result.travel_model_label,
                               violations=violation_units(state.violations))
        kept = (state, ctx.lang, render_map(fmap))
        st.session_state[_MAP] = kept
    show_clickable_map(kept[2], key="planedit_map", ctx=ctx)


def view_plan_edit(ctx: AppContext, result: results.ResultView) -> None:
    """Edit mode: click to choose a target and move units; verdict and figures after each click."""
    lang = ctx.lang
    st.subheader(t("planedit.title", lang))
    made = _open(ctx, result)
    if made is None or ctx.layers is None:
        st.info(t("planedit.no_result", lang))
        return
    _handle_click(made, ctx)
    st.caption(t("planedit.help", lang))
    names = _names(made, ctx)
    c1, c2 = st.columns([2, 3], vertical_alignment="center")
    c1.radio(t("planedit.click", lang), [plan_editing.CLICK_TARGET, plan_editing.CLICK_MOVE],
             format_func=lambda m: t(f"planedit.click_{m}", lang), key=_CLICK, horizontal=True)
    target = st.session_state.get(plan_editing.TARGET_KEY)
    if target and target in set(made.current.new_unit):
        c2.markdown(md_text(t("planedit.target", lang, name=f"{names.get(target, target)} ({target})")))
    else:
        c2.caption(t("planedit.no_target", lang))
    _message()
    _buttons(made, ctx)
    state = made.current
    _verdict(state, lang, names)
    _map(made, ctx, result)
    with st.container(key="planedit_figures"):
        st.markdown(f"**{t('planedit.figures', lang)}**")
        st.markdown(
            comparison_table(made.figure_changes(), made.base.kpis, state.kpis, t("planedit.before", lang),
                             t("planedit.now", lang), lang),
            unsafe_allow_html=True,
        )
    _changed_units(made, lang, names)
