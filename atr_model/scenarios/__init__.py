"""Scenario layer: scenario files, runs, result packages, compare, sweep, evaluate."""

__all__: list[str] = []
