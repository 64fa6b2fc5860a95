"""Bounded resources (issue 26, finding 5 and build item 4).

* The CLI refuses, at once and in one line, a sweep or a robustness run over its limit (a sweep
  of a billion points reached 5.6 GB in 21 s, a billion draws 6.5 GB), and a scheduler address
  that is no Dask scheduler (an HTTP port gave a "3.07 EiB" MemoryError or a hang).
* The app refuses an upload over its limit with a readable message (a 150 MB upload was taken).
* The app's solves wait in one server-wide queue that tells a waiting session its place, and
  identical scenarios asked for by two sessions at once are solved once and shared.

The CLI runs in a separate interpreter with its address space capped and a timeout, so that a
regression fails the test instead of taking the shared machine's memory.
"""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from atr_model.errors import ScenarioError
from atr_model.presentation.app import results
from atr_model.presentation.app.server import PAGE_SCRIPT
from atr_model.scenarios import load_scenario, parse_param

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "scenarios" / "demo.yaml"
#: Address space of a CLI run in these tests: far above what a refused command needs (about
#: 1 GB of mappings for the imports), far below what an unbounded sweep or draw list takes.
CLI_MEMORY = 3 * 1024**3


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CLI_MEMORY, CLI_MEMORY))


def _cli(*args: str, timeout: float = 60, **env: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """``atr-model ARGS`` in a separate, memory-capped interpreter: (result, seconds)."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "atr_model", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env}, preexec_fn=_cap_memory, check=False,
    )
    return done, time.monotonic() - started


def _error_lines(stderr: str) -> list[str]:
    """The lines of stderr that are not a progress bar's."""
    return [line for line in stderr.replace("\r", "\n").splitlines() if line.strip() and "it/s]" not in line
            and "run/s]" not in line and "?run" not in line]


# ---------------------------------------------------------------------------------------------
# CLI limits


def test_a_billion_point_sweep_is_refused_at_once_with_the_count_and_the_limit(tmp_path: Path) -> None:
    done, seconds = _cli("sweep", str(DEMO), "--param", "threshold=0:1000000000:1", "--out", str(tmp_path / "sweep"))
    assert done.returncode == 1, done.stderr[-500:]
    assert _error_lines(done.stderr) == [
        "error: sweep: 1,000,000,001 points exceed the limit of 1,000 (narrow the --param ranges, "
        "or raise it with --max-points or ATR_MAX_SWEEP_POINTS)"
    ]
    assert seconds < 30
    assert not (tmp_path / "sweep").exists()


def test_the_sweep_limit_counts_the_whole_grid_and_is_settable(monkeypatch: pytest.MonkeyPatch) -> None:
    # two parameters of 40 values each: each passes, their 1,600-point grid does not
    from atr_model.scenarios import limits, run_sweep

    params = [parse_param("threshold=1000:40000:1000"), parse_param("travel=10:400:10")]
    with pytest.raises(ScenarioError, match="1,600 points exceed the limit of 1,000"):
        run_sweep(load_scenario(DEMO), params)
    monkeypatch.setenv("ATR_MAX_SWEEP_POINTS", "5")
    assert limits().sweep_points == 5
    with pytest.raises(ScenarioError, match="6 points exceed the limit of 5"):
        parse_param("threshold=1000:6000:1000")
    assert len(parse_param("threshold=1000:6000:1000", max_points=6)[1]) == 6  # the option overrides
    monkeypatch.setenv("ATR_MAX_SWEEP_POINTS", "many")
    with pytest.raises(ScenarioError, match="ATR_MAX_SWEEP_POINTS='many'"):
        limits()


def test_a_billion_draws_are_refused_before_the_nominal_run(tmp_path: Path) -> None:
    done, seconds = _cli("robustness", str(DEMO), "--draws", "1000000000", "--quiet", "--out", str(tmp_path / "rob"))
    assert done.returncode == 1, done.stderr[-500:]
    assert _error_lines(done.stderr) == [
        "error: robustness: 1,000,000,000 draws exceed the limit of 10,000 (raise it with --max-draws or ATR_MAX_DRAWS)"
    ]
    assert seconds < 30
    assert not (tmp_path / "rob").exists()


def test_max_draws_raises_the_limit_for_one_command() -> None:
    from atr_model.scenarios import check_draws

    check_draws(20_000, 20_000)
    with pytest.raises(ScenarioError, match="20,001 draws exceed the limit of 20,000"):
        check_draws(20_001, 20_000)


@pytest.fixture
def http_port() -> Iterator[int]:
    """A local server speaking HTTP: it waits for a request, as a web server (or Dask's
    dashboard) does, and answers 400 to anything."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                try:
                    if conn.recv(4096):
                        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                    stop.wait(0.5)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join(timeout=5)
    server.close()


@pytest.fixture
def chatty_port() -> Iterator[int]:
    """A local server that greets every connection in HTTP at once (what made Dask read a 3.07 EiB
    frame length)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                try:
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                    stop.wait(3)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join(timeout=5)
    server.close()


def _sweep_on(address: str, wait_s: int = 2) -> tuple[subprocess.CompletedProcess[str], float]:
    pytest.importorskip("distributed")
    return _cli("sweep", str(DEMO), "--param", "threshold=3000", "--scheduler-address", address,
                "--out", "/nonexistent-not-written", timeout=60, ATR_SCHEDULER_TIMEOUT=str(wait_s))


def test_a_scheduler_address_on_an_http_port_is_one_line_within_seconds(http_port: int) -> None:
    done, seconds = _sweep_on(f"tcp://127.0.0.1:{http_port}")
    assert done.returncode == 1
    assert _error_lines(done.stderr) == [
        f"error: sweep: the Dask scheduler at 'tcp://127.0.0.1:{http_port}' did not answer as a Dask scheduler "
        "within 2 s (is it another kind of server, e.g. the dashboard's HTTP port?)"
    ]
    assert seconds < 40  # the interpreter's start and imports, then 2 s: a hang ends in the 60 s timeout


def test_a_scheduler_address_that_greets_in_http_is_one_line_not_a_memory_error(chatty_port: int) -> None:
    done, seconds = _sweep_on(f"tcp://127.0.0.1:{chatty_port}", wait_s=10)  # it answers: no wait
    assert done.returncode == 1
    assert _error_lines(done.stderr) == [
        f"error: sweep: the Dask scheduler at 'tcp://127.0.0.1:{chatty_port}' answered as an HTTP server, "
        "not as a Dask scheduler"
    ]
    assert "MemoryError" not in done.stderr and seconds < 30


@pytest.mark.parametrize(("address", "says"), [
    ("tcp://127.0.0.1:notaport", "the port must be a number from 1 to 65535"),
    ("tcp://127.0.0.1:99999", "the port must be a number from 1 to 65535"),
    ("ftp://127.0.0.1:21", "unknown scheme 'ftp'"),
    ("tcp://:8786", "is not a scheduler address"),
])
def test_a_garbage_scheduler_address_is_refused_before_connecting(address: str, says: str) -> None:
    pytest.importorskip("distributed")
    from atr_model.scenarios import run_sweep

    started = time.monotonic()
    with pytest.raises(ScenarioError, match=says) as caught:
        run_sweep(load_scenario(DEMO), [("criteria.population_floor", [3000])], scheduler_address=address)
    assert "\n" not in str(caught.value) and time.monotonic() - started < 5


# ---------------------------------------------------------------------------------------------
# app: uploads


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("ATR_APP_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("ATR_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def test_an_upload_over_the_limit_is_refused_in_the_app(app_env: Path) -> None:
    from streamlit.testing.v1 import AppTest

    # a valid scenario, padded with a YAML comment past the 5 MB limit: only its size is wrong
    big = DEMO.read_bytes() + b"\n#" + b"x" * (6 * 1024 * 1024)
    at = AppTest.from_file(str(PAGE_SCRIPT), default_timeout=120).run()
    at.file_uploader(key="upload").set_value(("big.yaml", big, "application/x-yaml")).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["big.yaml is 6.0 MB: files up to 5 MB are accepted"]
    assert at.session_state["uploaded"] is None  # nothing of it is kept in the session
    config = (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    assert "maxUploadSize = 5" in config  # the server refuses bigger requests before the page sees them


# ---------------------------------------------------------------------------------------------
# app: one queue of solves, identical scenarios solved once


class Solves(list[str]):
    """The solves run_or_reuse started (scenario names); ``entered`` is set when one starts."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()


@pytest.fixture
def counted_solves(monkeypatch: pytest.MonkeyPatch) -> Solves:
    """Every solve run_or_reuse starts, each held 0.8 s so that runs overlap."""
    started = Solves()
    real = results.run_scenario

    def slow_run(scenario, *args, **kwargs):  # type: ignore[no-untyped-def]
        started.append(scenario.name)
        started.entered.set()
        time.sleep(0.8)
        return real(scenario, *args, **kwargs)

    monkeypatch.setattr(results, "run_scenario", slow_run)
    return started


def _in_threads(*calls) -> list[object]:  # type: ignore[no-untyped-def]
    out: list[object] = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def go(k: int) -> None:
        barrier.wait()
        try:
            out[k] = calls[k]()
        except Exception as exc:  # the test reads it
            out[k] = exc

    threads = [threading.Thread(target=go, args=(k,)) for k in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return out


def test_the_same_scenario_asked_by_two_sessions_at_once_is_solved_once(
    demo_dataset, counted_solves: Solves, tmp_path: Path,
) -> None:
    scenario = load_scenario(DEMO)
    steps: list[list[str]] = [[], []]
    folders = _in_threads(*(
        (lambda k=k: results.run_or_reuse(scenario, demo_dataset, out_root=tmp_path, progress=steps[k].append))
        for k in range(2)
    ))
    assert counted_solves == [scenario.name]
    assert folders[0] == folders[1] and isinstance(folders[0], Path)
    assert (folders[0] / "kpis.json").exists()
    # the session that waited was told why, and it never solved
    waited = [s for s in steps if "shared" in s]
    assert len(waited) == 1 and "solve" not in waited[0]


def test_the_same_scenario_asked_by_two_users_is_solved_once_and_each_keeps_a_private_copy(
    demo_dataset, counted_solves: Solves, tmp_path: Path,
) -> None:
    scenario = load_scenario(DEMO)
    shared, alice, bob = tmp_path / "shared", tmp_path / "alice", tmp_path / "bob"
    folders = _in_threads(*(
        (lambda root=root: results.run_or_reuse(scenario, demo_dataset, out_root=root, shared=shared))
        for root in (alice, bob)
    ))
    assert counted_solves == [scenario.name]
    assert [Path(f).relative_to(tmp_path).parts[0] for f in folders] == ["alice", "bob"]  # type: ignore[arg-type]
    for folder in folders:
        assert results.result_problems(Path(folder)) == []  # type: ignore[arg-type]
        assert (Path(folder) / "assignments.csv").read_bytes() == (  # type: ignore[arg-type]
            results.result_folder(scenario, demo_dataset, shared) / "assignments.csv").read_bytes()


def test_a_waiting_solve_is_told_its_place_in_the_queue(
    demo_dataset, counted_solves: Solves, tmp_path: Path,
) -> None:
    from atr_model.scenarios import apply_overrides

    base = load_scenario(DEMO)
    scenarios = [base, *(apply_overrides(base, **{"criteria.population_floor": floor}) for floor in (2000, 3000))]
    queue = results.SolveQueue(1)
    places: list[list[int]] = [[], [], []]

    def run(k: int) -> Path:
        if k:
            counted_solves.entered.wait(10)  # the first holds the only slot
            time.sleep(0.15 * k)  # the second, then the third, join the queue
        return results.run_or_reuse(scenarios[k], demo_dataset, out_root=tmp_path, queue=queue,
                                    on_wait=places[k].append)

    folders = _in_threads(*((lambda k=k: run(k)) for k in range(3)))
    assert all(isinstance(f, Path) and (f / "kpis.json").exists() for f in folders), folders
    assert len(counted_solves) == 3
    assert places[0] == []  # a free slot: no waiting
    assert places[1] == [1]  # next in line
    assert places[2] == [2, 1]  # behind the second, then next
    assert queue.running == 0 and queue.waiting == 0


def test_the_queue_bounds_solves_at_once() -> None:
    from atr_model.scenarios import limits

    queue = results.SolveQueue(2)
    inside, most = [0], [0]
    guard = threading.Lock()

    def work() -> None:
        with queue.slot():
            with guard:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.1)
            with guard:
                inside[0] -= 1

    _in_threads(*([work] * 6))
    assert most[0] == 2
    assert limits().app_solves >= 1 and results.SOLVES.slots == limits().app_solves


def test_the_page_shows_a_waiting_session_its_place(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    queue = results.SolveQueue(1)
    monkeypatch.setattr(results, "SOLVES", queue)
    held, release = threading.Event(), threading.Event()
    # what the run's status box says (the page reruns when the run is done, so the box is gone then)
    said: list[str] = []
    real_status = st.status

    def recording_status(*args, **kwargs):  # type: ignore[no-untyped-def]
        box = real_status(*args, **kwargs)
        write = box.write

        def say(*lines, **kw):  # type: ignore[no-untyped-def]
            said.extend(str(line) for line in lines)
            return write(*lines, **kw)

        box.write = say  # type: ignore[method-assign]
        return box

    monkeypatch.setattr(st, "status", recording_status)

    def other_session() -> None:  # another user's solve holds the only slot for a second
        with queue.slot():
            held.set()
            release.wait(60)

    at = AppTest.from_file(str(PAGE_SCRIPT), default_timeout=120).run()
    def release_when_the_page_waits() -> None:
        deadline = time.monotonic() + 60
        while queue.waiting < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        release.set()

    holder = threading.Thread(target=other_session)
    holder.start()
    held.wait(10)
    threading.Thread(target=release_when_the_page_waits, daemon=True).start()
    at.button(key="run").click().run()
    holder.join(10)
    assert "Waiting for a free solver: place 1 in the queue" in said, said
    assert said.index("Waiting for a free solver: place 1 in the queue") < said.index("Optimising (exact solve)")
    assert not at.error and at.session_state["result_folder"]
