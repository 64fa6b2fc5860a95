"""Streamlit caches around the expensive steps.

* Datasets, display layers and travel models are ``cache_resource``: loaded once per process
  and shared read-only by every session (nothing mutates them; maps copy what they change).
* Runs are ``cache_data`` keyed by the scenario hash and the dataset build id, so a rerun of
  the page (or another user asking for the same scenario on the same data) never re-solves.
* Per-user choices and edits live in ``st.session_state`` only (see :mod:`.state`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import streamlit as st

from atr_model.data.dataset import Dataset
from atr_model.presentation import maps
from atr_model.presentation.app import backend

__all__ = ["dataset", "layers", "travel_model", "run", "result", "result_map_html_key"]

logger = logging.getLogger(__name__)


@st.cache_resource(show_spinner=False, max_entries=4)
def dataset(key: str) -> Dataset:
    """The dataset behind a selector key (shared, read-only)."""
    return backend.load_dataset(key)


@st.cache_resource(show_spinner=False, max_entries=4)
def layers(key: str, build_id: str) -> maps.DisplayLayers:
    """Display layers of a dataset (simplified once per build)."""
    return maps.display_layers(dataset(key))


@st.cache_resource(show_spinner=False, max_entries=4)
def travel_model(key: str, build_id: str, roads: str | None, elevation: str | None) -> Any:
    """The dataset's travel model, built once per build and inputs (None if unavailable)."""
    try:
        from atr_model.network import build_travel_model
    except ImportError:
        return None
    return build_travel_model(dataset(key), roads=roads, elevation=elevation)


@st.cache_data(show_spinner=False, max_entries=64)
def run(scenario_hash: str, build_id: str, dataset_key: str, _scenario: Any, _progress: Callable[[str], None] | None = None) -> str:
    """Run a scenario (keyed by its hash and the dataset build id); return the result folder."""
    ds = dataset(dataset_key)
    roads = getattr(_scenario, "roads", None)
    elevation = getattr(_scenario, "elevation", None)
    tm = None
    if _progress:
        _progress("network")
    try:
        tm = travel_model(dataset_key, build_id, str(roads) if roads else None, str(elevation) if elevation else None)
    except Exception as exc:  # let the runner build (and report on) its own travel model
        logger.info("no cached travel model (%s); the runner builds one", exc)
    return str(backend.run_to_folder(_scenario, ds, travel_model=tm, progress=_progress))


@st.cache_data(show_spinner=False, max_entries=64)
def result(folder: str) -> backend.ResultView:
    """The result package in ``folder`` (read once)."""
    return backend.load_result(folder)


def result_map_html_key(folder: str, lang: str) -> str:
    """Key of a rendered result map in the session (one per result and language)."""
    return f"map::{folder}::{lang}"
