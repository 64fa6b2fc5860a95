"""The manual edits view: keep a unit separate, force or forbid a pair, exempt a unit; undo;
re-solve; and what changed since the previous plan."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from atr_model.presentation import maps
from atr_model.presentation.app import state
from atr_model.presentation.app.compare_view import comparison_html, differ_table
from atr_model.presentation.app.context import AppContext, run_current
from atr_model.presentation.app.edits import EDIT_ACTIONS, Edit
from atr_model.presentation.app.mapping import comparison, diff_map, show_clickable_map
from atr_model.presentation.i18n import t

__all__ = ["view_edits"]


def _unit_options(ctx: AppContext) -> tuple[list[str], dict[str, str]]:
    if ctx.layers is None:
        return [], {}
    names = {code: f"{name} ({code})" for code, name in maps.unit_names(ctx.layers, ctx.lang).items()}
    return sorted(names, key=lambda c: names[c]), names


def _clicked_unit(options: list[str]) -> int:
    """Index of the unit selected on the map (by a click or a search), else 0."""
    selected = st.session_state.get("selected_unit")
    return options.index(selected) if selected in options else 0


def view_edits(ctx: AppContext) -> None:
    """Keep a unit separate, force or forbid a pair, exempt a unit; undo; re-solve."""
    lang = ctx.lang
    st.subheader(t("edits.title", lang))
    st.caption(t("edits.help", lang))
    if ctx.layers is None:
        return
    options, names = _unit_options(ctx)
    c1, c2 = st.columns([3, 2])
    unit = c1.selectbox(t("edits.unit", lang), options, index=_clicked_unit(options),
                        format_func=lambda c: names.get(c, c), key="edit_unit")
    action = c2.radio(
        t("edits.action", lang), EDIT_ACTIONS, format_func=lambda a: t(f"edits.{a}", lang), key="edit_action", horizontal=False
    )
    other, reason = "", ""
    if action in ("together", "apart"):
        other = c1.selectbox(t("edits.other", lang), options, format_func=lambda c: names.get(c, c), key="edit_other") or ""
    if action == "exempt":
        reason = c1.text_input(t("edits.reason", lang), key="edit_reason")
    b1, b2, b3, b4 = st.columns(4)
    if b1.button(t("edits.add", lang), key="edit_add"):
        if action in ("together", "apart") and other == unit:
            st.warning(t("edits.same_unit", lang))
        else:
            state.push_edit(st.session_state, Edit(str(action), str(unit), other, reason))
            st.rerun()
    if b2.button(t("edits.undo", lang), key="edit_undo", disabled=not state.edits(st.session_state)):
        state.undo_edit(st.session_state)
        st.rerun()
    if b3.button(t("edits.clear", lang), key="edit_clear", disabled=not state.edits(st.session_state)):
        state.clear_edits(st.session_state)
        st.rerun()
    resolve = b4.button(t("edits.resolve", lang), key="edit_resolve", type="primary", disabled=ctx.scenario is None)
    edits = state.edits(st.session_state)
    st.markdown(f"**{t('edits.list', lang)}**")
    if edits:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        t("edits.action", lang): t(f"edits.{e.action}", lang),
                        t("edits.unit", lang): names.get(e.unit, e.unit),
                        t("edits.other", lang): names.get(e.other, e.other) if e.other else "",
                        t("edits.reason", lang): e.reason,
                    }
                    for e in edits
                ]
            ),
            hide_index=True, width="stretch",
        )
    else:
        st.caption(t("edits.empty", lang))
    if resolve:
        run_current(ctx)
    _what_changed(ctx)


def _what_changed(ctx: AppContext) -> None:
    lang = ctx.lang
    current, previous = st.session_state.get("result_folder"), st.session_state.get("previous_folder")
    if not current or not previous or current == previous or not Path(previous).exists():
        return
    before, after = t("compare.before", lang), t("compare.after", lang)
    changes = comparison(previous, current)
    st.markdown(f"**{t('compare.differ', lang, n=len(changes.changed_units))}** ({before} → {after})")
    if len(changes.changed_units):
        st.dataframe(differ_table(changes, before, after, ctx, (previous, current)), hide_index=True, width="stretch")
    st.markdown(comparison_html(changes, previous, current, before, after, lang), unsafe_allow_html=True)
    if len(changes.changed_units) and ctx.layers is not None and ctx.dataset is not None and ctx.source is not None:
        show_clickable_map(
            diff_map(previous, current, before, after, lang, ctx.source, ctx.dataset.build_id), key="edits_diff_map",
            ctx=ctx,
        )
