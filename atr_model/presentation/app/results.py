"""Runs and result folders in the app, without Streamlit: solve once, read the package, compare.

A run goes through the public scenario API (``run_scenario``, then
:func:`atr_model.presentation.runs.save_result`) into a folder named by the dataset, the
scenario's hash and the plan code's digest, under the signed-in user's own folder
(:func:`results_root`), so no user sees another's results; a signed-in user's scenario is solved
once for everyone in the server's own folder (:func:`shared_root`) and copied to the user's; the
app then reads the on-disk result package (:class:`ResultView`), checked against its digest
manifest first, so the page shows exactly what was written.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio

from atr_model._atomic import MARKER, atomic_directory
from atr_model.data import default_cache_dir
from atr_model.data.dataset import Dataset
from atr_model.errors import DataError, ScenarioError
from atr_model.network import TravelModel
from atr_model.presentation.app.auth import user_digest
from atr_model.presentation.app.scenario_io import parse_scenario_text, scenario_key
from atr_model.presentation.maps.store import source_digest
from atr_model.presentation.runs import save_result
from atr_model.scenarios import (
    Comparison,
    Scenario,
    compare_results,
    limits,
    load_result_files,
    read_tool_csv,
    run_scenario,
    verify_manifest,
)

__all__ = [
    "ResultView",
    "LOCAL_USER",
    "SolveQueue",
    "SOLVES",
    "results_root",
    "shared_root",
    "result_problems",
    "check_result",
    "folder_stamp",
    "result_folder",
    "run_or_reuse",
    "SCHEDULER_VARIABLE",
    "app_scheduler_address",
    "code_key",
    "plan_code_key",
    "load_result",
    "result_scenario",
    "compare_folders",
    "differing_units",
]

logger = logging.getLogger(__name__)


#: Whose results a call is about when the app has no sign-in: the one person at this machine.
LOCAL_USER = "local"

#: The environment variable naming the Dask scheduler the app's solves hand their groups to (as
#: ``atr-model run --scheduler-address``); unset or empty: the server's own worker processes. An
#: operator's setting, never a user's: the server connects to whatever it names.
SCHEDULER_VARIABLE = "ATR_APP_SCHEDULER"


def app_scheduler_address() -> str | None:
    """The Dask scheduler of the app's solves (``$ATR_APP_SCHEDULER``), or ``None`` for local workers."""
    return os.environ.get(SCHEDULER_VARIABLE, "").strip() or None


def results_root(user: str = LOCAL_USER) -> Path:
    """Where the app keeps ``user``'s result folders, private to the server's account.

    ``<base>/<user digest>`` (:func:`~atr_model.presentation.app.auth.user_digest`), the base
    being ``$ATR_APP_RESULTS`` or ``app-results`` in the user cache (``~/.cache/atr-model``);
    both are made mode 0700. Each signed-in user has their own folder, and so has the local
    user (no shared, predictable folder under ``/tmp``).

    Parameters
    ----------
    user
        The signed-in identity (``"users:NAME"``, ``"oidc:EMAIL"``) or :data:`LOCAL_USER`.
    """
    return _private(_private(_results_base()) / user_digest(user))


def _results_base() -> Path:
    env = os.environ.get("ATR_APP_RESULTS", "").strip()
    return Path(env).expanduser() if env else default_cache_dir() / "app-results"


def is_signed_in_root(root: Path) -> bool:
    """Whether ``root`` is a signed-in user's results folder (not the local user's), without
    creating any folder."""
    return Path(root) != _results_base() / user_digest(LOCAL_USER)


def shared_root() -> Path:
    """Where the server solves a scenario once for every signed-in user (mode 0700, listed to no
    one): each user then gets a copy in their own :func:`results_root`, so identical scenarios
    are solved once whoever asks, and a user still sees only their own folder."""
    return _private(_private(_results_base()) / "shared")


def _private(folder: Path) -> Path:
    """Create ``folder`` and make it readable by the server's account only (mode 0700)."""
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    return folder


