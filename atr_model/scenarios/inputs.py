"""Resolve a scenario's inputs: the dataset and the travel model."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from atr_model.data.dataset import Dataset, read_dataset
from atr_model.errors import DataError, ScenarioError
from atr_model.scenarios.scenario import Scenario

__all__ = ["AUTO", "DEMO", "KYRGYZ", "KYRGYZ_ELEVATION", "kyrgyz_source_dir", "resolve_dataset", "resolve_travel_model"]

logger = logging.getLogger(__name__)

#: Special values of ``Scenario.dataset`` (and of ``roads``/``elevation`` for "demo").
DEMO = "demo"
KYRGYZ = "kyrgyz"
#: ``roads``/``elevation`` value meaning "the file that comes with the dataset".
AUTO = "auto"
#: The shared elevation grid used for ``elevation: kyrgyz`` (inside the Kyrgyz open data).
KYRGYZ_ELEVATION = Path("elevation") / "gebco2023_kgz_15arcsec.tif"


def _where(scenario: Scenario) -> str:
    return str(scenario.source_path) if scenario.source_path else f"scenario {scenario.name!r}"


def kyrgyz_source_dir() -> Path:
    """Where the shared Kyrgyz open data lives: ``$ATR_KG_DATA``, else ``../shared/kg-open-data``
    beside the working directory's repository, else ``/work/shared/kg-open-data``."""
    env = os.environ.get("ATR_KG_DATA")
    if env:
        return Path(env)
    shared = os.environ.get("ATR_SHARED_DIR")
    candidates = [Path(shared) / "kg-open-data"] if shared else []
    here = Path(__file__).resolve().parents[2]
    candidates += [here.parent / "shared" / "kg-open-data", Path.cwd().parent / "shared" / "kg-open-data"]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    return candidates[0]


def _kyrgyz_dataset(where: str) -> Dataset:
    """The Kyrgyz build from the cache when its build id is current, else built and cached.

    Uses the same cache location as ``atr-model quickstart``
    (``<cache>/kyrgyzstan/kyrgyzstan.gpkg``).
    """
    from atr_model import data as data_api

    source = kyrgyz_source_dir()
    if not source.exists():
        raise ScenarioError(
            f"{where}: dataset 'kyrgyz' needs the Kyrgyz open data at {source} (set ATR_KG_DATA), "
            "or pass --data with a dataset file or 'demo'"
        )
    from atr_model.data.kyrgyz import build_kyrgyz_dataset

    build_id = getattr(data_api, "kyrgyz_build_id", None)
    writer = getattr(data_api, "write_kyrgyz_build", None)
    cache_root = getattr(data_api, "default_cache_dir", None)
    if build_id is None or writer is None or cache_root is None:
        return build_kyrgyz_dataset(source)[0]
    from atr_model.data import kyrgyz

    target = Path(cache_root()) / "kyrgyzstan" / getattr(kyrgyz, "DATASET_FILENAME", "kyrgyzstan.gpkg")
    wanted = build_id(source)
    if target.exists():
        try:
            cached = read_dataset(target)
            if cached.build_id == wanted:
                logger.info("using the cached Kyrgyz build %s at %s", wanted, target)
                return cached
        except DataError as exc:  # a stale or broken cache is rebuilt below
            logger.warning("ignoring the cached Kyrgyz build at %s: %s", target, exc)
    try:
        path, _report = writer(source, target.parent)
    except OSError as exc:  # a read-only cache only costs a rebuild next time
        logger.warning("could not cache the Kyrgyz build in %s: %s", target.parent, exc)
        return build_kyrgyz_dataset(source)[0]
    return read_dataset(path)


def resolve_dataset(scenario: Scenario) -> Dataset:
    """Load the scenario's dataset ('demo', 'kyrgyz' or a GeoPackage path).

    Raises
    ------
    ScenarioError
        When the dataset file does not exist (naming the scenario file and the path).
    """
    where = _where(scenario)
    value = scenario.dataset
    if value == DEMO:
        from atr_model.data.demo import make_demo_dataset

        return make_demo_dataset()
    if value == KYRGYZ:
        return _kyrgyz_dataset(where)
    path = scenario.resolve_path(value)
    if not path.exists():
        raise ScenarioError(f"{where}: 'dataset': file {path} not found (use 'demo', 'kyrgyz' or a .gpkg path)")
    return read_dataset(path)


def _auto(key: str, dataset: Dataset) -> str | None:
    """'auto': the file that belongs to the dataset (generated demo files; the shared GEBCO
    grid for a Kyrgyz build, which has no shared road file)."""
    kind = str(dataset.metadata.get("kind", ""))
    if kind == DEMO:
        return DEMO
    if kind.startswith(KYRGYZ) and key == "elevation" and (kyrgyz_source_dir() / KYRGYZ_ELEVATION).exists():
        return KYRGYZ
    return None


def _aux_path(scenario: Scenario, key: str, value: str | None, cache: Path, dataset: Dataset) -> Path | None:
    if value == AUTO:
        value = _auto(key, dataset)
    if value is None:
        return None
    if value == DEMO:
        from atr_model.data import demo

        target = cache / ("demo-roads.osm" if key == "roads" else "demo-elevation.tif")
        (demo.write_demo_roads if key == "roads" else demo.write_demo_elevation)(target)
        return target
    if value == KYRGYZ:
        if key != "elevation":
            raise ScenarioError(f"{_where(scenario)}: '{key}': 'kyrgyz' is only available for elevation")
        path = kyrgyz_source_dir() / KYRGYZ_ELEVATION
        if not path.exists():
            raise ScenarioError(f"{_where(scenario)}: 'elevation': the shared GEBCO grid {path} is missing")
        return path
    path = scenario.resolve_path(value)
    if not path.exists():
        raise ScenarioError(f"{_where(scenario)}: '{key}': file {path} not found")
    return path


def resolve_travel_model(scenario: Scenario, dataset: Dataset) -> Any:
    """Build the travel model of the scenario's roads and elevation ('demo' files are generated).

    Raises
    ------
    ScenarioError
        When a named roads or elevation file does not exist.
    """
    from atr_model.network import build_travel_model

    # Demo roads and elevation are generated (deterministically, in about a second) per run.
    with tempfile.TemporaryDirectory(prefix="atr-demo-inputs-") as tmp:
        roads = _aux_path(scenario, "roads", scenario.roads, Path(tmp), dataset)
        elevation = _aux_path(scenario, "elevation", scenario.elevation, Path(tmp), dataset)
        return build_travel_model(dataset, roads=roads, elevation=elevation)
