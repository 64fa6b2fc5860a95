"""The merger engine on small hand-made instances whose optima are worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from atr_model.errors import CriteriaError, InfeasibleError
from atr_model.optimisation import (
    EngineSettings,
    MergerInstance,
    MergerModel,
    check_plan,
    explain_units,
)


def _path_instance(pop: list[float], dist: np.ndarray, edges: list[tuple[int, int]], **kw: object) -> MergerInstance:
    pop_arr = np.asarray(pop, dtype=float)
    return MergerInstance(unit_codes=[f"U{i}" for i in range(len(pop))], population=pop_arr,
                          cost=pop_arr[:, None] * dist, adjacency=edges, **kw)


# A - B - C on a path; A and C are close to each other (1 per person) but not adjacent, B is 10
# away from both. Floor 5,000 hard; A = C = 3,000, B = 6,000.
# Without contiguity the best plan is {A, C} (3,000 x 1) and B alone: 3,000.
# With contiguity A and C can only reach the floor through B: centre B costs 3,000 x 10 x 2 =
# 60,000; centre A costs 6,000 x 10 + 3,000 x 1 = 63,000; centre C the same. Optimum 60,000.
TRIANGLE_DIST = np.array([[0, 10, 1], [10, 0, 10], [1, 10, 0]], dtype=float)


def _triangle() -> MergerInstance:
    return _path_instance([3000, 6000, 3000], TRIANGLE_DIST, [(0, 1), (1, 2)])


@pytest.mark.parametrize("method", ["cuts", "flow"])
def test_contiguity_changes_the_optimum(method: str) -> None:
    settings = EngineSettings(population_floor=5000, floor_mode="hard", contiguity=method)
    result = MergerModel(_triangle(), settings).solve()
    assert result.proven_optimal and result.contiguity_method == method
    assert result.objective == pytest.approx(60000)
    assert result.assignment.tolist() == [1, 1, 1]
    assert check_plan(_triangle(), result.assignment, settings) == []


def test_without_contiguity_the_optimum_is_disconnected() -> None:
    settings = EngineSettings(population_floor=5000, floor_mode="hard", contiguity="none")
    result = MergerModel(_triangle(), settings).solve()
    assert result.objective == pytest.approx(3000)
    assert result.assignment[0] == result.assignment[2] != result.assignment[1]
    # the checker flags the same plan once contiguity is asked for
    kinds = {v.constraint for v in check_plan(_triangle(), result.assignment, settings.replace(contiguity="cuts"))}
    assert kinds == {"contiguity"}


def test_cut_loop_records_rounds() -> None:
    settings = EngineSettings(population_floor=5000, floor_mode="hard", contiguity="cuts")
    assert MergerModel(_triangle(), settings).solve().cut_rounds >= 1


# Two units 90 min apart, limit 60: unit 0 (2,000) cannot reach the floor.
def _far_pair() -> MergerInstance:
    ttm = np.array([[0, 90], [90, 0]], dtype=float)
    return _path_instance([2000, 8000], ttm, [(0, 1)], travel_time_min=ttm)


def test_floor_unreachable_within_travel_limit_is_explained() -> None:
    settings = EngineSettings(population_floor=5000, floor_mode="soft", max_travel_time_min=60)
    inst = _far_pair()
    result = MergerModel(inst, settings).solve()
    assert result.assignment.tolist() == [0, 1]
    assert result.floor_shortfall[0] == pytest.approx(3000)
    exp = explain_units(inst, result, settings)
    assert exp[0].status == "below_floor_no_partner"
    assert "travel limit of 60 min" in exp[0].reason and "2,000" in exp[0].reason
    assert exp[1].status == "kept"
    soft = [v for v in check_plan(inst, result.assignment, settings) if v.constraint == "floor"]
    assert len(soft) == 1 and not soft[0].hard


def test_hard_floor_unreachable_raises_before_solver() -> None:
    settings = EngineSettings(population_floor=5000, floor_mode="hard", max_travel_time_min=60)
    with pytest.raises(InfeasibleError, match="U0") as err:
        MergerModel(_far_pair(), settings).solve()
    assert err.value.reasons[0]["constraint"] == "floor"


# 0 (exempt, 1,000) - 1 (4,500) - 2 (600). With the exempt unit kept, 1 + 2 = 5,100 reach the floor.
def test_exempt_unit_is_kept() -> None:
    dist = np.array([[0, 1, 2], [1, 0, 1], [2, 1, 0]], dtype=float)
    inst = _path_instance([1000, 4500, 600], dist, [(0, 1), (1, 2)], exempt=[True, False, False],
                          exempt_reason=["high-mountain", "", ""])
    settings = EngineSettings(population_floor=5000, floor_mode="hard", exempt_mode="keep")
    result = MergerModel(inst, settings).solve()
    assert result.assignment.tolist() == [0, 1, 1]
    exp = explain_units(inst, result, settings)
    assert [e.status for e in exp] == ["kept_exempt", "centre", "merged"]
    assert "high-mountain" in exp[0].reason
    # with no_floor the exempt unit may join (1 is the cheapest centre: 1,000 x 1 + 600 x 1)
    result2 = MergerModel(inst, settings.replace(exempt_mode="no_floor")).solve()
    assert result2.objective == pytest.approx(600)  # joining 0 would add 1,000: not worth it
    assert result2.assignment[2] == 1


def test_locks_are_honoured() -> None:
    # square 0-1-2-3-0, all 3,000 residents, floor 5,000: pairs form. Unit distances 1 between
    # neighbours, 2 across. cannot_link (0, 1) and must_link (1, 2) force {1, 2} and {0, 3}.
    dist = np.array([[0, 1, 2, 1], [1, 0, 1, 2], [2, 1, 0, 1], [1, 2, 1, 0]], dtype=float)
    inst = _path_instance([3000] * 4, dist, [(0, 1), (1, 2), (2, 3), (3, 0)], cannot_link=[(0, 1)],
                          must_link=[(1, 2)])
    settings = EngineSettings(population_floor=5000, floor_mode="hard")
    result = MergerModel(inst, settings).solve()
    a = result.assignment
    assert a[1] == a[2] and a[0] == a[3] and a[0] != a[1]
    # keep_separate unit stays alone (the others pair up around it)
    inst2 = _path_instance([3000, 6000, 3000, 3000], dist, [(0, 1), (1, 2), (2, 3), (3, 0)],
                           keep_separate=[False, True, False, False])
    result2 = MergerModel(inst2, settings.replace(floor_mode="soft")).solve()
    assert result2.assignment[1] == 1 and (result2.assignment == 1).sum() == 1
    assert explain_units(inst2, result2, settings)[1].status == "kept"


def test_contradictory_lock_names_units_and_constraint() -> None:
    # must_link 0-2 whose only connecting path passes the keep_separate unit 1
    dist = np.ones((3, 3)) - np.eye(3)
    inst = _path_instance([3000, 3000, 3000], dist, [(0, 1), (1, 2)], keep_separate=[False, True, False],
                          must_link=[(0, 2)])
    with pytest.raises(InfeasibleError, match="must_link") as err:
        MergerModel(inst, EngineSettings(floor_mode="soft")).solve()
    reason = err.value.reasons[0]
    assert reason["constraint"] == "must_link/contiguity"
    assert {"U0", "U1", "U2"} <= set(reason["units"])
    # a cannot_link contradicting a must_link
    inst2 = _path_instance([3000, 3000, 3000], dist, [(0, 1), (1, 2)], must_link=[(0, 1), (1, 2)],
                           cannot_link=[(0, 2)])
    with pytest.raises(InfeasibleError, match="cannot_link"):
        MergerModel(inst2, EngineSettings()).solve()


def test_must_link_across_groups_is_infeasible() -> None:
    dist = np.ones((2, 2)) - np.eye(2)
    inst = _path_instance([3000, 3000], dist, [(0, 1)], group=["A", "B"], must_link=[(0, 1)])
    with pytest.raises(InfeasibleError, match="nesting"):
        MergerModel(inst, EngineSettings()).solve()


def test_band_and_count_validation() -> None:
    dist = np.ones((3, 3)) - np.eye(3)
    inst = _path_instance([3000, 3000, 9000], dist, [(0, 1), (1, 2)])
    with pytest.raises(InfeasibleError, match="only 3 units may be a centre"):
        MergerModel(inst, EngineSettings(n_units=4)).solve()
    with pytest.raises(InfeasibleError, match="below the floor"):
        MergerModel(inst, EngineSettings(population_floor=5000, population_cap=4000)).solve()
    with pytest.raises(InfeasibleError, match="above the hard cap"):
        MergerModel(inst, EngineSettings(population_floor=5000, population_cap=8000, cap_mode="hard")).solve()
    with pytest.raises(InfeasibleError, match="hard floor"):
        MergerModel(inst, EngineSettings(population_floor=6000, floor_mode="hard", n_units=3)).solve()
    with pytest.raises(CriteriaError, match="floor_mode"):
        EngineSettings(floor_mode="firm")  # type: ignore[arg-type]
    with pytest.raises(CriteriaError, match="unknown group"):
        MergerModel(inst, EngineSettings(n_units={"nowhere": 1})).solve()


def test_groups_never_merge_and_counts_per_group() -> None:
    # two groups of two adjacent units; the cross-group edge 1-2 is never used
    dist = np.array([[0, 1, 1, 5], [1, 0, 1, 5], [1, 1, 0, 1], [5, 5, 1, 0]], dtype=float)
    inst = _path_instance([3000] * 4, dist, [(0, 1), (1, 2), (2, 3)], group=["A", "A", "B", "B"])
    settings = EngineSettings(population_floor=5000, floor_mode="hard", n_units={"A": 1, "B": 1})
    result = MergerModel(inst, settings).solve()
    assert result.n_units == 2 and set(result.per_group) == {"A", "B"}
    assert result.assignment[0] == result.assignment[1] and result.assignment[2] == result.assignment[3]
    coupled = MergerModel(inst, settings.replace(n_units=2)).solve()
    assert coupled.objective == pytest.approx(result.objective)


def test_determinism_two_solves_identical() -> None:
    rng = np.random.default_rng(7)
    n = 12
    xy = rng.uniform(0, 10, size=(n, 2))
    dist = np.linalg.norm(xy[:, None] - xy[None], axis=2)
    edges = [(i, j) for i in range(n) for j in range(i + 1, n) if dist[i, j] < 4.0]
    pop = rng.integers(1000, 6000, size=n).astype(float)
    inst = _path_instance(list(pop), dist, edges)
    settings = EngineSettings(population_floor=5000)
    r1, r2 = MergerModel(inst, settings).solve(), MergerModel(inst, settings).solve()
    assert r1.assignment.tolist() == r2.assignment.tolist()
    assert r1.objective == r2.objective


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_both_solvers_agree(solver: str) -> None:
    settings = EngineSettings(population_floor=5000, floor_mode="hard", contiguity="cuts", solver=solver)
    result = MergerModel(_triangle(), settings).solve()
    assert result.solver == solver and result.proven_optimal
    assert result.objective == pytest.approx(60000)


def test_indicator_floor_soft() -> None:
    # 0 - 1 path, populations fine alone; indicator 1 + 1 < 3 alone, merged 2 < 3 still short
    dist = np.array([[0, 1], [1, 0]], dtype=float)
    inst = _path_instance([6000, 6000], dist, [(0, 1)], indicator=[1.0, np.nan])
    settings = EngineSettings(population_floor=5000, indicator_floor=1.0, indicator_penalty_per_unit=1e6)
    result = MergerModel(inst, settings).solve()
    # unit 1 has unknown indicator (counted as 0): it must merge with 0 to reach 1.0
    assert result.assignment[0] == result.assignment[1]
    assert result.indicator_shortfall.sum() == 0
