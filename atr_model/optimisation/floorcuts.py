r"""Stage: lifted cover cuts on the population floor, added to the LP before fixing and the exact phase.

The floor row of a centre :math:`j` (not exempt, below the floor :math:`F`, gap
:math:`g_j = F - p_j`) reads, after coefficient tightening (:mod:`.formulation`),

.. math:: s_j + \sum_{i \ne j} \min(p_i, g_j)\, x_{ij} \ge g_j\, x_{jj}.

For any set :math:`S` of members with :math:`p(S) < g_j` (they cannot fill the gap on their own)
let :math:`d_S = g_j - p(S)`. Then

.. math:: s_j + \sum_{i \ne j,\, i \notin S} \min(p_i, d_S)\, x_{ij} \ge d_S\, x_{jj}

holds for every plan: when :math:`j` is a centre the members outside :math:`S` must bring
:math:`d_S - s_j` people (the members of :math:`S` bring at most :math:`p(S)`), and one member of
at least :math:`d_S` people brings enough alone. :math:`S = \emptyset` is the floor row itself.
The LP relaxation meets the floor row with a fractional centre :math:`x_{jj} = y` whose members
sit at :math:`x_{ij} = y` (they count fully) next to a member at a smaller share: the cover of the
full members cuts that off (the lifted cover / flow-cover family of the single-node fixed-charge
flow set; see H. Marchand, A. Martin, R. Weismantel, L. Wolsey (2002), Discrete Appl. Math. 123).

:func:`floor_cover_cuts` separates them from the current LP solution (greedy: members by falling
share, each kept while the set stays short of the gap, the most violated prefix wins); :func:`floor_cut_rounds`
re-solves the LP with them while the bound rises. The cuts stay in the model for the reduced-cost
and Lagrangian fixing (they hold for every plan, so the fixings stay valid without them) and
:func:`drop_floor_cuts` removes them before the exact phase.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

import pulp

from atr_model.optimisation.formulation import Formulation, _expr

__all__ = ["FloorCut", "add_floor_cuts", "drop_floor_cuts", "floor_cover_cuts", "floor_cut_rounds"]

log = logging.getLogger(__name__)

# the LP result the search passes around (objective first)
LP = TypeVar("LP", bound=tuple[float, dict[str, float], dict[int, float]])

# a cover cut: (centre j, the cover S as a sorted tuple, d_S)
FloorCut = tuple[int, tuple[int, ...], float]

# name prefix of the cover rows
FLOOR_ROW = "floor_cover_"

# a cut goes in only when it is violated by more than this share of d_S (smaller ones hardly move
# the bound and only make the LP larger)
MIN_VIOLATION = 1e-3
# rounds of cuts and LP re-solves, and the least relative bound gain of a round worth another
ROUNDS_MAX = 10
ROUND_MIN_GAIN = 1e-3


def _floor_centres(form: Formulation) -> list[int]:
    """Centres that have a (non-exempt) floor row: below the floor, not alone, not exempt."""
    prep, s, inst = form.prep, form.prep.settings, form.prep.instance
    floor = s.population_floor
    if floor is None or floor <= 0:
        return []
    return [j for j in sorted(prep.members) if not prep.alone[j] and inst.population[j] < floor
            and not inst.exempt[j] and len(prep.members[j]) > 1]


def _slacks(form: Formulation) -> dict[int, pulp.LpVariable]:
    """The floor slack of every centre that has one (soft floor; none in hard mode)."""
    if form.prep.settings.floor_mode != "soft":
        return {}
    prefix = "floor_slack_"
    return {int(v.name[len(prefix):]): v for v in form.prob.variables() if v.name.startswith(prefix)}


def _separate_one(form: Formulation, j: int, slack_value: float) -> FloorCut | None:
    """The most violated cover cut of centre ``j`` among the greedy prefixes, or ``None``."""
    prep, inst, x = form.prep, form.prep.instance, form.x
    pop = inst.population
    floor = float(prep.settings.population_floor or 0.0)
    y = float(x[j, j].varValue or 0.0)
    if y <= 1e-6:
        return None
    gap = floor - float(pop[j])
    members = [i for i in prep.members[j] if i != j]
    value = {i: float(x[i, j].varValue or 0.0) for i in members}
    # the members that count most in the LP first: largest share, then fewest people
    order = sorted((i for i in members if value[i] > 1e-9), key=lambda i: (-value[i], float(pop[i]), i))
    cover: list[int] = []
    used = 0.0
    best: FloorCut | None = None
    best_violation = 0.0
    for i in order:
        if used + float(pop[i]) >= gap - 1e-9:
            continue  # this member alone would close the gap with the cover: it stays outside
        cover.append(i)
        used += float(pop[i])
        d = gap - used
        inside = set(cover)
        lhs = slack_value + sum(min(float(pop[k]), d) * value[k] for k in members if k not in inside)
        violation = d * y - lhs
        if violation > MIN_VIOLATION * d and violation > best_violation:
            best, best_violation = (j, tuple(sorted(cover)), d), violation
    return best


def floor_cover_cuts(form: Formulation) -> list[FloorCut]:
    """Cover cuts violated by the solver's current (LP) solution, at most one per centre."""
    cuts = []
    slacks = _slacks(form)
    for j in _floor_centres(form):
        slack = slacks.get(j)
        s_value = float(slack.varValue or 0.0) if slack is not None else 0.0
        cut = _separate_one(form, j, s_value)
        if cut is not None:
            cuts.append(cut)
    return cuts


