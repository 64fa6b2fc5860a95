"""Versions view: named versions of the plan shown, kept in the session, compared and handed on.

Save the plan shown (:func:`current_plan`, the one place this view reads it from) as a version
with a name and a note; load a plan CSV as a version (read and checked as ``atr-model
evaluate`` reads a plan); list, rename and delete versions; download one as the plan CSV or as
the full result package (the ZIP the Downloads view offers); compare any two in the Compare
view; export every version as one file and import such a file (a colleague's). The versions
belong to the session (:func:`atr_model.presentation.app.state.plan_versions`); the logic is
:mod:`atr_model.scenarios.plan_versions` and :mod:`.versions`, without Streamlit.
"""

from __future__ import annotations

import logging

import pandas as pd
import streamlit as st

from atr_model.errors import ATRError, ScenarioError
from atr_model.presentation.app import cache, plan_editing, state, versions
from atr_model.presentation.app.context import AppContext, current_result, show_error, upload_refused
from atr_model.presentation.app.downloads import download_zip
from atr_model.presentation.i18n import format_number, t
from atr_model.scenarios import (
    PlanVersion,
    add_version,
    delete_version,
    find_version,
    limits,
    make_version,
    read_versions,
    rename_version,
    version_from_csv,
    versions_json,
)

__all__ = ["view_versions", "current_plan", "known_codes", "version_result_folder", "version_choices", "VERSIONS_FILE"]

logger = logging.getLogger(__name__)

#: The name of an exported versions file.
VERSIONS_FILE = "atr-plan-versions.json"

#: Session key of a message the Compare button's callback left for the page.
_ERROR_KEY = "_versions_error"
#: Session key of a confirmation to show after the rerun an import starts.
_NOTE_KEY = "_versions_note"


def current_plan(ctx: AppContext) -> pd.DataFrame | None:
    """The plan shown, as the plan table ``atr-model evaluate`` reads
    (``unit_code, new_unit_id, centre_code``): the displayed result's plan as edited on the map
    (edit mode), else its assignment; None before any run. The one place the Versions view reads
    the current plan from."""
    result = current_result(ctx)
    if result is None:
        return None
    edited = plan_editing.edited_plan(st.session_state, str(result.folder))
    return edited if edited is not None else versions.plan_of_result(result)


def known_codes(ctx: AppContext) -> list[str]:
    """The codes the dataset shown knows: its units and its raions (a raion-level plan's units)."""
    if ctx.dataset is None:
        return []
    codes = list(ctx.dataset.units["unit_code"].astype(str))
    return codes + list(ctx.dataset.raions["raion_code"].astype(str))


def _build_id(ctx: AppContext) -> str:
    return ctx.dataset.build_id if ctx.dataset is not None else ""


def _shown_versions(ctx: AppContext) -> tuple[PlanVersion, ...]:
    """The session's versions of the dataset shown (another dataset's codes mean nothing here)."""
    return tuple(v for v in state.plan_versions(st.session_state) if v.dataset_build_id == _build_id(ctx))


def _store(ctx: AppContext, shown: tuple[PlanVersion, ...]) -> None:
    """Keep ``shown`` as the versions of this dataset, the other datasets' ones untouched."""
    others = tuple(v for v in state.plan_versions(st.session_state) if v.dataset_build_id != _build_id(ctx))
    state.set_plan_versions(st.session_state, (*others, *shown))


def _scenario_name(ctx: AppContext) -> str:
    return ctx.scenario.name if ctx.scenario is not None else ""


def _save_current(ctx: AppContext) -> None:
    lang = ctx.lang
    plan = current_plan(ctx)
    with st.form("versions_save", clear_on_submit=True, border=True):
        st.markdown(f"**{t('versions.save_title', lang)}**")
        name = st.text_input(t("versions.name", lang), key="versions_save_name")
        note = st.text_area(t("versions.note", lang), key="versions_save_note", height=68)
        saved = st.form_submit_button(t("versions.save", lang), type="primary", disabled=plan is None)
    if plan is None:
        st.caption(t("versions.no_plan", lang))
        return
    if not saved:
        return
    try:
        version = make_version(plan, name, note=note, scenario_name=_scenario_name(ctx),
                               dataset_build_id=_build_id(ctx), unit_codes=known_codes(ctx))
        _store(ctx, add_version(_shown_versions(ctx), version))
    except ATRError as exc:
        show_error(exc, lang)
        return
    st.success(t("versions.saved", lang, name=version.name))


