"""Stage: the exact phase as one branch-and-cut in SCIP, with contiguity as lazy constraints.

HiGHS takes no rows during a solve, so :mod:`.cutloop` enforces contiguity by re-solving. SCIP
does: a constraint handler (PySCIPOpt's ``Conshdlr``) looks at every plan SCIP would accept (LP
solutions that are integral, pseudo solutions, the plans of its heuristics) and, when a new unit
is disconnected, adds the same minimal vertex-separator cuts (:func:`.contiguity.separator_cuts`)
as rows of the running search, which then goes on. This is the lazy-constraint scheme of Validi,
Buchanan & Lykhovyd (2022), with SCIP in place of Gurobi.

The model is the :class:`.formulation.Formulation` as it stands (its rows, the separator cuts
added so far and the pairs fixed by bounds), copied into SCIP; the best known plan is the start.

PySCIPOpt is an optional dependency (``pip install atr-model[scip]``); asking for this path
without it is one clear error.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import numpy as np

from atr_model.errors import SolverError
from atr_model.optimisation.contiguity import separator_cuts
from atr_model.optimisation.cutloop import Round
from atr_model.optimisation.formulation import Formulation
from atr_model.optimisation.settings import EngineSettings

__all__ = ["scip_available", "scip_branch_and_cut"]

log = logging.getLogger(__name__)


def scip_available() -> bool:
    """Whether PySCIPOpt can be imported."""
    try:
        import pyscipopt  # noqa: F401
    except ImportError:
        return False
    return True


def _import_scip() -> Any:
    try:
        import pyscipopt
    except ImportError as exc:
        raise SolverError("exact_path='scip' needs PySCIPOpt: pip install 'atr-model[scip]' "
                          "(or pyscipopt); the default exact_path='cut_loop' needs nothing more") from exc
    return pyscipopt


class _Model:
    """The formulation copied into a SCIP model: its columns (by PuLP name) and x[i, j] columns."""

    def __init__(self, form: Formulation, settings: EngineSettings, time_limit_s: float) -> None:
        scip = _import_scip()
        prob = form.prob
        self.form = form
        self.model = model = scip.Model("merger")
        model.hideOutput(not log.isEnabledFor(logging.DEBUG - 5))
        model.setParam("limits/time", max(0.5, float(time_limit_s)))
        model.setParam("limits/gap", float(settings.gap_rel))
        model.setParam("randomization/randomseedshift", 0)
        # the lazy rows are not known to presolve: reductions that reason from the objective and
        # the known rows alone (dual reductions) could cut off every connected optimum
        model.setParam("misc/allowstrongdualreds", False)
        model.setParam("misc/allowweakdualreds", False)
        variables = prob.variables()
        objective = prob.objective
        self.names = [v.name for v in variables]
        self.cols = []
        for v in variables:
            vtype = "B" if v.cat == "Integer" and v.lowBound == 0 and v.upBound in (1, None) else (
                "I" if v.cat == "Integer" else "C")
            ub = v.upBound if v.upBound is not None else None
            lb = v.lowBound if v.lowBound is not None else None
            if vtype == "B" and ub is None:
                ub = 1
            self.cols.append(model.addVar(name=v.name, vtype=vtype, lb=lb, ub=ub,
                                          obj=float(objective.get(v, 0.0))))
        for k, v in enumerate(variables):
            v.index = k
        lower, upper, starts, indices, values = prob.row_arrays()
        ends = np.r_[starts[1:], indices.size] if starts.size else starts
        for r in range(lower.size):
            s, e = int(starts[r]), int(ends[r])
            expr = scip.quicksum(float(values[t]) * self.cols[int(indices[t])] for t in range(s, e))
            lo = None if not math.isfinite(lower[r]) else float(lower[r])
            hi = None if not math.isfinite(upper[r]) else float(upper[r])
            if lo is not None and hi is not None and lo == hi:
                model.addCons(expr == lo)
                continue
            if lo is not None:
                model.addCons(expr >= lo)
            if hi is not None:
                model.addCons(expr <= hi)
        col = {name: k for k, name in enumerate(self.names)}
        keys = sorted(form.x)
        self.x_keys = keys
        self.x_cols = [self.cols[col[form.x[k].name]] for k in keys]
        self.rows = np.fromiter((i for i, _ in keys), dtype=np.int64, count=len(keys))
        self.centres = np.fromiter((j for _, j in keys), dtype=np.int64, count=len(keys))

    def assignment(self, sol: Any) -> np.ndarray:
        """Centre of every unit in ``sol`` (``None``: the current LP or pseudo solution)."""
        n = self.form.prep.instance.n
        vals = np.fromiter((self.model.getSolVal(sol, c) for c in self.x_cols), dtype=float, count=len(self.x_cols))
        share = np.full((n, n), -1.0)
        share[self.rows, self.centres] = vals
        out: np.ndarray = share.argmax(axis=1).astype(np.int64)
        return out

    def set_start(self, values: dict[str, float]) -> bool:
        """Offer a plan (values by PuLP name) as SCIP's first solution."""
        sol = self.model.createSol()
        for name, c in zip(self.names, self.cols):
            self.model.setSolVal(sol, c, float(values.get(name, 0.0)))
        return bool(self.model.addSol(sol, free=True))


