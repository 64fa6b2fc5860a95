r"""The exact merger MILP (centre-based, Hess / p-median family) and its solve loop.

Formulation
-----------
Units :math:`i`, possible centres :math:`j`; :math:`x_{ij} = 1` when unit ``i`` joins the new
unit centred on ``j`` (only for allowed pairs, see :func:`.prepare.prepare`); :math:`x_{jj}`
says ``j`` is a centre.

.. math::

    \min \sum_{ij} c_{ij} x_{ij} + a \sum_j x_{jj} + \pi_F \sum_j s_j + \pi_C \sum_j e_j
         + \pi_I \sum_j t_j

    \sum_j x_{ij} = 1 \;\forall i \qquad x_{ij} \le x_{jj}

    \sum_i p_i x_{ij} + s_j \ge F\, x_{jj} \quad (j \text{ not exempt; for an exempt centre
    the right side is } F x_{kj} \text{ for each non-exempt } k)

    \sum_i p_i x_{ij} - e_j \le C\, x_{jj} \qquad \sum_i q_i x_{ij} + t_j \ge Q\, x_{jj}

    \sum_j x_{jj} = k \text{ (total or per group, optional)}

with :math:`s, e, t \ge 0` fixed to 0 in hard mode. Locks: ``keep_separate`` (and exempt units
with ``exempt_mode="keep"``) have :math:`x_{ii} = 1` and no other pair; ``must_link``
:math:`x_{aj} = x_{bj}`; ``cannot_link`` :math:`x_{aj} + x_{bj} \le x_{jj}`.
Contiguity: separator cuts (lazy, re-solve loop) or a single-commodity flow per centre
(see :mod:`.contiguity`). Reference: S. W. Hess et al. (1965); H. Validi, A. Buchanan,
E. Lykhovyd (2022), Oper. Res. 70(2):867-892.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pulp

from atr_model.errors import CriteriaError, InfeasibleError, SolverError
from atr_model.optimisation.contiguity import reachable, separator_cuts
from atr_model.optimisation.instance import MergerInstance
from atr_model.optimisation.lagrangian import pair_bounds, relaxed_costs
from atr_model.optimisation.prepare import Prepared, prepare, uses_contiguity
from atr_model.optimisation.presolve import check_in_advance, must_link_classes, raise_if
from atr_model.optimisation.result import MergerResult
from atr_model.optimisation.settings import EngineSettings
from atr_model.optimisation.solvers import FrozenProblem, make_solver, solver_bound

__all__ = ["MergerModel", "inertia_cost", "plan_measures"]

log = logging.getLogger(__name__)

_TOL = 1e-6
_FLOW_MAX_ARCS = 60
# below this many units, starting worker processes (~2 s of imports each) costs more than it saves
_POOL_MIN_UNITS = 60
# relative gap of the cut rounds before the final exact solve
_ROUND_GAP = 0.01


def inertia_cost(population: np.ndarray, distance: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """Moment-of-inertia cost ``population[i] * (scale * distance[i, j]) ** 2`` (Hess et al. 1965).

    Parameters
    ----------
    population : array (n,)
        Residents per unit.
    distance : array (n, n)
        Distance between units (any unit; ``inf`` forbids a pair).
    scale : float
        Multiplier applied to distances first (for example 1/1000 to turn km into 1000 km).
    """
    pop = np.asarray(population, dtype=float)
    dist = np.asarray(distance, dtype=float) * scale
    return pop[:, None] * dist**2


# --------------------------------------------------------------------------------------------
# measures of a plan (shared by the model and the result; the checker recomputes independently)


def plan_measures(instance: MergerInstance, settings: EngineSettings, assignment: np.ndarray) -> dict[str, Any]:
    """Shortfalls, excesses and objective of an assignment, per original unit.

    The objective counts penalties the way the model does: floor, cap and indicator penalties
    apply to new units that are not locked-alone units.
    """
    n = instance.n
    pop = instance.population
    alone = instance.keep_separate | (instance.exempt if settings.exempt_mode == "keep" else np.zeros(n, bool))
    floor_sf = np.zeros(n)
    cap_ex = np.zeros(n)
    ind_sf = np.zeros(n)
    penalty = 0.0
    ind = None if instance.indicator is None else np.nan_to_num(instance.indicator, nan=0.0)
    for j in np.unique(assignment):
        mem = np.flatnonzero(assignment == j)
        total = float(pop[mem].sum())
        locked = len(mem) == 1 and alone[j]
        if settings.population_floor is not None:
            needs = bool((~instance.exempt[mem]).any())
            if needs and total < settings.population_floor - _TOL:
                floor_sf[mem] = settings.population_floor - total
                if not locked and settings.floor_mode == "soft":
                    penalty += settings.slack_penalty_per_person * (settings.population_floor - total)
        if settings.population_cap is not None and total > settings.population_cap + _TOL:
            cap_ex[mem] = total - settings.population_cap
            if not locked and settings.cap_mode == "soft":
                penalty += settings.cap_penalty_per_person * (total - settings.population_cap)
        if settings.indicator_floor is not None and ind is not None:
            value = float(ind[mem].sum())
            if value < settings.indicator_floor - _TOL and not locked:
                ind_sf[mem] = settings.indicator_floor - value
                if settings.floor_mode == "soft":
                    penalty += settings.indicator_penalty_per_unit * (settings.indicator_floor - value)
    centres = np.unique(assignment)
    travel = float(sum(instance.cost[i, int(assignment[i])] for i in range(n)))
    objective = travel + settings.admin_cost_per_unit * centres.size + penalty
    return {"floor_shortfall": floor_sf, "cap_excess": cap_ex, "indicator_shortfall": ind_sf,
            "objective": objective, "assignment_cost": travel, "penalty": penalty}


# --------------------------------------------------------------------------------------------
# formulation


def _expr(terms: Any) -> pulp.LpAffineExpression:
    """A linear expression from (variable, coefficient) pairs (much faster than lpSum of products)."""
    return pulp.LpAffineExpression([(v, c) for v, c in terms if c != 0])


@dataclass
class _Formulation:
    prep: Prepared
    method: str
    prob: pulp.LpProblem = field(init=False)
    x: dict[tuple[int, int], pulp.LpVariable] = field(init=False, default_factory=dict)
    cut_keys: set[tuple[int, int, tuple[int, ...]]] = field(init=False, default_factory=set)
    # set once pairs are fixed by bounds: cuts then use the unfixed members only (and are recorded)
    restricted: bool = field(init=False, default=False)
    restricted_cuts: list[str] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.prob = FrozenProblem("merger", pulp.LpMinimize)
        self._build()
        self.prob.freeze()

    # -- building blocks, one per constraint family ------------------------------------------
    def _build(self) -> None:
        prep, s, inst = self.prep, self.prep.settings, self.prep.instance
        x = self.x
        for j in sorted(prep.members):
            for i in prep.members[j]:
                x[i, j] = pulp.LpVariable(f"x_{i}_{j}", cat=pulp.LpBinary)
            if prep.alone[j]:
                x[j, j].lowBound = 1
        costs = {(i, j): float(inst.cost[i, j]) + (s.admin_cost_per_unit if i == j else 0.0) for (i, j) in x}
        obj: list[Any] = [_expr((v, costs[k]) for k, v in sorted(x.items()))]
        prob = self.prob
        for i in range(inst.n):
            prob += pulp.LpConstraint(_expr((x[i, j], 1.0) for j in prep.centres_of[i]), pulp.LpConstraintEQ,
                                      f"assign_{i}", 1.0)
        for j in sorted(prep.members):
            for i in prep.members[j]:
                if i != j:
                    prob += pulp.LpConstraint(_expr([(x[i, j], 1.0), (x[j, j], -1.0)]), pulp.LpConstraintLE,
                                              f"link_{i}_{j}", 0.0)
        obj += self._floor()
        obj += self._cap()
        obj += self._indicator()
        self._locks()
        self._count()
        if self.method == "flow":
            self._flow()
        if self.method == "cuts" and s.seed_neighbour_cuts:
            self._neighbour_cuts()
        prob += pulp.lpSum(obj)

    def _unit_terms(self, j: int, values: np.ndarray) -> list[tuple[pulp.LpVariable, float]]:
        return [(self.x[i, j], float(values[i])) for i in self.prep.members[j]]

    def _row(self, terms: list[tuple[pulp.LpVariable, float]], sense: int, rhs: float, name: str) -> None:
        """Add ``sum(coef * var) <sense> rhs``, merging repeated variables."""
        merged: dict[str, list[Any]] = {}
        for v, c in terms:
            if v.name in merged:
                merged[v.name][1] += c
            else:
                merged[v.name] = [v, c]
        self.prob += pulp.LpConstraint(_expr((v, c) for v, c in merged.values()), sense, name, rhs)

    def _floor(self) -> list[Any]:
        prep, s, inst = self.prep, self.prep.settings, self.prep.instance
        floor = s.population_floor
        if floor is None or floor <= 0:
            return []
        pop, x = inst.population, self.x
        terms = []
        for j in sorted(prep.members):
            # a centre at or above the floor carries every unit joining it over the floor
            if prep.alone[j] or pop[j] >= floor:
                continue
            needy = [i for i in prep.members[j] if prep.floor_applies[i]] if inst.exempt[j] else [j]
            if not needy:
                continue
            lhs = self._unit_terms(j, pop)
            if not inst.exempt[j]:
                # coefficient tightening (valid as x_ij <= x_jj): no member counts for more than the
                # centre's own gap to the floor; it lifts the LP bound a lot when the floor is soft
                gap_j = floor - float(pop[j])
                lhs = [(v, c if v is x[j, j] else min(c, gap_j)) for v, c in lhs]
            if s.floor_mode == "soft":
                slack = pulp.LpVariable(f"floor_slack_{j}", lowBound=0, upBound=floor)
                terms.append(s.slack_penalty_per_person * slack)
                lhs.append((slack, 1.0))
            for k in needy:
                self._row(lhs + [(x[k, j], -floor)], pulp.LpConstraintGE, 0.0, f"floor_{k}_{j}")
        return terms

    def _cap(self) -> list[Any]:
        prep, s, inst = self.prep, self.prep.settings, self.prep.instance
        cap = s.population_cap
        if cap is None:
            return []
        pop, x = inst.population, self.x
        terms = []
        for j in sorted(prep.members):
            mem = prep.members[j]
            if prep.alone[j] or pop[mem].sum() <= cap:
                continue
            lhs = self._unit_terms(j, pop) + [(x[j, j], -cap)]
            if s.cap_mode == "soft":
                excess = pulp.LpVariable(f"cap_excess_{j}", lowBound=0)
                terms.append(s.cap_penalty_per_person * excess)
                lhs.append((excess, -1.0))
            self._row(lhs, pulp.LpConstraintLE, 0.0, f"cap_{j}")
        return terms

    def _indicator(self) -> list[Any]:
        prep, s = self.prep, self.prep.settings
        target = s.indicator_floor
        if target is None or prep.indicator is None or target <= 0:
            return []
        ind, x = prep.indicator, self.x
        terms = []
        for j in sorted(prep.members):
            if prep.alone[j] or ind[j] >= target:
                continue
            lhs = self._unit_terms(j, ind) + [(x[j, j], -target)]
            if s.floor_mode == "soft":
                slack = pulp.LpVariable(f"indicator_slack_{j}", lowBound=0, upBound=target)
                terms.append(s.indicator_penalty_per_unit * slack)
                lhs.append((slack, 1.0))
            self._row(lhs, pulp.LpConstraintGE, 0.0, f"indicator_{j}")
        return terms

    def _locks(self) -> None:
        prep, inst, x, prob = self.prep, self.prep.instance, self.x, self.prob
        roots = must_link_classes(inst.n, inst.must_link)
        for u in range(inst.n):
            r = roots[u]
            if r == u:
                continue
            for j in sorted(set(prep.centres_of[u]) | set(prep.centres_of[r])):
                prob += x.get((u, j), 0) - x.get((r, j), 0) == 0, f"must_link_{u}_{r}_{j}"
        for a, b in sorted({(min(int(a), int(b)), max(int(a), int(b))) for a, b in inst.cannot_link}):
            for j in sorted(set(prep.centres_of[a]) & set(prep.centres_of[b])):
                prob += x[a, j] + x[b, j] <= x[j, j], f"cannot_link_{a}_{b}_{j}"

    def _count(self) -> None:
        prep, s, inst, x, prob = self.prep, self.prep.settings, self.prep.instance, self.x, self.prob
        if s.n_units is None:
            return
        centres = sorted(prep.members)
        if isinstance(s.n_units, Mapping):
            for g, k in s.n_units.items():
                js = [j for j in centres if inst.group[j] == g]
                if js:
                    prob += pulp.lpSum(x[j, j] for j in js) == k, f"n_units_{g}"
        else:
            prob += pulp.lpSum(x[j, j] for j in centres) == s.n_units, "n_units"

    def _flow(self) -> None:
        """Single-commodity flow per centre: ``j`` ships one unit of flow to every member."""
        prep, x, prob = self.prep, self.x, self.prob
        for j in sorted(prep.members):
            mem = prep.members[j]
            if len(mem) < 2:
                continue
            mem_set = set(mem)
            big_m = len(mem) - 1
            f: dict[tuple[int, int], pulp.LpVariable] = {}
            for u in mem:
                for v in prep.nbrs[u]:
                    if v in mem_set and v != j:
                        f[u, v] = pulp.LpVariable(f"f_{j}_{u}_{v}", lowBound=0)
            inflow: dict[int, list[Any]] = {i: [] for i in mem}
            outflow: dict[int, list[Any]] = {i: [] for i in mem}
            for (u, v), var in sorted(f.items()):
                outflow[u].append(var)
                inflow[v].append(var)
            for i in mem:
                if i == j:
                    continue
                prob += pulp.lpSum(inflow[i]) - pulp.lpSum(outflow[i]) == x[i, j], f"flow_bal_{i}_{j}"
                prob += pulp.lpSum(inflow[i]) <= big_m * x[i, j], f"flow_cap_{i}_{j}"

    def _neighbour_cuts(self) -> None:
        """Seed the cut loop with the trivial separators: if ``i`` joins ``j`` (not adjacent), a
        neighbour of ``i`` does too."""
        prep = self.prep
        cuts = []
        for j in sorted(prep.members):
            allowed = set(prep.members[j])
            for i in prep.members[j]:
                if i == j or j in prep.nbrs[i]:
                    continue
                cuts.append((i, j, tuple(c for c in prep.nbrs[i] if c in allowed)))
        self.add_cuts(cuts)

    # -- cut loop support ------------------------------------------------------------------
    def add_cuts(self, cuts: Sequence[tuple[int, int, tuple[int, ...]]]) -> int:
        added = 0
        for a, j, sep in cuts:
            key = (a, j, sep)
            if key in self.cut_keys:
                continue
            self.cut_keys.add(key)
            terms = [(self.x[a, j], 1.0)] + [(self.x[c, j], -1.0) for c in sep]
            name = f"sep_{len(self.cut_keys)}"
            self.prob += pulp.LpConstraint(_expr(terms), pulp.LpConstraintLE, name, 0.0)
            if self.restricted:
                self.restricted_cuts.append(name)
            added += 1
        return added

    def live_members(self) -> dict[int, list[int]]:
        """Members per centre whose pair is not fixed to 0 (separators within them are valid for every
        plan the fixing keeps)."""
        if not self.restricted:
            return self.prep.members
        return {j: [i for i in mem if self.x[i, j].upBound != 0] for j, mem in self.prep.members.items()}

    def drop_restricted_cuts(self) -> None:
        """Remove the cuts that relied on fixings (when the fixings are undone)."""
        for name in self.restricted_cuts:
            self.prob.constraints.pop(name, None)
        self.restricted_cuts = []
        self.restricted = False

    def assignment(self) -> np.ndarray:
        n = self.prep.instance.n
        out = np.full(n, -1, dtype=np.int64)
        best = np.full(n, -1.0)
        for (i, j), v in self.x.items():
            val = v.varValue if v.varValue is not None else 0.0
            if val > best[i]:
                best[i], out[i] = val, j
        return out



# --------------------------------------------------------------------------------------------
# one sub-problem


def _choose_method(prep: Prepared) -> str:
    s = prep.settings
    if not uses_contiguity(s):
        return "none"
    if s.contiguity != "auto":
        return s.contiguity
    # The flow model avoids re-solves but its big-M rows are weak: measured here, a 12-unit soft-floor
    # instance took 3.6 s with flow against 1.0 s with cuts, and on the county benchmarks the cut
    # loop is far faster (as in Validi et al. 2022). So flow only for tiny units sets.
    arcs = 0
    for members in prep.members.values():
        if len(members) > 1:
            inside = set(members)
            arcs += sum(1 for u in members for v in prep.nbrs[u] if v in inside)
    return "flow" if arcs <= _FLOW_MAX_ARCS else "cuts"


@dataclass
class _Round:
    """Outcome of a cut loop: the last solution, whether it is contiguous and proven."""

    assignment: np.ndarray | None = None
    values: dict[str, float] | None = None
    objective: float = float("inf")
    bound: float = float("nan")
    proven: bool = False
    connected: bool = False
    rounds: int = 0
    infeasible: bool = False
    # separator cuts not yet added: the last plan's, and those of the other disconnected plans the
    # solve passed; the best connected plan it passed
    cuts: list[tuple[int, int, tuple[int, ...]]] = field(default_factory=list)
    side_plan: _Round | None = None
    # centre sets of those other disconnected solutions, best first: starts for the matheuristic
    other_centres: list[list[int]] = field(default_factory=list)


class _Watch:
    """Reads back every feasible solution of one HiGHS solve (in ``prob.variables()`` order).

    It keeps those better than ``below`` (the best connected plan known), so that the cut loop can
    cut off every disconnected one and keep any connected one; with ``stop_early`` it also ends the
    solve at the first disconnected solution better than ``below``, which is then cut off at once
    instead of being proven optimal first (the nearest HiGHS gets to lazy constraints: its
    callbacks cannot add rows).
    """

    def __init__(self, form: _Formulation, below: float, stop_early: bool) -> None:
        self.form, self.below, self.stop_early = form, below, stop_early
        self.names = [v.name for v in form.prob.variables()]
        col = {name: k for k, name in enumerate(self.names)}
        keys = sorted(form.x)
        self.rows = np.fromiter((i for i, _ in keys), dtype=np.int64, count=len(keys))
        self.cols = np.fromiter((j for _, j in keys), dtype=np.int64, count=len(keys))
        self.where = np.fromiter((col[form.x[k].name] for k in keys), dtype=np.int64, count=len(keys))
        self.members = form.live_members()
        self.found: list[tuple[float, np.ndarray]] = []
        self.tripped = False

    def assignment(self, values: np.ndarray) -> np.ndarray:
        """Centre index of every unit in the solution vector ``values`` (largest x_ij wins)."""
        n = self.form.prep.instance.n
        share = np.full((n, n), -1.0)
        share[self.rows, self.cols] = values[self.where]
        return share.argmax(axis=1).astype(np.int64)

    def on_solution(self, values: np.ndarray, objective: float) -> None:
        """Solver hook: keep a solution better than the known connected plan."""
        if values.size != len(self.names) or objective >= self.below - 1e-9 * max(1.0, abs(self.below)):
            return
        self.found.append((objective, values))
        if self.stop_early and not self.tripped:
            self.tripped = bool(separator_cuts(self.assignment(values), self.members, self.form.prep.nbrs))

    def stop(self) -> bool:
        """Solver hook: ``True`` asks HiGHS to end the solve (``stop_at_disconnected``)."""
        return self.tripped

    def harvest(self) -> tuple[list[tuple[int, int, tuple[int, ...]]], _Round | None, list[list[int]]]:
        """Separator cuts of every disconnected solution kept, the best connected one, and the
        distinct centre sets of the disconnected ones (best first)."""
        cuts: list[tuple[int, int, tuple[int, ...]]] = []
        plan: _Round | None = None
        centre_sets: list[list[int]] = []
        seen: set[bytes] = set()
        for objective, values in sorted(self.found, key=lambda t: t[0])[:_HARVEST_MAX]:
            assignment = self.assignment(values)
            key = assignment.tobytes()
            if key in seen:
                continue
            seen.add(key)
            found_cuts = separator_cuts(assignment, self.members, self.form.prep.nbrs)
            if found_cuts:
                cuts.extend(found_cuts)
                centres = sorted(int(c) for c in np.unique(assignment))
                if centres not in centre_sets:
                    centre_sets.append(centres)
            elif plan is None:
                plan = _Round(assignment=assignment, values=dict(zip(self.names, map(float, values))),
                              objective=float(objective), connected=True)
        return cuts, plan, centre_sets


# solutions read back from one solve: beyond this many (best first) their cuts stop paying
_HARVEST_MAX = 50
# centre sets of those solutions tried by the matheuristic after a disconnected round
_RECENTRE_MAX = 5


def _run_mip(form: _Formulation, settings: EngineSettings, time_limit_s: float,
             start: dict[str, float] | None, mip: bool = True, watch: _Watch | None = None) -> int:
    """Solve the formulation; ``watch`` (HiGHS) sees every feasible MIP solution on the way."""
    started = bool(mip and start and settings.warm_start)
    heuristics = settings.solver_heuristics == "on" or (settings.solver_heuristics == "auto" and not started)
    use_watch = watch is not None and mip and settings.solver == "highs"
    solver = make_solver(settings.solver, time_limit_s=time_limit_s, gap_rel=settings.gap_rel,
                         threads=settings.threads, highs_options=settings.highs_options,
                         start=start if (started and settings.solver == "highs") else None, mip=mip,
                         heuristics=heuristics, on_solution=watch.on_solution if use_watch else None,
                         stop=watch.stop if use_watch and watch.stop_early else None)
    if settings.solver == "cbc" and started:
        for v in form.prob.variables():
            v.setInitialValue(start.get(v.name, 0.0))
    t0 = time.perf_counter()
    form.prob.solve(solver)
    log.debug("solve (mip=%s, gap=%g, start=%s, heuristics=%s): %.2f s, status %s%s", mip, settings.gap_rel, started,
              heuristics, time.perf_counter() - t0, form.prob.sol_status,
              " (stopped at a disconnected plan)" if use_watch and watch.tripped else "")
    return int(form.prob.sol_status)


def _start_echoed(form: _Formulation, settings: EngineSettings) -> bool:
    """Whether the solution values disagree with the objective the solver reports."""
    if settings.solver != "highs" or getattr(form.prob, "solverModel", None) is None:
        return False
    if form.prob.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return False
    reported = float(form.prob.solverModel.getInfo().objective_function_value)
    computed = float(pulp.value(form.prob.objective) or 0.0)
    return abs(reported - computed) > 1e-7 * max(1.0, abs(reported))


def _cut_loop(form: _Formulation, settings: EngineSettings, deadline: float, start: dict[str, float] | None,
              max_rounds: int, incumbent: float = float("inf")) -> _Round:
    """Solve, add separator cuts for disconnected units, re-solve until connected (or out of time).

    ``incumbent`` is the objective of the best connected plan known: solutions the solver passes
    below it are read back (``cuts_from_all_solutions``) for their cuts, or kept as ``side_plan``.
    """
    prep = form.prep
    out = _Round()
    harvest = form.method == "cuts" and settings.solver == "highs" and (settings.cuts_from_all_solutions
                                                                        or settings.stop_at_disconnected)
    while True:
        remaining = deadline - time.perf_counter()
        if remaining <= 0.05:
            return out
        watch = _Watch(form, incumbent, settings.stop_at_disconnected) if harvest else None
        sol = _run_mip(form, settings, remaining, start, watch=watch)
        if start is not None and _start_echoed(form, settings):
            # HiGHS 1.16 can hand back the MIP start's values while reporting the better objective
            # it found from that start in presolved space; measured on a Kyrgyz raion. Re-solve cold.
            log.warning("HiGHS returned the MIP start instead of its solution; re-solving without the start")
            start = None
            continue
        log.debug("MIP status %s objective %s", sol, pulp.value(form.prob.objective))
        if sol == pulp.LpSolutionInfeasible or form.prob.status == pulp.LpStatusInfeasible:
            out.infeasible = True
            return out
        if sol not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
            return out
        out.assignment = form.assignment()
        out.values = {v.name: float(v.varValue or 0.0) for v in form.prob.variables()}
        out.objective = float(pulp.value(form.prob.objective))
        out.proven = sol == pulp.LpSolutionOptimal
        out.bound = solver_bound(form.prob, settings.solver)
        if out.proven and not math.isfinite(out.bound):
            out.bound = out.objective
        if form.method != "cuts":
            out.connected = True
            return out
        cuts = separator_cuts(out.assignment, form.live_members(), prep.nbrs)
        if not cuts:
            out.connected = True
            return out
        out.connected = False
        out.cuts = cuts
        if watch is not None and settings.cuts_from_all_solutions:
            more, side, out.other_centres = watch.harvest()
            out.cuts = cuts + more
            log.debug("harvest: %d solutions kept, %d cuts, centre sets %s", len(watch.found), len(more),
                      out.other_centres)
            if side is not None and (out.side_plan is None or side.objective < out.side_plan.objective):
                out.side_plan = side
                incumbent = side.objective
        if out.rounds >= max_rounds:
            return out
        added = form.add_cuts(out.cuts)
        out.cuts = []
        out.rounds += 1
        log.info("cut round %d: %d separator cuts (objective %.10g)", out.rounds, added, out.objective)


def _argmax_centres(form: _Formulation) -> set[int]:
    """The centre each unit leans to most in the current (LP) solution."""
    prep = form.prep
    out = set()
    for i in range(prep.instance.n):
        out.add(max(prep.centres_of[i], key=lambda j: (float(form.x[i, j].varValue or 0.0), -j)))
    return out


def _initial_centres(form: _Formulation, y: dict[int, float]) -> list[int]:
    """Centres suggested by an LP solution: forced ones, then the largest x_jj (per count scope)."""
    prep, s, inst = form.prep, form.prep.settings, form.prep.instance
    order = sorted(prep.members, key=lambda j: (-y.get(j, 0.0), j))
    forced = [j for j in order if prep.alone[j]]
    chosen = set(forced)
    if s.n_units is None:
        chosen |= _argmax_centres(form)
    elif isinstance(s.n_units, Mapping):
        for g in sorted(set(inst.group)):
            in_g = [j for j in order if inst.group[j] == g]
            if g in s.n_units:
                need = s.n_units[g] - sum(1 for j in in_g if j in chosen)
                chosen |= set([j for j in in_g if j not in chosen][: max(need, 0)])
            else:
                chosen |= {j for j in _argmax_centres(form) if inst.group[j] == g}
    else:
        need = int(s.n_units) - len(chosen)
        chosen |= set([j for j in order if j not in chosen][: max(need, 0)])
    if s.n_units is None:
        # every unit needs a reachable centre
        for i in range(inst.n):
            if not chosen & set(prep.centres_of[i]):
                chosen.add(min(prep.centres_of[i], key=lambda j: (inst.cost[i, j], j)))
    return sorted(chosen)


def _best_centres(form: _Formulation, assignment: np.ndarray) -> list[int]:
    """Cheapest allowed centre of every new unit of a plan."""
    prep, cost = form.prep, form.prep.instance.cost
    out = []
    for c in np.unique(assignment):
        mem = [int(i) for i in np.flatnonzero(assignment == c)]
        cands = [j for j in mem if j in prep.members and set(mem) <= set(prep.members[j])]
        out.append(min(cands, key=lambda j: (float(cost[mem, j].sum()), j)) if cands else int(c))
    return sorted(out)


class _Search:
    """One sub-problem: LP bound, a fixed-centre matheuristic, reduced-cost and Lagrangian fixing
    (re-solving the LP while the fixings lift it), the exact cut loop."""

    def __init__(self, instance: MergerInstance, settings: EngineSettings) -> None:
        self.t0 = time.perf_counter()
        self.instance, self.settings = instance, settings
        self.deadline = self.t0 + settings.time_limit_s
        self.prep = prepare(instance, settings)
        check_in_advance(self.prep)
        self.method = _choose_method(self.prep)
        self.form = _Formulation(self.prep, self.method)
        self.notes: list[str] = []
        self.best: _Round | None = None  # best connected plan
        self.rounds = 0
        self.n_fixed = 0
        self.fixed_vars: list[pulp.LpVariable] = []
        self.lagrange: tuple[np.ndarray, float, int | None, tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None

    def _incumbent(self) -> float:
        return self.best.objective if self.best is not None else float("inf")

    def _remember(self, rnd: _Round) -> None:
        if rnd.connected and rnd.assignment is not None and (self.best is None or rnd.objective < self.best.objective - 1e-9):
            self.best = rnd

    def _lp(self) -> tuple[float, dict[str, float], dict[int, float]] | None:
        sol = _run_mip(self.form, self.settings, max(self.deadline - time.perf_counter(), 0.5), None, mip=False)
        log.debug("LP status %s objective %s", sol, pulp.value(self.form.prob.objective))
        if sol != pulp.LpSolutionOptimal:
            return None
        z = float(pulp.value(self.form.prob.objective))
        # a reduced cost proves something only for a column resting at its lower bound 0
        dj = {v.name: float(v.dj or 0.0) for v in self.form.prob.variables() if abs(float(v.varValue or 0.0)) <= 1e-9}
        y = {j: float(self.form.x[j, j].varValue or 0.0) for j in self.prep.members}
        self._lagrange_setup()
        return z, dj, y

    def _heuristic(self, centres: list[int], budget_s: float) -> _Round:
        """Solve with the centres fixed (a small assignment MIP), contiguity included."""
        x = self.form.x
        saved = {j: (x[j, j].lowBound, x[j, j].upBound) for j in self.prep.members}
        chosen = set(centres)
        for j in self.prep.members:
            if saved[j][1] == 0:
                continue
            x[j, j].lowBound = x[j, j].upBound = 1 if j in chosen else 0
        try:
            deadline = min(self.deadline, time.perf_counter() + budget_s)
            start = self.best.values if self.best is not None else None
            rnd = _cut_loop(self.form, self.settings, deadline, start, self.settings.max_cut_rounds,
                            self._incumbent())
            if rnd.side_plan is not None:
                self._remember(rnd.side_plan)
        finally:
            for j, (lo, up) in saved.items():
                x[j, j].lowBound, x[j, j].upBound = lo, up
        self.rounds += rnd.rounds
        return rnd

    def _fix(self, z_lp: float, dj: dict[str, float], ub: float) -> None:
        """Reduced-cost fixing: a pair whose LP reduced cost lifts the bound above a known plan is 0."""
        limit = ub + 1e-7 * max(1.0, abs(ub))
        fixed = 0
        for (i, j), v in self.form.x.items():
            if v.upBound == 0 or (v.lowBound or 0) > 0:
                continue
            if v.name in dj and z_lp + dj[v.name] > limit:
                v.upBound = 0
                self.fixed_vars.append(v)
                fixed += 1
        self.n_fixed += fixed
        log.info("reduced-cost fixing: %d of %d pairs (LP %.10g, plan %.10g)", fixed, len(self.form.x), z_lp, ub)

    def _lagrange_setup(self) -> None:
        """Lagrangian costs from the duals of the LP just solved (all rows but the links and the count)."""
        s = self.settings
        self.lagrange = None
        if not (s.fixing and s.lagrangian_fixing):
            return
        k = s.n_units if isinstance(s.n_units, int) else None

        def keep(name: str) -> bool:
            return name.startswith("link_") or (k is not None and name == "n_units")

        relaxed = relaxed_costs(self.form.prob, self.form.x, self.instance.n, keep)
        if relaxed is None:
            self.notes.append("Lagrangian fixing skipped: the LP solver gave no duals")
            return
        self.lagrange = (relaxed[0], relaxed[1], k, self._band())

    def _band(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Hard population band per centre, net of the centre (``-inf``/``inf`` where none holds)."""
        s, inst, prep = self.settings, self.instance, self.prep
        pop = np.asarray(inst.population, dtype=float)
        n = inst.n
        lo = np.full(n, -np.inf)
        hi = np.full(n, np.inf)
        for j in range(n):
            if prep.alone[j]:
                continue
            if s.population_floor is not None and s.floor_mode == "hard" and prep.floor_applies[j] \
                    and not inst.exempt[j]:
                lo[j] = s.population_floor - pop[j]
            if s.population_cap is not None and s.cap_mode == "hard":
                hi[j] = s.population_cap - pop[j]
        return pop, lo, hi

    def _lagrange_fix(self, ub: float) -> None:
        """Fix pairs whose Lagrangian bound (a pair forced in) exceeds a plan of objective ``ub``."""
        if self.lagrange is None:
            return
        red, constant, k, band = self.lagrange
        n = self.instance.n
        allowed = np.zeros((n, n), dtype=bool)
        forced = np.zeros(n, dtype=bool)
        for (i, j), v in self.form.x.items():
            if v.upBound != 0:
                allowed[i, j] = True
            if i == j and (v.lowBound or 0) > 0:
                forced[j] = True
        bound, forced_bound = pair_bounds(red, allowed, forced, k, constant, band)
        limit = ub + 1e-7 * max(1.0, abs(ub))
        fixed = 0
        for i, j in zip(*np.nonzero(allowed & (forced_bound > limit))):
            v = self.form.x[int(i), int(j)]
            if (v.lowBound or 0) > 0:
                continue
            v.upBound = 0
            self.fixed_vars.append(v)
            fixed += 1
        self.n_fixed += fixed
        if fixed:
            fixed += self._tighten_after_fixing()
        log.info("Lagrangian fixing: %d more pairs (bound %.10g, plan %.10g, %d pairs left)", fixed, bound, ub,
                 int(allowed.sum()) - fixed)

    def _refix(self, ub: float, max_passes: int = 4) -> None:
        """Re-solve the LP with the fixings and the tighter cuts (its bound rises) and fix again,
        while that fixes at least 1 % more pairs."""
        s = self.settings
        if not (s.fixing and s.lagrangian_fixing):
            return
        for _ in range(max_passes):
            before = self.n_fixed
            lp = self._lp()
            if lp is None:
                return
            self._fix(lp[0], lp[1], ub)
            self._lagrange_fix(ub)
            if self.n_fixed - before < 0.01 * len(self.form.x):
                return

    def _tighten_after_fixing(self) -> int:
        """With pairs fixed, a unit cut off from a centre by fixed pairs cannot join it either, and
        the neighbour separators shrink to the unfixed neighbours. Returns the extra pairs fixed."""
        if self.method != "cuts":
            return 0
        form, prep = self.form, self.prep
        form.restricted = True
        fixed = 0
        live = form.live_members()
        for j in sorted(live):
            if form.x[j, j].upBound == 0:
                continue
            inside = set(live[j])
            reach = reachable(j, inside, prep.nbrs)
            for i in sorted(inside - reach):
                v = form.x[i, j]
                if (v.lowBound or 0) > 0:
                    continue
                v.upBound = 0
                self.fixed_vars.append(v)
                fixed += 1
        self.n_fixed += fixed
        live = form.live_members()
        cuts = []
        for j in sorted(live):
            allowed = set(live[j])
            for i in live[j]:
                if i != j and j not in prep.nbrs[i]:
                    cuts.append((i, j, tuple(c for c in prep.nbrs[i] if c in allowed)))
        form.add_cuts(cuts)
        return fixed

    def _improve(self, centres: list[int], budget_s: float, seen: set[tuple[int, ...]]) -> None:
        """Fixed-centre matheuristic from ``centres``, re-centring while it helps (into ``best``)."""
        t_end = min(self.deadline, time.perf_counter() + budget_s)
        while tuple(centres) not in seen and time.perf_counter() < t_end:
            seen.add(tuple(centres))
            rnd = self._heuristic(centres, t_end - time.perf_counter())
            if rnd.assignment is None or not rnd.connected:
                break
            self._remember(rnd)
            centres = _best_centres(self.form, rnd.assignment)

    def _exact_threads(self) -> int:
        """Threads for the final cut loop (see ``EngineSettings.exact_threads``)."""
        s = self.settings
        if s.exact_threads is not None:
            return s.exact_threads
        if self.rounds == 0 and (os.cpu_count() or 1) >= 2:
            return max(s.threads, 2)
        return s.threads

    def _trivial(self) -> None:
        """Every unit on its own, when that is a valid plan (soft criteria, no count, no links):
        a guaranteed answer under any time limit and a first bound for fixing."""
        s, inst, prep = self.settings, self.instance, self.prep
        if s.n_units is not None or len(inst.must_link):
            return
        if any(j not in prep.members for j in range(inst.n)):
            return  # some unit may not be its own centre
        values = {}
        for v in self.form.prob.variables():
            name = v.name
            if name.startswith("x_"):
                i, j = name[2:].split("_")
                val = 1.0 if i == j else 0.0
            else:
                val = 0.0
            values[name] = val
        pop = inst.population
        for j in range(inst.n):
            if s.population_floor is not None:
                values[f"floor_slack_{j}"] = max(0.0, s.population_floor - pop[j])
            if s.population_cap is not None:
                values[f"cap_excess_{j}"] = max(0.0, pop[j] - s.population_cap)
            if s.indicator_floor is not None and prep.indicator is not None:
                values[f"indicator_slack_{j}"] = max(0.0, s.indicator_floor - prep.indicator[j])
        variables = self.form.prob.variables()
        names = {v.name for v in variables}
        values = {k: v for k, v in values.items() if k in names}
        for v in variables:
            v.varValue = values[v.name]
        if not self.form.prob.valid(1e-7):
            return
        self._remember(_Round(assignment=np.arange(inst.n, dtype=np.int64), values=values,
                              objective=float(pulp.value(self.form.prob.objective)), connected=True))

    def run(self) -> MergerResult:
        s = self.settings
        lp = None
        seen: set[tuple[int, ...]] = set()
        self._trivial()
        if s.fixing or s.warm_start:
            lp = self._lp()
        use_heuristic = s.warm_start and lp is not None and len(self.prep.members) > 1
        if use_heuristic:
            self._improve(_initial_centres(self.form, lp[2]), max(1.0, 0.25 * s.time_limit_s), seen)
        if lp is not None and s.fixing and self.best is not None:
            self._fix(lp[0], lp[1], self.best.objective)
        if self.best is not None:
            self._lagrange_fix(self.best.objective)
            self._refix(self.best.objective)
        final = _Round()
        # once contiguity is seen to bind, the next rounds only need a good disconnected plan to cut
        # off, not a proof: solve them to a loose gap and go exact again when one comes back
        # connected (the first solve is exact: where contiguity does not bind it is the only one)
        can_loosen = self.method == "cuts" and s.gap_rel < _ROUND_GAP
        loose = False
        exact = s.replace(threads=self._exact_threads())
        loose_settings = exact.replace(gap_rel=_ROUND_GAP) if can_loosen else exact
        while True:
            start = self.best.values if self.best is not None else None
            before = self._incumbent()
            rnd = _cut_loop(self.form, loose_settings if loose else exact, self.deadline, start, 0, before)
            if rnd.side_plan is not None:
                self._remember(rnd.side_plan)
            if rnd.infeasible and self.fixed_vars:
                # cannot happen with exact arithmetic (the kept plan survives fixing); undo and go on
                log.warning("model infeasible after reduced-cost fixing; undoing %d fixings", len(self.fixed_vars))
                for v in self.fixed_vars:
                    v.upBound = 1
                self.form.drop_restricted_cuts()
                self.fixed_vars, self.n_fixed = [], 0
                continue
            if rnd.infeasible:
                if self.best is None and self.rounds == 0:
                    _diagnose(self.instance, s)
                if self.best is None:
                    raise InfeasibleError("contiguity cuts made the model infeasible; this should not happen "
                                          "(please report the instance)")
                break
            if rnd.assignment is None:
                break  # out of time
            final = rnd
            if rnd.connected:
                self._remember(rnd)
                if loose:
                    loose = False
                    final = _Round()
                    continue
                break
            if self.rounds >= s.max_cut_rounds:
                self.notes.append(f"stopped after {self.rounds} cut rounds (max_cut_rounds)")
                break
            added = self.form.add_cuts(rnd.cuts)
            self.rounds += 1
            loose = can_loosen
            log.info("cut round %d: %d separator cuts (objective %.10g)", self.rounds, added, rnd.objective)
            if use_heuristic:
                budget = min(10.0, 0.1 * max(self.deadline - time.perf_counter(), 0.0))
                t_end = time.perf_counter() + budget
                self._improve(sorted(int(c) for c in np.unique(rnd.assignment)), budget, seen)
                # the other disconnected plans the solver passed often sit on better centre sets:
                # measured on OK, the second one led to the optimum (36.5 s -> 31.7 s)
                for centres in rnd.other_centres[:_RECENTRE_MAX]:
                    left = t_end - time.perf_counter()
                    if left <= 0:
                        break
                    self._improve(centres, left, seen)
                # by the matheuristic or by a connected plan the solve passed (``_remember``'s tolerance)
                improved = self._incumbent() < before - 1e-9
                # (the separator cuts alone hardly lift the LP bound; _refix re-solves it once the
                # fixings and the cuts restricted to unfixed pairs do)
                if improved and s.fixing:
                    self._fix(lp[0], lp[1], self.best.objective)
                    self._lagrange_fix(self.best.objective)
                    self._refix(self.best.objective)
                if improved:
                    # a loose round would most likely stop at the new plan (within its gap) and need an
                    # exact round anyway: measured on OK, the loose round was 40 % of the final phase
                    loose = False
        proven = False
        if final.connected and final.proven and self.best is not None:
            # proven optimal for the model with all cuts; the kept plan is at least as good
            proven = self.best.objective <= final.objective + 1e-7 * max(1.0, abs(final.objective))
        if s.branching_priority:
            self.notes.append(f"branching_priority: {s.solver} through PuLP takes no priorities; ignored")
        return self._result(proven, final.bound)

    def _result(self, proven: bool, bound: float) -> MergerResult:
        inst, s = self.instance, self.settings
        seconds = time.perf_counter() - self.t0
        fixed = dict(self.prep.fixed_by)
        fixed["reduced_cost"] = self.n_fixed
        if self.best is None:
            empty = np.full(inst.n, -1, dtype=np.int64)
            zeros = np.zeros(inst.n)
            return MergerResult(empty, "time_limit_no_solution", False, float("nan"), bound, float("nan"), seconds,
                                self.rounds, self.method, s.solver, zeros, zeros.copy(), zeros.copy(), inst.unit_codes,
                                fixed_pairs=fixed, notes=self.notes)
        plan = self.best.assignment
        measures = plan_measures(inst, s, plan)
        objective = measures["objective"]
        if proven and math.isfinite(bound) and objective - bound > max(s.gap_rel, 1e-6) * max(1.0, abs(objective)):
            # never claim optimality the solver's own bound contradicts
            log.warning("plan objective %.10g exceeds the proven bound %.10g; reporting it as feasible",
                        objective, bound)
            self.notes.append("solver bound below the plan objective: optimality not claimed")
            proven = False
        if proven:
            bound = objective if not math.isfinite(bound) else min(bound, objective)
        gap = (objective - bound) / abs(objective) if math.isfinite(bound) and objective else (0.0 if proven else float("nan"))
        gap = max(gap, 0.0) if math.isfinite(gap) else gap
        return MergerResult(plan, "optimal" if proven else "feasible", proven, objective, bound, gap, seconds,
                            self.rounds, self.method, s.solver, measures["floor_shortfall"], measures["cap_excess"],
                            measures["indicator_shortfall"], inst.unit_codes, fixed_pairs=fixed, notes=self.notes)


