"""Stage: a constructive first plan. Greedy merging of neighbouring new units, the plan the
fixed-centre matheuristic (:mod:`.heuristics`) starts from.

Why: the LP relaxation's centres are a poor start where the floor binds almost everywhere. On the
hardest group of the scale benchmark (``benchmarks/bench_scale.py``, n = 1,000, seed 0, district
D0012: 60 units, about 70 % of them below the floor) the LP leaned to 34 centres, which cannot all
reach 5,000 residents; the fixed-centre MIP from them spent its whole budget without a connected
plan, and the exact phase started from "every unit alone". Greedy merging gives a connected plan
with about as many units as the population allows, in milliseconds.

The plan is a heuristic: it only seeds the search (:func:`.heuristics.given_plan` checks it
against every row of the model before it is used), so the proven optimum never depends on it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from atr_model.optimisation.contiguity import reachable
from atr_model.optimisation.formulation import Formulation

__all__ = ["greedy_plan"]


class _Units:
    """New units under construction: members, best centre and objective share of each."""

    def __init__(self, form: Formulation) -> None:
        self.form = form
        prep, s = form.prep, form.prep.settings
        self.inst = prep.instance
        self.s = s
        self.members: dict[int, list[int]] = {i: [i] for i in range(self.inst.n)}
        self.of = np.arange(self.inst.n)
        # allowed[i, j]: unit i may join centre j (a pair of the model); cost with inf cleared, so a
        # sum over allowed pairs stays finite
        self.allowed = np.zeros((self.inst.n, self.inst.n), dtype=bool)
        if form.x:
            pairs = np.asarray(list(form.x), dtype=np.int64)
            self.allowed[pairs[:, 0], pairs[:, 1]] = True
        self.cost = np.where(self.allowed, self.inst.cost, 0.0)
        # units bound by must_link or cannot_link: the moves leave them where they are (their rows
        # are checked when the plan is offered to the model)
        self.locked = {int(u) for pairs in (self.inst.must_link, self.inst.cannot_link) for pair in pairs for u in pair}
        self.centre: dict[int, int] = {}
        self.value: dict[int, float] = {}
        for i in range(self.inst.n):
            self.centre[i], self.value[i] = self.evaluate([i])

    def penalty(self, members: list[int]) -> float:
        """Floor and cap penalties of a new unit. A hard floor is priced like a soft one (a plan
        still below it is dropped by the model's check, but the merging is steered towards it);
        a hard cap forbids the unit (``inf``)."""
        s, inst = self.s, self.inst
        total = float(inst.population[members].sum())
        out = 0.0
        if s.population_floor is not None and not inst.exempt[members].all():
            out += s.slack_penalty_per_person * max(0.0, s.population_floor - total)
        if s.population_cap is not None and total > s.population_cap:
            if s.cap_mode == "hard":
                return np.inf
            out += s.cap_penalty_per_person * (total - s.population_cap)
        return out

    def evaluate(self, members: list[int]) -> tuple[int, float]:
        """Cheapest allowed centre of ``members`` (the first of them on a tie) and the unit's
        objective share (``inf`` when no member may serve them all)."""
        idx = np.asarray(members, dtype=np.intp)
        rows = idx[:, None]  # plain fancy indexing: np.ix_ costs more than the sums on a few units
        sums = np.where(self.allowed[rows, idx].all(axis=0), self.cost[rows, idx].sum(axis=0), np.inf)
        k = int(np.argmin(sums))
        if not np.isfinite(sums[k]):
            return -1, np.inf
        return int(idx[k]), float(sums[k]) + self.s.admin_cost_per_unit + self.penalty(members)

    def shortfall(self, u: int) -> float:
        s, inst, mem = self.s, self.inst, self.members[u]
        if s.population_floor is None or not (~inst.exempt[mem]).any():
            return 0.0
        return max(0.0, s.population_floor - float(inst.population[mem].sum()))

    def neighbours(self, u: int) -> set[int]:
        nbrs, alone = self.form.prep.nbrs, self.form.prep.alone
        return {int(self.of[v]) for i in self.members[u] for v in nbrs[i] if not alone[v]} - {u}

    def merge(self, a: int, b: int, centre: int, value: float) -> None:
        self.members[a] = sorted(self.members[a] + self.members.pop(b))
        self.of[self.members[a]] = a
        self.centre[a], self.value[a] = centre, value
        del self.centre[b], self.value[b]


def greedy_plan(form: Formulation, improve: Callable[[_Units], object] | None = None) -> np.ndarray | None:
    """Greedy merging: the new unit furthest below the floor joins the neighbouring new unit that
    lowers the objective most, until no merge lowers it; then single units move, and ``improve``
    (when given) works on the result (:func:`.localsearch.searched_greedy_plan`). ``None`` when
    there is no floor (nothing to merge for) or a unit has no allowed centre of its own.

    Every merge joins two adjacent connected sets, so every new unit is connected; every pair it
    uses is allowed by the model (travel limit, locks). Units that stay alone never merge.
    """
    s = form.prep.settings
    if s.population_floor is None or s.population_floor <= 0:
        return None
    units = _Units(form)
    if any(c < 0 for c in units.centre.values()):
        return None
    alone = form.prep.alone
    stuck: set[int] = set()
    while True:
        open_ = [u for u in units.members if u not in stuck and not alone[u] and units.shortfall(u) > 0]
        if not open_:
            break
        u = max(open_, key=lambda v: (units.shortfall(v), -v))
        best: tuple[float, int, int, float] | None = None
        for w in sorted(units.neighbours(u)):
            merged = units.members[u] + units.members[w]
            centre, value = units.evaluate(merged)
            delta = value - units.value[u] - units.value[w]
            if centre >= 0 and np.isfinite(value) and (best is None or delta < best[0]):
                best = (delta, w, centre, value)
        if best is None or best[0] >= 0:
            stuck.add(u)
            continue
        _, w, centre, value = best
        keep, gone = min(u, w), max(u, w)
        units.merge(keep, gone, centre, value)
        # the merged unit and its neighbours meet new options
        stuck -= units.neighbours(keep) | {keep}
    _move_units(units)
    if improve is not None:
        improve(units)
    plan = np.empty(form.prep.instance.n, dtype=np.int64)
    for u, mem in units.members.items():
        plan[mem] = units.centre[u]
    return plan


def _connected(members: list[int], nbrs: list[list[int]]) -> bool:
    return len(reachable(members[0], set(members), nbrs)) == len(members)


def _move_units(units: _Units, max_passes: int = 20) -> None:
    """Local search after the merging: move a unit on the edge of its new unit to a neighbouring
    new unit while that lowers the objective (both keep their best centre; the one left behind
    stays connected and non-empty).

    Why: greedy merging never undoes a merge, so a unit joined early to reach the floor stays far
    from its centre. Measured on the scale benchmark's region R01 (178 units): the greedy plan
    1.96e6, after the moves 1.57e6 (the fixed-centre matheuristic from its centres then reaches
    1.35e6; the LP bound is 1.01e6).
    Units bound by ``must_link`` or ``cannot_link`` do not move (their rows are checked later).
    """
    inst, nbrs, alone = units.inst, units.form.prep.nbrs, units.form.prep.alone
    locked = units.locked
    for _ in range(max_passes):
        moved = False
        for i in range(inst.n):
            if alone[i] or i in locked:
                continue
            a = int(units.of[i])
            if len(units.members[a]) < 2:
                continue
            rest = [v for v in units.members[a] if v != i]
            if not _connected(rest, nbrs):
                continue
            centre_a, value_a = units.evaluate(rest)
            if centre_a < 0:
                continue
            best: tuple[float, int, int, float] | None = None
            for b in sorted({int(units.of[v]) for v in nbrs[i] if not alone[v]} - {a}):
                centre_b, value_b = units.evaluate(units.members[b] + [i])
                if centre_b < 0 or not np.isfinite(value_b):
                    continue
                delta = value_a + value_b - units.value[a] - units.value[b]
                if delta < -1e-9 * max(1.0, units.value[a] + units.value[b]) and (best is None or delta < best[0]):
                    best = (delta, b, centre_b, value_b)
            if best is None:
                continue
            _, b, centre_b, value_b = best
            units.members[a] = rest
            units.centre[a], units.value[a] = centre_a, value_a
            units.members[b] = sorted(units.members[b] + [i])
            units.centre[b], units.value[b] = centre_b, value_b
            units.of[i] = b
            moved = True
        if not moved:
            return
