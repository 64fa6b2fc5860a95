"""Scenario layer, travel: a travel model built once and reused.

A scenario's travel model comes from one of two places:

* a **built travel model** (the folder ``atr-model network build --out`` writes), named by the
  scenario key ``travel:`` or ``--travel DIR``; it must have been built on the same dataset
  (:func:`read_travel_model` checks the dataset build id and the unit codes);
* the **travel-model cache** (``<cache>/travel-models/<key>/``), keyed by the hash of
  everything the model is built from (:func:`travel_cache_key`): the dataset build id, the
  digests of the road and elevation files, the travel settings and the code of
  :mod:`atr_model.network`. A miss builds the model and stores it atomically, so the second run
  of a scenario reads it instead of building it again.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import atr_model.network
from atr_model._atomic import is_disk_full
from atr_model.data.cache import default_cache_dir
from atr_model.data.files import file_sha256
from atr_model.errors import ATRError, NetworkError, ScenarioError
from atr_model.network.settings import TravelSettings

if TYPE_CHECKING:
    from atr_model.data.dataset import Dataset
    from atr_model.data.header import DatasetLike
    from atr_model.network import TravelModel

# the key (travel_cache_key) is computed without the network's libraries: the reuse check of
# ``atr-model run`` needs it; reading or building a model imports them

__all__ = [
    "TRAVEL_CACHE_VERSION",
    "cached_travel_model",
    "check_travel_matches",
    "input_digest",
    "network_code_version",
    "read_travel_model",
    "travel_cache_dir",
    "travel_cache_key",
]

logger = logging.getLogger(__name__)

#: Bumped when the cache key or the stored layout changes: older entries are then never read.
TRAVEL_CACHE_VERSION = 1
#: ``input_digest`` value of a generated demo file (its generator's code stands for its bytes).
DEMO_INPUT = "demo"


def travel_cache_dir() -> Path:
    """Where cached travel models live: ``<cache>/travel-models`` (:func:`default_cache_dir`)."""
    return default_cache_dir() / "travel-models"


@functools.cache
def network_code_version() -> str:
    """SHA-256 of the source of :mod:`atr_model.network`: a code change there is a new travel model."""
    digest = hashlib.sha256()
    folder = Path(inspect.getfile(atr_model.network)).parent  # the atr_model.network package
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@functools.cache
def _demo_code_version() -> str:
    """SHA-256 of the demo road and elevation generators (deterministic: their code is their output)."""
    from atr_model.data.demo import write_demo_elevation, write_demo_roads

    digest = hashlib.sha256()
    for writer in (write_demo_roads, write_demo_elevation):
        source = inspect.getsourcefile(writer)
        digest.update(Path(source).read_bytes() if source else writer.__qualname__.encode())
    return digest.hexdigest()


@functools.cache
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    # size and mtime are part of the cache key: a changed file is read again
    return file_sha256(path)


def input_digest(value: Path | str | None) -> str | None:
    """Digest of a roads or elevation input: a file's SHA-256, ``"demo:<generator code>"`` or None.

    A file's digest is remembered for the process by its path, size and modification time.
    """
    if value is None:
        return None
    if value == DEMO_INPUT:
        return f"{DEMO_INPUT}:{_demo_code_version()}"
    path = Path(value).resolve()
    stat = path.stat()
    return _file_digest(str(path), stat.st_size, stat.st_mtime_ns)


def travel_cache_key(
    dataset: DatasetLike, roads: Path | str | None, elevation: Path | str | None, settings: TravelSettings,
) -> str:
    """The hash naming a cached travel model: everything the model is built from.

    Parameters
    ----------
    dataset : Dataset or DatasetHeader
        Its build id stands for the territory.
    roads, elevation : path, ``"demo"`` or None
        The files the model is built from (``"demo"``: the generated demo file).
    settings : TravelSettings
        Speeds, penalties and thresholds.

    Returns
    -------
    str
        64 hex digits.
    """
    inputs = {
        "cache_version": TRAVEL_CACHE_VERSION,
        "dataset_build_id": dataset.build_id,
        "roads": input_digest(roads),
        "elevation": input_digest(elevation),
        "settings": settings.to_dict(),
        "network_code": network_code_version(),
    }
    text = json.dumps(inputs, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_travel_matches(model: TravelModel, dataset: Dataset, where: str) -> None:
    """Refuse a travel model built on another dataset, in one line naming both.

    Raises
    ------
    ScenarioError
        When the build ids differ, or (for a model without a build id) the unit codes do.
    """
    built_on = model.info.get("dataset_build_id")
    built_name = model.info.get("dataset_name", "?")
    if built_on and built_on != dataset.build_id:
        raise ScenarioError(
            f"{where}: the travel model was built on dataset '{built_name}' (build {str(built_on)[:12]}), not on "
            f"dataset '{dataset.name}' (build {dataset.build_id[:12]}); build it again with atr-model network build"
        )
    model_units = set(model.unit_remoteness["unit_code"].astype(str))
    data_units = set(dataset.units["unit_code"].astype(str))
    if model_units != data_units:
        missing = sorted(data_units - model_units)[:3]
        extra = sorted(model_units - data_units)[:3]
        raise ScenarioError(
            f"{where}: the travel model of dataset '{built_name}' does not cover the units of dataset "
            f"'{dataset.name}' (missing {', '.join(missing) or 'none'}; not in the dataset {', '.join(extra) or 'none'})"
        )


def read_travel_model(path: str | os.PathLike[str], dataset: Dataset, *, where: str = "travel model") -> TravelModel:
    """Read a built travel model (``network build --out``) and check it fits ``dataset``.

    Raises
    ------
    ScenarioError
        When the folder is missing, is not a travel model, or was built on another dataset.
    """
    from atr_model.network import TravelModel

    folder = Path(path)
    if not folder.is_dir():
        raise ScenarioError(f"{where}: folder {folder} not found (a travel model is the folder "
                            "'atr-model network build --out DIR' writes)")
    try:
        model = TravelModel.read(folder)
    except NetworkError as exc:
        raise ScenarioError(f"{where}: {exc}") from exc
    check_travel_matches(model, dataset, f"{where} {folder}")
    logger.info("travel model reused from %s (%s)", folder, model.label)
    return model


def _read_cached(folder: Path, dataset: Dataset) -> TravelModel | None:
    """The cached model in ``folder``; None (and a warning) when it is unreadable or does not fit."""
    from atr_model.network import TravelModel

    try:
        model = TravelModel.read(folder)
        check_travel_matches(model, dataset, f"cached travel model {folder}")
    except (ATRError, OSError, ValueError) as exc:  # a damaged entry only costs a rebuild
        logger.warning("cached travel model %s not used: %s", folder, exc)
        return None
    return model


def cached_travel_model(
    dataset: Dataset, roads: Path | str | None, elevation: Path | str | None,
    build: Callable[[], TravelModel], *, settings: TravelSettings | None = None,
) -> TravelModel:
    """The travel model of these inputs from the cache, else built by ``build()`` and stored.

    Parameters
    ----------
    dataset : Dataset
        The territory.
    roads, elevation : path, ``"demo"`` or None
        The inputs (for the key; ``build`` makes the model from them).
    build : callable
        Builds the model on a cache miss.
    settings : TravelSettings, optional
        The settings ``build`` uses (defaults).

    Returns
    -------
    TravelModel
    """
    key = travel_cache_key(dataset, roads, elevation, settings or TravelSettings())
    folder = travel_cache_dir() / key[:32]
    if (folder / "travel_model.json").exists():
        model = _read_cached(folder, dataset)
        if model is not None:
            logger.info("travel model reused from the cache (%s): %s", folder, model.label)
            return model
    model = build()
    try:
        model.write(folder, force=True)
    except (ATRError, OSError) as exc:  # a cache that cannot be written only costs a rebuild next time
        level = logging.WARNING if isinstance(exc, OSError) and is_disk_full(exc) else logging.INFO
        logger.log(level, "travel model not cached in %s: %s", folder, exc)
    else:
        logger.info("travel model built and cached (%s): %s", folder, model.label)
    return model
