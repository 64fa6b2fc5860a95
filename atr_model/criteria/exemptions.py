"""Exemptions from the population floor (Concept criterion 2) with measured values."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from atr_model.criteria.model import Criteria
from atr_model.data import Dataset
from atr_model.errors import CriteriaError
from atr_model.network import TravelModel

__all__ = ["compute_exemptions", "EXEMPTION_RULES"]

#: Rule names used in the ``rules`` column, in reporting order.
EXEMPTION_RULES = ("town", "high_mountain", "remote", "hard_to_reach", "border", "manual")


def _num(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


def _remoteness(travel_model: TravelModel, units: pd.DataFrame) -> pd.DataFrame:
    """The travel model's unit remoteness table indexed by unit code (missing units: NaN)."""
    table = travel_model.unit_remoteness
    out: pd.DataFrame
    if len(table) == 0:
        out = pd.DataFrame(index=pd.Index(units["unit_code"], name="unit_code"))
    else:
        out = pd.DataFrame(table).drop_duplicates("unit_code").set_index("unit_code").reindex(units["unit_code"])
    return out


def _high_mountain(row: pd.Series, criteria: Criteria) -> str | None:
    rules = criteria.exemptions
    limit = rules.high_mountain_m
    if limit is None:
        return None
    centre, top = _num(row.get("centre_elevation_m")), _num(row.get("max_elevation_m"))
    texts = []
    if rules.high_mountain_basis in ("centre", "either") and centre > limit:
        texts.append(f"centre at {centre:,.0f} m > {limit:,.0f} m")
    if rules.high_mountain_basis in ("highest_settlement", "either") and top > limit:
        texts.append(f"highest settlement at {top:,.0f} m > {limit:,.0f} m")
    return "high-mountain: " + " and ".join(texts) if texts else None


def _remote(row: pd.Series, criteria: Criteria) -> str | None:
    limit = criteria.exemptions.remote_travel_time_min
    if limit is None:
        return None
    basis = criteria.exemptions.remote_basis
    value = _num(row.get("raion_centre_time_min_mean" if basis == "mean" else "raion_centre_time_min_max"))
    if math.isinf(value):
        return "remote: no modelled route to the raion centre"
    if value > limit:
        what = "population-weighted mean" if basis == "mean" else "worst settlement"
        return f"remote: {what} travel time to the raion centre {value:,.0f} min > {limit:,.0f} min"
    return None


def _hard_to_reach(row: pd.Series, criteria: Criteria) -> str | None:
    if criteria.exemptions.seasonal_access and bool(row.get("seasonal_access", False) is True):
        minutes = _num(row.get("raion_centre_time_min_mean"))
        measured = f" (raion centre {minutes:,.0f} min away in season)" if math.isfinite(minutes) else ""
        return f"hard-to-reach: access only over a seasonal link{measured}"
    return None


def _border(row: pd.Series, criteria: Criteria) -> str | None:
    limit = criteria.exemptions.border_km
    if limit is None:
        return None
    value = _num(row.get("border_km"))
    if value <= limit:
        return f"border: nearest settlement {value:,.1f} km from the state border <= {limit:,.1f} km"
    return None


def compute_exemptions(dataset: Dataset, travel_model: TravelModel, criteria: Criteria) -> pd.DataFrame:
    """Which units are exempt from the population floor, and why, with measured values.

    Parameters
    ----------
    dataset : Dataset
        Units with ``centre_elevation_m``, ``max_settlement_elevation_m`` and
        ``border_distance_km``.
    travel_model : TravelModel
        Supplies ``unit_remoteness`` (travel time to the raion centre, seasonal access,
        and elevation/border figures that take precedence over the dataset's).
    criteria : Criteria
        The exemption rules (:class:`~atr_model.criteria.model.Exemptions`).

    Returns
    -------
    pandas.DataFrame
        One row per unit, sorted by code: ``unit_code``, ``exempt`` (bool), ``rules``
        (';'-joined rule names from :data:`EXEMPTION_RULES`), ``reason`` (the measured values,
        e.g. "high-mountain: centre at 2,450 m > 2,000 m"). Towns are outside the floor (rule
        ``town``) unless ``criteria.centres.towns == "merge"``: criterion 2 concerns aiyl aimaks.

    Raises
    ------
    CriteriaError
        When a manual exemption names a unit that is not in the dataset.
    """
    units = pd.DataFrame(dataset.units.drop(columns="geometry", errors="ignore")).sort_values("unit_code")
    units = units.reset_index(drop=True)
    remote = _remoteness(travel_model, units)
    table = pd.DataFrame({"unit_code": units["unit_code"].to_numpy()})
    table["centre_elevation_m"] = pd.to_numeric(units["centre_elevation_m"], errors="coerce").to_numpy()
    top = pd.to_numeric(units["max_settlement_elevation_m"], errors="coerce").to_numpy()
    border = pd.to_numeric(units["border_distance_km"], errors="coerce").to_numpy()
    for column in ("raion_centre_time_min_mean", "raion_centre_time_min_max", "seasonal_access"):
        table[column] = remote[column].to_numpy() if column in remote else np.nan
    if "max_settlement_elevation_m" in remote:
        top = np.where(np.isnan(top), pd.to_numeric(remote["max_settlement_elevation_m"]).to_numpy(), top)
    if "border_distance_km" in remote:
        border = np.where(np.isnan(border), pd.to_numeric(remote["border_distance_km"]).to_numpy(), border)
    table["max_elevation_m"] = top
    table["border_km"] = border

    manual = {m.unit_code: m.reason for m in criteria.exemptions.manual}
    unknown = sorted(set(manual) - set(table["unit_code"]))
    if unknown:
        raise CriteriaError(
            f"criteria.exemptions.manual: unknown unit code(s) {', '.join(map(repr, unknown))}"
        )
    checks = (
        ("high_mountain", _high_mountain),
        ("remote", _remote),
        ("hard_to_reach", _hard_to_reach),
        ("border", _border),
    )
    towns = criteria.centres.towns
    is_town = (units["level"].astype(str) == "town").to_numpy()
    rules_col, reason_col = [], []
    for k, (_, row) in enumerate(table.iterrows()):
        rules, reasons = [], []
        if is_town[k] and towns != "merge":
            rules.append("town")
            reasons.append(
                f"town: keeps its status (centres.towns = '{towns}'); the floor of criterion 2 applies to aiyl aimaks"
            )
        for name, check in checks:
            text = check(row, criteria)
            if text:
                rules.append(name)
                reasons.append(text)
        if row["unit_code"] in manual:
            rules.append("manual")
            reasons.append(f"manual: {manual[row['unit_code']]}")
        rules_col.append(";".join(rules))
        reason_col.append("; ".join(reasons))
    out: pd.DataFrame = pd.DataFrame(
        {
            "unit_code": table["unit_code"].astype(str),
            "exempt": [bool(r) for r in rules_col],
            "rules": rules_col,
            "reason": reason_col,
        }
    )
    return out
