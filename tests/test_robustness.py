"""Robustness ensembles on the demo and on hand-made instances (issue 14).

Same seed -> byte-identical tables; process pool vs Dask LocalCluster; zero spreads reproduce the
nominal plan; real inputs are never drawn; a unit straddling the floor merges as often as the
log-normal law says; bad input gives one clear message (API and CLI).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from atr_model.errors import ScenarioError
from atr_model.scenarios import apply_overrides, load_scenario
from atr_model.scenarios.robustness import ROBUSTNESS_FILES, make_draws, run_robustness, write_robustness
from atr_model.scenarios.robustness_solve import DrawContext, solve_draw
from atr_model.scenarios.uncertainty import DrawBasis, Uncertainty, apply_draw, build_basis, population_method

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SPREAD = {"uncertainty.population.log_sd.census": 0.3, "uncertainty.travel.roads_log_sd": 0.1}
ESTIMATE = "estimate: raion total 2021 minus known units, split by number of COATE villages"


def _demo(**overrides: object):
    return apply_overrides(load_scenario(SCENARIOS / "demo.yaml"), **overrides)


@pytest.fixture(scope="module")
def demo_with_estimates(demo_dataset):
    """The demo with every third aiyl aimak's population marked as a share-of-raion estimate."""
    units = demo_dataset.units.copy()
    order = units.sort_values("unit_code").index
    pick = [i for k, i in enumerate(order) if k % 3 == 0 and units.at[i, "level"] != "town"]
    units.loc[pick, "population_source"] = ESTIMATE
    units.loc[pick, "population_is_estimate"] = True
    return demo_dataset.replace(units=units)


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory):
    """Two in-process runs with seed 5 and one with seed 6, written to disk."""
    scenario = _demo(**SPREAD)
    root = tmp_path_factory.mktemp("robust")
    out = {}
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        result = run_robustness(scenario, draws=6, seed=seed)
        out[name] = (result, write_robustness(result, root / name))
    return out


def _files(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in ROBUSTNESS_FILES}


def test_package_has_every_table_and_the_nominal_run(demo_runs) -> None:
    result, folder = demo_runs["a"]
    for name in (*ROBUSTNESS_FILES, "robustness.json", "nominal/assignments.csv"):
        assert (folder / name).is_file(), name
    assert set(result.units["unit_code"]) == set(result.nominal.assignments["unit_code"])
    shares = result.units[["share_kept", "share_centre", "share_merged"]].sum(axis=1)
    assert np.allclose(shares, 1.0, atol=1e-3)
    assert result.consensus["hard_valid"]
    assert (result.regret["regret"] >= -1e-6 * result.regret["objective_draw_optimum"].abs()).all()


def test_same_seed_gives_byte_identical_tables(demo_runs) -> None:
    a, b, c = (_files(demo_runs[k][1]) for k in "abc")
    assert a == b
    assert a["unit_stability.csv"] != c["unit_stability.csv"] or a["regret.csv"] != c["regret.csv"]


def test_process_pool_and_dask_local_cluster_give_identical_tables(demo_runs, tmp_path) -> None:
    distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
    scenario = _demo(**SPREAD)
    pool = write_robustness(run_robustness(scenario, draws=6, seed=5, workers=2), tmp_path / "pool")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        dask = write_robustness(run_robustness(scenario, draws=6, seed=5, scheduler_address=cluster.scheduler_address),
                                tmp_path / "dask")
    reference = _files(demo_runs["a"][1])
    assert _files(pool) == reference
    assert _files(dask) == reference


def test_zero_spreads_reproduce_the_nominal_plan(demo_with_estimates) -> None:
    zero = Uncertainty.zero().model_dump()
    result = run_robustness(_demo(uncertainty=zero), draws=3, seed=1, dataset=demo_with_estimates)
    assert (result.units["share_same_unit"] == 1.0).all()
    assert (result.units["share_same_centre"] == 1.0).all()
    assert (result.new_units["share_exact"] == 1.0).all()
    assert result.regret["same_plan"].all() and (result.regret["regret"] == 0).all()
    assert result.fragile.empty


