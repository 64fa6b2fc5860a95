"""Warm-run benchmark of ``atr-model run`` (issue 22): the national Concept 2013 run, first and again.

Runs the real console script (``atr-model`` of the interpreter's environment; this checkout
first on ``PYTHONPATH``) in a fresh output folder:

1. ``first``: the first run with its report (the Kyrgyz build and the travel model are taken
   from the cache when they are current; a stale cache is rebuilt first and not timed);
2. ``reused``: the same command again: the package is up to date and reused (target: <= 2 s
   wall end to end on an idle machine);
3. ``rerun``: ``--rerun --no-report`` into a second folder, twice (the second with every cache
   warm): a re-solve with the cached travel model;
4. ``rerun_report``: ``--rerun`` with the report.

Each step is timed as wall and CPU (user + system of the child) seconds, with the 1-minute load
average before and after it and whether ``PYTHONDONTWRITEBYTECODE`` is set (then every module of
the package is compiled again on each start). Times on a shared machine are inflated: compare
the wall time with the CPU time and the load.

Usage: ``PYTHONPATH=. python benchmarks/bench_warm_run.py [--scenario PATH] [--data kyrgyz]
[--repeat N] [--code DIR]`` (``--code``: the checkout whose package runs, e.g. the main branch's
as a baseline in the same session). Prints one line per step; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET_REUSED_S = 2.0


def _console_script() -> list[str]:
    """The installed ``atr-model`` script beside this interpreter (else ``python -m atr_model``)."""
    script = Path(sys.executable).parent / "atr-model"
    return [str(script)] if script.exists() else [sys.executable, "-m", "atr_model"]


def _timed(command: list[str], cwd: Path, code: Path = ROOT) -> dict[str, Any]:
    """Run ``command`` with the package of ``code``; its wall and CPU seconds, the load around it
    and its last output line."""
    load_before = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": str(code)})
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = done.stdout.strip().splitlines()
    return {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "load_before": round(load_before, 2),
            "load_after": round(os.getloadavg()[0], 2), "said": lines[-1] if lines else ""}


def main(argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "concept-2013.yaml")
    parser.add_argument("--data", default="kyrgyz")
    parser.add_argument("--repeat", type=int, default=5,
                        help="Times the reused run is repeated (the fastest is reported, with the median).")
    parser.add_argument("--code", type=Path, default=ROOT,
                        help="Checkout whose package runs (default this one; e.g. another worktree as a baseline).")
    args = parser.parse_args(argv)
    code = args.code.resolve()
    run = [*_console_script(), "run", str(args.scenario.resolve()), "--data", args.data, "-q"]
    work = Path(tempfile.mkdtemp(prefix="bench-warm-"))
    steps: dict[str, Any] = {}
    try:
        # caches (dataset build, travel model) current before anything is timed
        _timed([*run, "--out", "warmup", "--no-report"], work, code)
        steps["first"] = _timed([*run, "--out", "result"], work, code)
        reused = [_timed([*run, "--out", "result"], work, code) for _ in range(max(1, args.repeat))]
        if not all(r["said"].startswith("reused") for r in reused):
            raise SystemExit(f"the second run was not reused: {reused[-1]['said']}")
        steps["reused"] = min(reused, key=lambda r: r["wall_s"])
        steps["reused_all_wall_s"] = [r["wall_s"] for r in reused]
        steps["reused_median_wall_s"] = statistics.median(steps["reused_all_wall_s"])
        _timed([*run, "--out", "rerun", "--no-report", "--rerun"], work, code)
        steps["rerun"] = _timed([*run, "--out", "rerun", "--no-report", "--rerun"], work, code)
        steps["rerun_report"] = _timed([*run, "--out", "rerun", "--rerun"], work, code)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for name in ("first", "reused", "rerun", "rerun_report"):
        step = steps[name]
        print(f"{name:13s} wall {step['wall_s']:6.2f} s  cpu {step['cpu_s']:6.2f} s  "
              f"load {step['load_before']:.2f} -> {step['load_after']:.2f}")
    return {
        "benchmark": "warm_run",
        "scenario": args.scenario.name,
        "data": args.data,
        "code": str(code),
        "pythondontwritebytecode": bool(os.environ.get("PYTHONDONTWRITEBYTECODE")),
        "cpus": os.cpu_count(),
        **steps,
        "target_reused_wall_s": TARGET_REUSED_S,
        "reused_within_target": steps["reused"]["wall_s"] <= TARGET_REUSED_S,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
