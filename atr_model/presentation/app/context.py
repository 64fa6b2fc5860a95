"""What one rerun of the page knows, how errors reach the page, and running a scenario.

Shared by the sidebar (:mod:`.main`) and the views (:mod:`.views`, :mod:`.compare_view`,
:mod:`.plan_view`), so that neither has to import the other.

Every user-facing failure is an :class:`~atr_model.errors.ATRError` shown with ``st.error``:
one summary line a person can act on, with a long explanation (an infeasibility listing every
unit, say) in an expander below it, and never a traceback. Anything else is logged and shown
as "unexpected error".
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st
import yaml

from atr_model.data.dataset import Dataset
from atr_model.errors import ATRError, ScenarioError
from atr_model.presentation import maps
from atr_model.presentation.app import cache, results, scenario_io, state
from atr_model.presentation.i18n import dataset_label, localized, t
from atr_model.presentation.markdown_text import md_text
from atr_model.presentation.messages import render_error
from atr_model.scenarios import Scenario, limits, load_scenario

__all__ = [
    "AppContext",
    "show_errors",
    "show_error",
    "error_summary",
    "scenario_from_choice",
    "scenario_file_label",
    "load_scenario_file",
    "run_current",
    "result_is_current",
    "stale_note",
    "current_result",
    "upload_refused",
    "SUMMARY_CHARS",
]

logger = logging.getLogger(__name__)

#: Longest error text shown as it is; longer ones get a summary line and an expander.
SUMMARY_CHARS = 180


@dataclass
class AppContext:
    """What the sidebar decided for this rerun."""

    lang: str
    dataset_key: str | None = None
    territory: str | None = None  # a raion or oblast code; None for the whole dataset
    source: str | None = None
    dataset: Dataset | None = None
    layers: maps.DisplayLayers | None = None
    base_scenario: Scenario | None = None
    base_label: str = ""
    scenario: Scenario | None = None
    scenario_hash: str | None = None
    scenario_choice: str | None = None
    user: str = results.LOCAL_USER  # the signed-in identity (signin.signed_in_user)
    results_root: Path | None = None  # that user's own results folder (results.results_root)


def error_summary(text: str, limit: int = SUMMARY_CHARS) -> tuple[str, str]:
    """Split an error text into a summary line and the detail ('' when the text is short).

    The summary is the first line, cut at a list separator before ``limit`` characters
    (so "12 units cannot reach the floor: A, B, C, ..." keeps its head and count).
    """
    first = text.strip().splitlines()[0] if text.strip() else ""
    if len(first) <= limit and first == text.strip():
        return first, ""
    head = first[:limit]
    for sep in (": ", "; ", ", "):
        cut = head.rfind(sep)
        if cut > limit // 3:
            head = head[:cut + (1 if sep == ": " else 0)]
            break
    return f"{head.rstrip()} …", text.strip()


def show_error(exc: BaseException, lang: str, names: Mapping[str, str] | None = None) -> None:
    """Show one error: a summary line, and the full text in an expander when it is long.

    An infeasibility is written in ``lang`` from its codes, its units named from ``names``
    (code -> name; :func:`~atr_model.presentation.messages.render_error`).
    """
    summary, detail = error_summary(render_error(exc, lang, names))
    st.error(f"**{t('error.title', lang)}:** {summary}")
    if detail:
        with st.expander(t("error.details", lang)):
            st.text(detail)


@contextlib.contextmanager
def show_errors(lang: str, names: Mapping[str, str] | None = None) -> Iterator[None]:
    """Turn errors inside the block into a message on the page (never a traceback)."""
    try:
        yield
    except ATRError as exc:
        show_error(exc, lang, names)
    except Exception as exc:  # a bug: log it fully, show one line
        logger.exception("unexpected error in the app")
        st.error(t("error.unexpected", lang, text=f"{type(exc).__name__}: {exc}"))


def upload_refused(name: str, size: int, lang: str) -> bool:
    """Say so and return True when an uploaded file is over the app's upload limit.

    Streamlit's ``server.maxUploadSize`` (``.streamlit/config.toml``) stops larger requests at
    the server; this check holds whatever the server is configured with, and says it in the
    page's language (``limits().upload_mb``, ``$ATR_APP_MAX_UPLOAD_MB``).
    """
    limit = limits().upload_mb
    if size <= limit * 1024 * 1024:
        return False
    st.error(t("upload.too_big", lang, name=name, size=f"{size / 1024 / 1024:.1f}", limit=limit))
    return True


def result_is_current(ctx: AppContext) -> bool:
    """Whether the session's result was computed with the settings on the page now."""
    return state.result_matches(st.session_state, ctx.scenario_hash, ctx.source)


