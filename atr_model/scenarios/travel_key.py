"""Scenario layer, travel: the key naming a cached travel model (the hash of everything it is
built from: the dataset build id, the road and elevation files' digests, the travel settings and
the code of :mod:`atr_model.network`).

Plain Python (hashing): the reuse check of ``atr-model run`` computes the key without the
network's libraries; :mod:`.travel` reads, builds and stores the models and re-exports these names.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import inspect
import json
from pathlib import Path

from atr_model.data import DatasetLike, default_cache_dir, file_sha256
from atr_model.network import TravelSettings

__all__ = [
    "DEMO_INPUT",
    "TRAVEL_CACHE_VERSION",
    "input_digest",
    "network_code_version",
    "travel_cache_dir",
    "travel_cache_key",
]

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
    folder = Path(inspect.getfile(TravelSettings)).parent  # the atr_model.network package
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@functools.cache
def _demo_code_version() -> str:
    """SHA-256 of the module of the demo road and elevation generators (deterministic: their code
    is their output), read as a file: the key is computed without importing the generators."""
    spec = importlib.util.find_spec("atr_model.data.demo")
    source = spec.origin if spec is not None else None
    return hashlib.sha256(Path(source).read_bytes() if source else b"atr_model.data.demo").hexdigest()


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
