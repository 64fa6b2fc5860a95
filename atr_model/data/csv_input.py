"""Small user CSV files read as text: the exclave list of the Kyrgyz build and adjacency edits.

One reader, so that a missing file, an unreadable CSV and a missing column get the same clear
message (naming the file) whichever layer reads the file; each caller then checks its rows and
names the row it rejects.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import cast

import pandas as pd

from atr_model.data.files import check_file
from atr_model.errors import ATRError, DataError

__all__ = ["read_text_csv"]


def read_text_csv(
    path: str | os.PathLike[str], columns: Sequence[str], *, what: str, error: type[ATRError] = DataError,
) -> pd.DataFrame:
    """Read a CSV as text (no NA conversion), values stripped, after checking its columns.

    Parameters
    ----------
    path : path-like
        The file.
    columns : sequence of str
        Columns the file must have (others are kept).
    what : str
        What the file is, for the message when it is missing ("exclave list").
    error : type
        Exception raised (the caller's layer: :class:`DataError`, ``NetworkError``, ...).

    Returns
    -------
    pandas.DataFrame
        All values as stripped strings; the first data row is row 2 of the file.

    Raises
    ------
    ATRError
        ``error``, on a missing file, an unreadable CSV, or a missing column.
    """
    source = check_file(path, what, error)  # stat only: a folder or a FIFO is refused unopened
    try:
        frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise error(f"{source}: not a readable CSV ({exc})") from exc
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise error(f"{source}: missing column(s) {', '.join(missing)}; expected {','.join(columns)}")
    return cast("pd.DataFrame", frame.apply(lambda col: col.str.strip()))
