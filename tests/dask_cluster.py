"""A separately started Dask cluster for tests: ``dask scheduler`` and ``dask worker --nworkers 2
--nthreads 1`` as subprocesses on 127.0.0.1, importing this worktree's ``atr_model``.

Use it from a test module with ``from dask_cluster import dask_cluster  # noqa: F401`` (a
module-scoped fixture yielding the scheduler address); the finalizer ends both processes and their
children. Needs the ``dask`` extra (``distributed``): without it the test skips locally and FAILS on
CI (``CI=true``), where ``./setup.sh`` installs the extra. The fixture is ready once the client
sees both workers (``Client.wait_for_workers``); nothing waits a fixed time.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]

__all__ = ["dask_cluster", "require_distributed"]

#: Set by CI (.ci/run exports CI=true): a missing extra is then an error in the set-up, not a skip.
ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


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


def require_distributed() -> ModuleType:
    """``distributed``, or skip the test (locally) / fail it (on CI) when the dask extra is missing."""
    try:
        import distributed
    except ImportError:
        message = "the dask extra (distributed) is not installed; ./setup.sh installs it"
        if ON_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return distributed


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Address of a scheduler with two single-threaded worker processes, all on 127.0.0.1."""
    distributed = require_distributed()
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
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        # the workers retry until the scheduler listens, and so does the client below
        for name, cmd in commands.items():
            with open(logs / f"{name}.log", "wb") as log:
                procs[name] = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                               start_new_session=True, cwd=tmp_path_factory.getbasetemp())
        try:
            with distributed.Client(address, timeout=60) as client:
                client.wait_for_workers(2, timeout=90)
        except (OSError, distributed.TimeoutError) as exc:
            pytest.fail(f"dask cluster at {address} not ready: {exc}\n{_log_tails(procs, logs)}", pytrace=False)
        yield address
    finally:
        for proc in reversed(procs.values()):
            _stop(proc)


def _log_tails(procs: dict[str, subprocess.Popen[bytes]], logs: Path) -> str:
    """Each process's exit code (if it ended) and the end of its log, for the failure message."""
    return "\n".join(
        f"{name} ({'running' if proc.poll() is None else f'exited with {proc.returncode}'}): "
        f"{(logs / f'{name}.log').read_text(errors='replace')[-1500:]}"
        for name, proc in procs.items()
    )
