"""Scenario layer, inputs: resolve a scenario's dataset (demo, Kyrgyz build, GeoPackage or build
folder) and its travel model."""

from __future__ import annotations

import logging
from pathlib import Path

from atr_model._atomic import scratch_directory
from atr_model.data import (
    Dataset,
    build_kyrgyz_dataset,
    check_file,
    load_or_build_kyrgyz_dataset,
    make_demo_dataset,
    read_dataset,
    write_demo_elevation,
    write_demo_roads,
)
from atr_model.errors import ScenarioError
from atr_model.network import TravelModel, build_travel_model
from atr_model.scenarios.input_keys import (
    AUTO,
    DEMO,
    KYRGYZ,
    KYRGYZ_ELEVATION,
    _auto,
    _input_key,
    _where,
    dataset_file,
    dataset_header,
    kyrgyz_source_dir,
)
from atr_model.scenarios.scenario import Scenario
from atr_model.scenarios.travel import cached_travel_model, read_travel_model

__all__ = [
    "AUTO",
    "DEMO",
    "KYRGYZ",
    "KYRGYZ_ELEVATION",
    "check_scenario_inputs",
    "dataset_file",
    "dataset_header",
    "kyrgyz_source_dir",
    "resolve_dataset",
    "resolve_travel_model",
]

logger = logging.getLogger(__name__)

def _kyrgyz_dataset(where: str) -> Dataset:
    """The Kyrgyz build from the cache when its build id is current, else built and cached.

    Uses the same cache as ``atr-model quickstart`` (``<cache>/kyrgyzstan/``); a cache that cannot
    be written only costs a rebuild next time.
    """
    source = kyrgyz_source_dir()
    if not source.exists():
        raise ScenarioError(
            f"{where}: dataset 'kyrgyz' needs the Kyrgyz open data at {source} (set ATR_KG_DATA), "
            "or pass --data with a dataset file or 'demo'"
        )
    try:
        return load_or_build_kyrgyz_dataset(source)
    except OSError as exc:
        logger.warning("could not cache the Kyrgyz build: %s", exc)
        return build_kyrgyz_dataset(source)[0]


def resolve_dataset(scenario: Scenario) -> Dataset:
    """Load the scenario's dataset: 'demo', 'kyrgyz', a GeoPackage path or a build folder.

    Raises
    ------
    ScenarioError
        When the dataset file does not exist or a folder holds no single dataset (naming the
        scenario file and the path).
    """
    where = _where(scenario)
    value = scenario.dataset
    if value == DEMO:
        return make_demo_dataset()
    if value == KYRGYZ:
        return _kyrgyz_dataset(where)
    return read_dataset(dataset_file(scenario.resolve_path(value), where=f"{where}: 'dataset'"))


def check_scenario_inputs(scenario: Scenario, dataset: Dataset) -> None:
    """Refuse a scenario whose roads or elevation file is missing, naming the input.

    The one check every surface makes before a run (``run_scenario`` through
    :func:`resolve_travel_model`, and the app before it solves or reuses a result): a Kyrgyz
    build's ``elevation: auto`` needs the shared GEBCO grid, and without it the run would
    silently lose every terrain penalty and hard-to-reach exemption.

    Raises
    ------
    ScenarioError
        Naming the scenario, the key (``roads`` or ``elevation``) and the file that is missing.
    """
    if scenario.travel is not None:
        # a built travel model replaces roads and elevation (read and matched to the dataset later)
        folder = scenario.resolve_path(scenario.travel)
        if not (folder / "travel_model.json").is_file():
            raise ScenarioError(f"{_where(scenario)}: 'travel': {folder} is not a travel model folder "
                                "(atr-model network build --out DIR writes one)")
        return
    for key in ("roads", "elevation"):
        value = getattr(scenario, key)
        if value == AUTO:
            value = _auto(key, dataset, _where(scenario))
        if value is None or value == DEMO:
            continue
        if value == KYRGYZ:
            if key != "elevation":
                raise ScenarioError(f"{_where(scenario)}: '{key}': 'kyrgyz' is only available for elevation")
            path = kyrgyz_source_dir() / KYRGYZ_ELEVATION
            if not path.exists():
                raise ScenarioError(
                    f"{_where(scenario)}: 'elevation': the shared elevation grid {KYRGYZ_ELEVATION} is missing "
                    "(set ATR_KG_DATA to the Kyrgyz open data, or set elevation: null to run without terrain)",
                    key="input_missing_elevation", params={"scenario": _where(scenario), "grid": str(KYRGYZ_ELEVATION)},
                )
            continue
        path = scenario.resolve_path(value)
        if not path.exists():
            raise ScenarioError(f"{_where(scenario)}: '{key}': file {path} not found")
        if (path / "travel_model.json").is_file():
            raise ScenarioError(f"{_where(scenario)}: '{key}': {path} is a built travel model, not a {key} file; "
                                "name it with travel: (or --travel) instead")
        check_file(path, f"{key} file", ScenarioError)


def _aux_path(scenario: Scenario, key: str, value: str | None, cache: Path, dataset: Dataset) -> Path | None:
    """The roads or elevation file of a scenario (checked by :func:`check_scenario_inputs`)."""
    if value == AUTO:
        value = _auto(key, dataset, _where(scenario))
    if value is None:
        return None
    if value == DEMO:
        target = cache / ("demo-roads.osm" if key == "roads" else "demo-elevation.tif")
        (write_demo_roads if key == "roads" else write_demo_elevation)(target)
        return target
    if value == KYRGYZ:
        return kyrgyz_source_dir() / KYRGYZ_ELEVATION
    return scenario.resolve_path(value)


def resolve_travel_model(scenario: Scenario, dataset: Dataset) -> TravelModel:
    """The scenario's travel model: its built one (``travel:``), else cached, else built once.

    A built travel model (``travel:``, the folder ``atr-model network build --out`` writes) is
    read and must fit the dataset. Otherwise the model of the scenario's roads and elevation
    ('demo' files are generated) is read from the travel-model cache when the same inputs built
    it before (:func:`~atr_model.scenarios.travel.cached_travel_model`), else built and stored.

    Raises
    ------
    ScenarioError
        When a named roads, elevation or travel model folder does not exist, ``auto`` names
        nothing for this dataset, or the travel model was built on another dataset.
    """
    check_scenario_inputs(scenario, dataset)
    where = _where(scenario)
    if scenario.travel is not None:
        return read_travel_model(scenario.resolve_path(scenario.travel), dataset, where=f"{where}: 'travel'")

    def build() -> TravelModel:
        # Demo roads and elevation are generated (deterministically, in about a second) on a cache
        # miss; the scratch folder a killed run leaves is removed when the next command starts
        with scratch_directory("demo-inputs") as tmp:
            roads = _aux_path(scenario, "roads", scenario.roads, Path(tmp), dataset)
            elevation = _aux_path(scenario, "elevation", scenario.elevation, Path(tmp), dataset)
            return build_travel_model(dataset, roads=roads, elevation=elevation)

    roads_key = _input_key(scenario, "roads", dataset)
    elevation_key = _input_key(scenario, "elevation", dataset)
    return cached_travel_model(dataset, roads_key, elevation_key, build)
