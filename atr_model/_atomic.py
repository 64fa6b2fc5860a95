"""Atomic, crash-safe writes of whole folders and single files, shared by every layer that
publishes one (dataset builds, travel models, result packages, reports, exports).

A folder (or file) is staged beside its target, flushed to disk (``fsync`` of every file and
folder) and only then renamed into place, so a failure, an interrupt or a killed process leaves
any previous version untouched and no half-written one.

Replacing an existing folder swaps the two in one step where the system can (Linux
``renameat2(RENAME_EXCHANGE)``), so there is no moment without a result. Elsewhere the old folder
is first renamed to a backup beside the target, the new one renamed in, then the backup
removed; if the second rename fails the backup is renamed back, and a backup left by a killed
process is restored (or removed) by the next write to the same target.

Staging names carry the writer's process id (``.NAME.tmp-PID-XXXX``); the next write to the
same target removes those whose process is gone, so stale staging from a killed run does not
pile up, while a concurrent live writer's staging is left alone.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_directory", "atomic_file", "clean_stale"]

logger = logging.getLogger(__name__)

_TMP = "tmp"
_OLD = "old"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _prefix(final: Path, kind: str) -> str:
    return f".{final.name}.{kind}-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def _owner_pid(name: str, prefix: str) -> int | None:
    head = name[len(prefix):].split("-", 1)[0]
    return int(head) if head.isdigit() else None


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def clean_stale(target: str | os.PathLike[str]) -> list[Path]:
    """Remove staging left beside ``target`` by writers that no longer run; restore a lost target.

    A backup (``.NAME.old-PID-*``) of a dead writer means it was killed while swapping: when
    ``target`` is missing the backup is the last complete version and is renamed back, otherwise
    it is removed.

    Parameters
    ----------
    target : path-like
        The file or folder written atomically.

    Returns
    -------
    list of pathlib.Path
        What was removed or restored from.
    """
    final = Path(target)
    if not final.parent.is_dir():
        return []
    cleaned = []
    for kind in (_OLD, _TMP):  # backups first: one may be needed to restore the target
        prefix = _prefix(final, kind)
        for path in sorted(final.parent.glob(f"{_glob_escape(prefix)}*")):
            pid = _owner_pid(path.name, prefix)
            if pid == os.getpid() or (pid is not None and _pid_alive(pid)):
                continue  # staging of this process or of another live writer: in use
            if kind == _OLD and not final.exists():
                os.replace(path, final)
                logger.warning("restored %s from the backup %s left by a killed writer", final, path.name)
            else:
                _remove(path)
                logger.info("removed stale %s", path)
            cleaned.append(path)
    return cleaned


def _glob_escape(text: str) -> str:
    """``text`` with glob metacharacters escaped (for names used as a pattern prefix)."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def _fsync_path(path: Path, *, directory: bool = False) -> None:
    # O_DIRECTORY is POSIX-only: Windows has no such flag
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError:  # some systems cannot open folders; the data is still written
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    """Flush every file and folder under ``root`` (files first, then their folders)."""
    for folder, _dirs, files in os.walk(root, topdown=False):
        for name in files:
            path = Path(folder) / name
            if not path.is_symlink():
                _fsync_path(path)
        _fsync_path(Path(folder), directory=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap ``a`` and ``b`` in one atomic step (Linux ``renameat2``); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


def _publish(staging: Path, final: Path) -> None:
    """Put ``staging`` in place of ``final`` (which may or may not exist); never lose both."""
    if final.exists() and _exchange(staging, final):
        _remove(staging)  # now holds the previous version
        return
    if not final.exists():
        os.replace(staging, final)
        return
    backup = Path(tempfile.mkdtemp(prefix=f"{_prefix(final, _OLD)}{os.getpid()}-", dir=final.parent))
    backup.rmdir()  # only the unique name is wanted: os.replace needs the place free
    os.replace(final, backup)
    try:
        os.replace(staging, final)
    except BaseException:
        os.replace(backup, final)
        raise
    _remove(backup)


@contextlib.contextmanager
def atomic_directory(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Stage a folder and publish it as ``target`` on success, flushed to disk first.

    Parameters
    ----------
    target : path-like
        Final folder; an existing one is replaced only after the block succeeded (swapped in
        one step where the system allows, else restored if the replacement fails).

    Yields
    ------
    pathlib.Path
        An empty staging folder on the same file system as ``target``; write into it.
    """
    final = Path(target)
    final.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(final)
    staging = Path(tempfile.mkdtemp(prefix=f"{_prefix(final, _TMP)}{os.getpid()}-", dir=final.parent))
    # mkdtemp makes the folder private (0700); a published folder is meant to be shared
    staging.chmod(0o755)
    try:
        yield staging
        _fsync_tree(staging)
        _publish(staging, final)
        _fsync_path(final.parent, directory=True)
    except BaseException:
        _remove(staging)
        raise


@contextlib.contextmanager
def atomic_file(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success flush it and rename it into place.

    Parameters
    ----------
    target : path-like
        Final file; an existing one is replaced in one rename (never missing in between).

    Yields
    ------
    pathlib.Path
        A path that does not exist yet, in ``target``'s folder, with ``target``'s suffix (some
        writers pick the format from it); write the whole file there.
    """
    final = Path(target)
    final.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(final)
    fd, name = tempfile.mkstemp(prefix=f"{_prefix(final, _TMP)}{os.getpid()}-", suffix=final.suffix, dir=final.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # writers that refuse to overwrite get a free name
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"{tmp}: the writer produced no file for {final}")
        if tmp.is_dir():
            _fsync_tree(tmp)
        else:
            _fsync_path(tmp)
        os.replace(tmp, final)
        _fsync_path(final.parent, directory=True)
    except BaseException:
        _remove(tmp)
        raise
