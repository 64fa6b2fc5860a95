"""The sweep on a real Dask cluster: a ``dask scheduler`` and a ``dask worker --nworkers 2``
started as separate processes, on the Kyrgyz build (issue 14 item 0).

A Dask worker runs its tasks in daemonic processes, which may not start the engine's raion process
pool; the engine then solves the groups in-process. On the Kyrgyz build every point is large
enough for that pool (531 units, 40+ raions), so this is the path that used to crash with
"daemonic processes are not allowed to have children".
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from dask_cluster import dask_cluster, require_distributed  # noqa: F401 (the module-scoped fixture)

from atr_model.optimisation import decomposition
from atr_model.scenarios import load_scenario, parse_param, run_sweep

ROOT = Path(__file__).resolve().parents[1]
GRID = [parse_param("threshold=3000:5000:2000")]


@pytest.mark.kgdata
def test_sweep_on_a_separate_dask_cluster_matches_the_process_pool(
        kg_dataset_path: Path, dask_cluster: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = load_scenario(ROOT / "scenarios" / "concept-2013.yaml")
    distributed = require_distributed()
    # the worker processes are daemonic: the engine may not start its group pool there
    with distributed.Client(dask_cluster, timeout=60) as client:
        allowed = client.run(decomposition.pool_allowed)
    assert len(allowed) == 2 and not any(allowed.values())

    # process-pool path: record (through fork) that each point's engine really ran its group pool
    marker = tmp_path / "pools.txt"
    original = decomposition._pool_map

    def recording_pool_map(jobs: list, workers: int) -> list | None:
        results = original(jobs, workers)
        with open(marker, "a", encoding="utf-8") as fh:
            fh.write(f"{len(jobs)} groups, {workers} workers, pool ran: {results is not None}\n")
        return results

    monkeypatch.setattr(decomposition, "_pool_map", recording_pool_map)
    pooled = run_sweep(scenario, GRID, data=str(kg_dataset_path), workers=2)
    started = marker.read_text(encoding="utf-8").splitlines()
    assert len(started) == 2 and all(line.endswith("pool ran: True") for line in started), started

    on_dask = run_sweep(scenario, GRID, data=str(kg_dataset_path), scheduler_address=dask_cluster)
    assert list(on_dask.table["population_floor"]) == [3000, 5000]
    assert (on_dask.table["error"] == "").all(), on_dask.table["error"].tolist()
    assert on_dask.table["proven_optimal"].all()
    assert on_dask.table["units_after"].iloc[1] < on_dask.table["units_after"].iloc[0]
    pd.testing.assert_frame_equal(on_dask.table, pooled.table)
