"""The Concept view: the Concept's six criteria, Kyrgyz original beside the unofficial English translation."""

from __future__ import annotations

import streamlit as st

from atr_model.presentation.app import concept
from atr_model.presentation.app.context import AppContext
from atr_model.presentation.i18n import t

__all__ = ["view_concept"]


def view_concept(ctx: AppContext) -> None:
    """The Concept's six criteria, Kyrgyz original beside the unofficial English translation."""
    lang = ctx.lang
    st.subheader(t("concept.title", lang))
    items = concept.concept_criteria()
    if not items:
        st.info(t("concept.missing", lang))
        return
    if lang in ("ky", "ru"):
        # the official text is Kyrgyz; the English translation is unofficial: one click away
        st.caption(t("report.concept_source", lang))
        for item in items:
            st.markdown(f"**{t('criterion.label', lang, n=item.number)}** · {t('concept.original', lang)}\n\n> {item.text_ky}")
        with st.expander(f"{t('concept.english', lang)} ({t('concept.unofficial', lang)})"):
            st.caption(concept.attribution())
            for item in items:
                st.markdown(f"**{item.number}.** {item.text_en}")
        return
    st.caption(concept.attribution())
    for item in items:
        left, right = st.columns(2)
        left.markdown(f"**{t('criterion.label', lang, n=item.number)}** · {t('concept.original', lang)}\n\n> {item.text_ky}")
        right.markdown(
            f"**{t('criterion.label', lang, n=item.number)}** · {t('concept.english', lang)} "
            f"({t('concept.unofficial', lang)})\n\n> {item.text_en}"
        )
