"""Evaluate hand-drawn plans with the independent checker: clean, non-contiguous, below the floor."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import typer
from extras_runs import SCENARIOS, demo_inputs, demo_scenario, run_demo
from typer.testing import CliRunner

from atr_model.errors import DataError
from atr_model.presentation import cli_extras
from atr_model.scenarios.evaluate import evaluate_plan, read_plan_csv

NAME = "cross-raion"


@pytest.fixture(scope="module")
def optimised():
    return run_demo(NAME)


def _evaluate(plan: pd.DataFrame):
    scenario = demo_scenario(NAME)
    dataset, travel = demo_inputs(scenario)
    return evaluate_plan(plan, scenario, dataset=dataset, travel_model=travel)


def _plan(result) -> pd.DataFrame:
    return result.assignments[["unit_code", "new_unit_id"]].copy()


def _adjacent(result) -> set[frozenset[str]]:
    inst = result.bundle.instance
    return {frozenset((inst.unit_codes[a], inst.unit_codes[b])) for a, b in inst.adjacency}


def test_the_optimised_plan_passes_and_scores_like_the_run(optimised) -> None:
    verdict = _evaluate(_plan(optimised))
    assert verdict.valid
    for key in ("units_after", "below_floor_after_non_exempt"):
        assert verdict.kpis[key] == optimised.kpis[key]
    assert verdict.kpis["population_weighted_mean_travel_min"] == pytest.approx(
        optimised.kpis["population_weighted_mean_travel_min"], abs=1e-3
    )


def test_a_non_contiguous_unit_is_flagged(optimised) -> None:
    a = optimised.assignments
    kept = a[(a["status"] == "kept") & (a["level"] == "aiyl_aimak")]
    adjacent = _adjacent(optimised)
    # two units that stay alone in the optimum, in the same oblast, and do not touch
    pair = next(
        (x, y)
        for x in kept.itertuples()
        for y in kept.itertuples()
        if x.unit_code < y.unit_code and x.oblast_code == y.oblast_code
        and frozenset((x.unit_code, y.unit_code)) not in adjacent
    )
    plan = _plan(optimised)
    plan.loc[plan["unit_code"] == pair[1].unit_code, "new_unit_id"] = pair[0].new_unit_id
    verdict = _evaluate(plan)
    contiguity = verdict.violations[verdict.violations["constraint"] == "contiguity"]
    assert len(contiguity) == 1
    assert set(contiguity.iloc[0]["units"].split(";")) == {pair[0].unit_code, pair[1].unit_code}
    assert not verdict.hard_valid


def test_a_unit_below_the_threshold_is_flagged(optimised) -> None:
    a = optimised.assignments
    floor = optimised.scenario.criteria.population_floor
    small = a[(a["status"] == "merged") & ~a["exempt"].astype(bool) & (a["population"] < floor)].iloc[0]
    plan = _plan(optimised)
    plan.loc[plan["unit_code"] == small["unit_code"], "new_unit_id"] = "ALONE-1"
    verdict = _evaluate(plan)
    floor_v = verdict.violations[verdict.violations["constraint"] == "floor"]
    assert small["unit_code"] in set(floor_v["units"])
    assert f"below the floor {floor:,.0f}" in floor_v.set_index("units").loc[small["unit_code"], "message"]
    assert verdict.kpis["units_after"] == optimised.kpis["units_after"] + 1


def test_plan_file_errors_name_file_and_row(tmp_path: Path, optimised) -> None:
    bad = tmp_path / "plan.csv"
    bad.write_text("unit_code,new_unit_id\nA,1\nA,2\n")
    with pytest.raises(DataError, match=r"plan.csv: row 3: unit 'A' is listed twice"):
        read_plan_csv(bad)
    partial = _plan(optimised).iloc[1:]
    with pytest.raises(DataError, match="have no new_unit_id"):
        _evaluate(partial)


def test_evaluate_cli_exit_codes(tmp_path: Path, optimised) -> None:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        pass

    cli_extras.register(app)
    good = tmp_path / "good.csv"
    _plan(optimised).to_csv(good, index=False)
    args = ["evaluate", str(good), "--scenario", str(SCENARIOS / f"{NAME}.yaml"), "--data", "demo"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "honours every criterion" in res.output


def test_evaluate_cli_fails_on_a_broken_plan(tmp_path: Path, optimised) -> None:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        pass

    cli_extras.register(app)
    plan = _plan(optimised)
    kept = optimised.assignments[optimised.assignments["status"] == "kept"]
    adjacent = _adjacent(optimised)
    x, y = next(
        (a, b) for a in kept.itertuples() for b in kept.itertuples()
        if a.unit_code < b.unit_code and a.oblast_code == b.oblast_code
        and frozenset((a.unit_code, b.unit_code)) not in adjacent
    )
    plan.loc[plan["unit_code"] == y.unit_code, "new_unit_id"] = x.new_unit_id
    bad = tmp_path / "bad.csv"
    plan.to_csv(bad, index=False)
    res = CliRunner().invoke(
        app, ["evaluate", str(bad), "--scenario", str(SCENARIOS / f"{NAME}.yaml"), "--data", "demo", "--json"]
    )
    assert res.exit_code == 2, res.output
    payload = __import__("json").loads(res.output)
    assert [v["constraint"] for v in payload["violations"]] == ["contiguity"]


def test_the_optimised_plan_costs_the_optimum_and_a_worse_plan_more(optimised) -> None:
    verdict = _evaluate(_plan(optimised))
    optimum = optimised.kpis["solver"]["objective"]
    assert verdict.objective == pytest.approx(optimum, rel=1e-6)
    assert verdict.gap_to(optimum) == pytest.approx(0.0, abs=1e-6)
    alone = _plan(optimised)
    alone["new_unit_id"] = alone["unit_code"]  # every unit on its own: the status quo
    worse = _evaluate(alone)
    assert worse.objective > optimum
    assert worse.gap_to(optimum) > 0


def test_every_unknown_unit_code_is_named(optimised) -> None:
    plan = _plan(optimised)
    plan.loc[0, "unit_code"] = "NOPE-1"
    plan.loc[1, "unit_code"] = "NOPE-2"
    with pytest.raises(DataError, match=r"2 unit\(s\) not in the scenario's dataset: NOPE-1, NOPE-2$"):
        _evaluate(plan)


def test_evaluate_cli_sets_the_plan_beside_the_runs_optimum(tmp_path: Path, optimised) -> None:
    from atr_model.scenarios import write_result

    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        pass

    cli_extras.register(app)
    folder = write_result(optimised, tmp_path / "run")
    good = tmp_path / "excel.csv"  # the run's plan as Excel saves it in a Russian locale
    good.write_bytes(_plan(optimised).to_csv(sep=";", index=False).encode("utf-8-sig"))
    args = ["evaluate", str(good), "--scenario", str(SCENARIOS / f"{NAME}.yaml"), "--data", "demo", "--result", str(folder)]
    res = CliRunner().invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    payload = __import__("json").loads(res.output)
    assert payload["optimum"] == optimised.kpis["solver"]["objective"]
    assert payload["above_optimum"] == 0.0
    text = CliRunner().invoke(app, args)
    assert "0.00 % above the optimum" in " ".join(text.output.split())  # rich wraps lines
