"""Stage: local search on a first plan by re-drawing a few neighbouring new units at a time.

Two moves, both exact on the units they touch and both keeping every new unit connected:

- **recombine** (:func:`recombine`): the units of two or three neighbouring new units are
  re-partitioned into connected new units in the best way (any number of parts, each with its
  cheapest allowed centre): a dynamic programme over the connected subsets that hold the lowest
  remaining unit (:func:`best_partition`), for unions of at most :data:`MAX_UNION_UNITS` units;
- **grow** (:func:`grow`): a new unit grown from one seed unit with units taken from the
  neighbouring new units (each giver stays connected, those that stay above the floor first), kept
  when the plan's objective falls. It is the move that adds a new unit where the population allows
  one more.

Why: where the floor binds almost everywhere (the scale benchmark, about 70 % of units below the
5,000 floor, two or three units per new unit), the optimum is a packing: as many new units as the
population allows, each just over the floor. Greedy merging and single-unit moves
(:mod:`.greedy`) stop 10-40 % above the optimum with too few new units, and the exact phase then
spends most of its time proving from that plan. Measured on districts of the scale benchmark
(n = 1,000, seed 0): D0001 1.10 -> 1.00 x the optimum, D0003 1.25 -> 1.00, D0007 1.38 -> 1.00, D0008
1.10 -> 1.006 (split/dissolve alone against with these moves). Pairs alone reach 1.06-1.08; the
triples close the rest.

Like the greedy plan, the result only seeds the search (it is checked against every row of the
model before use), so the proven optimum never depends on it.
"""

from __future__ import annotations

import itertools
import logging
import time

import numpy as np

from atr_model.optimisation.greedy import _connected, _move_units, _Units

__all__ = ["MAX_RECOMBINED", "MAX_UNION_UNITS", "best_partition", "grow", "recombine", "recombine_plan"]

log = logging.getLogger(__name__)

#: largest union of new units re-partitioned exactly (the number of connected subsets grows
#: quickly with it: at 10 units of a planar road graph a re-partition takes a few milliseconds)
MAX_UNION_UNITS = 10
#: most new units re-partitioned together. Measured on the scale benchmark (n = 1,000): unions of up
#: to 12 units or four new units found no better plan on four of five districts and took 2-5x longer
MAX_RECOMBINED = 3
# connected subsets enumerated per union at most (a dense union gives up rather than stall)
_MAX_SUBSETS = 2000

# a part of a partition and its (centre, objective share); centre -1 with value inf: not allowed
_Part = frozenset[int]
_Valued = tuple[int, float]


class _PartValues:
    """Objective share of a set of units with its cheapest allowed centre, remembered per set
    (the same sets recur across the moves of one search)."""

    def __init__(self, units: _Units) -> None:
        self.units = units
        self.cache: dict[_Part, _Valued] = {}
        # best partition of a set of units, remembered for the whole search: a union tried once
        # (or met as the rest of another) costs a lookup after that
        self.partitions: dict[frozenset[int], tuple[float, list[_Part]]] = {}

    def __call__(self, part: _Part) -> _Valued:
        got = self.cache.get(part)
        if got is None:
            centre, value = self.units.evaluate(sorted(part))
            got = (centre, value if centre >= 0 else np.inf)
            self.cache[part] = got
        return got


def connected_subsets(first: int, allowed: frozenset[int], nbrs: list[list[int]],
                      limit: int = _MAX_SUBSETS) -> list[_Part] | None:
    """Every connected subset of ``allowed`` that holds ``first``; ``None`` past ``limit`` of them."""
    start = frozenset([first])
    seen = {start}
    stack = [start]
    out: list[_Part] = []
    while stack:
        part = stack.pop()
        out.append(part)
        if len(out) > limit:
            return None
        for w in sorted({w for i in part for w in nbrs[i] if w in allowed and w not in part}):
            bigger = part | {w}
            if bigger not in seen:
                seen.add(bigger)
                stack.append(bigger)
    return out


def best_partition(union: frozenset[int], values: _PartValues, nbrs: list[list[int]]) -> tuple[float, list[_Part]]:
    """Cheapest partition of ``union`` into connected parts (``inf`` and ``[]`` when there is none).

    The part holding the lowest unit is chosen first, then the rest is partitioned the same way
    (remembered per remaining set in ``values.partitions``), so every partition is seen once.
    """
    if not union:
        return 0.0, []
    memo = values.partitions
    if union in memo:
        return memo[union]
    best: tuple[float, list[_Part]] = (np.inf, [])
    subsets = connected_subsets(min(union), union, nbrs)
    for part in subsets or []:
        value = values(part)[1]
        if not np.isfinite(value) or value >= best[0]:
            continue
        rest_value, rest_parts = best_partition(union - part, values, nbrs)
        if value + rest_value < best[0]:
            best = (value + rest_value, [part, *rest_parts])
    memo[union] = best
    return best


