"""Whether a result package is up to date: the same scenario, data, travel inputs, code and
options wrote it, so ``atr-model run`` can reuse it instead of solving again.

A package records the digest of everything it was computed from (:func:`run_inputs_key`) in its
``provenance.json`` (``inputs_key``). A second run with nothing changed reads that digest, checks
the package's files against its manifest, and reuses it (the way ``make`` treats a target newer
than its sources); any change (a criterion, a data or road file's bytes, a travel model, a line of
the package's code, the report language) gives another digest and a fresh solve.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import atr_model
from atr_model._atomic import MARKER
from atr_model.data import DatasetLike, source_digest
from atr_model.errors import DataError
from atr_model.network import TravelSettings
from atr_model.scenarios.input_keys import DEMO, KYRGYZ, _input_key, dataset_file
from atr_model.scenarios.manifest import read_json_file, verify_manifest
from atr_model.scenarios.scenario import Scenario, scenario_hash
from atr_model.scenarios.travel_key import input_digest, travel_cache_key

__all__ = ["INPUTS_KEY", "package_code_digest", "reusable_kpis", "run_inputs_key"]

logger = logging.getLogger(__name__)

#: The ``provenance.json`` field holding the digest of a package's inputs.
INPUTS_KEY = "inputs_key"


@functools.cache
def package_code_digest() -> str:
    """SHA-256 of every module of the installed atr_model package: a result written by other code
    (another engine, another report) is never taken for this version's."""
    root = Path(atr_model.__file__).resolve().parent
    return source_digest(sorted(root.rglob("*.py")))


def _dataset_digest(scenario: Scenario, dataset: DatasetLike) -> str:
    """The dataset's bytes for a named file; the build id (derived from its sources) for the
    generated demo and the cached Kyrgyz build."""
    if scenario.dataset in (DEMO, KYRGYZ):
        return f"{scenario.dataset}:{dataset.build_id}"
    # remembered per process by path, size and mtime: the package key and the instance key of one
    # run read the file once
    return str(input_digest(dataset_file(scenario.resolve_path(scenario.dataset))))


def _travel_digest(scenario: Scenario, dataset: DatasetLike) -> str:
    """A built travel model's files, else the travel-model cache key of the roads and elevation."""
    if scenario.travel is not None:
        folder = scenario.resolve_path(scenario.travel)
        files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MARKER)
        return source_digest(files)
    roads = _input_key(scenario, "roads", dataset)
    elevation = _input_key(scenario, "elevation", dataset)
    return travel_cache_key(dataset, roads, elevation, TravelSettings())


def run_inputs_key(scenario: Scenario, dataset: DatasetLike, options: Mapping[str, str]) -> str:
    """The digest of everything a result package is computed from.

    Parameters
    ----------
    scenario : Scenario
        The scenario as run (overrides applied).
    dataset : Dataset or DatasetHeader
        Its dataset, loaded, or only its header (:func:`~atr_model.scenarios.input_keys.dataset_header`:
        the same key without reading the layers).
    options : mapping
        Options that change the package's files (report language, whether reports are written).

    Returns
    -------
    str
        64 hex digits.
    """
    inputs = {
        "scenario": scenario_hash(scenario),
        "dataset": _dataset_digest(scenario, dataset),
        "travel": _travel_digest(scenario, dataset),
        "code": package_code_digest(),
        "options": dict(sorted(options.items())),
    }
    text = json.dumps(inputs, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def reusable_kpis(folder: Path, key: str) -> dict[str, Any] | None:
    """The KPIs of the package in ``folder`` when it was computed from ``key`` and its files
    match its manifest; None otherwise (then the scenario is solved again).

    Parameters
    ----------
    folder : pathlib.Path
        A result package folder (it may not exist).
    key : str
        :func:`run_inputs_key` of the run about to start.
    """
    try:
        if read_json_file(folder / "provenance.json").get(INPUTS_KEY) != key:
            return None
        problems = verify_manifest(folder)
        if problems:
            logger.info("result %s not reused: %s", folder, problems[0])
            return None
        return read_json_file(folder / "kpis.json")
    except DataError:  # no package there, or not one this tool can read: solve
        return None
