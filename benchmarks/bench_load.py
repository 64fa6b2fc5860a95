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
[--solves K] [--timeout S] [--no-draw]``: N defaults to ``1 8 20``; ``--solves`` sets
``ATR_APP_MAX_SOLVES`` for the server; ``--no-draw`` aborts the map frames, so that the browsers
(all on this machine, which has few cores) do not draw N maps: "first map" is then the map
arriving from the server, as for users whose browsers run on their own machines. Prints figures; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
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

# Chromium runs on this machine too: its CPU (browser_cpu_s) competes with the server's, so the
# times are those of users whose browsers share the server's cores (worse than real users').

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


class TreeSampler:
    """Peak summed RSS, most processes and CPU seconds of a process tree, sampled in a thread.

    ``processes()`` gives the tree's processes at each sample (the server and its children; or
    this process's children that are not the server's: the browser and its driver). CPU is the
    sum over processes of their last seen user + system time (a process's last 0.2 s may be missed).
    """

    def __init__(self, processes: Any, every_s: float = 0.2) -> None:
        self.processes = processes
        self.every_s = every_s
        self.peak_bytes = 0
        self.peak_processes = 0
        self._cpu: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def cpu_s(self) -> float:
        return sum(self._cpu.values())

    def _sample(self) -> int:
        total, count = 0, 0
        for proc in self.processes():
            try:
                total += proc.memory_info().rss
                times = proc.cpu_times()
                self._cpu[proc.pid] = times.user + times.system
                count += 1
            except psutil.NoSuchProcess:
                continue
        self.peak_processes = max(self.peak_processes, count)
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_bytes = max(self.peak_bytes, self._sample())
            self._stop.wait(self.every_s)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


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


#: In-page check: true once the result is there (or an error shows); notes what was said meanwhile.
_RESULT_WATCH = """() => {
  const text = document.body.innerText;
  const seen = window.__atrSeen = window.__atrSeen || {};
  if (text.includes("in the queue")) seen.queued = true;
  if (text.includes("waiting to share its result")) seen.shared = true;
  if (document.querySelector('[data-testid="stException"]') || text.includes("Error:")) { seen.error = true; return true; }
  return text.includes("Scenario runs: 1");
}"""


#: The map component's frame (only these requests are routed: routing every request through the
#: driver would cost the shared cores too).
MAP_FRAME_URL = re.compile(r"streamlit_folium")


#: Style added to every page: no CSS animation or transition. Streamlit's "running" spinners
#: animate for as long as a solve runs, and N headless pages compositing them in software took
#: a core of this machine (35 CPU-s for one session that only waited): a cost of the users'
#: machines, not of the server.
_STILL = """document.addEventListener("DOMContentLoaded", () => {
  const style = document.createElement("style");
  style.textContent = "*, *::before, *::after { animation: none !important; transition: none !important; }";
  document.head.appendChild(style);
});"""


async def _no_map_frames(route: Any) -> None:
    """Abort the map component's frame: the page gets the map from the server, nobody draws it."""
    await route.abort()


async def _map_shown(page: Any, draw: bool) -> None:
    """The map is drawn (its canvas), or, with ``draw`` off, the server has sent it (its frame)."""
    if draw:
        await page.frame_locator(MAP_FRAME).first.locator(MAP_CANVAS).first.wait_for()
    else:
        await page.locator(MAP_FRAME).first.wait_for(state="attached")


