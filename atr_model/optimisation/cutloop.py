"""Stage: the cut loop. Solve the MILP, read back the plans the solver passes, add minimal
vertex-separator cuts for every disconnected new unit, re-solve until the plan is connected.

HiGHS's callbacks cannot add rows, so contiguity is enforced by re-solving (Validi, Buchanan &
Lykhovyd 2022 use lazy constraints instead): :class:`SolutionWatch` reads back every feasible
solution of one solve so that all of their cuts go in at once, and can stop a solve at the first
disconnected plan. :func:`cut_loop` returns a :class:`Round`; the search (:mod:`.search`) decides
what to do with it.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field

import numpy as np
import pulp

from atr_model.optimisation.contiguity import separator_cuts
from atr_model.optimisation.formulation import Cut, Formulation
from atr_model.optimisation.settings import EngineSettings
from atr_model.optimisation.solvers import make_solver, solver_bound

__all__ = ["HARVEST_MAX", "Round", "SolutionWatch", "cut_loop", "run_mip"]

log = logging.getLogger(__name__)

# solutions read back from one solve: beyond this many (best first) their cuts stop paying
HARVEST_MAX = 50


@dataclass
class Round:
    """Outcome of a cut loop: the last solution, whether it is contiguous and proven."""

    assignment: np.ndarray | None = None
    values: dict[str, float] | None = None
    objective: float = float("inf")
    bound: float = float("nan")
    proven: bool = False
    connected: bool = False
    rounds: int = 0
    infeasible: bool = False
    # the deadline ended the loop or stopped a solve before its proof (the outcome depends on time)
    timed_out: bool = False
    # separator cuts not yet added: the last plan's, and those of the other disconnected plans the
    # solve passed; the best connected plan it passed
    cuts: list[Cut] = field(default_factory=list)
    side_plan: Round | None = None
    # centre sets of those other disconnected solutions, best first: starts for the matheuristic
    other_centres: list[list[int]] = field(default_factory=list)


class SolutionWatch:
    """Reads back every feasible solution of one HiGHS solve (in ``prob.variables()`` order).

    It keeps those better than ``below`` (the best connected plan known), so that the cut loop can
    cut off every disconnected one and keep any connected one; with ``stop_early`` it also ends the
    solve at the first disconnected solution better than ``below``, which is then cut off at once
    instead of being proven optimal first (the nearest HiGHS gets to lazy constraints: its
    callbacks cannot add rows).
    """

    def __init__(self, form: Formulation, below: float, stop_early: bool) -> None:
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
        centres: np.ndarray = share.argmax(axis=1).astype(np.int64)
        return centres

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

    def harvest(self) -> tuple[list[Cut], Round | None, list[list[int]]]:
        """Separator cuts of every disconnected solution kept, the best connected one, and the
        distinct centre sets of the disconnected ones (best first)."""
        cuts: list[Cut] = []
        plan: Round | None = None
        centre_sets: list[list[int]] = []
        seen: set[bytes] = set()
        for objective, values in sorted(self.found, key=lambda t: t[0])[:HARVEST_MAX]:
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
                plan = Round(assignment=assignment, values=dict(zip(self.names, map(float, values))),
                              objective=float(objective), connected=True)
        return cuts, plan, centre_sets




def run_mip(form: Formulation, settings: EngineSettings, time_limit_s: float,
             start: dict[str, float] | None, mip: bool = True, watch: SolutionWatch | None = None) -> int:
    """Solve the formulation from the MIP start ``start`` (the caller decides whether to give one:
    :meth:`.search.Search._start`); ``watch`` (HiGHS) sees every feasible MIP solution on the way."""
    started = bool(mip and start)
    heuristics = settings.solver_heuristics == "on" or (settings.solver_heuristics == "auto" and not started)
    active = watch if (mip and settings.solver == "highs") else None  # only HiGHS reports its solutions
    solver = make_solver(settings.solver, time_limit_s=time_limit_s, gap_rel=settings.gap_rel,
                         threads=settings.threads, highs_options=settings.highs_options,
                         start=start if (started and settings.solver == "highs") else None, mip=mip,
                         heuristics=heuristics, on_solution=active.on_solution if active is not None else None,
                         stop=active.stop if active is not None and active.stop_early else None)
    if settings.solver == "cbc" and started and start is not None:
        for v in form.prob.variables():
            v.setInitialValue(start.get(v.name, 0.0))
    t0 = time.perf_counter()
    form.prob.solve(solver)
    log.debug("solve (mip=%s, gap=%g, start=%s, heuristics=%s): %.2f s, status %s%s", mip, settings.gap_rel, started,
              heuristics, time.perf_counter() - t0, form.prob.sol_status,
              " (stopped at a disconnected plan)" if active is not None and active.tripped else "")
    return int(form.prob.sol_status)


def _start_echoed(form: Formulation, settings: EngineSettings) -> bool:
    """Whether the solution values disagree with the objective the solver reports."""
    if settings.solver != "highs" or form.prob.solverModel is None:
        return False
    if form.prob.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return False
    reported = float(form.prob.solverModel.getInfo().objective_function_value)
    computed = float(pulp.value(form.prob.objective) or 0.0)
    return abs(reported - computed) > 1e-7 * max(1.0, abs(reported))


def _record(out: Round, form: Formulation, settings: EngineSettings, sol: int) -> None:
    """Copy the solver's plan, objective and bound into ``out``."""
    out.assignment = form.assignment()
    out.values = {v.name: float(v.varValue or 0.0) for v in form.prob.variables()}
    out.objective = float(pulp.value(form.prob.objective))
    out.proven = sol == pulp.LpSolutionOptimal
    out.bound = solver_bound(form.prob, settings.solver)
    if out.proven and not math.isfinite(out.bound):
        out.bound = out.objective


