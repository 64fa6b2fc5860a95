"""The digest manifest of a result package: what was written, so a changed file is noticed.

:func:`~atr_model.scenarios.write_result` ends by writing ``manifest.json``: the SHA-256 of
every file of the package (sub-folders included). Before the app reuses or shows a folder it
calls :func:`verify_manifest`: a file edited, removed or added since (an edited ``kpis.json``, a
planted ``report.html``) makes the folder untrusted. Files written into a package later, on
request (a report in another language), are added with :func:`record_files`. Names starting
with a dot are staging files of atomic writes (``.NAME.tmp-PID-…``) and are not part of a
package.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from atr_model._atomic import atomic_file
from atr_model.data import file_sha256
from atr_model.errors import DataError

__all__ = ["MANIFEST_NAME", "file_digests", "write_manifest", "verify_manifest", "record_files", "read_json_file"]

MANIFEST_NAME = "manifest.json"
_FORMAT = "atr-model result manifest 1"
#: One writer at a time updates a manifest within a process (the app's sessions are threads).
_LOCK = threading.Lock()


def _package_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*")
        if p.is_file() and p != folder / MANIFEST_NAME and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def _sha256(path: Path) -> str:
    return file_sha256(path)


def file_digests(folder: str | os.PathLike[str]) -> dict[str, str]:
    """SHA-256 of every package file under ``folder`` (relative POSIX path -> hex digest)."""
    root = Path(folder)
    return {p.relative_to(root).as_posix(): _sha256(p) for p in _package_files(root)}


def _write(folder: Path, files: dict[str, str]) -> None:
    text = json.dumps({"format": _FORMAT, "algorithm": "sha256", "files": dict(sorted(files.items()))}, indent=1)
    with atomic_file(folder / MANIFEST_NAME) as staging:
        staging.write_text(text + "\n", encoding="utf-8")


def write_manifest(folder: str | os.PathLike[str]) -> Path:
    """Write ``manifest.json`` listing the digest of every file now in ``folder``."""
    root = Path(folder)
    with _LOCK:
        _write(root, file_digests(root))
    return root / MANIFEST_NAME


def _read(root: Path) -> dict[str, str]:
    path = root / MANIFEST_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{root}: no {MANIFEST_NAME}; the folder cannot be checked") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"{path}: unreadable manifest ({exc})") from None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict) or data.get("algorithm") != "sha256":
        raise DataError(f"{path}: not an atr-model result manifest")
    return {str(k): str(v) for k, v in files.items()}


def verify_manifest(folder: str | os.PathLike[str]) -> list[str]:
    """What differs between ``folder`` and its manifest; an empty list when every file is as
    written.

    Returns
    -------
    list of str
        One line per problem: a missing or unreadable manifest, a file changed, missing, or
        not listed (added after the package was written).
    """
    root = Path(folder)
    try:
        listed = _read(root)
    except DataError as exc:
        return [str(exc)]
    found = file_digests(root)
    problems = [f"{name}: changed since it was written"
                for name in sorted(listed) if name in found and found[name] != listed[name]]
    problems += [f"{name}: missing" for name in sorted(set(listed) - set(found))]
    problems += [f"{name}: not part of the package as written" for name in sorted(set(found) - set(listed))]
    return problems


def record_files(folder: str | os.PathLike[str], names: Iterable[str]) -> None:
    """Add files written into a verified package later (on request) to its manifest."""
    root = Path(folder)
    with _LOCK:
        files = _read(root)
        for name in names:
            files[Path(name).as_posix()] = _sha256(root / name)
        _write(root, files)


def read_json_file(path: Path) -> dict[str, Any]:
    """A JSON object file of a result package; DataError naming the file when missing or invalid.

    The one reader of a package's JSON files (:mod:`.package_files` re-exports it); here, beside
    the manifest, because the reuse check of ``atr-model run`` reads ``provenance.json`` and
    ``kpis.json`` without the table libraries the rest of a package needs."""
    if not path.exists():
        raise DataError(f"{path}: file missing from the result package")
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as exc:
        raise DataError(f"{path}: not valid JSON ({exc})") from exc
