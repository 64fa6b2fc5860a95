"""Named versions of a plan: save, list, rename, delete, compare, download, export and import.

An analyst keeps several versions of a plan (the optimum, a hand edit, a colleague's proposal)
and compares any two. A version is the plan itself (``unit_code, new_unit_id, centre_code``,
the table ``atr-model evaluate`` reads, :mod:`atr_model.scenarios.plan_file`) with a name, a
note, the time it was saved, the scenario it was made under and the build id of the dataset
its unit codes belong to. A version is measured exactly as ``evaluate`` measures a plan
(:func:`evaluate_version`: the independent checker, then the package a run writes), so two
versions compare through the same :func:`~atr_model.scenarios.compare.compare_results` as two
result folders do.

The versions of a session travel as one JSON file (:func:`versions_json`, :func:`read_versions`)
so a colleague can open them: a format name and version, the dataset's build id and every
version's plan as rows. Reading it is strict: a file that is not such a file, of another format
version, of another dataset, with a malformed version or with unit codes the dataset does not
have is refused with one message (a catalogue key ``error.<key>`` of :data:`VERSION_MESSAGES`,
so the app says it in the interface's language).

Nothing here imports Streamlit: the app keeps the versions in its session
(:mod:`atr_model.presentation.app.state`), the tests drive these functions directly.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, cast

import pandas as pd

from atr_model._atomic import atomic_file
from atr_model.data import Dataset
from atr_model.errors import DataError
from atr_model.network import TravelModel
from atr_model.scenarios.compare import Comparison, compare_results
from atr_model.scenarios.evaluate import PlanEvaluation, evaluate_plan
from atr_model.scenarios.package import write_result
from atr_model.scenarios.plan_file import plan_error, read_plan_text
from atr_model.scenarios.run import ScenarioResult
from atr_model.scenarios.scenario import Scenario

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "PLAN_COLUMNS",
    "VERSION_MESSAGES",
    "PlanVersion",
    "version_error",
    "make_version",
    "version_from_csv",
    "add_version",
    "rename_version",
    "delete_version",
    "find_version",
    "versions_json",
    "write_versions",
    "read_versions",
    "evaluate_version",
    "compare_versions",
    "write_version_package",
]

logger = logging.getLogger(__name__)

#: The ``format`` of a versions file, and the one format version this code reads and writes.
FORMAT = "atr-model-plan-versions"
FORMAT_VERSION = 1

#: The plan table of a version: the columns ``atr-model evaluate`` reads.
PLAN_COLUMNS = ("unit_code", "new_unit_id", "centre_code")

#: Longest version name and note (a name is a label in pickers; a note is a few sentences).
NAME_CHARS = 80
NOTE_CHARS = 2000

#: How many unknown or missing unit codes a message names (the count is always given).
_SHOWN = 20

#: The English text of each versions message (key -> template); the catalogue holds the same
#: template under ``error.<key>`` in every language.
VERSION_MESSAGES: dict[str, str] = {
    "version_name": "a version name must be 1 to {limit} characters of text on one line",
    "version_note": "a version note must be at most {limit} characters",
    "version_exists": "a version named '{name}' exists already; choose another name",
    "version_missing": "no version is named '{name}'",
    "versions_not_json": "{file}: not a versions file (it is not JSON text: {detail})",
    "versions_format": "{file}: not an atr-model versions file (expected \"format\": \"{expected}\")",
    "versions_format_version": "{file}: versions file format version {found} cannot be read "
                               "(this atr-model reads version {expected})",
    "versions_field": "{file}: version {index}: {field} is missing or not {kind}",
    "versions_dataset": "{file}: the versions were saved on dataset {found}, not on the dataset shown ({expected}); "
                        "open that dataset first",
    "versions_unknown_units": "{file}: version '{name}': {n} unit(s) not in the dataset: {units}",
    "versions_duplicate": "{file}: two versions are named '{name}'",
    "versions_empty": "{file}: the file holds no version",
}


def version_error(key: str, **params: object) -> DataError:
    """The :class:`DataError` of versions message ``key`` (English text, catalogue key, values)."""
    return DataError(VERSION_MESSAGES[key].format(**params), key=key, params=params)


def _shown(codes: Sequence[str]) -> str:
    return ", ".join(codes[:_SHOWN]) + (", …" if len(codes) > _SHOWN else "")


@dataclass(frozen=True)
class PlanVersion:
    """One named version of a plan.

    Attributes
    ----------
    name : str
        Its name, unique among a session's versions.
    note : str
        What the analyst wrote about it.
    created : str
        When it was saved (ISO 8601, UTC).
    scenario_name : str
        The scenario the plan was made under (and is checked against by default).
    dataset_build_id : str
        The build id of the dataset its unit codes belong to.
    plan : pandas.DataFrame
        ``unit_code, new_unit_id, centre_code`` as strings (a centre may be empty: ``evaluate``
        then gives the new unit the optimiser's centre).
    """

    name: str
    note: str
    created: str
    scenario_name: str
    dataset_build_id: str
    plan: pd.DataFrame = dataclasses.field(repr=False, compare=False)

    def plan_csv(self) -> bytes:
        """The plan as the CSV ``atr-model evaluate`` reads (UTF-8, comma separated)."""
        return self.plan.to_csv(index=False, lineterminator="\n").encode("utf-8")

    def digest(self) -> str:
        """A short digest of the plan (the same plan twice has the same digest)."""
        return hashlib.sha256(self.plan_csv()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        """The version as the versions file holds it (the plan as rows of the three columns)."""
        return {
            "name": self.name, "note": self.note, "created": self.created, "scenario_name": self.scenario_name,
            "dataset_build_id": self.dataset_build_id, "columns": list(PLAN_COLUMNS),
            "plan": [list(row) for row in self.plan[list(PLAN_COLUMNS)].itertuples(index=False, name=None)],
        }


def _check_name(name: object) -> str:
    text = str(name).strip() if isinstance(name, str) else ""
    if not text or len(text) > NAME_CHARS or not text.isprintable():
        raise version_error("version_name", limit=NAME_CHARS)
    return text


def _check_note(note: object) -> str:
    text = str(note).strip() if isinstance(note, str) else ""
    if len(text) > NOTE_CHARS:
        raise version_error("version_note", limit=NOTE_CHARS)
    return text


def _plan_table(plan: pd.DataFrame) -> pd.DataFrame:
    """The three plan columns as stripped strings (an absent centre column is empty)."""
    table = plan.copy()
    if "centre_code" not in table:
        table["centre_code"] = ""
    table = table[list(PLAN_COLUMNS)].fillna("").astype(str)
    for column in PLAN_COLUMNS:
        table[column] = table[column].str.strip()
    return cast("pd.DataFrame", table.reset_index(drop=True))


def _check_units(plan: pd.DataFrame, unit_codes: Iterable[str] | None, where: str) -> None:
    """Every code of the plan is a unit of the dataset (``evaluate``'s message, every unknown code
    named). Whether every unit of the scenario's level is listed depends on the scenario: that is
    checked when the version is measured (:func:`evaluate_version`)."""
    if unit_codes is None:
        return
    unknown = sorted(set(plan["unit_code"]) - {str(c) for c in unit_codes})
    if unknown:
        raise plan_error("plan_unknown_units", file=where, n=len(unknown), units=", ".join(unknown))


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def make_version(
    plan: pd.DataFrame,
    name: str,
    *,
    note: str = "",
    scenario_name: str,
    dataset_build_id: str,
    unit_codes: Iterable[str] | None = None,
    created: str | None = None,
) -> PlanVersion:
    """A version of ``plan`` (``unit_code, new_unit_id[, centre_code]``).

    Parameters
    ----------
    plan : pandas.DataFrame
        The plan; further columns (a result's assignments) are left out.
    name, note : str
        Its name (1 to :data:`NAME_CHARS` characters, one line) and note.
    scenario_name, dataset_build_id : str
        What it was made under.
    unit_codes : iterable of str, optional
        The codes the dataset knows (its units and raions): when given, every code of the plan
        must be one of them.
    created : str, optional
        When it was saved (default now, UTC).

    Raises
    ------
    DataError
        On a bad name or note, or a plan with unknown or missing units.
    """
    table = _plan_table(plan)
    clean = _check_name(name)
    _check_units(table, unit_codes, clean)
    return PlanVersion(name=clean, note=_check_note(note), created=created or _now(), scenario_name=str(scenario_name),
                       dataset_build_id=str(dataset_build_id), plan=table)


def version_from_csv(
    data: bytes | str,
    where: str,
    name: str,
    *,
    note: str = "",
    scenario_name: str,
    dataset_build_id: str,
    unit_codes: Iterable[str] | None = None,
) -> PlanVersion:
    """A version from a plan CSV people bring, read and checked as ``evaluate`` reads a plan.

    Raises
    ------
    DataError
        Every problem of :func:`~atr_model.scenarios.plan_file.read_plan_text` (naming the
        file ``where`` and the row), unknown units, a bad name or note.
    """
    table = read_plan_text(data, where=where)
    _check_units(_plan_table(table), unit_codes, where)
    return make_version(table, name, note=note, scenario_name=scenario_name, dataset_build_id=dataset_build_id)


def find_version(versions: Sequence[PlanVersion], name: str) -> PlanVersion:
    """The version named ``name`` (DataError when there is none)."""
    for version in versions:
        if version.name == name:
            return version
    raise version_error("version_missing", name=name)


def add_version(versions: Sequence[PlanVersion], version: PlanVersion) -> tuple[PlanVersion, ...]:
    """``versions`` with ``version`` added last (DataError when its name is taken)."""
    if any(v.name == version.name for v in versions):
        raise version_error("version_exists", name=version.name)
    return (*versions, version)


def rename_version(versions: Sequence[PlanVersion], name: str, new_name: str) -> tuple[PlanVersion, ...]:
    """``versions`` with version ``name`` renamed to ``new_name`` (in its place)."""
    find_version(versions, name)
    clean = _check_name(new_name)
    if clean != name and any(v.name == clean for v in versions):
        raise version_error("version_exists", name=clean)
    return tuple(dataclasses.replace(v, name=clean) if v.name == name else v for v in versions)


def delete_version(versions: Sequence[PlanVersion], name: str) -> tuple[PlanVersion, ...]:
    """``versions`` without version ``name`` (DataError when there is none)."""
    find_version(versions, name)
    return tuple(v for v in versions if v.name != name)


# ---------------------------------------------------------------------------------------------
# the versions file


def versions_json(versions: Sequence[PlanVersion], dataset_build_id: str) -> str:
    """The versions as one JSON text (format :data:`FORMAT`, version :data:`FORMAT_VERSION`)."""
    payload = {"format": FORMAT, "format_version": FORMAT_VERSION, "dataset_build_id": str(dataset_build_id),
               "versions": [v.to_dict() for v in versions]}
    return json.dumps(payload, ensure_ascii=False, indent=1) + "\n"


def write_versions(versions: Sequence[PlanVersion], dataset_build_id: str, target: str | os.PathLike[str]) -> Path:
    """Write the versions file atomically (a reader never sees half a file)."""
    final = Path(target)
    with atomic_file(final) as tmp:
        tmp.write_text(versions_json(versions, dataset_build_id), encoding="utf-8")
    logger.info("wrote %d plan version(s) to %s", len(versions), final)
    return final


def _text_field(entry: Mapping[str, Any], key: str, index: int, where: str, *, required: bool = True) -> str:
    value = entry.get(key, None if required else "")
    if not isinstance(value, str):
        raise version_error("versions_field", file=where, index=index, field=key, kind="text")
    return value


def _entry_plan(entry: Mapping[str, Any], index: int, where: str) -> pd.DataFrame:
    columns, rows = entry.get("columns"), entry.get("plan")
    if columns != list(PLAN_COLUMNS):
        raise version_error("versions_field", file=where, index=index, field="columns", kind=json.dumps(list(PLAN_COLUMNS)))
    if not isinstance(rows, list) or not rows or not all(
        isinstance(row, list) and len(row) == len(PLAN_COLUMNS) and all(isinstance(v, str) for v in row) for row in rows
    ):
        raise version_error("versions_field", file=where, index=index, field="plan",
                            kind="a list of [unit_code, new_unit_id, centre_code] text rows")
    table = pd.DataFrame(rows, columns=list(PLAN_COLUMNS), dtype=str)
    if (table["unit_code"].str.strip() == "").any() or (table["new_unit_id"].str.strip() == "").any():
        raise version_error("versions_field", file=where, index=index, field="plan", kind="free of empty codes")
    duplicated = table["unit_code"][table["unit_code"].duplicated()]
    if len(duplicated):
        raise plan_error("plan_duplicate", file=f"{where}: version {index}", row=int(duplicated.index[0]) + 1,
                         unit=duplicated.iloc[0], first=int(table.index[table["unit_code"] == duplicated.iloc[0]][0]) + 1)
    return cast("pd.DataFrame", table)


def _entry(entry: object, index: int, where: str, build_id: str, unit_codes: Sequence[str]) -> PlanVersion:
    if not isinstance(entry, dict):
        raise version_error("versions_field", file=where, index=index, field="version", kind="an object")
    name = _text_field(entry, "name", index, where)
    fields = {key: _text_field(entry, key, index, where, required=key != "note")
              for key in ("note", "created", "scenario_name", "dataset_build_id")}
    if fields["dataset_build_id"] != build_id:
        raise version_error("versions_dataset", file=where, found=fields["dataset_build_id"], expected=build_id)
    table = _entry_plan(entry, index, where)
    unknown = sorted(set(table["unit_code"]) - set(unit_codes))
    if unknown:
        raise version_error("versions_unknown_units", file=where, name=name, n=len(unknown), units=_shown(unknown))
    return make_version(table, name, note=fields["note"], scenario_name=fields["scenario_name"],
                        dataset_build_id=build_id, created=fields["created"])


def read_versions(
    data: bytes | str, *, dataset_build_id: str, unit_codes: Iterable[str], where: str = "versions file"
) -> tuple[PlanVersion, ...]:
    """The versions of a versions file, checked against the dataset shown.

    Parameters
    ----------
    data : bytes or str
        The file's content (UTF-8 JSON).
    dataset_build_id : str
        The build id of the dataset shown: the file must be of that dataset.
    unit_codes : iterable of str
        The codes that dataset knows (its units and raions): every code of every version must
        be one of them.
    where : str
        The file's name in messages.

    Raises
    ------
    DataError
        With one message: not JSON, not a versions file, another format version, another
        dataset, a malformed version, unknown unit codes, two versions of one name,
        or no version at all.
    """
    try:
        payload = json.loads(data.decode("utf-8-sig") if isinstance(data, bytes) else data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise version_error("versions_not_json", file=where, detail=str(exc)) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise version_error("versions_format", file=where, expected=FORMAT)
    if payload.get("format_version") != FORMAT_VERSION:
        raise version_error("versions_format_version", file=where, found=json.dumps(payload.get("format_version")),
                            expected=FORMAT_VERSION)
    if payload.get("dataset_build_id") != dataset_build_id:
        raise version_error("versions_dataset", file=where, found=str(payload.get("dataset_build_id")),
                            expected=dataset_build_id)
    entries = payload.get("versions")
    if not isinstance(entries, list):
        raise version_error("versions_field", file=where, index=0, field="versions", kind="a list")
    if not entries:
        raise version_error("versions_empty", file=where)
    codes = [str(c) for c in unit_codes]
    versions: tuple[PlanVersion, ...] = ()
    for index, entry in enumerate(entries, start=1):
        version = _entry(entry, index, where, dataset_build_id, codes)
        if any(v.name == version.name for v in versions):
            raise version_error("versions_duplicate", file=where, name=version.name)
        versions = (*versions, version)
    logger.info("%s: read %d plan version(s)", where, len(versions))
    return versions


# ---------------------------------------------------------------------------------------------
# measuring and comparing versions


def evaluate_version(
    version: PlanVersion, scenario: Scenario, *, dataset: Dataset | None = None, travel_model: TravelModel | None = None
) -> PlanEvaluation:
    """The version checked and measured exactly as ``atr-model evaluate`` checks its plan CSV."""
    return evaluate_plan(version.plan, scenario, dataset=dataset, travel_model=travel_model, where=version.name)


def _package(evaluation: PlanEvaluation) -> ScenarioResult:
    if evaluation.package is None:  # pragma: no cover - evaluate_plan always measures the plan
        raise DataError(f"{evaluation.scenario_name}: the evaluated plan carries no result package")
    return evaluation.package


def compare_versions(a: PlanEvaluation, b: PlanEvaluation, names: tuple[str, str] | None = None) -> Comparison:
    """Compare two evaluated versions as Compare compares two result folders.

    ``names`` (the versions' names) replace the scenario names the comparison would carry.
    """
    comparison = compare_results(_package(a), _package(b))
    if names is None:
        return comparison
    return dataclasses.replace(comparison, name_a=names[0], name_b=names[1])


def write_version_package(evaluation: PlanEvaluation, target: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Write an evaluated version as a result package (what Compare, the map and the downloads read)."""
    return write_result(_package(evaluation), target, force=force)
