"""A dataset's header: its ``metadata`` table (build id, name, kind, terms), read without its layers.

A dataset GeoPackage is an SQLite file; its ``metadata`` table (columns ``key``, ``value`` as JSON
text, :meth:`atr_model.data.Dataset.write`) is read here with :mod:`sqlite3`, without GDAL,
geopandas or any layer. That is all the reuse check of ``atr-model run`` needs to know which
dataset a result was computed from (its build id, or the file's bytes), so a result that is up to
date is recognised in a fraction of a second. :func:`atr_model.data.read_dataset` reads the same
table through :func:`metadata_from_rows` (one parser, one message for a bad row).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from atr_model.data.files import check_file
from atr_model.errors import DataError

__all__ = ["DatasetHeader", "DatasetLike", "MetadataIdentity", "metadata_from_rows", "read_dataset_header"]


class DatasetLike(Protocol):
    """What a dataset's identity needs: its metadata, build id and name (a :class:`Dataset` or a
    :class:`DatasetHeader`)."""

    @property
    def metadata(self) -> Mapping[str, Any]:
        """Build provenance (``build_id``, ``kind``, ``name``, ``terms``...)."""

    @property
    def build_id(self) -> str:
        """Identifier of the build."""

    @property
    def name(self) -> str:
        """Human-readable name."""


class MetadataIdentity:
    """``build_id`` and ``name`` read from a ``metadata`` mapping: one reading for the
    :class:`DatasetHeader` and the :class:`~atr_model.data.Dataset` (a result reused by its header
    must name the same build as the full dataset would)."""

    metadata: Mapping[str, Any]

    @property
    def build_id(self) -> str:
        """Identifier of the build (hash of inputs and builder version)."""
        return str(self.metadata.get("build_id", "unknown"))

    @property
    def name(self) -> str:
        """Human-readable name of the dataset."""
        return str(self.metadata.get("name", self.metadata.get("kind", "dataset")))


@dataclass(frozen=True)
class DatasetHeader(MetadataIdentity):
    """A dataset's metadata without its layers (the same ``build_id`` and ``name`` as the
    :class:`~atr_model.data.Dataset` read from the same file).

    Attributes
    ----------
    metadata : dict
        The ``metadata`` table, values parsed from JSON.
    """

    metadata: Mapping[str, Any] = field(default_factory=dict)


def metadata_from_rows(source: str | os.PathLike[str], rows: Iterable[tuple[object, object]]) -> dict[str, Any]:
    """The ``metadata`` table's ``(key, value)`` rows as a dict, each value parsed from JSON.

    A row whose value is not JSON is told naming the file, the table, the row and the key (a
    hand-written table with plain text in ``value`` otherwise fails deep inside ``json``).

    Raises
    ------
    DataError
        On the first value that is not JSON text.
    """
    metadata: dict[str, Any] = {}
    for row, (key, value) in enumerate(rows, start=1):
        try:
            metadata[str(key)] = json.loads(value)  # type: ignore[arg-type]  # a non-text value: TypeError below
        except (TypeError, ValueError) as exc:
            reason = getattr(exc, "msg", None) or type(exc).__name__
            raise DataError(
                f"{source}: table 'metadata', row {row} (key {key!r}): value {str(value)[:40]!r} is not JSON "
                f"({reason}); write text as a JSON string, e.g. \"text\""
            ) from None
    return metadata


def read_dataset_header(path: str | os.PathLike[str]) -> DatasetHeader:
    """Read a dataset GeoPackage's ``metadata`` table only (read-only, no layer is opened).

    Parameters
    ----------
    path : path-like
        The ``.gpkg`` file.

    Raises
    ------
    DataError
        When the file is missing, is not an SQLite file, or has no ``metadata`` table with
        ``key`` and ``value`` columns, or a value is not JSON.
    """
    source = check_file(path, "dataset file")
    try:
        # read-only: a check must never create or change the file (or its journal)
        with contextlib.closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as connection:
            rows = connection.execute('SELECT "key", "value" FROM "metadata" ORDER BY rowid').fetchall()
    except sqlite3.Error as exc:
        raise DataError(f"{source}: not an atr-model dataset with a metadata table (key, value) ({exc})") from None
    return DatasetHeader(metadata=metadata_from_rows(source, rows))
