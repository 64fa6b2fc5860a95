"""Text cells a spreadsheet must never run: the one rule every CSV the tool writes follows.

A unit, settlement or scenario name comes from a dataset or a scenario file, and a name such as
``=HYPERLINK("http://...")`` or ``@SUM(...)`` would run as a formula when a person opens the
CSV in Excel or LibreOffice (CSV injection). As OWASP advises, a text cell that begins with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written with a single quote in
front (``'=HYPERLINK(...)``), which spreadsheets show as text. Numbers are left alone, negative
ones included (``-3.5`` is a number, not a formula), whether a column holds them as numbers or
as text.

The tool reads its own CSVs back (a result package, a robustness package, a plan made from an
``assignments.csv``): :func:`restore_cells` undoes the quote, so a name round-trips unchanged.
So that the round trip is exact, a text that already begins with a quote followed by one of
those characters, or by another quote, gets one more quote too (``'=x`` is written ``''=x``).

:func:`write_csv` is the writer of every CSV the tool writes for people (result and robustness
packages, compare and sweep tables); the workbook (:mod:`.exports`) stores such cells as text
cells instead (never a formula), with no quote.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar, cast

import pandas as pd

__all__ = ["FORMULA_STARTS", "neutralise_cell", "neutralise_cells", "read_tool_csv", "restore_cell",
           "restore_cells", "write_csv"]

#: First characters that make a spreadsheet read a cell as a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_QUOTE = "'"
#: A plain number written as text ("-3.5", "+2", "1e-3"): spreadsheets read it as that number.
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")

T = TypeVar("T")


def _quoted(text: str) -> bool:
    """Whether ``text`` is a written cell that carries the guarding quote."""
    return len(text) > 1 and text[0] == _QUOTE and (text[1] in FORMULA_STARTS or text[1] == _QUOTE)


def neutralise_cell(value: T) -> T | str:
    """A cell as a CSV for people holds it: text that a spreadsheet would run as a formula
    with a single quote in front; anything else (numbers, missing values, other text) as it is.

    Parameters
    ----------
    value
        One cell.

    Returns
    -------
    object
        ``value``, or the quoted text.
    """
    if not isinstance(value, str) or not value:
        return value
    if (value[0] in FORMULA_STARTS and not _NUMBER.match(value)) or _quoted(value):
        return _QUOTE + value
    return value


def restore_cell(value: T) -> T | str:
    """The cell :func:`neutralise_cell` was given (the guarding quote taken off again)."""
    if isinstance(value, str) and _quoted(value):
        return value[1:]
    return value


def _map_text(frame: pd.DataFrame, cell: Callable[[object], object]) -> pd.DataFrame:
    """``frame`` with ``cell`` applied to every text column (numeric columns untouched)."""
    text = [c for c in frame.columns if frame[c].dtype == object or isinstance(frame[c].dtype, pd.StringDtype)]
    out = cast("pd.DataFrame", frame.copy())
    for column in text:
        out[column] = out[column].map(cell, na_action="ignore")
    return out


def neutralise_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell passed through :func:`neutralise_cell`."""
    return _map_text(frame, neutralise_cell)


def restore_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell passed through :func:`restore_cell` (for the
    tool's own CSVs read back)."""
    return _map_text(frame, restore_cell)


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str], **options: object) -> Path:
    """Write ``frame`` as a CSV for people: no index, ``\\n`` line ends, formula-like text
    neutralised (:func:`neutralise_cells`). ``options`` go to :meth:`pandas.DataFrame.to_csv`.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    settings: dict[str, object] = {"index": False, "lineterminator": "\n", **options}
    neutralise_cells(frame).to_csv(path, **settings)  # type: ignore[call-overload]
    return Path(path)


def read_tool_csv(path: str | os.PathLike[str], **options: object) -> pd.DataFrame:
    """Read a CSV the tool wrote with :func:`write_csv`, the text cells as they were given.
    ``options`` go to :func:`pandas.read_csv`."""
    return restore_cells(pd.read_csv(path, **options))  # type: ignore[call-overload]
