"""Scenario layer (robustness): solve one draw exactly, raion group by raion group.

The functions here run in worker processes or on Dask workers. A worker receives the shared
context (:class:`DrawContext`: nominal instance, engine settings, nominal plan) once and then
one :class:`~atr_model.scenarios.uncertainty.Draw` per task; only the drawn arrays change.

When the engine decomposes the instance by groups (raion nesting and no national unit count),
each group is solved on its own, and two cases skip the solver with a proof:

* the group's drawn inputs equal the nominal ones (no estimate in it, zero spreads): the same
  exact engine on the same input has the nominal group's plan as an optimum, which is reused;
* every unit of the group can stay alone at no penalty (drawn populations at or above the
  floor, no cap breached, no count, no links, no indicator floor, no cost per new unit) and each
  unit's own centre is strictly its cheapest: then "every unit alone" has the least assignment
  cost of all plans and no penalty, so it is the unique optimum.

With ``warm_start`` the other groups start from the nominal plan
(``MergerModel.solve(start=...)``); where the draw makes it break a hard constraint the engine
drops it for that group (counted in ``DrawOutcome.starts_dropped``), so no invalid start reaches
the solver.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from atr_model.errors import ATRError
from atr_model.optimisation import (
    EngineSettings,
    MergerInstance,
    MergerModel,
    MergerResult,
    check_plan,
    decomposes,
    group_start,
    plan_measures,
)
from atr_model.scenarios.uncertainty import Draw, DrawBasis, apply_draw

__all__ = ["DrawContext", "DrawOutcome", "plan_objective", "solve_draw"]


@dataclass(frozen=True, eq=False)
class DrawContext:
    """Everything shared by the draws of one run (sent to each worker once).

    A process pool hands it to each worker's initializer and Dask scatters it to every worker
    once, so it holds only what every draw needs (no tables, no geometry): a draw then travels
    as its drawn arrays alone.

    Attributes
    ----------
    instance : MergerInstance
        The nominal instance.
    settings : EngineSettings
        Engine settings of the draws (one process, one thread: deterministic).
    basis : DrawBasis
        The uncertainty model compiled against ``instance``.
    nominal_assignment : numpy.ndarray
        The nominal plan (centre index per unit).
    warm_start : bool
        Start each solve from the nominal plan (where it is valid under the draw).
    """

    instance: MergerInstance
    settings: EngineSettings
    basis: DrawBasis
    nominal_assignment: np.ndarray
    warm_start: bool = False


@dataclass
class DrawOutcome:
    """What one draw gave.

    Attributes
    ----------
    draw : int
        Draw number (0-based).
    assignment : numpy.ndarray or None
        The draw's optimal plan; ``None`` when it failed.
    population : numpy.ndarray
        The drawn populations.
    travel_factor : numpy.ndarray
        The drawn travel factors (one per raion or unit).
    status : str
        ``"optimal"``, ``"feasible"`` (time limit) or ``"error"``.
    objective : float
        Objective of the draw's plan under the draw's inputs.
    nominal_objective : float
        Objective of the nominal plan under the draw's inputs.
    nominal_feasible : bool
        Whether the nominal plan meets every hard criterion under the draw's inputs.
    nominal_violations : str
        The hard criteria it breaks, if any.
    groups_solved, groups_reused, groups_alone : int
        Groups the solver ran on; reused from the nominal plan (same inputs); proven all-alone.
    starts_used, starts_dropped : int
        Solves that started from the nominal plan; solves where it broke a drawn hard constraint
        and was dropped (``warm_start`` only).
    seconds : float
        Wall time of the draw (not part of any table).
    error : str
        One-line message when the draw failed.
    """

    draw: int
    assignment: np.ndarray | None
    population: np.ndarray
    travel_factor: np.ndarray
    status: str = "optimal"
    objective: float = float("nan")
    nominal_objective: float = float("nan")
    nominal_feasible: bool = True
    nominal_violations: str = ""
    groups_solved: int = 0
    groups_reused: int = 0
    groups_alone: int = 0
    starts_used: int = 0
    starts_dropped: int = 0
    seconds: float = 0.0
    error: str = ""
    notes: list[str] = field(default_factory=list)


def plan_objective(instance: MergerInstance, settings: EngineSettings, assignment: np.ndarray) -> float:
    """The engine's objective of a plan (assignment cost, cost per unit and soft penalties)."""
    return float(plan_measures(instance, settings, np.asarray(assignment, dtype=np.int64))["objective"])


def _group_settings(settings: EngineSettings, group: str) -> EngineSettings:
    n_units = settings.n_units
    if isinstance(n_units, Mapping):
        n_units = n_units.get(group)
    return settings.replace(n_units=n_units, decompose=False, processes=1)