def result_problems(folder: Path) -> list[str]:
    """What is wrong with a result folder before it is reused or shown: [] when every file is
    as written (:func:`~atr_model.scenarios.verify_manifest`), else one line per problem."""
    if not (folder / "assignments.csv").exists():
        return ["not a result folder (no assignments.csv)"]
    return verify_manifest(folder)


def check_result(folder: Path) -> None:
    """Refuse a result folder whose files differ from its manifest.

    Raises
    ------
    DataError
        Naming the folder (not its server path) and the first problem; the app then shows
        no figure from it (running the scenario again computes it afresh).
    """
    problems = result_problems(Path(folder))
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise DataError(
            f"result {Path(folder).name} is not shown: its files differ from what was written "
            f"({problems[0]}{more}); run the scenario again to compute it afresh"
        )


def folder_stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """A cheap fingerprint of a folder's files (name, size, change time): any write to a file,
    even one that restores its modification time, changes it, so a cached result is checked
    again."""
    root = Path(folder)
    return tuple(
        (p.relative_to(root).as_posix(), (st := p.stat()).st_size, st.st_ctime_ns)
        for p in sorted(root.rglob("*")) if p.is_file()
    )


class SolveQueue:
    """A server-wide bound on solves running at once, first come first served.

    Streamlit runs every session as a thread of one server process, so a module-level queue
    bounds them all: a solve takes a slot or waits its turn, and a waiting session is told its
    place (1 = next) each time it changes. Eight sessions solving at once on two cores took
    7.4 GB across 15 processes and each waited longer than one after another.

    Parameters
    ----------
    slots : int
        Solves at once (the app's default: ``limits().app_solves``, ``$ATR_APP_MAX_SOLVES``).
    """

    def __init__(self, slots: int) -> None:
        self.slots = max(1, int(slots))
        self._cond = threading.Condition()
        self._waiting: list[object] = []
        self._running = 0

    @property
    def running(self) -> int:
        """Solves holding a slot now."""
        return self._running

    @property
    def waiting(self) -> int:
        """Solves waiting for a slot now."""
        return len(self._waiting)

    @contextlib.contextmanager
    def slot(self, on_wait: Callable[[int], None] | None = None) -> Iterator[None]:
        """Hold a slot for the block; wait first when all are taken.

        ``on_wait(position)`` is called (outside the queue's lock, so it may write to a page)
        whenever the caller's place in the queue changes while it waits.
        """
        ticket = object()
        with self._cond:
            self._waiting.append(ticket)
        told = 0
        try:
            while True:
                with self._cond:
                    position = self._waiting.index(ticket) + 1
                    if position == 1 and self._running < self.slots:
                        self._waiting.pop(0)
                        self._running += 1
                        break
                    if position == told:
                        self._cond.wait(timeout=1.0)
                        continue
                told = position
                if on_wait is not None:
                    on_wait(position)
        except BaseException:  # an interrupted waiter (a closed session) leaves the queue
            with self._cond:
                if ticket in self._waiting:
                    self._waiting.remove(ticket)
                self._cond.notify_all()
            raise
        try:
            yield
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()


#: The app server's queue of solves (one per process: every session shares it).
SOLVES = SolveQueue(limits().app_solves)

#: One lock per result folder being written, so a second session asking for the same scenario
#: on the same data waits for the first one's result instead of solving it again.
_FOLDER_LOCKS: dict[Path, threading.Lock] = {}
_FOLDER_LOCKS_GUARD = threading.Lock()


@contextlib.contextmanager
def _folder_lock(folder: Path, on_busy: Callable[[], None]) -> Iterator[None]:
    """Hold ``folder``'s lock for the block; ``on_busy()`` first when another session holds it."""
    with _FOLDER_LOCKS_GUARD:
        lock = _FOLDER_LOCKS.setdefault(folder, threading.Lock())
    if not lock.acquire(blocking=False):
        on_busy()
        lock.acquire()
    try:
        yield
    finally:
        lock.release()
        with _FOLDER_LOCKS_GUARD:
            if not lock.locked():
                _FOLDER_LOCKS.pop(folder, None)