def _improves(after: float, before: float) -> bool:
    return after < before - 1e-9 * max(1.0, abs(before))


def _replace(units: _Units, old: list[int], parts: list[list[int]], values: _PartValues) -> None:
    """Put ``parts`` in place of the new units ``old`` (their ids reused first)."""
    for u in old:
        del units.members[u], units.centre[u], units.value[u]
    fresh = max([*units.members, *old]) + 1
    ids = sorted(old) + list(range(fresh, fresh + max(0, len(parts) - len(old))))
    for u, part in zip(ids, parts, strict=False):
        mem = sorted(part)
        units.members[u] = mem
        units.centre[u], units.value[u] = values(frozenset(mem))
        units.of[mem] = u


def recombine(units: _Units, old: list[int], values: _PartValues) -> bool:
    """Re-partition the new units ``old`` in the best way; ``True`` when that lowered the objective."""
    mem = [i for u in old for i in units.members[u]]
    if len(mem) > MAX_UNION_UNITS or any(i in units.locked for i in mem):
        return False
    before = sum(units.value[u] for u in old)
    after, parts = best_partition(frozenset(mem), values, units.form.prep.nbrs)
    if not parts or not _improves(after, before):
        return False
    _replace(units, old, [sorted(p) for p in parts], values)
    return True


def _giver(units: _Units, taken: dict[int, list[int]], v: int) -> list[int] | None:
    """What the new unit holding ``v`` keeps without it (``None`` when that is empty or not connected)."""
    u = int(units.of[v])
    rest = [w for w in taken.get(u, units.members[u]) if w != v]
    if not rest or not _connected(rest, units.form.prep.nbrs):
        return None
    return rest


def grow(units: _Units, seed: int, values: _PartValues) -> bool:
    """Grow a new unit from ``seed`` to the floor with units of its neighbours; keep it when the
    plan's objective falls. Units are taken nearest to the seed first (travel per resident), from
    givers that stay above the floor before the others."""
    prep, inst, s = units.form.prep, units.inst, units.s
    floor = s.population_floor
    if floor is None or prep.alone[seed] or seed in units.locked:
        return False
    rest = _giver(units, {}, seed)
    if rest is None:
        return False
    taken = {int(units.of[seed]): rest}
    new, total = [seed], float(inst.population[seed])
    pop, cost = inst.population, inst.cost
    while total < floor:
        best: tuple[tuple[bool, float, int], int, list[int]] | None = None
        for v in sorted({v for i in new for v in prep.nbrs[i]} - set(new)):
            if prep.alone[v] or v in units.locked or (v, seed) not in units.form.x:
                continue
            kept = _giver(units, taken, v)
            if kept is None:
                continue
            key = (float(pop[kept].sum()) < floor, float(cost[v, seed]) / max(float(pop[v]), 1.0), v)
            if best is None or key < best[0]:
                best = (key, v, kept)
        if best is None:
            return False
        _, v, kept = best
        taken[int(units.of[v])] = kept
        new.append(v)
        total += float(pop[v])
    before = sum(units.value[u] for u in taken)
    parts = [*taken.values(), new]
    after = sum(values(frozenset(p))[1] for p in parts)
    if not _improves(after, before):
        return False
    _replace(units, sorted(taken), parts, values)
    return True


def _grow_pass(units: _Units, values: _PartValues, deadline: float) -> int:
    done = 0
    for seed in range(units.inst.n):
        if time.perf_counter() >= deadline:
            break
        if grow(units, seed, values):
            done += 1
            _move_units(units)
    return done


def _recombine_pass(units: _Units, size: int, values: _PartValues, deadline: float) -> int:
    """Recombine every new unit with ``size - 1`` of its neighbours (each set once)."""
    done = 0
    tried: set[frozenset[int]] = set()
    for u in sorted(units.members):
        for others in itertools.combinations(sorted(units.neighbours(u)) if u in units.members else [], size - 1):
            if time.perf_counter() >= deadline:
                return done
            old = frozenset((u, *others))
            if old in tried or any(w not in units.members for w in old):
                continue
            tried.add(old)
            if recombine(units, sorted(old), values):
                done += 1
    return done


def recombine_plan(units: _Units, time_limit_s: float = 5.0) -> int:
    """Grow and recombine (pairs, then triples when pairs stop helping) until nothing improves or
    ``time_limit_s`` runs out, moving single units after each pass; returns the moves made."""
    deadline = time.perf_counter() + time_limit_s
    values = _PartValues(units)
    done = 0
    while time.perf_counter() < deadline:
        made = _grow_pass(units, values, deadline) + _recombine_pass(units, 2, values, deadline)
        for size in range(3, MAX_RECOMBINED + 1):
            if made:
                break
            made = _recombine_pass(units, size, values, deadline)
        if not made:
            break
        done += made
        _move_units(units)
    assert all(_connected(m, units.form.prep.nbrs) for m in units.members.values())
    log.debug("recombination: %d moves, %d new units", done, len(units.members))
    return done
