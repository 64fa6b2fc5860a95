"""The downloads view: the result package and its parts (Council summary, map image of the view
shown on the Map page, ZIP, GeoPackage, CSV, workbook, report), named after the scenario, and the
scenario YAML it was computed with, for the CLI."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import streamlit as st

from atr_model.presentation.app import datasets, downloads, results, scenario_io
from atr_model.presentation.app.context import AppContext, current_result, result_is_current
from atr_model.presentation.app.map_view import MAP_VIEW_KEY
from atr_model.presentation.app.results import ResultView
from atr_model.presentation.app.robustness_view import SESSION_KEY as ROBUSTNESS_KEY
from atr_model.presentation.i18n import t
from atr_model.presentation.report import raion_names

__all__ = ["view_downloads", "current_view_png"]

logger = logging.getLogger(__name__)


def _report_html(result: ResultView, lang: str = "en") -> bytes | None:
    try:
        return downloads.report_html(result.folder, lang)
    except Exception as exc:  # the report is a bonus; the folder download still works
        logger.warning("report rendering failed for %s: %s", result.folder, exc)
        return None


@st.cache_data(show_spinner=False, max_entries=8)
def _zip(folder: str, lang: str = "en", _raions: Any = None) -> bytes:
    return downloads.download_zip(Path(folder), lang, _raions)


@st.cache_data(show_spinner=False, max_entries=8)
def _summary(folder: str, lang: str, _raions: Any = None, robustness: str | None = None) -> bytes:
    # the session's robustness run (if of this plan) adds each merger's confidence
    return downloads.summary_html(Path(folder), lang, _raions, robustness)


@st.cache_data(show_spinner=False, max_entries=8)
def _tables(folder: str, lang: str) -> bytes:
    return downloads.tables_xlsx(Path(folder), lang)


@st.cache_data(show_spinner=False, max_entries=8)
def _map_png(folder: str, lang: str, bounds: Any = None) -> bytes:
    return downloads.map_image(Path(folder), lang, bounds)


def current_view_png(folder: str, lang: str) -> bytes:
    """The PNG of the result map as last shown on the Map page (its view), else of the whole territory.

    A view recorded for another result, or one that shows none of its units, gives the
    whole territory.
    """
    seen = st.session_state.get(MAP_VIEW_KEY) or {}
    bounds = seen.get("bounds") if seen.get("folder") == folder else None
    if bounds is not None:
        try:
            return _map_png(folder, lang, bounds)
        except ValueError as exc:
            logger.info("map image of the whole territory: %s", exc)
    return _map_png(folder, lang)


def _raion_names(ctx: AppContext) -> dict[str, str]:
    return raion_names(ctx.dataset.raions if ctx.dataset is not None else None, ctx.lang)


def _scenario_downloads(ctx: AppContext, result: ResultView | None) -> None:
    """The scenario YAML (for the CLI): the settings the result shown was computed with, locks
    included; when the page's settings changed since (an undo, say), those too, apart and
    named as not run yet."""
    lang = ctx.lang
    as_run = results.result_scenario(result) if result is not None else None
    current = ctx.scenario
    if as_run is None and current is None:
        return
    scenario = as_run if as_run is not None else current
    assert scenario is not None  # one of them is, see above
    # portable: `dataset: kyrgyz` / `demo`, never this machine's cache path
    text = scenario_io.portable_scenario_yaml(scenario, ctx.dataset_key)
    name = f"{scenario.name}.yaml"
    c1, c2 = st.columns(2)
    label = t("downloads.yaml_result", lang) if as_run is not None else t("downloads.yaml", lang)
    c1.download_button(f"⬇ {label}", text, file_name=name, mime="application/x-yaml", key="dl_yaml",
                       help=t("downloads.yaml_help", lang))
    if as_run is not None and current is not None and not result_is_current(ctx):
        c2.download_button(
            f"⬇ {t('downloads.yaml_current', lang)}", scenario_io.portable_scenario_yaml(current, ctx.dataset_key),
            file_name=f"{current.name}-not-run.yaml", mime="application/x-yaml", key="dl_yaml_current",
        )
    if as_run is not None:
        with st.expander(t("downloads.settings", lang)):
            st.code(text, language="yaml")
    data_arg = datasets.portable_dataset(ctx.dataset_key)
    st.caption(t("downloads.cli", lang) + (f" ({t('downloads.whole', lang)})" if ctx.territory else ""))
    st.code(f"atr-model run {name} --data {data_arg} --out results/{scenario.name}", language="bash")


def view_downloads(ctx: AppContext) -> None:
    """The result package and its parts, and the scenario YAML it was computed with (locks
    included) for the CLI. Every file is named after the scenario, not the folder's hash."""
    lang = ctx.lang
    st.subheader(t("downloads.title", lang))
    result = current_result(ctx)
    _scenario_downloads(ctx, result)
    if result is None:
        st.info(t("run.none_yet", lang))
        return
    folder = result.folder
    as_run = results.result_scenario(result)
    stem = f"atr-{as_run.name if as_run is not None else folder.name}"  # the scenario, not the folder's hash
    raions = _raion_names(ctx)
    council = st.columns(3)
    council[0].download_button(
        f"⬇ {t('downloads.summary', lang)}", _summary(str(folder), lang, raions, st.session_state.get(ROBUSTNESS_KEY)),
        file_name=f"{stem}-summary-{lang}.html",
        mime="text/html", key="dl_summary", help=t("downloads.summary_help", lang),
    )
    try:
        png = current_view_png(str(folder), lang)
    except ValueError:
        council[1].button(t("downloads.png", lang), disabled=True, help=t("downloads.missing", lang), key="dl_png_off")
    else:
        council[1].download_button(
            f"⬇ {t('downloads.png', lang)}", png, file_name=f"{stem}-map.png", mime="image/png", key="dl_png",
            help=t("downloads.png_help", lang),
        )
    council[2].download_button(
        f"⬇ {t('downloads.zip', lang)}", _zip(str(folder), lang, raions), file_name=f"{stem}.zip",
        mime="application/zip", key="dl_zip", help=t("downloads.zip_help", lang),
    )
    files = [
        ("downloads.gpkg", "new_units.gpkg", "application/geopackage+sqlite3"),
        ("downloads.csv", "assignments.csv", "text/csv"),
    ]
    cols = st.columns(4)
    for col, (label, name, mime) in zip(cols, files):
        path = folder / name
        if path.exists():
            col.download_button(f"⬇ {t(label, lang)}", path.read_bytes(), file_name=f"{stem}-{path.name}", mime=mime,
                                key=f"dl_{label}")
        else:
            col.button(t(label, lang), disabled=True, help=t("downloads.missing", lang), key=f"dl_{label}_off")
    try:
        workbook = _tables(str(folder), lang)  # sheets and headers in the interface's language
    except Exception as exc:  # the workbook is one download among others; the rest still work
        logger.warning("workbook in %s failed for %s: %s", lang, folder, exc)
        cols[2].button(t("downloads.xlsx", lang), disabled=True, help=t("downloads.missing", lang), key="dl_downloads.xlsx_off")
    else:
        cols[2].download_button(
            f"⬇ {t('downloads.xlsx', lang)}", workbook, file_name=f"{stem}-tables-{lang}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="dl_downloads.xlsx",
        )
    html = _report_html(result, lang)
    if html is not None:
        cols[3].download_button(
            f"⬇ {t('downloads.html', lang)}", html, file_name=f"{stem}-report-{lang}.html", mime="text/html", key="dl_html"
        )
    else:
        cols[3].button(t("downloads.html", lang), disabled=True, help=t("downloads.missing", lang), key="dl_html_off")
