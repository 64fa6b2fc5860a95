"""The groups of one run on a real Dask cluster (issue 25 item 3): a ``dask scheduler`` and a
``dask worker --nworkers 2`` started as separate processes, on the Kyrgyz build.

A run with ``scheduler_address`` (``atr-model run --scheduler-address``) sends every group
(oblast under cross-raion nesting, raion under concept-2013) to the cluster as one task, largest
first, and must give what the engine's process pool gives: the same plan, objective, proof per
group and result files; an anytime answer (groups unproven under a time budget, with their gap)
comes back as it is. A bad address, a cluster without workers, a group whose workers all die and a
scheduler lost mid-run are each one message.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from dask_cluster import _free_port, _stop, dask_cluster, require_distributed  # noqa: F401 (the module-scoped fixture)

from atr_model.data import Dataset, read_dataset
from atr_model.errors import ScenarioError
from atr_model.network import TravelModel
from atr_model.optimisation import (
    EngineSettings,
    FuturesGroups,
    GroupJob,
    GroupSolver,
    MergerInstance,
    MergerModel,
    MergerResult,
)
from atr_model.presentation.cli import main
from atr_model.scenarios import (
    ScenarioResult,
    build_instance,
    dask_groups,
    load_scenario,
    resolve_travel_model,
    run_scenario,
)
from atr_model.scenarios.solver_settings import engine_settings

ROOT = Path(__file__).resolve().parents[1]
CROSS_RAION = ROOT / "scenarios" / "cross-raion.yaml"
CONCEPT = ROOT / "scenarios" / "concept-2013.yaml"
#: Files of a result package that hold no clock time: byte for byte the same wherever it ran.
TIMELESS_FILES = ("assignments.csv", "settlements.csv", "explanations.csv", "scenario.yaml", "territory_notes.json")


@pytest.fixture(scope="module")
def kg_inputs(kg_dataset_path: Path) -> tuple[Dataset, TravelModel]:
    """The Kyrgyz build and its travel model (cross-raion's; concept-2013 uses the same inputs)."""
    dataset = read_dataset(kg_dataset_path)
    return dataset, resolve_travel_model(load_scenario(CROSS_RAION), dataset)


def _groups(result: ScenarioResult) -> dict[str, tuple[object, ...]]:
    """Per group: status, proof, plan size, objective, bound and gap (nan as None, so it compares)."""
    def num(v: float) -> float | None:
        return None if v is None or math.isnan(v) else v

    return {g: (e["status"], e["proven_optimal"], e["n_units"], num(e["objective"]), num(e["bound"]), num(e["gap"]))
            for g, e in result.engine_result.per_group.items()}


def _started_groups(address: str) -> list[str]:
    """Every group task's key in the order the scheduler started it (its move to ``processing``)."""
    distributed = require_distributed()
    with distributed.Client(address, timeout=60) as client:
        # a lambda pickles by value: the scheduler cannot import this test module
        return client.run_on_scheduler(lambda dask_scheduler: [
            str(key) for key, _, finish, *_ in list(dask_scheduler.transition_log)
            if finish == "processing" and str(key).startswith("atr-group-")])


def _same_run(local: ScenarioResult, on_dask: ScenarioResult) -> None:
    pd.testing.assert_frame_equal(on_dask.assignments, local.assignments)
    assert on_dask.engine_result.objective == local.engine_result.objective
    assert on_dask.engine_result.status == local.engine_result.status
    assert _groups(on_dask) == _groups(local)
    assert on_dask.provenance["proof"] == local.provenance["proof"]
    assert on_dask.kpis["units_after"] == local.kpis["units_after"]


@pytest.mark.kgdata
def test_cross_raion_on_the_cluster_equals_the_local_run_largest_group_first(
        kg_inputs: tuple[Dataset, TravelModel], dask_cluster: str) -> None:
    dataset, travel = kg_inputs
    scenario = load_scenario(CROSS_RAION)
    before = set(_started_groups(dask_cluster))
    local = run_scenario(scenario, dataset, travel)
    on_dask = run_scenario(scenario, dataset, travel, scheduler_address=dask_cluster)
    assert "groups_on" not in local.provenance
    assert on_dask.provenance["groups_on"] == {"executor": "dask", "task_slots": 2}
    assert on_dask.provenance["determinism"]["threads"]["group_processes"] == 2
    # several groups, all proven: the nesting's oblasts (and the cities)
    groups = on_dask.engine_result.per_group
    assert len(groups) >= 5 and on_dask.provenance["proof"]["all_proven"]
    _same_run(local, on_dask)

    # every group ran on the cluster as one task; the two workers took the two largest first
    started = [key.split("-")[2] for key in _started_groups(dask_cluster) if key not in before]
    assert sorted(started) == sorted(groups)
    sizes = sorted((e["n"] for e in groups.values()), reverse=True)
    assert sorted(groups[g]["n"] for g in started[:2]) == sorted(sizes[:2])
    assert len(set(sizes)) == len(sizes)  # no tie: the two largest are two groups


@pytest.mark.kgdata
def test_an_anytime_answer_comes_back_from_the_cluster_unchanged(
        kg_inputs: tuple[Dataset, TravelModel], dask_cluster: str) -> None:
    # 10 ms per group leaves each oblast with its first plan and the bound before the exact search:
    # unproven groups with their gap, the same on both paths
    dataset, travel = kg_inputs
    scenario = load_scenario(CROSS_RAION)
    scenario = scenario.model_copy(update={"solver": scenario.solver.model_copy(update={"time_limit_s": 0.01})})
    local = run_scenario(scenario, dataset, travel)
    on_dask = run_scenario(scenario, dataset, travel, scheduler_address=dask_cluster)
    proof = on_dask.provenance["proof"]
    assert not proof["all_proven"] and proof["unproven"]
    assert any(entry["gap"] is not None and entry["gap"] > 0 for entry in proof["unproven"].values())
    assert on_dask.provenance["determinism"]["time_budget_bound"] is True
    _same_run(local, on_dask)


@pytest.mark.kgdata
def test_cli_run_on_the_cluster_writes_the_files_of_the_local_run(
        kg_dataset_path: Path, dask_cluster: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["run", str(CONCEPT), "--data", str(kg_dataset_path), "-q", "--no-report"]
    main([*base, "--out", str(tmp_path / "local")])
    main([*base, "--out", str(tmp_path / "dask"), "--scheduler-address", dask_cluster])
    out = capsys.readouterr().out
    assert out.count("(proven optimal)") == 2, out
    for name in TIMELESS_FILES:
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name
    kpis = [json.loads((tmp_path / run / "kpis.json").read_text(encoding="utf-8")) for run in ("local", "dask")]
    for k in kpis:
        k["solver"].pop("seconds")
        k.pop("provenance", None)
    assert kpis[0] == kpis[1]
    provenance = json.loads((tmp_path / "dask" / "provenance.json").read_text(encoding="utf-8"))
    assert provenance["groups_on"]["executor"] == "dask" and provenance["proof"]["groups"] > 30


def test_a_bad_scheduler_address_is_one_message(demo_dataset, capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path) -> None:
    require_distributed()
    scenario = load_scenario(ROOT / "scenarios" / "demo.yaml")
    # a port nobody listens on, and a malformed address: named before anything is built
    with pytest.raises(ScenarioError, match=r"^run: cannot reach the Dask scheduler at 'tcp://127.0.0.1:1' \("):
        run_scenario(scenario, demo_dataset, scheduler_address="tcp://127.0.0.1:1")
    with pytest.raises(ScenarioError, match=r"^run: --scheduler-address 'tcp://:x' is not a scheduler address"):
        run_scenario(scenario, demo_dataset, scheduler_address="tcp://:x")
    with pytest.raises(SystemExit) as stop:
        main(["run", str(ROOT / "scenarios" / "demo.yaml"), "--data", "demo", "--out", str(tmp_path / "r"), "-q",
              "--scheduler-address", "tcp://127.0.0.1:1"])
    assert stop.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("error: run: cannot reach the Dask scheduler at 'tcp://127.0.0.1:1'") and err.count("\n") == 1
    assert "Traceback" not in err and not (tmp_path / "r" / "assignments.csv").exists()


def _demo_group(dataset: Dataset) -> MergerInstance:
    """A few units of the demo's instance, as one group's sub-instance."""
    scenario = load_scenario(ROOT / "scenarios" / "demo.yaml")
    bundle = build_instance(dataset, resolve_travel_model(scenario, dataset), scenario.criteria, level=scenario.level)
    return bundle.instance.subset(np.arange(3))


@dataclass
class _RecordingGroups:
    """A one-thread executor that records the size of every group in the order it was submitted."""

    executor: ThreadPoolExecutor
    workers: int = 1
    sizes: list[int] = field(default_factory=list)

    def run(self, fn: GroupSolver, jobs: Sequence[GroupJob]) -> list[MergerResult]:
        self.sizes.extend(job[0].n for job in jobs)
        return FuturesGroups(self.executor, self.workers).run(fn, jobs)


def test_any_executor_solves_the_groups_largest_first_with_the_same_result(demo_dataset) -> None:
    scenario = load_scenario(ROOT / "scenarios" / "demo.yaml")
    travel = resolve_travel_model(scenario, demo_dataset)
    bundle = build_instance(demo_dataset, travel, scenario.criteria, level=scenario.level)
    settings = engine_settings(scenario.criteria, scenario.solver, bundle=bundle)
    local = MergerModel(bundle.instance, settings).solve()
    with ThreadPoolExecutor(max_workers=1) as pool:
        groups = _RecordingGroups(pool)
        recorded = MergerModel(bundle.instance, settings).solve(executor=groups)
    assert len(groups.sizes) == len(local.per_group) > 1
    assert groups.sizes == sorted(groups.sizes, reverse=True)
    assert np.array_equal(recorded.assignment, local.assignment) and recorded.objective == local.objective
    assert {g: e["status"] for g, e in recorded.per_group.items()} == {g: e["status"] for g, e in local.per_group.items()}
    assert recorded.threads["group_processes"] == 1


def test_a_group_whose_workers_all_die_is_one_message(demo_dataset, dask_cluster: str) -> None:
    # the worker dies (its nanny restarts it) and Dask gives up on the group
    job: GroupJob = (_demo_group(demo_dataset), EngineSettings(), None)

    def set_allowed_failures(value: int, dask_scheduler: Any) -> int:
        # a nested function pickles by value: the scheduler cannot import this test module
        before = dask_scheduler.allowed_failures
        dask_scheduler.allowed_failures = value
        return int(before)

    distributed = require_distributed()
    with distributed.Client(dask_cluster, timeout=60) as client:
        # one death is enough (Dask retries a lost task on 3 more workers by default, each a
        # worker restart of seconds); set back below for the module's other tests
        allowed = client.run_on_scheduler(set_allowed_failures, 0)
        try:
            with dask_groups(dask_cluster) as groups, pytest.raises(ScenarioError) as error:
                # ends the worker process that runs it, as an out-of-memory kill would
                groups.run(lambda _job: os._exit(3), [job])
        finally:
            client.run_on_scheduler(set_allowed_failures, allowed)
    message = str(error.value)
    assert message.startswith(f"run: the Dask cluster at {dask_cluster!r}: the worker solving group "
                              f"{job[0].group[0]} died, and so did every worker that retried it (")
    assert "\n" not in message and message.endswith("see the workers' logs)")


def test_a_cluster_without_workers_and_a_lost_scheduler_are_one_message(
        demo_dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a scheduler of its own (this test ends it): first without a worker, then with one whose
    # scheduler goes away while it solves
    distributed = require_distributed()
    monkeypatch.setenv("ATR_SCHEDULER_TIMEOUT", "3")
    dask_cli = Path(sys.executable).with_name("dask")
    address = f"tcp://127.0.0.1:{_free_port()}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = []
    try:
        procs.append(subprocess.Popen([str(dask_cli), "scheduler", "--host", "127.0.0.1", "--port",
                                       address.rsplit(":", 1)[1], "--no-dashboard"], env=env, cwd=tmp_path,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        with distributed.Client(address, timeout=60):
            pass  # listening
        with pytest.raises(ScenarioError, match=rf"^run: the Dask scheduler at '{address}' has no worker "
                                                r"\(none joined within 3 s\)$"), dask_groups(address):
            pass
        procs.append(subprocess.Popen([str(dask_cli), "worker", address, "--nworkers", "1", "--nthreads", "1",
                                       "--no-dashboard", "--host", "127.0.0.1"], env=env, cwd=tmp_path,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        with distributed.Client(address, timeout=60) as client:
            client.wait_for_workers(1, timeout=90)

            def end_scheduler_once_solving() -> None:
                while not any(client.processing().values()):
                    time.sleep(0.1)
                _stop(procs[0])

            stopper = threading.Thread(target=end_scheduler_once_solving, daemon=True)
            stopper.start()
            job: GroupJob = (_demo_group(demo_dataset), EngineSettings(), None)
            with pytest.raises(ScenarioError) as error, dask_groups(address) as groups:
                groups.run(lambda _job: time.sleep(120), [job])
            stopper.join(timeout=30)
        assert str(error.value) == (f"run: the Dask cluster at {address!r}: group {job[0].group[0]} was cancelled "
                                    "(the scheduler went away or the client lost it)")
    finally:
        for proc in reversed(procs):
            _stop(proc)
