"""Presentation: what the app keeps in the cache folder (``<cache>/display/``) for its next
process, so a freshly started server draws its first map without preparing it again.

One mechanism for every kept file: :func:`source_digest` keys a file by the code it was made
with, :func:`kept` reads it or builds and writes it atomically. A kept file that cannot be read
or written only costs the work it would have saved.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from atr_model._atomic import atomic_file
from atr_model.data import source_digest

__all__ = ["source_digest", "kept"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


def kept(path: Path, *, load: Callable[[Path], T | None], dump: Callable[[T, Path], object],
         build: Callable[[], T], what: str) -> T:
    """The value kept in ``path`` (``load``; None: not usable), else ``build()`` kept there.

    Parameters
    ----------
    path
        The kept file.
    load, dump
        Read a value from a file, write one to a file (``dump`` writes to a staging file that
        replaces ``path`` atomically).
    build
        Makes the value when the file is missing or not usable.
    what
        What the file holds, for the log ("display layers", "stored map").
    """
    try:
        value = load(path)
        if value is not None:
            return value
    except FileNotFoundError:
        pass
    except Exception as exc:  # a stale or partial file from another version: build anew
        logger.info("%s in %s not usable (%s); preparing them again", what, path, exc)
    value = build()
    try:
        with atomic_file(path) as tmp:
            dump(value, tmp)
    except (OSError, TypeError, ValueError) as exc:
        logger.info("could not keep the %s in %s: %s", what, path, exc)
    return value
