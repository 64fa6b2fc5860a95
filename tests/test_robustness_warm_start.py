"""Warm start from a given plan (``MergerModel.solve(start=...)``) and its use in robustness draws.

The engine is exact, so a start may change speed only: the demo's robustness tables are the same
with and without it. A start that breaks a hard constraint of the instance it is given to (a pair
beyond the drawn travel limit, a new unit under a hard floor, a disconnected unit) is dropped
with the reason, never handed to the solver.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from atr_model.errors import CriteriaError
from atr_model.optimisation import EngineSettings, MergerModel, cutloop, group_start
from atr_model.scenarios import apply_overrides, load_scenario
from atr_model.scenarios.robustness import ROBUSTNESS_FILES, run_robustness, write_robustness
from atr_model.scenarios.robustness_solve import DrawContext, solve_draw
from atr_model.scenarios.uncertainty import Draw, DrawBasis

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SPREAD = {"uncertainty.population.log_sd.census": 0.3, "uncertainty.travel.roads_log_sd": 0.1}


def _line(population: list[float], minutes: float = 60.0, **settings: object) -> MergerModel:
    """Units on a line, ``minutes`` apart per step; cost = population x minutes to the centre."""
    pop = np.asarray(population, dtype=float)
    n = pop.size
    steps = np.abs(np.subtract.outer(np.arange(n), np.arange(n))).astype(float)
    travel = steps * minutes
    base = EngineSettings(population_floor=5000, processes=1)
    return MergerModel.from_matrices(pop, pop[:, None] * travel, [(k, k + 1) for k in range(n - 1)],
                                     travel_time_min=travel, settings=base.replace(**settings))


def test_demo_tables_are_identical_with_and_without_the_warm_start(tmp_path: Path) -> None:
    scenario = apply_overrides(load_scenario(SCENARIOS / "demo.yaml"), **SPREAD)
    cold = run_robustness(scenario, draws=5, seed=5, warm_start=False)
    warm = run_robustness(scenario, draws=5, seed=5, warm_start=True)
    assert cold.timings["starts_used"] == 0
    assert warm.timings["starts_used"] > 0  # the start really reached the solves
    a, b = write_robustness(cold, tmp_path / "cold"), write_robustness(warm, tmp_path / "warm")
    for name in ROBUSTNESS_FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_a_valid_start_is_used_and_the_optimum_does_not_move() -> None:
    model = _line([3000, 4000, 6000, 2500], floor_mode="hard")
    cold = model.solve()
    for start in (cold.assignment, [1, 1, 2, 2], [2, 2, 2, 2]):
        warm = MergerModel(model.instance, model.settings).solve(start=start)
        assert warm.start == {"used": 1, "dropped": 0}
        assert np.array_equal(warm.assignment, cold.assignment)
        assert warm.objective == pytest.approx(cold.objective)


@pytest.mark.parametrize(("start", "limit", "reason"), [
    ([0, 1, 2, 3], 150.0, "breaks a hard constraint"),   # units 0, 1 and 3 alone under the hard floor
    ([2, 2, 2, 3], 150.0, "breaks a hard constraint"),   # unit 3 alone under the hard floor
    ([0, 2, 2, 0], 150.0, "unit 3 may not join centre 0"),  # 180 min, beyond the limit
    ([2, 2, 2, 2], 100.0, "unit 0 may not join centre 2"),  # 120 min, beyond the limit
])
def test_a_start_that_breaks_a_hard_constraint_is_dropped(start: list[int], limit: float, reason: str) -> None:
    model = _line([3000, 4000, 6000, 2500], floor_mode="hard", max_travel_time_min=limit)
    cold = model.solve()
    warm = MergerModel(model.instance, model.settings).solve(start=start)
    assert warm.start == {"used": 0, "dropped": 1}
    assert any(reason in note for note in warm.notes), warm.notes
    assert np.array_equal(warm.assignment, cold.assignment)


def _mip_starts(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, float] | None]:
    """Record the MIP start of every solve the engine makes."""
    seen: list[dict[str, float] | None] = []
    real = cutloop.make_solver

    def spy(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        if kwargs.get("mip", True):
            seen.append(kwargs.get("start"))
        return real(*args, **kwargs)

    monkeypatch.setattr(cutloop, "make_solver", spy)
    return seen


def test_a_dropped_start_never_reaches_the_solver(monkeypatch: pytest.MonkeyPatch) -> None:
    # warm_start off: the engine's own heuristic gives no MIP start, so any start seen is the caller's
    model = _line([3000, 4000, 6000, 2500], floor_mode="soft", contiguity="cuts", warm_start=False)
    seen = _mip_starts(monkeypatch)
    warm = model.solve(start=[3, 1, 2, 3])  # unit 0 under centre 3 with units 1 and 2 elsewhere
    assert warm.start == {"used": 0, "dropped": 1}
    assert any("not contiguous" in note for note in warm.notes), warm.notes
    assert seen and all(start is None for start in seen)


def test_a_used_start_is_the_first_mip_start(monkeypatch: pytest.MonkeyPatch) -> None:
    model = _line([3000, 4000, 6000, 2500], floor_mode="soft", contiguity="cuts", warm_start=False)
    seen = _mip_starts(monkeypatch)
    warm = model.solve(start=[1, 1, 2, 2])
    assert warm.start == {"used": 1, "dropped": 0}
    first = seen[0]
    assert first is not None
    chosen = sorted(name for name, value in first.items() if name.startswith("x_") and value == 1.0)
    assert chosen == ["x_0_1", "x_1_1", "x_2_2", "x_3_2"]


def test_a_start_that_is_not_a_plan_is_refused_with_the_unit_named() -> None:
    model = _line([3000, 4000, 6000])
    with pytest.raises(CriteriaError, match=r"start must be 3 whole-number centre indices"):
        model.solve(start=[0, 1])
    with pytest.raises(CriteriaError, match=r"start gives unit 2 the centre index 7"):
        model.solve(start=[0, 1, 7])
    with pytest.raises(CriteriaError, match=r"start puts unit 0 under 1, which is not its own centre"):
        model.solve(start=[1, 2, 2])


def test_group_start_cuts_the_plan_to_each_group() -> None:
    plan = np.array([1, 1, 1, 4, 4, 0])
    assert group_start(plan, np.array([0, 1, 2])).tolist() == [1, 1, 1]
    assert group_start(plan, np.array([3, 4])).tolist() == [1, 1]
    assert group_start(plan, np.array([4, 5])).tolist() == [0, -1]  # unit 5's centre is outside
    assert group_start(None, np.array([0])) is None


def _context(warm: bool) -> DrawContext:
    """A (estimate, 3,000), B (real, 6,000), C (real, 6,000): nominally A joins B, 60 min away."""
    model = _line([3000, 6000, 6000], floor_mode="soft", max_travel_time_min=90.0)
    nominal = model.solve().assignment
    assert nominal.tolist() == [1, 1, 2]
    basis = DrawBasis(
        unit_codes=("A", "B", "C"), population=model.instance.population,
        method=np.array(["other_estimate", "census", "census"], dtype=object), log_sd=np.array([0.3, 0.0, 0.0]),
        share_groups=(), factor_of_unit=np.array([0, 1, 2]), factor_labels=("a", "b", "c"), travel_log_sd=0.2,
        travel_kind="modelled", scale_cost_by_travel=True, drop_candidates=np.zeros(0, np.int64),
        drop_probability=0.0, estimated_units=1,
    )
    return DrawContext(instance=model.instance, settings=model.settings, basis=basis, nominal_assignment=nominal,
                       warm_start=warm)


def _cold_and_warm(population_a: float, factor_a: float) -> tuple[object, object]:
    """The draw "A has ``population_a`` residents and travel factor ``factor_a``", solved cold and warm."""
    factors = np.array([factor_a, 1.0, 1.0])
    draw = Draw(population=np.array([population_a, 6000.0, 6000.0]), travel_factor=factors, unit_factor=factors,
                dropped=np.zeros(2, dtype=bool))
    return solve_draw(_context(False), draw, 0), solve_draw(_context(True), draw, 0)


def test_a_draw_that_breaks_the_nominal_plan_drops_the_start_and_solves_cold() -> None:
    # A's travel factor 3: A -> B takes 60 x sqrt(3) = 104 min, beyond the 90-minute limit
    cold, warm = _cold_and_warm(3500.0, 3.0)
    assert warm.starts_dropped == 1 and warm.starts_used == 0
    assert cold.starts_dropped == 0 and cold.starts_used == 0
    assert warm.error == "" and warm.assignment.tolist() == cold.assignment.tolist() == [0, 1, 2]
    assert not warm.nominal_feasible  # the nominal plan breaks the drawn travel limit


def test_a_draw_that_keeps_the_nominal_plan_valid_uses_the_start() -> None:
    cold, warm = _cold_and_warm(2800.0, 1.1)
    assert warm.starts_used == 1 and warm.starts_dropped == 0
    assert warm.assignment.tolist() == cold.assignment.tolist() == [1, 1, 2]


def test_auto_warm_start_follows_the_decomposition(tmp_path: Path) -> None:
    scenario = apply_overrides(load_scenario(SCENARIOS / "demo.yaml"), **SPREAD)
    auto = run_robustness(scenario, draws=2, seed=5)
    assert auto.timings["warm_start"] is True  # the demo's draws are solved raion by raion
    coupled = apply_overrides(scenario, **{"criteria.n_units": 36})
    assert run_robustness(coupled, draws=2, seed=5).timings["warm_start"] is False


def test_cli_refuses_an_unknown_warm_start_value(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from atr_model.presentation.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["robustness", str(SCENARIOS / "demo.yaml"), "-q", "--warm-start", "maybe",
              "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert exc.value.code == 1 and "--warm-start must be one of auto, on, off (got 'maybe')" in err
    assert "Traceback" not in err and not (tmp_path / "r").exists()


def test_cli_notes_say_how_often_the_start_was_used(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from atr_model.presentation.cli import main

    text = (SCENARIOS / "demo.yaml").read_text(encoding="utf-8") + (
        "uncertainty:\n  population:\n    log_sd:\n      census: 0.3\n")
    path = tmp_path / "demo-spread.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        main(["robustness", str(path), "--draws", "2", "--seed", "3", "-q", "--workers", "1", "--no-report",
              "--warm-start", "on", "--out", str(tmp_path / "r")])
    except SystemExit as exc:
        assert not exc.code
    out = capsys.readouterr().out
    assert "warm start from the nominal plan: used in " in out
    meta = (tmp_path / "r" / "robustness.json").read_text(encoding="utf-8")
    assert '"warm_start": true' in meta
