"""Scenario layer: scenario files, the engine input, runs and result packages."""

from atr_model.scenarios.engine_bridge import engine_settings
from atr_model.scenarios.inputs import resolve_dataset, resolve_travel_model
from atr_model.scenarios.instance_builder import InstanceBundle, build_instance
from atr_model.scenarios.kpis import compute_kpis
from atr_model.scenarios.package import PACKAGE_FILES, ResultPackage, read_result, write_result
from atr_model.scenarios.run import STATUSES, ScenarioResult, run_scenario
from atr_model.scenarios.scenario import (
    Scenario,
    SolverOptions,
    apply_overrides,
    dump_scenario,
    load_scenario,
    scenario_from_dict,
    scenario_hash,
)

__all__ = [
    "PACKAGE_FILES",
    "STATUSES",
    "InstanceBundle",
    "ResultPackage",
    "Scenario",
    "ScenarioResult",
    "SolverOptions",
    "apply_overrides",
    "build_instance",
    "compute_kpis",
    "dump_scenario",
    "engine_settings",
    "load_scenario",
    "read_result",
    "resolve_dataset",
    "resolve_travel_model",
    "run_scenario",
    "scenario_from_dict",
    "scenario_hash",
    "write_result",
]
