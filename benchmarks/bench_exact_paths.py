"""Benchmark: the exact phase's two paths side by side (issue 25), in the same run.

``cut_loop`` (HiGHS, re-solving after each round of separator cuts; the default) against ``scip``
(one SCIP branch-and-cut with the cuts as lazy constraints; needs PySCIPOpt) on published county
instances (``validi-counties``) and on groups of the scale benchmark (``bench_scale.py``). Each
instance is solved by both paths one after the other; wall and CPU seconds are recorded (CPU
seconds matter on a shared machine), with the load average before and after. Last line: one JSON
object.

Usage: PYTHONPATH=. python benchmarks/bench_exact_paths.py [--states MS,AR,NE] [--scale D0003,R01]
       [--time-limit 600]
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "benchmarks"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from bench_published_optima import DEFAULT_DIR, STATES, published_optima  # noqa: E402

from atr_model.optimisation import EngineSettings, MergerInstance, MergerModel  # noqa: E402
from atr_model.optimisation.io import read_instance_dir  # noqa: E402

PATHS = ("cut_loop", "scip")


def _solve(instance: MergerInstance, settings: EngineSettings) -> dict[str, Any]:
    t0, c0 = time.perf_counter(), time.process_time()
    result = MergerModel(instance, settings).solve()
    return {"seconds": round(time.perf_counter() - t0, 2), "cpu_s": round(time.process_time() - c0, 2),
            "proven": bool(result.proven_optimal), "objective": result.objective,
            "gap": None if result.gap != result.gap else round(result.gap, 6), "rounds": result.cut_rounds}


def _instances(states: list[str], scale: list[str], limit: float) -> list[tuple[str, MergerInstance, EngineSettings,
                                                                               float | None]]:
    out: list[tuple[str, MergerInstance, EngineSettings, float | None]] = []
    published = published_optima(DEFAULT_DIR, "cut")
    for st in states:
        bench = read_instance_dir(DEFAULT_DIR / "data" / st, k=STATES[st])
        out.append((st, bench.instance, bench.settings(contiguity="cuts", time_limit_s=limit), published.get(st)))
    if scale:
        import bench_scale

        country = bench_scale.scale_country(1000, 0)
        for code in scale:
            out.append((f"scale-1000/{code}", bench_scale.group_instance(country, code),
                        bench_scale.engine_settings(limit), None))
    return out


def main(argv: list[str]) -> dict[str, Any]:
    def arg(name: str, default: str) -> str:
        return argv[argv.index(name) + 1] if name in argv else default

    states = [s for s in arg("--states", "MS,AR,NE").split(",") if s]
    scale = [s for s in arg("--scale", "").split(",") if s]
    limit = float(arg("--time-limit", "600"))
    rows = []
    for name, inst, settings, published in _instances(states, scale, limit):
        row: dict[str, Any] = {"instance": name, "n": inst.n, "published": published,
                               "load_before": [round(x, 2) for x in os.getloadavg()]}
        for path in PATHS:
            row[path] = _solve(inst, settings.replace(exact_path=path))
        row["cpu_ratio_scip_over_loop"] = round(row["scip"]["cpu_s"] / max(row["cut_loop"]["cpu_s"], 1e-9), 2)
        row["load_after"] = [round(x, 2) for x in os.getloadavg()]
        rows.append(row)
        print(f"{name:>18} n={inst.n:4d}  " + "  ".join(
            f"{p}: {row[p]['seconds']:7.2f} s ({row[p]['cpu_s']:7.2f} CPU s) proven={row[p]['proven']} "
            f"obj={row[p]['objective']:.6f}" for p in PATHS) + f"  load {row['load_before'][0]}", flush=True)
    return {"time_limit_s": limit, "rows": rows, "cpu_count": os.cpu_count()}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
