"""Optimisation layer: the exact merger MILP, contiguity, the independent checker, explanations."""

from atr_model.optimisation.instance import MergerInstance

__all__ = ["MergerInstance"]
