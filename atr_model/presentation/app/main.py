"""The Streamlit app: sidebar (data, scenario, criteria, run) and the views.

``streamlit run app.py`` calls :func:`main`. Every user-facing failure is an
:class:`~atr_model.errors.ATRError` shown with ``st.error`` (one readable message, no
traceback); anything else is logged and shown as "unexpected error".
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from atr_model.data.dataset import Dataset
from atr_model.errors import ATRError, ScenarioError
from atr_model.presentation import maps
from atr_model.presentation.app import backend, cache, state
from atr_model.presentation.app.criteria_editor import edit_model
from atr_model.presentation.i18n import DEFAULT_LANGUAGE, LANGUAGES, display_name, t

__all__ = ["main", "AppContext", "show_errors", "run_current"]

logger = logging.getLogger(__name__)

VIEWS = ("map", "compare", "edits", "downloads", "concept")

_CSS = """
<style>
.block-container {padding-top: 2.2rem;}
h1 {font-size: 2.0rem !important; padding-bottom: 0.2rem !important;}
[data-testid="stSidebar"] [data-testid="stCaptionContainer"] p {font-size: 0.78rem; line-height: 1.3;}
[data-testid="stMetricValue"] {font-size: 1.6rem;}
.atr-badge {display:inline-block;padding:1px 8px;border-radius:10px;font-size:0.75rem;margin-left:6px;
  background:#fff3e0;color:#e65100;border:1px solid #ffcc80;vertical-align:middle}
.atr-sub {color:#5f6b7a;margin-top:-0.6rem;margin-bottom:0.4rem}
</style>
"""


@dataclass
class AppContext:
    """What the sidebar decided for this rerun."""

    lang: str
    dataset_key: str | None = None
    raion: str | None = None
    source: str | None = None
    dataset: Dataset | None = None
    layers: maps.DisplayLayers | None = None
    base_scenario: Any = None
    base_label: str = ""
    scenario: Any = None
    scenario_hash: str | None = None


@contextlib.contextmanager
def show_errors(lang: str) -> Iterator[None]:
    """Turn errors inside the block into a message on the page (never a traceback)."""
    try:
        yield
    except ATRError as exc:
        st.error(f"**{t('error.title', lang)}:** {exc}")
    except Exception as exc:  # a bug: log it fully, show one line
        logger.exception("unexpected error in the app")
        st.error(t("error.unexpected", lang, text=f"{type(exc).__name__}: {exc}"))


# ---------------------------------------------------------------------------------------------
# sidebar


def _language() -> str:
    codes = list(LANGUAGES)
    lang = st.session_state.get("lang", DEFAULT_LANGUAGE)
    return st.selectbox(
        t("lang.label", lang), codes, index=codes.index(DEFAULT_LANGUAGE), format_func=lambda c: LANGUAGES[c], key="lang"
    )


def _dataset_picker(ctx: AppContext) -> None:
    lang = ctx.lang
    choices = backend.dataset_choices()
    if not choices:
        st.warning(t("dataset.demo_missing", lang))
        return
    keys = [c.key for c in choices]
    labels = {c.key: (t("dataset.demo", lang) if c.key == backend.DEMO_KEY else c.label) for c in choices}
    key = st.selectbox(t("sidebar.dataset", lang), keys, format_func=lambda k: labels.get(k, k), key="dataset_key")
    if st.session_state.get("_dataset_seen") not in (None, key):
        state.clear_edits(st.session_state)  # unit codes of one dataset mean nothing in another
        st.session_state["result_folder"] = None
        st.session_state["previous_folder"] = None
        st.session_state["compare"] = None
        st.session_state.pop("raion", None)
    st.session_state["_dataset_seen"] = key
    with show_errors(lang), st.spinner(t("run.load_data", lang)):
        full = cache.dataset(key)
        ctx.dataset_key = key
        ctx.raion = _raion_picker(full, lang)
        ctx.source = cache.source(key, ctx.raion)
        ctx.dataset = cache.dataset(ctx.source)
        ctx.layers = cache.layers(ctx.source, ctx.dataset.build_id)


def _raion_picker(full: Dataset, lang: str) -> str | None:
    """Work on the whole territory or on one raion (fast re-solves while editing)."""
    raions = full.raions.sort_values("raion_code")
    names = {str(r["raion_code"]): display_name(r, lang, code_column="raion_code") for r in raions.to_dict("records")}
    options = ["", *sorted(names, key=lambda c: names[c])]
    choice = st.selectbox(
        t("sidebar.territory", lang), options, key="raion",
        format_func=lambda c: t("sidebar.whole", lang) if not c else f"{names[c]} ({c})",
        help=t("sidebar.territory_help", lang),
    )
    if st.session_state.get("_raion_seen", "") != choice:
        # Results of another territory are not comparable with this one's.
        st.session_state["previous_folder"] = None
        st.session_state["_raion_seen"] = choice
    return choice or None


def _uploaded_scenario(lang: str) -> None:
    upload = st.file_uploader(t("sidebar.upload", lang), type=["yaml", "yml"], key="upload")
    if upload is None:
        return
    marker = f"{upload.name}:{upload.size}:{getattr(upload, 'file_id', '')}"
    if st.session_state.get("_upload_seen") == marker:
        if st.session_state.get("_upload_error"):
            st.error(st.session_state["_upload_error"])
        return
    st.session_state["_upload_seen"] = marker
    st.session_state["_upload_error"] = None
    try:
        scenario = backend.parse_scenario_text(upload.getvalue(), upload.name)
    except ATRError as exc:
        st.session_state["_upload_error"] = f"**{t('error.title', lang)}:** {exc}"
        st.error(st.session_state["_upload_error"])
        return
    st.session_state["uploaded"] = backend.scenario_to_dict(scenario)
    st.session_state["uploaded_name"] = upload.name
    st.session_state["scenario_choice"] = "upload"


@st.cache_data(show_spinner=False)
def _load_scenario_file(path: str, mtime: float) -> dict[str, Any]:
    from atr_model.scenarios import load_scenario

    return backend.scenario_to_dict(load_scenario(Path(path)))


def scenario_from_choice(choice: str) -> Any:
    """The Scenario for a picker choice (a file path, or "upload")."""
    if choice == "upload":
        data = st.session_state.get("uploaded")
        if not data:
            raise ScenarioError("no uploaded scenario")
        return backend.scenario_from_dict(data, st.session_state.get("uploaded_name") or "uploaded scenario")
    path = Path(choice)
    data = _load_scenario_file(str(path), path.stat().st_mtime if path.exists() else 0.0)
    return backend.scenario_from_dict(data, path.name)


def _scenario_choices() -> dict[str, str]:
    choices = {str(p): p.stem for p in backend.scenario_files()}
    if st.session_state.get("uploaded"):
        choices["upload"] = f"⤴ {st.session_state.get('uploaded_name') or 'upload'}"
    return choices


def _scenario_picker(ctx: AppContext) -> None:
    lang = ctx.lang
    if not backend.runner_available():
        st.info(t("run.unavailable", lang))
        return
    _uploaded_scenario(lang)
    choices = _scenario_choices()
    if not choices:
        return
    choice = st.selectbox(
        t("sidebar.scenario", lang), list(choices), format_func=lambda k: choices[k], key="scenario_choice"
    )
    if st.session_state.get("_scenario_seen") != choice:
        st.session_state["_scenario_seen"] = choice
        st.session_state["criteria_gen"] = int(st.session_state.get("criteria_gen", 0)) + 1
    with show_errors(lang):
        ctx.base_scenario = scenario_from_choice(choice)
        ctx.base_label = getattr(ctx.base_scenario, "title", None) or choices[choice]


def _criteria_editor(ctx: AppContext) -> None:
    lang = ctx.lang
    if ctx.base_scenario is None:
        return
    base = backend.scenario_to_dict(ctx.base_scenario)
    gen = st.session_state.get("criteria_gen", 0)
    st.subheader(t("sidebar.criteria", lang), divider="gray")
    criteria_cls = type(ctx.base_scenario.criteria)
    edited, errors = edit_model(criteria_cls, base.get("criteria", {}), key=f"crit{gen}", lang=lang)
    data = dict(base)
    data["criteria"] = edited
    if ctx.dataset_key:
        data["dataset"] = ctx.dataset_key  # the downloaded YAML reruns on the data shown
    solver = getattr(ctx.base_scenario, "solver", None)
    if solver is not None and hasattr(type(solver), "model_fields"):
        with st.expander(t("sidebar.solver", lang)):
            solver_data, solver_errors = edit_model(
                type(solver), base.get("solver", {}), key=f"solver{gen}", lang=lang, depth=1
            )
        data["solver"] = solver_data
        errors.extend(solver_errors)
    for error in errors:
        st.error(error)
    if errors:
        return
    with show_errors(lang):
        edited_scenario = backend.scenario_from_dict(data, ctx.base_label or "edited scenario")
        ctx.scenario = backend.apply_edits(edited_scenario, state.edits(st.session_state))
        ctx.scenario_hash = backend.scenario_key(ctx.scenario)


def run_current(ctx: AppContext) -> None:
    """Run the current scenario on the current dataset with visible progress.

    On success the page reruns so every part (sidebar counter, map, tables) shows the new
    result; on failure the message stays where the run was started.
    """
    lang = ctx.lang
    if ctx.scenario is None or ctx.dataset is None or ctx.source is None:
        return
    started = time.perf_counter()
    folder = None
    with show_errors(lang), st.status(t("run.status", lang), expanded=True) as status:
        status.write(f"{t('run.load_data', lang)}: {ctx.dataset.name}")
        folder = cache.run(ctx.source, ctx.scenario, progress=lambda step: status.write(t(f"step.{step}", lang)))
        cache.result(folder)
        status.update(label=t("run.done", lang, seconds=f"{time.perf_counter() - started:.1f}"), state="complete")
    if folder is not None:
        state.remember_result(st.session_state, folder, ctx.scenario_hash)
        st.session_state["last_run_seconds"] = round(time.perf_counter() - started, 1)
        st.rerun()


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
            seconds = st.session_state.get("last_run_seconds")
            done = f" · {t('run.done', ctx.lang, seconds=seconds)}" if seconds is not None else ""
            st.caption(t("run.count", ctx.lang, n=st.session_state.get("run_count", 0)) + done)


# ---------------------------------------------------------------------------------------------
# page


def _header(ctx: AppContext) -> None:
    lang = ctx.lang
    st.title(t("app.title", lang))
    parts = [t("app.subtitle", lang)]
    if ctx.dataset is not None:
        kind = str(ctx.dataset.metadata.get("kind", ""))
        name = t("dataset.demo", lang) if kind == "demo" else ctx.dataset.name
        parts.append(f"{t('sidebar.dataset', lang)}: **{name}**")
    if ctx.base_label:
        parts.append(f"{t('sidebar.scenario', lang)}: **{ctx.base_label}**")
    st.markdown(f"<div class='atr-sub'>{' · '.join(parts[:1])}</div>", unsafe_allow_html=True)
    if len(parts) > 1:
        st.markdown(" · ".join(parts[1:]))


def main() -> None:
    """Entry point of ``streamlit run app.py``."""
    st.set_page_config(page_title="atr-model · ATR scenarios", page_icon="🗺️", layout="wide")
    state.init(st.session_state)
    st.markdown(_CSS, unsafe_allow_html=True)
    ctx = AppContext(lang=st.session_state.get("lang", DEFAULT_LANGUAGE))
    _sidebar(ctx)
    _header(ctx)
    from atr_model.presentation.app import views

    view = st.radio(
        t("view.label", ctx.lang), VIEWS, horizontal=True, key="view",
        format_func=lambda v: t(f"view.{v}", ctx.lang), label_visibility="collapsed",
    )
    with show_errors(ctx.lang):
        getattr(views, f"view_{view}")(ctx)
