"""Benchmark of the app on the full Kyrgyz build (the demo when it is absent).

Measures:

* first map on a fresh server: ``streamlit run app.py`` started anew, the page opened in
  headless Chromium (when ``/usr/bin/chromium`` exists), time from the page starting to load
  until the map's canvas is drawn; target <= 5 s. The app keeps the display layers and the
  first map in its cache folder (``<cache>/display/``), as a machine that ran the app once
  has them; ``display_cache_files`` says how many were there when the server started. Also
  the server-side part alone: display simplification + folium map + rendering to what the
  st_folium component receives;
* the national run (concept-2013) with its result package (reported, not a target);
* re-solve of one raion after a manual edit (keep one merged unit separate), as the app does
  when working on one raion: apply the edit, solve the raion, write the package; target <= 2 s;
* compare: the second scenario (status-quo) run, the comparison of the two packages and the
  two result maps rendered for the side-by-side view.

Usage: ``PYTHONPATH=. python benchmarks/bench_app.py [--dataset PATH|demo] [--scenario FILE]
[--no-browser]``. Prints figures; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET_FIRST_RENDER_S = 5.0
TARGET_RAION_RESOLVE_S = 2.0
CHROMIUM = Path("/usr/bin/chromium")
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'


def _timed(label: str, func: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    value = func(*args, **kwargs)
    seconds = time.perf_counter() - started
    print(f"{label:<48} {seconds:8.2f} s")
    return value, seconds


def _load_dataset(choice: str | None) -> tuple[Any, str]:
    from atr_model.data import read_dataset
    from atr_model.presentation.app import datasets
    from atr_model.scenarios import kyrgyz_source_dir

    if choice == "demo":
        return datasets.load_dataset(datasets.DEMO_KEY), "demo"
    if choice:
        return read_dataset(choice), choice
    cached = datasets.kyrgyz_build_path()
    if cached.exists():
        return read_dataset(cached), str(cached)
    if kyrgyz_source_dir().exists():
        return datasets.load_dataset(datasets.KYRGYZ_KEY), str(cached)
    print("Kyrgyz open data not found: benchmarking the demo territory instead")
    return datasets.load_dataset(datasets.DEMO_KEY), "demo"


def _first_render(dataset: Any, folder: Path | None) -> dict[str, float]:
    from atr_model.presentation import maps
    from atr_model.presentation.app import results
    from atr_model.presentation.app.folium_view import render_map

    layers, t_layers = _timed("display layers (simplify in a metric CRS)", maps.display_layers, dataset)
    rendered, t_dataset = _timed(
        "dataset map: build + render", lambda: render_map(maps.dataset_map(layers, offline=True))
    )
    out = {"layers_s": t_layers, "dataset_map_s": t_dataset, "dataset_map_mb": len(rendered.script) / 1e6}
    if folder is not None:
        result = results.load_result(folder)
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
    from atr_model.presentation.app import datasets, edits, results

    raion = str(dataset.units["raion_code"].value_counts().sort_index().idxmax())
    sub = datasets.subset_dataset(dataset, [raion])
    sub_tm = datasets.subset_travel_model(travel_model, sub.units["unit_code"])
    base, t_base = _timed(
        f"raion {raion} ({len(sub.units)} units): first solve",
        results.run_or_reuse, scenario, sub, travel_model=sub_tm, out_root=out_root,
    )
    assignments = results.load_result(base).assignments
    merged = assignments.loc[assignments["status"] == "merged", "unit_code"].sort_values()
    unit = str(merged.iloc[0]) if len(merged) else str(assignments["unit_code"].iloc[0])

    def edit_and_resolve() -> Path:
        edited = edits.apply_edits(scenario, [edits.Edit("keep_separate", unit)])
        return results.run_or_reuse(edited, sub, travel_model=sub_tm, out_root=out_root)

    folder, t_edit = _timed(f"raion {raion}: re-solve after keeping {unit} separate", edit_and_resolve)
    changed = results.differing_units(base, folder)
    print(f"  units that changed after the edit: {len(changed)}")
    return {"raion": raion, "raion_units": int(len(sub.units)), "raion_first_solve_s": t_base,
            "raion_resolve_s": t_edit, "raion_changed_units": len(changed)}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _fresh_server_first_map(cache_dir: Path, results_dir: Path) -> dict[str, Any]:
    """Start ``streamlit run app.py`` anew and time the first map in headless Chromium."""
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} not found: first map on a fresh server not measured")
        return {}
    from playwright.sync_api import sync_playwright

    stored = len(list((cache_dir / "display").glob("*"))) if (cache_dir / "display").is_dir() else 0
    port = _free_port()
    env = {**os.environ, "ATR_CACHE_DIR": str(cache_dir), "ATR_APP_RESULTS": str(results_dir), "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                if time.perf_counter() - started > 120:
                    raise RuntimeError("streamlit did not start within 120 s") from None
                time.sleep(0.1)
        server_s = time.perf_counter() - started
        print(f"{'fresh server: streamlit up':<48} {server_s:8.2f} s")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                         args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            out = {"server_start_s": server_s, "display_cache_files": stored}
            for label in ("first_map_fresh_s", "first_map_warm_s"):
                page = browser.new_page(viewport={"width": 1500, "height": 1000})
                t0 = time.perf_counter()
                page.goto(url)
                canvas = page.frame_locator(MAP_FRAME).first.locator(".leaflet-overlay-pane canvas, .leaflet-overlay-pane svg")
                canvas.first.wait_for(timeout=180_000)
                out[label] = time.perf_counter() - t0
                print(f"{'fresh server: ' + label.replace('_', ' '):<48} {out[label]:8.2f} s")
                page.close()
            browser.close()
        return out
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _compare(dataset: Any, travel_model: Any, out_root: Path, folder_a: Path | None, layers: Any) -> dict[str, Any]:
    """The second scenario, the comparison and the two maps of the side-by-side view."""
    from atr_model.presentation import maps
    from atr_model.presentation.app import results, scenario_io
    from atr_model.presentation.app.folium_view import render_map
    from atr_model.scenarios import load_scenario

    if folder_a is None:
        return {}
    other = scenario_io.with_dataset(load_scenario(ROOT / "scenarios" / "status-quo.yaml"), None)
    started = time.perf_counter()
    folder_b = results.run_or_reuse(other, dataset, travel_model=travel_model, out_root=out_root)
    comparison = results.compare_folders(folder_a, folder_b)
    for folder in (folder_a, folder_b):
        result = results.load_result(folder)
        render_map(maps.result_map(layers, result.assignments, new_units=result.new_units,
                                   travel_model_label=result.travel_model_label))
    seconds = time.perf_counter() - started
    print(f"{'compare: status-quo run + comparison + 2 maps':<48} {seconds:8.2f} s")
    return {"compare_s": seconds, "compare_changed_units": int(len(comparison.changed_units))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", help="dataset .gpkg, or 'demo' (default: the cached Kyrgyz build)")
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "concept-2013.yaml"))
    parser.add_argument("--skip-national", action="store_true", help="do not run the national scenario")
    parser.add_argument("--no-browser", action="store_true", help="do not time the first map on a fresh server")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    from atr_model.presentation import maps
    from atr_model.presentation.app import datasets, results, scenario_io
    from atr_model.scenarios import load_scenario, resolve_travel_model

    fresh: dict[str, Any] = {}
    if not args.no_browser and not args.dataset:
        with tempfile.TemporaryDirectory(prefix="atr-bench-app-server-") as tmp:
            cache = datasets.kyrgyz_build_path().parents[1] if datasets.kyrgyz_build_path().exists() else Path(tmp) / "cache"
            fresh = _fresh_server_first_map(cache, Path(tmp) / "results")
    (dataset, source), t_load = _timed("load dataset (not part of the targets)", _load_dataset, args.dataset)
    scenario = scenario_io.with_dataset(load_scenario(args.scenario), "demo" if source == "demo" else source)
    travel_model, t_tm = _timed("travel model (cached by the app)", resolve_travel_model, scenario, dataset)
    with tempfile.TemporaryDirectory(prefix="atr-bench-app-") as tmp:
        out_root = Path(tmp)
        folder = None
        t_run = None
        if not args.skip_national:
            folder, t_run = _timed(
                "national run + package (reported, not a target)",
                results.run_or_reuse, scenario, dataset, travel_model=travel_model, out_root=out_root,
            )
        render = _first_render(dataset, folder)
        raion = _raion_resolve(dataset, scenario, travel_model, out_root)
        compare = _compare(dataset, travel_model, out_root, folder, maps.display_layers(dataset))
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
        **{k: (round(v, 3) if isinstance(v, float) else v) for k, v in fresh.items()},
        "first_map_fresh_ok": fresh["first_map_fresh_s"] <= TARGET_FIRST_RENDER_S if fresh else None,
        **{k: (round(v, 3) if isinstance(v, float) else v) for k, v in compare.items()},
        **{k: (round(v, 3) if isinstance(v, float) else v) for k, v in raion.items()},
        "raion_resolve_target_s": TARGET_RAION_RESOLVE_S,
        "raion_resolve_ok": raion["raion_resolve_s"] <= TARGET_RAION_RESOLVE_S,
    }
    print(json.dumps(summary, sort_keys=False))


if __name__ == "__main__":
    main()
