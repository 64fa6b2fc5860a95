"""The result package: one run on disk, written atomically (temp dir + rename).

Files (see the project's result-package format): ``scenario.yaml``, ``assignments.csv``,
``new_units.gpkg`` (layer ``new_units``), ``settlements.csv``, ``kpis.json``,
``provenance.json``, ``explanations.csv``; optional: ``territory_notes.json`` (raion land held
by no unit and new units drawn in several pieces, written only when the dataset's build recorded
raion pieces: :mod:`atr_model.scenarios.territory_notes`); and, written last, ``manifest.json``:
the SHA-256 of every file (:mod:`atr_model.scenarios.manifest`).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import yaml

from atr_model._atomic import atomic_directory
from atr_model.errors import DataError
from atr_model.scenarios.cells import read_tool_csv, write_csv
from atr_model.scenarios.manifest import write_manifest
from atr_model.scenarios.package_files import read_territory_notes
from atr_model.scenarios.run import ScenarioResult
from atr_model.scenarios.scenario import Scenario, dump_scenario, scenario_from_dict
from atr_model.scenarios.territory_notes import TERRITORY_NOTES_NAME

__all__ = ["OPTIONAL_PACKAGE_FILES", "PACKAGE_FILES", "ResultPackage", "read_result", "write_result"]

logger = logging.getLogger(__name__)

#: Files every result package has.
PACKAGE_FILES = (
    "scenario.yaml", "assignments.csv", "new_units.gpkg", "settlements.csv", "kpis.json",
    "provenance.json", "explanations.csv",
)
#: Files a result package has when its run produced them (older packages lack them too).
OPTIONAL_PACKAGE_FILES = (TERRITORY_NOTES_NAME,)

ResultWriter = Callable[[ScenarioResult, Path], object]  # its return value is ignored


@dataclass(frozen=True, eq=False)
class ResultPackage:
    """A result package read back from disk."""

    path: Path
    scenario: Scenario
    assignments: pd.DataFrame
    new_units: gpd.GeoDataFrame
    settlements: pd.DataFrame
    kpis: dict[str, Any]
    provenance: dict[str, Any]
    explanations: pd.DataFrame = field(default_factory=pd.DataFrame)
    territory_notes: dict[str, Any] | None = None


def _json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, sort_keys=False, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")


def _write_files(result: ScenarioResult, folder: Path) -> None:
    (folder / "scenario.yaml").write_text(dump_scenario(result.scenario), encoding="utf-8")
    write_csv(result.assignments, folder / "assignments.csv")
    write_csv(result.settlements, folder / "settlements.csv")
    write_csv(result.explanations, folder / "explanations.csv")
    result.new_units.to_file(folder / "new_units.gpkg", layer="new_units", driver="GPKG", engine="pyogrio")
    _json(folder / "kpis.json", result.kpis)
    _json(folder / "provenance.json", result.provenance)
    if result.territory_notes is not None:
        _json(folder / TERRITORY_NOTES_NAME, result.territory_notes)


def write_result(
    result: ScenarioResult, out_dir: str | os.PathLike[str], *, extra_writers: Iterable[ResultWriter] = (),
    force: bool = False,
) -> Path:
    """Write the result package atomically; an interrupted write leaves no folder.

    Parameters
    ----------
    result : ScenarioResult
        From :func:`~atr_model.scenarios.run_scenario`.
    out_dir : path-like
        Target folder; replaced if it exists.
    extra_writers : iterable of callables, optional
        ``writer(result, tmp_dir)`` called after the core files and before the rename (reports,
        workbooks, exports). An exception in one aborts the write.
    force : bool, default False
        Replace ``out_dir`` whatever it holds (see :func:`atr_model._atomic.claim_output`).

    Returns
    -------
    pathlib.Path
        The written folder.

    Raises
    ------
    OutputError
        When ``out_dir`` exists but is not an empty folder or a result package (it is never
        replaced then, unless ``force``), or the disk is full.
    """
    target = Path(out_dir).resolve()
    with atomic_directory(target, kind="result", force=force) as tmp:
        _write_files(result, tmp)
        for writer in extra_writers:
            writer(result, tmp)
        write_manifest(tmp)  # last: the digests of everything above, checked before the app reuses it
    logger.info("wrote result package %s", target)
    return target


def read_result(path: str | os.PathLike[str]) -> ResultPackage:
    """Read a result package written by :func:`write_result`.

    Raises
    ------
    DataError
        When the folder or one of its files is missing.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise DataError(f"{folder}: result folder not found")
    missing = [name for name in PACKAGE_FILES if name != "explanations.csv" and not (folder / name).exists()]
    if missing:
        raise DataError(f"{folder}: not a result package; missing {', '.join(missing)}")
    dtypes = {"unit_code": str, "raion_code": str, "centre_code": str, "new_unit_id": str, "oblast_code": str,
              "settlement_code": str}
    scenario = scenario_from_dict(
        yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8")), where=str(folder / "scenario.yaml")
    )
    explanations = (
        read_tool_csv(folder / "explanations.csv", dtype=dtypes, keep_default_na=False, na_values=[""])
        if (folder / "explanations.csv").exists()
        else pd.DataFrame()
    )
    return ResultPackage(
        path=folder,
        scenario=scenario,
        assignments=read_tool_csv(folder / "assignments.csv", dtype=dtypes, keep_default_na=False, na_values=[""]),
        new_units=gpd.read_file(folder / "new_units.gpkg", layer="new_units", engine="pyogrio"),
        settlements=read_tool_csv(folder / "settlements.csv", dtype=dtypes, keep_default_na=False, na_values=[""]),
        kpis=json.loads((folder / "kpis.json").read_text(encoding="utf-8")),
        provenance=json.loads((folder / "provenance.json").read_text(encoding="utf-8")),
        explanations=explanations,
        territory_notes=read_territory_notes(folder),
    )