def test_real_inputs_are_never_drawn(demo_with_estimates) -> None:
    from atr_model.scenarios import build_instance, resolve_travel_model

    scenario = _demo()
    travel = resolve_travel_model(scenario, demo_with_estimates)
    bundle = build_instance(demo_with_estimates, travel, scenario.criteria)
    basis = build_basis(bundle, demo_with_estimates, travel, scenario.uncertainty)
    est = bundle.units["population_is_estimate"].to_numpy(dtype=bool)
    assert est.any() and (~est).any()
    assert basis.travel_kind == "roads" and basis.travel_log_sd == 0
    inst = bundle.instance
    moved = np.zeros(inst.n, dtype=bool)
    for draw in make_draws(basis, 20, seed=3):
        drawn = apply_draw(inst, basis, draw)
        real = ~est
        assert np.array_equal(drawn.population[real], inst.population[real])
        assert np.array_equal(drawn.cost[real], inst.cost[real])
        assert np.array_equal(drawn.travel_time_min, inst.travel_time_min)
        moved |= drawn.population != inst.population
    assert moved[est].all()
    # shares of a real raion total: the drawn estimates of a raion keep their sum
    for idx in basis.share_groups:
        for draw in make_draws(basis, 5, seed=4):
            assert math.isclose(draw.population[idx].sum(), inst.population[idx].sum(), rel_tol=1e-12)


def test_demo_without_estimates_has_nothing_to_draw() -> None:
    with pytest.raises(ScenarioError, match="nothing to draw"):
        run_robustness(_demo(), draws=2, seed=0)


def test_population_methods_follow_the_source_text() -> None:
    assert population_method(ESTIMATE) == "raion_share"
    assert population_method("estimate: 2542 residents per COATE village (mean ...) x the unit's villages") == "per_village"
    assert population_method("estimate: GeoNames population of the town (old figure)") == "town_figure"
    assert population_method("estimate: fitted model") == "other_estimate"
    assert population_method("census table (2009 figure; Wikipedia)", 2009) == "census_2009"
    assert population_method("census table (2021 figure)", 2021) == "census"


def _straddle_context(nominal_a: float, log_sd: float, t_min: float):
    """Two units, A (estimated, around the floor) and B (real, 6,000), A->B costs t_min per resident."""
    from atr_model.optimisation import EngineSettings, MergerModel

    pop = np.array([nominal_a, 6000.0])
    per_person = np.array([[0.0, t_min], [t_min, 0.0]])
    cost = pop[:, None] * per_person
    settings = EngineSettings(population_floor=5000, floor_mode="soft", slack_penalty_per_person=1000.0,
                              processes=1)
    model = MergerModel.from_matrices(pop, cost, [(0, 1)], travel_time_min=per_person, settings=settings)
    nominal = model.solve().assignment
    basis = DrawBasis(
        unit_codes=("A", "B"), population=pop, method=np.array(["other_estimate", "census"], dtype=object),
        log_sd=np.array([log_sd, 0.0]), share_groups=(), factor_of_unit=np.array([0, 0]), factor_labels=("r",),
        travel_log_sd=0.0, travel_kind="roads", scale_cost_by_travel=True, drop_candidates=np.zeros(0, np.int64),
        drop_probability=0.0, estimated_units=1,
    )
    return DrawContext(instance=model.instance, settings=settings, basis=basis, nominal_assignment=nominal)


def test_unit_straddling_the_floor_merges_as_often_as_the_law_says() -> None:
    nominal_a, log_sd, t_min, draws = 4000.0, 0.2, 10.0, 300
    ctx = _straddle_context(nominal_a, log_sd, t_min)
    # by hand: A merges iff its shortfall penalty beats its travel, 1000 (5000 - p) > t p
    threshold = 5000 * 1000 / (1000 + t_min)
    expected = 0.5 * (1 + math.erf(math.log(threshold / nominal_a) / (log_sd * math.sqrt(2))))
    merged = 0
    for k, draw in enumerate(make_draws(ctx.basis, draws, seed=11)):
        out = solve_draw(ctx, draw, k)
        assert out.error == ""
        together = out.assignment[0] == out.assignment[1]
        assert together == (draw.population[0] < threshold)
        merged += together
    share = merged / draws
    half_width = 2.576 * math.sqrt(expected * (1 - expected) / draws)  # 99 % binomial interval
    assert abs(share - expected) <= half_width, (share, expected, half_width)


