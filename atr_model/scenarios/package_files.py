"""Read a result package from disk as plain tables (the file-level view used by exports,
reports and compare).

The result package format (one folder per scenario run) is documented in the project README
("Result package"). :func:`load_result_files` reads it as plain tables and keeps the scenario as
a plain mapping (unlike :func:`atr_model.scenarios.read_result`, it does not re-validate the
scenario), so reports and comparisons still open folders written by older versions whose
scenario schema has since changed. :func:`as_result_files` gives the same view of an in-memory
run (:class:`~atr_model.scenarios.ScenarioResult`) or a read package.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import geopandas as gpd
import pandas as pd
import yaml

from atr_model.errors import DataError
from atr_model.scenarios.cells import read_tool_csv
from atr_model.scenarios.figure_notes import flatten_mapping
from atr_model.scenarios.manifest import read_json_file
from atr_model.scenarios.scenario import Scenario, yaml_error
from atr_model.scenarios.territory_notes import TERRITORY_NOTES_NAME

__all__ = [
    "ResultFiles",
    "ResultLike",
    "ResultSource",
    "load_result_files",
    "as_result_files",
    "flatten_mapping",
    "ASSIGNMENT_COLUMNS",
    "NEW_UNIT_COLUMNS",
]

logger = logging.getLogger(__name__)

#: Columns every ``assignments.csv`` carries, in this order first.
ASSIGNMENT_COLUMNS = (
    "unit_code",
    "unit_name",
    "raion_code",
    "new_unit_id",
    "centre_code",
    "status",
    "reason",
    "population",
    "population_is_estimate",
    "exempt",
    "exempt_reason",
    "travel_time_to_centre_min",
    "travel_time_is_modelled",
)

#: Passport columns of the ``new_units`` layer.
NEW_UNIT_COLUMNS = (
    "new_unit_id",
    "centre_code",
    "centre_name",
    "display_name",
    "raion_code",
    "oblast_code",
    "members",
    "n_members",
    "population",
    "population_has_estimates",
    "area_km2",
    "travel_time_mean_min",
    "travel_time_max_min",
    "exempt_members",
    "below_floor",
    "estimated_inputs",
)

_CODE_COLUMNS = (
    "unit_code",
    "raion_code",
    "oblast_code",
    "new_unit_id",
    "centre_code",
    "settlement_code",
    "members",
    "exempt_members",
)
_BOOL_COLUMNS = (
    "population_is_estimate",
    "exempt",
    "travel_time_is_modelled",
    "is_located",
    "population_has_estimates",
    "below_floor",
    "unit_name_transliterated",
)
_TRUE = {"true", "1", "yes", "t", "y"}


def _as_bool(series: pd.Series) -> pd.Series:
    if series.dtype == bool:
        return series
    return series.map(lambda v: str(v).strip().lower() in _TRUE if pd.notna(v) else False).astype(bool)


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for col in _CODE_COLUMNS:
        if col in frame.columns:
            frame[col] = frame[col].astype(object).where(frame[col].notna(), "").map(str)
    for col in _BOOL_COLUMNS:
        if col in frame.columns:
            frame[col] = _as_bool(frame[col])
    for col in ("unit_name", "unit_name_ky", "unit_name_ru", "reason", "reason_code", "reason_params", "exempt_reason",
                "status", "settlement_name", "centre_name", "estimated_inputs"):
        if col in frame.columns:
            frame[col] = frame[col].astype(object).where(frame[col].notna(), "").map(str)
    return frame


def _read_csv(path: Path, required: tuple[str, ...] = ()) -> pd.DataFrame:
    if not path.exists():
        raise DataError(f"{path}: file missing from the result package")
    try:
        frame = read_tool_csv(path, dtype={c: str for c in _CODE_COLUMNS}, keep_default_na=True)
    except Exception as exc:  # pandas raises several parser errors
        raise DataError(f"{path}: not a readable CSV ({exc})") from exc
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}")
    return _tidy(frame)


def read_territory_notes(folder: Path) -> dict[str, Any] | None:
    """``territory_notes.json`` of a result folder, None when it has none (the demo, older packages);
    DataError naming the file when it is not valid JSON."""
    path = folder / TERRITORY_NOTES_NAME
    return read_json_file(path) if path.exists() else None


@dataclass(frozen=True)
class ResultFiles:
    """The tables of one result package.

    Attributes
    ----------
    path : pathlib.Path
        The package folder.
    scenario : dict
        The resolved scenario as run (``scenario.yaml``).
    assignments : pandas.DataFrame
        One row per original unit (``assignments.csv``), codes as strings, flags as bools.
    new_units : geopandas.GeoDataFrame
        One row per new unit with its passport columns (``new_units.gpkg``), EPSG:4326.
    settlements : pandas.DataFrame
        One row per settlement (``settlements.csv``); empty when the file is absent.
    kpis : dict
        ``kpis.json``.
    provenance : dict
        ``provenance.json``.
    explanations : pandas.DataFrame or None
        ``explanations.csv`` when present.
    territory_notes : dict or None
        ``territory_notes.json`` when present (raion land held by no unit, new units drawn in
        several pieces: :mod:`atr_model.scenarios.territory_notes`); None for the demo and for
        packages written before the file existed.
    """

    path: Path
    scenario: dict[str, Any]
    assignments: pd.DataFrame
    new_units: gpd.GeoDataFrame
    settlements: pd.DataFrame
    kpis: dict[str, Any]
    provenance: dict[str, Any]
    explanations: pd.DataFrame | None = field(default=None)
    territory_notes: dict[str, Any] | None = field(default=None)

    @property
    def name(self) -> str:
        """Scenario name (from the scenario, else the provenance, else the folder name)."""
        return str(self.scenario.get("name") or self.provenance.get("scenario_name") or self.path.name)

    @property
    def title(self) -> str:
        """Scenario title, falling back to its name."""
        return str(self.scenario.get("title") or self.name)

    @property
    def criteria(self) -> dict[str, Any]:
        """The criteria block of the resolved scenario (empty dict when absent)."""
        value = self.scenario.get("criteria") or {}
        return dict(value) if isinstance(value, dict) else {}

    def members(self) -> dict[str, frozenset[str]]:
        """Map each original unit code to the set of unit codes in its new unit (itself included)."""
        groups = self.assignments.groupby("new_unit_id", sort=True)["unit_code"].agg(frozenset)
        return {
            code: groups[nid]
            for code, nid in zip(self.assignments["unit_code"], self.assignments["new_unit_id"])
        }


def load_result_files(path: str | os.PathLike[str]) -> ResultFiles:
    """Read a result package folder.

    Parameters
    ----------
    path : path-like
        The folder a scenario run wrote (``scenario.yaml``, ``assignments.csv``,
        ``new_units.gpkg``, ``kpis.json``, ``provenance.json``; ``settlements.csv``,
        ``explanations.csv`` and ``territory_notes.json`` optional).

    Returns
    -------
    ResultFiles

    Raises
    ------
    DataError
        When the folder or one of its required files is missing or unreadable, naming the file.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise DataError(f"{folder}: result folder not found")
    scenario_path = folder / "scenario.yaml"
    if not scenario_path.exists():
        raise DataError(f"{scenario_path}: file missing from the result package")
    text = scenario_path.read_text(encoding="utf-8")
    try:
        scenario = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise yaml_error(exc, text, str(scenario_path), DataError) from exc
    if not isinstance(scenario, dict):
        raise DataError(f"{scenario_path}: expected a mapping at the top level")
    assignments = _read_csv(folder / "assignments.csv", required=ASSIGNMENT_COLUMNS[:7])
    if assignments["unit_code"].duplicated().any():
        dup = assignments.loc[assignments["unit_code"].duplicated(), "unit_code"].iloc[0]
        raise DataError(f"{folder / 'assignments.csv'}: unit {dup!r} appears twice")
    gpkg = folder / "new_units.gpkg"
    if not gpkg.exists():
        raise DataError(f"{gpkg}: file missing from the result package")
    try:
        new_units = gpd.read_file(gpkg, layer="new_units", engine="pyogrio")
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise DataError(f"{gpkg}: cannot read layer 'new_units' ({exc})") from exc
    new_units = _tidy(new_units).sort_values("new_unit_id", kind="stable").reset_index(drop=True)
    settlements_path = folder / "settlements.csv"
    settlements = _read_csv(settlements_path) if settlements_path.exists() else pd.DataFrame()
    explanations_path = folder / "explanations.csv"
    explanations = _read_csv(explanations_path) if explanations_path.exists() else None
    return ResultFiles(
        path=folder,
        scenario=scenario,
        assignments=assignments,
        new_units=new_units,
        settlements=settlements,
        kpis=read_json_file(folder / "kpis.json"),
        provenance=read_json_file(folder / "provenance.json"),
        explanations=explanations,
        territory_notes=read_territory_notes(folder),
    )


