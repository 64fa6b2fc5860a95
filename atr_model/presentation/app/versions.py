"""Plan versions in the app, without Streamlit: the current plan, and a version as a result folder.

* :func:`plan_of_result` is a result's assignment as the plan table ``atr-model evaluate``
  reads (:mod:`atr_model.scenarios.plan_file`); the Versions view reads the plan shown through
  its one function :func:`~atr_model.presentation.app.versions_view.current_plan`.
* :func:`version_folder` checks and measures a version exactly as ``atr-model evaluate`` does
  (:func:`atr_model.scenarios.plan_versions.evaluate_version`) and writes it as a result
  package, once per plan, scenario and dataset: Compare, the map and the downloads (the ZIP
  of the whole package) read it as they read a run's folder.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import cast

import pandas as pd

from atr_model.data.dataset import Dataset
from atr_model.network import TravelModel
from atr_model.presentation.app import results
from atr_model.presentation.app.results import ResultView
from atr_model.presentation.app.scenario_io import scenario_key
from atr_model.scenarios import PLAN_COLUMNS, PlanVersion, Scenario, evaluate_version, write_version_package

__all__ = ["plan_of_result", "version_folder", "VERSIONS_FOLDER", "COMPARE_PREFIX"]

logger = logging.getLogger(__name__)

#: Sub-folder of the user's results folder that holds the packages of versions.
VERSIONS_FOLDER = "versions"

#: Compare's picker key of a version: ``version:<name>``.
COMPARE_PREFIX = "version:"


def plan_of_result(result: ResultView) -> pd.DataFrame:
    """A result's assignment as the plan table ``evaluate`` reads (``unit_code, new_unit_id, centre_code``)."""
    table = result.assignments[list(PLAN_COLUMNS)].fillna("").astype(str)
    return cast("pd.DataFrame", table.reset_index(drop=True))


def version_folder(
    version: PlanVersion,
    scenario: Scenario,
    dataset: Dataset,
    *,
    travel_model: TravelModel | None = None,
    out_root: Path | None = None,
) -> Path:
    """The result folder of ``version`` checked under ``scenario`` on ``dataset``, written on first use.

    Keyed by the plan's digest, the scenario's hash and the dataset's build id (a rename does
    not measure the plan again); a folder whose files differ from its manifest is written anew.

    Raises
    ------
    DataError
        When the plan does not fit the dataset (unknown or missing units, a bad centre).
    """
    root = (out_root or results.results_root()) / VERSIONS_FOLDER / results.safe_name(dataset.build_id)
    folder = root / f"{version.digest()}-{scenario_key(scenario)[:16]}"
    if folder.exists() and not results.result_problems(folder):
        return folder
    evaluation = evaluate_version(version, scenario, dataset=dataset, travel_model=travel_model)
    logger.info("version %s: measured, %d violation(s)", version.name, len(evaluation.violations))
    return write_version_package(evaluation, folder, force=True)
