"""Compare view: two scenarios on two synced maps side by side, one key-figure table.

Both scenarios run on the dataset shown (cached by build id and scenario hash, so a second
look never re-solves). The two maps are coloured together (the same new unit has the same
colour on both) and outline the units grouped differently (:func:`.mapping.compare_maps`);
they follow each other when one is panned or zoomed (:func:`.mapping.synced`). The table gives
A, B and the difference for every key figure (the Comparison's rows, named and defined by
:mod:`atr_model.presentation.view`, "below the floor" naming the floor of both plans), each
figure's definition on hover; the units that differ are listed by name, with the new units they
belong to by name ("Dostuk + 2"), and can be drawn on one map.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pandas as pd
import streamlit as st

from atr_model.errors import ScenarioError
from atr_model.presentation import maps
from atr_model.presentation.app import cache, scenario_io
from atr_model.presentation.app.context import AppContext, scenario_file_label, scenario_from_choice
from atr_model.presentation.app.mapping import (
    compare_maps,
    comparison,
    comparison_table,
    diff_map,
    show_clickable_map,
    synced,
)
from atr_model.presentation.app.versions import COMPARE_PREFIX
from atr_model.presentation.app.versions_view import version_choices, version_result_folder
from atr_model.presentation.i18n import t
from atr_model.presentation.markdown_text import md_text
from atr_model.scenarios import Comparison

__all__ = ["view_compare", "differ_table", "comparison_html", "COMPARE_MAP_HEIGHT", "SYNC_GROUP"]

#: Height of each of the two maps (two fit beside each other at 1024 px and above).
COMPARE_MAP_HEIGHT = 460
#: The sync group of the two compare maps.
SYNC_GROUP = "compare"


def _compare_choices(lang: str, ctx: AppContext | None = None) -> dict[str, str]:
    """Picker entries: the current scenario, each scenario file by its title in ``lang``, and
    the session's plan versions (:mod:`.versions_view`)."""
    choices = {"current": t("compare.current", lang)}
    choices.update({str(p): scenario_file_label(p, lang) for p in scenario_io.scenario_files()})
    if ctx is not None:
        choices.update(version_choices(ctx))
    return choices


def _folder_for(choice: str, ctx: AppContext) -> str:
    if choice.startswith(COMPARE_PREFIX):
        return version_result_folder(ctx, choice[len(COMPARE_PREFIX):])
    scenario = ctx.scenario if choice == "current" else scenario_from_choice(choice)
    if scenario is None or ctx.source is None:
        raise ScenarioError("the current scenario is not valid; fix the criteria in the sidebar")
    return cache.run(ctx.source, scenario_io.with_dataset(scenario, ctx.dataset_key), out_root=ctx.results_root)


def _pickers(ctx: AppContext) -> None:
    lang = ctx.lang
    choices = _compare_choices(lang, ctx)
    keys = list(choices)
    c1, c2 = st.columns(2)
    a = c1.selectbox(t("compare.a", lang), keys, index=0, format_func=lambda k: choices[k], key="compare_a")
    default_b = next((i for i, k in enumerate(keys) if k != a and "status" in k), min(1, len(keys) - 1))
    b = c2.selectbox(t("compare.b", lang), keys, index=default_b, format_func=lambda k: choices[k], key="compare_b")
    # The button has a row of its own: beside the pickers it was cut off at 1024 px.
    if st.button(t("compare.run", lang), key="compare_run", type="primary") and a is not None and b is not None:
        with st.spinner(t("run.status", lang)):
            # the choices, not their labels: the labels follow a later language switch
            st.session_state["compare"] = (_folder_for(a, ctx), _folder_for(b, ctx), a, b)


def _side_by_side(ctx: AppContext, folder_a: str, folder_b: str, label_a: str, label_b: str) -> None:
    lang = ctx.lang
    if ctx.dataset is None or ctx.source is None:
        return
    left, right = st.columns(2)
    rendered = compare_maps(folder_a, folder_b, lang, ctx.source, ctx.dataset.build_id)
    for column, drawn, label, key in zip((left, right), rendered, (label_a, label_b), ("compare_map_a", "compare_map_b")):
        with column:
            st.markdown(f"**{md_text(label)}**")
            show_clickable_map(synced(drawn, SYNC_GROUP), key=key, ctx=ctx, height=COMPARE_MAP_HEIGHT)
    st.caption(t("compare.synced", lang))


