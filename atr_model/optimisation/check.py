"""After the solve: the independent plan checker: does an assignment honour every criterion?

Written apart from the model code on purpose (it uses networkx for connectivity and reads the
instance and settings directly), so a modelling bug cannot hide in both places.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from atr_model.optimisation.instance import MergerInstance
from atr_model.optimisation.settings import EngineSettings
from atr_model.optimisation.wording import Params, param_number, shown

__all__ = ["Violation", "check_plan"]

_TOL = 1e-6


@dataclass(frozen=True)
class Violation:
    """One broken criterion.

    Attributes
    ----------
    constraint : str
        ``"assignment"``, ``"nesting"``, ``"contiguity"``, ``"floor"``, ``"exempt"``, ``"cap"``,
        ``"indicator_floor"``, ``"travel_time"``, ``"keep_separate"``, ``"must_link"``,
        ``"cannot_link"``, ``"centre_eligible"``, ``"n_units"`` or ``"cost"``.
    units : tuple of str
        Codes of the units concerned.
    message : str
        Readable sentence with the measured values, in English.
    hard : bool
        False for a soft criterion the settings allow to fall short (penalised shortfall).
    code : str
        The sentence's message code for the interface (catalogue text ``check.<code>``): the
        constraint, or ``<constraint>.<case>`` where one constraint has several sentences.
    params : dict
        The sentence's raw values (:mod:`~atr_model.optimisation.wording`): unit codes
        (``unit``, ``centre``, ``other``...), numbers and identifiers.
    """

    constraint: str
    units: tuple[str, ...]
    message: str
    hard: bool = True
    code: str = ""
    params: Params = field(default_factory=dict)


def _structure(instance: MergerInstance, assignment: np.ndarray) -> list[Violation]:
    n = instance.n
    codes = instance.unit_codes
    if assignment.shape != (n,):
        return [Violation("assignment", (), f"assignment has shape {assignment.shape}; expected ({n},)",
                          code="assignment.shape", params={"shape": str(assignment.shape), "n": n})]
    bad = [i for i in range(n) if not 0 <= assignment[i] < n]
    if bad:
        return [Violation("assignment", tuple(codes[i] for i in bad),
                          f"{len(bad)} unit(s) have no valid centre index (first: {instance.label(bad[0])})",
                          code="assignment.index", params={"count": len(bad), "unit": codes[bad[0]]})]
    out = []
    for i in range(n):
        c = int(assignment[i])
        if assignment[c] != c:
            out.append(Violation("assignment", (codes[i], codes[c]),
                                 f"{instance.label(i)} is assigned to {instance.label(c)}, which is not a centre "
                                 f"(it is itself assigned to {instance.label(int(assignment[c]))})",
                                 code="assignment.not_centre",
                                 params={"unit": codes[i], "centre": codes[c], "other": codes[int(assignment[c])]}))
    return out


def _new_units(assignment: np.ndarray) -> dict[int, list[int]]:
    units: dict[int, list[int]] = {}
    for i, c in enumerate(assignment):
        units.setdefault(int(c), []).append(i)
    return dict(sorted(units.items()))


def _graph(instance: MergerInstance) -> nx.Graph:
    g = nx.Graph()
    g.add_nodes_from(range(instance.n))
    g.add_edges_from((int(a), int(b)) for a, b in instance.adjacency)
    return g


def check_plan(instance: MergerInstance, assignment: np.ndarray, settings: EngineSettings) -> list[Violation]:
    """Every criterion the plan breaks (empty list: the plan is valid).

    Checks contiguity of each new unit over ``instance.adjacency`` (unless
    ``settings.contiguity == "none"``), the population floor with exemptions, the cap, the
    indicator floor, the travel-time limit, nesting (``group``), locks (``keep_separate``,
    ``must_link``, ``cannot_link``), centre eligibility, the number of units and finite costs.
    Shortfalls allowed by soft settings come back with ``hard=False``.
    """
    assignment = np.asarray(assignment, dtype=np.int64)
    out = _structure(instance, assignment)
    if out:
        return out
    codes, label, pop = instance.unit_codes, instance.label, instance.population
    units = _new_units(assignment)
    alone = instance.keep_separate | (instance.exempt if settings.exempt_mode == "keep" else np.zeros(instance.n, bool))
    graph = _graph(instance)
    for c, mem in units.items():
        mem_codes = tuple(codes[i] for i in mem)
        groups = sorted({instance.group[i] for i in mem})
        if len(groups) > 1:
            out.append(Violation("nesting", mem_codes, f"new unit of {label(c)} spans groups {', '.join(groups)}",
                                 code="nesting", params={"centre": codes[c], "groups": groups}))
        if settings.contiguity != "none" and len(mem) > 1 and not nx.is_connected(graph.subgraph(mem)):
            pieces = sorted(sorted(p) for p in nx.connected_components(graph.subgraph(mem)))
            out.append(Violation("contiguity", mem_codes,
                                 f"new unit of {label(c)} falls into {len(pieces)} disconnected pieces: "
                                 + " | ".join(", ".join(codes[i] for i in p) for p in pieces),
                                 code="contiguity", params={"centre": codes[c], "count": len(pieces),
                                                            "pieces": [[codes[i] for i in p] for p in pieces]}))
        if len(mem) > 1 and not instance.centre_eligible[c]:
            out.append(Violation("centre_eligible", (codes[c],), f"{label(c)} is the centre of a merged unit but "
                                                                 "is not eligible to host a centre",
                                 code="centre_eligible", params={"unit": codes[c]}))
        total = float(pop[mem].sum())
        locked = len(mem) == 1 and alone[c]
        floor = settings.population_floor
        if floor is not None and total < floor - _TOL and bool((~instance.exempt[mem]).any()):
            hard = settings.floor_mode == "hard"
            values: Params = {"centre": codes[c], "total": shown(total, 1), "floor": shown(floor, 2)}
            out.append(Violation("floor", mem_codes, f"new unit of {label(c)} has {param_number(values, 'total')} residents, "
                                                     f"below the floor {param_number(values, 'floor')}", hard=hard,
                                 code="floor", params=values))
        cap = settings.population_cap
        if cap is not None and total > cap + _TOL:
            values = {"centre": codes[c], "total": shown(total, 1), "cap": shown(cap, 2)}
            out.append(Violation("cap", mem_codes, f"new unit of {label(c)} has {param_number(values, 'total')} residents, "
                                                   f"above the cap {param_number(values, 'cap')}",
                                 hard=settings.cap_mode == "hard", code="cap", params=values))
        if settings.indicator_floor is not None and instance.indicator is not None and not locked:
            value = float(np.nansum(instance.indicator[mem]))
            if value < settings.indicator_floor - _TOL:
                values = {"centre": codes[c], "value": shown(value, 2), "floor": shown(settings.indicator_floor, 2)}
                out.append(Violation("indicator_floor", mem_codes,
                                     f"new unit of {label(c)} has indicator {param_number(values, 'value')}, below "
                                     f"{param_number(values, 'floor')}",
                                     hard=settings.floor_mode == "hard", code="indicator_floor", params=values))
        if len(mem) > 1:
            for i in mem:
                if alone[i]:
                    kind = "keep_separate" if instance.keep_separate[i] else "exempt"
                    out.append(Violation(kind, mem_codes, f"{label(i)} must stay as it is ({kind}) but is merged "
                                                          f"into the new unit of {label(c)}",
                                         code=kind, params={"unit": codes[i], "centre": codes[c]}))
        limit = settings.max_travel_time_min
        for i in mem:
            if limit is not None and i != c and instance.travel_time_min[i, c] > limit + _TOL:
                values = {"unit": codes[i], "centre": codes[c], "minutes": shown(instance.travel_time_min[i, c], 1),
                          "limit": shown(limit, 2)}
                out.append(Violation("travel_time", (codes[i], codes[c]),
                                     f"{label(i)} is {param_number(values, 'minutes')} min from its centre "
                                     f"{label(c)}, above the limit {param_number(values, 'limit')} min",
                                     code="travel_time", params=values))
            if not np.isfinite(instance.cost[i, c]):
                out.append(Violation("cost", (codes[i], codes[c]),
                                     f"{label(i)} is assigned to {label(c)}, a forbidden pair (infinite cost)",
                                     code="cost", params={"unit": codes[i], "centre": codes[c]}))
    for a, b in instance.must_link:
        if assignment[a] != assignment[b]:
            out.append(Violation("must_link", (codes[a], codes[b]), f"{label(int(a))} and {label(int(b))} must be "
                                                                    "in the same new unit but are not",
                                 code="must_link", params={"unit": codes[a], "other": codes[b]}))
    for a, b in instance.cannot_link:
        if assignment[a] == assignment[b]:
            out.append(Violation("cannot_link", (codes[a], codes[b]), f"{label(int(a))} and {label(int(b))} must be "
                                                                      "in different new units but are together",
                                 code="cannot_link", params={"unit": codes[a], "other": codes[b]}))
    out += _count(instance, settings, units)
    return out


def _count(instance: MergerInstance, settings: EngineSettings, units: dict[int, list[int]]) -> list[Violation]:
    if settings.n_units is None:
        return []
    if isinstance(settings.n_units, int):
        if len(units) != settings.n_units:
            return [Violation("n_units", (), f"{len(units)} new units; {settings.n_units} asked",
                              code="n_units", params={"count": len(units), "asked": settings.n_units})]
        return []
    out = []
    for g, k in sorted(settings.n_units.items()):
        got = sum(1 for c in units if instance.group[c] == g)
        if got != k:
            out.append(Violation("n_units", (), f"group {g!r} has {got} new units; {k} asked",
                                 code="n_units.group", params={"group": g, "count": got, "asked": k}))
    return out
