"""Further KPIs of a plan: population distribution of the new units, exempt units by reason,
estimated administrative savings (from an editable cost model) and the share of each figure
that rests on estimated data.

All functions work on the plan's tables (``assignments`` and ``new_units`` frames in the
result-package layout), so they serve a fresh run, a result folder and a hand-drawn plan alike.
"""

from __future__ import annotations

import logging
import os
from importlib import resources
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from atr_model.data import KYRGYZ_KINDS, dataset_terms, read_text_file
from atr_model.errors import DataError
from atr_model.scenarios.figure_notes import EXEMPT_RULE_ORDER
from atr_model.scenarios.scenario import yaml_error

__all__ = [
    "CostModel",
    "CostItem",
    "load_cost_model",
    "dataset_cost_model",
    "not_estimated_savings",
    "population_distribution",
    "exempt_by_reason",
    "EXEMPT_RULE_ORDER",
    "first_exempt_rule",
    "kept_exempt_mask",
    "town_mask",
    "admin_savings",
    "abolished_offices",
    "savings_for_level",
    "estimated_shares",
    "extra_kpis",
    "POPULATION_BRACKETS",
]

logger = logging.getLogger(__name__)

#: Upper bounds (exclusive) of the population brackets counted in the distribution.
POPULATION_BRACKETS = (3000.0, 5000.0, 10000.0, 20000.0, float("inf"))


class CostItem(BaseModel):
    """One figure of the cost model with the basis it rests on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: float = Field(ge=0)
    basis: str = Field(min_length=1, description="source, or 'assumption: ...' / 'derived: ...'")


class CostModel(BaseModel):
    """Unit costs of aiyl okmotu administration (see ``atr_model/data/admin_cost_model.yaml``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str
    currency: str = "KGS"
    price_year: int
    staff_per_okmotu: CostItem
    share_of_staff_saved: CostItem
    annual_cost_per_staff_som: CostItem
    office_cost_per_year_som: CostItem
    transition_cost_per_abolished_som: CostItem


def load_cost_model(path: str | os.PathLike[str] | None = None) -> CostModel:
    """Read the administrative cost model.

    Parameters
    ----------
    path : path-like, optional
        A YAML file in the layout of the shipped ``atr_model/data/admin_cost_model.yaml``
        (the default).

    Returns
    -------
    CostModel

    Raises
    ------
    DataError
        When the file is missing, not YAML, or a key is unknown / missing / out of range.
    """
    if path is None:
        text = resources.files("atr_model.data").joinpath("admin_cost_model.yaml").read_text(encoding="utf-8")
        where = "atr_model/data/admin_cost_model.yaml"
    else:
        source = Path(path)
        text, where = read_text_file(source, "cost model file"), str(source)
    try:
        raw = yaml.safe_load(text) or {}
        return CostModel.model_validate(raw)
    except yaml.YAMLError as exc:
        raise yaml_error(exc, text, where, DataError) from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"'{'.'.join(str(p) for p in err['loc'])}': {err['msg']}" for err in exc.errors()
        )
        raise DataError(f"{where}: {problems}") from exc


def population_distribution(population: pd.Series | np.ndarray) -> dict[str, Any]:
    """Quantiles and bracket counts of new-unit populations.

    Parameters
    ----------
    population : array-like
        One population per new unit.

    Returns
    -------
    dict
        ``min, p10, p25, median, p75, p90, max, mean`` and ``brackets`` (label -> count) for
        the brackets in :data:`POPULATION_BRACKETS`.
    """
    values = np.asarray(population, dtype=float)
    if values.size == 0:
        return {"n": 0, "brackets": {}}
    q = np.quantile(values, [0.1, 0.25, 0.5, 0.75, 0.9])
    brackets: dict[str, int] = {}
    lower = 0.0
    for upper in POPULATION_BRACKETS:
        label = f">= {lower:,.0f}" if np.isinf(upper) else f"{lower:,.0f}-{upper:,.0f}"
        brackets[label] = int(((values >= lower) & (values < upper)).sum())
        lower = upper
    return {
        "n": int(values.size),
        "min": float(values.min()),
        "p10": float(q[0]),
        "p25": float(q[1]),
        "median": float(q[2]),
        "p75": float(q[3]),
        "p90": float(q[4]),
        "max": float(values.max()),
        "mean": float(values.mean()),
        "brackets": brackets,
    }


#: ``level`` of a town in the tables, and the exemption rule that marks one in older packages.
TOWN = "town"


def town_mask(assignments: pd.DataFrame) -> np.ndarray:
    """Which rows are towns (``level == "town"``; packages without ``level``: rule ``town``).

    Towns are not aiyl aimaks: the Concept's population floor (criterion 2) applies to aiyl
    aimaks, so towns keep their status. They are not "exempt" under the Concept and are counted
    and listed apart from the exempt aiyl aimaks.
    """
    if "level" in assignments:
        return assignments["level"].astype(str).eq(TOWN).to_numpy()
    if "exempt_rules" in assignments:
        rules = assignments["exempt_rules"].fillna("").astype(str)
        return rules.map(lambda text: TOWN in {r.strip() for r in text.split(";")}).to_numpy(dtype=bool)
    if "exempt_reason" in assignments:
        reasons = assignments["exempt_reason"].fillna("").astype(str)
        return reasons.map(lambda text: TOWN in {p.split(":")[0].strip() for p in text.split(";")}).to_numpy(dtype=bool)
    return np.zeros(len(assignments), dtype=bool)


