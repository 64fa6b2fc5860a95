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

Ownership: a folder written with a ``kind`` carries a marker file (:data:`MARKER`: the tool, the
kind and the version). :func:`claim_output` is the one rule every command applies to its
``--out`` before any work: a missing or empty folder, or one holding the marker of the same kind,
may be replaced; anything else (a folder the user keeps files in) is refused with one line
unless ``force``. A full disk while writing becomes one line too (:class:`OutputError`), the
previous version untouched.

Scratch folders (generated inputs, intermediate runs) are made by :func:`scratch_directory` under
the system's temporary folder with the process id in their name; :func:`clean_stale_scratch`,
called when a command starts, removes those of processes that no longer run (a killed run).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from atr_model import __version__
from atr_model.errors import OutputError

__all__ = [
    "MARKER",
    "OUTPUT_KINDS",
    "atomic_directory",
    "atomic_file",
    "claim_output",
    "clean_stale",
    "clean_stale_scratch",
    "is_disk_full",
    "scratch_directory",
]

logger = logging.getLogger(__name__)

_TMP = "tmp"
_OLD = "old"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2

#: The file inside every output folder that marks it as atr-model's own (JSON: tool, kind, version).
MARKER = ".atr-model-output"
#: Prefix of scratch folders under the system's temporary folder (followed by the process id).
SCRATCH_PREFIX = "atr-model-scratch-"

#: Each kind of output folder: its name in messages, and the file that identified such a folder
#: before the marker existed (None: the command used to write into any folder, so only the marker
#: proves the folder is its own).
OUTPUT_KINDS: dict[str, tuple[str, str | None]] = {
    "dataset": ("dataset build", "build_report.json"),
    "dataset-import": ("dataset import", "import_report.json"),
    "travel-model": ("travel model", "travel_model.json"),
    "result": ("result package", "provenance.json"),
    "robustness": ("robustness package", "robustness.json"),
    "sweep": ("sweep output", None),
    "compare": ("comparison", None),
    "agreement": ("agreement output", None),
    "calibration": ("calibration output", None),
}
_DISK_FULL = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))


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


def _marker_kind(folder: Path) -> str | None:
    """The kind recorded in ``folder``'s marker, or None when there is no readable marker."""
    try:
        meta = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta.get("kind") if isinstance(meta, dict) and meta.get("tool") == "atr-model" else None


def _write_marker(folder: Path, kind: str) -> None:
    meta = {"tool": "atr-model", "kind": kind, "version": __version__}
    (folder / MARKER).write_text(json.dumps(meta, sort_keys=True) + "\n", encoding="utf-8")