def test_bad_uncertainty_keys_and_spreads_name_the_key() -> None:
    with pytest.raises(ScenarioError, match=r"uncertainty\.population\.log_sd\.raion_share"):
        _demo(**{"uncertainty.population.log_sd.raion_share": -0.1})
    with pytest.raises(ScenarioError, match=r"uncertainty\.population\.spread"):
        _demo(**{"uncertainty.population.spread": 0.3})


@pytest.mark.parametrize("draws", [0, -3])
def test_draws_below_one_are_refused(draws: int) -> None:
    with pytest.raises(ScenarioError, match="--draws must be a whole number >= 1"):
        run_robustness(_demo(**SPREAD), draws=draws, seed=0)


def test_unreachable_scheduler_is_named_before_any_work() -> None:
    pytest.importorskip("distributed", reason="the dask extra is not installed")
    with pytest.raises(ScenarioError, match=r"cannot reach the Dask scheduler at 'tcp://127\.0\.0\.1:9'"):
        run_robustness(_demo(**SPREAD), draws=2, seed=0, scheduler_address="tcp://127.0.0.1:9")


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from atr_model.presentation.cli import main

    code = 0
    try:
        main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--draws", "0"], "--draws must be a whole number >= 1"),
        (["--scheduler-address", "tcp://127.0.0.1:9"], "cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'"),
    ],
)
def test_cli_bad_input_is_one_line_without_traceback(extra: list[str], message: str, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = _cli(["robustness", str(SCENARIOS / "demo.yaml"), "--seed", "1", "-q",
                            "--out", str(tmp_path / "r"), *extra], capsys)
    assert code == 1
    assert message in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.startswith("error:")]) == 1
    assert not (tmp_path / "r").exists()


def test_cli_unknown_uncertainty_key_in_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (SCENARIOS / "demo.yaml").read_text(encoding="utf-8") + "uncertainty:\n  travel:\n    detour: 0.2\n"
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    code, _out, err = _cli(["robustness", str(path), "--draws", "2", "-q", "--out", str(tmp_path / "r")], capsys)
    assert code == 1 and "uncertainty.travel.detour" in err and "Traceback" not in err


def test_cli_writes_the_package_with_report_and_notes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (SCENARIOS / "demo.yaml").read_text(encoding="utf-8") + (
        "uncertainty:\n  population:\n    log_sd:\n      census: 0.3\n  travel:\n    roads_log_sd: 0.1\n")
    path = tmp_path / "demo-spread.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "pkg"
    code, stdout, _err = _cli(["robustness", str(path), "--draws", "3", "--seed", "2", "--workers", "1", "-q",
                               "--out", str(out)], capsys)
    assert code == 0
    assert "appearing exactly in >= 80% of draws" in stdout and "fragile decisions" in stdout
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "id='robustness'" in html and "<svg" in html and "Fragile decisions" in html


def test_an_interrupted_write_leaves_no_folder(demo_runs, tmp_path: Path) -> None:
    result, _folder = demo_runs["a"]

    def interrupt(_result, staging: Path) -> None:
        assert (staging / "unit_stability.csv").exists()
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_robustness(result, tmp_path / "pkg", extra_writers=(interrupt,))
    assert list(tmp_path.iterdir()) == []


def test_hinges_name_the_estimates_of_flipping_decisions(demo_runs) -> None:
    result, _folder = demo_runs["a"]
    units = result.units
    flipping = units[units["share_same_unit"] < 1]
    assert len(flipping) and (flipping["hinges_on"].str.len() > 0).all()
    assert (units.loc[units["share_same_unit"] == 1, "hinges_on"] == "").all()
    named = flipping["hinges_on"][flipping["hinges_on"].str.contains("hinges on")]
    assert named.str.contains(r"population estimate of .+ \(estimate; drawn|travel times").all()
    assert set(result.fragile["unit_code"]) == set(units.loc[units["fragile"], "unit_code"])
    assert (result.fragile["share_same_unit"] < 0.8).all()