def current_result(ctx: AppContext) -> results.ResultView | None:
    """The session's result (None before a run, or when its folder is gone)."""
    folder = st.session_state.get("result_folder")
    if not folder or not Path(folder).exists():
        return None
    return cache.result(folder)


def stale_note(ctx: AppContext) -> None:
    """Say so, at once and on every view, when the result shown no longer matches the settings
    (after an undo, a changed criterion or scenario, or a failed run), naming the scenario it
    was computed with: an old plan never stands unmarked under a new title."""
    folder = st.session_state.get("result_folder")
    if not folder or result_is_current(ctx) or not Path(folder).exists():
        return
    result = cache.result(folder)
    scenario = results.result_scenario(result)
    title = (localized(scenario, "title", ctx.lang) or scenario.name) if scenario is not None else Path(folder).name
    st.warning(t("run.stale", ctx.lang, title=md_text(title)), icon=":material/history:")


@st.cache_data(show_spinner=False)
def load_scenario_file(path: str, mtime: float) -> dict[str, Any]:
    return scenario_io.scenario_to_dict(load_scenario(Path(path)))


@st.cache_data(show_spinner=False)
def _scenario_titles(path: str, mtime: float) -> dict[str, str]:
    """The ``title*`` fields of a scenario file, read without validating the whole scenario
    (the pickers list every file; only the chosen one is loaded in full)."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items() if str(k).startswith("title") and isinstance(v, str)}


def scenario_file_label(path: Path, lang: str) -> str:
    """A scenario file's name in a picker: its title in ``lang`` (the file stem if none)."""
    try:
        titles = _scenario_titles(str(path), path.stat().st_mtime)
    except OSError:
        return path.stem
    return localized(titles, "title", lang) or path.stem


def scenario_from_choice(choice: str) -> Scenario:
    """The Scenario for a picker choice (a file path, or "upload")."""
    if choice == "upload":
        data = st.session_state.get("uploaded")
        if not data:
            raise ScenarioError("no uploaded scenario")
        return scenario_io.scenario_from_dict(data, st.session_state.get("uploaded_name") or "uploaded scenario")
    path = Path(choice)
    data = load_scenario_file(str(path), path.stat().st_mtime if path.exists() else 0.0)
    return scenario_io.scenario_from_dict(data, path.name)


def run_current(ctx: AppContext) -> bool:
    """Run the current scenario on the current dataset with visible progress.

    On success the page reruns so every part (sidebar counter, map, tables) shows the new
    result. On failure the status box says the run failed (it never keeps "Running...") and
    the message stays where the run was started. Returns False on failure.
    """
    lang = ctx.lang
    if ctx.scenario is None or ctx.dataset is None or ctx.source is None:
        return False
    started = time.perf_counter()
    status = st.status(t("run.status", lang), expanded=True)
    # the runner reports "solve" only when it solves: without it the result shown was stored (by an
    # earlier run, or by another session this one waited for: "shared")
    steps: list[str] = []

    def progress(step: str) -> None:
        steps.append(step)
        status.write(t(f"step.{step}", lang))

    try:
        kind = str(ctx.dataset.metadata.get("kind", ""))
        status.write(f"{t('run.load_data', lang)}: {dataset_label(ctx.dataset.name, kind, lang)}")
        folder = cache.run(ctx.source, ctx.scenario, progress=progress,
                           out_root=ctx.results_root,
                           on_wait=lambda place: status.write(t("run.queue", lang, position=place)))
        cache.result(folder)
    except ATRError as exc:
        status.update(label=t("run.failed", lang), state="error", expanded=False)
        show_error(exc, lang, maps.unit_names(ctx.layers, lang) if ctx.layers is not None else None)
        return False
    except Exception as exc:  # a bug: log it fully, show one line
        logger.exception("unexpected error while running %s", ctx.scenario.name)
        status.update(label=t("run.failed", lang), state="error", expanded=False)
        st.error(t("error.unexpected", lang, text=f"{type(exc).__name__}: {exc}"))
        return False
    # the message key and seconds, not the text: the sidebar shows it again in the language of the moment
    done = ("run.done" if "solve" in steps else "run.reused", f"{time.perf_counter() - started:.1f}")
    status.update(label=t(done[0], lang, seconds=done[1]), state="complete", expanded=False)
    state.remember_result(st.session_state, folder, ctx.scenario_hash or "", ctx.source)
    st.session_state["last_run_done"] = done
    st.rerun()
    return True  # pragma: no cover - st.rerun() does not return
