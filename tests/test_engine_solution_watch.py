"""Reading HiGHS's intermediate solutions back into the cut loop (``cuts_from_all_solutions``)."""

from __future__ import annotations

import numpy as np
import pytest

from atr_model.errors import CriteriaError
from atr_model.optimisation import EngineSettings, MergerInstance, MergerModel
from atr_model.optimisation.cutloop import SolutionWatch
from atr_model.optimisation.formulation import Formulation
from atr_model.optimisation.prepare import prepare
from atr_model.optimisation.solvers import HIGHS_NO_HEURISTICS, make_solver


def _path_instance() -> MergerInstance:
    # a path 0-1-2-3-4: {0, 2} is a disconnected unit, {0, 1, 2} a connected one
    pop = np.array([3000.0, 100.0, 3000.0, 3000.0, 3000.0])
    xy = np.arange(5, dtype=float)
    cost = pop[:, None] * (xy[:, None] - xy[None, :]) ** 2
    return MergerInstance(population=pop, cost=cost, adjacency=[(0, 1), (1, 2), (2, 3), (3, 4)],
                          unit_codes=[f"u{i}" for i in range(5)])


def _values(form: Formulation, watch: SolutionWatch, assignment: list[int]) -> np.ndarray:
    values = np.zeros(len(watch.names))
    index = {name: k for k, name in enumerate(watch.names)}
    for i, j in enumerate(assignment):
        values[index[form.x[i, j].name]] = 1.0
    return values


def test_watch_cuts_disconnected_solutions_and_keeps_a_connected_plan() -> None:
    settings = EngineSettings(population_floor=5000, floor_mode="soft", contiguity="cuts")
    form = Formulation(prepare(_path_instance(), settings), "cuts")
    watch = SolutionWatch(form, below=1e9, stop_early=True)
    disconnected = [0, 3, 0, 3, 3]  # unit 0 holds 0 and 2 but not 1
    connected = [0, 0, 0, 3, 3]
    watch.on_solution(_values(form, watch, disconnected), 10.0)
    assert watch.stop()  # a better disconnected plan ends the solve
    watch.on_solution(_values(form, watch, connected), 20.0)
    other = [0, 4, 0, 4, 4]  # same defect, other centres
    watch.on_solution(_values(form, watch, other), 12.0)
    watch.on_solution(_values(form, watch, disconnected), 11.0)  # the same plan again
    cuts, plan, centre_sets = watch.harvest()
    assert centre_sets == [[0, 3], [0, 4]]  # the disconnected ones, best first, each once
    assert cuts and all(j in (0, 3, 4) for _, j, _ in cuts)
    assert any(a == 2 and j == 0 and 1 in sep for a, j, sep in cuts)  # 2 joins 0 only through 1
    assert plan is not None and plan.connected and plan.objective == 20.0
    assert list(plan.assignment) == connected


def test_watch_ignores_solutions_no_better_than_the_incumbent() -> None:
    settings = EngineSettings(population_floor=5000, floor_mode="soft", contiguity="cuts")
    form = Formulation(prepare(_path_instance(), settings), "cuts")
    watch = SolutionWatch(form, below=15.0, stop_early=True)
    watch.on_solution(_values(form, watch, [0, 3, 0, 3, 3]), 15.0)
    assert not watch.stop()
    assert watch.harvest() == ([], None, [])


def test_solver_heuristics_switch() -> None:
    off = make_solver("highs", time_limit_s=5, gap_rel=0, threads=1, highs_options={}, heuristics=False)
    assert all(off.optionsDict[k] == v for k, v in HIGHS_NO_HEURISTICS.items())
    mine = make_solver("highs", time_limit_s=5, gap_rel=0, threads=1, heuristics=False,
                       highs_options={"mip_heuristic_effort": 0.3})
    assert mine.optionsDict["mip_heuristic_effort"] == 0.3  # the user's options win
    on = make_solver("highs", time_limit_s=5, gap_rel=0, threads=1, highs_options={})
    assert "mip_heuristic_run_rins" not in on.optionsDict
    with pytest.raises(CriteriaError, match="solver_heuristics"):
        EngineSettings(solver_heuristics="sometimes")
    with pytest.raises(CriteriaError, match="exact_threads"):
        EngineSettings(exact_threads=0)


@pytest.mark.parametrize("switches", [
    {"cuts_from_all_solutions": True, "stop_at_disconnected": True, "solver_heuristics": "off"},
    {"cuts_from_all_solutions": False, "stop_at_disconnected": False, "solver_heuristics": "on"},
])
def test_switches_give_the_same_plan_on_the_demo(demo_dataset, switches) -> None:
    from atr_model.criteria import Criteria
    from atr_model.network import build_travel_model
    from atr_model.scenarios import build_instance, engine_settings

    travel = build_travel_model(demo_dataset)
    criteria = Criteria()
    bundle = build_instance(demo_dataset, travel, criteria)
    base = engine_settings(criteria, bundle=bundle).replace(contiguity="cuts", time_limit_s=120)
    ref = MergerModel(bundle.instance, base).solve()
    res = MergerModel(bundle.instance, base.replace(**switches)).solve()
    assert ref.proven_optimal and res.proven_optimal
    assert res.objective == pytest.approx(ref.objective, rel=1e-9)
