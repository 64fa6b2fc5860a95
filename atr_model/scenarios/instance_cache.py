"""Scenario layer: the engine input of a run, built once and reused (``<cache>/instances/``).

Building the engine input (:func:`~atr_model.scenarios.build_instance`: names, exemptions,
settlement-to-centre times, the pair matrices) takes about a second on the national Kyrgyz
scenario. ``atr-model run --rerun`` on unchanged inputs builds the same bundle again; here it is
stored under the digest of everything it is built from (the caller's key: the scenario, the
dataset's bytes or build id, the travel model's inputs and the package's code, as
:func:`~atr_model.scenarios.run_inputs_key` computes them) and read back instead.

The store is this tool's own cache folder (a pickle: only this package writes it), written
atomically; an entry that cannot be read, or holds another key or another version, is built
again with a warning (never an error). Any change of an input is another key, so another entry.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Callable
from pathlib import Path

from atr_model._atomic import atomic_file, is_disk_full
from atr_model.data import default_cache_dir
from atr_model.scenarios.instance_builder import InstanceBundle

__all__ = ["INSTANCE_CACHE_VERSION", "cached_instance", "instance_cache_dir"]

logger = logging.getLogger(__name__)

#: Bumped when the stored layout changes: older entries are then never read.
INSTANCE_CACHE_VERSION = 1


def instance_cache_dir() -> Path:
    """Where cached engine inputs live: ``<cache>/instances`` (:func:`default_cache_dir`)."""
    return default_cache_dir() / "instances"


def _entry(key: str) -> Path:
    return instance_cache_dir() / f"{key[:32]}.pickle"


def _read(path: Path, key: str) -> InstanceBundle | None:
    """The bundle stored in ``path`` for ``key``; None (and a warning) when it cannot be used."""
    try:
        with open(path, "rb") as fh:
            stored = pickle.load(fh)  # noqa: S301 - this package's own cache folder, written by _write
    except Exception as exc:  # a damaged or truncated entry (any unpickling error) only costs a rebuild
        logger.warning("cached instance %s not used (%s: %s); building it again", path, type(exc).__name__, exc)
        return None
    if not (isinstance(stored, dict) and stored.get("version") == INSTANCE_CACHE_VERSION and stored.get("key") == key
            and isinstance(stored.get("bundle"), InstanceBundle)):
        logger.warning("cached instance %s not used (another key or version); building it again", path)
        return None
    bundle: InstanceBundle = stored["bundle"]
    return bundle


def _write(path: Path, key: str, bundle: InstanceBundle) -> None:
    try:
        with atomic_file(path) as tmp, open(tmp, "wb") as fh:
            pickle.dump({"version": INSTANCE_CACHE_VERSION, "key": key, "bundle": bundle}, fh,
                        protocol=pickle.HIGHEST_PROTOCOL)
    except OSError as exc:  # a cache that cannot be written only costs a build next time
        level = logging.WARNING if is_disk_full(exc) else logging.INFO
        logger.log(level, "instance not cached in %s: %s", path, exc)


def cached_instance(key: str, build: Callable[[], InstanceBundle]) -> InstanceBundle:
    """The engine input stored under ``key``, else ``build()`` stored under it.

    Parameters
    ----------
    key : str
        Digest of everything the bundle is built from (64 hex digits); the caller vouches that
        ``build`` builds from exactly those inputs.
    build : callable
        Builds the bundle on a miss.

    Returns
    -------
    InstanceBundle
    """
    path = _entry(key)
    if path.is_file():
        bundle = _read(path, key)
        if bundle is not None:
            logger.info("instance reused from the cache (%s)", path)
            return bundle
    bundle = build()
    path.parent.mkdir(parents=True, exist_ok=True)
    _write(path, key, bundle)
    return bundle
