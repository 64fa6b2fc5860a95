"""The Streamlit app: sidebar (data, scenario, criteria, run), the shareable link and the views.

``streamlit run app.py`` calls :func:`main`. The first screen is the Kyrgyz dataset when it is
built in the cache (else the demo, with how to build the real one), fitted to the country,
with the current units drawn at once and the default scenario one click away. The page state
that matters for sharing (dataset, territory, scenario, language) lives in the URL's query
parameters, so a copied link restores the view.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeGuard, cast

import numpy as np
import streamlit as st
from PIL import Image
from streamlit.runtime.uploaded_file_manager import UploadedFile

from atr_model.data import KYRGYZ_TERMS, dataset_terms
from atr_model.data.dataset import Dataset
from atr_model.errors import ATRError
from atr_model.presentation import maps
from atr_model.presentation.app import cache, dataset_upload, datasets, edits, results, scenario_io, signin, state, views
from atr_model.presentation.app.context import (
    AppContext,
    run_current,
    scenario_file_label,
    scenario_from_choice,
    show_error,
    show_errors,
    stale_note,
    upload_refused,
)
from atr_model.presentation.app.criteria_editor import CHOICE_WIDGETS, edit_model, is_editor_key
from atr_model.presentation.app.mapping import forget_view
from atr_model.presentation.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    STRINGS,
    current_terms,
    dataset_label,
    display_name,
    localized,
    set_terms,
    t,
)
from atr_model.presentation.markdown_text import md_text
from atr_model.scenarios import limits

__all__ = ["main", "AppContext", "show_errors", "run_current", "VIEWS", "LINK_PARAMS"]

logger = logging.getLogger(__name__)

VIEWS = ("map", "compare", "edits", "plan", "downloads", "concept", "robustness", "agree", "versions")
#: Query parameters of a shareable link -> session keys of the widgets they set.
LINK_PARAMS = {"dataset": "dataset_key", "territory": "raion", "scenario": "scenario_choice", "lang": "lang"}

_CSS = """
<style>
.block-container {padding-top: 2.2rem; padding-left: 1.5rem; padding-right: 1.5rem;}
h1 {font-size: 1.8rem !important; padding-bottom: 0.2rem !important;}
[data-testid="stSidebar"] [data-testid="stCaptionContainer"] p {font-size: 0.78rem; line-height: 1.3;}
[data-testid="stMetricValue"] {font-size: 1.45rem;}
/* KPI labels wrap instead of being cut off at 1024 px */
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {white-space: normal !important;
  overflow: visible !important; text-overflow: clip !important; line-height: 1.2;}
