"""Streamlit caches around the expensive steps.

* Datasets, display layers and travel models are ``cache_resource``: loaded once per process
  and shared read-only by every session (nothing mutates them; maps copy what they change).
* Runs are keyed by the dataset build id and the scenario hash: the result package is written
  to ``<the user's results root>/<build id>/<hash>`` and read through ``cache_resource``, so a
  rerun of the page (or the same user's other session asking for the same scenario) never
  re-solves; a folder is reused or shown only when its files match its digest manifest.
* What a result shows (figures, names, categories: :func:`atr_model.presentation.view.result_view`)
  is computed once per result and language and shared, like the result itself.
* Per-user choices and edits live in ``st.session_state`` only (see :mod:`.state`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import streamlit as st

from atr_model.data.dataset import Dataset
from atr_model.network import TravelModel
from atr_model.presentation import maps
from atr_model.presentation.app import datasets, results
from atr_model.presentation.view import ResultView as DisplayView
from atr_model.presentation.view import result_view
from atr_model.scenarios import Scenario, check_scenario_inputs, resolve_travel_model

__all__ = ["source", "dataset", "layers", "travel_model", "travel_model_for", "run", "links", "result", "view"]

logger = logging.getLogger(__name__)


def source(dataset_key: str, territory: str | None = None) -> str:
    """Cache key of a dataset, or of one raion or oblast of it ("<dataset key>|<raion or oblast code>")."""
    return f"{dataset_key}|{territory}" if territory else dataset_key


def _split(source_key: str) -> tuple[str, str]:
    key, _, territory = source_key.partition("|")
    return key, territory


@st.cache_resource(show_spinner=False, max_entries=8)
def dataset(source_key: str) -> Dataset:
    """The dataset behind a selector key, or one raion or oblast of it (shared, read-only)."""
    key, territory = _split(source_key)
    if territory:
        return datasets.subset_dataset(dataset(key), [territory])
    return datasets.load_dataset(key)


@st.cache_resource(show_spinner=False, max_entries=8)
def layers(key: str, build_id: str) -> maps.DisplayLayers:
    """Display layers of a dataset (simplified once per build, kept in the cache folder)."""
    return maps.stored_display_layers(dataset(key))


@st.cache_resource(show_spinner=False, max_entries=4)
def travel_model(key: str, build_id: str, roads: str | None, elevation: str | None, _scenario: Scenario,
                 travel: str | None = None) -> TravelModel:
    """The dataset's travel model, built once per build, road file and elevation model, or read
    from the scenario's built travel model ``travel`` (and read from the same on-disk
    travel-model cache as the command line, so a restart does not rebuild it)."""
    return resolve_travel_model(_scenario, dataset(key))


def travel_model_for(source_key: str, scenario: Scenario) -> TravelModel:
    """The travel model of the dataset behind ``source_key`` (restricted to its raion or oblast, if any)."""
    key, territory = _split(source_key)
    full = dataset(key)
    roads, elevation = scenario.roads, scenario.elevation
    tm = travel_model(key, full.build_id, str(roads) if roads else None, str(elevation) if elevation else None, scenario,
                      scenario.travel)
    if territory:
        tm = datasets.subset_travel_model(tm, dataset(source_key).units["unit_code"])
    return tm


def run(
    source_key: str,
    scenario: Scenario,
    progress: Callable[[str], None] | None = None,
    on_wait: Callable[[int], None] | None = None,
    *,
    out_root: Path | None = None,
) -> str:
    """Run a scenario on a cached dataset and travel model; return the result folder.

    The folder is keyed by the dataset build id and the scenario hash, and a folder that
    exists is reused without solving, so page reruns and other sessions never re-solve; a
    solve waits its turn in the server's queue (:data:`results.SOLVES`). ``progress`` receives
    the runner's step names and ``on_wait`` the place in the queue; both are called outside
    any Streamlit cache, so they may write to the page. ``out_root`` is the signed-in user's results folder
    (:func:`~atr_model.presentation.app.results.results_root`; the local user's when None); a
    folder whose files differ from its manifest is computed again, not reused.
    """
    ds = dataset(source_key)
    # the CLI's check, before a stored result is reused: a missing input is refused the same way
    check_scenario_inputs(scenario, ds)
    folder = results.result_folder(scenario, ds, out_root)
    if folder.exists() and not results.result_problems(folder):
        return str(folder)
    tm = travel_model_for(source_key, scenario)
    # a signed-in user's scenario is solved once for all users, then copied into their folder
    shared = results.shared_root() if out_root is not None and results.is_signed_in_root(out_root) else None
    return str(results.run_or_reuse(scenario, ds, travel_model=tm, out_root=out_root, progress=progress,
                                    on_wait=on_wait, shared=shared))


def links(source_key: str, scenario: Scenario) -> pd.DataFrame | None:
    """Unit adjacency of the travel model behind ``source_key`` (for the map's links layer).

    None when the travel model cannot be built; the map then simply has no links layer.
    """
    try:
        tm = travel_model_for(source_key, scenario)
    except Exception as exc:  # the links are a bonus layer; the result map works without them
        logger.info("no links layer: %s", exc)
        return None
    return tm.adjacency


def result(folder: str) -> results.ResultView:
    """The result package in ``folder``, read once and checked against its manifest; read and
    checked again whenever a file in it changed (:func:`~.results.folder_stamp`), so an edited
    ``kpis.json`` is refused, never shown from the cache."""
    return _result(folder, results.folder_stamp(Path(folder)))


# cache_resource: read once and shared read-only by every session (a cache_data copy per call
# cost each session its own copy of the tables)
@st.cache_resource(show_spinner=False, max_entries=64)
def _result(folder: str, stamp: tuple[tuple[str, int, int], ...]) -> results.ResultView:
    return results.load_result(Path(folder))


@st.cache_resource(show_spinner=False, max_entries=32)
def view(folder: str, lang: str) -> DisplayView:
    """What the result in ``folder`` shows in ``lang``: its key figures, display names and
    status categories (:func:`~atr_model.presentation.view.result_view`, read-only, shared)."""
    package = result(folder)
    return result_view(package.kpis, package.assignments, package.new_units, lang)
