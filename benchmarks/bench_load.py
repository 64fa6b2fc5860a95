"""Load benchmark of the app: N sessions at once on the real server, memory and times.

Starts the app as the README does (``streamlit run app.py`` from the repository, with its
``.streamlit/config.toml``), on 127.0.0.1 with a fresh results folder, then opens N sessions
in parallel in one headless Chromium (``/usr/bin/chromium``, N browser contexts: N users). Each
session opens the Kyrgyz build with the national scenario (``?dataset=kyrgyz&scenario=...``),
waits for the first map, presses "Show the result of ..." and waits for the result.

Measured per session: time to first map (page load to the map's canvas), time to result (from
the press to the result page) and failures; for the server: peak resident memory of its
process tree (the server and every child, e.g. solver pool workers, sampled by psutil every
0.2 s; RSS summed, so pages shared between processes count more than once) and its most
processes. Target (issue 26): 20 concurrent sessions within 4 GB, each with the national result
within 60 s, none failing.

The Kyrgyz build is read from the app's cache (``ATR_CACHE_DIR`` or the default cache); when it
is absent it is built first with the CLI from ``../shared/kg-open-data``.

Usage: ``PYTHONPATH=. python benchmarks/bench_load.py [N ...] [--scenario national-231]
[--solves K] [--timeout S]``: N defaults to ``1 8 20``; ``--solves`` sets ``ATR_APP_MAX_SOLVES``
for the server. Prints figures; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
MAP_CANVAS = ".leaflet-overlay-pane canvas, .leaflet-overlay-pane svg"
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'
TARGET_MEMORY_GB = 4.0
TARGET_RESULT_S = 60.0


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cache_with_build() -> Path:
    """The cache folder holding the Kyrgyz build; built with the CLI when it is not there."""
    from atr_model.data import default_cache_dir
    from atr_model.presentation.app import datasets

    cache = Path(default_cache_dir())
    if datasets.kyrgyz_build_path(cache).exists():
        return cache
    source = ROOT.parent / "shared" / "kg-open-data"
    out = datasets.kyrgyz_build_path(cache).parent
    print(f"building the Kyrgyz dataset from {source} into {out}")
    subprocess.run([sys.executable, "-m", "atr_model", "data", "build", "--source", str(source), "--out", str(out)],
                   check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return cache


class TreeMemory:
    """Peak summed RSS and most processes of a process and its descendants, sampled in a thread."""

    def __init__(self, pid: int, every_s: float = 0.2) -> None:
        self.root = psutil.Process(pid)
        self.every_s = every_s
        self.peak_bytes = 0
        self.peak_processes = 0
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        total, count = 0, 0
        try:
            procs = [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0
        for proc in procs:
            try:
                total += proc.memory_info().rss
                count += 1
            except psutil.NoSuchProcess:
                continue
        self.peak_processes = max(self.peak_processes, count)
        return total

    def _run(self) -> None:
        started = time.monotonic()
        while not self._stop.is_set():
            rss = self._sample()
            self.peak_bytes = max(self.peak_bytes, rss)
            self.samples.append((time.monotonic() - started, rss))
            self._stop.wait(self.every_s)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class Server:
    """``streamlit run app.py`` from the repository on a free port, stopped on exit."""

    def __init__(self, cache: Path, results: Path, log: Path, solves: int | None) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "ATR_CACHE_DIR": str(cache), "ATR_APP_RESULTS": str(results), "PYTHONPATH": str(ROOT)}
        if solves:
            env["ATR_APP_MAX_SOLVES"] = str(solves)
        self._log = open(log, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )

    def wait_healthy(self, timeout_s: float = 120.0) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout_s:
            try:
                if urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2).read() == b"ok":
                    return time.monotonic() - started
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the server did not become healthy within {timeout_s:.0f} s (log: {self._log.name})")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()


async def _session(browser: Any, url: str, index: int, timeout_s: float) -> dict[str, Any]:
    """One user: open the page, wait for the map, press the run button, wait for the result."""
    row: dict[str, Any] = {"session": index, "first_map_s": None, "result_s": None, "error": None, "queued": False}
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    page.set_default_timeout(timeout_s * 1000)
    try:
        started = time.monotonic()
        await page.goto(url)
        await page.frame_locator(MAP_FRAME).first.locator(MAP_CANVAS).first.wait_for()
        row["first_map_s"] = round(time.monotonic() - started, 2)
        await page.wait_for_selector(IDLE)
        button = page.get_by_role("button", name="Show the result of")
        pressed = time.monotonic()
        await button.click()
        queue_note = page.get_by_text("in the queue")
        done = page.get_by_text("Scenario runs: 1")
        while not await done.count():
            if not row["queued"] and await queue_note.count():
                row["queued"] = True
            if await page.get_by_test_id("stException").count() or await page.get_by_text("Error:").count():
                raise RuntimeError("the page shows an error")
            if time.monotonic() - pressed > timeout_s:
                raise TimeoutError(f"no result within {timeout_s:.0f} s")
            await asyncio.sleep(0.25)
        await page.frame_locator(MAP_FRAME).first.locator(MAP_CANVAS).first.wait_for()
        row["result_s"] = round(time.monotonic() - pressed, 2)
    except Exception as exc:  # a failed session is a figure of the benchmark, not its end
        row["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:200]
    finally:
        await context.close()
    return row


async def _sessions(url: str, n: int, timeout_s: float) -> list[dict[str, Any]]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            return list(await asyncio.gather(*(_session(browser, url, k, timeout_s) for k in range(n))))
        finally:
            await browser.close()


def _stats(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"median": None, "max": None}
    return {"median": round(statistics.median(values), 2), "max": round(max(values), 2)}


def run_load(n: int, scenario: str, cache: Path, solves: int | None, timeout_s: float) -> dict[str, Any]:
    """Serve the app afresh, run ``n`` sessions at once, return the figures."""
    work = Path(tempfile.mkdtemp(prefix=f"atr-bench-load-{n}-"))
    server = Server(cache, work / "results", work / "streamlit.log", solves)
    try:
        healthy_s = server.wait_healthy()
        query = urllib.parse.urlencode({"dataset": "kyrgyz", "scenario": scenario, "lang": "en"})
        load_before = os.getloadavg()[0]
        with TreeMemory(server.proc.pid) as memory:
            started = time.monotonic()
            rows = asyncio.run(_sessions(f"{server.url}/?{query}", n, timeout_s))
            wall = time.monotonic() - started
        solved = len(list((work / "results").rglob("kpis.json")))
    finally:
        server.stop()
    firsts = [r["first_map_s"] for r in rows if r["first_map_s"] is not None]
    results = [r["result_s"] for r in rows if r["result_s"] is not None]
    failures = [r for r in rows if r["error"]]
    return {
        "sessions": n,
        "scenario": scenario,
        "solves_at_once": solves,
        "server_healthy_s": round(healthy_s, 2),
        "first_map_s": _stats(firsts),
        "result_s": _stats(results),
        "failures": len(failures),
        "errors": sorted({r["error"] for r in failures})[:5],
        "queued_sessions": sum(bool(r["queued"]) for r in rows),
        "result_folders": solved,
        "peak_memory_gb": round(memory.peak_bytes / 1e9, 2),
        "peak_processes": memory.peak_processes,
        "wall_s": round(wall, 1),
        "load_average_before": round(load_before, 2),
        "meets_target": (not failures and memory.peak_bytes / 1e9 <= TARGET_MEMORY_GB
                         and bool(results) and max(results) <= TARGET_RESULT_S),
        "per_session": rows,
    }


def _print(figures: dict[str, Any]) -> None:
    f = figures
    print(f"--- {f['sessions']} session(s), scenario {f['scenario']}, load average before {f['load_average_before']}")
    print(f"  first map (s)        median {f['first_map_s']['median']}  max {f['first_map_s']['max']}")
    print(f"  result (s)           median {f['result_s']['median']}  max {f['result_s']['max']}  "
          f"(target <= {TARGET_RESULT_S:.0f})")
    print(f"  failures             {f['failures']} {f['errors'] or ''}")
    print(f"  sessions queued      {f['queued_sessions']}; result folders written {f['result_folders']}")
    print(f"  server peak memory   {f['peak_memory_gb']} GB over at most {f['peak_processes']} processes "
          f"(target <= {TARGET_MEMORY_GB:.0f} GB)")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sessions", nargs="*", type=int, default=[1, 8, 20], help="Concurrent sessions (each N in turn).")
    parser.add_argument("--scenario", default="national-231", help="Stem of a shipped scenario (scenarios/).")
    parser.add_argument("--solves", type=int, default=None, help="ATR_APP_MAX_SOLVES for the server.")
    parser.add_argument("--timeout", type=float, default=300.0, help="Seconds a session may wait for each step.")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} not found: the benchmark drives the app in Chromium")
    cache = _cache_with_build()
    runs = []
    for n in args.sessions:
        figures = run_load(n, args.scenario, cache, args.solves, args.timeout)
        _print(figures)
        runs.append(figures)
    summary = {"benchmark": "bench_load", "cpus": os.cpu_count(), "runs": [
        {k: v for k, v in r.items() if k != "per_session"} for r in runs]}
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
