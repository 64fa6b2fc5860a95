"""A separately started Dask cluster for tests: ``dask scheduler`` and ``dask worker --nworkers 2
--nthreads 1`` as subprocesses on 127.0.0.1, importing this worktree's ``atr_model``.

Use it from a test module with ``from dask_cluster import dask_cluster  # noqa: F401`` (a
module-scoped fixture yielding the scheduler address); the finalizer ends both processes and their
children. Needs the ``dask`` extra (``distributed``).
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

import pytest

ROOT = Path(__file__).resolve().parents[1]

__all__ = ["dask_cluster"]


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
    distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
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
