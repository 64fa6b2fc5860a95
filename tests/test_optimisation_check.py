"""The independent checker finds every kind of violation on hand-made bad plans."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from atr_model.errors import SolverError
from atr_model.optimisation import EngineSettings, MergerInstance, MergerModel, check_plan
from atr_model.scenarios import load_scenario, run_scenario


def _line(n: int = 4, **kw: object) -> MergerInstance:
    """Units 0-1-2-...-(n-1) on a line, 3,000 residents each, distance |i - j|."""
    idx = np.arange(n)
    dist = np.abs(idx[:, None] - idx[None]).astype(float)
    return MergerInstance(unit_codes=[f"U{i}" for i in range(n)], population=np.full(n, 3000.0),
                          cost=3000.0 * dist, adjacency=[(i, i + 1) for i in range(n - 1)],
                          travel_time_min=10.0 * dist, **kw)


HARD = EngineSettings(population_floor=5000, floor_mode="hard")
GOOD = [0, 0, 2, 2]


def _kinds(inst: MergerInstance, plan: list[int], settings: EngineSettings = HARD) -> set[str]:
    return {v.constraint for v in check_plan(inst, np.asarray(plan), settings) if v.hard}


def test_valid_plan_has_no_violation() -> None:
    assert check_plan(_line(), np.asarray(GOOD), HARD) == []


@pytest.mark.parametrize(
    ("inst_kw", "settings", "plan", "kind"),
    [
        ({}, HARD, [0, 0, 0, 1], "assignment"),  # 3 points to 1, which is not a centre
        ({}, HARD, [0, 0, 0, 0, 0], "assignment"),  # wrong length
        ({}, HARD, [0, 2, 2, 0], "contiguity"),  # {0, 3} is not connected
        ({}, HARD, [0, 1, 2, 2], "floor"),  # 0 and 1 alone below 5,000
        ({}, HARD.replace(population_cap=8000, cap_mode="hard"), [0, 0, 0, 3], "cap"),
        ({}, HARD.replace(max_travel_time_min=15), [1, 1, 1, 1], "travel_time"),  # 3 is 20 min from 1
        ({"group": ["A", "A", "B", "B"]}, HARD, [1, 1, 1, 1], "nesting"),
        ({"keep_separate": [False, True, False, False]}, HARD.replace(floor_mode="soft"), [0, 0, 2, 2], "keep_separate"),
        ({"exempt": [True, False, False, False]}, HARD, [0, 0, 2, 2], "exempt"),
        ({"must_link": [(1, 2)]}, HARD, GOOD, "must_link"),
        ({"cannot_link": [(0, 1)]}, HARD, GOOD, "cannot_link"),
        ({"centre_eligible": [False, True, True, True]}, HARD, GOOD, "centre_eligible"),
        ({}, HARD.replace(n_units=3), GOOD, "n_units"),
        ({"indicator": [1.0, 0.0, 5.0, 5.0]}, HARD.replace(indicator_floor=2.0), GOOD, "indicator_floor"),
    ],
)
def test_each_violation_kind_is_found(inst_kw: dict, settings: EngineSettings, plan: list[int], kind: str) -> None:
    inst = _line(**inst_kw)
    assert kind in _kinds(inst, plan, settings)


def test_infinite_cost_pair_is_flagged() -> None:
    inst = _line()
    cost = inst.cost.copy()
    cost[1, 0] = np.inf
    inst2 = MergerInstance(unit_codes=inst.unit_codes, population=inst.population, cost=cost,
                           adjacency=inst.adjacency)
    assert "cost" in _kinds(inst2, GOOD)


def test_soft_floor_shortfall_is_not_hard() -> None:
    found = check_plan(_line(), np.asarray([0, 1, 2, 2]), HARD.replace(floor_mode="soft"))
    assert found and all(v.constraint == "floor" and not v.hard for v in found)
    assert "U0" in found[0].units and "3,000 residents, below the floor 5,000" in found[0].message
    # the sentence's code and raw values, for the interface's languages
    assert found[0].code == "floor" and found[0].params == {"centre": "U0", "total": 3000, "floor": 5000}


def test_no_contiguity_setting_skips_the_check() -> None:
    assert "contiguity" not in _kinds(_line(), [0, 2, 2, 0], HARD.replace(contiguity="none"))


def test_scenario_run_fails_when_the_checker_rejects_the_plan(demo_dataset, monkeypatch: pytest.MonkeyPatch) -> None:
    # the scenario layer checks the engine's plan again: a plan that puts every unit of the demo
    # under one centre (across raions, beyond the travel limit) ends the run with SolverError
    solve = MergerModel.solve

    def solve_then_break(self: MergerModel, *args: object, **kwargs: object):
        result = solve(self, *args, **kwargs)
        result.assignment = np.zeros_like(result.assignment)
        return result

    monkeypatch.setattr(MergerModel, "solve", solve_then_break)
    scenario = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "demo.yaml")
    with pytest.raises(SolverError, match=r"^the plan failed the independent check: \w+: .*\(and \d+ more\)$"):
        run_scenario(scenario, dataset=demo_dataset)
