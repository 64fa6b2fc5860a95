"""Scenario results: readable names of new units ("Ak-Bulun + 3"), for maps and reports.

A new unit is named after its centre: the centre unit's name, then ``+ N`` for the N other
members it absorbs; a unit kept as it is keeps its own name. The ids (``41702205000000-N03``)
stay the keys; these names are for people.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import pandas as pd

__all__ = ["new_unit_display_name", "new_unit_display_names"]


def new_unit_display_name(centre_name: Any, n_members: Any, *, fallback: str = "") -> str:
    """``"<centre name> + <other members>"``, or the centre name alone for a single unit.

    Parameters
    ----------
    centre_name
        Name of the centre unit (blank or NaN: ``fallback`` is used, e.g. the new unit id).
    n_members
        Number of current units in the new unit (the centre included).
    fallback
        Name used when the centre has none.

    Examples
    --------
    >>> new_unit_display_name("Ak-Bulun", 4)
    'Ak-Bulun + 3'
    >>> new_unit_display_name("Osh", 1)
    'Osh'
    """
    name = "" if centre_name is None or (isinstance(centre_name, float) and math.isnan(centre_name)) else str(centre_name).strip()
    name = name or fallback
    try:
        others = int(n_members) - 1
    except (TypeError, ValueError):
        others = 0
    return f"{name} + {others}" if others > 0 else name


def new_unit_display_names(
    centre_names: Iterable[Any], n_members: Iterable[Any], fallbacks: Iterable[Any] | None = None
) -> pd.Series:
    """:func:`new_unit_display_name` over columns (e.g. the ``new_units`` passports)."""
    names, sizes = list(centre_names), list(n_members)
    backs = [str(f) for f in fallbacks] if fallbacks is not None else [""] * len(names)
    if not len(names) == len(sizes) == len(backs):
        raise ValueError(
            f"new_unit_display_names: {len(names)} centre names, {len(sizes)} member counts and "
            f"{len(backs)} fallbacks; they must be the same length"
        )
    return pd.Series([new_unit_display_name(c, n, fallback=f) for c, n, f in zip(names, sizes, backs)], dtype="object")
