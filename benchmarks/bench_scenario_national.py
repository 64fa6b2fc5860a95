"""Benchmark: the concept-2013 national run (all Kyrgyz aiyl aimaks and towns, raion nesting).

Resolves the dataset through the cache (``dataset: kyrgyz``; set ATR_KG_DATA or keep
../shared/kg-open-data), builds the travel model, then times the scenario run (instance, exact
solve, independent check, explanations, passports). Target: solver <= 10 s wall, proven optimal.
Prints figures; the last line is one JSON object.

Usage: PYTHONPATH=. python benchmarks/bench_scenario_national.py [SCENARIO.yaml] [--data PATH|demo]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> dict:
    from atr_model.scenarios import apply_overrides, load_scenario, resolve_dataset, resolve_travel_model, run_scenario

    args = [a for a in argv if not a.startswith("--")]
    data = argv[argv.index("--data") + 1] if "--data" in argv else None
    if data is not None and data in args:
        args.remove(data)
    path = Path(args[0]) if args else ROOT / "scenarios" / "concept-2013.yaml"
    scenario = apply_overrides(load_scenario(path), dataset=data)
    t0 = time.perf_counter()
    dataset = resolve_dataset(scenario)
    t1 = time.perf_counter()
    travel = resolve_travel_model(scenario, dataset)
    t2 = time.perf_counter()
    result = run_scenario(scenario, dataset=dataset, travel_model=travel)
    t3 = time.perf_counter()
    k = result.kpis
    figures = {
        "scenario": scenario.name,
        "dataset_build_id": dataset.build_id,
        "units_before": k["units_before"],
        "units_after": k["units_after"],
        "below_floor_before_non_exempt": k["below_floor_before_non_exempt"],
        "below_floor_after_non_exempt": k["below_floor_after_non_exempt"],
        "groups": len(set(result.bundle.instance.group)),
        "dataset_seconds": round(t1 - t0, 2),
        "travel_model_seconds": round(t2 - t1, 2),
        "run_seconds": round(t3 - t2, 2),
        "solver_seconds": k["solver"]["seconds"],
        "proven_optimal": k["solver"]["proven_optimal"],
        "gap": k["solver"]["gap"],
        "contiguity_method": k["solver"]["contiguity_method"],
        "target_solver_seconds": 10.0,
    }
    for key, value in figures.items():
        print(f"{key:>22}: {value}")
    return figures


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
