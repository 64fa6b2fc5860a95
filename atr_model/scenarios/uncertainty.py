"""Scenario layer: the uncertainty model of a robustness run, and the draws it makes.

A scenario may carry an ``uncertainty:`` block (:class:`Uncertainty`). Every spread is an
editable default and an **assumption** of the analysis, not a measured fact:

* **Populations.** An estimated unit population is drawn log-normally around the estimate,
  ``p * exp(sd * z)`` (the estimate stays the median), with ``sd`` from the unit's own
  ``population_log_sd`` when the dataset carries one (for example a fitted estimator's
  cross-validated error) and else from the default of its estimation method
  (:class:`PopulationLogSD`). Where estimates are shares of a real raion total (the raion total
  minus the known units, split by number of villages), the drawn values of those units are
  rescaled inside the raion so that their sum, and hence the real raion total, stays the
  real one; known units stay fixed. Census figures are fixed unless the user gives them a
  spread (``census``, ``census_2009`` for the ageing of 2009 figures).
* **Travel times.** Modelled times (no road data) are multiplied by a detour/speed factor
  ``exp(sd * z)`` drawn per raion (or per unit); a pair's factor is the geometric mean of its
  two ends. Road-network times stay fixed unless ``roads_log_sd`` is set.
* **Adjacency** (off by default). A link between two units whose territories are both
  approximate may drop out with a set probability.

Only arrays of the built :class:`~atr_model.optimisation.MergerInstance` change: population,
cost (person-minutes scale with the unit's population and with the travel factor),
``travel_time_min`` and adjacency; centre eligibility follows a drawn population when the
criteria set a minimum centre population. Exemptions are computed once, from the nominal
inputs (a known limitation: a drawn travel time does not re-test the remoteness exemption).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from atr_model.data import Dataset
from atr_model.data.contract import is_estimate_source
from atr_model.network import MODELLED_KIND, ROADS_KIND, TravelModel
from atr_model.optimisation import MergerInstance
from atr_model.scenarios.instance_builder import InstanceBundle
from atr_model.scenarios.uncertainty_model import (
    AdjacencyUncertainty,
    PopulationLogSD,
    PopulationUncertainty,
    TravelUncertainty,
    Uncertainty,
)

__all__ = [
    "AdjacencyUncertainty",
    "Draw",
    "DrawBasis",
    "PopulationLogSD",
    "PopulationUncertainty",
    "TravelUncertainty",
    "Uncertainty",
    "apply_draw",
    "build_basis",
    "draw_inputs",
    "population_method",
]

logger = logging.getLogger(__name__)


def population_method(source: object, year: object = None) -> str:
    """The estimation method of a unit population, from its ``population_source`` text.

    Returns one of the :class:`PopulationLogSD` keys.
    """
    text = str(source or "")
    if not is_estimate_source(source):
        return "census_2009" if str(year) == "2009" or "2009 figure" in text else "census"
    low = text.lower()
    if "raion total" in low:
        return "raion_share"
    if "per coate village" in low or "per village" in low:
        return "per_village"
    if "geonames" in low:
        return "town_figure"
    return "other_estimate"


@dataclass(frozen=True, eq=False)
class DrawBasis:
    """What a draw needs, compiled once per run from the nominal instance.

    Attributes
    ----------
    unit_codes : tuple of str
        Instance order.
    population : numpy.ndarray
        Nominal populations.
    method : numpy.ndarray of str
        Estimation method per unit (:func:`population_method`).
    log_sd : numpy.ndarray
        Population spread per unit (0 = fixed).
    share_groups : tuple of numpy.ndarray
        Unit indices whose drawn populations are rescaled to their nominal sum (shares of a real
        raion total), one array per raion.
    factor_of_unit : numpy.ndarray of int
        Index of each unit's travel factor.
    factor_labels : tuple of str
        Raion (or unit) code of each travel factor.
    travel_log_sd : float
        Spread of the travel factors (0 = travel fixed).
    travel_kind : str
        ``"roads"`` or ``"modelled"``.
    scale_cost_by_travel : bool
        Whether cost is a travel time (objective ``travel``) rather than a distance.
    drop_candidates : numpy.ndarray of int
        Rows of ``instance.adjacency`` that may drop out.
    drop_probability : float
    eligible_rule : tuple or None
        ``(min_centre_population, base_ok, forced)`` when centre eligibility follows population.
    estimated_units : int
        Units whose population is an estimate (drawn or not).
    log_sd_from_data : int
        Units whose spread is the dataset's own ``population_log_sd`` (not a method default).
    """

    unit_codes: tuple[str, ...]
    population: np.ndarray
    method: np.ndarray
    log_sd: np.ndarray
    share_groups: tuple[np.ndarray, ...]
    factor_of_unit: np.ndarray
    factor_labels: tuple[str, ...]
    travel_log_sd: float
    travel_kind: str
    scale_cost_by_travel: bool
    drop_candidates: np.ndarray
    drop_probability: float
    eligible_rule: tuple[float, np.ndarray, np.ndarray] | None = None
    estimated_units: int = 0
    log_sd_from_data: int = 0

    @property
    def drawn_units(self) -> np.ndarray:
        """Indices of the units whose population is drawn."""
        return np.flatnonzero(self.log_sd > 0)

    @property
    def data_has_estimates(self) -> bool:
        """True when some unit population is an estimate or the travel times are modelled."""
        return self.estimated_units > 0 or self.travel_kind == MODELLED_KIND

    @property
    def nothing_to_draw(self) -> bool:
        """True when no input has a spread (every draw would be the nominal input)."""
        return (not (self.log_sd > 0).any() and self.travel_log_sd == 0
                and (self.drop_probability == 0 or self.drop_candidates.size == 0))

    def summary(self) -> dict[str, Any]:
        """Counts of what is drawn (for the package's notes)."""
        methods = pd.Series(self.method).value_counts().sort_index()
        drawn = pd.Series(self.method[self.log_sd > 0]).value_counts().sort_index()
        return {
            "units": len(self.unit_codes),
            "units_population_drawn": int((self.log_sd > 0).sum()),
            "population_methods": {str(k): int(v) for k, v in methods.items()},
            "population_methods_drawn": {str(k): int(v) for k, v in drawn.items()},
            "population_log_sd_from_data": self.log_sd_from_data,
            "population_log_sd_median": round(float(np.median(self.log_sd[self.log_sd > 0])), 4)
            if (self.log_sd > 0).any() else 0.0,
            "raion_share_groups": len(self.share_groups),
            "travel_kind": self.travel_kind,
            "travel_factors": len(self.factor_labels) if self.travel_log_sd > 0 else 0,
            "travel_log_sd": self.travel_log_sd,
            "adjacency_links_may_drop": int(self.drop_candidates.size) if self.drop_probability > 0 else 0,
        }


@dataclass(frozen=True, eq=False)
class Draw:
    """One joint draw of the uncertain inputs.

    Attributes
    ----------
    population : numpy.ndarray
        Drawn population per unit.
    travel_factor : numpy.ndarray
        Drawn factor per travel-factor label (raion or unit).
    unit_factor : numpy.ndarray
        The factor of each unit (``travel_factor[factor_of_unit]``).
    dropped : numpy.ndarray of bool
        Per adjacency row: dropped in this draw.
    """

    population: np.ndarray
    travel_factor: np.ndarray
    unit_factor: np.ndarray
    dropped: np.ndarray


def _unit_lookup(frame: pd.DataFrame, key: str, column: str) -> dict[str, Any]:
    if column not in frame.columns:
        return {}
    return dict(zip(frame[key].astype(str), frame[column]))


def _unit_sources(bundle: InstanceBundle, dataset: Dataset) -> tuple[list[Any], list[Any], dict[str, Any]]:
    """Population source, year and per-unit log sd of each instance unit."""
    codes = list(bundle.instance.unit_codes)
    if bundle.level == "raion":
        table = pd.DataFrame(dataset.raions.drop(columns="geometry", errors="ignore"))
        key = "raion_code"
    else:
        table = pd.DataFrame(dataset.units.drop(columns="geometry", errors="ignore"))
        key = "unit_code"
    source = _unit_lookup(table, key, "population_source")
    year = _unit_lookup(table, key, "population_year")
    log_sd = _unit_lookup(table, key, "population_log_sd")
    return [source.get(c) for c in codes], [year.get(c) for c in codes], log_sd


def _eligible_rule(bundle: InstanceBundle) -> tuple[float, np.ndarray, np.ndarray] | None:
    """Centre eligibility as a function of population, when a minimum centre population is set."""
    criteria = bundle.criteria
    minimum = float(criteria.centres.min_centre_population or 0)
    if minimum <= 0:
        return None
    inst = bundle.instance
    units = bundle.units
    if bundle.level == "raion":
        forced = inst.keep_separate | inst.exempt
        base_ok = np.ones(inst.n, dtype=bool)
    else:
        is_town = units["level"].astype(str).to_numpy() == "town"
        forced = inst.keep_separate | (is_town & (criteria.centres.towns != "merge"))
        base_ok = np.ones(inst.n, dtype=bool)
        if criteria.economic_base.centre_min is not None:
            ind = np.nan_to_num(units["indicator"].to_numpy(dtype=float), nan=-np.inf)
            base_ok = ind >= criteria.economic_base.centre_min
    again = ((inst.population >= minimum) & base_ok) | forced
    if not np.array_equal(again, inst.centre_eligible):
        logger.warning("centre eligibility could not be rebuilt from population; it stays fixed across draws")
        return None
    return minimum, base_ok, forced


def build_basis(bundle: InstanceBundle, dataset: Dataset, travel_model: TravelModel, uncertainty: Uncertainty) -> DrawBasis:
    """Compile the uncertainty model against one built instance.

    Parameters
    ----------
    bundle : InstanceBundle
        From :func:`~atr_model.scenarios.build_instance` (the nominal instance).
    dataset : Dataset
        Its dataset (population sources, per-unit ``population_log_sd`` when present).
    travel_model : TravelModel
        Its travel model (``kind`` tells modelled from road-network times).
    uncertainty : Uncertainty
        The spreads.

    Returns
    -------
    DrawBasis
    """
    inst = bundle.instance
    n = inst.n
    sources, years, unit_sd = _unit_sources(bundle, dataset)
    is_est = bundle.units["population_is_estimate"].to_numpy(dtype=bool)
    method = np.array([population_method(s, y) if s is not None else ("other_estimate" if e else "census")
                       for s, y, e in zip(sources, years, is_est)], dtype=object)
    # an estimate flag without a source text (raion level: no stated figure) is still an estimate
    method[is_est & np.isin(method, ["census", "census_2009"])] = "other_estimate"
    spreads = uncertainty.population.log_sd
    log_sd = np.array([float(getattr(spreads, m)) for m in method])
    from_data = 0
    if uncertainty.population.use_unit_log_sd and unit_sd:
        for i, code in enumerate(inst.unit_codes):
            value = pd.to_numeric(pd.Series([unit_sd.get(code)]), errors="coerce").iloc[0]
            if is_est[i] and np.isfinite(value) and value > 0:
                log_sd[i] = float(value)
                from_data += 1
    share_groups: list[np.ndarray] = []
    if uncertainty.population.keep_raion_totals:
        raion = bundle.units["raion_code"].astype(str).to_numpy()
        share = (method == "raion_share") & (log_sd > 0)
        for r in sorted(set(raion[share])):
            idx = np.flatnonzero(share & (raion == r))
            if idx.size:
                share_groups.append(idx)
    kind = MODELLED_KIND if travel_model.times_modelled else ROADS_KIND
    travel = uncertainty.travel
    travel_sd = float(travel.roads_log_sd if kind == ROADS_KIND else travel.modelled_log_sd)
    labels_of_unit = (bundle.units["raion_code"].astype(str).to_numpy() if travel.per == "raion"
                      else np.asarray(inst.unit_codes, dtype=object))
    factor_labels = tuple(sorted(set(str(x) for x in labels_of_unit)))
    pos = {lab: k for k, lab in enumerate(factor_labels)}
    factor_of_unit = np.array([pos[str(x)] for x in labels_of_unit], dtype=np.int64)
    drop_p = float(uncertainty.adjacency.approximate_drop_probability)
    approx = (bundle.units["geometry_is_approximate"].to_numpy(dtype=bool)
              if "geometry_is_approximate" in bundle.units else np.zeros(n, dtype=bool))
    adj = np.asarray(inst.adjacency, dtype=np.int64).reshape(-1, 2)
    candidates = np.flatnonzero(approx[adj[:, 0]] & approx[adj[:, 1]]) if adj.size else np.zeros(0, dtype=np.int64)
    objective = bundle.criteria.objective
    return DrawBasis(
        unit_codes=tuple(inst.unit_codes),
        population=inst.population.copy(),
        method=method,
        log_sd=log_sd,
        share_groups=tuple(share_groups),
        factor_of_unit=factor_of_unit,
        factor_labels=factor_labels,
        travel_log_sd=travel_sd,
        travel_kind=kind,
        scale_cost_by_travel=objective == "travel",
        drop_candidates=candidates.astype(np.int64),
        drop_probability=drop_p,
        eligible_rule=_eligible_rule(bundle),
        estimated_units=int(is_est.sum()),
        log_sd_from_data=from_data,
    )


def draw_inputs(basis: DrawBasis, rng: np.random.Generator) -> Draw:
    """One joint draw (always the same number of random numbers, so streams stay aligned).

    Parameters
    ----------
    basis : DrawBasis
    rng : numpy.random.Generator
        The draw's own generator (from ``SeedSequence(seed).spawn(N)``).

    Returns
    -------
    Draw
        Units with a zero spread keep their nominal population exactly.
    """
    n = len(basis.unit_codes)
    z_pop = rng.standard_normal(n)
    z_travel = rng.standard_normal(len(basis.factor_labels))
    u_drop = rng.random(basis.drop_candidates.size)
    drawn = basis.log_sd > 0
    pop = basis.population.copy()
    pop[drawn] = basis.population[drawn] * np.exp(basis.log_sd[drawn] * z_pop[drawn])
    for idx in basis.share_groups:
        total = float(basis.population[idx].sum())
        now = float(pop[idx].sum())
        if now > 0:
            pop[idx] = pop[idx] * (total / now)
    factor = np.exp(basis.travel_log_sd * z_travel) if basis.travel_log_sd > 0 else np.ones(len(basis.factor_labels))
    adj_rows = 0 if basis.drop_candidates.size == 0 else int(basis.drop_candidates.max()) + 1
    dropped = np.zeros(adj_rows, dtype=bool)
    if basis.drop_probability > 0:
        dropped[basis.drop_candidates[u_drop < basis.drop_probability]] = True
    return Draw(population=pop, travel_factor=factor, unit_factor=factor[basis.factor_of_unit], dropped=dropped)


def apply_draw(instance: MergerInstance, basis: DrawBasis, draw: Draw) -> MergerInstance:
    """The instance with the drawn arrays (population, cost, travel times, adjacency).

    ``cost[i, j]`` is person-minutes (or population x squared distance): it scales with unit
    ``i``'s drawn population, and, for a travel-time cost, with the pair's travel factor
    ``sqrt(f_i f_j)``; ``travel_time_min`` scales with the same factor.
    """
    nominal = basis.population
    ratio = np.divide(draw.population, nominal, out=np.ones_like(nominal), where=nominal > 0)
    changes: dict[str, Any] = {"population": draw.population}
    travel_moved = not np.all(draw.unit_factor == 1.0)
    pair = np.sqrt(np.outer(draw.unit_factor, draw.unit_factor)) if travel_moved else None
    cost = instance.cost
    if not np.all(ratio == 1.0):
        cost = cost * ratio[:, None]
    if pair is not None:
        changes["travel_time_min"] = instance.travel_time_min * pair
        if basis.scale_cost_by_travel:
            cost = cost * pair
    if cost is not instance.cost:
        changes["cost"] = cost
    if draw.dropped.any():
        keep = np.ones(len(instance.adjacency), dtype=bool)
        keep[: draw.dropped.size] &= ~draw.dropped
        changes["adjacency"] = np.asarray(instance.adjacency)[keep]
    if basis.eligible_rule is not None:
        minimum, base_ok, forced = basis.eligible_rule
        changes["centre_eligible"] = ((draw.population >= minimum) & base_ok) | forced
    return dataclasses.replace(instance, **changes)
