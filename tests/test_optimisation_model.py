"""The merger engine on small hand-made instances whose optima are worked out by hand."""

from __future__ import annotations

import multiprocessing
from typing import Any

import numpy as np
import pytest

from atr_model.errors import CriteriaError, InfeasibleError, SolverError
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
    # without the seeded neighbour separators the first solve is the disconnected {A, C}
    settings = EngineSettings(population_floor=5000, floor_mode="hard", contiguity="cuts", warm_start=False,
                              seed_neighbour_cuts=False)
    result = MergerModel(_triangle(), settings).solve()
    assert result.cut_rounds >= 1 and result.objective == pytest.approx(60000)
    seeded = MergerModel(_triangle(), settings.replace(seed_neighbour_cuts=True)).solve()
    assert seeded.cut_rounds == 0 and seeded.objective == pytest.approx(60000)


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
    # 0 - 1 path, both above the population floor alone; indicator floor 1.0: unit 0 has 1.0,
    # unit 1 is unknown (NaN, counted as 0), so alone it would miss 1.0 at a penalty of 1e6
    dist = np.array([[0, 1], [1, 0]], dtype=float)
    inst = _path_instance([6000, 6000], dist, [(0, 1)], indicator=[1.0, np.nan])
    settings = EngineSettings(population_floor=5000, indicator_floor=1.0, indicator_penalty_per_unit=1e6)
    result = MergerModel(inst, settings).solve()
    # merging costs 6,000 x 1 in travel, far below the penalty: the plan merges them
    assert result.assignment[0] == result.assignment[1]
    assert result.indicator_shortfall.sum() == 0
    assert any("indicator unknown for 1 unit" in note and "U1" in note for note in result.notes)


def _grid_groups(n_side: int, groups: int) -> MergerInstance:
    """``groups`` separate n_side x n_side grids of 2,000-resident units (rook adjacency)."""
    codes, pops, group, edges, xy = [], [], [], [], []
    for g in range(groups):
        base = len(codes)
        for r in range(n_side):
            for c in range(n_side):
                codes.append(f"G{g}-{r}-{c}")
                pops.append(2000.0 + 100.0 * ((r * 7 + c * 3 + g) % 5))
                group.append(f"G{g}")
                xy.append((r + 100 * g, c))
                k = base + r * n_side + c
                if c + 1 < n_side:
                    edges.append((k, k + 1))
                if r + 1 < n_side:
                    edges.append((k, k + n_side))
    xy_arr = np.asarray(xy, dtype=float)
    dist = np.linalg.norm(xy_arr[:, None] - xy_arr[None], axis=2)
    pop = np.asarray(pops)
    return MergerInstance(unit_codes=codes, population=pop, cost=pop[:, None] * dist, adjacency=edges, group=group)


def test_decomposed_groups_in_processes_match_sequential(monkeypatch: pytest.MonkeyPatch) -> None:
    from atr_model.optimisation import decomposition

    monkeypatch.setattr(decomposition, "POOL_MIN_UNITS", 0)  # use the pool even for this small case
    inst = _grid_groups(3, 3)  # 27 units, 3 independent groups
    settings = EngineSettings(population_floor=5000, floor_mode="hard", time_limit_s=60)
    pooled = MergerModel(inst, settings.replace(processes=2)).solve()
    serial = MergerModel(inst, settings.replace(processes=1)).solve()
    assert pooled.proven_optimal and serial.proven_optimal
    assert pooled.assignment.tolist() == serial.assignment.tolist()
    assert set(pooled.per_group) == {"G0", "G1", "G2"}
    assert all(st["status"] == "optimal" for st in pooled.per_group.values())
    assert check_plan(inst, pooled.assignment, settings) == []


def _solve_in_child(queue: multiprocessing.Queue[Any], inst: MergerInstance, settings: EngineSettings) -> None:
    from atr_model.optimisation import decomposition

    try:
        result = MergerModel(inst, settings).solve()
        queue.put((decomposition.pool_allowed(), result.assignment.tolist(), result.status))
    except BaseException as exc:  # the parent asserts on it
        queue.put(("error", f"{type(exc).__name__}: {exc}", ""))


