"""Stage: first plans. Plans found before the exact solve, which warm-start it and give the bound
that fixing (:mod:`.fixing`) needs.

- :func:`trivial_plan`: every unit on its own, when that is a valid plan;
- :func:`initial_centres`: centres suggested by the LP relaxation;
- :func:`fixed_centre_round`: the matheuristic step, the MILP with the centres fixed (a small
  assignment problem, contiguity included);
- :func:`best_centres`: the cheapest centre of each new unit of a plan, to re-centre from;
- :func:`given_plan`: a plan the caller passes (``MergerModel.solve(start=...)``), checked against
  this sub-problem's constraints and dropped, with the reason, when it breaks one.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import numpy as np
import pulp

from atr_model.optimisation.contiguity import separator_cuts
from atr_model.optimisation.cutloop import Round, cut_loop, run_mip
from atr_model.optimisation.formulation import Formulation
from atr_model.optimisation.settings import EngineSettings

__all__ = ["best_centres", "fixed_centre_round", "given_plan", "initial_centres", "trivial_plan"]


def _argmax_centres(form: Formulation) -> set[int]:
    """The centre each unit leans to most in the current (LP) solution."""
    prep = form.prep
    out = set()
    for i in range(prep.instance.n):
        out.add(max(prep.centres_of[i], key=lambda j: (float(form.x[i, j].varValue or 0.0), -j)))
    return out


def initial_centres(form: Formulation, y: dict[int, float]) -> list[int]:
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


def best_centres(form: Formulation, assignment: np.ndarray) -> list[int]:
    """Cheapest allowed centre of every new unit of a plan."""
    prep, cost = form.prep, form.prep.instance.cost
    out = []
    for c in np.unique(assignment):
        mem = [int(i) for i in np.flatnonzero(assignment == c)]
        cands = [j for j in mem if j in prep.members and set(mem) <= set(prep.members[j])]
        out.append(min(cands, key=lambda j: (float(cost[mem, j].sum()), j)) if cands else int(c))
    return sorted(out)


def fixed_centre_round(form: Formulation, settings: EngineSettings, centres: list[int], deadline: float,
                       start: dict[str, float] | None, incumbent: float) -> Round:
    """Solve with the centres fixed (a small assignment MIP), contiguity included.

    The centre variables' bounds are restored afterwards, whatever happens.
    """
    x = form.x
    saved = {j: (x[j, j].lowBound, x[j, j].upBound) for j in form.prep.members}
    chosen = set(centres)
    for j in form.prep.members:
        if saved[j][1] == 0:
            continue
        x[j, j].lowBound = x[j, j].upBound = 1 if j in chosen else 0
    try:
        return cut_loop(form, settings, deadline, start, settings.max_cut_rounds, incumbent)
    finally:
        for j, (lo, up) in saved.items():
            x[j, j].lowBound, x[j, j].upBound = lo, up


def _trivial_values(form: Formulation, settings: EngineSettings) -> dict[str, float]:
    """Variable values of the plan "every unit alone" (slacks at what that plan needs)."""
    prep = form.prep
    values = {}
    for v in form.prob.variables():
        name = v.name
        if name.startswith("x_"):
            i, j = name[2:].split("_")
            val = 1.0 if i == j else 0.0
        else:
            val = 0.0
        values[name] = val
    pop = prep.instance.population
    for j in range(prep.instance.n):
        if settings.population_floor is not None:
            values[f"floor_slack_{j}"] = max(0.0, settings.population_floor - pop[j])
        if settings.population_cap is not None:
            values[f"cap_excess_{j}"] = max(0.0, pop[j] - settings.population_cap)
        if settings.indicator_floor is not None and prep.indicator is not None:
            values[f"indicator_slack_{j}"] = max(0.0, settings.indicator_floor - prep.indicator[j])
    return values


def trivial_plan(form: Formulation, settings: EngineSettings) -> Round | None:
    """Every unit on its own, when that is a valid plan (soft criteria, no count, no links):
    a guaranteed answer under any time limit and a first bound for fixing. ``None`` otherwise."""
    inst, prep = form.prep.instance, form.prep
    if settings.n_units is not None or len(inst.must_link):
        return None
    if any(j not in prep.members for j in range(inst.n)):
        return None  # some unit may not be its own centre
    values = _trivial_values(form, settings)
    variables = form.prob.variables()
    names = {v.name for v in variables}
    values = {k: v for k, v in values.items() if k in names}
    for v in variables:
        v.varValue = values[v.name]
    if not form.prob.valid(1e-7):
        return None
    return Round(assignment=np.arange(inst.n, dtype=np.int64), values=values,
                 objective=float(pulp.value(form.prob.objective)), connected=True)


def _start_problem(form: Formulation, assignment: np.ndarray) -> str:
    """Why a plan cannot start this sub-problem ("" when nothing is seen before the LP)."""
    inst = form.prep.instance
    if assignment.shape != (inst.n,):
        return f"it has {assignment.size} entries for {inst.n} units"
    if (assignment < 0).any():
        return f"unit {inst.unit_codes[int(np.argmax(assignment < 0))]} joins a centre outside this group"
    for i, j in enumerate(assignment.tolist()):
        if (i, j) not in form.x:
            # pruned by prepare: travel limit, reachability, cap along paths, a unit that must stay alone
            return f"unit {inst.unit_codes[i]} may not join centre {inst.unit_codes[j]} under these inputs"
    if form.method == "cuts" and separator_cuts(assignment, form.prep.members, form.prep.nbrs):
        return "a new unit of it is not contiguous"
    return ""


def _plan_values(form: Formulation, assignment: np.ndarray) -> dict[str, float] | None:
    """Every variable's value for a plan, without a solve: ``x`` from the plan, each other variable
    at the least value its rows need. ``None`` when a row holds two non-``x`` variables (the flow
    model): then only the LP can set them."""
    values = {v.name: 0.0 for v in form.prob.variables()}
    x_names = set()
    for (i, j), v in form.x.items():
        values[v.name] = 1.0 if assignment[i] == j else 0.0
        x_names.add(v.name)
    for con in form.prob.constraints.values():
        rest, free = float(con.constant), None
        for v, a in con.items():
            if v.name in x_names:
                rest += float(a) * values[v.name]
            elif free is None:
                free = (v, float(a))
            else:
                return None
        if free is None:
            continue
        v, a = free
        # the row is rest + a * v (sense) 0; a slack helps the row from one side only
        if (con.sense == pulp.LpConstraintGE and a > 0) or (con.sense == pulp.LpConstraintLE and a < 0):
            values[v.name] = max(values[v.name], -rest / a, float(v.lowBound or 0.0))
        elif con.sense != pulp.LpConstraintEQ or a != 0:
            return None
    return values


def _values_by_lp(form: Formulation, settings: EngineSettings, assignment: np.ndarray,
                  deadline: float) -> dict[str, float] | None:
    """The plan's variable values from the LP with ``x`` fixed to it (``None`` when infeasible).
    The bounds are restored afterwards, whatever happens."""
    saved = {key: (v.lowBound, v.upBound) for key, v in form.x.items()}
    try:
        for (i, j), v in form.x.items():
            v.lowBound = v.upBound = 1 if assignment[i] == j else 0
        sol = run_mip(form, settings, max(deadline - time.perf_counter(), 0.5), None, mip=False)
        if sol != pulp.LpSolutionOptimal:
            return None
        return {v.name: float(v.varValue or 0.0) for v in form.prob.variables()}
    finally:
        for key, (lo, up) in saved.items():
            form.x[key].lowBound, form.x[key].upBound = lo, up


def given_plan(form: Formulation, settings: EngineSettings, assignment: np.ndarray,
               deadline: float) -> tuple[Round | None, str]:
    """A caller's plan as a first plan of the search, or ``None`` and why it was dropped.

    Pairs the model does not allow and (with separator cuts) disconnected new units are seen
    first. Then every slack is set to the least value its rows need (:func:`_plan_values`; the
    LP with ``x`` fixed to the plan where flow variables need it) and the plan is checked against
    every row and bound: it fails when it breaks a hard constraint (hard floor or cap, unit count,
    links, flow contiguity). A plan that breaks one is never handed to the solver.
    """
    assignment = np.asarray(assignment, dtype=np.int64)
    problem = _start_problem(form, assignment)
    if problem:
        return None, problem
    values = _plan_values(form, assignment)
    if values is None:
        values = _values_by_lp(form, settings, assignment, deadline)
    broken = "it breaks a hard constraint under these inputs"
    if values is None:
        return None, broken
    for v in form.prob.variables():
        v.varValue = values[v.name]
    if not form.prob.valid(1e-7):
        return None, broken
    objective = float(pulp.value(form.prob.objective))
    return Round(assignment=assignment.copy(), values=values, objective=objective, connected=True), ""