def first_exempt_rule(rules: object) -> str:
    """The rule that exempts a unit first (``"town;border;remote"`` -> ``"border"``), towns aside.

    Takes ``exempt_rules`` (";"-joined names) or an ``exempt_reason`` text
    (``"border: 3 km < 10 km; remote: ..."``); a rule the catalogue does not know is ``"other"``.

    Examples
    --------
    >>> first_exempt_rule("town;border;remote")
    'border'
    >>> first_exempt_rule("high_mountain: centre at 2,450 m > 2,000 m")
    'high_mountain'
    """
    names = [part.split(":")[0].strip() for part in str(rules or "").split(";")]
    names = [n for n in names if n and n != "town"]
    first = names[0] if names else "other"
    return first if first in EXEMPT_RULE_ORDER else "other"


def kept_exempt_mask(assignments: pd.DataFrame) -> np.ndarray:
    """Which rows are aiyl aimaks kept as they are by an exemption rule (towns aside).

    Packages without a ``status`` column: every exempt aiyl aimak.
    """
    exempt = assignments["exempt"].astype(bool).to_numpy()
    if "status" in assignments:
        exempt = exempt & assignments["status"].astype(str).eq("kept_exempt").to_numpy()
    return cast("np.ndarray", exempt & ~town_mask(assignments))


def exempt_by_reason(assignments: pd.DataFrame) -> dict[str, int]:
    """Exempt aiyl aimaks (:func:`kept_exempt_mask`) per rule, each counted once under its first rule.

    So the counts add up to the number of exempt aiyl aimaks. Towns are left out (see
    :func:`town_mask`): they are not exempt units under the Concept.

    Parameters
    ----------
    assignments : pandas.DataFrame
        ``exempt`` and ``exempt_rules`` (";"-joined rule names) or ``exempt_reason`` columns.

    Returns
    -------
    dict
        Rule -> number of units, in :data:`EXEMPT_RULE_ORDER`; rules with no unit are absent.
    """
    kept = assignments[kept_exempt_mask(assignments)]
    column = "exempt_rules" if "exempt_rules" in kept else "exempt_reason"
    counts = kept[column].fillna("").map(first_exempt_rule).value_counts()
    return {rule: int(counts[rule]) for rule in EXEMPT_RULE_ORDER if counts.get(rule, 0)}


def admin_savings(n_abolished: int, model: CostModel | None = None) -> dict[str, Any]:
    """Estimated yearly savings and one-off cost of abolishing ``n_abolished`` okmotu offices.

    Parameters
    ----------
    n_abolished : int
        Aiyl okmotu offices removed by the plan (units before minus units after).
    model : CostModel, optional
        Defaults to the shipped cost model.

    Returns
    -------
    dict
        ``abolished_offices, staff_positions_saved, annual_saving_som, one_off_cost_som,
        payback_years, is_estimate (True), basis`` (the model's label).
    """
    model = model or load_cost_model()
    n = max(int(n_abolished), 0)
    staff = n * model.staff_per_okmotu.value * model.share_of_staff_saved.value
    annual = staff * model.annual_cost_per_staff_som.value + n * model.office_cost_per_year_som.value
    one_off = n * model.transition_cost_per_abolished_som.value
    return {
        "abolished_offices": n,
        "staff_positions_saved": float(staff),
        "annual_saving_som": float(annual),
        "one_off_cost_som": float(one_off),
        "payback_years": float(one_off / annual) if annual > 0 else None,
        "is_estimate": True,
        "basis": model.label,
    }


def _share(part: float, whole: float) -> float:
    return float(part / whole) if whole > 0 else 0.0


def estimated_shares(
    assignments: pd.DataFrame, new_units: pd.DataFrame, settlements: pd.DataFrame | None = None
) -> dict[str, float]:
    """Share of each headline figure that rests on estimated data (0-1).

    Returns
    -------
    dict
        ``population`` (estimated residents / all residents), ``units_population`` (units with
        an estimated population / units), ``new_units_population`` (new units whose population
        includes an estimate / new units), ``travel_time`` (units whose travel time is modelled
        without a road network, an estimate / units), ``settlements_not_located`` (stand-in points / settlements) and
        ``admin_savings`` (always 1.0: the cost model is an assumption).
    """
    pop = assignments["population"].astype(float)
    est = assignments.get("population_is_estimate", pd.Series(False, index=assignments.index)).astype(bool)
    shares = {
        "population": _share(float(pop[est].sum()), float(pop.sum())),
        "units_population": _share(float(est.sum()), float(len(assignments))),
    }
    if "population_has_estimates" in new_units:
        shares["new_units_population"] = _share(float(new_units["population_has_estimates"].astype(bool).sum()),
                                                float(len(new_units)))
    if "travel_time_is_modelled" in assignments:
        shares["travel_time"] = _share(float(assignments["travel_time_is_modelled"].astype(bool).sum()),
                                       float(len(assignments)))
    if settlements is not None and not settlements.empty and "is_located" in settlements:
        shares["settlements_not_located"] = _share(float((~settlements["is_located"].astype(bool)).sum()),
                                                   float(len(settlements)))
    shares["admin_savings"] = 1.0
    return dict(sorted(shares.items()))


