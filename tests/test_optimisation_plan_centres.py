"""Centres of a plan drawn without them: chosen as the model would (allowed pairs, least cost)."""

from __future__ import annotations

import numpy as np
import pytest

from atr_model.optimisation import (
    EngineSettings,
    MergerInstance,
    MergerModel,
    check_plan,
    plan_centres,
    plan_measures,
)


def _line(population: list[float], **kw: object) -> MergerInstance:
    """Units 0-1-...-(n-1) on a line, 10 min apart; cost = population x distance."""
    n = len(population)
    idx = np.arange(n)
    dist = np.abs(idx[:, None] - idx[None]).astype(float)
    pop = np.asarray(population, dtype=float)
    return MergerInstance(unit_codes=[f"U{i}" for i in range(n)], population=pop, cost=pop[:, None] * dist,
                          adjacency=[(i, i + 1) for i in range(n - 1)], travel_time_min=10.0 * dist, **kw)


def test_the_cheapest_member_is_not_the_centre_when_it_breaks_the_travel_limit() -> None:
    inst = _line([10000, 1000, 1000])
    settings = EngineSettings(max_travel_time_min=15)
    members = [0, 1, 2]
    # the trap: U0 costs least, but U2 is 20 min from it
    assert inst.cost[members, 0].sum() < inst.cost[members, 1].sum()
    (centre,) = plan_centres(inst, settings, [members])
    assert centre == 1
    assert [v for v in check_plan(inst, np.full(3, centre), settings) if v.hard] == []


def test_a_member_not_eligible_to_host_a_centre_is_passed_over_ties_by_code() -> None:
    inst = _line([1000, 10000, 1000], centre_eligible=[True, False, True])
    # U1 would cost least; U0 and U2 cost the same, and U0 comes first
    assert plan_centres(inst, EngineSettings(), [[0, 1, 2]]) == [0]
    assert plan_centres(_line([1000, 10000, 1000]), EngineSettings(), [[0, 1, 2]]) == [1]


def test_without_an_allowed_centre_the_least_breaking_member_is_taken() -> None:
    inst = _line([1000, 3000, 3000, 1000])
    settings = EngineSettings(max_travel_time_min=15)
    (centre,) = plan_centres(inst, settings, [[0, 1, 2, 3]])
    assert centre in (1, 2)  # one member beyond the limit, not two as from U0 or U3
    travel = [v for v in check_plan(inst, np.full(4, centre), settings) if v.constraint == "travel_time"]
    assert len(travel) == 1


def test_the_optimum_read_back_without_centres_costs_the_optimum() -> None:
    rng = np.random.default_rng(3)
    inst = _line(list(rng.integers(500, 4000, size=9).astype(float)))
    settings = EngineSettings(population_floor=5000, floor_mode="soft", max_travel_time_min=25, time_limit_s=30,
                              processes=1)
    result = MergerModel(inst, settings).solve()
    assert result.proven_optimal
    parts = [list(np.flatnonzero(result.assignment == c)) for c in np.unique(result.assignment)]
    assignment = np.empty(inst.n, dtype=np.int64)
    for members, centre in zip(parts, plan_centres(inst, settings, parts)):
        assignment[members] = centre
    assert [v for v in check_plan(inst, assignment, settings) if v.hard] == []
    assert plan_measures(inst, settings, assignment)["objective"] == pytest.approx(result.objective, rel=1e-12)