def _load_csv(ctx: AppContext) -> None:
    lang = ctx.lang
    with st.expander(t("versions.load_title", lang)):
        upload = st.file_uploader(t("versions.load_file", lang), type=["csv", "txt", "tsv"], key="versions_csv",
                                  max_upload_size=limits().upload_mb)
        name = st.text_input(t("versions.name", lang), key="versions_csv_name")
        if not st.button(t("versions.load", lang), key="versions_csv_load", disabled=upload is None):
            return
        if upload is None or upload_refused(upload.name, upload.size, lang):
            return
        try:
            version = version_from_csv(upload.getvalue(), upload.name, name or upload.name, note="",
                                       scenario_name=_scenario_name(ctx), dataset_build_id=_build_id(ctx),
                                       unit_codes=known_codes(ctx))
            if ctx.scenario is not None and ctx.dataset is not None and ctx.source is not None:
                # measured at once as evaluate measures it: a plan that leaves units out is refused now
                versions.version_folder(version, ctx.scenario, ctx.dataset, out_root=ctx.results_root,
                                        travel_model=cache.travel_model_for(ctx.source, ctx.scenario))
            _store(ctx, add_version(_shown_versions(ctx), version))
        except ATRError as exc:
            show_error(exc, lang)
            return
        st.success(t("versions.saved", lang, name=version.name))


def _table(shown: tuple[PlanVersion, ...], lang: str) -> None:
    st.dataframe(
        pd.DataFrame({
            t("versions.name", lang): [v.name for v in shown],
            t("versions.note", lang): [v.note for v in shown],
            t("versions.created", lang): [v.created.replace("T", " ").replace("+00:00", " UTC") for v in shown],
            t("sidebar.scenario", lang): [v.scenario_name for v in shown],
            t("versions.new_units", lang): [format_number(v.plan["new_unit_id"].nunique(), lang) for v in shown],
        }),
        hide_index=True, width="stretch",
    )


def _folder(ctx: AppContext, version: PlanVersion) -> str:
    """The version's result folder under the current scenario (measured on first use)."""
    if ctx.scenario is None or ctx.dataset is None or ctx.source is None:
        raise ScenarioError("the current scenario is not valid; fix the criteria in the sidebar")
    return str(versions.version_folder(version, ctx.scenario, ctx.dataset, out_root=ctx.results_root,
                                       travel_model=cache.travel_model_for(ctx.source, ctx.scenario)))


def version_result_folder(ctx: AppContext, name: str) -> str:
    """The result folder of the session's version ``name`` (Compare's pickers offer versions)."""
    return _folder(ctx, find_version(_shown_versions(ctx), name))


def version_choices(ctx: AppContext) -> dict[str, str]:
    """Compare's picker entries of the session's versions: ``version:<name>`` -> label."""
    return {versions.COMPARE_PREFIX + v.name: t("versions.choice", ctx.lang, name=v.name) for v in _shown_versions(ctx)}


def _one_version(ctx: AppContext, shown: tuple[PlanVersion, ...]) -> None:
    """Rename, delete or download the version picked."""
    lang = ctx.lang
    names = [v.name for v in shown]
    picked = st.selectbox(t("versions.pick", lang), names, key="versions_pick")
    if picked is None:
        return
    version = find_version(shown, picked)
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    new_name = c1.text_input(t("versions.rename_to", lang), value=version.name, key=f"versions_rename_{version.name}")
    if c2.button(t("versions.rename", lang), key="versions_rename", width="stretch"):
        try:
            _store(ctx, rename_version(shown, version.name, new_name))
        except ATRError as exc:
            show_error(exc, lang)
        else:
            st.rerun()
    b1, b2, b3 = st.columns(3)
    stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in version.name)
    b1.download_button(f"⬇ {t('versions.download_csv', lang)}", version.plan_csv(), file_name=f"{stem}.csv",
                       mime="text/csv", key="versions_dl_csv", width="stretch")
    if b2.button(t("versions.prepare_zip", lang), key="versions_zip", width="stretch"):
        try:
            with st.spinner(t("plan.checking", lang)):
                st.session_state["_versions_zip"] = (version.name, download_zip(_folder(ctx, version), lang))
        except ATRError as exc:
            show_error(exc, lang)
    kept = st.session_state.get("_versions_zip")
    if kept and kept[0] == version.name:
        b2.download_button(f"⬇ {t('downloads.zip', lang)}", kept[1], file_name=f"{stem}.zip", mime="application/zip",
                           key="versions_dl_zip", width="stretch")
    if b3.button(t("versions.delete", lang), key="versions_delete", width="stretch"):
        _store(ctx, delete_version(shown, version.name))
        st.rerun()


