"""Stage: fixing pairs. Once a plan of objective ``ub`` is known, (unit, centre) pairs whose
bound proves they cannot be in a better plan are fixed to 0 before the exact solve.

Two bounds are used: the LP reduced cost of a pair resting at 0 (reduced-cost fixing), and the
Lagrangian bound with that pair forced in (:mod:`.lagrangian`). With pairs fixed, a unit cut off
from a centre by fixed pairs cannot join it either, and the neighbour separators shrink to the
unfixed neighbours (:meth:`PairFixing.tighten`). Every fixing can be undone
(:meth:`PairFixing.undo`) should the model become infeasible, which exact arithmetic rules out.
"""

from __future__ import annotations

import logging

import numpy as np
import pulp

from atr_model.optimisation.contiguity import reachable
from atr_model.optimisation.formulation import Formulation
from atr_model.optimisation.lagrangian import pair_bounds, relaxed_costs
from atr_model.optimisation.settings import EngineSettings

__all__ = ["PairFixing", "fixing_limit"]

log = logging.getLogger(__name__)

# (reduced costs, constant, count k, (population, low, high) band) for the Lagrangian bound
_Lagrange = tuple[np.ndarray, float, int | None, tuple[np.ndarray, np.ndarray, np.ndarray]]


def fixing_limit(ub: float) -> float:
    """A bound above this proves a pair absent from every plan at least as good as ``ub``."""
    return ub + 1e-7 * max(1.0, abs(ub))


class PairFixing:
    """The pairs fixed to 0 on one formulation, and the Lagrangian costs of its last LP.

    Parameters
    ----------
    form : Formulation
        The MILP whose variables are fixed (``upBound = 0``).
    settings : EngineSettings
        ``fixing`` and ``lagrangian_fixing`` switch the two bounds on.
    notes : list of str
        Where to say that a bound could not be used (shared with the result).
    """

    def __init__(self, form: Formulation, settings: EngineSettings, notes: list[str]) -> None:
        self.form, self.settings, self.notes = form, settings, notes
        self.fixed_vars: list[pulp.LpVariable] = []
        self.n_fixed = 0
        self.lagrange: _Lagrange | None = None

    @property
    def lagrangian_on(self) -> bool:
        """Whether Lagrangian fixing (and the LP re-solves that feed it) is switched on."""
        return bool(self.settings.fixing and self.settings.lagrangian_fixing)

    def _fix_var(self, v: pulp.LpVariable) -> None:
        v.upBound = 0
        self.fixed_vars.append(v)

    def reduced_cost(self, z_lp: float, dj: dict[str, float], ub: float) -> None:
        """Reduced-cost fixing: a pair whose LP reduced cost lifts the bound above a known plan is 0."""
        limit = fixing_limit(ub)
        fixed = 0
        for v in self.form.x.values():
            if v.upBound == 0 or (v.lowBound or 0) > 0:
                continue
            if v.name in dj and z_lp + dj[v.name] > limit:
                self._fix_var(v)
                fixed += 1
        self.n_fixed += fixed
        log.info("reduced-cost fixing: %d of %d pairs (LP %.10g, plan %.10g)", fixed, len(self.form.x), z_lp, ub)

    def setup_lagrange(self) -> None:
        """Lagrangian costs from the duals of the LP just solved (all rows but the links and the count)."""
        self.lagrange = None
        if not self.lagrangian_on:
            return
        k = self.settings.n_units if isinstance(self.settings.n_units, int) else None

        def keep(name: str) -> bool:
            return name.startswith("link_") or (k is not None and name == "n_units")

        relaxed = relaxed_costs(self.form.prob, self.form.x, self.form.prep.instance.n, keep)
        if relaxed is None:
            self.notes.append("Lagrangian fixing skipped: the LP solver gave no duals")
            return
        self.lagrange = (relaxed[0], relaxed[1], k, self._band())

    def _band(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Hard population band per centre, net of the centre (``-inf``/``inf`` where none holds)."""
        s, prep = self.settings, self.form.prep
        inst = prep.instance
        pop = np.asarray(inst.population, dtype=float)
        n = inst.n
        lo = np.full(n, -np.inf)
        hi = np.full(n, np.inf)
        for j in range(n):
            if prep.alone[j]:
                continue
            if s.population_floor is not None and s.floor_mode == "hard" and prep.floor_applies[j] \
                    and not inst.exempt[j]:
                lo[j] = s.population_floor - pop[j]
            if s.population_cap is not None and s.cap_mode == "hard":
                hi[j] = s.population_cap - pop[j]
        return pop, lo, hi

    def _allowed_and_forced(self) -> tuple[np.ndarray, np.ndarray]:
        """Pairs not fixed to 0, and centres forced open."""
        n = self.form.prep.instance.n
        allowed = np.zeros((n, n), dtype=bool)
        forced = np.zeros(n, dtype=bool)
        for (i, j), v in self.form.x.items():
            if v.upBound != 0:
                allowed[i, j] = True
            if i == j and (v.lowBound or 0) > 0:
                forced[j] = True
        return allowed, forced

    def lagrangian(self, ub: float) -> None:
        """Fix pairs whose Lagrangian bound (a pair forced in) exceeds a plan of objective ``ub``."""
        if self.lagrange is None:
            return
        red, constant, k, band = self.lagrange
        allowed, forced = self._allowed_and_forced()
        bound, forced_bound = pair_bounds(red, allowed, forced, k, constant, band)
        fixed = 0
        for i, j in zip(*np.nonzero(allowed & (forced_bound > fixing_limit(ub)))):
            v = self.form.x[int(i), int(j)]
            if (v.lowBound or 0) > 0:
                continue
            self._fix_var(v)
            fixed += 1
        self.n_fixed += fixed
        if fixed:
            fixed += self.tighten()
        log.info("Lagrangian fixing: %d more pairs (bound %.10g, plan %.10g, %d pairs left)", fixed, bound, ub,
                 int(allowed.sum()) - fixed)

    def tighten(self) -> int:
        """With pairs fixed, a unit cut off from a centre by fixed pairs cannot join it either, and
        the neighbour separators shrink to the unfixed neighbours. Returns the extra pairs fixed."""
        form = self.form
        if form.method != "cuts":
            return 0
        form.restricted = True
        fixed = self._fix_unreachable()
        self.n_fixed += fixed
        form.add_cuts(form.neighbour_cuts(form.live_members()))
        return fixed

    def _fix_unreachable(self) -> int:
        """Fix the pairs of units that cannot reach their centre through unfixed pairs."""
        form, nbrs = self.form, self.form.prep.nbrs
        fixed = 0
        live = form.live_members()
        for j in sorted(live):
            if form.x[j, j].upBound == 0:
                continue
            inside = set(live[j])
            for i in sorted(inside - reachable(j, inside, nbrs)):
                v = form.x[i, j]
                if (v.lowBound or 0) > 0:
                    continue
                self._fix_var(v)
                fixed += 1
        return fixed

    def undo(self) -> None:
        """Undo every fixing and drop the cuts that relied on them."""
        for v in self.fixed_vars:
            v.upBound = 1
        self.form.drop_restricted_cuts()
        self.fixed_vars, self.n_fixed = [], 0