def view_compare(ctx: AppContext) -> None:
    """Two scenarios side by side: synced maps, the key-figure table, the units that differ."""
    lang = ctx.lang
    st.subheader(t("compare.title", lang))
    if ctx.dataset is None or ctx.source is None:
        return
    _pickers(ctx)
    chosen = st.session_state.get("compare")
    if not chosen:
        return
    folder_a, folder_b, choice_a, choice_b = chosen
    choices = _compare_choices(lang, ctx)
    label_a, label_b = (choices.get(c, Path(c).stem) for c in (choice_a, choice_b))
    changes = comparison(folder_a, folder_b)
    _side_by_side(ctx, folder_a, folder_b, label_a, label_b)
    st.markdown(f"**{t('kpi.table', lang)}**")
    st.caption(t("compare.table_help", lang))
    st.markdown(comparison_html(changes, folder_a, folder_b, label_a, label_b, lang), unsafe_allow_html=True)
    n_differ = len(changes.changed_units)
    if not n_differ:
        st.success(t("compare.same", lang))
        return
    st.markdown(f"**{t('compare.differ', lang, n=n_differ)}**")
    st.dataframe(differ_table(changes, label_a, label_b, ctx, (folder_a, folder_b)), hide_index=True, width="stretch",
                 height=300)
    if st.toggle(t("compare.diff_map", lang), key="compare_diff_map"):
        show_clickable_map(
            diff_map(folder_a, folder_b, label_a, label_b, lang, ctx.source, ctx.dataset.build_id), key="diff_map", ctx=ctx
        )


def comparison_html(changes: Comparison, folder_a: str, folder_b: str, label_a: str, label_b: str, lang: str) -> str:
    """The key-figure table of a comparison of two result folders (:func:`.mapping.comparison_table`
    with both results' KPIs, so estimates are marked and both floors named as in each result)."""
    return comparison_table(changes.kpis, cache.result(folder_a).kpis, cache.result(folder_b).kpis, label_a, label_b, lang)


def differ_table(
    changes: Comparison, label_a: str, label_b: str, ctx: AppContext, folders: tuple[str, str] | None = None
) -> pd.DataFrame:
    """The units grouped differently in two plans, with who joined and who left.

    Units and new units are shown by name (the result view's: "Dostuk + 2"), each plan's new
    unit id in a column of its own beside its name; without the folders (``folders``) the
    new units are shown by id.
    """
    lang = ctx.lang
    views = [cache.view(f, lang) for f in folders] if folders else []
    names: dict[str, str] = {}
    for shown in reversed(views):
        names.update(shown.unit_name)
    if not names and ctx.layers is not None:
        names = maps.unit_names(ctx.layers, lang)

    def listed(codes: str) -> str:
        return ", ".join(names.get(c, c) for c in str(codes).split(";") if c)

    def new_unit(ids: pd.Series, index: int) -> list[str]:
        if not views:
            return [str(u) for u in ids]
        return [views[index].new_unit_name.get(str(u), str(u)) if str(u) else "" for u in ids]

    changed = changes.changed_units
    return cast("pd.DataFrame", pd.DataFrame({
        t("field.name", lang): [names.get(str(c), n) for c, n in zip(changed["unit_code"], changed["unit_name"])],
        t("field.code", lang): changed["unit_code"],
        f"{t('field.new_unit', lang)} ({label_a})": new_unit(changed["new_unit_id_a"], 0),
        f"{t('field.new_unit', lang)} ({label_b})": new_unit(changed["new_unit_id_b"], 1),
        t("compare.joined", lang): [listed(v) for v in changed["joined"]],
        t("compare.left", lang): [listed(v) for v in changed["left"]],
        f"{t('field.new_unit_id', lang)} ({label_a})": changed["new_unit_id_a"],
        f"{t('field.new_unit_id', lang)} ({label_b})": changed["new_unit_id_b"],
    }))