def add_floor_cuts(form: Formulation, cuts: list[FloorCut], keys: set[tuple[int, tuple[int, ...]]]) -> int:
    """Add the cuts not in ``keys`` as rows of ``form.prob``; returns how many are new."""
    pop = form.prep.instance.population
    added = 0
    slacks = _slacks(form)
    for j, cover, d in cuts:
        if (j, cover) in keys:
            continue
        keys.add((j, cover))
        inside = set(cover)
        terms = [(form.x[i, j], min(float(pop[i]), d)) for i in form.prep.members[j] if i != j and i not in inside]
        slack = slacks.get(j)
        if slack is not None:
            terms.append((slack, 1.0))
        terms.append((form.x[j, j], -d))
        form.prob += pulp.LpConstraint(_expr(terms), pulp.LpConstraintGE, f"{FLOOR_ROW}{j}_{len(keys)}", 0.0)
        added += 1
    return added


def floor_cut_rounds(form: Formulation, lp: LP, solve_lp: Callable[[], LP | None], t_end: float,
                     max_rounds: int = ROUNDS_MAX, min_gain: float = ROUND_MIN_GAIN) -> LP:
    """Rounds of cover cuts and LP re-solves (``solve_lp``) while a round lifts the bound by
    ``min_gain`` (relative), until ``t_end``; returns the last LP solved (``lp``, the LP solved
    before, when none is). The LP is solved again first: the solver's values are the last MIP's."""
    keys: set[tuple[int, tuple[int, ...]]] = set()
    first = lp[0]
    again = solve_lp()
    if again is None:
        return lp
    lp = again
    for _ in range(max_rounds):
        if time.perf_counter() >= t_end:
            break
        added = add_floor_cuts(form, floor_cover_cuts(form), keys)
        if added == 0:
            break
        new = solve_lp()
        if new is None:
            break  # out of time: the last LP is still a relaxation of the model with the cuts
        gain = new[0] - lp[0]
        lp = new
        if gain < min_gain * max(1.0, abs(lp[0])):
            break
    log.info("floor cover cuts: %d rows, LP bound %.10g -> %.10g", len(keys), first, lp[0])
    return lp


def drop_floor_cuts(form: Formulation) -> int:
    """Remove the cover cuts from the model (before the exact phase); returns how many.

    Why: they lift the LP bound that fixes pairs, but HiGHS's own cuts close the rest at its
    root, and with them in the model its search went slower. Measured on the scale benchmark's
    region R01 (n = 1,000, seed 0): with the cuts kept the exact phase found no better plan in
    150 s; with them dropped after fixing, proven in 26 CPU s (41 without the cuts)."""
    names = [name for name in form.prob.constraints if name.startswith(FLOOR_ROW)]
    for name in names:
        form.prob.constraints.pop(name)
    return len(names)
