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

import logging
import os
from collections.abc import Callable
from pathlib import Path

from atr_model._atomic import is_disk_full
from atr_model.data import Dataset
from atr_model.errors import ATRError, NetworkError, ScenarioError
from atr_model.network import TravelModel, TravelSettings
from atr_model.scenarios.travel_key import (
    TRAVEL_CACHE_VERSION,
    input_digest,
    network_code_version,
    travel_cache_dir,
    travel_cache_key,
)

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
