"""Stage: presolve. Infeasibility that is knowable before the solver runs, with messages naming
units and constraints."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping

import numpy as np

from atr_model.errors import CriteriaError, InfeasibleError
from atr_model.optimisation.prepare import Prepared, uses_contiguity
from atr_model.optimisation.wording import Params, param_number, shown

__all__ = ["check_in_advance", "must_link_classes", "raise_if"]

_TOL = 1e-6

#: One conflict as :class:`InfeasibleError` carries it: ``constraint``, ``units``, ``message``,
#: ``code`` and ``params`` (the solver stage adds keys of its own).
Reason = dict[str, object]


def must_link_classes(n: int, pairs: np.ndarray) -> list[int]:
    """Union-find root of every unit under ``must_link`` (smallest index as root)."""
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in pairs:
        ra, rb = find(int(a)), find(int(b))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return [find(i) for i in range(n)]


def raise_if(reasons: list[Reason]) -> None:
    """Raise :class:`InfeasibleError` summarising ``reasons`` (if any).

    The error's code is ``hard_constraints``: its message is the first five reasons' sentences
    (each reason has its own ``code`` and ``params``), then how many more there are.
    """
    if reasons:
        head = "; ".join(str(r["message"]) for r in reasons[:5])
        more = f" (and {len(reasons) - 5} more)" if len(reasons) > 5 else ""
        raise InfeasibleError(f"no plan satisfies the hard constraints: {head}{more}", reasons,
                              code="hard_constraints", params={"count": len(reasons)})


def _reason(constraint: str, units: list[str], message: str, code: str, params: Params) -> Reason:
    """One conflict: its constraint and units, its English sentence, and the sentence's code and values."""
    return {"constraint": constraint, "units": units, "message": message, "code": code, "params": params}


def _connected_avoiding(a: int, b: int, prep: Prepared, blocked: np.ndarray) -> bool:
    seen = {a}
    queue = deque([a])
    while queue:
        u = queue.popleft()
        if u == b:
            return True
        for v in prep.nbrs[u]:
            if v not in seen and not blocked[v]:
                seen.add(v)
                queue.append(v)
    return False


def _lock_reasons(prep: Prepared) -> list[Reason]:
    inst, settings = prep.instance, prep.settings
    label = inst.label
    reasons: list[Reason] = []
    roots = must_link_classes(inst.n, inst.must_link)
    for a, b in inst.must_link:
        a, b = int(a), int(b)
        if inst.group[a] != inst.group[b]:
            reasons.append(_reason("must_link/nesting", [inst.unit_codes[a], inst.unit_codes[b]],
                                   f"must_link {label(a)} - {label(b)} crosses the nesting boundary "
                                   f"(groups {inst.group[a]!r} and {inst.group[b]!r})", "must_link.nesting",
                                   {"unit": inst.unit_codes[a], "other": inst.unit_codes[b],
                                    "group": inst.group[a], "other_group": inst.group[b]}))
        for u, other in ((a, b), (b, a)):
            if prep.alone[u]:
                why = "keep_separate" if inst.keep_separate[u] else "exempt (exempt_mode='keep')"
                kind = why.split(" ", maxsplit=1)[0]
                reasons.append(_reason(f"must_link/{kind}", [inst.unit_codes[u], inst.unit_codes[other]],
                                       f"must_link {label(a)} - {label(b)} conflicts with {label(u)} being {why}",
                                       f"must_link.{kind}", {"unit": inst.unit_codes[a], "other": inst.unit_codes[b],
                                                             "locked": inst.unit_codes[u]}))
    for a, b in inst.cannot_link:
        a, b = int(a), int(b)
        if roots[a] == roots[b]:
            reasons.append(_reason("cannot_link/must_link", [inst.unit_codes[a], inst.unit_codes[b]],
                                   f"cannot_link {label(a)} - {label(b)} contradicts must_link (they are linked "
                                   "through must_link pairs)", "cannot_link.must_link",
                                   {"unit": inst.unit_codes[a], "other": inst.unit_codes[b]}))
    if reasons:
        return reasons
    classes: dict[int, list[int]] = {}
    for i, r in enumerate(roots):
        classes.setdefault(r, []).append(i)
    for _root, units in sorted(classes.items()):
        if len(units) < 2:
            continue
        common = set(prep.centres_of[units[0]])
        for u in units[1:]:
            common &= set(prep.centres_of[u])
        if common:
            continue
        codes = [inst.unit_codes[u] for u in units]
        names = ", ".join(label(u) for u in units)
        blocked = prep.alone.copy()
        # not connected at all is the plainer cause, so it is checked first (it also blocks
        # every path that avoids the units kept alone)
        unblocked = np.zeros(inst.n, bool)
        if uses_contiguity(settings) and not all(_connected_avoiding(units[0], u, prep, unblocked) for u in units[1:]):
            reasons.append(_reason("must_link/contiguity", codes,
                                   f"must_link {names}: the units are not connected in the adjacency graph",
                                   "must_link.disconnected", {"units": codes}))
        elif uses_contiguity(settings) and not all(_connected_avoiding(units[0], u, prep, blocked) for u in units[1:]):
            locked = sorted({int(v) for u in units for v in prep.nbrs[u] if prep.alone[v]})
            locked_codes = [inst.unit_codes[v] for v in locked]
            locked_txt = ", ".join(label(v) for v in locked) or "locked units"
            reasons.append(_reason("must_link/contiguity", codes + locked_codes,
                                   f"must_link {names}: every connecting path passes a unit that must stay "
                                   f"alone ({locked_txt}), so the linked units cannot form one contiguous unit",
                                   "must_link.blocked" if locked else "must_link.blocked_unnamed",
                                   {"units": codes, "locked": locked_codes}))
        else:
            reasons.append(_reason("must_link/centre", codes,
                                   f"must_link {names}: no eligible centre can serve all of them "
                                   "(travel-time limit, centre eligibility or cap)", "must_link.centre",
                                   {"units": codes}))
    return reasons