def _solve_one(instance: MergerInstance, settings: EngineSettings) -> MergerResult:
    """Solve one sub-problem (no decomposition)."""
    return _Search(instance, settings).run()


def _diagnose(instance: MergerInstance, settings: EngineSettings) -> None:
    """The solver found no plan: relax one constraint family at a time to name the culprit(s)."""
    trial_limit = max(5.0, min(30.0, settings.time_limit_s / 4))
    base = {"time_limit_s": trial_limit, "decompose": False, "warm_start": False}
    trials: list[tuple[str, MergerInstance, EngineSettings]] = [
        ("contiguity", instance, settings.replace(contiguity="none", **base)),
        ("floor (hard)", instance, settings.replace(floor_mode="soft", **base)),
        ("cap (hard)", instance, settings.replace(cap_mode="soft", **base)),
        ("n_units", instance, settings.replace(n_units=None, **base)),
        ("max_travel_time_min", instance, settings.replace(max_travel_time_min=None, **base)),
    ]
    from dataclasses import replace as dc_replace

    if len(instance.must_link) or len(instance.cannot_link) or instance.keep_separate.any():
        unlocked = dc_replace(instance, must_link=np.zeros((0, 2), np.int64), cannot_link=np.zeros((0, 2), np.int64),
                              keep_separate=np.zeros(instance.n, bool))
        trials.append(("locks (keep_separate, must_link, cannot_link)", unlocked, settings.replace(**base)))
    culprits = []
    for family, inst, trial in trials:
        if trial == settings.replace(**base) and inst is instance:
            continue
        try:
            res = _solve_one(inst, trial)
        except InfeasibleError:
            continue
        if res.has_plan:
            culprits.append(family)
    if culprits:
        msg = ("the solver found no plan; dropping any one of these constraint families makes it feasible: "
               + ", ".join(culprits))
    else:
        msg = "the solver found no plan, and no single constraint family explains it (several interact)"
    raise_if([{"constraint": "solver", "units": [], "message": msg, "families": culprits}])
    raise InfeasibleError(msg)  # pragma: no cover


