"""Lagrangian pair bounds are valid lower bounds (checked against every plan of small instances)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from atr_model.optimisation import MergerModel
from atr_model.optimisation.lagrangian import pair_bounds


def _plans(n: int, k: int):
    """Every assignment of ``n`` units to ``k`` centres (a centre serves itself)."""
    for centres in itertools.combinations(range(n), k):
        others = [i for i in range(n) if i not in centres]
        for choice in itertools.product(centres, repeat=len(others)):
            a = np.array(range(n))
            a[others] = choice
            yield a


@pytest.mark.parametrize("seed", range(6))
def test_pair_bounds_never_exceed_a_plan(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, k = 7, 2
    pop = rng.integers(0, 50, n).astype(float)
    pop[rng.integers(n)] = 0.0  # a unit of no weight
    cost = rng.uniform(0, 10, (n, n))
    np.fill_diagonal(cost, 0.0)
    allowed = rng.uniform(size=(n, n)) < 0.85
    np.fill_diagonal(allowed, True)
    total = pop.sum()
    low, high = total / k * 0.7, total / k * 1.3
    u = rng.uniform(-5, 15, n)  # any multipliers of the assignment rows give valid bounds
    red = cost - u[:, None]
    band = (pop, low - pop, high - pop)
    bound, forced = pair_bounds(red, allowed, np.zeros(n, bool), k, float(u.sum()), band)
    best = np.full((n, n), np.inf)
    for a in _plans(n, k):
        if not allowed[np.arange(n), a].all():
            continue
        sizes = {j: pop[a == j].sum() for j in set(a.tolist())}
        if any(s < low - 1e-9 or s > high + 1e-9 for s in sizes.values()):
            continue
        value = cost[np.arange(n), a].sum()
        for i in range(n):
            best[i, a[i]] = min(best[i, a[i]], value)
    assert np.isfinite(best).any()
    assert bound <= best.min() + 1e-9
    assert (forced <= best + 1e-9).all()
    # and the bounds are not vacuous: some pair is priced above the plain bound
    assert (forced[np.isfinite(forced)] > bound + 1e-9).any()


def test_lagrangian_fixing_keeps_the_optimum() -> None:
    rng = np.random.default_rng(3)
    n = 12
    xy = rng.uniform(0, 10, (n, 2))
    dist = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    pop = rng.integers(1000, 3000, n).astype(float)
    edges = [(i, j) for i in range(n) for j in range(i + 1, n) if dist[i, j] < 4.5]
    kw = dict(population_floor=pop.sum() / 3 * 0.8, floor_mode="hard", population_cap=pop.sum() / 3 * 1.2,
              cap_mode="hard", n_units=3, admin_cost_per_unit=0.0, contiguity="cuts", decompose=False)
    cost = pop[:, None] * dist**2
    with_fix = MergerModel.from_matrices(pop, cost, edges, **kw).solve()
    without = MergerModel.from_matrices(pop, cost, edges, lagrangian_fixing=False, **kw).solve()
    assert with_fix.proven_optimal and without.proven_optimal
    assert with_fix.objective == pytest.approx(without.objective, rel=1e-9)
    # the Lagrangian penalties fix pairs the LP reduced costs leave
    assert with_fix.fixed_pairs["reduced_cost"] > without.fixed_pairs["reduced_cost"]
