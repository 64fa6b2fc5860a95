"""Optimisation layer: the exact merger MILP, contiguity, the independent checker, explanations.

Typical use::

    settings = EngineSettings(population_floor=5000, floor_mode="soft", max_travel_time_min=90)
    result = MergerModel(instance, settings).solve()      # raises InfeasibleError before the solver
    assert not [v for v in check_plan(instance, result.assignment, settings) if v.hard]
    for item in explain_units(instance, result, settings):
        print(item.code, item.status, item.reason)

How it solves (see :mod:`atr_model.optimisation.model`): allowed pairs are pruned (groups, travel
limit, reachability, cap along paths); an LP relaxation suggests centres for a fixed-centre
matheuristic whose plan warm-starts the MILP and drives reduced-cost fixing; contiguity is
enforced by minimal vertex-separator cuts (seeded with every unit's neighbour separator) in a
re-solve loop, or by a compact flow model for tiny groups; independent groups are solved apart
(in worker processes for large instances). Every plan is verified by :func:`check_plan`.
Matrix-level benchmark instances: :func:`atr_model.optimisation.io.read_instance_dir`.
"""

from atr_model.optimisation.check import Violation, check_plan
from atr_model.optimisation.explain import UnitExplanation, explain_units
from atr_model.optimisation.instance import MergerInstance
from atr_model.optimisation.io import read_instance_dir
from atr_model.optimisation.model import MergerModel, inertia_cost, plan_measures
from atr_model.optimisation.result import MergerResult
from atr_model.optimisation.settings import EngineSettings

__all__ = [
    "EngineSettings",
    "MergerInstance",
    "MergerModel",
    "MergerResult",
    "UnitExplanation",
    "Violation",
    "check_plan",
    "explain_units",
    "inertia_cost",
    "plan_measures",
    "read_instance_dir",
]
