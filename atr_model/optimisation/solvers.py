"""Solver back-ends: PuLP solver objects for the engine, HiGHS in-process (with a warm start
and a quiet banner) and CBC."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import Any, cast

import highspy
import numpy as np
import pulp

from atr_model.errors import SolverError

__all__ = ["make_solver", "solver_bound", "quiet_stdout", "HIGHS_NO_HEURISTICS", "FrozenProblem"]

log = logging.getLogger(__name__)

#: HiGHS options that switch its primal heuristics off (a proof from a known plan needs none)
HIGHS_NO_HEURISTICS: dict[str, Any] = {
    "mip_heuristic_effort": 0.0,
    "mip_heuristic_run_feasibility_jump": False,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
}

#: called with the column values and objective of every feasible MIP solution HiGHS finds
SolutionHook = Callable[[np.ndarray, float], None]


class FrozenProblem(pulp.LpProblem):  # type: ignore[misc]
    """An ``LpProblem`` that keeps its sorted variable list and its rows as arrays between solves.

    PuLP re-derives the variable list from every constraint several times per solve and passes
    the model to HiGHS row by row; for the engine's re-solves (cut rounds, fixed-centre
    heuristics, fixing LPs) of up to 10^4 columns and 2 x 10^4 rows that took about a fifth of
    the time. Call :meth:`freeze` once the model is built: constraints added later (cuts) are
    picked up, and a variable first seen in one re-sorts the list. Constraints must not be
    changed in place after they are added (the engine never does).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._frozen = False
        self._n_sorted = 0
        self._row_cache: dict[str, tuple[pulp.LpConstraint, float, float, np.ndarray, np.ndarray]] = {}

    def freeze(self) -> None:
        """Take the variable list once (with the objective's) and keep it from now on."""
        super().variables()
        self._frozen = True
        self._n_sorted = len(self._variables)

    def variables(self) -> list[pulp.LpVariable]:
        if not self._frozen:
            return cast("list[pulp.LpVariable]", super().variables())
        if self.objective:  # PuLP adds a "__dummy" column to an empty objective for the solve
            self._add_variables(self.objective.keys())
        if len(self._variables) != self._n_sorted:
            self._variables.sort(key=lambda v: v.name)
            self._n_sorted = len(self._variables)
            self._row_cache.clear()  # column positions moved
        return cast("list[pulp.LpVariable]", self._variables)

    def row_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Rows in constraint order as CSR arrays (lower, upper, starts, indices, values); sets
        ``constraint.index`` as PuLP's HiGHS interface does. ``var.index`` must be current."""
        lower, upper, starts, indices, values = [], [], [0], [], []
        inf = float("inf")
        for k, (name, con) in enumerate(self._constraints.items()):
            con.index = k
            row = self._row_cache.get(name)
            if row is None or row[0] is not con:
                items = [(v.index, float(a)) for v, a in con.items() if a != 0]
                idx = np.fromiter((i for i, _ in items), dtype=np.int32, count=len(items))
                val = np.fromiter((a for _, a in items), dtype=np.float64, count=len(items))
                lb, ub = con.getLb(), con.getUb()
                row = (con, -inf if lb is None else float(lb), inf if ub is None else float(ub), idx, val)
                self._row_cache[name] = row
            lower.append(row[1])
            upper.append(row[2])
            indices.append(row[3])
            values.append(row[4])
            starts.append(starts[-1] + len(row[3]))
        cat_i = np.concatenate(indices) if indices else np.zeros(0, dtype=np.int32)
        cat_v = np.concatenate(values) if values else np.zeros(0)
        return (np.asarray(lower, dtype=float), np.asarray(upper, dtype=float),
                np.asarray(starts[:-1], dtype=np.int32), cat_i.astype(np.int32, copy=False), cat_v)


def _build_bulk(solver: pulp.HiGHS, lp: FrozenProblem) -> None:
    """``pulp.HiGHS.buildSolverModel`` in two HiGHS calls instead of one per column and row."""
    variables = lp.variables()
    n = len(variables)
    sign = -1.0 if lp.sense == pulp.LpMaximize else 1.0
    objective = lp.objective
    for k, v in enumerate(variables):
        v.index = k
    cost = np.fromiter((sign * float(objective.get(v, 0.0)) for v in variables), dtype=float, count=n)
    inf = highspy.kHighsInf
    col_lb = np.fromiter((-inf if v.lowBound is None else float(v.lowBound) for v in variables), dtype=float, count=n)
    col_ub = np.fromiter((inf if v.upBound is None else float(v.upBound) for v in variables), dtype=float, count=n)
    model = lp.solverModel
    model.addCols(n, cost, col_lb, col_ub, 0, np.zeros(n, dtype=np.int32), np.zeros(0, dtype=np.int32),
                  np.zeros(0, dtype=float))
    if solver.mip:
        ints = np.array([k for k, v in enumerate(variables) if v.cat == pulp.LpInteger], dtype=np.int32)
        if ints.size:
            model.changeColsIntegrality(int(ints.size), ints,
                                        np.full(ints.size, highspy.HighsVarType.kInteger, dtype=np.uint8))
    lower, upper, starts, indices, values = lp.row_arrays()  # infinities are highspy.kHighsInf
    model.addRows(int(lower.size), lower, upper, int(indices.size), starts, indices, values)


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Silence C-level stdout (HiGHS prints a banner on every ``Highs()`` even with output off)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


