r"""Stage: Lagrangian fixing, before the exact solve. Lagrangian variable fixing for the
centre-based merger model.

Relaxing the assignment rows :math:`\sum_j x_{ij} = 1` with multipliers :math:`u_i` (and dropping
every other side constraint: population band, contiguity, locks, penalties, all of which only
raise the optimum) leaves, for a centre count :math:`k`,

.. math::

    L(u) = \sum_i u_i + \min_{|S| = k} \sum_{j \in S} w_j(u), \qquad
    w_j(u) = (c_{jj} - u_j) + \sum_{i \ne j} \min(0, c_{ij} - u_i),

a lower bound on every plan for every :math:`u` (the p-median Lagrangian). Forcing one pair
:math:`x_{ij} = 1` raises the bound by an amount computed in closed form; when the raised bound
exceeds the objective of a known plan, no plan at least as good uses that pair and
:math:`x_{ij}` is fixed to 0. The multipliers come from a subgradient ascent; fixings found at
every iterate are kept (each is valid on its own). Unlike LP reduced costs, which are mostly
zero under the heavy dual degeneracy of the Hess LP, these penalties fix most pairs once the
plan is near-optimal. Reference: H. Validi, A. Buchanan, E. Lykhovyd (2022), Oper. Res.
70(2):867-892, section on Lagrangian variable fixing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import numpy as np
import pulp

__all__ = ["lagrangian_fix", "pair_bounds", "relaxed_costs"]

log = logging.getLogger(__name__)


def _bound_and_penalties(cost: np.ndarray, allowed: np.ndarray, forced: np.ndarray, k: int | None,
                         u: np.ndarray, need_pen: bool,
                         band: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                         ) -> tuple[float, np.ndarray, np.ndarray | None]:
    """``L(u)``, the centre choice (x_jj of the relaxed optimum) and the bound with each pair forced."""
    n = cost.shape[0]
    red = cost - u[:, None]  # red[i, j] = c_ij - u_i
    if band is not None:
        return _select(*_band_values(red, allowed, *band), forced, k, float(u.sum()))
    red_off = np.where(allowed, red, np.inf)
    diag = np.diagonal(red).copy()
    np.fill_diagonal(red_off, np.inf)
    neg = np.minimum(red_off, 0.0)
    neg[~np.isfinite(neg)] = 0.0
    w = diag + neg.sum(axis=0)  # w[j]
    centre_ok = np.diagonal(allowed).copy()
    w = np.where(centre_ok, w, np.inf)
    chosen = forced.copy()
    free = np.flatnonzero(centre_ok & ~forced)
    order = free[np.argsort(w[free], kind="stable")]
    if k is None:
        extra = order[w[order] < 0]
        swap_out = np.zeros(n)  # adding a centre costs w_j itself (no centre leaves)
    else:
        need = k - int(forced.sum())
        extra = order[:need]
        # the cheapest centre that can make room: the last free one chosen
        last = float(w[extra[-1]]) if need > 0 else np.inf
        swap_out = np.full(n, last)
    chosen[extra] = True
    total = float(u.sum() + w[chosen].sum())
    if not need_pen:
        return total, chosen, None
    # bound with x_ij = 1 forced: i's term on column j becomes red_ij (not min(0, red_ij)); if j is
    # not chosen it must enter, displacing the last free centre (fixed k) or adding (free k)
    extra_i = np.maximum(red, 0.0)
    np.fill_diagonal(extra_i, 0.0)
    if k is None:
        enter_cost = np.where(chosen, 0.0, w)  # w_j >= 0 for a centre left out
        pen = extra_i + enter_cost[None, :]
    else:
        enter_cost = np.where(chosen, 0.0, w - swap_out if np.isfinite(swap_out).all() else np.inf)
        pen = extra_i + enter_cost[None, :]
    forced_bound = total + pen
    forced_bound[~allowed] = np.inf
    return total, chosen, forced_bound


def _select(w: np.ndarray, wf: np.ndarray, forced: np.ndarray, k: int | None,
            constant: float) -> tuple[float, np.ndarray, np.ndarray]:
    """Pick the centres of the relaxed problem from their values ``w``; bounds with a pair forced
    from ``wf[i, j]`` (the value of centre ``j`` with ``i`` forced in)."""
    n = w.size
    chosen = forced.copy()
    free = np.flatnonzero(np.isfinite(w) & ~forced)
    order = free[np.argsort(w[free], kind="stable")]
    if k is None:
        chosen[order[w[order] < 0]] = True
        out_value = np.zeros(n)
    else:
        need = k - int(forced.sum())
        if need < 0 or need > order.size:
            return np.inf, chosen, np.full((n, n), np.inf)  # no plan at all
        chosen[order[:need]] = True
        out_value = np.full(n, float(w[order[need - 1]]) if need > 0 else np.inf)
    total = constant + float(w[chosen].sum())
    with np.errstate(invalid="ignore"):
        # a chosen centre changes its value; another must come in (pushing the last free one out)
        delta = np.where(chosen[None, :], wf - w[None, :], wf - out_value[None, :])
    delta = np.where(np.isnan(delta), np.inf, delta)
    return total, chosen, total + delta


def pair_bounds(red: np.ndarray, allowed: np.ndarray, forced_centres: np.ndarray, k: int | None,
                constant: float = 0.0,
                band: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> tuple[float, np.ndarray]:
    """Lagrangian bound and the bound with each single pair forced to 1, for given reduced costs.

    Parameters
    ----------
    red : array (n, n)
        Lagrangian cost of ``x_ij`` (objective minus the relaxed rows weighted by their
        multipliers); entries outside ``allowed`` are ignored.
    allowed : bool array (n, n)
        Pairs present in the model.
    forced_centres : bool array (n,)
        Centres fixed to 1.
    k : int or None
        Exact number of centres kept in the subproblem, or ``None`` (free).
    constant : float
        Constant part of the Lagrangian (multipliers times right-hand sides, other variables).
    band : (population, low, high), optional
        Keep ``low[j] <= sum_i population[i] x_ij <= high[j]`` (per centre ``j``, ``-inf``/``inf``
        where it does not hold) in the subproblem; it holds in every plan, so the bound stays
        valid and forcing a pair also pays for the members it displaces.

    Returns
    -------
    bound : float
        ``L``, a lower bound on every plan.
    forced_bound : array (n, n)
        Lower bound on every plan using pair ``(i, j)`` (``inf`` outside ``allowed``).
    """
    red = np.where(allowed, np.asarray(red, dtype=float), 0.0)
    total, _, forced_bound = _bound_and_penalties(red, np.asarray(allowed, bool), np.asarray(forced_centres, bool),
                                                  k, np.zeros(red.shape[0]), True, band)
    assert forced_bound is not None
    return total + constant, forced_bound + constant


def lagrangian_fix(cost: np.ndarray, allowed: np.ndarray, forced_centres: np.ndarray, k: int | None,
                   upper_bound: float, *, max_iter: int = 600, time_limit_s: float = 2.0,
                   tol_rel: float = 1e-7) -> tuple[np.ndarray, float]:
    """Pairs that no plan of objective ``<= upper_bound`` can use.

    Parameters
    ----------
    cost : array (n, n)
        Objective coefficient of ``x_ij`` (unit ``i`` in the new unit centred on ``j``), all
        non-negative; entries outside ``allowed`` are ignored.
    allowed : bool array (n, n)
        Pairs present in the model (``allowed[j, j]``: ``j`` may be a centre).
    forced_centres : bool array (n,)
        Centres fixed to 1.
    k : int or None
        Exact number of centres, or ``None`` when free.
    upper_bound : float
        Objective of a known feasible plan (it must stay feasible after fixing: it does, as its
        pairs all have forced bounds ``<= upper_bound``).
    max_iter, time_limit_s : int, float
        Subgradient budget.
    tol_rel : float
        A pair is fixed only when its bound exceeds ``upper_bound`` by this relative margin.

    Returns
    -------
    fix : bool array (n, n)
        ``True`` where ``x_ij`` can be fixed to 0.
    best_bound : float
        Best Lagrangian lower bound found.
    """
    cost = np.asarray(cost, dtype=float)
    allowed = np.asarray(allowed, dtype=bool)
    n = cost.shape[0]
    cost = np.where(allowed, cost, 0.0)
    forced = np.asarray(forced_centres, dtype=bool)
    limit = upper_bound + tol_rel * max(1.0, abs(upper_bound))
    fix = np.zeros((n, n), dtype=bool)
    # start: every unit's cheapest non-own allowed assignment (a classic p-median start)
    off = np.where(allowed, cost, np.inf)
    np.fill_diagonal(off, np.inf)
    u = np.min(off, axis=1)
    u = np.where(np.isfinite(u), u, np.diagonal(cost))
    best_bound = -np.inf
    theta, stall = 2.0, 0
    t_end = time.perf_counter() + time_limit_s
    for it in range(max_iter):  # noqa: B007 (the log after the loop reports it)
        total, chosen, forced_bound = _bound_and_penalties(cost, allowed, forced, k, u, True)
        assert forced_bound is not None
        fix |= forced_bound > limit
        if not np.isfinite(best_bound) or total > best_bound + 1e-9 * max(1.0, abs(best_bound)):
            best_bound, stall = total, 0
        else:
            stall += 1
            if stall >= 20:
                theta, stall = theta / 2.0, 0
        if theta < 1e-4 or best_bound > limit or time.perf_counter() > t_end:
            break
        # subgradient of the relaxed rows: 1 - (number of chosen centres taking i)
        red = cost - u[:, None]
        take = allowed & (red < 0) & chosen[None, :]
        np.fill_diagonal(take, False)
        take[np.arange(n), np.arange(n)] = chosen
        g = 1.0 - take.sum(axis=1)
        norm = float(g @ g)
        if norm == 0:
            break  # the relaxed solution is a plan: the bound is tight
        u = u + theta * max(upper_bound - total, 1e-9 * max(1.0, abs(upper_bound))) / norm * g
    fix &= allowed
    log.info("Lagrangian fixing: bound %.10g (plan %.10g) after %d iterations; %d of %d pairs fixed",
             best_bound, upper_bound, it + 1, int(fix.sum()), int(allowed.sum()))
    return fix, float(best_bound)


def relaxed_costs(prob: pulp.LpProblem, x: dict[tuple[int, int], pulp.LpVariable], n: int,
                  keep: Callable[[str], bool]) -> tuple[np.ndarray, float] | None:
    r"""Lagrangian costs of the pairs from the duals of a solved LP (rows ``keep(name)`` stay).

    Every other row ``r`` is relaxed with its LP dual :math:`\pi_r` (clipped to the sign that
    keeps the bound valid), so the Lagrangian cost of a column is
    :math:`c_v - \sum_r \pi_r a_{rv}` and the constant is :math:`\sum_r \pi_r b_r` plus the
    cheapest value of every non-pair column within its bounds. At the LP optimum the bound equals
    the LP value (the kept subproblem is integral) but forcing a pair now moves whole centres.

    Returns ``None`` when a dual is missing or a non-pair column is unbounded the wrong way.
    """
    col_cost: dict[str, float] = {}
    objective = prob.objective
    for v, c in objective.items():
        col_cost[v.name] = col_cost.get(v.name, 0.0) + float(c)
    constant = float(objective.constant)
    for name, con in prob.constraints.items():
        if keep(name):
            continue
        pi = con.pi
        if pi is None:
            return None
        pi = float(pi)
        # pulp stores "expr + constant <sense> 0"
        if con.sense == pulp.LpConstraintGE:
            pi = max(pi, 0.0)
        elif con.sense == pulp.LpConstraintLE:
            pi = min(pi, 0.0)
        if pi == 0.0:
            continue
        constant += pi * (-float(con.constant))
        for v, a in con.items():
            col_cost[v.name] = col_cost.get(v.name, 0.0) - pi * float(a)
    red = np.zeros((n, n))
    pair_names = set()
    for (i, j), v in x.items():
        red[i, j] = col_cost.get(v.name, 0.0)
        pair_names.add(v.name)
    for v in prob.variables():
        if v.name in pair_names:
            continue
        c = col_cost.get(v.name, 0.0)
        lo = -np.inf if v.lowBound is None else float(v.lowBound)
        up = np.inf if v.upBound is None else float(v.upBound)
        value = c * (lo if c >= 0 else up) if c != 0 else 0.0
        if not np.isfinite(value):
            return None
        constant += value
    return red, constant


def _band_values(red: np.ndarray, allowed: np.ndarray, pop: np.ndarray, lo: np.ndarray,
                 hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Centre values with the population band kept in the subproblem (its LP, a fractional knapsack).

    ``w[j] = red[j, j] + min { sum_i red[i, j] x_i : lo_j <= sum_i pop_i x_i <= hi_j, 0 <= x <= 1 }``
    over the other allowed members ``i`` (``lo``/``hi`` already net of the centre's own population),
    and ``wf[i, j]`` the same with ``x_i = 1`` forced. The LP takes members by increasing
    ``red / pop`` up to the weight ``clip(weight of the negative members, lo, hi)``.
    """
    n = red.shape[0]
    w = np.full(n, np.inf)
    wf = np.full((n, n), np.inf)
    for j in range(n):
        if not allowed[j, j]:
            continue
        mem = np.flatnonzero(allowed[:, j])
        mem = mem[mem != j]
        # members of no weight and no gain are never taken; forcing one in only adds its cost
        idle = (pop[mem] <= 0) & (red[mem, j] >= 0)
        idle_mem, mem = mem[idle], mem[~idle]
        r = red[mem, j]
        p = pop[mem]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(p > 0, r / np.where(p > 0, p, 1.0), np.where(r < 0, -np.inf, np.inf))
        order = np.argsort(ratio, kind="stable")
        r, p, ratio, mem = r[order], p[order], ratio[order], mem[order]
        m = mem.size
        cum_w = np.concatenate(([0.0], np.cumsum(p)))
        cum_v = np.concatenate(([0.0], np.cumsum(r)))
        neg = r < 0
        w_neg = float(p[neg].sum())
        # all members at once (row 0) and each member forced in (rows 1..m): drop it from the curve
        pos = np.arange(m)
        drop = (np.arange(m + 1)[None, :] > pos[:, None])  # prefix t includes member at sorted pos
        cw = np.vstack([cum_w, cum_w[None, :] - p[:, None] * drop])
        cv = np.vstack([cum_v, cum_v[None, :] - r[:, None] * drop])
        shift = np.concatenate(([0.0], p))
        gain = np.concatenate(([0.0], r))
        wn = w_neg - np.concatenate(([0.0], np.where(neg, p, 0.0)))
        total_w = cw[:, -1]
        target = np.minimum(hi[j] - shift, np.maximum(lo[j] - shift, wn))
        ok = (target >= -1e-9) & (target <= total_w + 1e-9 * max(1.0, float(cum_w[-1])))
        target = np.clip(target, 0.0, total_w)
        idx = (cw <= target[:, None] + 1e-12).sum(axis=1) - 1
        idx = np.minimum(idx, m)
        rows = np.arange(m + 1)
        base_v = cv[rows, idx]
        rest = target - cw[rows, idx]
        # the next item on each row's curve (skipping the dropped member) fills the rest fractionally
        nxt_ratio = np.zeros(m + 1)
        need = rest > 1e-12
        for row in np.flatnonzero(need):
            t = int(idx[row])
            # in row's curve, segment t -> t+1 is sorted member t, unless it is the dropped one (0 weight)
            while t < m and row >= 1 and t == row - 1:
                t += 1
            nxt_ratio[row] = ratio[t] if t < m else np.inf
        value = base_v + np.where(need, rest * nxt_ratio, 0.0)
        value = np.where(ok, value, np.inf)
        w[j] = red[j, j] + value[0]
        wf[mem, j] = red[j, j] + gain[1:] + value[1:]
        wf[idle_mem, j] = w[j] + red[idle_mem, j]
    np.fill_diagonal(wf, w)
    return w, wf
