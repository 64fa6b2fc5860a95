"""Reading plan files as people bring them: ``unit_code,new_unit_id[,centre_code]``.

A plan comes from a spreadsheet more often than from code, so the reader takes what Excel and
LibreOffice write: comma, semicolon (Excel in a Russian or Kyrgyz locale) or tab separated;
UTF-8 with or without a byte-order mark, Windows-1251 (Excel's "CSV" in a Cyrillic locale) or
UTF-16 ("Unicode text"). The separator is the one the header line uses. Every problem is one
message naming the file and the row (the line number a text editor shows), and each message is
also a catalogue text (:attr:`PLAN_MESSAGES`: key ``error.<key>``) so the app can show it in the
interface's language.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pandas as pd

from atr_model.data import check_file
from atr_model.errors import DataError
from atr_model.scenarios.cells import restore_cell

__all__ = ["PLAN_MESSAGES", "plan_error", "read_plan_csv", "read_plan_text"]

logger = logging.getLogger(__name__)

#: Columns every plan has, and the one it may have.
REQUIRED = ("unit_code", "new_unit_id")
OPTIONAL = ("centre_code",)

#: Separators a plan may use, the first one when the header shows none.
_SEPARATORS = (",", ";", "\t")
_SEPARATOR_NAMES = {",": ",", ";": ";", "\t": "TAB"}

#: Text encodings tried in turn on bytes; Windows-1251 decodes almost any byte, so it comes last.
_ENCODINGS = ("utf-8-sig", "cp1251")

#: First bytes of an Excel workbook (xlsx is a zip; xls an OLE file) saved under a .csv name.
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")

#: A long code Excel shortened to a number in scientific notation (4.17042E+13, or 4,17042E+13).
_SCIENTIFIC = re.compile(r"^\d+([.,]\d+)?[eE]\+?\d+$")

#: The English text of each plan-file message (key -> template); the app's catalogue holds the
#: same template under ``error.<key>`` in every language (tests/test_scenarios_plan_file.py keeps
#: the English one equal to this).
PLAN_MESSAGES: dict[str, str] = {
    "plan_not_found": "{file}: plan file not found",
    "plan_empty": "{file}: the file is empty (expected a header unit_code,new_unit_id and one row per unit)",
    "plan_workbook": "{file}: this is an Excel workbook, not a CSV file; in Excel use File > Save As > CSV",
    "plan_no_rows": "{file}: the header is there but no unit rows follow it",
    "plan_missing_columns": "{file}: row {row}: missing column(s) {missing} (expected unit_code,new_unit_id; "
                            "the header has: {found}; separator {sep})",
    "plan_fields": "{file}: row {row} has {found} field(s) where the header has {expected} ({columns}; separator {sep})",
    "plan_quoting": "{file}: row {row}: a quoted field is not closed, or text follows its closing quote",
    "plan_empty_cell": "{file}: row {row}: empty {column}",
    "plan_scientific": "{file}: row {row}: unit_code {value} is a shortened number (Excel writes long codes in "
                       "scientific notation); format the column as Text and save again",
    "plan_duplicate": "{file}: row {row}: unit '{unit}' is listed twice (first on row {first})",
    "plan_unknown_units": "{file}: {n} unit(s) not in the scenario's dataset: {units}",
    "plan_absent_units": "{file}: {n} unit(s) of the dataset have no new_unit_id: {units}",
    "plan_several_centres": "{file}: new unit '{unit}' names several centres: {centres}",
    "plan_centre_not_member": "{file}: new unit '{unit}': centre '{centre}' is not one of its members",
    "plan_nul": "{file}: row {row}: holds a NUL byte (a binary file, or text pasted from one); a plan is plain text",
    "plan_newline": "{file}: row {row}: a quoted cell runs over several lines; each plan cell is one line",
    "plan_not_text": "{file}: not readable text (it starts like UTF-16, but its bytes are not UTF-16)",
}


def plan_error(key: str, **params: object) -> DataError:
    """The :class:`DataError` of plan-file message ``key`` (English text, catalogue key, values)."""
    return DataError(PLAN_MESSAGES[key].format(**params), key=key, params=params)


def read_plan_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a plan file (``unit_code,new_unit_id[,centre_code]``), as :func:`read_plan_text`.

    Raises
    ------
    DataError
        When the file is missing or malformed (naming the file and the row).
    """
    source = Path(path)
    if not source.exists():
        raise plan_error("plan_not_found", file=str(source))
    check_file(source, "plan CSV")  # a folder or a FIFO is refused before it is opened
    return read_plan_text(source.read_bytes(), where=str(source))


def _decode(data: bytes, where: str) -> str:
    """The text of a file's bytes (UTF-16 by its mark, else UTF-8, else Windows-1251)."""
    if data.startswith(_WORKBOOK_MAGIC):
        raise plan_error("plan_workbook", file=where)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise plan_error("plan_not_text", file=where) from None
    for encoding in _ENCODINGS[:-1]:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    logger.info("%s: not UTF-8; read as %s", where, _ENCODINGS[-1])
    return data.decode(_ENCODINGS[-1], errors="replace")


