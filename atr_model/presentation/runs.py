"""Write a scenario run as a complete result package: the package, its exports and the report.

:func:`save_result` is the one place that decides what a finished run leaves on disk; the CLI,
the app and researchers call it (or :func:`run_to_folder` for scenario file -> folder).
Everything is written into :func:`atr_model.scenarios.write_result`'s temporary folder and
renamed into place at the end, so a failure anywhere leaves no result folder.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from atr_model.presentation.report import raion_names, write_report, write_summary
from atr_model.scenarios import (
    DEFAULT_EXTRAS,
    ScenarioResult,
    apply_overrides,
    load_scenario,
    run_scenario,
    write_result,
)

__all__ = ["save_result", "run_to_folder", "PACKAGE_EXTRAS"]

logger = logging.getLogger(__name__)

#: What a published result folder holds beyond the core package: extra KPIs, XLSX, GeoJSON, report.
PACKAGE_EXTRAS = (*DEFAULT_EXTRAS, write_report)


def save_result(result: ScenarioResult, out_dir: str | os.PathLike[str], *, report: bool = True, lang: str = "en",
                force: bool = False) -> Path:
    """Write a scenario result with its exports (and HTML report) atomically.

    Parameters
    ----------
    result : ScenarioResult
        From :func:`atr_model.scenarios.run_scenario`.
    out_dir : path-like
        The result folder (replaced only when everything succeeded).
    report : bool, default True
        Also write ``report.html`` and the Council summary ``summary.html``.
    lang : str, default "en"
        Language of the report and the summary ("ky", "ru" or "en").
    force : bool, default False
        Replace ``out_dir`` even when it holds files atr-model did not write.

    Returns
    -------
    pathlib.Path
    """
    extras = PACKAGE_EXTRAS if report else DEFAULT_EXTRAS
    # each extra reads the staged package files and adds its own, before write_result's rename
    writers: list[Callable[[ScenarioResult, Path], object]] = [_on_folder(extra) for extra in extras]
    if report and lang != "en":
        writers[extras.index(write_report)] = _on_folder(lambda folder: write_report(folder, lang=lang))
    if report:
        writers.append(lambda result_, folder: _write_summary(result_, folder, lang))
    return write_result(result, out_dir, extra_writers=writers, force=force)


def _on_folder(extra: Callable[[Path], object]) -> Callable[[object, Path], object]:
    """A package writer (any run, staged folder) running ``extra`` on the folder: it needs the files, not the run."""
    return lambda _result, folder: extra(Path(folder))


def _write_summary(result: ScenarioResult, folder: str | os.PathLike[str], lang: str = "en") -> Path:
    """The Council summary beside the report, with the raion names of the run's dataset."""
    return write_summary(Path(folder), lang=lang, raions=raion_names(result.dataset.raions, lang))


def run_to_folder(
    scenario_path: str | os.PathLike[str], out_dir: str | os.PathLike[str], *, data: str | None = None
) -> Path:
    """Load a scenario file, run it (optionally on another dataset) and save the full package.

    Parameters
    ----------
    scenario_path : path-like
        Scenario YAML.
    out_dir : path-like
        Result folder.
    data : str, optional
        Dataset override ('demo', 'kyrgyz' or a .gpkg path).

    Returns
    -------
    pathlib.Path
    """
    scenario = apply_overrides(load_scenario(scenario_path), dataset=data)
    result = run_scenario(scenario)
    return save_result(result, out_dir)
