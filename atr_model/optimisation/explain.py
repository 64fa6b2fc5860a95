"""After the solve: why each unit ended where it did: one :class:`UnitExplanation` per original unit."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from atr_model.optimisation.instance import MergerInstance
from atr_model.optimisation.prepare import neighbours
from atr_model.optimisation.result import MergerResult
from atr_model.optimisation.settings import EngineSettings
from atr_model.optimisation.wording import Params, number, param_number, shown

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
        One or two sentences with the measured values, in English.
    reason_code : str
        The sentence's message code for the interface: its parts joined by ``+``, each a
        catalogue text ``reason.<part>``. The first part says what happened (``centre``,
        ``merged``, ``merged_unknown_time``, ``kept_exempt``, ``kept_locked``,
        ``kept_meets_floor``, ``below_floor.<why>``, ``no_plan``); ``shortfall`` follows when a
        soft floor leaves the new unit short.
    reason_params : dict
        The sentence's raw values (:mod:`~atr_model.optimisation.wording`): ``unit``,
        ``population`` and ``floor`` (when there is one) always; ``size``, ``total``,
        ``centre``, ``minutes``, ``shortfall``, ``rule`` (the unit's exemption text),
        ``units``, ``group``, ``limit``, ``nearest``, ``cap``, ``penalty`` or ``status`` as the
        code needs.
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
    reason_code: str = ""
    reason_params: Params = field(default_factory=dict)

    @property
    def unit_code(self) -> str:
        """Alias of ``code``."""
        return self.code

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the fields."""
        return asdict(self)


def _no_partner_reason(
    i: int, instance: MergerInstance, settings: EngineSettings, nbrs_same: list[list[int]]
) -> tuple[str, str, Params]:
    """Why a sub-floor unit has no feasible partner (checked in order of bluntness).

    Returns the clause, its code (the part after ``below_floor.``) and its parameters.
    """
    all_nbrs = sorted({int(b) for a, b in instance.adjacency if a == i} | {int(a) for a, b in instance.adjacency if b == i})
    if not all_nbrs:
        return "it has no neighbouring unit in the adjacency graph", "no_neighbours", {}
    same = nbrs_same[i]
    if not same:
        group = instance.group[i]
        return (f"its only neighbours lie across the nesting boundary (group {group!r})", "across_nesting",
                {"group": group})
    alone = instance.keep_separate | (instance.exempt if settings.exempt_mode == "keep" else np.zeros(instance.n, bool))
    free = [j for j in same if not alone[j]]
    if not free:
        return ("all its neighbours within the group are locked to stay as they are ("
                + ", ".join(instance.label(j) for j in same) + ")", "neighbours_locked",
                {"units": [instance.unit_codes[j] for j in same]})
    limit = settings.max_travel_time_min
    if limit is not None:
        ttm = instance.travel_time_min
        reachable = [j for j in free if min(ttm[i, j], ttm[j, i]) <= limit]
        if not reachable:
            nearest = min(free, key=lambda j: min(ttm[i, j], ttm[j, i]))
            values: Params = {"limit": shown(limit, 2), "nearest": instance.unit_codes[nearest],
                              "minutes": shown(min(ttm[i, nearest], ttm[nearest, i]))}
            return (f"no neighbour is within the travel limit of {param_number(values, 'limit')} min (nearest: "
                    f"{instance.label(nearest)} at {param_number(values, 'minutes')} min)", "travel_limit", values)
    if settings.population_cap is not None and settings.cap_mode == "hard":
        pop = instance.population
        if all(pop[i] + pop[j] > settings.population_cap for j in free):
            cap = shown(settings.population_cap, 2)
            return f"joining any neighbour would exceed the population cap {number(cap)}", "cap", {"cap": cap}
    if settings.floor_mode == "soft":
        penalty = shown(settings.slack_penalty_per_person, 2)
        return ("merging with a reachable neighbour would cost more than the shortfall penalty "
                f"({number(penalty)} per missing resident) or break a lock, centre or contiguity rule", "soft_penalty",
                {"penalty": penalty})
    return "no contiguous partner set satisfies the locks, centre eligibility and contiguity rules", "no_partner_set", {}


def _unchanged(instance: MergerInstance, result: MergerResult) -> list[UnitExplanation]:
    """Every unit shown as it is: no plan was found."""
    return [UnitExplanation(i, instance.unit_codes[i], instance.names[i], "kept", instance.unit_codes[i],
                            float(instance.population[i]), 0.0, 0.0,
                            f"no plan was found ({result.status}); the unit is shown unchanged",
                            "no_plan", {"status": str(result.status)}) for i in range(instance.n)]


def explain_units(instance: MergerInstance, result: MergerResult, settings: EngineSettings) -> list[UnitExplanation]:
    """One explanation per original unit, in instance order."""
    n = instance.n
    if not result.has_plan:
        return _unchanged(instance, result)
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
        params: Params = {"unit": instance.unit_codes[i], "population": shown(pop[i])}
        floor_txt = ""
        if floor is not None:
            params["floor"] = shown(floor)
            floor_txt = f" (floor {param_number(params, 'floor')})"
        own = f"{instance.label(i)} has {param_number(params, 'population')} residents{floor_txt}"
        new_unit: Params = {"size": int(sizes[c]), "total": shown(total)}
        if sizes[c] > 1 and c == i:
            status, code = "centre", "centre"
            params.update(new_unit)
            reason = (f"{own}; it hosts the centre of a new unit of {sizes[c]} units and {param_number(new_unit, 'total')} "
                      "residents.")
        elif sizes[c] > 1:
            status, code = "merged", "merged"
            params.update(new_unit, centre=instance.unit_codes[c])
            if math.isfinite(ttm):
                params["minutes"] = shown(ttm)
                t_txt = f"{param_number(params, 'minutes')} min"
            else:
                code, t_txt = "merged_unknown_time", "unknown time"
            reason = (f"{own}; it joins the new unit centred on {instance.label(c)} ({sizes[c]} units, "
                      f"{param_number(new_unit, 'total')} residents), {t_txt} from the centre.")
        elif instance.exempt[i]:
            status, code = "kept_exempt", "kept_exempt"
            params["rule"] = instance.exempt_reason[i]
            rule = instance.exempt_reason[i] or "exempt"
            reason = f"{own}; exempt from the floor ({rule}), so it stays as it is."
        elif instance.keep_separate[i]:
            status, code = "kept", "kept_locked"
            reason = f"{own}; it is locked to stay separate."
        elif floor is not None and pop[i] < floor:
            status = "below_floor_no_partner"
            why, why_code, why_params = _no_partner_reason(i, instance, settings, nbrs_same)
            code = f"below_floor.{why_code}"
            params.update(why_params)
            reason = f"{own}, below the floor, but stays alone: {why}."
        else:
            status, code = "kept", "kept_meets_floor"
            reason = f"{own}; it meets the floor on its own and no merger lowers the objective."
        if shortfall > 0 and status in ("centre", "merged"):
            params["shortfall"] = shown(shortfall)
            code += "+shortfall"
            reason += f" The new unit is still {param_number(params, 'shortfall')} residents short of the floor (soft floor)."
        out.append(UnitExplanation(i, instance.unit_codes[i], instance.names[i], status, instance.unit_codes[c],
                                   total, ttm, shortfall, reason, code, params))
    return out