def _take_harvest(out: Round, watch: SolutionWatch, incumbent: float) -> float:
    """Add the cuts of the other solutions the solve passed to ``out``; keep the best connected one
    as ``side_plan``. Returns the objective below which later solutions are worth reading."""
    more, side, out.other_centres = watch.harvest()
    out.cuts = out.cuts + more
    log.debug("harvest: %d solutions kept, %d cuts, centre sets %s", len(watch.found), len(more),
              out.other_centres)
    if side is not None and (out.side_plan is None or side.objective < out.side_plan.objective):
        out.side_plan = side
        return side.objective
    return incumbent


def cut_loop(form: Formulation, settings: EngineSettings, deadline: float, start: dict[str, float] | None,
             max_rounds: int, incumbent: float = float("inf")) -> Round:
    """Solve, add separator cuts for disconnected units, re-solve until connected (or out of time).

    ``incumbent`` is the objective of the best connected plan known: solutions the solver passes
    below it are read back (``cuts_from_all_solutions``) for their cuts, or kept as ``side_plan``.
    After ``max_rounds`` re-solves the last disconnected plan is returned with its cuts pending.
    """
    out = Round()
    harvest = form.method == "cuts" and settings.solver == "highs" and (settings.cuts_from_all_solutions
                                                                        or settings.stop_at_disconnected)
    while True:
        remaining = deadline - time.perf_counter()
        if remaining <= 0.05:
            out.timed_out = True
            return out
        watch = SolutionWatch(form, incumbent, settings.stop_at_disconnected) if harvest else None
        sol = run_mip(form, settings, remaining, start, watch=watch)
        if start is not None and _start_echoed(form, settings):
            # HiGHS 1.16 can hand back the MIP start's values while reporting the better objective
            # it found from that start in presolved space; measured on a Kyrgyz raion. Re-solve cold.
            log.info("HiGHS returned the MIP start instead of its solution; re-solving without the start")
            start = None
            continue
        log.debug("MIP status %s objective %s", sol, pulp.value(form.prob.objective))
        if sol == pulp.LpSolutionInfeasible or form.prob.status == pulp.LpStatusInfeasible:
            out.infeasible = True
            return out
        if sol not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
            out.timed_out = True  # no plan within the time left
            return out
        # a plan without proof: the time limit stopped the solve, unless the watch did (that is deterministic)
        out.timed_out = out.timed_out or (sol == pulp.LpSolutionIntegerFeasible and not (watch is not None and watch.tripped))
        _record(out, form, settings, sol)
        assert out.assignment is not None  # _record set it
        out.cuts = separator_cuts(out.assignment, form.live_members(), form.prep.nbrs) if form.method == "cuts" else []
        out.connected = not out.cuts
        if out.connected:
            return out
        if watch is not None and settings.cuts_from_all_solutions:
            incumbent = _take_harvest(out, watch, incumbent)
        if out.rounds >= max_rounds:
            return out
        added = form.add_cuts(out.cuts)
        out.cuts = []
        out.rounds += 1
        log.info("cut round %d: %d separator cuts (objective %.10g)", out.rounds, added, out.objective)
