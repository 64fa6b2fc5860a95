"""Atomic writes of whole folders, shared by every layer that publishes one.

A folder is staged beside its target and renamed into place only when everything in it was
written, so a failure or an interrupt leaves any previous folder untouched and no half folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_directory"]


@contextmanager
def atomic_directory(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Stage a folder and publish it as ``target`` in one rename on success.

    Parameters
    ----------
    target : path-like
        Final folder; an existing one is replaced only after the block succeeded.

    Yields
    ------
    pathlib.Path
        An empty staging folder on the same file system as ``target``; write into it.
    """
    final = Path(target)
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
    # mkdtemp makes the folder private (0700); a published folder is meant to be shared
    staging.chmod(0o755)
    try:
        yield staging
        retired = None
        if final.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-", dir=final.parent))
            os.replace(final, retired / "previous")
        os.replace(staging, final)
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
