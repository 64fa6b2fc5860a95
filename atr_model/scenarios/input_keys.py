"""Scenario layer, input keys: what names a scenario's inputs without reading them: the special
dataset values, where a dataset file and the Kyrgyz open data are, a dataset's header (its
metadata, :func:`dataset_header`) and the roads and elevation inputs as the travel-model key sees
them.

Plain Python: the reuse check of ``atr-model run`` works from these alone;
:mod:`.inputs` reads and builds the inputs and re-exports these names.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from atr_model.data import DatasetLike, cached_kyrgyz_header, check_file, read_dataset_header
from atr_model.errors import DataError, ScenarioError
from atr_model.scenarios.scenario import Scenario

__all__ = [
    "AUTO",
    "DEMO",
    "KYRGYZ",
    "KYRGYZ_ELEVATION",
    "dataset_file",
    "dataset_header",
    "kyrgyz_source_dir",
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
            return cached_kyrgyz_header(source) if source.exists() else None
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


def _input_key(scenario: Scenario, key: str, dataset: DatasetLike) -> Path | str | None:
    """The roads or elevation input as the cache key sees it: a path, 'demo' (generated) or None."""
    value: str | None = scenario.roads if key == "roads" else scenario.elevation
    if value == AUTO:
        value = _auto(key, dataset, _where(scenario))
    if value is None or value == DEMO:
        return value
    return kyrgyz_source_dir() / KYRGYZ_ELEVATION if value == KYRGYZ else scenario.resolve_path(value)
