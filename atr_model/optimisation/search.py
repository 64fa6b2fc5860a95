"""Stage: the search for one sub-problem (no decomposition), from the first plans to the proof.

:class:`Search` runs, in order:

1. the plan "every unit alone" where it is valid (:func:`.heuristics.trivial_plan`), and the
   caller's plan when one is given and meets every hard constraint (:func:`.heuristics.given_plan`);
2. the LP relaxation: a bound, reduced costs and the duals of the Lagrangian bound;
3. the fixed-centre matheuristic (:meth:`Search._improve`) from the LP's centres, or from the
   greedy plan searched by splitting, dissolving, growing and re-partitioning new units
   (:mod:`.localsearch`, :mod:`.recombine`) where the LP leaves centres fractional; where the best
   plan is still well above the LP bound, lifted cover cuts on the floor rows lift it
   (:mod:`.floorcuts`; they serve the fixing and are dropped before the exact phase);
4. reduced-cost and Lagrangian fixing against the best plan (:class:`.fixing.PairFixing`),
   re-solving the LP while the fixings lift it;
5. the exact cut loop (:meth:`Search._exact_phase`): once contiguity is seen to bind, the next
   rounds are solved to a loose gap and the matheuristic re-centres from each disconnected plan;
   the last round is exact.

When the solver finds no plan at all, :func:`diagnose` relaxes one constraint family at a time to
name the culprit(s).
"""

from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import replace as dc_replace
from typing import Any

import numpy as np
import pulp

from atr_model.errors import InfeasibleError
from atr_model.optimisation.cutloop import Round, cut_loop, run_mip
from atr_model.optimisation.fixing import PairFixing
from atr_model.optimisation.floorcuts import drop_floor_cuts, floor_cut_rounds
from atr_model.optimisation.formulation import Formulation, choose_method
from atr_model.optimisation.heuristics import best_centres, fixed_centre_round, given_plan, initial_centres, trivial_plan
from atr_model.optimisation.instance import MergerInstance
from atr_model.optimisation.localsearch import plan_search_applies, searched_greedy_plan
from atr_model.optimisation.measures import no_plan_result, plan_measures, plan_result
from atr_model.optimisation.prepare import prepare
from atr_model.optimisation.presolve import check_in_advance, raise_if
from atr_model.optimisation.result import MergerResult
from atr_model.optimisation.scip import scip_branch_and_cut
from atr_model.optimisation.settings import EngineSettings

__all__ = ["Search", "diagnose", "solve_one"]

log = logging.getLogger(__name__)

# relative gap of the cut rounds before the final exact solve
ROUND_GAP = 0.01
# gap of the fixed-centre solves from the greedy plan's centres (EngineSettings.heuristic_gap_rel)
GREEDY_HEURISTIC_GAP = 0.01
# centre sets of the other disconnected solutions tried by the matheuristic after a round
RECENTRE_MAX = 5
# from this many units the matheuristic starts from the greedy plan's centres (first_centres="auto"):
# the fixed-centre MIP from the LP's centres grows with the group and stalls. Measured on the scale
# benchmark's cross-district region R01 (n = 1,000, seed 0; 178 units, 84 LP centres, 93 carried):
# from the LP's centres the 22 s matheuristic budget ended without a plan better than 7.38e6 and the
# search stopped at a gap of 85 % after 150 s; from the greedy centres it had 1.35e6 after 15 s.
GREEDY_MIN_UNITS = 150
# Below that size, too, when the greedy plan gets its local search (a floor and no count of new
# units: :mod:`.recombine`) and the LP leaves at least this many centres fractional (strictly between
# FRACTIONAL and 1 - FRACTIONAL): there the LP's centres may fit the population and still stall,
# while the searched plan is at or near the optimum. Where the LP is integral or nearly so its
# centres are the better start. Measured (CPU s per group, LP's centres -> searched greedy plan):
# scale benchmark n = 1,000 (2-9 fractional centres in every district but D0018), 85 -> 25 in total
# (D0002 5.3 -> 0.5, D0007 7.2 -> 1.6, D0012 8.8 -> 3.3); Kyrgyz cross-raion oblasts with 3-5
# fractional 1.48 -> 0.72 (113 units), 0.22 -> 0.16, 0.32 -> 0.29, with one 0.12 -> 0.19 (101 units),
# with none 0.05 -> 0.12; concept-2013 raions with 3-4 fractional 0.13 -> 0.08 and 0.11 -> 0.07,
# while every raion from the searched plan was 1.42 -> 1.69 in total (most raions' LP is integral,
# and the searched plan cannot beat an integral LP's centres)
SEARCH_MIN_FRACTIONAL_CENTRES = 2
FRACTIONAL = 0.01
# seconds the greedy plan's local search may spend (at most a tenth of the time left)
FIRST_PLAN_SEARCH_S = 5.0
# seconds the matheuristic may spend from the LP's centres before it switches to the greedy centres
# (first_centres="auto", see Search._first_plans)
LP_CENTRES_TRY_S = 3.0