def claim_output(target: str | os.PathLike[str], kind: str, *, force: bool = False) -> Path:
    """Check that ``target`` may be (re)written as a ``kind`` output; clean what a killed run left.

    The one ownership rule of every command's ``--out``: a missing or empty folder, or a folder
    holding atr-model's marker of the same ``kind`` (or, written before the marker existed, the
    kind's own file), may be replaced. Called when a command starts (so a refusal costs no work,
    and a swap a killed run left half-done is restored first) and again by
    :func:`atomic_directory` before it publishes.

    Parameters
    ----------
    target : path-like
        The output folder.
    kind : str
        One of :data:`OUTPUT_KINDS`.
    force : bool, default False
        Replace whatever is there (the user asked for it).

    Returns
    -------
    pathlib.Path
        ``target``.

    Raises
    ------
    OutputError
        When ``target`` holds anything else (a file, or a folder with files atr-model did not
        write); nothing is changed then.
    """
    label, legacy = OUTPUT_KINDS[kind]
    final = Path(target)
    clean_stale(final)
    if force or not (final.exists() or final.is_symlink()):
        return final
    if final.is_dir():
        found = _marker_kind(final)
        if found == kind or not any(final.iterdir()):
            return final
        if found is None and legacy is not None and (final / legacy).is_file() and not (final / MARKER).exists():
            return final
        if found in OUTPUT_KINDS:
            raise OutputError(f"{final}: holds an atr-model {OUTPUT_KINDS[found][0]}, not a {label}; refusing to "
                              "replace it (choose another --out, or --force)")
    raise OutputError(f"{final}: exists and is not a {label}; refusing to replace it (choose another --out, "
                      "or --force)")


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or an error it was raised from) is a full disk or an exceeded quota.

    Some writers (GDAL through pyogrio) wrap the system error in their own, keeping its text.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _DISK_FULL:
            return True
        if "No space left on device" in str(current) or "Disk quota exceeded" in str(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _disk_full_error(final: Path) -> OutputError:
    return OutputError(f"{final}: disk full while writing; nothing was changed there (free some space on "
                       f"{final.parent} and run again)")


@contextlib.contextmanager
def scratch_directory(label: str) -> Iterator[Path]:
    """A private scratch folder under the system's temporary folder, removed after the block.

    Its name carries this process's id, so the one a killed process leaves behind is removed by
    :func:`clean_stale_scratch` when the next command starts.

    Parameters
    ----------
    label : str
        A word in the folder's name saying what it holds (``demo-inputs``, ``compare``).

    Yields
    ------
    pathlib.Path
    """
    path = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-{label}-"))
    try:
        yield path
    finally:
        _remove(path)


def clean_stale_scratch(root: str | os.PathLike[str] | None = None) -> list[Path]:
    """Remove the scratch folders (:func:`scratch_directory`) of processes that no longer run.

    Parameters
    ----------
    root : path-like, optional
        Where they are; default the system's temporary folder.

    Returns
    -------
    list of pathlib.Path
        The folders removed.
    """
    folder = Path(root) if root is not None else Path(tempfile.gettempdir())
    removed = []
    for path in folder.glob(f"{SCRATCH_PREFIX}*"):
        pid = _owner_pid(path.name, SCRATCH_PREFIX)
        if pid is None or pid == os.getpid() or _pid_alive(pid):
            continue
        _remove(path)
        if not path.exists():  # another user's folder may not be ours to remove
            removed.append(path)
            logger.info("removed stale scratch folder %s", path)
    return removed


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
def atomic_directory(target: str | os.PathLike[str], *, kind: str | None = None, force: bool = False) -> Iterator[Path]:
    """Stage a folder and publish it as ``target`` on success, flushed to disk first.

    Parameters
    ----------
    target : path-like
        Final folder; an existing one is replaced only after the block succeeded (swapped in
        one step where the system allows, else restored if the replacement fails).
    kind : str, optional
        The kind of output (:data:`OUTPUT_KINDS`): ``target`` must pass :func:`claim_output`
        and the published folder carries the :data:`MARKER` of this kind. None for internal
        caches, which no user names.
    force : bool, default False
        With ``kind``: replace ``target`` whatever it holds.

    Yields
    ------
    pathlib.Path
        An empty staging folder on the same file system as ``target``; write into it.

    Raises
    ------
    OutputError
        When ``target`` is refused by :func:`claim_output`, or the disk is full (``target`` is
        then as it was).
    """
    final = Path(target)
    final.parent.mkdir(parents=True, exist_ok=True)
    if kind is not None:
        claim_output(final, kind, force=force)
    else:
        clean_stale(final)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f"{_prefix(final, _TMP)}{os.getpid()}-", dir=final.parent))
    except OSError as exc:
        if is_disk_full(exc):
            raise _disk_full_error(final) from exc
        raise
    # mkdtemp makes the folder private (0700); a published folder is meant to be shared
    staging.chmod(0o755)
    try:
        yield staging
        if kind is not None:
            _write_marker(staging, kind)
        _fsync_tree(staging)
        _publish(staging, final)
        _fsync_path(final.parent, directory=True)
    except BaseException as exc:
        _remove(staging)
        if is_disk_full(exc):
            raise _disk_full_error(final) from exc
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
    except BaseException as exc:
        _remove(tmp)
        if is_disk_full(exc) and not isinstance(exc, OutputError):
            raise _disk_full_error(final) from exc
        raise
