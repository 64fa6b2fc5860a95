"""Optimisation layer: the exact merger MILP, contiguity, the independent checker, explanations."""

from atr_model.optimisation.check import Violation, check_plan
from atr_model.optimisation.explain import UnitExplanation, explain_units
from atr_model.optimisation.instance import MergerInstance
from atr_model.optimisation.model import MergerModel, inertia_cost
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
]
