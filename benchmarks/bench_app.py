"""Benchmark of the app's heavy steps on the full Kyrgyz build (the demo when it is absent).

Measures, after the dataset is loaded:

* first render of the full-country map: display simplification + folium map + rendering to
  what the st_folium component receives (dataset map, and result map after a national run);
  target <= 5 s;
* re-solve of one raion after a manual edit (keep one merged unit separate), as the app does
  when working on one raion: apply the edit, solve the raion, write the package; target <= 2 s.

Usage: ``PYTHONPATH=. python benchmarks/bench_app.py [--dataset PATH|demo] [--scenario FILE]``.
Prints figures; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET_FIRST_RENDER_S = 5.0
TARGET_RAION_RESOLVE_S = 2.0


def _timed(label: str, func: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    value = func(*args, **kwargs)
    seconds = time.perf_counter() - started
    print(f"{label:<48} {seconds:8.2f} s")
    return value, seconds


def _load_dataset(choice: str | None) -> tuple[Any, str]:
    from atr_model.data import read_dataset
    from atr_model.presentation.app import backend

    if choice == "demo":
        return backend.load_dataset(backend.DEMO_KEY), "demo"
    if choice:
        return read_dataset(choice), choice
    cached = backend._cache_dir() / backend.KYRGYZ_BUILD
    if cached.exists():
        return read_dataset(cached), str(cached)
    if backend._kyrgyz_source() is not None:
        return backend.load_dataset(backend.KYRGYZ_KEY), str(cached)
    print("Kyrgyz open data not found: benchmarking the demo territory instead")
    return backend.load_dataset(backend.DEMO_KEY), "demo"


def _first_render(dataset: Any, folder: Path | None) -> dict[str, float]:
    from atr_model.presentation import maps
    from atr_model.presentation.app import backend
    from atr_model.presentation.app.folium_view import render_map

    layers, t_layers = _timed("display layers (simplify in a metric CRS)", maps.display_layers, dataset)
    rendered, t_dataset = _timed(
        "dataset map: build + render", lambda: render_map(maps.dataset_map(layers, offline=True))
    )
    out = {"layers_s": t_layers, "dataset_map_s": t_dataset, "dataset_map_mb": len(rendered.script) / 1e6}
    if folder is not None:
        result = backend.load_result(folder)
        rendered, t_result = _timed(
            "result map: build + render",
            lambda: render_map(
                maps.result_map(layers, result.assignments, new_units=result.new_units, offline=True,
                                travel_model_label=result.travel_model_label)
            ),
        )
        out.update({"result_map_s": t_result, "result_map_mb": len(rendered.script) / 1e6})
    return out


def _raion_resolve(dataset: Any, scenario: Any, travel_model: Any, out_root: Path) -> dict[str, Any]:
    from atr_model.presentation.app import backend

    raion = str(dataset.units["raion_code"].value_counts().sort_index().idxmax())
    sub = backend.subset_dataset(dataset, [raion])
    sub_tm = backend.subset_travel_model(travel_model, sub.units["unit_code"])
    base, t_base = _timed(
        f"raion {raion} ({len(sub.units)} units): first solve",
        backend.run_to_folder, scenario, sub, travel_model=sub_tm, out_root=out_root,
    )
    assignments = backend.load_result(base).assignments
    merged = assignments.loc[assignments["status"] == "merged", "unit_code"].sort_values()
    unit = str(merged.iloc[0]) if len(merged) else str(assignments["unit_code"].iloc[0])

    def edit_and_resolve() -> Path:
        edited = backend.apply_edits(scenario, [backend.Edit("keep_separate", unit)])
        return backend.run_to_folder(edited, sub, travel_model=sub_tm, out_root=out_root)

    folder, t_edit = _timed(f"raion {raion}: re-solve after keeping {unit} separate", edit_and_resolve)
    changed = backend.differing_units(base, folder)
    print(f"  units that changed after the edit: {len(changed)}")
    return {"raion": raion, "raion_units": int(len(sub.units)), "raion_first_solve_s": t_base,
            "raion_resolve_s": t_edit, "raion_changed_units": len(changed)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", help="dataset .gpkg, or 'demo' (default: the cached Kyrgyz build)")
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "concept-2013.yaml"))
    parser.add_argument("--skip-national", action="store_true", help="do not run the national scenario")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    from atr_model.presentation.app import backend
    from atr_model.scenarios import load_scenario, resolve_travel_model

    (dataset, source), t_load = _timed("load dataset (not part of the targets)", _load_dataset, args.dataset)
    scenario = backend.with_dataset(load_scenario(args.scenario), "demo" if source == "demo" else source)
    travel_model, t_tm = _timed("travel model (cached by the app)", resolve_travel_model, scenario, dataset)
    with tempfile.TemporaryDirectory(prefix="atr-bench-app-") as tmp:
        out_root = Path(tmp)
        folder = None
        t_run = None
        if not args.skip_national:
            folder, t_run = _timed(
                "national run + package (reported, not a target)",
                backend.run_to_folder, scenario, dataset, travel_model=travel_model, out_root=out_root,
            )
        render = _first_render(dataset, folder)
        raion = _raion_resolve(dataset, scenario, travel_model, out_root)
    first_render_s = render["layers_s"] + render.get("result_map_s", render["dataset_map_s"])
    summary = {
        "benchmark": "bench_app",
        "dataset": dataset.name,
        "build_id": dataset.build_id,
        "units": int(len(dataset.units)),
        "settlements": int(len(dataset.settlements)),
        "load_s": round(t_load, 3),
        "travel_model_s": round(t_tm, 3),
        "national_run_s": None if t_run is None else round(t_run, 3),
        **{k: round(v, 3) for k, v in render.items()},
        "first_render_s": round(first_render_s, 3),
        "first_render_target_s": TARGET_FIRST_RENDER_S,
        "first_render_ok": first_render_s <= TARGET_FIRST_RENDER_S,
        **{k: (round(v, 3) if isinstance(v, float) else v) for k, v in raion.items()},
        "raion_resolve_target_s": TARGET_RAION_RESOLVE_S,
        "raion_resolve_ok": raion["raion_resolve_s"] <= TARGET_RAION_RESOLVE_S,
    }
    print(json.dumps(summary, sort_keys=False))


if __name__ == "__main__":
    main()