def _separator(header: str) -> str:
    """The separator the header line uses most (a comma when it uses none)."""
    counts = {sep: header.count(sep) for sep in _SEPARATORS}
    best = max(_SEPARATORS, key=lambda sep: counts[sep])
    return best if counts[best] else _SEPARATORS[0]


def _records(raw: str, sep: str, where: str) -> Iterator[tuple[int, list[str]]]:
    """``(row, fields)`` of every record that is not blank; ``row`` is the file's line number
    where the record starts (a quoted field may span lines)."""
    reader = csv.reader(io.StringIO(raw), delimiter=sep, strict=True)
    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error:
            # strict: a quote left open (the reader ran to the end of the file) or stray text
            # after a closing quote; either way the record that starts here is the one to fix
            raise plan_error("plan_quoting", file=where, row=start) from None
        if any("\n" in f or "\r" in f for f in fields):
            # a quoted line break hides a row inside a cell: the plan would silently lose it
            raise plan_error("plan_newline", file=where, row=start)
        if any(f.strip() for f in fields):
            yield start, [f.strip() for f in fields]


def _header(row: int, fields: list[str], sep: str, where: str) -> list[str]:
    """The header's column names (lower case; a stray byte-order mark dropped)."""
    names = [f.lstrip("\ufeff").strip().strip('"').lower() for f in fields]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise plan_error("plan_missing_columns", file=where, row=row, missing=", ".join(missing),
                         found=", ".join(f for f in fields if f) or "-", sep=_SEPARATOR_NAMES[sep])
    return names


def _fit(row: int, fields: list[str], names: list[str], sep: str, where: str) -> list[str]:
    """A row's fields, one per header column: extra empty fields dropped (Excel writes trailing
    separators), missing trailing optional ones empty; anything else is an error."""
    extra = fields[len(names):]
    short = names[len(fields):]
    if any(extra) or any(c in REQUIRED for c in short):
        raise plan_error("plan_fields", file=where, row=row, found=len(fields), expected=len(names),
                         columns=", ".join(names), sep=_SEPARATOR_NAMES[sep])
    return fields[: len(names)] + [""] * len(short)


def _check_cells(table: pd.DataFrame, rows: list[int], where: str) -> None:
    """Empty required cells, codes Excel shortened, and units listed twice."""
    for col in REQUIRED:
        blank = [r for r, v in zip(rows, table[col]) if not v]
        if blank:
            raise plan_error("plan_empty_cell", file=where, row=blank[0], column=col)
    for r, code in zip(rows, table["unit_code"]):
        if _SCIENTIFIC.match(code):
            raise plan_error("plan_scientific", file=where, row=r, value=code)
    first: dict[str, int] = {}
    for r, code in zip(rows, table["unit_code"]):
        if code in first:
            raise plan_error("plan_duplicate", file=where, row=r, unit=code, first=first[code])
        first[code] = r


def read_plan_text(text: str | bytes, *, where: str = "plan") -> pd.DataFrame:
    """Read plan text (a file's bytes or an uploaded file): ``unit_code,new_unit_id[,centre_code]``.

    Comma, semicolon or tab separated (the header's separator), with or without a UTF-8
    byte-order mark, or in Windows-1251 or UTF-16 as Excel saves them; column names in any
    case; blank lines and empty trailing fields ignored; cells stripped; a cell the tool
    wrote with a guarding quote (``'=...``, :mod:`atr_model.scenarios.cells`) read without it.

    Parameters
    ----------
    text : str or bytes
        The file's content.
    where : str
        The file's name in messages.

    Returns
    -------
    pandas.DataFrame
        ``unit_code, new_unit_id`` and ``centre_code`` when the file has it, as strings.

    Raises
    ------
    DataError
        When the text is empty, a workbook, not CSV, lacks a column, has a row of the wrong
        width, an empty cell, a code in scientific notation or a unit listed twice (naming
        ``where`` and the row), with a catalogue key (:data:`PLAN_MESSAGES`).
    """
    raw = _decode(text, where) if isinstance(text, bytes) else text.lstrip("\ufeff")
    if not raw.strip():
        raise plan_error("plan_empty", file=where)
    if "\x00" in raw:  # Python's csv reads NUL as a character: a code with one would not match
        raise plan_error("plan_nul", file=where, row=raw[: raw.index("\x00")].count("\n") + 1)
    first_line = next(line for line in raw.splitlines() if line.strip())
    sep = _separator(first_line)
    records = _records(raw, sep, where)
    header_row, header_fields = next(records)
    names = _header(header_row, header_fields, sep, where)
    rows: list[int] = []
    values: list[list[str]] = []
    for row, fields in records:
        rows.append(row)
        # a plan made from the tool's own assignments.csv carries its guarding quotes
        # (scenarios.cells): the ids are read as they were written before the quote
        values.append([restore_cell(v) for v in _fit(row, fields, names, sep, where)])
    if not values:
        raise plan_error("plan_no_rows", file=where)
    keep = [c for c in REQUIRED + OPTIONAL if c in names]
    table = pd.DataFrame([[v[names.index(c)] for c in keep] for v in values], columns=keep, dtype=str)
    _check_cells(table, rows, where)
    logger.debug("%s: %d rows, separator %r", where, len(table), sep)
    return cast("pd.DataFrame", table)