def _trusted(folder: Path) -> bool:
    """Whether ``folder`` holds a whole result whose files match its manifest (reusable)."""
    return folder.exists() and not result_problems(folder)


def run_or_reuse(
    scenario: Scenario,
    dataset: Dataset,
    *,
    travel_model: TravelModel | None = None,
    out_root: Path | None = None,
    progress: Callable[[str], None] | None = None,
    queue: SolveQueue | None = None,
    on_wait: Callable[[int], None] | None = None,
    shared: Path | None = None,
) -> Path:
    """Run a scenario on a dataset and write its result package; reuse an existing one.

    The folder is ``<out_root>/<dataset build id>/<scenario hash>``: the same scenario on the
    same data is solved once per results root, and at the same time too: a session asking for a
    folder another session is writing is told so (``progress("shared")``), waits and reuses it.
    Solves wait for a slot of ``queue`` (``on_wait`` hears the place in it).
    (:func:`atr_model.presentation.runs.run_to_folder` is the other contract: a scenario file
    into a folder the caller names, report included.)

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
        Called with a step name ("shared", then the runner's: "solve", "write") as the run advances.
    queue
        The queue of solves to wait in; default :data:`SOLVES` (the server's).
    on_wait
        Called with the place in the queue (1 = next) while waiting for a slot.
    shared
        A results root solved into first (:func:`shared_root`), whose folder is then copied
        into ``out_root``: the same scenario asked by several users is solved once.

    Returns
    -------
    pathlib.Path
        The result folder. An existing folder is reused only when its files match its manifest
        (:func:`result_problems`); otherwise it is computed again.
    """
    folder = result_folder(scenario, dataset, out_root)
    if _trusted(folder):
        return folder
    notify = progress or (lambda _step: None)
    if shared is not None and shared != out_root:
        source = run_or_reuse(scenario, dataset, travel_model=travel_model, out_root=shared, progress=progress,
                              queue=queue, on_wait=on_wait)
        return _copy_result(source, folder)
    with _folder_lock(folder, lambda: notify("shared")):
        if _trusted(folder):  # another session solved it while this one waited
            logger.info("reused %s, solved by another session", folder.name)
            return folder
        if folder.exists():
            # our own folder (named by the scenario's hash under the user's root), but not as
            # written: it is computed afresh rather than shown
            logger.warning("result %s differs from its manifest (%s); computing it again",
                           folder.name, result_problems(folder)[0])
            shutil.rmtree(folder)
        with (queue or SOLVES).slot(on_wait):
            started = time.perf_counter()
            result = run_scenario(scenario, dataset, travel_model, progress=notify,
                                  scheduler_address=app_scheduler_address())
            logger.info("solved %s in %.2f s", scenario.name, time.perf_counter() - started)
            notify("write")
            # The HTML report (a second or more of map drawing) is left out so a re-solve stays
            # fast; report_html writes it the first time it is asked for.
            save_result(result, folder, report=False)
    return folder


def _copy_result(source: Path, folder: Path) -> Path:
    """Publish a copy of the result ``source`` as ``folder`` (atomically; its manifest goes with
    it, so the copy is checked like any other result)."""
    with _folder_lock(folder, lambda: None):
        if not _trusted(folder):
            with atomic_directory(folder, kind="result", force=True) as staging:
                shutil.copytree(source, staging, dirs_exist_ok=True, ignore=shutil.ignore_patterns(MARKER))
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
    return root / safe_name(dataset.build_id) / f"{scenario_key(scenario)[:16]}-{plan_code_key()}"


def safe_name(text: str) -> str:
    """``text`` as one folder name (letters, digits, ``-_.``; others as ``_``), at most 64 characters."""
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
    """Read a result package written by ``write_result``, once its files are checked.

    Raises
    ------
    DataError
        When the folder lacks ``assignments.csv`` or its files differ from its manifest
        (:func:`check_result`).
    """
    folder = Path(folder)
    check_result(folder)
    assignments_path = folder / "assignments.csv"
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
