"""What the app does, without Streamlit: datasets, scenarios, edits, runs and result folders.

Everything here is plain Python so that tests and ``benchmarks/bench_app.py`` can call it
directly; :mod:`atr_model.presentation.app.cache` wraps the expensive parts in Streamlit caches.
A run goes through the public scenario API (``run_scenario`` then ``write_result``) and the
app then reads the on-disk result package, so the page shows exactly what the CLI writes.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import json
import logging
import os
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio
import shapely

# subset_dataset and territory_raions (one raion or oblast as Territory) are the data layer's, offered here
# beside subset_travel_model for the app and benchmarks/bench_app.py.
from atr_model.data import default_cache_dir, make_demo_dataset, subset_dataset, territory_raions, write_kyrgyz_build
from atr_model.data.dataset import Dataset, read_dataset
from atr_model.errors import DataError, ScenarioError
from atr_model.network import TravelModel
from atr_model.presentation.i18n import localized
from atr_model.presentation.maps.store import source_digest
from atr_model.presentation.messages import render_violation
from atr_model.presentation.report import REPORT_NAME, SUMMARY_NAME, map_png, render_summary, write_report, write_summary
from atr_model.presentation.runs import save_result
from atr_model.presentation.view import workbook_labels
from atr_model.scenarios import (
    Comparison,
    PlanEvaluation,
    Scenario,
    compare_results,
    dump_scenario,
    evaluate_plan,
    kyrgyz_source_dir,
    load_result_files,
    merger_confidence,
    read_plan_text,
    run_scenario,
    scenario_from_yaml,
    scenario_hash,
    write_xlsx,
)
from atr_model.scenarios import (
    scenario_from_dict as _validate_scenario,
)

__all__ = [
    "DEMO_KEY",
    "KYRGYZ_KEY",
    "DatasetChoice",
    "Edit",
    "EDIT_ACTIONS",
    "ResultView",
    "dataset_choices",
    "load_dataset",
    "subset_dataset",
    "territory_raions",
    "subset_travel_model",
    "scenario_dir",
    "scenario_files",
    "parse_scenario_text",
    "scenario_to_dict",
    "scenario_from_dict",
    "scenario_to_yaml",
    "scenario_key",
    "with_dataset",
    "apply_edits",
    "results_root",
    "result_folder",
    "run_to_folder",
    "load_result",
    "compare_folders",
    "differing_units",
    "zip_folder",
    "report_html",
    "summary_html",
    "tables_xlsx",
    "download_zip",
    "download_name",
    "result_scenario",
    "result_scenario_yaml",
    "map_image",
    "portable_dataset",
    "portable_scenario_yaml",
    "kyrgyz_build_path",
    "dataset_link_name",
    "dataset_key_from_link",
    "default_scenario_file",
    "unit_at",
    "find_units",
    "evaluate_plan_upload",
    "plan_assignments",
    "DEFAULT_SCENARIO",
    "DEFAULT_DEMO_SCENARIO",
]

logger = logging.getLogger(__name__)

#: Dataset selector key of the generated demo territory.
DEMO_KEY = "demo"
#: Dataset selector key of "build the Kyrgyz dataset from the shared open data".
KYRGYZ_KEY = "kyrgyz"
#: Where the repository keeps shipped scenarios (``<repo>/scenarios``).
_REPO_ROOT = Path(__file__).resolve().parents[3]
#: Manual edit actions, in the order the page offers them.
EDIT_ACTIONS = ("keep_separate", "together", "apart", "exempt")
#: Scenario the app selects first on real data (the Concept's 2013 criteria) ...
DEFAULT_SCENARIO = "concept-2013"
#: ... and on the fictional demo territory.
DEFAULT_DEMO_SCENARIO = "demo"


# ---------------------------------------------------------------------------------------------
# datasets


@dataclass(frozen=True)
class DatasetChoice:
    """One entry of the dataset selector.

    Attributes
    ----------
    key
        ``"demo"``, ``"kyrgyz"`` or the path of a built dataset GeoPackage.
    label
        Text for the selector (English; the page translates the demo's).
    path
        The GeoPackage for built datasets, else None.
    """

    key: str
    label: str
    path: Path | None = None


def _cache_dir() -> Path:
    return Path(default_cache_dir())


def _dataset_label(path: Path) -> str | None:
    """'<name> · <build id>' from a dataset GeoPackage's metadata; None if it is not one."""
    try:
        names = {name for name, _ in pyogrio.list_layers(path)}
        if not {"units", "settlements", "metadata"} <= names:
            return None
        meta = pyogrio.read_dataframe(path, layer="metadata")
    except Exception:  # unreadable files are simply not offered
        return None
    values = {str(k): json.loads(v) for k, v in zip(meta["key"], meta["value"])}
    name = str(values.get("name") or values.get("kind") or path.stem)
    return f"{name} · {values.get('build_id', path.stem)}"


def _kyrgyz_source() -> Path | None:
    source = kyrgyz_source_dir()
    return source if source.exists() else None


#: Where the app (like ``atr-model quickstart``) keeps the Kyrgyz build in the cache.
KYRGYZ_BUILD = Path("kyrgyzstan") / "kyrgyzstan.gpkg"


def kyrgyz_build_path(cache_dir: Path | None = None) -> Path:
    """Where ``atr-model quickstart`` / ``data build`` put the Kyrgyz dataset in the cache."""
    root = Path(cache_dir) if cache_dir is not None else _cache_dir()
    return root / KYRGYZ_BUILD


def dataset_link_name(key: str) -> str:
    """A dataset key as a shareable link writes it: ``demo``, ``kyrgyz`` or the path."""
    return KYRGYZ_KEY if key in (KYRGYZ_KEY, str(kyrgyz_build_path())) else key


def dataset_key_from_link(name: str) -> str | None:
    """The selector key for a link's ``dataset`` value (None when nothing matches here)."""
    if not name:
        return None
    if name == DEMO_KEY:
        return DEMO_KEY
    if name == KYRGYZ_KEY:
        built = kyrgyz_build_path()
        return str(built) if built.exists() else (KYRGYZ_KEY if _kyrgyz_source() is not None else None)
    return name if Path(name).is_file() else None


def dataset_choices(cache_dir: Path | None = None) -> list[DatasetChoice]:
    """Datasets the app can offer: the demo, datasets built into the cache, the Kyrgyz build.

    Parameters
    ----------
    cache_dir
        Where built datasets live; default ``atr_model.data.cache.default_cache_dir()``.

    Returns
    -------
    list of DatasetChoice
        Demo first (when available), then built GeoPackages sorted by path, then "build the
        Kyrgyz dataset" when the shared open data is present.
    """
    choices: list[DatasetChoice] = [DatasetChoice(DEMO_KEY, "Demo Republic (fictional)")]
    root = Path(cache_dir) if cache_dir is not None else _cache_dir()
    if root.exists():
        for path in sorted(root.rglob("*.gpkg")):
            if "results" in path.parts or path.parent.name == "demo":
                continue
            label = _dataset_label(path)
            if label is not None:
                choices.append(DatasetChoice(str(path), label, path))
    if _kyrgyz_source() is not None and not (root / KYRGYZ_BUILD).exists():
        choices.append(DatasetChoice(KYRGYZ_KEY, "Kyrgyz Republic (build from open data, ~2 min)"))
    return choices


def load_dataset(key: str) -> Dataset:
    """Load the dataset behind a selector key.

    Raises
    ------
    DataError
        When the key names nothing loadable (missing file, demo not available...).
    """
    if key == DEMO_KEY:
        return make_demo_dataset()
    if key == KYRGYZ_KEY:
        return _build_kyrgyz()
    return read_dataset(Path(key))


def _build_kyrgyz() -> Dataset:
    """Build the Kyrgyz dataset from the shared open data into the cache (as quickstart does)."""
    source = _kyrgyz_source()
    if source is None:
        raise DataError("the shared Kyrgyz open data (../shared/kg-open-data, or $ATR_KG_DATA) is not present")
    path, _report = write_kyrgyz_build(source, _cache_dir() / KYRGYZ_BUILD.parent)
    return read_dataset(path)


def subset_travel_model(travel_model: TravelModel, unit_codes: Iterable[str]) -> TravelModel:
    """The travel model restricted to some units (rows whose units are all in the set)."""
    codes = {str(c) for c in unit_codes}

    def keep(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
        mask = pd.Series(True, index=frame.index)
        for column in columns:
            if column in frame.columns:
                mask &= frame[column].astype(str).isin(codes)
        return frame[mask].copy()

    return dataclasses.replace(
        travel_model,
        settlement_centre_times=keep(travel_model.settlement_centre_times, "unit_code", "centre_unit_code"),
        settlement_access=keep(travel_model.settlement_access, "unit_code"),
        unit_remoteness=keep(travel_model.unit_remoteness, "unit_code"),
        adjacency=keep(travel_model.adjacency, "unit_a", "unit_b"),
    )


# ---------------------------------------------------------------------------------------------
# scenarios


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


# ---------------------------------------------------------------------------------------------
# manual edits


@dataclass(frozen=True)
class Edit:
    """One manual edit of the plan.

    Attributes
    ----------
    action
        ``keep_separate`` (the unit stays on its own), ``together`` / ``apart`` (force or
        forbid ``unit`` and ``other`` in one new unit), ``exempt`` (exempt ``unit`` from the
        population floor, with ``reason``).
    unit, other
        Unit codes (``other`` only for pair actions).
    reason
        Why (kept in the scenario file for exemptions).
    """

    action: str
    unit: str
    other: str = ""
    reason: str = ""

    def __post_init__(self) -> None:
        if self.action not in EDIT_ACTIONS:
            raise ScenarioError(f"unknown edit action {self.action!r}; expected one of {', '.join(EDIT_ACTIONS)}")
        if self.action in ("together", "apart") and (not self.other or self.other == self.unit):
            raise ScenarioError(f"edit {self.action!r} needs two different units (got {self.unit!r}, {self.other!r})")


def _locks(criteria: dict[str, Any]) -> dict[str, Any]:
    """The criteria's locks block (``criteria.locks`` or the criteria themselves)."""
    locks = criteria.get("locks")
    if not isinstance(locks, dict):
        locks = criteria["locks"] = {}
    return locks


def _append_unique(items: list[Any], value: Any) -> None:
    if value not in items:
        items.append(value)


def apply_edits(scenario: Scenario, edits: Sequence[Edit]) -> Scenario:
    """Return a new scenario with the edits added to its locks and manual exemptions.

    The edits are stored the way a scenario file writes them, so the edited scenario can be
    downloaded and rerun from the CLI. The input scenario is not modified.
    """
    if not edits:
        return scenario
    data = scenario_to_dict(scenario)
    criteria = data.setdefault("criteria", {})
    locks = _locks(criteria)
    for edit in edits:
        if edit.action == "keep_separate":
            locks["keep_separate"] = list(locks.get("keep_separate") or [])
            _append_unique(locks["keep_separate"], edit.unit)
        elif edit.action in ("together", "apart"):
            pairs = [list(p) for p in locks.get(edit.action) or []]
            _append_unique(pairs, sorted([edit.unit, edit.other]))
            locks[edit.action] = pairs
        elif edit.action == "exempt":
            _add_manual_exemption(criteria, edit.unit, edit.reason or "manual exemption (app edit)")
    notes = str(data.get("notes") or "")
    summary = "; ".join(f"{e.action} {e.unit}{' ' + e.other if e.other else ''}" for e in edits)
    data["notes"] = (notes + "\n" if notes else "") + f"manual edits in the app: {summary}"
    return scenario_from_dict(data)


def _add_manual_exemption(criteria: dict[str, Any], unit: str, reason: str) -> None:
    """Add ``{unit_code, reason}`` to ``criteria.exemptions.manual`` (once per unit)."""
    exemptions = criteria.setdefault("exemptions", {})
    manual = list(exemptions.get("manual") or [])
    if not any(isinstance(m, dict) and m.get("unit_code") == unit for m in manual):
        manual.append({"unit_code": unit, "reason": reason})
    exemptions["manual"] = manual


# ---------------------------------------------------------------------------------------------
# runs and result folders


def results_root() -> Path:
    """Where the app keeps result folders (``$ATR_APP_RESULTS`` or a temp folder)."""
    env = os.environ.get("ATR_APP_RESULTS")
    root = Path(env) if env else Path(tempfile.gettempdir()) / "atr-model-app" / "results"
    root.mkdir(parents=True, exist_ok=True)
    return root


def run_to_folder(
    scenario: Scenario,
    dataset: Dataset,
    *,
    travel_model: TravelModel | None = None,
    out_root: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Run a scenario on a dataset and write its result package; reuse an existing one.

    The folder is ``<out_root>/<dataset build id>/<scenario hash>``: the same scenario on the
    same data is solved once, whoever asks.

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


def report_html(folder: Path | str, lang: str = "en") -> bytes:
    """The result's HTML report in ``lang``, rendered from the package on first request.

    English is the package's ``report.html`` (as the CLI writes it); Kyrgyz and Russian are
    ``report-ky.html`` / ``report-ru.html`` beside it (result folders are shared between
    sessions, so one user's language never replaces another's report).
    """
    target = Path(folder) / _language_file(REPORT_NAME, lang)
    if not target.exists():
        target = write_report(folder, target, lang=lang)
    return target.read_bytes()


def _language_file(name: str, lang: str) -> str:
    """``report.html`` for English, ``report-ky.html`` for Kyrgyz..."""
    if lang in ("", "en"):
        return name
    stem, _, ext = name.rpartition(".")
    return f"{stem}-{lang}.{ext}"


def summary_html(
    folder: Path | str, lang: str = "en", raions: Mapping[str, str] | None = None, robustness: Path | str | None = None
) -> bytes:
    """The Council summary (``summary.html``, or ``summary-ky.html``...) in ``lang``, written on first request.

    With ``robustness`` (the session's robustness package) of this very plan, the summary shows
    each merger's confidence; it is then rendered for the request, not kept in the shared
    result folder (another session may have no robustness run).
    """
    if robustness is not None and merger_confidence(folder, robustness) is not None:
        return render_summary(folder, lang, raions=raions, robustness=robustness).encode("utf-8")
    target = Path(folder) / _language_file(SUMMARY_NAME, lang)
    if not target.exists():
        target = write_summary(folder, target, lang=lang, raions=raions)
    return target.read_bytes()


def download_zip(folder: Path | str, lang: str = "en", raions: Mapping[str, str] | None = None) -> bytes:
    """The whole result folder as a ZIP, with both reports (full and summary) in it.

    The English ``report.html`` and ``summary.html`` are always included; for another
    interface language its ``report-<lang>.html`` and ``summary-<lang>.html`` too. The
    archive's folder is named after the scenario (:func:`download_name`), not the folder's
    hash; its ``scenario.yaml`` holds the settings, locks included, the plan was made with.
    """
    for language in dict.fromkeys(("en", lang)):
        report_html(folder, language)
        summary_html(folder, language, raions if language == lang else None)
    return zip_folder(Path(folder), root=download_name(load_result(Path(folder)), lang))


#: Characters a file or folder name may not hold on a common system (Windows is the strictest).
_UNSAFE_IN_NAMES = '<>:"/\\|?*'


def _file_name(text: str, limit: int = 80) -> str:
    """``text`` as a file or folder name: unsafe characters become spaces, runs of spaces one."""
    cleaned = "".join(" " if ch in _UNSAFE_IN_NAMES or not ch.isprintable() else ch for ch in text)
    return " ".join(cleaned.split())[:limit].strip(" .") or "result"


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


def download_name(result: ResultView, lang: str = "en") -> str:
    """What a result's downloads are named: the scenario's name and its title in ``lang``
    ("demo - Demo: Concept 2013 ..." made file-safe); the folder name when the package has
    no scenario."""
    scenario = result_scenario(result)
    if scenario is None:
        return _file_name(result.folder.name)
    title = localized(scenario, "title", lang)
    return _file_name(f"{scenario.name} - {title}" if title else scenario.name)


def result_scenario_yaml(result: ResultView, dataset_key: str | None) -> str | None:
    """The YAML that reruns a result: the scenario as it was run (locks and manual exemptions
    included), with a portable ``dataset`` (:func:`portable_dataset`); None without one."""
    scenario = result_scenario(result)
    return None if scenario is None else portable_scenario_yaml(scenario, dataset_key)


def tables_xlsx(folder: Path | str, lang: str = "en") -> bytes:
    """The result's tables as a workbook labelled in ``lang`` (``tables-<lang>.xlsx``, written
    beside the package's own ``tables.xlsx`` on first request; sheets, headers and summary
    items from the catalogue)."""
    target = Path(folder) / f"tables-{lang}.xlsx"
    if not target.exists():
        kpis = json.loads((Path(folder) / "kpis.json").read_text(encoding="utf-8"))
        write_xlsx(folder, target, labels=workbook_labels(kpis, lang))
    return target.read_bytes()


def map_image(folder: Path | str, lang: str = "en", bounds: Any = None) -> bytes:
    """A PNG of the result's map (merged new units over the kept ones), drawn on the server:
    the whole territory, or what a map view ``((south, west), (north, east))`` shows."""
    return map_png(Path(folder), lang, bounds=bounds)


@functools.lru_cache(maxsize=32)
def _dataset_kind(path: Path) -> str:
    """The ``kind`` in a dataset GeoPackage's metadata ('' when unreadable)."""
    try:
        meta = pyogrio.read_dataframe(path, layer="metadata")
    except Exception:  # not a dataset: no kind
        return ""
    values = {str(k): v for k, v in zip(meta["key"], meta["value"])}
    try:
        return str(json.loads(values.get("kind", '""')))
    except ValueError:
        return str(values.get("kind", ""))


def portable_dataset(dataset_key: str | None) -> str:
    """The ``dataset`` value that reruns a scenario on another machine.

    ``demo`` and ``kyrgyz`` for the demo and for the Kyrgyz build (whatever cache path it was
    loaded from); another built GeoPackage is named by its file name (put it beside the
    scenario file: relative paths are read from there).
    """
    if not dataset_key or dataset_key == DEMO_KEY:
        return DEMO_KEY
    if dataset_key == KYRGYZ_KEY:
        return KYRGYZ_KEY
    path = Path(dataset_key)
    if _dataset_kind(path) == "kyrgyzstan-open-data":
        return KYRGYZ_KEY
    return path.name


def portable_scenario_yaml(scenario: Any, dataset_key: str | None) -> str:
    """YAML of a scenario whose ``dataset`` is :func:`portable_dataset` (no machine path)."""
    data = scenario_to_dict(scenario)
    data["dataset"] = portable_dataset(dataset_key or data.get("dataset"))
    return scenario_to_yaml(scenario_from_dict(data, str(getattr(scenario, "name", "scenario"))))


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
    assignments = pd.read_csv(
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


def zip_folder(folder: Path, root: str | None = None) -> bytes:
    """The result folder as a ZIP archive (files sorted, fixed timestamps: same bytes twice),
    its files under ``root`` (default: the folder's own name)."""
    buffer = io.BytesIO()
    folder = Path(folder)
    top = root or folder.name
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(f"{top}/{path.relative_to(folder).as_posix()}", date_time=(2013, 10, 28, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# the map: which unit was clicked, which units match a search


def unit_at(units: Any, lat: float, lon: float) -> str | None:
    """Code of the unit whose polygon holds the point (``units`` indexed by unit code, EPSG:4326).

    A click a few metres outside every simplified polygon (on a border, say) picks the
    nearest unit within about 2 km; farther away, None.
    """
    point = shapely.Point(float(lon), float(lat))
    hits = units.index[units.geometry.contains(point)]
    if len(hits):
        return str(sorted(str(h) for h in hits)[0])
    # Degrees, not metres: only "a click just off a border" needs deciding, so no reprojection.
    distances = shapely.distance(units.geometry.to_numpy(), point)
    if not len(distances) or float(distances.min()) > _CLICK_TOLERANCE_DEG:
        return None
    return str(units.index[int(distances.argmin())])


#: How far (in degrees, about 2 km) a click may fall outside a unit and still select it.
_CLICK_TOLERANCE_DEG = 0.02


def find_units(names: Mapping[str, str], query: str, limit: int = 20) -> list[str]:
    """Codes of units whose name or code contains ``query`` (case-insensitive), best first.

    Exact code matches come first, then names that start with the query, then the others,
    each group sorted by name.
    """
    needle = query.strip().casefold()
    if not needle:
        return []

    def rank(code: str) -> tuple[int, str]:
        name = names[code].casefold()
        if code.casefold() == needle:
            return (0, name)
        return (1 if name.startswith(needle) else 2, name)

    hits = [c for c, n in names.items() if needle in n.casefold() or needle in c.casefold()]
    return sorted(hits, key=rank)[:limit]


# ---------------------------------------------------------------------------------------------
# plans people bring


def evaluate_plan_upload(
    data: bytes | str,
    name: str,
    scenario: Scenario,
    dataset: Dataset,
    travel_model: TravelModel | None = None,
) -> PlanEvaluation:
    """Check an uploaded plan CSV (``unit_code,new_unit_id``) against a scenario's criteria.

    Runs the independent checker (:func:`atr_model.scenarios.evaluate_plan`) on ``dataset``.

    Raises
    ------
    DataError
        When the file is empty or malformed, or names units the dataset does not have
        (every unknown code is named), or leaves units out.
    """
    plan = read_plan_text(data, where=name)
    return evaluate_plan(plan, scenario, dataset=dataset, travel_model=travel_model, where=name)


def plan_assignments(
    evaluation: PlanEvaluation, units: pd.DataFrame, lang: str = "en", names: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """An evaluated plan as a result's assignment table, for :func:`maps.result_map`.

    Status: ``centre`` / ``merged`` for members of new units of several units, ``kept``
    for units on their own; ``reason`` lists the checker's messages about the unit in ``lang``
    (units named from ``names``, code -> name), with an empty ``reason_code`` (the text is
    shown as it is); ``population_is_estimate`` comes from the dataset's ``units`` (so
    estimates stay marked).
    """
    plan = evaluation.plan.copy()
    sizes = plan["new_unit_id"].map(plan["new_unit_id"].value_counts())
    is_centre = plan["unit_code"] == plan["centre_code"]
    plan["status"] = ["kept" if n == 1 else ("centre" if c else "merged") for n, c in zip(sizes, is_centre)]
    messages: dict[str, list[str]] = {}
    for violation in evaluation.violations.to_dict("records"):
        message = render_violation(violation, lang, names or {})
        for code in str(violation["units"]).split(";"):
            if code:
                messages.setdefault(code, []).append(message)
    plan["reason"] = ["; ".join(messages.get(str(c), [])) for c in plan["unit_code"]]
    plan["reason_code"] = ""
    flags = units.set_index(units["unit_code"].astype(str))["population_is_estimate"] if "population_is_estimate" in units else {}
    plan["population_is_estimate"] = [bool(flags.get(str(c), False)) for c in plan["unit_code"]]
    return plan
