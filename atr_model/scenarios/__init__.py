"""Scenario layer: scenario files, the engine input, runs and result packages.

The result-package tools (compare, categories, key figures, evaluate, exports, sweep, robustness,
agreement with a reference plan and calibration to it) are
re-exported here: reports read them, the app and researchers call them.
"""

from typing import TYPE_CHECKING

from atr_model._lazy import lazy_exports

if TYPE_CHECKING:
    from atr_model.scenarios.agreement import (
        Agreement,
        Reference,
        adjusted_rand_index,
        agreement,
        agreement_payload,
        plan_from_result,
        read_reference,
        reference_from_bytes,
        reference_from_table,
        unit_agreement,
        write_agreement,
    )
    from atr_model.scenarios.calibrate import Calibration, calibrate, calibrated_yaml, write_calibration
    from atr_model.scenarios.categories import CATEGORIES, category_counts, new_unit_categories, unit_categories
    from atr_model.scenarios.cells import neutralise_cells, read_tool_csv, restore_cells, write_csv
    from atr_model.scenarios.cluster_groups import DaskGroups, dask_groups
    from atr_model.scenarios.compare import Comparison, compare_results, figure_deltas
    from atr_model.scenarios.confidence import merger_confidence, robustness_draws, robustness_package_of
    from atr_model.scenarios.evaluate import PlanEvaluation, evaluate_plan, read_plan_csv, read_plan_text
    from atr_model.scenarios.exports import (
        DEFAULT_EXTRAS,
        add_extra_kpis,
        publish_package,
        write_exports,
        write_geojson,
        write_xlsx,
    )
    from atr_model.scenarios.extra_kpis import CostModel, admin_savings, extra_kpis, load_cost_model, town_mask
    from atr_model.scenarios.figure_notes import flatten_mapping
    from atr_model.scenarios.input_keys import (
        AUTO,
        KYRGYZ,
        KYRGYZ_ELEVATION,
        dataset_file,
        dataset_header,
        kyrgyz_source_dir,
    )
    from atr_model.scenarios.inputs import check_scenario_inputs, resolve_dataset, resolve_travel_model
    from atr_model.scenarios.instance_builder import APPROXIMATE_TERRITORY, InstanceBundle, build_instance
    from atr_model.scenarios.key_figures import (
        FIGURE_KEYS,
        HEADLINE_FIGURES,
        KEY_FIGURES,
        FigureDef,
        KeyFigure,
        figure_def,
        figure_params,
        key_figures,
    )
    from atr_model.scenarios.kpis import compute_kpis, kpi_estimate_basis
    from atr_model.scenarios.limits import ENVIRONMENT as LIMIT_VARIABLES
    from atr_model.scenarios.limits import Limits, check_calibration_points, check_draws, check_sweep_points, limits
    from atr_model.scenarios.manifest import MANIFEST_NAME, record_files, verify_manifest, write_manifest
    from atr_model.scenarios.naming import new_unit_display_name, new_unit_display_names
    from atr_model.scenarios.package import OPTIONAL_PACKAGE_FILES, PACKAGE_FILES, ResultPackage, read_result, write_result
    from atr_model.scenarios.package_files import (
        NEW_UNIT_COLUMNS,
        ResultFiles,
        ResultLike,
        ResultSource,
        as_result_files,
        load_result_files,
        read_territory_notes,
    )
    from atr_model.scenarios.plan_edit import REFUSAL_MESSAGES, Move, PlanEditor, PlanState, Refusal, Resolved
    from atr_model.scenarios.plan_versions import (
        PLAN_COLUMNS,
        PlanVersion,
        add_version,
        compare_versions,
        delete_version,
        evaluate_version,
        find_version,
        make_version,
        read_versions,
        rename_version,
        version_from_csv,
        versions_json,
        write_version_package,
        write_versions,
    )
    from atr_model.scenarios.robustness import RobustnessResult, run_robustness, write_robustness
    from atr_model.scenarios.robustness_tables import share_text
    from atr_model.scenarios.run import STATUSES, ScenarioResult, run_scenario
    from atr_model.scenarios.scenario import (
        Scenario,
        SolverOptions,
        apply_overrides,
        dump_scenario,
        load_scenario,
        scenario_from_dict,
        scenario_from_yaml,
        scenario_hash,
    )
    from atr_model.scenarios.solver_settings import engine_settings
    from atr_model.scenarios.sweep import SweepResult, grid_size, pareto_front, parse_param, run_sweep, sweep_grid
    from atr_model.scenarios.uncertainty import Uncertainty
    from atr_model.scenarios.up_to_date import INPUTS_KEY, reusable_kpis, run_inputs_key