async def _session(browser: Any, url: str, index: int, timeout_s: float, draw: bool) -> dict[str, Any]:
    """One user: open the page, wait for the map, press the run button, wait for the result."""
    row: dict[str, Any] = {"session": index, "first_map_s": None, "result_s": None, "error": None,
                           "queued": False, "shared": False}
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, reduced_motion="reduce")
    await context.add_init_script(_STILL)
    if not draw:
        await context.route(MAP_FRAME_URL, _no_map_frames)
    page = await context.new_page()
    page.set_default_timeout(timeout_s * 1000)
    try:
        started = time.monotonic()
        await page.goto(url)
        await _map_shown(page, draw)
        row["first_map_s"] = round(time.monotonic() - started, 2)
        await page.wait_for_selector(IDLE)
        button = page.get_by_role("button", name="Show the result of")
        pressed = time.monotonic()
        await button.click()
        # One check a second inside the page (not a round trip per note per session): N sessions
        # polling through the driver cost the shared cores more than the app itself.
        await page.wait_for_function(_RESULT_WATCH, polling=1000, timeout=timeout_s * 1000)
        seen = await page.evaluate("() => window.__atrSeen || {}")
        if seen.get("error"):
            raise RuntimeError("the page shows an error")
        row["queued"], row["shared"] = bool(seen.get("queued")), bool(seen.get("shared"))
        await _map_shown(page, draw)
        row["result_s"] = round(time.monotonic() - pressed, 2)
    except Exception as exc:  # a failed session is a figure of the benchmark, not its end
        row["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:200]
    finally:
        await context.close()
    return row


async def _sessions(url: str, n: int, timeout_s: float, draw: bool) -> list[dict[str, Any]]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            return list(await asyncio.gather(*(_session(browser, url, k, timeout_s, draw) for k in range(n))))
        finally:
            await browser.close()


def _stats(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"median": None, "max": None}
    return {"median": round(statistics.median(values), 2), "max": round(max(values), 2)}


def run_load(n: int, scenario: str, cache: Path, solves: int | None, timeout_s: float, draw: bool = True) -> dict[str, Any]:
    """Serve the app afresh, run ``n`` sessions at once, return the figures."""
    work = Path(tempfile.mkdtemp(prefix=f"atr-bench-load-{n}-"))
    server = Server(cache, work / "results", work / "streamlit.log", solves)
    try:
        healthy_s = server.wait_healthy()
        query = urllib.parse.urlencode({"dataset": "kyrgyz", "scenario": scenario, "lang": "en"})
        load_before = os.getloadavg()[0]
        server_root = psutil.Process(server.proc.pid)
        server_cpu_before = sum(p.cpu_times().user + p.cpu_times().system for p in _tree(server_root))
        me = psutil.Process()

        def browser_tree() -> list[psutil.Process]:
            served = {p.pid for p in _tree(server_root)}
            return [p for p in me.children(recursive=True) if p.pid not in served]

        with TreeSampler(lambda: _tree(server_root)) as memory, TreeSampler(browser_tree) as browser:
            started = time.monotonic()
            rows = asyncio.run(_sessions(f"{server.url}/?{query}", n, timeout_s, draw))
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
        "maps_drawn": draw,
        "queued_sessions": sum(bool(r["queued"]) for r in rows),
        "shared_sessions": sum(bool(r["shared"]) for r in rows),
        "result_folders": solved,
        "peak_memory_gb": round(memory.peak_bytes / 1e9, 2),
        "peak_processes": memory.peak_processes,
        "server_cpu_s": round(memory.cpu_s - server_cpu_before, 1),
        "browser_cpu_s": round(browser.cpu_s, 1),
        "browser_peak_memory_gb": round(browser.peak_bytes / 1e9, 2),
        "wall_s": round(wall, 1),
        "load_average_before": round(load_before, 2),
        "meets_target": (not failures and memory.peak_bytes / 1e9 <= TARGET_MEMORY_GB
                         and bool(results) and max(results) <= TARGET_RESULT_S),
        "per_session": rows,
    }


def _print(figures: dict[str, Any]) -> None:
    f = figures
    print(f"--- {f['sessions']} session(s), scenario {f['scenario']}, maps {'drawn' if f['maps_drawn'] else 'sent, not drawn'}, "
          f"load average before {f['load_average_before']}")
    print(f"  first map (s)        median {f['first_map_s']['median']}  max {f['first_map_s']['max']}")
    print(f"  result (s)           median {f['result_s']['median']}  max {f['result_s']['max']}  "
          f"(target <= {TARGET_RESULT_S:.0f})")
    print(f"  failures             {f['failures']} {f['errors'] or ''}")
    print(f"  sessions queued      {f['queued_sessions']}; told the same scenario is being solved "
          f"{f['shared_sessions']}; result folders written {f['result_folders']}")
    print(f"  server peak memory   {f['peak_memory_gb']} GB over at most {f['peak_processes']} processes "
          f"(target <= {TARGET_MEMORY_GB:.0f} GB)")
    print(f"  CPU seconds          server {f['server_cpu_s']}, browser {f['browser_cpu_s']} "
          f"(browser peak {f['browser_peak_memory_gb']} GB; wall {f['wall_s']} s on {os.cpu_count()} cores)")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sessions", nargs="*", type=int, default=[1, 8, 20], help="Concurrent sessions (each N in turn).")
    parser.add_argument("--scenario", default="national-231", help="Stem of a shipped scenario (scenarios/).")
    parser.add_argument("--solves", type=int, default=None, help="ATR_APP_MAX_SOLVES for the server.")
    parser.add_argument("--timeout", type=float, default=300.0, help="Seconds a session may wait for each step.")
    parser.add_argument("--no-draw", action="store_true",
                        help="Do not draw the maps: the figures are then the server's (its map sent), as for users "
                             "whose browsers run on their own machines, not on the server's cores.")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} not found: the benchmark drives the app in Chromium")
    cache = _cache_with_build()
    runs = []
    for n in args.sessions:
        figures = run_load(n, args.scenario, cache, args.solves, args.timeout, draw=not args.no_draw)
        _print(figures)
        runs.append(figures)
    summary = {"benchmark": "bench_load", "cpus": os.cpu_count(), "runs": [
        {k: v for k, v in r.items() if k != "per_session"} for r in runs]}
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