def _band_reasons(prep: Prepared) -> list[Reason]:
    inst, s = prep.instance, prep.settings
    pop = inst.population
    label = inst.label
    reasons: list[Reason] = []
    floor, cap = s.population_floor, s.population_cap
    if floor is not None and cap is not None and cap < floor:
        values: Params = {"cap": shown(cap, 2), "floor": shown(floor, 2)}
        reasons.append(_reason("band", [], f"population cap {param_number(values, 'cap')} is below the floor "
                                           f"{param_number(values, 'floor')}", "band", values))
        return reasons
    if cap is not None and s.cap_mode == "hard":
        over = [i for i in range(inst.n) if pop[i] > cap + _TOL]
        for i in over:
            values = {"unit": inst.unit_codes[i], "population": shown(pop[i], 1), "cap": shown(cap, 2)}
            reasons.append(_reason("cap", [inst.unit_codes[i]],
                                   f"{label(i)} alone has {param_number(values, 'population')} residents, above the hard "
                                   f"cap {param_number(values, 'cap')}; units are never split", "cap", values))
    if floor is not None and s.floor_mode == "hard":
        for i in map(int, np.flatnonzero(inst.keep_separate & ~inst.exempt)):
            if pop[i] < floor - _TOL:
                values = {"unit": inst.unit_codes[i], "population": shown(pop[i], 1), "floor": shown(floor, 2)}
                reasons.append(_reason("floor/keep_separate", [inst.unit_codes[i]],
                                       f"{label(i)} is locked to stay separate but has {param_number(values, 'population')} "
                                       f"residents, below the hard floor {param_number(values, 'floor')}",
                                       "floor.keep_separate", values))
        for i in map(int, np.flatnonzero(prep.floor_applies)):
            best = max((pop[prep.members[j]].sum() for j in prep.centres_of[i]), default=0.0)
            if best < floor - _TOL:
                values = {"unit": inst.unit_codes[i], "population": shown(pop[i], 1), "floor": shown(floor, 2),
                          "best": shown(best, 1)}
                reasons.append(_reason("floor", [inst.unit_codes[i]],
                                       f"{label(i)} ({param_number(values, 'population')} residents) cannot reach the hard "
                                       f"floor {param_number(values, 'floor')}: all units it may join hold at most "
                                       f"{param_number(values, 'best')} residents (travel limit, nesting, locks, contiguity)",
                                       "floor", values))
    if s.indicator_floor is not None and inst.indicator is None:
        raise CriteriaError("EngineSettings.indicator_floor is set but the instance has no indicator values")
    return reasons


