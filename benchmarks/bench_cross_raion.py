"""Benchmark: one oblast in cross-raion mode (target <= 60 s, issue 4 item 8).

Builds the ``scenarios/cross-raion.yaml`` instance on the Kyrgyz build (nesting = oblast, so
new units may cross raion lines), restricts it to one oblast with ``MergerInstance.subset``
(default: the oblast with the most units; ``--oblast CODE`` picks another), and times the exact
solve. Prints figures; the last line is one JSON object.

Usage: PYTHONPATH=. python benchmarks/bench_cross_raion.py [--oblast CODE] [--all]
``--all`` times every oblast in turn.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_S = 60.0


def _solve(instance: Any, settings: Any) -> dict[str, Any]:
    from atr_model.optimisation import MergerModel, check_plan

    t0 = time.perf_counter()
    result = MergerModel(instance, settings).solve()
    seconds = time.perf_counter() - t0
    assignment = np.asarray(result.assignment, dtype=np.int64)
    hard = [v for v in check_plan(instance, assignment, settings) if v.hard]
    gap = result.gap if result.gap is not None and np.isfinite(result.gap) else None
    return {
        "units": instance.n,
        "raions": None,
        "units_after": int(np.unique(assignment).size),
        "seconds": round(seconds, 2),
        "proven_optimal": bool(result.proven_optimal),
        "gap": None if gap is None else round(float(gap), 6),
        "contiguity_method": result.contiguity_method,
        "check_hard": len(hard),
        "within_target": seconds <= TARGET_S,
    }


def main(argv: list[str]) -> dict[str, Any]:
    from atr_model.scenarios import build_instance, engine_settings, load_scenario, resolve_dataset, resolve_travel_model

    scenario = load_scenario(ROOT / "scenarios" / "cross-raion.yaml")
    t0 = time.perf_counter()
    dataset = resolve_dataset(scenario)
    travel = resolve_travel_model(scenario, dataset)
    bundle = build_instance(dataset, travel, scenario.criteria, level=scenario.level)
    settings = engine_settings(scenario.criteria, scenario.solver)
    prep_s = time.perf_counter() - t0
    units = bundle.units.reset_index(drop=True)
    counts = units["oblast_code"].astype(str).value_counts()
    if "--all" in argv:
        oblasts = sorted(counts.index)
    elif "--oblast" in argv:
        oblasts = [argv[argv.index("--oblast") + 1]]
    else:
        # largest by units; ties broken by code for determinism
        oblasts = [sorted(counts.index, key=lambda c: (-counts[c], c))[0]]
    runs: dict[str, Any] = {}
    for code in oblasts:
        idx = np.flatnonzero(units["oblast_code"].astype(str).to_numpy() == code)
        sub = bundle.instance.subset(idx)
        row = _solve(sub, settings)
        row["raions"] = int(units.loc[idx, "raion_code"].nunique())
        row["load_average"] = [round(x, 2) for x in os.getloadavg()]
        runs[code] = row
        print(f"oblast {code}: " + ", ".join(f"{k}={v}" for k, v in row.items()))
    figures = {
        "scenario": scenario.name,
        "dataset_build_id": dataset.build_id,
        "prepare_seconds": round(prep_s, 2),
        "target_seconds": TARGET_S,
        "oblasts": runs,
    }
    return figures


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