class _HiGHS(pulp.HiGHS):  # type: ignore[misc]
    """``pulp.HiGHS`` plus a MIP start (pulp's HiGHS API ignores ``warmStart``)."""

    def __init__(self, start: Mapping[str, float] | None = None, on_solution: SolutionHook | None = None,
                 stop: Callable[[], bool] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start = dict(start or {})
        self.on_solution = on_solution
        self.stop = stop

    def createAndConfigureSolver(self, lp: pulp.LpProblem) -> None:  # noqa: N802 (pulp API)
        # HiGHS keeps one scheduler per process and a solve with another thread count (ours or
        # anyone's in this process) then fails silently; resetting is cheap
        highspy.Highs.resetGlobalScheduler(True)
        with quiet_stdout():
            super().createAndConfigureSolver(lp)
        if self.on_solution is None and self.stop is None:
            return
        kinds = highspy.cb.HighsCallbackType
        hook, stop = self.on_solution, self.stop

        def _callback(kind: Any, message: str, data_out: Any, data_in: Any, user_data: Any) -> None:
            if kind == kinds.kCallbackMipSolution and hook is not None:
                hook(np.array(data_out.mip_solution, dtype=float, copy=True), float(data_out.objective_function_value))
            elif kind == kinds.kCallbackMipInterrupt and stop is not None and stop():
                data_in.user_interrupt = True

        lp.solverModel.setCallback(_callback, None)
        if hook is not None:
            lp.solverModel.startCallback(kinds.kCallbackMipSolution)
        if stop is not None:
            lp.solverModel.startCallback(kinds.kCallbackMipInterrupt)

    def buildSolverModel(self, lp: pulp.LpProblem) -> None:  # noqa: N802 (pulp API)
        if isinstance(lp, FrozenProblem):
            _build_bulk(self, lp)
        else:
            super().buildSolverModel(lp)
        if self.start:
            variables = lp.variables()
            sol = highspy.HighsSolution()
            sol.col_value = [float(self.start.get(v.name, 0.0)) for v in variables]
            sol.value_valid = True
            status = lp.solverModel.setSolution(sol)
            log.debug("HiGHS setSolution: %s", status)


def make_solver(name: str, *, time_limit_s: float, gap_rel: float, threads: int,
                highs_options: Mapping[str, Any], start: Mapping[str, float] | None = None,
                msg: bool = False, mip: bool = True, heuristics: bool = True,
                on_solution: SolutionHook | None = None, stop: Callable[[], bool] | None = None) -> pulp.LpSolver:
    """A configured PuLP solver.

    ``start`` maps variable names to a (feasible) MIP start; ``heuristics=False`` switches HiGHS's
    primal heuristics off (``highs_options`` still win); ``on_solution`` (HiGHS only) sees every
    feasible solution found during the solve, in the column order of ``prob.variables()``;
    ``stop`` (HiGHS only) is polled during the search and ends it (keeping the best plan) when true.
    """
    time_limit_s = max(0.5, float(time_limit_s))
    if name == "highs":
        opts = {"random_seed": 0, **({} if heuristics else HIGHS_NO_HEURISTICS), **dict(highs_options)}
        return _HiGHS(start=start, on_solution=on_solution if mip else None, stop=stop if mip else None, mip=mip, msg=msg,
                      timeLimit=time_limit_s, gapRel=gap_rel, threads=threads, **opts)
    if name == "cbc":
        return pulp.PULP_CBC_CMD(mip=mip, msg=msg, timeLimit=time_limit_s, gapRel=gap_rel, threads=threads,
                                 warmStart=bool(start), options=["randomSeed 1", "randomCbcSeed 1"])
    raise SolverError(f"unknown solver {name!r}; expected 'highs' or 'cbc'")


def solver_bound(prob: pulp.LpProblem, name: str) -> float:
    """Best lower bound the solver proved (``nan`` when it does not report one)."""
    if name == "highs" and prob.solverModel is not None:
        info = prob.solverModel.getInfo()
        bound = float(info.mip_dual_bound)
        if bound != bound or abs(bound) == float("inf"):
            return float("nan")
        return bound
    return float("nan")