def test_daemonic_process_solves_groups_without_a_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    # a Dask worker process is daemonic and may not start children: the groups are solved
    # in-process there, with the same plan as the pool gives
    from atr_model.optimisation import decomposition

    monkeypatch.setattr(decomposition, "POOL_MIN_UNITS", 0)  # the pool would start for this case (fork inherits it)
    inst = _grid_groups(3, 3)
    settings = EngineSettings(population_floor=5000, floor_mode="hard", time_limit_s=60, processes=2)
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_solve_in_child, args=(queue, inst, settings), daemon=True)
    child.start()
    allowed, assignment, status = queue.get(timeout=120)
    child.join(timeout=30)
    assert allowed is False, assignment  # ("error", message) when the daemonic child failed
    pooled = MergerModel(inst, settings).solve()
    assert status == "optimal" and assignment == pooled.assignment.tolist()


def test_decomposition_equals_one_coupled_model() -> None:
    inst = _grid_groups(3, 2)  # 18 units, 2 groups
    settings = EngineSettings(population_floor=5000, floor_mode="hard")
    split = MergerModel(inst, settings).solve()
    coupled = MergerModel(inst, settings.replace(decompose=False)).solve()
    assert split.proven_optimal and coupled.proven_optimal
    assert split.objective == pytest.approx(coupled.objective)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_speed_ups_never_change_the_optimum(seed: int) -> None:
    # random planar-ish instances with exempt units, a travel limit and a soft floor: reduced-cost
    # fixing, the warm start and the contiguity method must all give the same optimal objective
    rng = np.random.default_rng(seed)
    n = 14
    xy = rng.uniform(0, 10, size=(n, 2))
    dist = np.linalg.norm(xy[:, None] - xy[None], axis=2)
    edges = [(i, j) for i in range(n) for j in range(i + 1, n) if dist[i, j] < 3.5]
    pop = rng.integers(800, 7000, size=n).astype(float)
    exempt = rng.random(n) < 0.2
    inst = MergerInstance(unit_codes=[f"R{i}" for i in range(n)], population=pop, cost=pop[:, None] * dist,
                          adjacency=edges, travel_time_min=10 * dist, exempt=exempt)
    base = EngineSettings(population_floor=5000, max_travel_time_min=50, contiguity="cuts")
    plain = MergerModel(inst, base.replace(fixing=False, warm_start=False)).solve()
    variants = [base, base.replace(contiguity="flow"), base.replace(exempt_mode="no_floor")]
    for settings in variants[:2]:
        fast = MergerModel(inst, settings).solve()
        assert fast.proven_optimal and fast.objective == pytest.approx(plain.objective, rel=1e-9)
    nf_plain = MergerModel(inst, variants[2].replace(fixing=False, warm_start=False)).solve()
    nf_fast = MergerModel(inst, variants[2]).solve()
    assert nf_fast.objective == pytest.approx(nf_plain.objective, rel=1e-9)


def test_no_partner_reasons_name_the_cause() -> None:
    # 0 (2,000) borders only 1, which is in another group; 2 (2,000) borders only 3, locked;
    # 4 (2,000) borders 5 (9,000) but a hard cap of 10,000 forbids the pair
    dist = np.ones((6, 6)) - np.eye(6)
    inst = _path_instance([2000, 9000, 2000, 9000, 2000, 9000], dist, [(0, 1), (2, 3), (4, 5)],
                          group=["A", "B", "C", "C", "D", "D"], keep_separate=[False, False, False, True, False, False])
    settings = EngineSettings(population_floor=5000, population_cap=10000, cap_mode="hard")
    result = MergerModel(inst, settings).solve()
    assert result.assignment.tolist() == [0, 1, 2, 3, 4, 5]
    exp = explain_units(inst, result, settings)
    assert [exp[i].status for i in (0, 2, 4)] == ["below_floor_no_partner"] * 3
    assert "nesting boundary" in exp[0].reason
    assert "locked" in exp[2].reason and "U3" in exp[2].reason
    assert "cap 10,000" in exp[4].reason
    assert [exp[i].reason_code for i in (0, 2, 4)] == [
        "below_floor.across_nesting", "below_floor.neighbours_locked", "below_floor.cap"]
    assert exp[4].reason_params == {"unit": "U4", "population": 2000, "floor": 5000, "cap": 10000}
    assert exp[3].status == "kept" and "locked" in exp[3].reason


