"""Stage: first plans. Plans found before the exact solve, which warm-start it and give the bound
that fixing (:mod:`.fixing`) needs.

- :func:`trivial_plan`: every unit on its own, when that is a valid plan;
- :func:`initial_centres`: centres suggested by the LP relaxation;
- :func:`fixed_centre_round`: the matheuristic step, the MILP with the centres fixed (a small
  assignment problem, contiguity included);
- :func:`best_centres`: the cheapest centre of each new unit of a plan, to re-centre from.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pulp

from atr_model.optimisation.cutloop import Round, cut_loop
from atr_model.optimisation.formulation import Formulation
from atr_model.optimisation.settings import EngineSettings

__all__ = ["best_centres", "fixed_centre_round", "initial_centres", "trivial_plan"]


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