def _same_inputs(nominal: MergerInstance, drawn: MergerInstance, idx: np.ndarray, draw: Draw, basis: DrawBasis) -> bool:
    """Whether the group's drawn inputs are exactly the nominal ones."""
    if not np.array_equal(draw.population[idx], basis.population[idx]):
        return False
    if not np.all(draw.unit_factor[idx] == 1.0):
        return False
    if drawn.adjacency.shape != nominal.adjacency.shape:
        inside = np.zeros(nominal.n, dtype=bool)
        inside[idx] = True
        a = nominal.adjacency
        b = drawn.adjacency
        na = a[inside[a[:, 0]] & inside[a[:, 1]]] if a.size else a
        nb = b[inside[b[:, 0]] & inside[b[:, 1]]] if b.size else b
        if not np.array_equal(na, nb):
            return False
    return True


def _alone_is_optimal(inst: MergerInstance, settings: EngineSettings) -> bool:
    """Proof that "every unit alone" is the unique optimum of a sub-instance (see module doc)."""
    if settings.n_units is not None or len(inst.must_link) or settings.indicator_floor is not None:
        return False
    if settings.admin_cost_per_unit != 0 or not inst.centre_eligible.all():
        return False
    pop = inst.population
    # exempt units need no floor in either exempt mode (alone, they form an exempt-only unit)
    if settings.population_floor is not None and ((pop < settings.population_floor) & ~inst.exempt).any():
        return False
    if settings.population_cap is not None and (pop > settings.population_cap).any():
        return False
    diag = np.diag(inst.cost)
    if not np.isfinite(diag).all():
        return False
    limit = settings.max_travel_time_min
    if limit is not None and (np.diag(inst.travel_time_min) > limit).any():
        return False
    off = inst.cost.copy()
    np.fill_diagonal(off, np.inf)
    return bool((diag < off.min(axis=1)).all())


def _solve(instance: MergerInstance, settings: EngineSettings, start: np.ndarray | None, out: DrawOutcome,
           what: str) -> MergerResult:
    """Solve one (sub-)instance exactly, from ``start`` when given; count the start's fate in ``out``."""
    result = MergerModel(instance, settings).solve(start=start)
    out.starts_used += result.start.get("used", 0)
    out.starts_dropped += result.start.get("dropped", 0)
    if not result.has_plan:
        raise ATRError(f"{what}solver returned no plan (status {result.status})")
    return result


def _solve_whole(ctx: DrawContext, drawn: MergerInstance, out: DrawOutcome) -> tuple[np.ndarray, str]:
    start = ctx.nominal_assignment if ctx.warm_start else None
    result = _solve(drawn, ctx.settings.replace(processes=1), start, out, "")
    return np.asarray(result.assignment, dtype=np.int64), str(result.status)


@dataclass(frozen=True, eq=False)
class _Group:
    """One nesting group of the nominal instance, cut out once per worker."""

    name: str
    idx: np.ndarray
    instance: MergerInstance
    adjacency_rows: np.ndarray  # rows of the full adjacency inside the group, in sub-instance order
    settings: EngineSettings


#: Per-process cache: id of the nominal instance -> its groups (a worker keeps one context).
_GROUPS: dict[int, tuple[MergerInstance, tuple[_Group, ...]]] = {}


def _groups(ctx: DrawContext) -> tuple[_Group, ...]:
    key = id(ctx.instance)
    cached = _GROUPS.get(key)
    if cached is not None and cached[0] is ctx.instance:
        return cached[1]
    inst = ctx.instance
    group = np.asarray(inst.group, dtype=object)
    adj = np.asarray(inst.adjacency, dtype=np.int64).reshape(-1, 2)
    out = []
    for g in sorted(set(group.tolist())):
        idx = np.flatnonzero(group == g)
        inside = np.zeros(inst.n, dtype=bool)
        inside[idx] = True
        rows = np.flatnonzero(inside[adj[:, 0]] & inside[adj[:, 1]]) if adj.size else np.zeros(0, np.int64)
        settings = _group_settings(ctx.settings, str(g))
        if idx.size <= _SMALL_GROUP:
            # reduced-cost and Lagrangian fixing pay off on large models only: on the raion groups
            # of the Kyrgyz build they cost 27 % of the CPU time of a draw and never change an optimum
            settings = settings.replace(fixing=False, lagrangian_fixing=False)
        out.append(_Group(str(g), idx, inst.subset(idx), rows, settings))
    _GROUPS.clear()
    _GROUPS[key] = (inst, tuple(out))
    return tuple(out)


#: Groups up to this many units are solved without pair fixing (exact either way).
_SMALL_GROUP = 60


