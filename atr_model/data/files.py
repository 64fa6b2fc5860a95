"""Files read by name: checked before they are opened, and read errors turned into one message.

Every input the tool reads by name (a scenario, a plan CSV, a source table, a road file) goes
through :func:`check_file` first: a missing file, a folder, or a special file (a pipe, a device,
a socket) is refused from ``os.stat`` alone, so a FIFO never blocks the process on ``open``.
:func:`reading` turns what the parsers raise on a damaged file (bytes that are not UTF-8, an
empty file, a folder, nesting that exhausts the stack, an unreadable vector file) into one
:class:`~atr_model.errors.DataError` naming the file, instead of an "unexpected error".
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from atr_model.errors import ATRError, DataError

__all__ = ["check_file", "file_sha256", "read_text_file", "reading", "source_digest"]


def check_file(path: str | os.PathLike[str], what: str, error: type[ATRError] = DataError) -> Path:
    """The path, after checking with ``os.stat`` (no ``open``) that it is a regular file.

    Parameters
    ----------
    path : path-like
        The file.
    what : str
        What the file is, for the message ("plan CSV", "census table").
    error : type
        Exception raised (the caller's layer).

    Raises
    ------
    ATRError
        ``error``: the file is missing, is a folder, or is not a regular file.
    """
    source = Path(path)
    try:
        mode = os.stat(source).st_mode
    except FileNotFoundError:
        raise error(f"{source}: {what} not found") from None
    except OSError as exc:
        raise error(f"{source}: {what} cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(mode):
        raise error(f"{source}: is a folder; expected a {what}")
    if not stat.S_ISREG(mode):
        raise error(f"{source}: not a regular file (a pipe, device or socket); expected a {what}")
    return source


def _decode_message(exc: UnicodeDecodeError) -> str:
    return f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at byte {exc.start}); save it as UTF-8"


def _read_error(exc: BaseException) -> str | None:
    """The message for a parser's error on a damaged file, or ``None`` for anything else."""
    if isinstance(exc, UnicodeDecodeError):
        return _decode_message(exc)
    # a pandas parser error can only come from a loaded pandas: this module does not import it
    # (file_sha256 serves the reuse check of ``atr-model run``, which reads no table)
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(exc, pd.errors.EmptyDataError):
        return "the file is empty (no header, no rows)"
    if isinstance(exc, IsADirectoryError):
        return "is a folder, not a file"
    if isinstance(exc, RecursionError):
        return "nested too deeply to read"
    if pd is not None and isinstance(exc, pd.errors.ParserError):
        return f"not a readable CSV ({' '.join(str(exc).split())})"
    if isinstance(exc, PermissionError):
        return "cannot be read (permission denied)"
    if type(exc).__module__.startswith("pyogrio"):  # DataSourceError and kin, whose text may not name the file
        text = " ".join(str(exc).split()) or type(exc).__name__
        return f"not a readable vector file ({text})"
    return None


@contextmanager
def reading(path: str | os.PathLike[str], what: str, error: type[ATRError] = DataError) -> Iterator[Path]:
    """Read a file inside this block; a damaged file's error becomes one message naming it.

    Parameters
    ----------
    path : path-like
        The file (checked with :func:`check_file` first).
    what : str
        What the file is ("census table").
    error : type
        Exception raised (the caller's layer).

    Yields
    ------
    pathlib.Path
        The checked path.
    """
    source = check_file(path, what, error)
    try:
        yield source
    except ATRError:
        raise
    except Exception as exc:  # a parser's error: named when it says the file is damaged
        message = _read_error(exc)
        if message is None:
            raise
        raise error(f"{source}: {what}: {message}") from exc


def read_text_file(path: str | os.PathLike[str], what: str, error: type[ATRError] = DataError) -> str:
    """A small UTF-8 text file (a scenario), checked first; a leading BOM is dropped."""
    with reading(path, what, error) as source:
        return source.read_text(encoding="utf-8-sig")


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes (hex), read in blocks of 1 MiB (the one digest of a file the
    package computes: build inputs, result manifests, travel-model inputs)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_digest(files: Iterable[Path], *versions: str) -> str:
    """SHA-256 of the files that exist among ``files`` (names and bytes) and of ``versions``
    (library versions, recipe numbers): a code or text change gives another digest."""
    digest = hashlib.sha256("|".join(versions).encode("utf-8"))
    for path in files:
        if path.is_file():
            digest.update(path.name.encode("utf-8"))
            digest.update(path.read_bytes())
    return digest.hexdigest()
