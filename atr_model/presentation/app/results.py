"""Runs and result folders in the app, without Streamlit: solve once, read the package, compare.

A run goes through the public scenario API (``run_scenario``, then
:func:`atr_model.presentation.runs.save_result`) into a folder named by the dataset, the
scenario's hash and the plan code's digest, so the same scenario on the same data is solved once,
whoever asks; the app then reads the on-disk result package (:class:`ResultView`), so the page
shows exactly what the CLI writes.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio

from atr_model.data.dataset import Dataset
from atr_model.errors import DataError, ScenarioError
from atr_model.network import TravelModel
from atr_model.presentation.app.scenario_io import parse_scenario_text, scenario_key
from atr_model.presentation.maps.store import source_digest
from atr_model.presentation.runs import save_result
from atr_model.scenarios import (
    Comparison,
    Scenario,
    compare_results,
    load_result_files,
    read_tool_csv,
    run_scenario,
)

__all__ = [
    "ResultView",
    "results_root",
    "result_folder",
    "run_or_reuse",
    "code_key",
    "plan_code_key",
    "load_result",
    "result_scenario",
    "compare_folders",
    "differing_units",
]

logger = logging.getLogger(__name__)


def results_root() -> Path:
    """Where the app keeps result folders (``$ATR_APP_RESULTS`` or a temp folder)."""
    env = os.environ.get("ATR_APP_RESULTS")
    root = Path(env) if env else Path(tempfile.gettempdir()) / "atr-model-app" / "results"
    root.mkdir(parents=True, exist_ok=True)
    return root


def run_or_reuse(
    scenario: Scenario,
    dataset: Dataset,
    *,
    travel_model: TravelModel | None = None,
    out_root: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Run a scenario on a dataset and write its result package; reuse an existing one.

    The folder is ``<out_root>/<dataset build id>/<scenario hash>``: the same scenario on the
    same data is solved once, whoever asks. (:func:`atr_model.presentation.runs.run_to_folder`
    is the other contract: a scenario file into a folder the caller names, report included.)

    Parameters
    ----------
    scenario
        A validated Scenario.
    dataset
        The territory to run on (overrides the scenario's ``dataset``).
    travel_model
        A prebuilt travel model for the dataset, or None to let the runner build one.
    out_root
        Parent of result folders; default :func:`results_root`.
    progress
        Called with a step name ("solve", "write") as the run advances.

    Returns
    -------
    pathlib.Path
        The result folder.
    """
    folder = result_folder(scenario, dataset, out_root)
    if (folder / "assignments.csv").exists() and (folder / "kpis.json").exists():
        return folder
    notify = progress or (lambda _step: None)
    started = time.perf_counter()
    result = run_scenario(scenario, dataset, travel_model, progress=notify)
    logger.info("solved %s in %.2f s", scenario.name, time.perf_counter() - started)
    notify("write")
    # The HTML report (a second or more of map drawing) is left out so a re-solve stays
    # fast; report_html writes it the first time it is asked for.
    save_result(result, folder, report=False)
    return folder


#: The sub-packages a plan depends on (its data, travel model, criteria, engine and package).
_PLAN_CODE = ("data", "network", "criteria", "optimisation", "scenarios")


def code_key(package_root: Path) -> str:
    """Digest (8 hex digits) of the plan code under ``package_root`` (the sub-packages of
    :data:`_PLAN_CODE`, file names and bytes); presentation code does not enter it."""
    files = sorted(p for sub in _PLAN_CODE for p in (package_root / sub).rglob("*.py"))
    return source_digest(files)[:8]


@functools.lru_cache(maxsize=1)
def plan_code_key() -> str:
    """:func:`code_key` of this installation, so that a plan kept by an older atr-model (another
    travel model, another engine) is computed again rather than shown as this version's."""
    return code_key(Path(__file__).resolve().parents[2])


def result_folder(scenario: Scenario, dataset: Dataset, out_root: Path | None = None) -> Path:
    """Where the result of ``scenario`` on ``dataset`` lives: ``<root>/<build id>/<hash>-<code>``
    (:func:`plan_code_key`: results of other code versions are not reused)."""
    root = out_root or results_root()
    return root / _safe(dataset.build_id) / f"{scenario_key(scenario)[:16]}-{plan_code_key()}"


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)[:64] or "dataset"


@dataclass(frozen=True, eq=False)
class ResultView:
    """The parts of a result package the app shows.

    Attributes
    ----------
    folder
        The result folder.
    assignments
        ``assignments.csv`` (one row per original unit).
    new_units
        ``new_units.gpkg`` attributes (no geometry), or empty.
    kpis, provenance
        ``kpis.json`` and ``provenance.json``.
    scenario_yaml
        ``scenario.yaml`` text (the resolved scenario as run).
    """

    folder: Path
    assignments: pd.DataFrame
    new_units: pd.DataFrame
    kpis: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    scenario_yaml: str = ""

    @property
    def travel_model_label(self) -> str:
        """The travel model label recorded in the provenance ('' when absent)."""
        return str(self.provenance.get("travel_model", "") or "")


def load_result(folder: Path) -> ResultView:
    """Read a result package written by ``write_result``.

    Raises
    ------
    DataError
        When the folder lacks ``assignments.csv``.
    """
    folder = Path(folder)
    assignments_path = folder / "assignments.csv"
    if not assignments_path.exists():
        raise DataError(f"{folder}: not a result folder (no assignments.csv)")
    assignments = read_tool_csv(
        assignments_path, dtype={"unit_code": str, "new_unit_id": str, "centre_code": str, "raion_code": str}
    )
    new_units = pd.DataFrame()
    gpkg = folder / "new_units.gpkg"
    if gpkg.exists():
        new_units = pyogrio.read_dataframe(gpkg, read_geometry=False)
    return ResultView(
        folder=folder,
        assignments=assignments,
        new_units=new_units,
        kpis=_read_json(folder / "kpis.json"),
        provenance=_read_json(folder / "provenance.json"),
        scenario_yaml=(folder / "scenario.yaml").read_text(encoding="utf-8") if (folder / "scenario.yaml").exists() else "",
    )


def _read_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    return dict(json.loads(path.read_text(encoding="utf-8")))


def compare_folders(a: Path | str, b: Path | str) -> Comparison:
    """Compare two result folders (``atr_model.scenarios.compare.compare_results``).

    Returns
    -------
    Comparison
        ``kpis`` (kpi, a, b, delta), ``changed_units`` (units whose set of co-members
        changed, not just their label), ``changed_centres``.
    """
    return compare_results(load_result_files(a), load_result_files(b))


def differing_units(a: Path | str, b: Path | str) -> list[str]:
    """Codes of the units grouped differently in two result folders."""
    return sorted(str(c) for c in compare_folders(a, b).changed_units["unit_code"])


def result_scenario(result: ResultView) -> Scenario | None:
    """The scenario a result was computed with (its ``scenario.yaml``: criteria, locks and
    solver as run); None for a package without one."""
    if not result.scenario_yaml.strip():
        return None
    try:
        return parse_scenario_text(result.scenario_yaml, str(result.folder / "scenario.yaml"))
    except ScenarioError as exc:  # a package of another version: its files still download
        logger.warning("%s", exc)
        return None
