"""The engine's bulk model hand-over to HiGHS (``FrozenProblem``) builds exactly PuLP's model."""

from __future__ import annotations

import highspy
import numpy as np
import pulp
import pytest

from atr_model.optimisation.formulation import Formulation
from atr_model.optimisation.io import read_instance_dir
from atr_model.optimisation.prepare import prepare
from atr_model.optimisation.solvers import FrozenProblem, _HiGHS, quiet_stdout


def _highs_lp(prob: pulp.LpProblem, bulk: bool) -> highspy.HighsLp:
    solver = _HiGHS(msg=False)
    with quiet_stdout():
        prob.solverModel = highspy.Highs()
    prob.solverModel.setOptionValue("output_flag", False)
    if bulk:
        solver.buildSolverModel(prob)
    else:
        pulp.HiGHS.buildSolverModel(solver, prob)
    return prob.solverModel.getLp()


def _dense(lp: highspy.HighsLp) -> np.ndarray:
    a = lp.a_matrix_
    out = np.zeros((lp.num_row_, lp.num_col_))
    start, index, value = np.asarray(a.start_), np.asarray(a.index_), np.asarray(a.value_)
    for c in range(lp.num_col_):
        out[index[start[c]:start[c + 1]], c] = value[start[c]:start[c + 1]]
    return out


def test_bulk_build_equals_pulps_row_by_row_build(validi_dir) -> None:
    bench = read_instance_dir(validi_dir / "data" / "AR", k=4)
    settings = bench.settings(contiguity="cuts", solver="highs")
    form = Formulation(prepare(bench.instance, settings), "cuts")
    assert isinstance(form.prob, FrozenProblem)
    form.add_cuts([(0, 2, (1,))])  # a cut added after freezing is part of the next build
    form.x[3, 3].upBound = 0  # bounds are read at every build
    fast, slow = _highs_lp(form.prob, bulk=True), _highs_lp(form.prob, bulk=False)
    assert (fast.num_col_, fast.num_row_) == (slow.num_col_, slow.num_row_)
    assert fast.num_row_ == len(form.prob.constraints) and fast.num_col_ == len(form.x)
    for attr in ("col_cost_", "col_lower_", "col_upper_", "row_lower_", "row_upper_"):
        assert np.array_equal(np.asarray(getattr(fast, attr)), np.asarray(getattr(slow, attr))), attr
    assert np.array_equal(_dense(fast), _dense(slow))
    assert list(fast.integrality_) == list(slow.integrality_)


def test_variables_seen_after_freezing() -> None:
    prob = FrozenProblem("t", pulp.LpMinimize)
    a, b = pulp.LpVariable("a", 0, 4), pulp.LpVariable("b", 0, 4)
    prob += a
    prob += a + b >= 3, "c1"
    prob.freeze()
    c = pulp.LpVariable("aa", 0, 1)  # sorts between "a" and "b"
    prob += b - c <= 0, "c2"
    assert [v.name for v in prob.variables()] == ["a", "aa", "b"]
    prob.solve(_HiGHS(msg=False))
    assert pulp.value(prob.objective) == pytest.approx(2.0)
    assert (a.varValue, b.varValue, c.varValue) == pytest.approx((2.0, 1.0, 1.0))


def test_empty_objective_solves() -> None:
    # PuLP adds a "__dummy" column to an empty objective while it solves
    prob = FrozenProblem("t", pulp.LpMinimize)
    x = pulp.LpVariable("x", 0, 1, cat=pulp.LpBinary)
    prob.setObjective(pulp.LpAffineExpression())  # e.g. one unit, zero cost
    prob += x >= 1, "c"
    prob.freeze()
    prob.solve(_HiGHS(msg=False))
    assert prob.sol_status == pulp.LpSolutionOptimal and x.varValue == pytest.approx(1.0)
    assert pulp.value(prob.objective) == 0