# --------------------------------------------------------------------------------------------
# decomposition and the public model


def _group_settings(settings: EngineSettings, group: str) -> EngineSettings:
    n_units = settings.n_units
    if isinstance(n_units, Mapping):
        n_units = n_units.get(group)
    # groups may run side by side in worker processes: no automatic second thread
    return settings.replace(n_units=n_units, decompose=False,
                            exact_threads=settings.exact_threads or settings.threads)


def _solve_group(args: tuple[MergerInstance, EngineSettings]) -> MergerResult:
    return _solve_one(*args)


def _pool_map(jobs: list[tuple[MergerInstance, EngineSettings]], workers: int) -> list[MergerResult] | None:
    """Solve groups in worker processes; ``None`` when the pool cannot run (then solve in-process).

    ``fork`` where available: ``spawn`` re-imports the caller's ``__main__``, which breaks scripts
    without a main guard. Every solve resets the HiGHS scheduler, so a forked child starts clean.
    """
    if multiprocessing.current_process().daemon:
        # A Dask worker (``dask worker --nworkers N``) or another pool's child is daemonic and may
        # not start children of its own: solve the groups one after another in this process.
        log.info("daemonic process: solving %d groups in-process (no process pool)", len(jobs))
        return None
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method)) as pool:
            return list(pool.map(_solve_group, jobs))
    except (BrokenProcessPool, OSError) as exc:
        log.warning("process pool failed (%s); solving the groups in this process", exc)
        return None


