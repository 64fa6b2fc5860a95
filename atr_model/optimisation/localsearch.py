"""Stage: local search on a first plan. Dissolve a new unit into its neighbours when that lowers
the objective, then move single units on the edges again (:func:`.greedy._move_units`).

Why: greedy merging fixes the number of new units early and the moves of single units keep it;
where the floor binds, the best plans often have fewer, larger new units around good centres.
Dissolving a new unit (each of its units joins the neighbouring new unit where it costs least,
interior units after their neighbours) is the move that changes that number.

Like the greedy plan, the result only seeds the search (it is checked against every row of the
model before use), so the proven optimum never depends on it.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from atr_model.optimisation.formulation import Formulation
from atr_model.optimisation.greedy import _connected, _move_units, _Units, greedy_plan
from atr_model.optimisation.recombine import recombine_plan
from atr_model.optimisation.settings import EngineSettings

__all__ = ["dissolve_units", "plan_search_applies", "searched_greedy_plan"]

log = logging.getLogger(__name__)



def _dissolve(units: _Units, u: int) -> bool:
    """Try to dissolve new unit ``u`` into its neighbours; keep it when the objective falls."""
    nbrs, alone = units.form.prep.nbrs, units.form.prep.alone
    todo = list(units.members[u])
    if any(i in units.locked or alone[i] for i in todo):
        return False
    # work on copies: members and values of the touched units
    members = {w: list(units.members[w]) for w in units.neighbours(u)}
    values = {w: units.value[w] for w in members}
    centres = {w: units.centre[w] for w in members}
    of = {i: int(units.of[i]) for w in members for i in members[w]}
    before = units.value[u] + sum(values.values())
    while todo:
        best: tuple[float, int, int, int, float] | None = None
        for i in todo:
            for w in sorted({of[v] for v in nbrs[i] if v in of}):
                centre, value = units.evaluate(members[w] + [i])
                if centre < 0 or not np.isfinite(value):
                    continue
                delta = value - values[w]
                if best is None or delta < best[0]:
                    best = (delta, i, w, centre, value)
        if best is None:
            return False  # a unit with no neighbouring new unit left (or none allows it)
        _, i, w, centre, value = best
        members[w].append(i)
        values[w], centres[w], of[i] = value, centre, w
        todo.remove(i)
    after = sum(values.values())
    if after >= before - 1e-9 * max(1.0, before):
        return False
    for w, mem in members.items():
        units.members[w] = sorted(mem)
        units.centre[w], units.value[w] = centres[w], values[w]
        units.of[mem] = w
    del units.members[u], units.centre[u], units.value[u]
    return True


def _split(units: _Units, u: int) -> bool:
    """Try to split new unit ``u`` in two around two of its units (each unit to the cheaper of the
    two, both parts connected); keep the best split when the objective falls."""
    inst, nbrs = units.inst, units.form.prep.nbrs
    mem = units.members[u]
    floor = units.s.population_floor
    if len(mem) < 2 or any(i in units.locked for i in mem):
        return False
    if floor is not None and float(inst.population[mem].sum()) < 2 * floor:
        return False  # both parts cannot reach the floor
    cost = inst.cost
    best: tuple[float, list[int], list[int], int, float, int, float] | None = None
    for ka, a in enumerate(mem):
        for b in mem[ka + 1:]:
            part_a = [i for i in mem if cost[i, a] <= cost[i, b]]
            part_b = [i for i in mem if cost[i, a] > cost[i, b]]
            if not part_a or not part_b or not _connected(part_a, nbrs) or not _connected(part_b, nbrs):
                continue
            centre_a, value_a = units.evaluate(part_a)
            centre_b, value_b = units.evaluate(part_b)
            if centre_a < 0 or centre_b < 0 or not np.isfinite(value_a + value_b):
                continue
            total = value_a + value_b
            if best is None or total < best[0]:
                best = (total, part_a, part_b, centre_a, value_a, centre_b, value_b)
    if best is None or best[0] >= units.value[u] - 1e-9 * max(1.0, units.value[u]):
        return False
    _, part_a, part_b, centre_a, value_a, centre_b, value_b = best
    new = max(units.members) + 1
    units.members[u], units.members[new] = part_a, part_b
    units.centre[u], units.value[u] = centre_a, value_a
    units.centre[new], units.value[new] = centre_b, value_b
    units.of[part_b] = new
    return True


def dissolve_units(units: _Units, time_limit_s: float = 2.0) -> int:
    """Split and dissolve new units (largest objective share first) while that lowers the
    objective, moving single units after each; returns how many changed."""
    t_end = time.perf_counter() + time_limit_s
    done = 0
    improved = True
    while improved and time.perf_counter() < t_end:
        improved = False
        for u in sorted(units.members, key=lambda w: (-units.value[w], w)):
            if time.perf_counter() >= t_end:
                break
            if u in units.members and (_split(units, u) or _dissolve(units, u)):
                done += 1
                improved = True
                _move_units(units)
    assert all(_connected(m, units.form.prep.nbrs) for m in units.members.values())
    log.debug("local search: %d new units dissolved", done)
    return done


def plan_search_applies(settings: EngineSettings) -> bool:
    """Whether the greedy plan gets its local search: ``first_plan_search``, a floor (else there is
    no greedy plan), and no count of new units.

    Why not with a count (``n_units``): the moves change the count, so the plan no longer fits
    (national-231, one group of all aiyl aimaks with exactly 231 new units: 2.9 -> 3.8 CPU s for the
    same optimum). Measured on the scale benchmark's region R01 (178 units): the greedy plan 1.57e6
    -> 1.37e6 after splitting and dissolving, 1.19e6 after growing and recombining (optimum 1.13e6).
    """
    return settings.first_plan_search and settings.n_units is None and bool(settings.population_floor)


def searched_greedy_plan(form: Formulation, time_limit_s: float = 5.0) -> np.ndarray | None:
    """The greedy plan (:func:`.greedy.greedy_plan`), split and dissolved by :func:`dissolve_units`,
    then grown and recombined by :func:`.recombine.recombine_plan`, where
    :func:`plan_search_applies`."""
    if not plan_search_applies(form.prep.settings):
        return greedy_plan(form)
    deadline = time.perf_counter() + time_limit_s

    def search(units: _Units) -> None:
        dissolve_units(units, max(0.0, deadline - time.perf_counter()))
        recombine_plan(units, max(0.0, deadline - time.perf_counter()))

    return greedy_plan(form, search)