class ResultLike(Protocol):
    """A result held in memory: a package read back from its folder
    (:class:`~atr_model.scenarios.ResultPackage`) or a run
    (:class:`~atr_model.scenarios.ScenarioResult`); both carry these fields. A protocol, not a
    union: ``package.py`` imports this module, so naming its class here would close a cycle."""

    @property
    def scenario(self) -> Scenario: ...
    @property
    def assignments(self) -> pd.DataFrame: ...
    @property
    def new_units(self) -> gpd.GeoDataFrame: ...
    @property
    def settlements(self) -> pd.DataFrame: ...
    @property
    def explanations(self) -> pd.DataFrame: ...
    @property
    def kpis(self) -> dict[str, Any]: ...
    @property
    def provenance(self) -> dict[str, Any]: ...
    @property
    def territory_notes(self) -> dict[str, Any] | None: ...


#: What :func:`as_result_files` reads: the files view itself, a result folder, or a result in memory.
ResultSource = ResultFiles | str | os.PathLike[str] | ResultLike


def as_result_files(obj: ResultSource) -> ResultFiles:
    """The :class:`ResultFiles` view of a folder, a read package or an in-memory run.

    Parameters
    ----------
    obj : ResultFiles, path-like, ResultPackage or ScenarioResult
        A result folder, or anything with the fields of :class:`ResultLike` (the pydantic
        scenario is dumped to a plain mapping).

    Returns
    -------
    ResultFiles
        Tables are copies with codes as strings and flags as bools.
    """
    if isinstance(obj, ResultFiles):
        return obj
    if isinstance(obj, (str, os.PathLike)):
        return load_result_files(obj)
    try:
        scenario = obj.scenario.model_dump(mode="json")
        explanations = obj.explanations
        return ResultFiles(
            # a package read from disk has its folder; a run in memory has none (ScenarioResult has no path)
            path=Path(getattr(obj, "path", None) or f"<{scenario.get('name', 'run')}>"),
            scenario=scenario,
            assignments=_tidy(obj.assignments),
            new_units=_tidy(obj.new_units).sort_values("new_unit_id", kind="stable").reset_index(drop=True),
            settlements=_tidy(obj.settlements),
            kpis=dict(obj.kpis),
            provenance=dict(obj.provenance),
            explanations=_tidy(explanations) if len(explanations) else None,
            territory_notes=obj.territory_notes,
        )
    except AttributeError as exc:
        raise DataError(f"{type(obj).__name__} is not a result (folder, package or scenario run): {exc}") from None