def _sub_instance(grp: _Group, drawn: MergerInstance, draw: Draw) -> MergerInstance:
    """The group's drawn sub-instance: the nominal cut-out with the drawn arrays put in."""
    idx = grp.idx
    block = np.ix_(idx, idx)
    changes: dict[str, Any] = {
        "population": drawn.population[idx],
        "cost": drawn.cost[block],
        "travel_time_min": drawn.travel_time_min[block],
        "centre_eligible": drawn.centre_eligible[idx],
    }
    if draw.dropped.any() and grp.adjacency_rows.size:
        dropped = np.zeros(grp.adjacency_rows.size, dtype=bool)
        within = grp.adjacency_rows < draw.dropped.size
        dropped[within] = draw.dropped[grp.adjacency_rows[within]]
        changes["adjacency"] = np.asarray(grp.instance.adjacency)[~dropped]
    return dataclasses.replace(grp.instance, **changes)


def _solve_groups(ctx: DrawContext, drawn: MergerInstance, draw: Draw, out: DrawOutcome) -> tuple[np.ndarray, str]:
    inst = ctx.instance
    assignment = np.full(inst.n, -1, dtype=np.int64)
    status = "optimal"
    for grp in _groups(ctx):
        idx, g = grp.idx, grp.name
        if _same_inputs(inst, drawn, idx, draw, ctx.basis):
            assignment[idx] = ctx.nominal_assignment[idx]
            out.groups_reused += 1
            continue
        sub = _sub_instance(grp, drawn, draw)
        sub_settings = grp.settings
        if _alone_is_optimal(sub, sub_settings):
            assignment[idx] = idx
            out.groups_alone += 1
            continue
        start = group_start(ctx.nominal_assignment, idx) if ctx.warm_start else None
        result = _solve(sub, sub_settings, start, out, f"group {g}: ")
        assignment[idx] = idx[np.asarray(result.assignment, dtype=np.int64)]
        out.groups_solved += 1
        if result.status != "optimal":
            status = "feasible"
    return assignment, status


def _hard_violations(instance: MergerInstance, settings: EngineSettings, assignment: np.ndarray) -> list[str]:
    return [f"{v.constraint}: {v.message}" for v in check_plan(instance, assignment, settings) if v.hard]


def solve_draw(ctx: DrawContext, draw: Draw, number: int) -> DrawOutcome:
    """Solve one draw exactly and measure the nominal plan under it.

    Parameters
    ----------
    ctx : DrawContext
        Shared context.
    draw : Draw
        The drawn inputs.
    number : int
        Draw number (0-based), echoed in the outcome.

    Returns
    -------
    DrawOutcome
        An atr-model error (an infeasible draw, a failed check) is recorded in ``error``, so one
        bad draw does not end the run.
    """
    started = time.perf_counter()
    out = DrawOutcome(draw=number, assignment=None, population=draw.population,
                      travel_factor=draw.travel_factor)
    try:
        drawn = apply_draw(ctx.instance, ctx.basis, draw)
        settings = ctx.settings
        if decomposes(drawn, settings):
            assignment, status = _solve_groups(ctx, drawn, draw, out)
        elif _same_inputs(ctx.instance, drawn, np.arange(drawn.n), draw, ctx.basis):
            assignment, status = ctx.nominal_assignment.copy(), "optimal"
            out.groups_reused = 1
        else:
            assignment, status = _solve_whole(ctx, drawn, out)
            out.groups_solved = 1
        broken = _hard_violations(drawn, settings, assignment)
        if broken:
            raise ATRError("the draw's plan failed the independent check: " + "; ".join(broken[:3]))
        out.assignment = assignment
        out.status = status
        out.objective = plan_objective(drawn, settings, assignment)
        nominal_broken = _hard_violations(drawn, settings, ctx.nominal_assignment)
        out.nominal_feasible = not nominal_broken
        out.nominal_violations = "; ".join(nominal_broken[:3]) + (
            f" (and {len(nominal_broken) - 3} more)" if len(nominal_broken) > 3 else "")
        out.nominal_objective = plan_objective(drawn, settings, ctx.nominal_assignment)
    except ATRError as exc:
        out.status = "error"
        out.error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        out.objective = math.nan
    out.seconds = time.perf_counter() - started
    return out


# ------------------------------------------------------------------ worker-process plumbing

_CONTEXT: DrawContext | None = None


def init_worker(ctx: DrawContext) -> None:
    """Process-pool initializer: keep the shared context in the worker."""
    global _CONTEXT  # noqa: PLW0603 (a pool initializer hands each worker its context this way)
    _CONTEXT = ctx


def solve_in_worker(draw: Draw, number: int) -> DrawOutcome:
    """Process-pool task: solve with the context given to :func:`init_worker`."""
    if _CONTEXT is None:  # pragma: no cover - the pool always runs the initializer
        raise RuntimeError("worker has no robustness context")
    return solve_draw(_CONTEXT, draw, number)
