"""Stage: measuring a plan. Shortfalls, excesses, objective and gap of an assignment, and the
:class:`MergerResult` built from them.

The search (:mod:`.search`) and the decomposition (:mod:`.decomposition`) both turn a plan into a
result through :func:`plan_result` / :func:`no_plan_result`, so the objective and the relative gap
are computed in one place. A plan drawn without centres (``atr-model evaluate``) gets them from
:func:`plan_centres`, which chooses as the model does: among the centres the model allows, the one
of least cost. The independent checker (:mod:`.check`) recomputes the same figures on its own and
does not use this module.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from atr_model.optimisation.instance import MergerInstance
from atr_model.optimisation.prepare import prepare
from atr_model.optimisation.result import MergerResult
from atr_model.optimisation.settings import EngineSettings

__all__ = ["TOL", "allowed_centres", "centre_cost", "no_plan_result", "plan_centres", "plan_measures", "plan_result",
           "relative_gap"]

# slack on population and indicator sums before a shortfall or an excess counts
TOL = 1e-6


def _new_unit_measures(instance: MergerInstance, settings: EngineSettings, members: np.ndarray, locked: bool,
                       indicator: np.ndarray | None) -> tuple[float, float, float, list[float]]:
    """Floor shortfall, cap excess, indicator shortfall and the penalties (floor, cap, indicator)
    of one new unit. A locked-alone unit pays no penalty and has no indicator shortfall.
    """
    s = settings
    total = float(instance.population[members].sum())
    floor_sf = cap_ex = ind_sf = 0.0
    penalties = []
    if s.population_floor is not None:
        needs = bool((~instance.exempt[members]).any())
        if needs and total < s.population_floor - TOL:
            floor_sf = s.population_floor - total
            if not locked and s.floor_mode == "soft":
                penalties.append(s.slack_penalty_per_person * floor_sf)
    if s.population_cap is not None and total > s.population_cap + TOL:
        cap_ex = total - s.population_cap
        if not locked and s.cap_mode == "soft":
            penalties.append(s.cap_penalty_per_person * cap_ex)
    if s.indicator_floor is not None and indicator is not None:
        value = float(indicator[members].sum())
        if value < s.indicator_floor - TOL and not locked:
            ind_sf = s.indicator_floor - value
            if s.floor_mode == "soft":
                penalties.append(s.indicator_penalty_per_unit * ind_sf)
    return floor_sf, cap_ex, ind_sf, penalties


def plan_measures(instance: MergerInstance, settings: EngineSettings, assignment: np.ndarray) -> dict[str, Any]:
    """Shortfalls, excesses and objective of an assignment, per original unit.

    The objective counts penalties the way the model does: floor, cap and indicator penalties
    apply to new units that are not locked-alone units.
    """
    n = instance.n
    alone = instance.keep_separate | (instance.exempt if settings.exempt_mode == "keep" else np.zeros(n, bool))
    floor_sf = np.zeros(n)
    cap_ex = np.zeros(n)
    ind_sf = np.zeros(n)
    penalty = 0.0
    ind = None if instance.indicator is None else np.nan_to_num(instance.indicator, nan=0.0)
    centres = np.unique(assignment)
    for j in centres:
        mem = np.flatnonzero(assignment == j)
        locked = bool(len(mem) == 1 and alone[j])
        f, c, i, penalties = _new_unit_measures(instance, settings, mem, locked, ind)
        floor_sf[mem], cap_ex[mem], ind_sf[mem] = f, c, i
        for amount in penalties:  # one at a time, in the model's order (same rounding)
            penalty += amount
    travel = float(sum(instance.cost[i, int(assignment[i])] for i in range(n)))
    objective = travel + settings.admin_cost_per_unit * centres.size + penalty
    return {"floor_shortfall": floor_sf, "cap_excess": cap_ex, "indicator_shortfall": ind_sf,
            "objective": objective, "assignment_cost": travel, "penalty": penalty}


def centre_cost(instance: MergerInstance, members: Sequence[int], centre: int) -> float:
    """What the objective pays for serving ``members`` from ``centre``: ``sum(cost[i, centre])``.

    The only part of a new unit's objective that depends on its centre: the cost per new unit and
    the penalties (floor, cap, indicator) depend on its members alone.
    """
    return float(instance.cost[np.asarray(members, dtype=np.int64), int(centre)].sum())


def allowed_centres(instance: MergerInstance, settings: EngineSettings) -> dict[int, set[int]]:
    """Centre index -> the units the model allows it to serve (:func:`.prepare.prepare`).

    Computed once and passed to :func:`plan_centres` by a caller that chooses centres again
    and again on one instance (the plan editor, per click).
    """
    return {j: set(m) for j, m in prepare(instance, settings).members.items()}


def plan_centres(instance: MergerInstance, settings: EngineSettings, units: Iterable[Sequence[int]], *,
                 allowed: Mapping[int, set[int]] | None = None) -> list[int]:
    """The centre the model would give each new unit of a plan drawn without centres.

    A member ``j`` may be the centre when the model allows every pair ``(i, j)`` of the unit
    (:func:`.prepare.prepare`: same group, finite cost, ``j`` eligible to host a centre, every
    member's worst settlement within the travel limit of ``j``, no unit that must stay alone,
    members reachable from ``j``, the cap along paths); of those, the model keeps the one of least
    :func:`centre_cost`, since nothing else in the objective depends on the centre. Ties go to the
    lower unit code. So an optimised plan, read back without its centres, gets centres of the same
    cost (the same objective) and passes the checker.

    When no member is allowed (the plan breaks a hard criterion whatever its centre), the member
    allowing the most members is taken, then the least cost, so the checker names as few
    breaches as there are.

    Parameters
    ----------
    instance, settings
        The problem the plan is drawn for.
    units
        The members (unit indices) of each new unit.
    allowed
        :func:`allowed_centres` of ``instance`` and ``settings``, when the caller has it.

    Returns
    -------
    list of int
        Index of the centre of each new unit, in the order given.
    """
    if allowed is None:
        allowed = allowed_centres(instance, settings)
    chosen: list[int] = []
    for unit in units:
        members = [int(i) for i in unit]
        chosen.append(min(members, key=functools.partial(_centre_rank, instance, allowed, members)))
    return chosen


def _centre_rank(instance: MergerInstance, allowed: Mapping[int, set[int]], members: list[int],
                 centre: int) -> tuple[int, bool, float, str]:
    """Order of the candidate centres of one new unit: members it may not serve, then cost, then code."""
    refused = sum(1 for i in members if i not in allowed.get(centre, ()))
    cost = centre_cost(instance, members, centre)
    return refused, not math.isfinite(cost), cost, instance.unit_codes[centre]


def relative_gap(objective: float, bound: float, proven: bool) -> float:
    """Relative gap ``(objective - bound) / |objective|``, never below 0.

    Without a finite bound (or with a zero objective) it is 0 for a proven plan and ``nan`` otherwise.
    """
    if math.isfinite(bound) and objective:
        gap = (objective - bound) / abs(objective)
    else:
        gap = 0.0 if proven else float("nan")
    return max(gap, 0.0) if math.isfinite(gap) else gap


def no_plan_result(instance: MergerInstance, settings: EngineSettings, *, bound: float, seconds: float,
                   cut_rounds: int, contiguity_method: str, per_group: dict[str, dict[str, Any]] | None = None,
                   fixed_pairs: dict[str, int] | None = None, notes: list[str] | None = None,
                   time_bound: bool = True, threads: dict[str, int] | None = None) -> MergerResult:
    """The result of a solve that found no plan within its time limit."""
    zeros = np.zeros(instance.n)
    return MergerResult(
        assignment=np.full(instance.n, -1, dtype=np.int64), status="time_limit_no_solution", proven_optimal=False,
        objective=float("nan"), bound=bound, gap=float("nan"), seconds=seconds, cut_rounds=cut_rounds,
        contiguity_method=contiguity_method, solver=settings.solver, floor_shortfall=zeros,
        cap_excess=zeros.copy(), indicator_shortfall=zeros.copy(), unit_codes=instance.unit_codes,
        per_group=per_group or {}, fixed_pairs=fixed_pairs or {}, notes=notes if notes is not None else [],
        time_bound=time_bound, threads=threads or {})


def plan_result(instance: MergerInstance, settings: EngineSettings, assignment: np.ndarray, *, proven: bool,
                bound: float, seconds: float, cut_rounds: int, contiguity_method: str,
                per_group: dict[str, dict[str, Any]] | None = None, fixed_pairs: dict[str, int] | None = None,
                notes: list[str] | None = None, measures: dict[str, Any] | None = None,
                time_bound: bool = False, threads: dict[str, int] | None = None) -> MergerResult:
    """The result of a plan: its measures, ``"optimal"`` when ``proven`` else ``"feasible"``, and the gap.

    ``measures`` may pass :func:`plan_measures` of ``assignment`` when the caller has it already.
    """
    measures = measures if measures is not None else plan_measures(instance, settings, assignment)
    objective = measures["objective"]
    return MergerResult(
        assignment=assignment, status="optimal" if proven else "feasible", proven_optimal=proven,
        objective=objective, bound=bound, gap=relative_gap(objective, bound, proven), seconds=seconds,
        cut_rounds=cut_rounds, contiguity_method=contiguity_method, solver=settings.solver,
        floor_shortfall=measures["floor_shortfall"], cap_excess=measures["cap_excess"],
        indicator_shortfall=measures["indicator_shortfall"], unit_codes=instance.unit_codes,
        per_group=per_group or {}, fixed_pairs=fixed_pairs or {}, notes=notes if notes is not None else [],
        time_bound=time_bound, threads=threads or {})
