"""Optimisation layer: the exact merger MILP, contiguity, the independent checker, explanations.

Typical use::

    settings = EngineSettings(population_floor=5000, floor_mode="soft", max_travel_time_min=90)
    result = MergerModel(instance, settings).solve()      # raises InfeasibleError before the solver
    again = MergerModel(nearby, settings).solve(start=result.assignment)   # warm start from a plan
    assert not [v for v in check_plan(instance, result.assignment, settings) if v.hard]
    for item in explain_units(instance, result, settings):
        print(item.code, item.status, item.reason)

How it solves, one stage per module (:mod:`.model` drives them): allowed pairs are pruned
(:mod:`.prepare`: groups, travel limit, reachability, cap along paths) and what is infeasible in
advance is named (:mod:`.presolve`); the MILP is built (:mod:`.formulation`); an LP relaxation
suggests centres for a fixed-centre matheuristic (:mod:`.heuristics`) whose plan warm-starts the
MILP and drives reduced-cost and Lagrangian fixing (:mod:`.fixing`); contiguity is enforced by
minimal vertex-separator cuts (seeded with every unit's neighbour separator) in a re-solve loop
(:mod:`.cutloop`), or by a compact flow model for tiny groups; :mod:`.search` runs these steps
for one sub-problem; independent groups are solved apart (:mod:`.decomposition`, in worker
processes for large instances, in-process inside a daemonic process such as a Dask worker); the
objective and gap of a plan come from :mod:`.measures`. Every plan is verified by
:func:`check_plan`. Messages for people (reasons, violations, infeasibilities) are English
sentences with a code and raw values beside them (:mod:`.wording`), for the interface's languages.
A result states whether a time budget bound the search (:meth:`MergerResult.determinism`).
Matrix-level benchmark instances: :func:`atr_model.optimisation.io.read_instance_dir`.
"""

from typing import TYPE_CHECKING

from atr_model._lazy import lazy_exports

if TYPE_CHECKING:
    from atr_model.optimisation.check import Violation, check_plan
    from atr_model.optimisation.decomposition import decomposes, group_start
    from atr_model.optimisation.executor import FuturesGroups, GroupExecutor, GroupJob, GroupSolver
    from atr_model.optimisation.explain import UnitExplanation, explain_units
    from atr_model.optimisation.instance import MergerInstance
    from atr_model.optimisation.io import read_instance_dir
    from atr_model.optimisation.measures import allowed_centres, plan_centres, plan_result
    from atr_model.optimisation.model import MergerModel, inertia_cost, plan_measures
    from atr_model.optimisation.result import MergerResult
    from atr_model.optimisation.settings import EngineSettings
    from atr_model.optimisation.wording import decimals

__all__ = [
    "EngineSettings",
    "FuturesGroups",
    "GroupExecutor",
    "GroupJob",
    "GroupSolver",
    "MergerInstance",
    "MergerModel",
    "MergerResult",
    "UnitExplanation",
    "Violation",
    "check_plan",
    "decimals",
    "decomposes",
    "explain_units",
    "group_start",
    "inertia_cost",
    "allowed_centres",
    "plan_centres",
    "plan_measures",
    "plan_result",
    "read_instance_dir",
]

# imported when first used (atr_model._lazy): the names above, no module at package import
lazy_exports(__name__)
