"""The sweep on a real Dask cluster: a ``dask scheduler`` and a ``dask worker --nworkers 2``
started as separate processes, on the Kyrgyz build (issue 14 item 0).

A Dask worker runs its tasks in daemonic processes, which may not start the engine's raion process
pool; the engine then solves the groups in-process. On the Kyrgyz build every point is large
enough for that pool (531 units, 40+ raions), so this is the path that used to crash with
"daemonic processes are not allowed to have children".
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from atr_model.optimisation import decomposition
from atr_model.scenarios import load_scenario, parse_param, run_sweep

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")

ROOT = Path(__file__).resolve().parents[1]
GRID = [parse_param("threshold=3000:5000:2000")]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """End a process we started and its children (its own session), politely first."""
    if proc.poll() is not None:
        return
    for sig, wait_s in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Address of a scheduler with two single-threaded worker processes, all on 127.0.0.1."""
    dask_cli = Path(sys.executable).with_name("dask")
    if not dask_cli.exists():
        pytest.fail(f"{dask_cli} is missing: the dask extra installs it")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path_factory.mktemp("dask-logs")
    # the scheduler and the workers both import this worktree's atr_model
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    commands = {
        "scheduler": [str(dask_cli), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                      "--no-dashboard"],
        "worker": [str(dask_cli), "worker", address, "--nworkers", "2", "--nthreads", "1",
                   "--no-dashboard", "--host", "127.0.0.1"],
    }
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for name, cmd in commands.items():
            with open(logs / f"{name}.log", "wb") as log:
                procs.append(subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                              start_new_session=True, cwd=tmp_path_factory.getbasetemp()))
            if name == "scheduler":
                _wait_for_port(port, procs[-1], logs / "scheduler.log")
        with distributed.Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=90)
        yield address
    finally:
        for proc in reversed(procs):
            _stop(proc)


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path, timeout_s: float = 60) -> None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(f"dask scheduler exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    pytest.fail(f"dask scheduler did not listen on port {port} within {timeout_s} s")


@pytest.mark.kgdata
def test_sweep_on_a_separate_dask_cluster_matches_the_process_pool(
        kg_dataset_path: Path, dask_cluster: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = load_scenario(ROOT / "scenarios" / "concept-2013.yaml")
    # the worker processes are daemonic: the engine may not start its group pool there
    with distributed.Client(dask_cluster, timeout=60) as client:
        allowed = client.run(decomposition.pool_allowed)
    assert len(allowed) == 2 and not any(allowed.values())

    # process-pool path: record (through fork) that each point's engine really ran its group pool
    marker = tmp_path / "pools.txt"
    original = decomposition._pool_map

    def recording_pool_map(jobs: list, workers: int) -> list | None:
        results = original(jobs, workers)
        with open(marker, "a", encoding="utf-8") as fh:
            fh.write(f"{len(jobs)} groups, {workers} workers, pool ran: {results is not None}\n")
        return results

    monkeypatch.setattr(decomposition, "_pool_map", recording_pool_map)
    pooled = run_sweep(scenario, GRID, data=str(kg_dataset_path), workers=2)
    started = marker.read_text(encoding="utf-8").splitlines()
    assert len(started) == 2 and all(line.endswith("pool ran: True") for line in started), started

    on_dask = run_sweep(scenario, GRID, data=str(kg_dataset_path), scheduler_address=dask_cluster)
    assert list(on_dask.table["population_floor"]) == [3000, 5000]
    assert (on_dask.table["error"] == "").all(), on_dask.table["error"].tolist()
    assert on_dask.table["proven_optimal"].all()
    assert on_dask.table["units_after"].iloc[1] < on_dask.table["units_after"].iloc[0]
    pd.testing.assert_frame_equal(on_dask.table, pooled.table)
