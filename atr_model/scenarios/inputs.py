"""Resolve a scenario's inputs: the dataset and the travel model."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from atr_model.data.dataset import Dataset, read_dataset
from atr_model.errors import ScenarioError
from atr_model.scenarios.scenario import Scenario

__all__ = ["AUTO", "DEMO", "KYRGYZ", "kyrgyz_source_dir", "resolve_dataset", "resolve_travel_model"]

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
    from atr_model import data as data_api

    source = kyrgyz_source_dir()
    if not source.exists():
        raise ScenarioError(
            f"{where}: dataset 'kyrgyz' needs the Kyrgyz open data at {source} (set ATR_KG_DATA), "
            "or pass --data with a dataset file or 'demo'"
        )
    loader = getattr(data_api, "load_or_build_kyrgyz_dataset", None)
    if loader is not None:
        return loader(source)
    build = getattr(data_api, "build_kyrgyz_dataset", None)
    if build is None:
        raise ScenarioError(f"{where}: this build of atr-model cannot build the Kyrgyz dataset")
    cache_dir = Path(data_api.default_cache_dir()) if hasattr(data_api, "default_cache_dir") else None
    built = build(source)
    dataset = built[0] if isinstance(built, tuple) else built
    if cache_dir is not None:
        try:
            dataset.write(cache_dir / f"kyrgyz-{dataset.build_id}.gpkg")
        except OSError as exc:  # a read-only cache only costs a rebuild next time
            logger.warning("could not cache the Kyrgyz dataset in %s: %s", cache_dir, exc)
    return dataset


def _cached_kyrgyz(where: str) -> Dataset:
    """Reuse a cached build when one exists for the current builder, else build."""
    return _kyrgyz_dataset(where)


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
        return _cached_kyrgyz(where)
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
