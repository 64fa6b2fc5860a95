"""Scenarios in the app, without Streamlit: the shipped files, uploaded text, dicts and YAML.

A scenario comes from a shipped file (:func:`scenario_files`), an upload
(:func:`parse_scenario_text`) or the criteria editor (:func:`scenario_from_dict`); it leaves as
YAML that ``atr-model run`` accepts, pointed at a portable dataset
(:func:`portable_scenario_yaml`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from atr_model.data.dataset import Dataset
from atr_model.errors import ScenarioError
from atr_model.presentation.app.datasets import (
    DEMO_KEY,
    KYRGYZ_KEY,
    data_folder_names,
    data_travel_models,
    dataset_choices,
    portable_dataset,
)
from atr_model.scenarios import AUTO, Scenario, dump_scenario, scenario_from_yaml, scenario_hash
from atr_model.scenarios import (
    scenario_from_dict as _validate_scenario,
)

__all__ = [
    "scenario_dir",
    "scenario_files",
    "parse_scenario_text",
    "parse_uploaded_scenario",
    "UPLOAD_MESSAGES",
    "scenario_to_dict",
    "scenario_from_dict",
    "scenario_to_yaml",
    "scenario_key",
    "with_dataset",
    "with_data_travel",
    "default_scenario_file",
    "portable_scenario_yaml",
    "DEFAULT_SCENARIO",
    "DEFAULT_DEMO_SCENARIO",
]

#: Where the repository keeps shipped scenarios (``<repo>/scenarios``).
_REPO_ROOT = Path(__file__).resolve().parents[3]
#: Scenario the app selects first on real data (the Concept's 2013 criteria) ...
DEFAULT_SCENARIO = "concept-2013"
#: ... and on the fictional demo territory.
DEFAULT_DEMO_SCENARIO = "demo"


def scenario_dir() -> Path:
    """The shipped scenarios folder (``<repo>/scenarios``, or ``./scenarios``)."""
    for candidate in (_REPO_ROOT / "scenarios", Path.cwd() / "scenarios"):
        if candidate.is_dir():
            return candidate
    return _REPO_ROOT / "scenarios"


def scenario_files() -> list[Path]:
    """Shipped scenario files, sorted by name (demo first when present)."""
    root = scenario_dir()
    files = sorted(root.glob("*.yaml")) if root.is_dir() else []
    return sorted(files, key=lambda p: (p.stem != "demo", p.stem))


def parse_scenario_text(text: str | bytes, source: str = "uploaded scenario") -> Scenario:
    """Validate scenario YAML text (an uploaded file); errors name ``source``.

    Parameters
    ----------
    text
        The YAML.
    source
        File name shown in error messages (e.g. the uploaded file's name).

    Raises
    ------
    ScenarioError
        When the text is empty, is not YAML (with line and column), has unknown keys or
        values out of range.
    """
    raw = text.decode("utf-8-sig", errors="replace") if isinstance(text, bytes) else text
    return scenario_from_yaml(raw, where=Path(source).name or "uploaded scenario")


#: Values of ``roads`` and ``elevation`` an uploaded scenario may use: the server's own files only.
OFFERED_INPUTS: dict[str, tuple[str | None, ...]] = {
    "roads": (None, AUTO, DEMO_KEY),
    "elevation": (None, AUTO, DEMO_KEY, KYRGYZ_KEY),
    # a built travel model is a server folder: an upload names only one of the data folders'
    # (:func:`_offered_travel`)
    "travel": (None,),
}

#: English texts of the upload refusals (catalogue: ``error.<key>``). They name the key, never
#: the value: whether a path exists on the server must not show in the answer.
UPLOAD_MESSAGES: dict[str, str] = {
    "upload_dataset": "{file}: 'dataset' must be one of the datasets this app lists ({offered}); an uploaded "
                      "scenario cannot name files on the server",
    "upload_input": "{file}: '{field}' must be one of {offered} in the app; an uploaded scenario cannot name "
                    "files on the server",
}


def _offered_datasets() -> list[str]:
    """The dataset names the app lists: its selector keys and their portable names."""
    names: list[str] = [DEMO_KEY, KYRGYZ_KEY]
    for choice in dataset_choices():
        in_data_folder = data_folder_names(choice.path) if choice.path is not None else []
        for name in (choice.key, portable_dataset(choice.key), *in_data_folder):
            if name not in names:
                names.append(name)
    return names


def _offered_travel() -> dict[str, Path]:
    """The ``travel`` values an upload may give, name -> folder: the data folders' built travel
    models, by their names there (``build/fixture-travel`` for the tutorial's ``--data-dir build``)."""
    return {name: folder for folder in data_travel_models() for name in data_folder_names(folder)}


def _refuse(key: str, **params: object) -> ScenarioError:
    return ScenarioError(UPLOAD_MESSAGES[key].format(**params), key=key, params=params)


def parse_uploaded_scenario(text: str | bytes, source: str = "uploaded scenario") -> Scenario:
    """Validate an uploaded scenario, which may name only what the server offers.

    ``dataset`` must be a dataset the app lists (by key or portable name, or by its path in the
    app's data folder), ``roads`` and ``elevation`` one of :data:`OFFERED_INPUTS`, ``travel``
    null or a built travel model of the data folders by its path there (then replaced by that
    folder). Nothing the upload names is opened or even looked up on the server: the names it
    may give come from the app's own listing, and the refusal is the same for a path that
    exists and for one that does not.

    Raises
    ------
    ScenarioError
        As :func:`parse_scenario_text`, or naming the key that names a server file.
    """
    scenario = parse_scenario_text(text, source)
    where = Path(source).name or "uploaded scenario"
    offered = _offered_datasets()
    if scenario.dataset not in offered or Path(scenario.dataset).is_absolute():
        shown = ", ".join(n for n in offered if not Path(n).is_absolute())
        raise _refuse("upload_dataset", file=where, offered=shown)
    travel = _offered_travel()
    for field, allowed in OFFERED_INPUTS.items():
        offered_here = (*allowed, *travel) if field == "travel" else allowed
        if getattr(scenario, field) not in offered_here:
            shown = ", ".join("null" if v is None else v for v in offered_here)
            raise _refuse("upload_input", file=where, field=field, offered=shown)
    if scenario.travel is not None:
        # the folder the name stands for, so the run does not depend on the server's working folder
        scenario = scenario.model_copy(update={"travel": str(travel[scenario.travel])})
    return scenario


def scenario_to_dict(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain JSON-able data (what the YAML holds)."""
    return scenario.model_dump(mode="json")


def scenario_from_dict(data: Mapping[str, Any], source: str = "edited scenario") -> Scenario:
    """Validate plain data into a Scenario; errors become :class:`ScenarioError` naming ``source``."""
    return _validate_scenario(dict(data), where=source)


def scenario_to_yaml(scenario: Scenario) -> str:
    """YAML text of a scenario that ``atr-model run`` accepts."""
    return dump_scenario(scenario)


def scenario_key(scenario: Scenario) -> str:
    """The scenario's hash (:func:`atr_model.scenarios.scenario_hash`)."""
    return scenario_hash(scenario)


def default_scenario_file(dataset_key: str | None) -> Path | None:
    """The shipped scenario the app selects first: ``demo`` on the demo, else ``concept-2013``."""
    wanted = DEFAULT_DEMO_SCENARIO if dataset_key in (None, DEMO_KEY) else DEFAULT_SCENARIO
    return next((p for p in scenario_files() if p.stem == wanted), None)


def with_dataset(scenario: Scenario, dataset_key: str | None) -> Scenario:
    """The scenario pointed at the app's dataset (so its YAML reruns on the same data)."""
    if not dataset_key or getattr(scenario, "dataset", None) == dataset_key:
        return scenario
    data = scenario_to_dict(scenario)
    data["dataset"] = dataset_key
    return scenario_from_dict(data)


def with_data_travel(data: Mapping[str, Any], dataset: Dataset) -> dict[str, Any]:
    """A scenario (as data) on a data-folder dataset, given the travel model built on that dataset
    in the app's data folders (:func:`~.datasets.data_travel_models`) when it names none and asks
    for the dataset's own roads (``roads: auto``, which only the demo and the Kyrgyz build have
    otherwise): the model ``atr-model network build --out`` wrote beside the imported dataset."""
    out = dict(data)
    kind = str(dataset.metadata.get("kind", ""))
    has_own = kind == DEMO_KEY or kind.startswith(KYRGYZ_KEY)  # 'auto' names their own roads
    if out.get("travel") is None and out.get("roads") == AUTO and not has_own:
        found = data_travel_models(dataset.build_id)
        if found:
            out["travel"] = str(found[0])
    return out


def portable_scenario_yaml(scenario: Scenario, dataset_key: str | None) -> str:
    """YAML of a scenario whose ``dataset`` is :func:`portable_dataset` (no machine path)."""
    data = scenario_to_dict(scenario)
    data["dataset"] = portable_dataset(dataset_key or data.get("dataset"))
    if data.get("travel") and Path(data["travel"]).is_absolute():
        data["travel"] = Path(data["travel"]).name  # a server folder: named, like the dataset, beside the file
    return scenario_to_yaml(scenario_from_dict(data, scenario.name))
