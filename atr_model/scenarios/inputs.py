"""Scenario layer, inputs: resolve a scenario's dataset (demo, Kyrgyz build, GeoPackage or build
folder) and its travel model."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from atr_model._atomic import scratch_directory
from atr_model.data.cache import default_cache_dir
from atr_model.data.files import check_file
from atr_model.data.header import DatasetLike, read_dataset_header
from atr_model.data.kyrgyz.sources import DATASET_FILENAME, kyrgyz_build_id
from atr_model.errors import DataError, ScenarioError
from atr_model.scenarios.scenario import Scenario
from atr_model.scenarios.travel import cached_travel_model, read_travel_model

if TYPE_CHECKING:
    from atr_model.data import Dataset
    from atr_model.network import TravelModel

# the layers' libraries (geopandas, the network) are imported when a dataset or travel model is
# read or built; dataset_header, the reuse check's view of a dataset, needs none of them

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

    Uses the same cache as ``atr-model quickstart`` (``<cache>/kyrgyzstan/``); a cache that cannot
    be written only costs a rebuild next time.
    """
    from atr_model.data import build_kyrgyz_dataset, load_or_build_kyrgyz_dataset

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


def dataset_file(path: str | os.PathLike[str], *, where: str = "dataset") -> Path:
    """The GeoPackage of a dataset given as a ``.gpkg`` file or a build folder.

    A build folder is what ``atr-model data build --out DIR`` writes: one dataset GeoPackage
    beside its build report.

    Parameters
    ----------
    path : path-like
        A ``.gpkg`` file, or a folder holding exactly one.
    where : str
        Names the source of ``path`` in error messages (scenario file and key).

    Raises
    ------
    ScenarioError
        When ``path`` does not exist, or is a folder without exactly one ``.gpkg`` in it.
    """
    target = Path(path)
    if not target.exists():
        raise ScenarioError(
            f"{where}: file {target} not found (use 'demo', 'kyrgyz', a .gpkg path or a build folder)"
        )
    if not target.is_dir():
        return check_file(target, "dataset GeoPackage", ScenarioError)
    found = sorted(target.glob("*.gpkg"))
    if len(found) != 1:
        what = "no .gpkg file" if not found else f"{len(found)} .gpkg files ({', '.join(p.name for p in found)})"
        raise ScenarioError(
            f"{where}: folder {target} has {what}; a build folder (atr-model data build --out DIR) holds exactly one"
        )
    return found[0]


def resolve_dataset(scenario: Scenario) -> Dataset:
    """Load the scenario's dataset: 'demo', 'kyrgyz', a GeoPackage path or a build folder.

    Raises
    ------
    ScenarioError
        When the dataset file does not exist or a folder holds no single dataset (naming the
        scenario file and the path).
    """
    from atr_model.data import make_demo_dataset, read_dataset

    where = _where(scenario)
    value = scenario.dataset
    if value == DEMO:
        return make_demo_dataset()
    if value == KYRGYZ:
        return _kyrgyz_dataset(where)
    return read_dataset(dataset_file(scenario.resolve_path(value), where=f"{where}: 'dataset'"))


def dataset_header(scenario: Scenario) -> DatasetLike | None:
    """The scenario's dataset as its header (metadata: build id, name, kind, terms), without
    reading its layers; None for the generated demo (which :func:`resolve_dataset` makes).

    What the reuse check of ``atr-model run`` knows a dataset by: a GeoPackage's ``metadata``
    table; for ``kyrgyz``, the cached build's, when its build id is the one the shared open data
    give today (else None: :func:`resolve_dataset` builds it again).

    Raises
    ------
    ScenarioError
        As :func:`resolve_dataset` when a named dataset file or folder does not exist.
    """
    where = _where(scenario)
    value = scenario.dataset
    try:
        if value == DEMO:
            return None
        if value == KYRGYZ:
            source = kyrgyz_source_dir()
            target = default_cache_dir() / "kyrgyzstan" / DATASET_FILENAME
            if not (source.exists() and target.is_file()):
                return None
            header = read_dataset_header(target)
            return header if header.build_id == kyrgyz_build_id(source) else None
        return read_dataset_header(dataset_file(scenario.resolve_path(value), where=f"{where}: 'dataset'"))
    except DataError as exc:  # a damaged file or cache: resolve_dataset says what is wrong, or rebuilds
        logger.info("dataset header of %s not read: %s", where, exc)
        return None


def _auto(key: str, dataset: DatasetLike, where: str = "scenario") -> str | None:
    """'auto': the file that belongs to the dataset (generated demo files; the shared GEBCO
    grid for a Kyrgyz build, which has no shared road file and so models its times by design).

    Raises
    ------
    ScenarioError
        For any other dataset: it has no roads or elevation of its own, and a silent fallback
        to modelled straight-line times (or to no terrain) would change every figure unseen.
    """
    kind = str(dataset.metadata.get("kind", ""))
    if kind == DEMO:
        return DEMO
    if kind.startswith(KYRGYZ):
        # the grid must be there: without it terrain exemptions would silently vanish
        return KYRGYZ if key == "elevation" else None
    alternative = (
        "roads: FILE (or a built travel model: travel: DIR / --travel DIR), or roads: null for modelled "
        "straight-line times" if key == "roads" else "elevation: FILE, or elevation: null for no terrain penalties"
    )
    raise ScenarioError(
        f"{where}: '{key}: auto': dataset '{dataset.name}' has no {key} file of its own (only the demo and "
        f"the Kyrgyz build have); give {alternative}",
        key="input_auto_unknown", params={"scenario": where, "field": key, "dataset": dataset.name},
    )


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
    from atr_model.data import write_demo_elevation, write_demo_roads

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


def _input_key(scenario: Scenario, key: str, dataset: DatasetLike) -> Path | str | None:
    """The roads or elevation input as the cache key sees it: a path, 'demo' (generated) or None."""
    value: str | None = scenario.roads if key == "roads" else scenario.elevation
    if value == AUTO:
        value = _auto(key, dataset, _where(scenario))
    if value is None or value == DEMO:
        return value
    return kyrgyz_source_dir() / KYRGYZ_ELEVATION if value == KYRGYZ else scenario.resolve_path(value)


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
    from atr_model.network import build_travel_model

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
