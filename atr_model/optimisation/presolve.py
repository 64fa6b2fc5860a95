"""Stage: presolve. Infeasibility that is knowable before the solver runs, with messages naming
units and constraints."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

import numpy as np

from atr_model.errors import CriteriaError, InfeasibleError
from atr_model.optimisation.prepare import Prepared, uses_contiguity

__all__ = ["check_in_advance", "must_link_classes", "raise_if"]

_TOL = 1e-6


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


def raise_if(reasons: list[dict[str, Any]]) -> None:
    """Raise :class:`InfeasibleError` summarising ``reasons`` (if any)."""
    if reasons:
        head = "; ".join(r["message"] for r in reasons[:5])
        more = f" (and {len(reasons) - 5} more)" if len(reasons) > 5 else ""
        raise InfeasibleError(f"no plan satisfies the hard constraints: {head}{more}", reasons)


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


def _lock_reasons(prep: Prepared) -> list[dict[str, Any]]:
    inst, settings = prep.instance, prep.settings
    label = inst.label
    reasons: list[dict[str, Any]] = []
    roots = must_link_classes(inst.n, inst.must_link)
    for a, b in inst.must_link:
        a, b = int(a), int(b)
        if inst.group[a] != inst.group[b]:
            reasons.append({"constraint": "must_link/nesting", "units": [inst.unit_codes[a], inst.unit_codes[b]],
                            "message": f"must_link {label(a)} - {label(b)} crosses the nesting boundary "
                                       f"(groups {inst.group[a]!r} and {inst.group[b]!r})"})
        for u, other in ((a, b), (b, a)):
            if prep.alone[u]:
                why = "keep_separate" if inst.keep_separate[u] else "exempt (exempt_mode='keep')"
                reasons.append({"constraint": f"must_link/{why.split(' ', maxsplit=1)[0]}",
                                "units": [inst.unit_codes[u], inst.unit_codes[other]],
                                "message": f"must_link {label(a)} - {label(b)} conflicts with {label(u)} being {why}"})
    for a, b in inst.cannot_link:
        a, b = int(a), int(b)
        if roots[a] == roots[b]:
            reasons.append({"constraint": "cannot_link/must_link", "units": [inst.unit_codes[a], inst.unit_codes[b]],
                            "message": f"cannot_link {label(a)} - {label(b)} contradicts must_link (they are linked "
                                       "through must_link pairs)"})
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
        if uses_contiguity(settings) and not all(_connected_avoiding(units[0], u, prep, blocked) for u in units[1:]):
            locked = sorted({int(v) for u in units for v in prep.nbrs[u] if prep.alone[v]})
            locked_txt = ", ".join(label(v) for v in locked) or "locked units"
            reasons.append({"constraint": "must_link/contiguity", "units": codes + [inst.unit_codes[v] for v in locked],
                            "message": f"must_link {names}: every connecting path passes a unit that must stay "
                                       f"alone ({locked_txt}), so the linked units cannot form one contiguous unit"})
        elif uses_contiguity(settings) and not all(_connected_avoiding(units[0], u, prep, np.zeros(inst.n, bool))
                                                   for u in units[1:]):
            reasons.append({"constraint": "must_link/contiguity", "units": codes,
                            "message": f"must_link {names}: the units are not connected in the adjacency graph"})
        else:
            reasons.append({"constraint": "must_link/centre", "units": codes,
                            "message": f"must_link {names}: no eligible centre can serve all of them "
                                       "(travel-time limit, centre eligibility or cap)"})
    return reasons


def _band_reasons(prep: Prepared) -> list[dict[str, Any]]:
    inst, s = prep.instance, prep.settings
    pop = inst.population
    label = inst.label
    reasons: list[dict[str, Any]] = []
    floor, cap = s.population_floor, s.population_cap
    if floor is not None and cap is not None and cap < floor:
        reasons.append({"constraint": "band", "units": [],
                        "message": f"population cap {cap:g} is below the floor {floor:g}"})
        return reasons
    if cap is not None and s.cap_mode == "hard":
        over = [i for i in range(inst.n) if pop[i] > cap + _TOL]
        for i in over:
            reasons.append({"constraint": "cap", "units": [inst.unit_codes[i]],
                            "message": f"{label(i)} alone has {pop[i]:g} residents, above the hard cap {cap:g}; "
                                       "units are never split"})
    if floor is not None and s.floor_mode == "hard":
        for i in np.flatnonzero(inst.keep_separate & ~inst.exempt).tolist():
            if pop[i] < floor - _TOL:
                reasons.append({"constraint": "floor/keep_separate", "units": [inst.unit_codes[i]],
                                "message": f"{label(i)} is locked to stay separate but has {pop[i]:g} residents, "
                                           f"below the hard floor {floor:g}"})
        for i in np.flatnonzero(prep.floor_applies).tolist():
            best = max((pop[prep.members[j]].sum() for j in prep.centres_of[i]), default=0.0)
            if best < floor - _TOL:
                reasons.append({"constraint": "floor", "units": [inst.unit_codes[i]],
                                "message": f"{label(i)} ({pop[i]:g} residents) cannot reach the hard floor "
                                           f"{floor:g}: all units it may join hold at most {best:g} residents "
                                           "(travel limit, nesting, locks, contiguity)"})
    if s.indicator_floor is not None and inst.indicator is None:
        raise CriteriaError("EngineSettings.indicator_floor is set but the instance has no indicator values")
    return reasons


def _count_reasons(prep: Prepared) -> list[dict[str, Any]]:
    inst, s = prep.instance, prep.settings
    if s.n_units is None:
        return []
    groups = sorted(set(inst.group))
    gidx = {g: [i for i in range(inst.n) if inst.group[i] == g] for g in groups}
    if isinstance(s.n_units, Mapping):
        unknown = sorted(set(s.n_units) - set(groups))
        if unknown:
            raise CriteriaError(f"EngineSettings.n_units names unknown group(s) {', '.join(map(repr, unknown))}; "
                                f"known: {', '.join(map(repr, groups))}")
        targets = {g: s.n_units[g] for g in groups if g in s.n_units}
        scopes = {g: gidx[g] for g in targets}
    else:
        targets = {"(total)": int(s.n_units)}
        scopes = {"(total)": list(range(inst.n))}
    reasons: list[dict[str, Any]] = []
    pop = inst.population
    for g, k in targets.items():
        units = scopes[g]
        where = "in total" if g == "(total)" else f"in group {g!r}"
        possible = [j for j in units if j in prep.members]
        forced = [j for j in units if prep.alone[j]]
        free = [j for j in units if not prep.alone[j]]
        if k > len(possible):
            reasons.append({"constraint": "n_units", "units": [],
                            "message": f"{k} new units asked {where}, but only {len(possible)} units may be a centre"})
            continue
        if k < len(forced) + (1 if free else 0):
            reasons.append({"constraint": "n_units", "units": [inst.unit_codes[j] for j in forced],
                            "message": f"{k} new units asked {where}, but {len(forced)} units must stay alone"
                                       + (" and the others need at least one more" if free else "")})
            continue
        k_free = k - len(forced)
        free_pop = float(pop[free].sum())
        if s.population_cap is not None and s.cap_mode == "hard" and k_free * s.population_cap < free_pop - _TOL:
            reasons.append({"constraint": "n_units/cap", "units": [],
                            "message": f"{k} new units {where} cannot hold {free_pop:g} residents under the hard cap "
                                       f"{s.population_cap:g}"})
        if (s.population_floor is not None and s.floor_mode == "hard" and not inst.exempt[free].any()
                and k_free * s.population_floor > free_pop + _TOL):
            reasons.append({"constraint": "n_units/floor", "units": [],
                            "message": f"{k} new units {where} need {k_free * s.population_floor:g} residents to reach "
                                       f"the hard floor {s.population_floor:g}, but only {free_pop:g} live there"})
    return reasons


def _orphan_reasons(prep: Prepared) -> list[dict[str, Any]]:
    inst = prep.instance
    reasons = []
    for i in range(inst.n):
        if not prep.centres_of[i]:
            reasons.append({"constraint": "centre_eligible", "units": [inst.unit_codes[i]],
                            "message": f"{inst.label(i)} has no possible centre (it is not centre-eligible and no "
                                       "eligible centre is within reach: travel limit, nesting, locks, contiguity)"})
    return reasons


def check_in_advance(prep: Prepared) -> None:
    """Raise :class:`InfeasibleError` for every conflict found without the solver."""
    reasons = _band_reasons(prep)
    reasons += _orphan_reasons(prep)
    reasons += _lock_reasons(prep)
    reasons += _count_reasons(prep)
    raise_if(reasons)
