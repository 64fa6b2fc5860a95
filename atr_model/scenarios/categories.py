"""Scenario layer, the status categories of new units: what every map colours, every legend
names and every count of "below the floor", "exempt" and "town" agrees with.

Each new unit of a plan falls in exactly one category (:data:`CATEGORIES`):

``below_floor``
    a non-exempt aiyl aimak new unit under the scenario's floor, merged or not: the units
    counted by the key figure ``below_floor_after_non_exempt``;
``merged``
    a new unit of several current units that meets the floor (or is exempt from it);
``exempt``
    an aiyl aimak kept as it is by an exemption rule (the key figure ``exempt_units``);
``town``
    a town kept as it is (the floor applies to aiyl aimaks: towns keep their status);
``kept``
    an aiyl aimak kept as it is that meets the floor on its own (or is locked apart).

The colours of the categories are :mod:`atr_model.presentation.maps.palette`'s; the labels
are catalogue entries ``category.<name>``.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from atr_model.scenarios.extra_kpis import first_exempt_rule, town_mask

__all__ = ["CATEGORIES", "new_unit_categories", "unit_categories", "category_counts"]

#: The categories, in legend order.
CATEGORIES: tuple[str, ...] = ("merged", "below_floor", "exempt", "town", "kept")


def _centre_rows(assignments: pd.DataFrame) -> pd.DataFrame:
    """The rows of the centre units, indexed by new unit id."""
    centres = assignments[assignments["unit_code"].astype(str) == assignments["centre_code"].astype(str)]
    return cast("pd.DataFrame", centres.set_index(centres["new_unit_id"].astype(str)))


def new_unit_categories(assignments: pd.DataFrame, new_units: pd.DataFrame) -> pd.Series:
    """The category of every new unit.

    Parameters
    ----------
    assignments : pandas.DataFrame
        ``assignments.csv`` of a result (``unit_code``, ``new_unit_id``, ``centre_code``,
        ``status``, ``level`` or ``exempt_rules``).
    new_units : pandas.DataFrame
        The new-unit passports (``new_unit_id``, ``n_members``, ``below_floor``).

    Returns
    -------
    pandas.Series
        New unit id -> category (one of :data:`CATEGORIES`), in the order of ``new_units``.
    """
    ids = new_units["new_unit_id"].astype(str)
    below = pd.Series(new_units["below_floor"].astype(bool).to_numpy(), index=ids)
    merged = pd.Series(new_units["n_members"].astype(int).gt(1).to_numpy(), index=ids)
    centres = _centre_rows(assignments)
    is_town = pd.Series(town_mask(centres), index=centres.index).reindex(ids, fill_value=False)
    exempt = centres["status"].astype(str).eq("kept_exempt").reindex(ids, fill_value=False)
    category = np.select(
        [below.to_numpy(), merged.to_numpy(), is_town.to_numpy(dtype=bool), exempt.to_numpy(dtype=bool)],
        ["below_floor", "merged", "town", "exempt"],
        default="kept",
    )
    return cast("pd.Series", pd.Series(category, index=ids, name="category", dtype="object"))


def unit_categories(assignments: pd.DataFrame, new_units: pd.DataFrame) -> pd.DataFrame:
    """The category of every current unit (its new unit's) and, for exempt ones, the first rule.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``unit_code``: ``new_unit_id``, ``category`` and ``exempt_rule`` (the first
        rule that exempts the unit, :func:`~atr_model.scenarios.kpis.first_exempt_rule`, for
        units in the ``exempt`` category; empty otherwise).
    """
    categories = new_unit_categories(assignments, new_units)
    codes = assignments["unit_code"].astype(str)
    new_ids = assignments["new_unit_id"].astype(str)
    category = new_ids.map(categories).fillna("kept").to_numpy()
    rules = assignments["exempt_rules"] if "exempt_rules" in assignments else pd.Series("", index=assignments.index)
    rule = np.where(category == "exempt", rules.map(first_exempt_rule).to_numpy(dtype=object), "")
    return cast(
        "pd.DataFrame",
        pd.DataFrame(
            {"new_unit_id": new_ids.to_numpy(), "category": category, "exempt_rule": rule},
            index=pd.Index(codes.to_numpy(), name="unit_code"),
        ),
    )


def category_counts(assignments: pd.DataFrame, new_units: pd.DataFrame) -> dict[str, int]:
    """Number of new units per category (every category present, zeros included)."""
    counts = new_unit_categories(assignments, new_units).value_counts()
    return {name: int(counts.get(name, 0)) for name in CATEGORIES}