def _combine(instance: MergerInstance, settings: EngineSettings, parts: list[tuple[str, np.ndarray, MergerResult]],
             seconds: float) -> MergerResult:
    n = instance.n
    assignment = np.full(n, -1, dtype=np.int64)
    per_group: dict[str, dict[str, Any]] = {}
    fixed: dict[str, int] = {}
    notes: list[str] = []
    bound = 0.0
    statuses = []
    rounds = 0
    methods = set()
    for group, idx, res in parts:
        if res.has_plan:
            assignment[idx] = idx[res.assignment]
        per_group[group] = {"n": int(idx.size), "n_units": res.n_units, "objective": res.objective,
                            "bound": res.bound, "status": res.status, "proven_optimal": res.proven_optimal,
                            "seconds": round(res.seconds, 3), "cut_rounds": res.cut_rounds,
                            "contiguity_method": res.contiguity_method}
        for k, v in res.fixed_pairs.items():
            fixed[k] = fixed.get(k, 0) + v
        notes.extend(nt for nt in res.notes if nt not in notes)
        bound += res.bound if math.isfinite(res.bound) else float("nan")
        statuses.append(res.status)
        rounds += res.cut_rounds
        methods.add(res.contiguity_method)
    method = methods.pop() if len(methods) == 1 else "mixed"
    zeros = np.zeros(n)
    if "time_limit_no_solution" in statuses:
        return MergerResult(np.full(n, -1, dtype=np.int64), "time_limit_no_solution", False, float("nan"), bound,
                            float("nan"), seconds, rounds, method, settings.solver, zeros, zeros.copy(), zeros.copy(),
                            instance.unit_codes, per_group, fixed, notes)
    proven = all(s == "optimal" for s in statuses)
    measures = plan_measures(instance, settings, assignment)
    obj = measures["objective"]
    gap = (obj - bound) / abs(obj) if math.isfinite(bound) and obj else (0.0 if proven else float("nan"))
    return MergerResult(assignment, "optimal" if proven else "feasible", proven, obj, bound, max(gap, 0.0) if
                        math.isfinite(gap) else gap, seconds, rounds, method, settings.solver,
                        measures["floor_shortfall"], measures["cap_excess"], measures["indicator_shortfall"],
                        instance.unit_codes, per_group, fixed, notes)


