"""Benchmark: build the Kyrgyz dataset from the shared open data and report time and quality.

Run from the repository root: ``python benchmarks/bench_data_build.py [SOURCE_DIR]``.
Prints figures; the last line is one JSON object.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from atr_model.data import dataset_info, read_dataset, write_kyrgyz_build


def main() -> None:
    root = Path(__file__).resolve().parents[1]
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else root.parent / "shared" / "kg-open-data"
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        path, report = write_kyrgyz_build(source, Path(tmp) / "kg")
        seconds = time.perf_counter() - started
        info = dataset_info(read_dataset(path))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"build + write: {seconds:.1f} s (build alone {report.seconds:.1f} s), peak RSS {peak_mb:.0f} MB")
    print(f"villages located: {info['villages_located']}/{info['villages_total']} "
          f"({100 * info['villages_located_share']:.1f} %), methods {info.get('village_location_methods')}")
    print(f"units: {info['units_by_level']}; population real/estimated: "
          f"{info['population_real_units']}/{info['population_estimated_units']}")
    estimator = info.get("population_estimator") or {}
    compared = estimator.get("comparison") or {}
    if compared:
        print("population estimators, leave-one-raion-out median abs. error / log SD: " + "; ".join(
            f"{m} {100 * r['median_abs_rel_error']:.1f} % / {r['log_sd']}" for m, r in compared.items()))
    territories = report.territories
    print(f"territories: {territories.get('method')} in {territories.get('seconds', 0):.1f} s; units in several "
          f"pieces {info['units_multipart_total']} (Voronoi {territories.get('units_multipart_voronoi')}), "
          f"raion exclaves {info['units_multipart_raion_exclave']}, split by the allocation {info['units_multipart']}; "
          f"unplaced raion land {info.get('unplaced_raion_land_km2', 0):g} km2 in {info.get('unplaced_raion_pieces', 0)} "
          "pieces; "
          f"adjacent pairs {territories.get('adjacent_pairs')} "
          f"(Voronoi {territories.get('adjacent_pairs_voronoi')}, +{len(territories.get('pairs_added', []))} "
          f"-{len(territories.get('pairs_removed', []))})")
    print(json.dumps({
        "benchmark": "data_build", "seconds": round(seconds, 2), "build_seconds": report.seconds,
        "peak_rss_mb": round(peak_mb), "villages_located_share": info["villages_located_share"],
        "match_methods": info.get("village_location_methods"),
        "population_real_units": info["population_real_units"],
        "population_estimated_units": info["population_estimated_units"],
        "build_id": info["build_id"],
        "population_cv": {m: {"median_abs_rel_error": r["median_abs_rel_error"], "log_sd": r["log_sd"]}
                          for m, r in compared.items()},
        "territories": report.territories.get("method"),
        "territories_seconds": report.territories.get("seconds"),
        "units_multipart": info["units_multipart"],
        "units_multipart_total": info["units_multipart_total"],
        "units_multipart_raion_exclave": info["units_multipart_raion_exclave"],
        "units_multipart_voronoi": report.territories.get("units_multipart_voronoi"),
        "unplaced_raion_land_km2": info.get("unplaced_raion_land_km2"),
        "unplaced_raion_pieces": info.get("unplaced_raion_pieces"),
        "adjacent_pairs": report.territories.get("adjacent_pairs"),
        "adjacent_pairs_voronoi": report.territories.get("adjacent_pairs_voronoi"),
    }, sort_keys=True))


if __name__ == "__main__":
    main()
