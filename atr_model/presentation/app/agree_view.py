"""Agreement view: load a reference plan and see how far the current result is from it (issue 24).

The reference is uploaded as a CSV (within the app's upload limit, :func:`.context.upload_refused`)
in either format of ``reference/README.md`` (units by code, or by raion and name, resolved
against the dataset shown). The view shows the overall agreement and what the reference did in
effect, the per-raion table and the units grouped differently (texts of
:mod:`atr_model.presentation.report.agreement`, the report's own), and a map that colours each
unit by its agreement (:func:`atr_model.presentation.maps.agreement.agreement_map`). Reference
units outside the territory shown are left out (a raion or oblast view scores its own units).
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from atr_model.errors import ATRError
from atr_model.presentation.app import cache
from atr_model.presentation.app.context import AppContext, current_result, show_error, upload_refused
from atr_model.presentation.app.folium_view import RenderedMap, render_map
from atr_model.presentation.app.mapping import show_clickable_map
from atr_model.presentation.i18n import t
from atr_model.presentation.maps.agreement import agreement_map
from atr_model.presentation.report.agreement import agreement_lines, differences_table, raion_table
from atr_model.presentation.view import unit_names
from atr_model.scenarios import (
    Agreement,
    Reference,
    agreement,
    limits,
    reference_from_bytes,
    reference_from_table,
    unit_agreement,
)

__all__ = ["view_agree", "REFERENCE_KEY"]

#: Session key of the uploaded reference (name, bytes), kept across views.
REFERENCE_KEY = "agree_reference"
_UPLOADER_KEY = "agree_upload"


def _reference_file(lang: str) -> tuple[str, bytes] | None:
    upload = st.file_uploader(t("agree.upload", lang), type=["csv", "txt", "tsv"], key=_UPLOADER_KEY,
                              help=t("agree.upload_help", lang), max_upload_size=limits().upload_mb)
    if upload is not None and upload_refused(upload.name, upload.size, lang):
        return None
    if upload is not None:
        st.session_state[REFERENCE_KEY] = (upload.name, upload.getvalue())
    kept: tuple[str, bytes] | None = st.session_state.get(REFERENCE_KEY)
    return kept


def _within(reference: Reference, plan: pd.DataFrame) -> tuple[Reference, int]:
    """The reference restricted to the plan's units, and how many of its units were left out."""
    inside = reference.groups["unit_code"].isin(set(plan["unit_code"].astype(str)))
    kept = reference_from_table(reference.groups[inside], where=reference.where, digest=reference.digest)
    return kept, int((~inside).sum())


def _raion_names(ctx: AppContext) -> dict[str, str]:
    if ctx.dataset is None:
        return {}
    raions = ctx.dataset.raions
    column = f"name_{ctx.lang}" if f"name_{ctx.lang}" in raions else "name_en"
    return {str(c): str(n) for c, n in zip(raions["raion_code"], raions[column].fillna(raions["name_en"]))}


@st.cache_resource(show_spinner=False, max_entries=4)
def _agreement_map(digest: str, folder: str, source: str, build_id: str, lang: str, _found: Agreement) -> RenderedMap:
    return render_map(agreement_map(cache.layers(source, build_id), cache.result(folder).assignments,
                                    unit_agreement(_found), lang=lang))


def view_agree(ctx: AppContext) -> None:
    """Upload a reference plan; the current result's agreement with it, in figures, tables and a map."""
    lang = ctx.lang
    st.subheader(t("agree.title", lang))
    chosen = _reference_file(lang)
    result = current_result(ctx)
    if chosen is None or result is None or ctx.dataset is None or ctx.source is None:
        return
    name, data = chosen
    partial = st.toggle(t("agree.partial_option", lang), value=True, key="agree_partial")
    try:
        reference = reference_from_bytes(data, name, ctx.dataset)
        plan = result.assignments.assign(unit_code=result.assignments["unit_code"].astype(str))
        inside, left_out = _within(reference, plan)
        found = agreement(plan, inside, where=str(result.folder.name), partial=partial)
    except ATRError as exc:
        show_error(exc, lang)
        return
    for line in agreement_lines(found, lang):
        st.markdown(f"- {line}")
    if left_out:
        st.caption(t("agree.left_out", lang, n=left_out))
    st.markdown(f"**{t('agree.per_raion', lang)}**")
    st.dataframe(raion_table(found, lang, _raion_names(ctx)), hide_index=True, width="stretch")
    st.markdown(f"**{t('agree.differences', lang)}**")
    differ = differences_table(found, lang, unit_names(result.assignments, lang))
    if differ.empty:
        st.success(t("agree.none", lang))
    else:
        st.dataframe(differ, hide_index=True, width="stretch", height=300)
    digest = hashlib.sha256(data).hexdigest() + str(partial)
    show_clickable_map(_agreement_map(digest, str(result.folder), ctx.source, ctx.dataset.build_id, lang, found),
                       key="agree_map", ctx=ctx)