[data-testid="stMetric"] {min-width: 0;}
.atr-badge {display:inline-block;padding:1px 8px;border-radius:10px;font-size:0.75rem;margin-left:6px;
  background:#fff3e0;color:#e65100;border:1px solid #ffcc80;vertical-align:middle}
.atr-sub {color:#5f6b7a;margin-top:-0.6rem;margin-bottom:0.4rem}
table.atr-figures {width:100%; border-collapse:collapse; font-size:0.88rem; table-layout:auto}
table.atr-figures th, table.atr-figures td {border-bottom:1px solid #e3e6ea; padding:4px 6px; text-align:right;
  white-space:normal; word-break:normal}
table.atr-figures th:first-child, table.atr-figures td:first-child {text-align:left}
table.atr-figures td.fig-label span {border-bottom:1px dotted #8a94a3; cursor:help}
table.atr-figures td.est {color:#6d4c00}
@media (max-width: 1100px) { h1 {font-size: 1.45rem !important;} [data-testid="stMetricValue"] {font-size: 1.2rem;} }
</style>
"""


def _index(key: str, options: Sequence[Any], default: Any) -> dict[str, Any]:
    """``index=`` for a keyed widget, or nothing when the session (or a link) already set it.

    Streamlit warns when a widget gets both a default and a session value.
    """
    if key in st.session_state and st.session_state[key] in options:
        return {}
    st.session_state.pop(key, None)
    return {"index": list(options).index(default) if default in options else 0}


def uploader_css(lang: str) -> str:
    """CSS that writes the file uploader's built-in English texts in ``lang``.

    Streamlit has no option for the "Upload" button and the "200MB per file" line; the
    style hides them and shows the catalogue's text in their place ('' in English).
    """
    if lang == DEFAULT_LANGUAGE:
        return ""
    button = t("upload.button", lang).replace('"', "")
    limit = t("upload.limit", lang, mb=limits().upload_mb).replace('"', "")
    zone = '[data-testid="stFileUploaderDropzone"]'
    return (
        "<style>"
        f'{zone} button [data-testid="stMarkdownContainer"] p{{font-size:0}}'
        f'{zone} button [data-testid="stMarkdownContainer"] p::after{{content:"{button}";font-size:0.875rem}}'
        '[data-testid="stFileUploaderDropzoneInstructions"] span{font-size:0}'
        f'[data-testid="stFileUploaderDropzoneInstructions"] span::after{{content:"{limit}";font-size:0.75rem}}'
        "</style>"
    )


# ---------------------------------------------------------------------------------------------
# sidebar


def _language() -> str:
    codes = list(LANGUAGES)
    lang = st.session_state.get("lang", DEFAULT_LANGUAGE)
    lang = st.selectbox(
        t("lang.label", lang), codes, format_func=lambda c: LANGUAGES[c], key="lang",
        **_index("lang", codes, DEFAULT_LANGUAGE),
    )
    if st.session_state.get("_lang_seen") not in (None, lang):
        refresh_widget_labels(st.session_state)
    st.session_state["_lang_seen"] = lang
    return cast("str", lang)


#: Widget values of these types are re-sent after a language switch (choices and texts).
_RESENT_TYPES = (str,)


def refresh_widget_labels(session: Any) -> None:
    """Make every keyed choice widget show its value in the new language in this same rerun.

    Streamlit keeps a keyed selectbox's, multiselect's or radio's identity when its
    ``format_func`` changes, and the browser keeps showing the label it last received for
    the value until the value itself changes: the dropdowns lagged one rerun behind a
    language switch. Writing each value back into session state (before its widget is drawn
    in this run: the language selector is the first widget of the page) marks it as set by
    the app, so Streamlit sends the value with its newly formatted label.
    """
    editor_choices = set(session.get(CHOICE_WIDGETS, ()))
    for key in list(session.keys()):
        if key == "lang" or str(key).startswith("_") or key in state.defaults():
            continue
        if is_editor_key(str(key)) and key not in editor_choices:
            continue  # the editor's inputs start from a value; only its choices need the label
        value = session[key]
        if isinstance(value, bool):
            continue  # buttons and switches: their values cannot or need not be re-sent
        if isinstance(value, _RESENT_TYPES) or (
            isinstance(value, (list, tuple)) and all(isinstance(v, _RESENT_TYPES) for v in value)
        ):
            session[key] = value


def _default_dataset(keys: Sequence[str]) -> str:
    """The Kyrgyz build in the cache when there is one, else the demo."""
    built = str(datasets.kyrgyz_build_path())
    return built if built in keys else datasets.DEMO_KEY


def _dataset_picker(ctx: AppContext) -> None:
    lang = ctx.lang
    pending = st.session_state.pop("_dataset_pending", None)
    if pending:  # an upload just checked: select it before the selector is drawn
        st.session_state["dataset_key"] = pending
    uploads = dataset_upload.uploads_root(ctx.user)
    choices = datasets.dataset_choices(uploads=uploads)
    if not choices:
        st.warning(t("dataset.demo_missing", lang))
        return
    keys = [c.key for c in choices]
    labels = {c.key: _choice_label(c, lang) for c in choices}
    key = st.selectbox(
        t("sidebar.dataset", lang), keys, format_func=lambda k: labels.get(k, k), key="dataset_key",
        **_index("dataset_key", keys, _default_dataset(keys)),
    )
    if key == datasets.DEMO_KEY and str(datasets.kyrgyz_build_path()) not in keys:
        st.caption(t("dataset.build_hint", lang))
    if st.session_state.get("_dataset_seen") not in (None, key):
        state.clear_edits(st.session_state)  # unit codes of one dataset mean nothing in another
        state.forget_result(st.session_state)
        forget_view()
        st.session_state.pop("raion", None)
    st.session_state["_dataset_seen"] = key
    with show_errors(lang), st.spinner(t("run.load_data", lang)):
        full = cache.dataset(key)
        ctx.dataset_key = key
        ctx.territory = _territory_picker(full, lang)
        ctx.source = cache.source(key, ctx.territory)
        ctx.dataset = cache.dataset(ctx.source)
        ctx.layers = cache.layers(ctx.source, ctx.dataset.build_id)
        set_terms(dataset_terms(ctx.dataset))  # every text from here on in this dataset's words
    _uploaded_dataset(ctx, uploads)


def _uploaded_dataset(ctx: AppContext, uploads: Path) -> None:
    """A dataset GeoPackage uploaded here: checked against the contract, kept in the user's own
    folder and selected; a file that breaks the contract gets one message naming layer, column
    and row."""
    lang = ctx.lang
    upload = st.file_uploader(t("dataset.upload", lang), type=["gpkg"], key="dataset_upload",
                              max_upload_size=limits().upload_mb, help=t("dataset.upload_help", lang))
    if not _new_upload(upload, "_dataset_upload", lang):
        return
    try:
        with st.spinner(t("run.load_data", lang)):
            path = dataset_upload.store_uploaded_dataset(upload.getvalue(), upload.name, uploads)
    except ATRError as exc:
        st.session_state["_dataset_upload_error"] = exc
        show_error(exc, lang)
        return
    st.session_state["_dataset_pending"] = str(path)
    st.rerun()


def _choice_label(choice: datasets.DatasetChoice, lang: str) -> str:
    """A dataset selector entry in ``lang`` (the demo, the Kyrgyz build, built files)."""
    if choice.key == datasets.DEMO_KEY:
        return t("dataset.demo", lang)
    if choice.key == datasets.KYRGYZ_KEY:
        return t("dataset.kyrgyz_build", lang)
    english = STRINGS["dataset.kyrgyz"]["en"]
    if choice.label.startswith(english):
        return t("dataset.kyrgyz", lang) + choice.label[len(english):]
    return choice.label


def _territory_options(full: Dataset, lang: str) -> dict[str, str]:
    """Territory choices, code -> label: the whole territory (""), each oblast, then each raion.

    Oblasts and raions are each sorted by name; an oblast whose code is also a raion's (Bishkek
    and Osh cities) is offered once, as the raion (both stand for the same units).
    """
    raions = {str(r["raion_code"]): f"{display_name(r, lang, code_column='raion_code')} ({r['raion_code']})"
              for r in full.raions.to_dict("records")}
    oblasts = {
        str(o["oblast_code"]): t("sidebar.territory_oblast", lang,
                                 name=display_name(o, lang, code_column="oblast_code"), code=o["oblast_code"])
        for o in full.oblasts.to_dict("records") if str(o["oblast_code"]) not in raions
    }
    return {"": t("sidebar.whole", lang), **{c: oblasts[c] for c in sorted(oblasts, key=oblasts.__getitem__)},
            **{c: raions[c] for c in sorted(raions, key=raions.__getitem__)}}


def _territory_picker(full: Dataset, lang: str) -> str | None:
    """Work on the whole territory, one oblast or one raion (fast re-solves while editing)."""
    labels = _territory_options(full, lang)
    options = list(labels)
    choice = st.selectbox(
        t("sidebar.territory", lang), options, key="raion", **_index("raion", options, ""),
        format_func=lambda c: labels[c], help=t("sidebar.territory_help", lang),
    )
    if st.session_state.get("_raion_seen", "") != choice:
        # A plan of another territory is of other units: it goes at once, and so does its view.
        state.forget_result(st.session_state)
        forget_view()
        st.session_state["_raion_seen"] = choice
    return choice or None


def _new_upload(upload: UploadedFile | None, key: str, lang: str) -> TypeGuard[UploadedFile]:
    """Whether ``upload`` is a file to read now: within the size limit and not the one already
    read (Streamlit hands the same upload to every rerun); an earlier refusal of that same file is
    shown again. ``key`` prefixes the session keys of one uploader (``<key>_seen``, ``<key>_error``)."""
    if upload is None or upload_refused(upload.name, upload.size, lang):
        return False
    marker = f"{upload.name}:{upload.size}:{upload.file_id}"
    if st.session_state.get(f"{key}_seen") == marker:
        if st.session_state.get(f"{key}_error"):
            show_error(st.session_state[f"{key}_error"], lang)
        return False
    st.session_state[f"{key}_seen"] = marker
    st.session_state[f"{key}_error"] = None
    return True


def _uploaded_scenario(lang: str) -> None:
    upload = st.file_uploader(t("sidebar.upload", lang), type=["yaml", "yml"], key="upload",
                              max_upload_size=limits().upload_mb)
    if not _new_upload(upload, "_upload", lang):
        return
    try:
        scenario = scenario_io.parse_uploaded_scenario(upload.getvalue(), upload.name)
    except ATRError as exc:
        st.session_state["_upload_error"] = exc
        show_error(exc, lang)
        return
    st.session_state["uploaded"] = scenario_io.scenario_to_dict(scenario)
    st.session_state["uploaded_name"] = upload.name
    st.session_state["scenario_choice"] = "upload"


def _scenario_choices(lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    choices = {str(p): scenario_file_label(p, lang) for p in scenario_io.scenario_files()}
    if st.session_state.get("uploaded"):
        choices["upload"] = f"⤴ {st.session_state.get('uploaded_name') or 'upload'}"
    return choices


def _scenario_picker(ctx: AppContext) -> None:
    lang = ctx.lang
    _uploaded_scenario(lang)
    choices = _scenario_choices(lang)
    if not choices:
        return
    default = scenario_io.default_scenario_file(ctx.dataset_key)
    choice = st.selectbox(
        t("sidebar.scenario", lang), list(choices), format_func=lambda k: choices[k], key="scenario_choice",
        **_index("scenario_choice", list(choices), str(default) if default else None),
    )
    ctx.scenario_choice = choice
    if st.session_state.get("_scenario_seen") != choice:
        st.session_state["_scenario_seen"] = choice
        st.session_state["criteria_gen"] = int(st.session_state.get("criteria_gen", 0)) + 1
    with show_errors(lang):
        ctx.base_scenario = scenario_from_choice(choice)
        ctx.base_label = localized(ctx.base_scenario, "title", lang) or choices[choice]


def _criteria_editor(ctx: AppContext) -> None:
    lang = ctx.lang
    if ctx.base_scenario is None:
        return
    base = scenario_io.scenario_to_dict(ctx.base_scenario)
    gen = st.session_state.get("criteria_gen", 0)
    st.subheader(t("sidebar.criteria", lang), divider="gray")
    criteria_cls = type(ctx.base_scenario.criteria)
    edited, errors = edit_model(criteria_cls, base.get("criteria", {}), key=f"crit{gen}", lang=lang)
    data = dict(base)
    data["criteria"] = edited
    if ctx.dataset_key:
        # the downloaded YAML reruns on the data shown, on any machine ("kyrgyz", not a cache path)
        data["dataset"] = datasets.portable_dataset(ctx.dataset_key)
        # an imported dataset has no roads of its own: 'auto' is the travel model built beside it
        data = scenario_io.with_data_travel(data, cache.dataset(ctx.dataset_key))
    with st.expander(t("sidebar.solver", lang)):
        solver_data, solver_errors = edit_model(
            type(ctx.base_scenario.solver), base.get("solver", {}), key=f"solver{gen}", lang=lang, depth=1, catalogue="solver"
        )
    data["solver"] = solver_data
    errors.extend(solver_errors)
    for error in errors:
        st.error(error)
    if errors:
        return
    with show_errors(lang):
        edited_scenario = scenario_io.scenario_from_dict(data, ctx.base_label or "edited scenario")
        ctx.scenario = edits.apply_edits(edited_scenario, state.edits(st.session_state))
        ctx.scenario_hash = scenario_io.scenario_key(ctx.scenario)


def _sidebar(ctx: AppContext) -> None:
    with st.sidebar:
        st.markdown("### :material/map: atr-model")
        ctx.lang = _language()
        st.subheader(t("sidebar.data", ctx.lang), divider="gray")
        _dataset_picker(ctx)
        _scenario_picker(ctx)
        run_area = st.container()  # the button sits above the long criteria editor
        _criteria_editor(ctx)
        with run_area:
            disabled = ctx.scenario is None or ctx.dataset is None
            if st.button(t("sidebar.run", ctx.lang), type="primary", key="run", disabled=disabled, width="stretch"):
                run_current(ctx)
            done = st.session_state.get("last_run_done")  # (message key, seconds) of the last run
            suffix = f" · {t(done[0], ctx.lang, seconds=done[1])}" if done else ""
            st.caption(t("run.count", ctx.lang, n=st.session_state.get("run_count", 0)) + suffix)
        signin.account_box(ctx.user, ctx.lang)


# ---------------------------------------------------------------------------------------------
# page


def _header(ctx: AppContext) -> None:
    lang = ctx.lang
    st.title(t("app.title", lang))
    parts = [t("app.subtitle", lang)]
    if ctx.dataset is not None:
        kind = str(ctx.dataset.metadata.get("kind", ""))
        name = dataset_label(ctx.dataset.name, kind, lang)
        parts.append(f"{t('sidebar.dataset', lang)}: **{md_text(name)}**")
    if ctx.base_label:
        # titles, names and descriptions come from files a user brings: text, never Markdown
        parts.append(f"{t('sidebar.scenario', lang)}: **{md_text(ctx.base_label)}**")
    st.markdown(f"<div class='atr-sub'>{' · '.join(parts[:1])}</div>", unsafe_allow_html=True)
    if len(parts) > 1:
        st.markdown(" · ".join(parts[1:]))
    description = localized(ctx.base_scenario, "description", lang) if ctx.base_scenario is not None else ""
    if description:
        st.caption(md_text(description))
    stale_note(ctx)  # under the title, on every view: an old plan never passes for the new settings


def _page_icon() -> Image.Image:
    """A small map-blue square with a white centre dot, drawn here: a ``:material/...:`` icon
    is fetched from fonts.gstatic.com, which an offline machine cannot reach."""
    icon = np.zeros((32, 32, 3), dtype=np.uint8)
    icon[...] = (21, 101, 192)
    yy, xx = np.mgrid[:32, :32]
    icon[(yy - 16) ** 2 + (xx - 16) ** 2 <= 36] = (255, 255, 255)
    return Image.fromarray(icon)


def _restore_from_link(user: str) -> None:
    """Once per session, before any widget is drawn: set what a shared link names.

    Unknown values are ignored (the widget keeps its default): a link from another machine
    may name a dataset or raion this one does not have.
    """
    if st.session_state.get("_link_read"):
        return
    st.session_state["_link_read"] = True
    params = st.query_params
    if params.get("lang") in LANGUAGES:
        st.session_state["lang"] = params["lang"]
    dataset_key = datasets.dataset_key_from_link(params.get("dataset", ""), dataset_upload.uploads_root(user))
    if dataset_key:
        st.session_state["dataset_key"] = dataset_key
    if params.get("territory"):
        st.session_state["raion"] = params["territory"]
        st.session_state["_raion_seen"] = params["territory"]
    scenario = next((p for p in scenario_io.scenario_files() if p.stem == params.get("scenario")), None)
    if scenario is not None:
        st.session_state["scenario_choice"] = str(scenario)


def _write_link(ctx: AppContext) -> None:
    """Keep the URL's query parameters in step with the view (only changed ones are written)."""
    choice = ctx.scenario_choice
    wanted = {
        "dataset": (datasets.dataset_link_name(ctx.dataset_key, dataset_upload.uploads_root(ctx.user))
                    if ctx.dataset_key else None),
        "territory": ctx.territory or None,
        "scenario": Path(choice).stem if choice and choice != "upload" else None,
        "lang": ctx.lang,
    }
    for name, value in wanted.items():
        if value is None:
            if name in st.query_params:
                del st.query_params[name]
        elif st.query_params.get(name) != value:
            st.query_params[name] = value


def _views() -> tuple[str, ...]:
    """The views offered: the Kyrgyz Concept's page only for the Kyrgyz data (another country's
    dataset brings no Concept: docs/datasets.md)."""
    if current_terms().is_kyrgyz:
        return VIEWS
    if st.session_state.get("view") == "concept":
        st.session_state["view"] = VIEWS[0]
    return tuple(v for v in VIEWS if v != "concept")


def main() -> None:
    """Entry point of ``streamlit run app.py``."""
    lang = st.session_state.get("lang", DEFAULT_LANGUAGE)
    st.set_page_config(page_title=f"atr-model · {t('app.title', lang)}", page_icon=_page_icon(), layout="wide")
    # nothing of the app (data, results, even the sidebar) before the visitor is signed in
    linked = str(st.query_params.get("lang", ""))
    user = signin.signed_in_user(linked if linked in LANGUAGES else lang)
    state.init(st.session_state)
    set_terms(KYRGYZ_TERMS)  # until the chosen dataset is loaded (this thread may have run another's)
    _restore_from_link(user)
    st.markdown(_CSS, unsafe_allow_html=True)
    ctx = AppContext(lang=st.session_state.get("lang", DEFAULT_LANGUAGE), user=user,
                     results_root=results.results_root(user))
    _sidebar(ctx)
    if ctx.lang != DEFAULT_LANGUAGE:
        st.markdown(uploader_css(ctx.lang), unsafe_allow_html=True)
    _write_link(ctx)
    _header(ctx)
    view = st.radio(
        t("view.label", ctx.lang), _views(), horizontal=True, key="view",
        format_func=lambda v: t(f"view.{v}", ctx.lang), label_visibility="collapsed",
    )
    with show_errors(ctx.lang, maps.unit_names(ctx.layers, ctx.lang) if ctx.layers is not None else None):
        getattr(views, f"view_{view}")(ctx)