def _open_compare(ctx: AppContext, name_a: str, name_b: str) -> None:
    """The Compare button's callback: measure both versions, hand them to the Compare view and
    show it (a callback runs before the page, so it may switch the view's radio)."""
    shown = _shown_versions(ctx)
    try:
        folder_a = _folder(ctx, find_version(shown, name_a))
        folder_b = _folder(ctx, find_version(shown, name_b))
    except ATRError as exc:
        st.session_state[_ERROR_KEY] = exc
        return
    prefix = versions.COMPARE_PREFIX
    st.session_state["compare"] = (folder_a, folder_b, prefix + name_a, prefix + name_b)
    st.session_state["compare_a"] = prefix + name_a
    st.session_state["compare_b"] = prefix + name_b
    st.session_state["view"] = "compare"


def _compare(ctx: AppContext, shown: tuple[PlanVersion, ...]) -> None:
    lang = ctx.lang
    if len(shown) < 2:
        return
    names = [v.name for v in shown]
    st.markdown(f"**{t('versions.compare_title', lang)}**")
    c1, c2 = st.columns(2)
    a = c1.selectbox("A", names, index=0, key="versions_cmp_a")
    b = c2.selectbox("B", names, index=1, key="versions_cmp_b")
    st.button(t("versions.compare", lang), key="versions_compare", type="primary", disabled=a is None or b is None,
              on_click=_open_compare, args=(ctx, a or "", b or ""))
    error = st.session_state.pop(_ERROR_KEY, None)
    if error is not None:
        show_error(error, lang)


def _export_import(ctx: AppContext, shown: tuple[PlanVersion, ...]) -> None:
    lang = ctx.lang
    st.markdown(f"**{t('versions.file_title', lang)}**")
    st.caption(t("versions.file_help", lang))
    if shown:
        st.download_button(f"⬇ {t('versions.export', lang)}", versions_json(shown, _build_id(ctx)).encode("utf-8"),
                           file_name=VERSIONS_FILE, mime="application/json", key="versions_export")
    upload = st.file_uploader(t("versions.import", lang), type=["json"], key="versions_import",
                              max_upload_size=limits().upload_mb)
    if upload is None or upload_refused(upload.name, upload.size, lang):
        return
    marker = f"{upload.name}:{upload.size}:{upload.file_id}"
    if st.session_state.get("_versions_import_seen") == marker:
        return  # imported already; the uploader keeps the file across reruns
    st.session_state["_versions_import_seen"] = marker
    try:
        loaded = read_versions(upload.getvalue(), dataset_build_id=_build_id(ctx), unit_codes=known_codes(ctx),
                               where=upload.name)
        merged = shown
        for version in loaded:
            merged = add_version(merged, version)
    except ATRError as exc:
        show_error(exc, lang)
        return
    _store(ctx, merged)
    st.session_state[_NOTE_KEY] = t("versions.imported", lang, n=len(loaded), name=upload.name)
    st.rerun()  # the list above shows the imported versions


def view_versions(ctx: AppContext) -> None:
    """Save, list, rename, delete, download, compare, export and import named plan versions."""
    lang = ctx.lang
    st.subheader(t("versions.title", lang))
    st.caption(t("versions.help", lang))
    if ctx.dataset is None:
        return
    note = st.session_state.pop(_NOTE_KEY, None)
    if note:
        st.success(note)
    _save_current(ctx)
    _load_csv(ctx)
    shown = _shown_versions(ctx)
    if shown:
        st.markdown(f"**{t('versions.list', lang, n=len(shown))}**")
        _table(shown, lang)
        _one_version(ctx, shown)
        _compare(ctx, shown)
    else:
        st.info(t("versions.none", lang))
    _export_import(ctx, shown)
