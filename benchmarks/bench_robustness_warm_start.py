"""Benchmark: robustness draws with and without a warm start from the nominal plan (issue 14).

Solves the same ``N`` draws (default 20, seed 1) of a scenario (default ``concept-2013`` on the
Kyrgyz build) twice in this process, once cold and once starting each solve from the nominal plan
(``MergerModel.solve(start=...)``), interleaved draw by draw (cold first on even draws, warm first
on odd ones) so that a change in the machine's load hits both alike. Checks that every draw gives
byte-identical plans both ways, and reports the time per draw, the solves that used the start and
those where the draw made it break a hard constraint (dropped). Prints figures; the last line is
one JSON object.

Usage: PYTHONPATH=. python benchmarks/bench_robustness_warm_start.py [--draws 20] [--seed 1]
       [--scenario scenarios/concept-2013.yaml] [--data PATH|demo]
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _arg(argv: list[str], name: str, default: Any) -> Any:
    return argv[argv.index(name) + 1] if name in argv else default


def measure(scenario_path: Path, draws: int, seed: int, data: str | None) -> dict[str, Any]:
    """Time ``draws`` draws cold and warm; the figures as one dict."""
    import numpy as np

    from atr_model.scenarios import apply_overrides, load_scenario, resolve_dataset, resolve_travel_model
    from atr_model.scenarios.robustness import _draw_settings, make_draws
    from atr_model.scenarios.robustness_solve import DrawContext, solve_draw
    from atr_model.scenarios.run import run_scenario
    from atr_model.scenarios.uncertainty import build_basis

    scenario = apply_overrides(load_scenario(scenario_path), dataset=data)
    dataset = resolve_dataset(scenario)
    travel = resolve_travel_model(scenario, dataset)
    nominal = run_scenario(scenario, dataset=dataset, travel_model=travel)
    basis = build_basis(nominal.bundle, nominal.dataset, nominal.travel_model, scenario.uncertainty)
    cold = DrawContext(instance=nominal.bundle.instance, settings=_draw_settings(nominal.settings), basis=basis,
                       nominal_assignment=np.asarray(nominal.engine_result.assignment, dtype=np.int64))
    warm = dataclasses.replace(cold, warm_start=True)
    seconds = {"cold": 0.0, "warm": 0.0}
    same, used, dropped, solved, failed = 0, 0, 0, 0, 0
    load_before = os.getloadavg()
    for k, draw in enumerate(make_draws(basis, draws, seed)):
        order = (("cold", cold), ("warm", warm)) if k % 2 == 0 else (("warm", warm), ("cold", cold))
        got = {}
        for name, ctx in order:
            t0 = time.perf_counter()
            got[name] = solve_draw(ctx, draw, k)
            seconds[name] += time.perf_counter() - t0
        a, b = got["cold"].assignment, got["warm"].assignment
        if a is None or b is None:
            failed += 1
            same += int(a is None and b is None and got["cold"].error == got["warm"].error)
        else:
            same += int(a.tobytes() == b.tobytes())
        used += got["warm"].starts_used
        dropped += got["warm"].starts_dropped
        solved += got["warm"].groups_solved
        print(f"draw {k}: cold {got['cold'].seconds:.2f} s, warm {got['warm'].seconds:.2f} s, "
              f"starts used {got['warm'].starts_used}, dropped {got['warm'].starts_dropped}, "
              f"same plan {a is not None and b is not None and a.tobytes() == b.tobytes()}", flush=True)
    return {
        "scenario": scenario.name,
        "draws": draws,
        "seed": seed,
        "cold_per_draw_s": round(seconds["cold"] / draws, 3),
        "warm_per_draw_s": round(seconds["warm"] / draws, 3),
        "speedup": round(seconds["cold"] / seconds["warm"], 3) if seconds["warm"] else None,
        "draws_identical": f"{same}/{draws}",
        "draws_failed": failed,
        "groups_solved": solved,
        "starts_used": used,
        "starts_dropped": dropped,
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
    }


def main(argv: list[str]) -> int:
    draws = int(_arg(argv, "--draws", 20))
    seed = int(_arg(argv, "--seed", 1))
    scenario = Path(_arg(argv, "--scenario", str(ROOT / "scenarios" / "concept-2013.yaml")))
    out = measure(scenario, draws, seed, _arg(argv, "--data", None))
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