def test_solver_infeasibility_is_explained() -> None:
    # line 0-1-2-3 of 3,000 each, hard floor 5,000: 0 can only reach the floor with 1, but
    # cannot_link (0, 1) forbids it. No single-unit check sees it; the solver does, and the
    # diagnosis names the families whose removal makes a plan possible.
    dist = np.abs(np.arange(4)[:, None] - np.arange(4)[None]).astype(float)
    inst = _path_instance([3000] * 4, dist, [(0, 1), (1, 2), (2, 3)], cannot_link=[(0, 1)])
    with pytest.raises(InfeasibleError, match="locks") as err:
        MergerModel(inst, EngineSettings(population_floor=5000, floor_mode="hard")).solve()
    families = err.value.reasons[0]["families"]
    assert "contiguity" in families and "floor (hard)" in families and "n_units" not in families


def test_zero_time_budget_returns_the_trivial_plan_unproven() -> None:
    # with soft criteria "every unit alone" is a valid plan, known before any solver call: a zero
    # budget returns exactly that plan, as feasible (no MIP ran, so nothing is proven)
    inst = _grid_groups(4, 1)
    settings = EngineSettings(population_floor=5000, time_limit_s=0.0)
    result = MergerModel(inst, settings).solve()
    assert result.assignment.tolist() == list(range(inst.n))
    # nothing is proven, but the LP relaxation (it always gets its 0.5 s) proved a bound: the
    # anytime answer states its gap (issue 25; it used to be NaN)
    assert result.status == "feasible" and not result.proven_optimal
    assert 0 < result.gap < 1 and result.bound == result.trace[-1][2]
    assert [v for v in check_plan(inst, result.assignment, settings) if v.hard] == []
    # every unit is below the floor: given time, the solver merges and proves a better plan
    full = MergerModel(inst, settings.replace(time_limit_s=60)).solve()
    assert full.proven_optimal and full.n_units < inst.n and full.objective < result.objective


def test_plan_failing_the_independent_check_raises_solver_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # a search that hands back a broken plan (A and C alone under a hard floor) must not get through
    from atr_model.optimisation import model as model_module
    from atr_model.optimisation.measures import plan_result

    inst = _triangle()
    settings = EngineSettings(population_floor=5000, floor_mode="hard")

    def broken_search(instance: MergerInstance, s: EngineSettings, start: np.ndarray | None = None):
        return plan_result(instance, s, np.arange(instance.n, dtype=np.int64), proven=True, bound=0.0,
                           seconds=0.0, cut_rounds=0, contiguity_method="cuts")

    monkeypatch.setattr(model_module, "solve_one", broken_search)
    with pytest.raises(SolverError, match=r"fails the independent check: new unit of U0 has 3,000 residents, "
                                          r"below the floor 5,000; new unit of U2 has 3,000 residents"):
        MergerModel(inst, settings).solve()


@pytest.mark.parametrize(
    ("objective", "bound", "proven", "expected"),
    [
        (100.0, 90.0, False, 0.1),
        (100.0, 101.0, True, 0.0),  # a bound above the plan (rounding) is no negative gap
        (-50.0, -60.0, False, 0.2),  # relative to |objective|
        (100.0, float("nan"), True, 0.0),  # proven without a bound from the solver
        (0.0, 0.0, True, 0.0),
    ],
)
def test_relative_gap(objective: float, bound: float, proven: bool, expected: float) -> None:
    from atr_model.optimisation.measures import relative_gap

    assert relative_gap(objective, bound, proven) == pytest.approx(expected)


def test_relative_gap_unknown_without_bound_or_proof() -> None:
    from atr_model.optimisation.measures import relative_gap

    assert np.isnan(relative_gap(100.0, float("nan"), False))
    assert np.isnan(relative_gap(0.0, 5.0, False))
