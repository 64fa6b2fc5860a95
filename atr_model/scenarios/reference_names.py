"""Resolve the units of a reference plan named by raion and name (as public sources name them).

A reference row may give ``unit_code`` (the build's code) or ``raion`` + ``unit_name``: the
name of the raion and of the pre-reform unit in any of the spellings people use (Russian as in
the classifier, "Ала-Букинский айылный аймак"; Kyrgyz, "Өрүктү"; Latin with or without
diacritics, "Örüktü", "Oruktu"). Names are compared by their loose key
(:func:`atr_model.data.names.unit_stem`: script, kind words, the letters Russian and Kyrgyz
spellings swap, doubled letters), the raion first, then the unit among the raion's units. A
name that fits no unit, or more than one, is refused with one line naming the row and the
candidates: a reference must never be matched by guess.

Why names: the project ships a reference built from public notices, which name units, not
codes; codes would be derived from the build of the open data, which the project does not
ship.
"""

from __future__ import annotations

import difflib
import re
from typing import cast

import pandas as pd

from atr_model.data import Dataset, unit_stem
from atr_model.errors import DataError

__all__ = ["NAME_COLUMNS", "name_index", "resolve_names"]

#: The columns that name a unit instead of ``unit_code``.
NAME_COLUMNS = ("raion", "unit_name")
#: The name columns of units and raions in a dataset, in the order candidates are shown.
_NAMES = ("name_en", "name_ky", "name_ru")
#: Kind words a raion's name may carry in Latin script (unit_stem drops the Cyrillic ones).
_RAION_WORD = re.compile(r"\s+(raion|rayon|district)$", re.IGNORECASE)
#: How many close names an "unknown" message suggests.
_CLOSE = 5


def _keys(row: pd.Series) -> set[str]:
    """Loose keys of every spelling of one unit or raion."""
    keys = {unit_stem(row.get(column)) for column in _NAMES}
    return {key for key in keys if key}


def _label(row: pd.Series, code_column: str) -> str:
    name = next((str(row[c]) for c in _NAMES if isinstance(row.get(c), str) and row[c].strip()), "")
    return f"{name} ({row[code_column]})"


def name_index(table: pd.DataFrame, code_column: str) -> dict[str, list[str]]:
    """Loose key -> codes of the rows of ``table`` (units or raions) spelled that way.

    Parameters
    ----------
    table : pandas.DataFrame
        Units or raions with ``name_en``/``name_ky``/``name_ru`` (missing ones skipped).
    code_column : str
        ``unit_code`` or ``raion_code``.
    """
    index: dict[str, list[str]] = {}
    for _, row in table.iterrows():
        for key in _keys(row):
            index.setdefault(key, []).append(str(row[code_column]))
    return index


def _find(text: str, table: pd.DataFrame, code_column: str, what: str, where: str) -> str:
    """The one code of ``table`` whose name (or code) is ``text``; else a one-line refusal."""
    if text in set(table[code_column].astype(str)):
        return text
    key = unit_stem(_RAION_WORD.sub("", text.strip()))
    index = name_index(table, code_column)
    codes = sorted(set(index.get(key, [])))
    labels = {str(r[code_column]): _label(r, code_column) for _, r in table.iterrows()}
    if len(codes) == 1:
        return codes[0]
    if codes:
        raise DataError(f"{where}: {what} {text!r} is ambiguous, it fits {len(codes)}: "
                        f"{', '.join(labels[c] for c in codes)}; give unit_code instead")
    close = difflib.get_close_matches(key, list(index), n=_CLOSE, cutoff=0.6)
    near = sorted({labels[c] for k in close for c in index[k]})
    hint = f"; close: {', '.join(near)}" if near else f"; the candidates: {', '.join(sorted(labels.values())[:20])}"
    raise DataError(f"{where}: unknown {what} {text!r}{hint}")


def resolve_names(frame: pd.DataFrame, territory: Dataset, where: str) -> pd.DataFrame:
    """Fill ``unit_code`` of the rows that name their unit by ``raion`` + ``unit_name``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The reference rows: ``row, unit_code, raion, unit_name, group, source`` (strings; an
        empty ``unit_code`` means the row names its unit).
    territory : Dataset
        The units and raions the names are looked up in.
    where : str
        The reference's file, for messages.

    Returns
    -------
    pandas.DataFrame
        ``frame`` with every ``unit_code`` filled.

    Raises
    ------
    DataError
        On a row with neither a code nor both names, an unknown or ambiguous raion, or a unit
        name that fits no unit or several units of its raion (the row and the candidates named).
    """
    units = territory.units.assign(unit_code=territory.units["unit_code"].astype(str),
                                   raion_code=territory.units["raion_code"].astype(str))
    raions = territory.raions.assign(raion_code=territory.raions["raion_code"].astype(str))
    resolved = frame.copy()
    for k, rec in frame.iterrows():
        if rec["unit_code"]:
            continue
        at = f"{where}: row {rec['row']}"
        if not rec["raion"] or not rec["unit_name"]:
            raise DataError(f"{at}: give unit_code, or raion and unit_name")
        raion = _find(rec["raion"], raions, "raion_code", "raion", at)
        inside = units[units["raion_code"] == raion]
        resolved.at[k, "unit_code"] = _find(rec["unit_name"], inside, "unit_code",
                                            f"unit name (in raion {rec['raion']})", at)
    return cast("pd.DataFrame", resolved)
