"""Benchmark: robustness ensembles on the Kyrgyz build (issue 14).

For each scenario (default ``concept-2013`` and ``national-231``), times ``N`` draws (default
200) in a process pool of 2 workers and on a Dask ``LocalCluster`` with 2 worker processes,
and checks the two give byte-identical tables. The dataset and travel model are resolved once
(through the cache) and reused. Records the load average, since other jobs share the machine.
Target: 200 draws of concept-2013 in at most 5 minutes on 2 cores. Prints figures; the last
line is one JSON object.

Usage: PYTHONPATH=. python benchmarks/bench_robustness.py [--draws 200] [--seed 1] [--no-dask]
       [--scenario scenarios/concept-2013.yaml ...] [--data PATH|demo] [--warm-start auto|on|off]
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SCENARIOS = ("concept-2013.yaml", "national-231.yaml")


def _arg(argv: list[str], name: str, default: Any) -> Any:
    return argv[argv.index(name) + 1] if name in argv else default


def _tables_equal(a: Path, b: Path) -> bool:
    from atr_model.scenarios.robustness import ROBUSTNESS_FILES

    return all((a / n).read_bytes() == (b / n).read_bytes() for n in ROBUSTNESS_FILES)


#: ``--warm-start`` values -> ``run_robustness(warm_start=...)`` (auto: on where draws are solved by raion)
_WARM = {"auto": None, "on": True, "off": False}


def _one(path: Path, draws: int, seed: int, data: str | None, use_dask: bool, tmp: Path,
         warm: bool | None = None) -> dict[str, Any]:
    from atr_model.scenarios import apply_overrides, load_scenario, resolve_dataset, resolve_travel_model
    from atr_model.scenarios.robustness import run_robustness, write_robustness

    scenario = apply_overrides(load_scenario(path), dataset=data)
    dataset = resolve_dataset(scenario)
    travel = resolve_travel_model(scenario, dataset)
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    pool = run_robustness(scenario, draws=draws, seed=seed, dataset=dataset, travel_model=travel, workers=2,
                          warm_start=warm)
    pool_s = time.perf_counter() - t0
    out: dict[str, Any] = {
        "scenario": scenario.name,
        "draws": draws,
        "seed": seed,
        "pool_wall_s": round(pool_s, 1),
        "pool_draws_s": pool.timings["draws_s"],
        "pool_per_draw_s": pool.timings["per_draw_s"],
        "draw_solve_cpu_s": pool.timings["draw_solve_cpu_s"],
        "warm_start": pool.timings.get("warm_start"),
        "starts_used": pool.timings.get("starts_used"),
        "starts_dropped": pool.timings.get("starts_dropped"),
        "nominal_s": pool.timings["nominal_s"],
        "groups_solved": int(pool.regret["groups_solved"].sum()),
        "groups_reused": int(pool.regret["groups_reused"].sum()),
        "groups_alone": int(pool.regret["groups_alone"].sum()),
        "new_units_nominal": pool.summary["new_units_nominal"],
        "new_units_stable_80": pool.summary["new_units_stable"],
        "merged_new_units_stable_80": f"{pool.summary['merged_new_units_stable']}/{pool.summary['merged_new_units_nominal']}",
        "decisions_fragile": pool.summary["decisions_fragile"],
        "draws_failed": pool.summary["draws_failed"],
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after_pool": [round(x, 2) for x in os.getloadavg()],
        "target_s": 300.0 if scenario.name == "concept-2013" else None,
    }
    pool_dir = write_robustness(pool, tmp / f"{scenario.name}-pool")
    from atr_model.presentation.cli_robustness import summary_lines

    for line in summary_lines(pool):  # the notes of issue 14 (stable units, fragile decisions)
        print(line, flush=True)
    if use_dask:
        import distributed

        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster:
            t0 = time.perf_counter()
            dask = run_robustness(scenario, draws=draws, seed=seed, dataset=dataset, travel_model=travel,
                                  scheduler_address=cluster.scheduler_address, warm_start=warm)
            dask_s = time.perf_counter() - t0
        dask_dir = write_robustness(dask, tmp / f"{scenario.name}-dask")
        out.update(dask_wall_s=round(dask_s, 1), dask_draws_s=dask.timings["draws_s"],
                   dask_per_draw_s=dask.timings["per_draw_s"], dask_same_tables=_tables_equal(pool_dir, dask_dir),
                   loadavg_after_dask=[round(x, 2) for x in os.getloadavg()])
    return out


def main(argv: list[str]) -> dict[str, Any]:
    draws = int(_arg(argv, "--draws", 200))
    seed = int(_arg(argv, "--seed", 1))
    data = _arg(argv, "--data", None)
    names = [argv[i + 1] for i, a in enumerate(argv) if a == "--scenario"]
    paths = [Path(n) for n in names] or [ROOT / "scenarios" / n for n in DEFAULT_SCENARIOS]
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-robustness-") as tmp:
        for path in paths:
            figures = _one(path, draws, seed, data, "--no-dask" not in argv, Path(tmp),
                           _WARM[_arg(argv, "--warm-start", "auto")])
            for key, value in figures.items():
                print(f"{key:>28}: {value}", flush=True)
            results.append(figures)
    return {"benchmark": "robustness", "cpu_count": os.cpu_count(), "results": results}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
