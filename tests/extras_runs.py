"""Shared helpers for the extras tests that run real scenarios on the demo territory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"

_INPUTS: dict[tuple[Any, ...], tuple[Any, Any]] = {}


def demo_scenario(name: str) -> Any:
    """A shipped scenario file with its dataset switched to the demo territory."""
    from atr_model.scenarios import apply_overrides, load_scenario

    return apply_overrides(load_scenario(SCENARIOS / f"{name}.yaml"), dataset="demo")


def demo_inputs(scenario: Any) -> tuple[Any, Any]:
    """Demo dataset and travel model for the scenario's roads/elevation, built once per session."""
    from atr_model.scenarios import resolve_dataset, resolve_travel_model

    key = (scenario.dataset, scenario.roads, scenario.elevation)
    if key not in _INPUTS:
        dataset = resolve_dataset(scenario)
        _INPUTS[key] = (dataset, resolve_travel_model(scenario, dataset))
    return _INPUTS[key]


def run_demo(name: str) -> Any:
    """Run a shipped scenario on the demo territory (inputs shared between runs)."""
    from atr_model.scenarios import run_scenario

    scenario = demo_scenario(name)
    dataset, travel = demo_inputs(scenario)
    return run_scenario(scenario, dataset=dataset, travel_model=travel)