class MergerModel:
    """The exact merger model of one instance.

    Parameters
    ----------
    instance : MergerInstance
        Units, costs, adjacency, locks.
    settings : EngineSettings, optional
        Criteria and solver options (defaults: soft 5,000 floor, HiGHS, contiguity ``"auto"``).

    Attributes
    ----------
    result_ : MergerResult or None
        The last result of :meth:`solve`.

    Examples
    --------
    >>> import numpy as np
    >>> m = MergerModel.from_matrices([3000, 4000], np.array([[0, 1.0], [1.0, 0]]), [(0, 1)],
    ...                               population_floor=5000, floor_mode="hard")
    >>> m.solve().n_units
    1
    """

    def __init__(self, instance: MergerInstance, settings: EngineSettings | None = None) -> None:
        if not isinstance(instance, MergerInstance):
            raise CriteriaError("MergerModel needs a MergerInstance")
        self.instance = instance
        self.settings = settings or EngineSettings()
        self.result_: MergerResult | None = None

    @classmethod
    def from_matrices(cls, population: Sequence[float] | np.ndarray, cost: np.ndarray,
                      edges: Sequence[tuple[int, int]] | np.ndarray, **kwargs: Any) -> MergerModel:
        """Build from plain arrays; keyword arguments go to :class:`MergerInstance` or :class:`EngineSettings`.

        ``unit_codes`` defaults to ``"0" .. "n-1"``; ``settings=`` may pass a whole settings object.
        """
        inst_names = {f.name for f in fields(MergerInstance)}
        set_names = {f.name for f in fields(EngineSettings)}
        unknown = sorted(set(kwargs) - inst_names - set_names - {"settings"})
        if unknown:
            raise CriteriaError(f"from_matrices: unknown argument(s) {', '.join(unknown)}")
        inst_kw = {k: v for k, v in kwargs.items() if k in inst_names}
        inst_kw.setdefault("unit_codes", [str(i) for i in range(len(population))])
        instance = MergerInstance(population=population, cost=cost, adjacency=edges, **inst_kw)
        settings = kwargs.get("settings") or EngineSettings()
        set_kw = {k: v for k, v in kwargs.items() if k in set_names}
        if set_kw:
            settings = settings.replace(**set_kw)
        return cls(instance, settings)

    def _coupled(self) -> bool:
        return isinstance(self.settings.n_units, int)

    def solve(self) -> MergerResult:
        """Solve to optimality (or the time limit), verify the plan with :func:`check_plan`.

        Raises
        ------
        InfeasibleError
            When no plan satisfies the hard constraints (before the solver when knowable).
        SolverError
            When the solver's plan fails the independent checker (a bug).
        """
        from atr_model.optimisation.check import check_plan

        inst, s = self.instance, self.settings
        t0 = time.perf_counter()
        # whole-instance checks first so messages name every conflict at once
        check_in_advance(prepare(inst, s.replace(fixing=False)))
        groups = sorted(set(inst.group))
        if s.decompose and not self._coupled() and len(groups) > 1:
            parts_idx = [(g, np.asarray([i for i in range(inst.n) if inst.group[i] == g], dtype=np.int64))
                         for g in groups]
            jobs = [(inst.subset(idx), _group_settings(s, g)) for g, idx in parts_idx]
            results = None
            if s.processes > 1 and len(jobs) > 1 and inst.n >= _POOL_MIN_UNITS:
                results = _pool_map(jobs, min(s.processes, len(jobs)))
            if results is None:
                results = [_solve_group(job) for job in jobs]
            result = _combine(inst, s, [(g, idx, r) for (g, idx), r in zip(parts_idx, results)],
                              time.perf_counter() - t0)
        else:
            result = _solve_one(inst, s)
            result.seconds = time.perf_counter() - t0
            result.per_group = _per_group_stats(inst, s, result)
        if s.indicator_floor is not None and inst.indicator is not None and np.isnan(inst.indicator).any():
            unknown = [inst.unit_codes[i] for i in np.flatnonzero(np.isnan(inst.indicator))]
            result.notes.append(f"indicator unknown for {len(unknown)} unit(s), counted as 0: "
                                + ", ".join(unknown[:20]) + (" ..." if len(unknown) > 20 else ""))
        if result.has_plan:
            hard = [v for v in check_plan(inst, result.assignment, s) if v.hard]
            if hard:
                raise SolverError("the solver's plan fails the independent check: "
                                  + "; ".join(v.message for v in hard[:5]))
        self.result_ = result
        return result


def _per_group_stats(instance: MergerInstance, settings: EngineSettings, result: MergerResult) -> dict[str, dict]:
    stats: dict[str, dict] = {}
    for g in sorted(set(instance.group)):
        idx = np.asarray([i for i in range(instance.n) if instance.group[i] == g])
        entry: dict[str, Any] = {"n": int(idx.size), "status": result.status, "seconds": round(result.seconds, 3),
                                 "cut_rounds": result.cut_rounds, "contiguity_method": result.contiguity_method}
        if result.has_plan:
            entry["n_units"] = int(np.unique(result.assignment[idx]).size)
            entry["objective"] = float(sum(instance.cost[i, result.assignment[i]] for i in idx))
        stats[g] = entry
    return stats