def _count_reasons(prep: Prepared) -> list[Reason]:
    inst, s = prep.instance, prep.settings
    if s.n_units is None:
        return []
    groups = sorted(set(inst.group))
    gidx = {g: [i for i in range(inst.n) if inst.group[i] == g] for g in groups}
    if isinstance(s.n_units, Mapping):  # EngineSettings holds a group mapping as a dict
        unknown = sorted(set(s.n_units) - set(groups))
        if unknown:
            raise CriteriaError(f"EngineSettings.n_units names unknown group(s) {', '.join(map(repr, unknown))}; "
                                f"known: {', '.join(map(repr, groups))}")
        targets = {g: s.n_units[g] for g in groups if g in s.n_units}
        scopes = {g: gidx[g] for g in targets}
    else:
        targets = {"(total)": int(s.n_units)}
        scopes = {"(total)": list(range(inst.n))}
    reasons: list[Reason] = []
    pop = inst.population
    for g, k in targets.items():
        units = scopes[g]
        where = "in total" if g == "(total)" else f"in group {g!r}"
        scope: Params = {} if g == "(total)" else {"group": g}
        possible = [j for j in units if j in prep.members]
        forced = [j for j in units if prep.alone[j]]
        free = [j for j in units if not prep.alone[j]]
        if k > len(possible):
            reasons.append(_reason("n_units", [], f"{k} new units asked {where}, but only {len(possible)} units may be "
                                                  "a centre", "n_units.centres",
                                   {**scope, "asked": k, "possible": len(possible)}))
            continue
        if k < len(forced) + (1 if free else 0):
            reasons.append(_reason("n_units", [inst.unit_codes[j] for j in forced],
                                   f"{k} new units asked {where}, but {len(forced)} units must stay alone"
                                   + (" and the others need at least one more" if free else ""),
                                   "n_units.alone_and_more" if free else "n_units.alone",
                                   {**scope, "asked": k, "alone": len(forced)}))
            continue
        k_free = k - len(forced)
        free_pop = float(pop[free].sum())
        if s.population_cap is not None and s.cap_mode == "hard" and k_free * s.population_cap < free_pop - _TOL:
            values = {**scope, "asked": k, "population": shown(free_pop, 1), "cap": shown(s.population_cap, 2)}
            reasons.append(_reason("n_units/cap", [],
                                   f"{k} new units {where} cannot hold {param_number(values, 'population')} residents under "
                                   f"the hard cap {param_number(values, 'cap')}", "n_units.cap", values))
        if (s.population_floor is not None and s.floor_mode == "hard" and not inst.exempt[free].any()
                and k_free * s.population_floor > free_pop + _TOL):
            values = {**scope, "asked": k, "need": shown(k_free * s.population_floor, 1),
                      "floor": shown(s.population_floor, 2), "population": shown(free_pop, 1)}
            reasons.append(_reason("n_units/floor", [],
                                   f"{k} new units {where} need {param_number(values, 'need')} residents to reach the hard "
                                   f"floor {param_number(values, 'floor')}, "
                                   f"but only {param_number(values, 'population')} live there",
                                   "n_units.floor", values))
    return reasons


def _orphan_reasons(prep: Prepared) -> list[Reason]:
    inst = prep.instance
    reasons = []
    for i in range(inst.n):
        if not prep.centres_of[i]:
            reasons.append(_reason("centre_eligible", [inst.unit_codes[i]],
                                   f"{inst.label(i)} has no possible centre (it is not centre-eligible and no "
                                   "eligible centre is within reach: travel limit, nesting, locks, contiguity)",
                                   "centre_eligible", {"unit": inst.unit_codes[i]}))
    return reasons


def check_in_advance(prep: Prepared) -> None:
    """Raise :class:`InfeasibleError` for every conflict found without the solver."""
    reasons = _band_reasons(prep)
    reasons += _orphan_reasons(prep)
    reasons += _lock_reasons(prep)
    reasons += _count_reasons(prep)
    raise_if(reasons)