def extra_kpis(
    assignments: pd.DataFrame,
    new_units: pd.DataFrame,
    settlements: pd.DataFrame | None = None,
    *,
    level: str = "aiyl_aimak",
    cost_model: CostModel | None = None,
) -> dict[str, Any]:
    """All further KPIs of a plan in one dict (keys do not clash with the run's ``kpis.json``).

    Parameters
    ----------
    assignments, new_units : pandas.DataFrame
        The plan in the result-package layout.
    settlements : pandas.DataFrame, optional
        ``settlements.csv`` layout.
    level : str, default "aiyl_aimak"
        Unit level of the plan; savings are computed for aiyl aimaks only.
    cost_model : CostModel, optional
        Defaults to the shipped assumption.

    Returns
    -------
    dict
        ``new_unit_population_distribution``, ``exempt_by_reason``, ``admin_savings``,
        ``estimated_share``.
    """
    return {
        "new_unit_population_distribution": population_distribution(new_units["population"]),
        "exempt_by_reason": exempt_by_reason(assignments),
        "admin_savings": savings_for_level(assignments, level, cost_model),
        "estimated_share": estimated_shares(assignments, new_units, settlements),
    }


def abolished_offices(assignments: pd.DataFrame) -> int:
    """Units that lose their own administration: those merged into another unit's centre.

    Uses ``status == "merged"`` when present, else units whose centre is another unit.
    """
    if "status" in assignments:
        return int((assignments["status"].astype(str) == "merged").sum())
    return int((assignments["centre_code"].astype(str) != assignments["unit_code"].astype(str)).sum())


def savings_for_level(
    assignments: pd.DataFrame, level: str = "aiyl_aimak", cost_model: CostModel | None = None
) -> dict[str, Any]:
    """Savings of a plan: :func:`admin_savings` of its abolished offices at aiyl-aimak level.

    At raion level the aiyl okmotu cost model does not apply; the figure is ``None`` with a note.
    """
    if level != "aiyl_aimak":
        return {
            "abolished_offices": abolished_offices(assignments),
            "annual_saving_som": None,
            "is_estimate": True,
            "basis": "not computed: the cost model covers aiyl okmotu offices, not raion administrations",
        }
    return admin_savings(abolished_offices(assignments), cost_model)


def dataset_cost_model(provenance: dict[str, Any]) -> tuple[CostModel | None, str]:
    """The cost model a run's savings rest on, from its provenance, or why none applies.

    The shipped model (``admin_cost_model.yaml``) prices Kyrgyz aiyl okmotu offices in som: it
    applies to the Kyrgyz build and the demo. Another dataset brings its own (metadata entry
    ``cost_model``, the YAML file's layout as JSON, recorded as ``dataset_cost_model``) in its own
    currency (``terms.currency``); without one, or without a currency, no savings are estimated.

    Returns
    -------
    (CostModel or None, str)
        The model (None: the shipped one) and "" ; or None and the reason no savings are estimated.

    Raises
    ------
    DataError
        When the dataset's cost model is not in the layout, or its currency is not the dataset's.
    """
    terms = dataset_terms(provenance)
    if terms.currency is None:
        return None, "not estimated: the dataset names no currency (its terms have currency null)"
    own = provenance.get("dataset_cost_model")
    if own is None:
        if str(provenance.get("dataset_kind", "")) in KYRGYZ_KINDS:
            return None, ""
        # the shipped model prices another country's offices: its figures would mislead here
        return None, "not estimated: the dataset has no administrative cost model of its own (metadata entry cost_model)"
    where = f"dataset {provenance.get('dataset_name', '')}: metadata cost_model"
    try:
        model = CostModel.model_validate(own)
    except ValidationError as exc:
        problems = "; ".join(f"'{'.'.join(str(p) for p in err['loc'])}': {err['msg']}" for err in exc.errors())
        raise DataError(f"{where}: {problems}") from exc
    if model.currency != terms.currency:
        raise DataError(f"{where}: currency {model.currency} is not the dataset's currency {terms.currency} (terms)")
    return model, ""


def not_estimated_savings(assignments: pd.DataFrame, reason: str) -> dict[str, Any]:
    """The savings entry of a run whose dataset has no applicable cost model: offices counted,
    no money figure, and the reason."""
    return {"abolished_offices": abolished_offices(assignments), "annual_saving_som": None, "is_estimate": True,
            "basis": reason}