def _handler_class(scip: Any) -> Any:
    """The contiguity constraint handler (a class built once PySCIPOpt is imported)."""

    class Contiguity(scip.Conshdlr):  # type: ignore[misc]
        """Rejects plans with a disconnected new unit and adds their separator cuts as rows."""

        def __init__(self, wrapped: _Model) -> None:
            self.wrapped = wrapped
            self.form = wrapped.form
            self.members = wrapped.form.live_members()
            self.col = {k: c for k, c in zip(wrapped.x_keys, wrapped.x_cols)}
            self.added: set[tuple[int, int, tuple[int, ...]]] = set(wrapped.form.cut_keys)
            self.rounds = 0
            self.n_cuts = 0

        def _cuts(self, sol: Any) -> list[tuple[int, int, tuple[int, ...]]]:
            plan = self.wrapped.assignment(sol)
            if (plan[plan] != plan).any():
                return []  # not a plan (a unit joins a non-centre): the model's own rows reject it
            return separator_cuts(plan, self.members, self.form.prep.nbrs)

        def _enforce(self) -> dict[str, Any]:
            cuts = self._cuts(None)
            if not cuts:
                return {"result": scip.SCIP_RESULT.FEASIBLE}
            model = self.wrapped.model
            new = 0
            for a, j, sep in cuts:
                if (a, j, sep) in self.added:
                    continue
                self.added.add((a, j, sep))
                expr = self.col[a, j] - scip.quicksum(self.col[c, j] for c in sep)
                model.addCons(expr <= 0, name=f"sep_lazy_{len(self.added)}", removable=False)
                new += 1
            self.rounds += 1
            self.n_cuts += new
            # a cut already added but violated: the LP has not seen it yet in this node; branching
            # on would loop, so the node is cut off only through the new rows
            return {"result": scip.SCIP_RESULT.CONSADDED if new else scip.SCIP_RESULT.INFEASIBLE}

        def consenfolp(self, constraints: Any, nusefulconss: int, solinfeasible: bool) -> dict[str, Any]:
            return self._enforce()

        def consenfops(self, constraints: Any, nusefulconss: int, solinfeasible: bool,
                       objinfeasible: bool) -> dict[str, Any]:
            return self._enforce()

        def conscheck(self, constraints: Any, solution: Any, checkintegrality: bool, checklprows: bool,
                      printreason: bool, completely: bool) -> dict[str, Any]:
            ok = not self._cuts(solution)
            return {"result": scip.SCIP_RESULT.FEASIBLE if ok else scip.SCIP_RESULT.INFEASIBLE}

        def conslock(self, constraint: Any, locktype: Any, nlockspos: int, nlocksneg: int) -> None:
            return None

    return Contiguity


def scip_branch_and_cut(form: Formulation, settings: EngineSettings, deadline: float,
                        start: dict[str, float] | None) -> Round:
    """Solve ``form`` to optimality in one SCIP search with lazy separator cuts (or until ``deadline``).

    Returns a :class:`.cutloop.Round` like the cut loop's last one: its plan is connected (every
    plan SCIP accepts passed the contiguity check), ``proven`` when SCIP closed the gap, ``bound``
    SCIP's dual bound (valid for the model with every contiguity row, known or not).
    """
    scip = _import_scip()
    out = Round()
    remaining = deadline - time.perf_counter()
    if remaining <= 0.05:
        out.timed_out = True
        return out
    t0 = time.perf_counter()
    wrapped = _Model(form, settings, remaining)
    handler = _handler_class(scip)(wrapped)
    if form.method == "cuts":  # the flow model holds contiguity in its rows; "none" has none
        # checked and enforced after every built-in handler (linear rows: -360,000 and -1,000,000),
        # so it sees integral plans that meet the model's own rows
        wrapped.model.includeConshdlr(handler, "contiguity", "separator cuts of disconnected new units",
                                      sepapriority=0, enfopriority=-4_000_000, chckpriority=-4_000_000,
                                      needscons=False)
    if start:
        accepted = wrapped.set_start(start)
        log.debug("SCIP start plan accepted: %s", accepted)
    build_s = time.perf_counter() - t0
    wrapped.model.optimize()
    model = wrapped.model
    status = model.getStatus()
    log.debug("SCIP: status %s in %.2f s (model built in %.2f s), %d nodes, %d lazy rounds, %d lazy cuts",
              status, time.perf_counter() - t0, build_s, model.getNNodes(), handler.rounds, handler.n_cuts)
    out.rounds = handler.rounds
    if status == "infeasible":
        out.infeasible = True
        return out
    bound = float(model.getDualbound())
    out.bound = bound if math.isfinite(bound) else float("nan")
    if model.getNSols() == 0:
        out.timed_out = True
        return out
    best = model.getBestSol()
    out.assignment = wrapped.assignment(best)
    out.values = {name: float(model.getSolVal(best, c)) for name, c in zip(wrapped.names, wrapped.cols)}
    out.objective = float(model.getSolObjVal(best))
    out.proven = status == "optimal" or (status == "gaplimit" and settings.gap_rel > 0)
    out.timed_out = status in ("timelimit", "userinterrupt")
    out.connected = form.method != "cuts" or not separator_cuts(out.assignment, form.live_members(), form.prep.nbrs)
    if out.proven and not math.isfinite(out.bound):
        out.bound = out.objective
    return out