__all__ = [
    # a result package reused when nothing it was computed from changed
    "INPUTS_KEY",
    "reusable_kpis",
    "run_inputs_key",
    # agreement with a reference plan and calibration to it (issue 24)
    "Agreement",
    "Calibration",
    "Reference",
    "adjusted_rand_index",
    "agreement",
    "agreement_payload",
    "calibrate",
    "calibrated_yaml",
    "plan_from_result",
    "read_reference",
    "reference_from_table",
    "write_agreement",
    "reference_from_bytes",
    "unit_agreement",
    "write_calibration",
    "neutralise_cells",
    "read_tool_csv",
    "restore_cells",
    "write_csv",
    "CATEGORIES",
    "category_counts",
    "new_unit_categories",
    "unit_categories",
    "FIGURE_KEYS",
    "HEADLINE_FIGURES",
    "KEY_FIGURES",
    "FigureDef",
    "KeyFigure",
    "figure_def",
    "figure_params",
    "key_figures",
    "AUTO",
    "KYRGYZ",
    "KYRGYZ_ELEVATION",
    "new_unit_display_name",
    "APPROXIMATE_TERRITORY",
    "PACKAGE_FILES",
    "OPTIONAL_PACKAGE_FILES",
    "STATUSES",
    "InstanceBundle",
    "ResultPackage",
    "Scenario",
    "ScenarioResult",
    "SolverOptions",
    "apply_overrides",
    "build_instance",
    "compute_kpis",
    "kpi_estimate_basis",
    "dataset_file",
    "dataset_header",
    "dump_scenario",
    "engine_settings",
    "kyrgyz_source_dir",
    "new_unit_display_names",
    "load_scenario",
    "read_result",
    "resolve_dataset",
    "resolve_travel_model",
    "check_scenario_inputs",
    "run_scenario",
    # the groups of one run on a Dask cluster (issue 25)
    "DaskGroups",
    "dask_groups",
    "scenario_from_dict",
    "scenario_from_yaml",
    "scenario_hash",
    "write_result",
    "MANIFEST_NAME",
    "write_manifest",
    "verify_manifest",
    "record_files",
    # result-package tools
    "DEFAULT_EXTRAS",
    "NEW_UNIT_COLUMNS",
    "Comparison",
    "CostModel",
    "PlanEvaluation",
    # editing a plan by hand (issue 23)
    "REFUSAL_MESSAGES",
    "Move",
    "PlanEditor",
    "PlanState",
    "Refusal",
    "Resolved",
    "ResultFiles",
    "ResultLike",
    "ResultSource",
    "SweepResult",
    "add_extra_kpis",
    "admin_savings",
    "as_result_files",
    "compare_results",
    "figure_deltas",
    "evaluate_plan",
    "extra_kpis",
    "flatten_mapping",
    "load_cost_model",
    "load_result_files",
    "read_territory_notes",
    "pareto_front",
    "parse_param",
    "publish_package",
    "read_plan_csv",
    "read_plan_text",
    "run_sweep",
    "sweep_grid",
    "town_mask",
    "write_exports",
    "write_geojson",
    "write_xlsx",
    # robustness ensembles
    "RobustnessResult",
    "Uncertainty",
    "merger_confidence",
    "robustness_draws",
    "robustness_package_of",
    "run_robustness",
    "share_text",
    "write_robustness",
    # resource limits
    "Limits",
    "check_draws",
    "check_sweep_points",
    "check_calibration_points",
    "LIMIT_VARIABLES",
    "grid_size",
    "limits",
    # named plan versions (issue 23)
    "PLAN_COLUMNS",
    "PlanVersion",
    "add_version",
    "compare_versions",
    "delete_version",
    "evaluate_version",
    "find_version",
    "make_version",
    "read_versions",
    "rename_version",
    "version_from_csv",
    "versions_json",
    "write_versions",
    "write_version_package",
]

# imported when first used (atr_model._lazy): the names above, no module at package import
lazy_exports(__name__)
