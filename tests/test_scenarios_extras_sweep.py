"""Parameter sweeps: parsing, grid order, reproducible table (serial vs pool), Pareto, CLI outputs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import typer
from extras_runs import SCENARIOS, demo_scenario
from typer.testing import CliRunner

from atr_model.errors import ScenarioError
from atr_model.presentation import cli_extras
from atr_model.scenarios.sweep import pareto_front, parse_param, run_sweep, sweep_grid


def test_parse_param_ranges_lists_and_aliases() -> None:
    assert parse_param("threshold=3000:5000:500") == ("criteria.population_floor", [3000, 3500, 4000, 4500, 5000])
    assert parse_param("tmax=60,90,null") == ("criteria.max_travel_time_min", [60, 90, None])
    assert parse_param("criteria.nesting=raion,oblast") == ("criteria.nesting", ["raion", "oblast"])
    assert parse_param("tmax=0.5:1.5:0.5")[1] == [0.5, 1.0, 1.5]
    bad_values = {
        "threshold": r"--param 'threshold': expected NAME=START:STOP:STEP or NAME=A,B,C",
        "threshold=5:1:1": r"--param 'threshold=5:1:1': need step > 0 and start <= stop",
        "threshold=1:5:0": r"--param 'threshold=1:5:0': need step > 0 and start <= stop",
        "threshold=1:5": r"--param 'threshold=1:5': a range needs START:STOP:STEP",
        "=3": r"--param '=3': name and values are required",
    }
    for bad, match in bad_values.items():
        with pytest.raises(ScenarioError, match=match):
            parse_param(bad)


def test_grid_order_is_fixed_first_parameter_slowest() -> None:
    grid = sweep_grid([("a", [1, 2]), ("b", ["x", "y", "z"])])
    assert [(p["a"], p["b"]) for p in grid] == [(1, "x"), (1, "y"), (1, "z"), (2, "x"), (2, "y"), (2, "z")]


def test_pareto_front() -> None:
    # (units, minutes): (10, 5) and (8, 7) and (6, 12) trade off; (9, 9) is dominated by (8, 7)
    front = pareto_front([10, 8, 9, 6, float("nan")], [5, 7, 9, 12, 1])
    assert front.tolist() == [True, True, False, True, False]


def test_bad_sweep_value_fails_before_running() -> None:
    with pytest.raises(ScenarioError, match="population_floor"):
        run_sweep(demo_scenario("lenient"), [("criteria.population_floor", [-5])])


@pytest.fixture(scope="module")
def sweep_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    scenario = demo_scenario("lenient")
    params = [parse_param("threshold=3000:5000:2000"), parse_param("tmax=60,90")]
    serial = run_sweep(scenario, params, workers=1)
    pooled = run_sweep(scenario, params, workers=2)
    return serial.table, pooled.table


def test_sweep_reproduces_the_same_table(sweep_tables) -> None:
    serial, pooled = sweep_tables
    pd.testing.assert_frame_equal(serial, pooled)
    assert len(serial) == 4 and (serial["error"] == "").all()
    assert list(serial.columns[:3]) == ["point", "population_floor", "max_travel_time_min"]


def test_sweep_rows_follow_their_parameters(sweep_tables) -> None:
    table = sweep_tables[0]
    # units below the floor before merging depend only on the threshold, and grow with it
    before = table.groupby("population_floor")["below_floor_before_non_exempt"].agg(["min", "max"])
    assert (before["min"] == before["max"]).all()
    assert before["min"].is_monotonic_increasing
    assert table["pareto"].any()
    assert (table["units_after"] <= table["units_before"]).all()


def test_sweep_cli_writes_summary_and_chart(tmp_path: Path) -> None:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        pass

    cli_extras.register(app)
    out = tmp_path / "sweep"
    res = CliRunner().invoke(
        app,
        ["sweep", str(SCENARIOS / "lenient.yaml"), "--param", "threshold=3000,5000", "--data", "demo",
         "--out", str(out)],
    )
    assert res.exit_code == 0, res.output
    assert {"summary.csv", "timings.csv", "pareto.png", "pareto.html"} <= {p.name for p in out.iterdir()}
    summary = pd.read_csv(out / "summary.csv")
    assert summary["population_floor"].tolist() == [3000, 5000]
    assert "<svg" in (out / "pareto.html").read_text(encoding="utf-8")


def test_sweep_on_a_dask_scheduler_gives_the_same_table(sweep_tables) -> None:
    distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
    params = [parse_param("threshold=3000:5000:2000"), parse_param("tmax=60,90")]
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        result = run_sweep(demo_scenario("lenient"), params, scheduler_address=cluster.scheduler_address)
    pd.testing.assert_frame_equal(result.table, sweep_tables[0])
