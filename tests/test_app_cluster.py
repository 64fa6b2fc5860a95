"""The app's solves on a Dask cluster (issue 25): with ``ATR_APP_SCHEDULER`` set by the operator,
the app's solve function (:func:`atr_model.presentation.app.results.run_or_reuse`, what every view
runs) hands its groups to a separately started ``dask scheduler`` + ``dask worker --nworkers 2``
and writes the files of the local run; an unreachable scheduler is one message and writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dask_cluster import dask_cluster, require_distributed  # noqa: F401 (the module-scoped fixture)

from atr_model.data import read_dataset
from atr_model.errors import ScenarioError
from atr_model.presentation.app import results
from atr_model.scenarios import load_scenario

ROOT = Path(__file__).resolve().parents[1]
CONCEPT = ROOT / "scenarios" / "concept-2013.yaml"
TIMELESS_FILES = ("assignments.csv", "settlements.csv", "explanations.csv", "territory_notes.json")


def test_the_address_comes_from_the_operators_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(results.SCHEDULER_VARIABLE, raising=False)
    assert results.app_scheduler_address() is None
    monkeypatch.setenv(results.SCHEDULER_VARIABLE, "  ")
    assert results.app_scheduler_address() is None
    monkeypatch.setenv(results.SCHEDULER_VARIABLE, " tcp://10.0.0.5:8786 ")
    assert results.app_scheduler_address() == "tcp://10.0.0.5:8786"


@pytest.mark.kgdata
def test_app_solve_on_the_cluster_writes_the_files_of_the_local_solve(
        kg_dataset_path: Path, dask_cluster: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dataset = read_dataset(kg_dataset_path)
    scenario = load_scenario(CONCEPT)
    monkeypatch.delenv(results.SCHEDULER_VARIABLE, raising=False)
    local = results.run_or_reuse(scenario, dataset, out_root=tmp_path / "local")
    monkeypatch.setenv(results.SCHEDULER_VARIABLE, dask_cluster)
    on_dask = results.run_or_reuse(scenario, dataset, out_root=tmp_path / "dask")
    assert results.result_problems(on_dask) == []
    for name in TIMELESS_FILES:
        assert (on_dask / name).read_bytes() == (local / name).read_bytes(), name
    provenance = json.loads((on_dask / "provenance.json").read_text(encoding="utf-8"))
    assert provenance["groups_on"]["executor"] == "dask" and provenance["proof"]["all_proven"]
    assert "groups_on" not in json.loads((local / "provenance.json").read_text(encoding="utf-8"))


def test_an_unreachable_scheduler_is_one_message_and_nothing_is_written(
        demo_dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require_distributed()
    monkeypatch.setenv(results.SCHEDULER_VARIABLE, "tcp://127.0.0.1:1")
    scenario = load_scenario(ROOT / "scenarios" / "demo.yaml")
    with pytest.raises(ScenarioError, match=r"^run: cannot reach the Dask scheduler at 'tcp://127.0.0.1:1' \("):
        results.run_or_reuse(scenario, demo_dataset, out_root=tmp_path)
    assert not any(tmp_path.rglob("assignments.csv"))
