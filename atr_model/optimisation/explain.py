"""After the solve: why each unit ended where it did: one :class:`UnitExplanation` per original unit."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from atr_model.optimisation.instance import MergerInstance
from atr_model.optimisation.prepare import neighbours
from atr_model.optimisation.result import MergerResult
from atr_model.optimisation.settings import EngineSettings

__all__ = ["UnitExplanation", "explain_units", "STATUSES"]

STATUSES = ("kept", "kept_exempt", "centre", "merged", "below_floor_no_partner")


@dataclass(frozen=True)
class UnitExplanation:
    """The fate of one original unit.

    Attributes
    ----------
    index, code, name : int, str, str
        The unit.
    status : str
        ``"kept"`` (stays alone, at or above the floor or locked), ``"kept_exempt"`` (stays alone,
        exempt from the floor), ``"centre"`` (hosts the centre of a merged unit), ``"merged"``
        (joins another unit's centre), ``"below_floor_no_partner"`` (stays alone below the floor).
    centre_code : str
        Code of the centre of its new unit.
    new_unit_population : float
        Residents of its new unit.
    travel_time_min : float
        Travel time to the centre (0 for a centre).
    floor_shortfall : float
        Residents its new unit lacks to reach the floor.
    reason : str
        One or two sentences with the measured values.
    """

    index: int
    code: str
    name: str
    status: str
    centre_code: str
    new_unit_population: float
    travel_time_min: float
    floor_shortfall: float
    reason: str

    @property
    def unit_code(self) -> str:
        """Alias of ``code``."""
        return self.code

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the fields."""
        return asdict(self)


def _fmt(value: float) -> str:
    return f"{value:,.0f}"


def _no_partner_reason(i: int, instance: MergerInstance, settings: EngineSettings, nbrs_same: list[list[int]]) -> str:
    """Why a sub-floor unit has no feasible partner (checked in order of bluntness)."""
    all_nbrs = sorted({int(b) for a, b in instance.adjacency if a == i} | {int(a) for a, b in instance.adjacency if b == i})
    if not all_nbrs:
        return "it has no neighbouring unit in the adjacency graph"
    same = nbrs_same[i]
    if not same:
        return "its only neighbours lie across the nesting boundary (group " + repr(instance.group[i]) + ")"
    alone = instance.keep_separate | (instance.exempt if settings.exempt_mode == "keep" else np.zeros(instance.n, bool))
    free = [j for j in same if not alone[j]]
    if not free:
        return "all its neighbours within the group are locked to stay as they are (" + ", ".join(
            instance.label(j) for j in same) + ")"
    limit = settings.max_travel_time_min
    if limit is not None:
        ttm = instance.travel_time_min
        reachable = [j for j in free if min(ttm[i, j], ttm[j, i]) <= limit]
        if not reachable:
            nearest = min(free, key=lambda j: min(ttm[i, j], ttm[j, i]))
            t = min(ttm[i, nearest], ttm[nearest, i])
            return (f"no neighbour is within the travel limit of {limit:g} min (nearest: {instance.label(nearest)} "
                    f"at {t:.0f} min)")
    if settings.population_cap is not None and settings.cap_mode == "hard":
        pop = instance.population
        if all(pop[i] + pop[j] > settings.population_cap for j in free):
            return f"joining any neighbour would exceed the population cap {settings.population_cap:g}"
    if settings.floor_mode == "soft":
        return ("merging with a reachable neighbour would cost more than the shortfall penalty "
                f"({settings.slack_penalty_per_person:g} per missing resident) or break a lock, centre or "
                "contiguity rule")
    return "no contiguous partner set satisfies the locks, centre eligibility and contiguity rules"


def explain_units(instance: MergerInstance, result: MergerResult, settings: EngineSettings) -> list[UnitExplanation]:
    """One explanation per original unit, in instance order."""
    n = instance.n
    if not result.has_plan:
        return [UnitExplanation(i, instance.unit_codes[i], instance.names[i], "kept", instance.unit_codes[i],
                                float(instance.population[i]), 0.0, 0.0,
                                f"no plan was found ({result.status}); the unit is shown unchanged") for i in range(n)]
    a = result.assignment
    pop = instance.population
    floor = settings.population_floor
    nbrs_same = neighbours(instance)
    sizes = np.bincount(a, minlength=n)
    unit_pop = np.bincount(a, weights=pop, minlength=n)
    out = []
    for i in range(n):
        c = int(a[i])
        total = float(unit_pop[c])
        shortfall = float(result.floor_shortfall[i]) if result.floor_shortfall.size else 0.0
        ttm = float(instance.travel_time_min[i, c]) if c != i else 0.0
        floor_txt = "" if floor is None else f" (floor {_fmt(floor)})"
        own = f"{instance.label(i)} has {_fmt(pop[i])} residents{floor_txt}"
        if sizes[c] > 1 and c == i:
            status = "centre"
            reason = (f"{own}; it hosts the centre of a new unit of {sizes[c]} units and {_fmt(total)} residents.")
        elif sizes[c] > 1:
            status = "merged"
            t_txt = f"{ttm:.0f} min" if math.isfinite(ttm) else "unknown time"
            reason = (f"{own}; it joins the new unit centred on {instance.label(c)} ({sizes[c]} units, "
                      f"{_fmt(total)} residents), {t_txt} from the centre.")
        elif instance.exempt[i]:
            status = "kept_exempt"
            rule = instance.exempt_reason[i] or "exempt"
            reason = f"{own}; exempt from the floor ({rule}), so it stays as it is."
        elif instance.keep_separate[i]:
            status = "kept"
            reason = f"{own}; it is locked to stay separate."
        elif floor is not None and pop[i] < floor:
            status = "below_floor_no_partner"
            reason = f"{own}, below the floor, but stays alone: {_no_partner_reason(i, instance, settings, nbrs_same)}."
        else:
            status = "kept"
            reason = f"{own}; it meets the floor on its own and no merger lowers the objective."
        if shortfall > 0 and status in ("centre", "merged"):
            reason += f" The new unit is still {_fmt(shortfall)} residents short of the floor (soft floor)."
        out.append(UnitExplanation(i, instance.unit_codes[i], instance.names[i], status, instance.unit_codes[c],
                                   total, ttm, shortfall, reason))
    return out