# cover cuts on the floor rows only when the best plan is this far above the LP bound (relative),
# and for at most this share of the time limit (Search._floor_cuts)
FLOOR_CUTS_MIN_GAP = 0.005
FLOOR_CUTS_BUDGET = 0.1
# ... and only on groups of at least this many units. Measured (CPU s, off -> on): the scale
# benchmark's region R01 (178 units) 39-41 -> 32-37; its districts of 33-60 units no gain (D0012
# 12.8 -> 13.1-13.5); the Kyrgyz runs, whose groups are smaller, lost (concept-2013 1.6 -> 1.8,
# national-231 3.3 -> 4.4): their LP is tighter and the extra LP solves do not pay
FLOOR_CUTS_MIN_UNITS = 150

# the LP relaxation: objective, reduced costs of the columns at 0, centre values x_jj
_LP = tuple[float, dict[str, float], dict[int, float]]


class Search:
    """One sub-problem: LP bound, a fixed-centre matheuristic, reduced-cost and Lagrangian fixing
    (re-solving the LP while the fixings lift it), the exact cut loop.

    Parameters
    ----------
    instance : MergerInstance
        The sub-problem.
    settings : EngineSettings
        Criteria and solver options; ``time_limit_s`` counts from construction.
    start : numpy.ndarray, optional
        A plan to start from (centre index per unit of this sub-problem); dropped, with the
        reason in the notes, when it breaks a hard constraint.
    """

    def __init__(self, instance: MergerInstance, settings: EngineSettings, start: np.ndarray | None = None) -> None:
        self.t0 = time.perf_counter()
        self.instance, self.settings = instance, settings
        self.deadline = self.t0 + settings.time_limit_s
        self.prep = prepare(instance, settings)
        check_in_advance(self.prep)
        self.method = choose_method(self.prep)
        self.form = Formulation(self.prep, self.method)
        self.notes: list[str] = []
        self.fixing = PairFixing(self.form, settings, self.notes)
        self.best: Round | None = None  # best connected plan
        self.rounds = 0
        self.seen: set[tuple[int, ...]] = set()  # centre sets the matheuristic started from
        # a time budget cut a step short (the plan may then depend on the machine), see MergerResult
        self.time_bound = False
        # anytime record: the best lower bound proven so far (LP and cut rounds, never a
        # fixed-centre round) and (seconds, best plan, best bound) at every improvement of either
        self.best_bound = -math.inf
        self.trace: list[tuple[float, float, float]] = []
        self.final_threads = settings.threads
        self.start = start
        self.start_used = False
        self.greedy_used = False  # the matheuristic starts from the greedy plan's centres
        # the exact phase: "auto" is the HiGHS cut loop (the faster path wherever both were measured)
        self.exact_path = "scip" if settings.exact_path == "scip" else "cut_loop"

    # -- the incumbent ---------------------------------------------------------------------
    def _incumbent(self) -> float:
        """Objective of the best connected plan (``inf`` before one is known)."""
        return self.best.objective if self.best is not None else float("inf")

    def _remember(self, rnd: Round) -> None:
        """Keep ``rnd`` as the best plan when it is connected and better."""
        if not rnd.connected or rnd.assignment is None:
            return
        if self.best is None or rnd.objective < self.best.objective - 1e-9:
            self.best = rnd
            self._trace()

    def _note_bound(self, bound: float) -> None:
        """Keep ``bound`` when it is a finite lower bound above the best one known.

        Bounds of the LP and of the cut rounds are bounds of relaxations (contiguity cuts are
        missing, fixings only remove plans no better than the best one), so ``min(best plan,
        bound)`` is a valid bound of the sub-problem.
        """
        if math.isfinite(bound) and bound > self.best_bound + 1e-9 * max(1.0, abs(bound)):
            self.best_bound = bound
            self._trace()

    def _proven_bound(self) -> float:
        """The best lower bound known, never above the best plan's objective."""
        return min(self.best_bound, self._incumbent())

    def _unproven_bound(self, last: float) -> float:
        """Bound of a plan not proven (out of time or rounds): the best any step proved, so the
        reported gap still holds; ``nan`` when no step proved one."""
        if math.isfinite(last):
            self._note_bound(last)
        bound = self._proven_bound()
        return bound if math.isfinite(bound) else float("nan")

    def _trace(self) -> None:
        self.trace.append((round(time.perf_counter() - self.t0, 3), self._incumbent(), self._proven_bound()))

    def _start(self) -> dict[str, float] | None:
        """Variable values of the best plan, the MIP start of the next solve (with ``warm_start`` or a
        usable plan given by the caller)."""
        if self.best is None or not (self.settings.warm_start or self.start_used):
            return None
        return self.best.values

    def _take_start(self, start: np.ndarray) -> None:
        """The caller's plan as a first plan, or a note saying why it was dropped."""
        rnd, problem = given_plan(self.form, self.settings, start, self.deadline)
        if rnd is None:
            self.notes.append(f"start plan dropped: {problem}")
            log.debug("start plan dropped: %s", problem)
            return
        self.start_used = True
        self._remember(rnd)

    def _left_s(self) -> float:
        """Seconds left of the time limit (negative once it passed)."""
        return self.deadline - time.perf_counter()

    # -- LP and fixing -----------------------------------------------------------------------
    def _lp(self) -> _LP | None:
        """Solve the LP relaxation (at least 0.5 s allowed); ``None`` unless it is optimal."""
        sol = run_mip(self.form, self.settings, max(self._left_s(), 0.5), None, mip=False)
        log.debug("LP status %s objective %s", sol, pulp.value(self.form.prob.objective))
        if sol == pulp.LpSolutionNoSolutionFound:
            self.time_bound = True  # the LP ran out of time
        if sol != pulp.LpSolutionOptimal:
            return None
        z = float(pulp.value(self.form.prob.objective))
        self._note_bound(z)
        # a reduced cost proves something only for a column resting at its lower bound 0
        dj = {v.name: float(v.dj or 0.0) for v in self.form.prob.variables() if abs(float(v.varValue or 0.0)) <= 1e-9}
        y = {j: float(self.form.x[j, j].varValue or 0.0) for j in self.prep.members}
        self.fixing.setup_lagrange()
        return z, dj, y

    def _floor_cuts(self, lp: _LP | None) -> _LP | None:
        """Cover cuts on the floor rows (:mod:`.floorcuts`, ``EngineSettings.floor_cuts``) on groups
        of :data:`FLOOR_CUTS_MIN_UNITS` units or more when the best plan is more than
        :data:`FLOOR_CUTS_MIN_GAP` above the LP bound; returns the last LP solved."""
        s = self.settings
        if lp is None or not s.floor_cuts or self.best is None or self.instance.n < FLOOR_CUTS_MIN_UNITS:
            return lp
        if self.best.objective - lp[0] <= FLOOR_CUTS_MIN_GAP * max(1.0, abs(self.best.objective)):
            return lp
        budget = FLOOR_CUTS_BUDGET * s.time_limit_s
        return floor_cut_rounds(self.form, lp, self._lp, min(self.deadline, time.perf_counter() + budget))

    def _fix_all(self, lp: _LP | None) -> None:
        """Every fixing against the best plan: reduced costs of ``lp`` (when ``fixing``), Lagrangian,
        then LP re-solves while they fix more."""
        if self.best is None:
            return
        ub = self.best.objective
        if lp is not None and self.settings.fixing:
            self.fixing.reduced_cost(lp[0], lp[1], ub)
        self.fixing.lagrangian(ub)
        self._refix(ub)

    def _refix(self, ub: float, max_passes: int = 4) -> None:
        """Re-solve the LP with the fixings and the tighter cuts (its bound rises) and fix again,
        while that fixes at least 1 % more pairs."""
        if not self.fixing.lagrangian_on:
            return
        for _ in range(max_passes):
            before = self.fixing.n_fixed
            lp = self._lp()
            if lp is None:
                return
            self.fixing.reduced_cost(lp[0], lp[1], ub)
            self.fixing.lagrangian(ub)
            if self.fixing.n_fixed - before < 0.01 * len(self.form.x):
                return

    # -- matheuristic ----------------------------------------------------------------------
    def _heuristic(self, centres: list[int], budget_s: float) -> Round:
        """Solve with the centres fixed; a connected plan the solve passed is remembered."""
        deadline = min(self.deadline, time.perf_counter() + budget_s)
        # a heuristic solve only looks for plans: no need to prove each one optimal
        settings = self.settings.replace(gap_rel=max(self.settings.gap_rel, self._heuristic_gap()))
        rnd = fixed_centre_round(self.form, settings, centres, deadline, self._start(), self._incumbent())
        self.time_bound |= rnd.timed_out
        if rnd.side_plan is not None:
            self._remember(rnd.side_plan)
        self.rounds += rnd.rounds
        return rnd

    def _first_centres(self, lp: _LP) -> list[int]:
        """Centres the matheuristic starts from (``EngineSettings.first_centres``); the greedy plan,
        when it is built and valid, is also kept as a first plan."""
        s = self.settings
        from_lp = initial_centres(self.form, lp[2])
        if self._left_s() <= 0:
            return from_lp  # no time left: no first plan beyond those known (the matheuristic stops too)
        lp_fits = len(from_lp) <= self._centres_carried() and self.instance.n < GREEDY_MIN_UNITS
        if s.first_centres == "lp" or (s.first_centres == "auto" and lp_fits and not self._prefer_searched_plan(lp)):
            # the greedy plan is not even built
            return from_lp
        return self._greedy_centres() or from_lp

    def _prefer_searched_plan(self, lp: _LP) -> bool:
        """Whether ``first_centres="auto"`` starts from the searched greedy plan although the LP's
        centres fit: its local search applies (:func:`.localsearch.plan_search_applies`) and the LP
        leaves at least :data:`SEARCH_MIN_FRACTIONAL_CENTRES` centres fractional (see there)."""
        if not plan_search_applies(self.settings):
            return False
        fractional = sum(1 for y in lp[2].values() if FRACTIONAL < y < 1.0 - FRACTIONAL)
        return fractional >= SEARCH_MIN_FRACTIONAL_CENTRES

    def _greedy_centres(self) -> list[int] | None:
        """Build the greedy plan, keep it as a first plan and return its centres (``None`` when
        there is none or the model refuses it)."""
        plan = searched_greedy_plan(self.form, max(0.0, min(FIRST_PLAN_SEARCH_S, 0.1 * self._left_s())))
        if plan is None:
            return None
        rnd, problem = given_plan(self.form, self.settings, plan, self.deadline)
        if rnd is None:
            log.debug("greedy plan not usable: %s", problem)
            return None
        self._remember(rnd)
        self.greedy_used = True
        return best_centres(self.form, plan)

    def _first_plans(self, lp: _LP) -> None:
        """The matheuristic from the first centres. With ``first_centres="auto"``, when the LP's
        centres were taken and their first fixed-centre solve runs past :data:`LP_CENTRES_TRY_S`,
        it stops there and goes on from the greedy plan's centres (not with a count of new units).

        Why: the LP's centres may fit the population and still make a fixed-centre MIP that
        stalls. Measured on district D0012 of the scale benchmark (60 units, 34 LP centres for 43
        carried): from the LP's centres the 15 s budget ended on a plan at 4.3e6 and the proof came
        after 40.6 s; from the greedy centres the plan was 6.0e5 in 0.3 s and the proof (492,507.39,
        the same optimum) after 8.7 s. On the Kyrgyz runs the fixed-centre solves take well under
        a second, so they never reach the switch.
        """
        s = self.settings
        budget = max(1.0, 0.25 * s.time_limit_s)
        centres = self._first_centres(lp)
        # a count of new units (n_units) is beyond greedy merging: its plan rarely fits and its
        # centres are the wrong number (county benchmark AR, k = 4: 11.5 -> 22.5 CPU s with the switch)
        if self.greedy_used or s.first_centres != "auto" or s.n_units is not None or budget <= LP_CENTRES_TRY_S:
            self._improve(centres, budget)
            return
        t_end = time.perf_counter() + budget
        timed_out = self.time_bound
        self._improve(centres, LP_CENTRES_TRY_S)
        if self.time_bound and not timed_out and self._left_s() > 0:
            greedy = self._greedy_centres()
            if greedy is not None:
                log.debug("LP centres stalled after %.1f s; the matheuristic goes on from the greedy centres",
                          LP_CENTRES_TRY_S)
                self._improve(greedy, t_end - time.perf_counter())

    def _heuristic_gap(self) -> float:
        """Gap of the fixed-centre solves (``EngineSettings.heuristic_gap_rel``)."""
        if self.settings.heuristic_gap_rel is not None:
            return self.settings.heuristic_gap_rel
        return GREEDY_HEURISTIC_GAP if self.greedy_used else 0.0

    def _centres_carried(self) -> int:
        """How many new units the population can carry over the floor (at least one), plus the
        units that stay alone or are exempt (they need no floor)."""
        inst, s, prep = self.instance, self.settings, self.prep
        free = prep.alone | inst.exempt
        if s.population_floor is None or s.population_floor <= 0:
            return inst.n
        carried = int(inst.population[~free].sum() // s.population_floor)
        return max(1, carried) + int(free.sum())

    def _improve(self, centres: list[int], budget_s: float) -> None:
        """Fixed-centre matheuristic from ``centres``, re-centring while it helps (into ``best``)."""
        t_end = min(self.deadline, time.perf_counter() + budget_s)
        while tuple(centres) not in self.seen:
            if time.perf_counter() >= t_end:
                self.time_bound = True  # stopped by its budget, not because re-centring stopped helping
                return
            self.seen.add(tuple(centres))
            rnd = self._heuristic(centres, t_end - time.perf_counter())
            if rnd.assignment is None or not rnd.connected:
                break
            self._remember(rnd)
            centres = best_centres(self.form, rnd.assignment)

    def _recentre(self, rnd: Round) -> None:
        """After a disconnected round: the matheuristic from its centres, then from the centre sets
        of the other disconnected plans the solver passed (they often sit on better centres:
        measured on OK, the second one led to the optimum, 36.5 s -> 31.7 s)."""
        budget = min(10.0, 0.1 * max(self._left_s(), 0.0))
        t_end = time.perf_counter() + budget
        assert rnd.assignment is not None  # a disconnected round has a plan
        self._improve(sorted(int(c) for c in np.unique(rnd.assignment)), budget)
        for centres in rnd.other_centres[:RECENTRE_MAX]:
            left = t_end - time.perf_counter()
            if left <= 0:
                self.time_bound = True
                break
            self._improve(centres, left)

    # -- the exact phase -------------------------------------------------------------------
    def _exact_threads(self) -> int:
        """Threads for the final cut loop (see ``EngineSettings.exact_threads``)."""
        s = self.settings
        if s.exact_threads is not None:
            return s.exact_threads
        if self.rounds == 0 and (os.cpu_count() or 1) >= 2:
            return max(s.threads, 2)
        return s.threads

    def _solve_round(self, settings: EngineSettings) -> Round:
        """One cut loop without its own re-solves (the exact phase adds the cuts)."""
        rnd = cut_loop(self.form, settings, self.deadline, self._start(), 0, self._incumbent())
        if rnd.assignment is not None:
            self._note_bound(rnd.bound)
        self.time_bound |= rnd.timed_out
        if rnd.side_plan is not None:
            self._remember(rnd.side_plan)
        return rnd

    def _undo_fixings(self) -> None:
        # cannot happen with exact arithmetic (the kept plan survives fixing); undo and go on
        log.warning("model infeasible after reduced-cost fixing; undoing %d fixings", len(self.fixing.fixed_vars))
        self.fixing.undo()

    def _no_plan_left(self) -> None:
        """The model is infeasible without fixings: name the cause when no plan was ever found."""
        if self.best is None and self.rounds == 0:
            diagnose(self.instance, self.settings)
        if self.best is None:
            raise InfeasibleError("contiguity cuts made the model infeasible; this should not happen "
                                  "(please report the instance)", code="solver.cuts")

    def _add_round_cuts(self, rnd: Round) -> None:
        """Add the pending cuts of a disconnected round and count the round."""
        added = self.form.add_cuts(rnd.cuts)
        self.rounds += 1
        log.info("cut round %d: %d separator cuts (objective %.10g)", self.rounds, added, rnd.objective)

    def _improved_since(self, before: float, lp: _LP | None) -> bool:
        """Whether the matheuristic or a connected plan the solve passed (``_remember``'s tolerance)
        beat ``before``; if so, fix again against the new plan (the separator cuts alone hardly
        lift the LP bound; the re-solve does once the fixings and the restricted cuts do)."""
        improved = self._incumbent() < before - 1e-9
        if improved and self.settings.fixing and lp is not None and self.best is not None:
            self.fixing.reduced_cost(lp[0], lp[1], self.best.objective)
            self.fixing.lagrangian(self.best.objective)
            self._refix(self.best.objective)
        return improved

    def _scip_phase(self) -> Round:
        """The exact phase as one SCIP branch-and-cut with lazy separator cuts (``exact_path="scip"``)."""
        self.final_threads = 1
        while True:
            rnd = scip_branch_and_cut(self.form, self.settings, self.deadline, self._start())
            self.rounds += rnd.rounds
            self.time_bound |= rnd.timed_out
            if rnd.infeasible and self.fixing.fixed_vars:
                self._undo_fixings()
                continue
            if rnd.infeasible:
                self._no_plan_left()
                return Round()
            if rnd.assignment is not None:
                self._note_bound(rnd.bound)
                self._remember(rnd)
            elif math.isfinite(rnd.bound):
                self._note_bound(rnd.bound)
            return rnd

    def _exact_phase(self, lp: _LP | None, use_heuristic: bool) -> Round:
        """Cut rounds until a connected plan is proven (or time or rounds run out); the last round.

        Once contiguity is seen to bind, the next rounds only need a good disconnected plan to cut
        off, not a proof: they are solved to a loose gap, and exactly again when one comes back
        connected (the first solve is exact: where contiguity does not bind it is the only one).
        """
        s = self.settings
        if self.exact_path == "scip":
            return self._scip_phase()
        can_loosen = self.method == "cuts" and s.gap_rel < ROUND_GAP
        self.final_threads = self._exact_threads()
        exact = s.replace(threads=self.final_threads)
        loose_settings = exact.replace(gap_rel=ROUND_GAP) if can_loosen else exact
        final, loose = Round(), False
        while True:
            before = self._incumbent()
            rnd = self._solve_round(loose_settings if loose else exact)
            if rnd.infeasible and self.fixing.fixed_vars:
                self._undo_fixings()
                continue
            if rnd.infeasible:
                self._no_plan_left()
                return final
            if rnd.assignment is None:
                return final  # out of time
            final = rnd
            if rnd.connected:
                self._remember(rnd)
                if not loose:
                    return final
                loose, final = False, Round()
                continue
            if self.rounds >= s.max_cut_rounds:
                self.notes.append(f"stopped after {self.rounds} cut rounds (max_cut_rounds)")
                return final
            self._add_round_cuts(rnd)
            loose = can_loosen
            if use_heuristic:
                self._recentre(rnd)
                # a loose round would most likely stop at the new plan (within its gap) and need an
                # exact round anyway: measured on OK, the loose round was 40 % of the final phase
                if self._improved_since(before, lp):
                    loose = False

    def run(self) -> MergerResult:
        """Solve the sub-problem; the result's plan is the best connected plan found."""
        s = self.settings
        if (plan := trivial_plan(self.form, s)) is not None:
            self._remember(plan)
        if self.start is not None:
            self._take_start(self.start)
        # the LP feeds fixing and the matheuristic's first centres; a usable start needs the latter not
        lp = self._lp() if (s.fixing or (s.warm_start and not self.start_used)) else None
        use_heuristic = s.warm_start and (lp is not None or self.start_used) and len(self.prep.members) > 1
        if use_heuristic and not self.start_used and lp is not None:
            # a usable start plan takes the place of the matheuristic's first plan and of the LP that
            # seeds it (robustness draws of concept-2013, 20 draws: with both kept no faster, 0.78 ->
            # 0.78 s per draw; without the matheuristic 0.75 -> 0.59 s; without its LP too 0.55 -> 0.35 s)
            self._first_plans(lp)
        lp = self._floor_cuts(lp)
        self._fix_all(lp)
        drop_floor_cuts(self.form)
        final = self._exact_phase(lp, use_heuristic)
        proven = False
        if final.connected and final.proven and self.best is not None:
            # proven optimal for the model with all cuts; the kept plan is at least as good
            proven = self.best.objective <= final.objective + 1e-7 * max(1.0, abs(final.objective))
        if s.branching_priority:
            self.notes.append(f"branching_priority: {s.solver} through PuLP takes no priorities; ignored")
        result = self._result(proven, final.bound if proven else self._unproven_bound(final.bound))
        result.trace = list(self.trace)
        if self.start is not None:
            result.start = {"used": int(self.start_used), "dropped": int(not self.start_used)}
        return result

    def _result(self, proven: bool, bound: float) -> MergerResult:
        inst, s = self.instance, self.settings
        seconds = time.perf_counter() - self.t0
        fixed = dict(self.prep.fixed_by)
        fixed["reduced_cost"] = self.fixing.n_fixed
        run: dict[str, Any] = {"time_bound": self.time_bound,
               "threads": {"solver": s.threads, "final_solve": self.final_threads, "group_processes": 1}}
        if self.best is None:
            return no_plan_result(inst, s, bound=bound, seconds=seconds, cut_rounds=self.rounds,
                                  contiguity_method=self.method, fixed_pairs=fixed, notes=self.notes, **run)
        plan = self.best.assignment
        assert plan is not None  # a remembered round has a plan
        measures = plan_measures(inst, s, plan)
        objective = measures["objective"]
        if proven and math.isfinite(bound) and objective - bound > max(s.gap_rel, 1e-6) * max(1.0, abs(objective)):
            # never claim optimality the solver's own bound contradicts
            log.warning("plan objective %.10g exceeds the proven bound %.10g; reporting it as feasible",
                        objective, bound)
            self.notes.append("solver bound below the plan objective: optimality not claimed")
            proven = False
        if proven:
            bound = objective if not math.isfinite(bound) else min(bound, objective)
        return plan_result(inst, s, plan, proven=proven, bound=bound, seconds=seconds, cut_rounds=self.rounds,
                           contiguity_method=self.method, fixed_pairs=fixed, notes=self.notes, measures=measures,
                           **run)


def solve_one(instance: MergerInstance, settings: EngineSettings, start: np.ndarray | None = None) -> MergerResult:
    """Solve one sub-problem (no decomposition), from the plan ``start`` when it is given and valid."""
    return Search(instance, settings, start).run()


def diagnose(instance: MergerInstance, settings: EngineSettings) -> None:
    """The solver found no plan: relax one constraint family at a time to name the culprit(s).

    Raises
    ------
    InfeasibleError
        Always; its message names the families whose removal alone makes a plan possible.
    """
    trial_limit = max(5.0, min(30.0, settings.time_limit_s / 4))
    base = {"time_limit_s": trial_limit, "decompose": False, "warm_start": False}
    # (family id for the message's parameters, its English name, instance, settings)
    trials: list[tuple[str, str, MergerInstance, EngineSettings]] = [
        ("contiguity", "contiguity", instance, settings.replace(contiguity="none", **base)),
        ("floor", "floor (hard)", instance, settings.replace(floor_mode="soft", **base)),
        ("cap", "cap (hard)", instance, settings.replace(cap_mode="soft", **base)),
        ("n_units", "n_units", instance, settings.replace(n_units=None, **base)),
        ("travel_time", "max_travel_time_min", instance, settings.replace(max_travel_time_min=None, **base)),
    ]
    if len(instance.must_link) or len(instance.cannot_link) or instance.keep_separate.any():
        unlocked = dc_replace(instance, must_link=np.zeros((0, 2), np.int64), cannot_link=np.zeros((0, 2), np.int64),
                              keep_separate=np.zeros(instance.n, bool))
        trials.append(("locks", "locks (keep_separate, must_link, cannot_link)", unlocked, settings.replace(**base)))
    culprits, families = [], []
    for family, family_name, inst, trial in trials:
        if trial == settings.replace(**base) and inst is instance:
            continue
        try:
            res = solve_one(inst, trial)
        except InfeasibleError:
            continue
        if res.has_plan:
            culprits.append(family_name)
            families.append(family)
    if culprits:
        msg = ("the solver found no plan; dropping any one of these constraint families makes it feasible: "
               + ", ".join(culprits))
    else:
        msg = "the solver found no plan, and no single constraint family explains it (several interact)"
    raise_if([{"constraint": "solver", "units": [], "message": msg, "families": culprits,
               "code": "solver.families" if culprits else "solver.interacting", "params": {"families": families}}])
    raise InfeasibleError(msg)  # pragma: no cover
