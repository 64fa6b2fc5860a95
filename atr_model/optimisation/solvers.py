"""PuLP solver objects for the engine: HiGHS in-process (with a warm start and a quiet banner) and CBC."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

import pulp

from atr_model.errors import SolverError

__all__ = ["make_solver", "solver_bound", "quiet_stdout", "HIGHS_NO_HEURISTICS"]

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
        import highspy

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
        super().buildSolverModel(lp)
        if self.start:
            import highspy

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
        return _HiGHS(start=start, on_solution=on_solution if mip else None, stop=stop if mip else None, mip=mip, msg=msg, timeLimit=time_limit_s,
                      gapRel=gap_rel, threads=threads, **opts)
    if name == "cbc":
        return pulp.PULP_CBC_CMD(mip=mip, msg=msg, timeLimit=time_limit_s, gapRel=gap_rel, threads=threads,
                                 warmStart=bool(start), options=["randomSeed 1", "randomCbcSeed 1"])
    raise SolverError(f"unknown solver {name!r}; expected 'highs' or 'cbc'")


def solver_bound(prob: pulp.LpProblem, name: str) -> float:
    """Best lower bound the solver proved (``nan`` when it does not report one)."""
    if name == "highs" and getattr(prob, "solverModel", None) is not None:
        info = prob.solverModel.getInfo()
        bound = float(info.mip_dual_bound)
        if bound != bound or abs(bound) == float("inf"):
            return float("nan")
        return bound
    return float("nan")
