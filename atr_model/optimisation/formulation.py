r"""Stage: building the MILP. The exact merger model (centre-based, Hess / p-median family) as a
PuLP problem, with the separator cuts the cut loop (:mod:`.cutloop`) adds to it.

Formulation
-----------
Units :math:`i`, possible centres :math:`j`; :math:`x_{ij} = 1` when unit ``i`` joins the new
unit centred on ``j`` (only for allowed pairs, see :func:`.prepare.prepare`); :math:`x_{jj}`
says ``j`` is a centre.

.. math::

    \min \sum_{ij} c_{ij} x_{ij} + a \sum_j x_{jj} + \pi_F \sum_j s_j + \pi_C \sum_j e_j
         + \pi_I \sum_j t_j

    \sum_j x_{ij} = 1 \;\forall i \qquad x_{ij} \le x_{jj}

    \sum_i p_i x_{ij} + s_j \ge F\, x_{jj} \quad (j \text{ not exempt; for an exempt centre
    the right side is } F x_{kj} \text{ for each non-exempt } k)

    \sum_i p_i x_{ij} - e_j \le C\, x_{jj} \qquad \sum_i q_i x_{ij} + t_j \ge Q\, x_{jj}

    \sum_j x_{jj} = k \text{ (total or per group, optional)}

with :math:`s, e, t \ge 0` fixed to 0 in hard mode. Locks: ``keep_separate`` (and exempt units
with ``exempt_mode="keep"``) have :math:`x_{ii} = 1` and no other pair; ``must_link``
:math:`x_{aj} = x_{bj}`; ``cannot_link`` :math:`x_{aj} + x_{bj} \le x_{jj}`.
Contiguity: separator cuts (lazy, re-solve loop) or a single-commodity flow per centre
(see :mod:`.contiguity`). Reference: S. W. Hess et al. (1965); H. Validi, A. Buchanan,
E. Lykhovyd (2022), Oper. Res. 70(2):867-892.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pulp

from atr_model.optimisation.prepare import Prepared, uses_contiguity
from atr_model.optimisation.presolve import must_link_classes
from atr_model.optimisation.solvers import FrozenProblem

__all__ = ["Cut", "Formulation", "choose_method", "inertia_cost"]

# a separator cut ``(i, j, separator)``: if ``i`` joins centre ``j``, a unit of ``separator`` does too
Cut = tuple[int, int, tuple[int, ...]]

# the flow model only for sub-problems with at most this many arcs inside allowed new units
_FLOW_MAX_ARCS = 60


def inertia_cost(population: np.ndarray, distance: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """Moment-of-inertia cost ``population[i] * (scale * distance[i, j]) ** 2`` (Hess et al. 1965).

    Parameters
    ----------
    population : array (n,)
        Residents per unit.
    distance : array (n, n)
        Distance between units (any unit; ``inf`` forbids a pair).
    scale : float
        Multiplier applied to distances first (for example 1/1000 to turn km into 1000 km).
    """
    pop = np.asarray(population, dtype=float)
    dist = np.asarray(distance, dtype=float) * scale
    return pop[:, None] * dist**2



def choose_method(prep: Prepared) -> str:
    """Contiguity method of a sub-problem: ``"none"``, ``"flow"`` or ``"cuts"`` (resolving ``"auto"``)."""
    s = prep.settings
    if not uses_contiguity(s):
        return "none"
    if s.contiguity != "auto":
        return s.contiguity
    # The flow model avoids re-solves but its big-M rows are weak: measured here, a 12-unit soft-floor
    # instance took 3.6 s with flow against 1.0 s with cuts, and on the county benchmarks the cut
    # loop is far faster (as in Validi et al. 2022). So flow only for tiny units sets.
    arcs = 0
    for members in prep.members.values():
        if len(members) > 1:
            inside = set(members)
            arcs += sum(1 for u in members for v in prep.nbrs[u] if v in inside)
    return "flow" if arcs <= _FLOW_MAX_ARCS else "cuts"


def _expr(terms: Any) -> pulp.LpAffineExpression:
    """A linear expression from (variable, coefficient) pairs (much faster than lpSum of products)."""
    return pulp.LpAffineExpression([(v, c) for v, c in terms if c != 0])


@dataclass
class Formulation:
    """The MILP of one sub-problem: variables ``x[i, j]``, one method per constraint family, and the
    separator cuts added so far (``cut_keys``)."""

    prep: Prepared
    method: str
    prob: pulp.LpProblem = field(init=False)
    x: dict[tuple[int, int], pulp.LpVariable] = field(init=False, default_factory=dict)
    cut_keys: set[Cut] = field(init=False, default_factory=set)
    # set once pairs are fixed by bounds: cuts then use the unfixed members only (and are recorded)
    restricted: bool = field(init=False, default=False)
    restricted_cuts: list[str] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.prob = FrozenProblem("merger", pulp.LpMinimize)
        self._build()
        self.prob.freeze()

    # -- building blocks, one per constraint family ------------------------------------------
    def _build(self) -> None:
        prep, s, inst = self.prep, self.prep.settings, self.prep.instance
        x = self.x
        for j in sorted(prep.members):
            for i in prep.members[j]:
                x[i, j] = pulp.LpVariable(f"x_{i}_{j}", cat=pulp.LpBinary)
            if prep.alone[j]:
                x[j, j].lowBound = 1
        costs = {(i, j): float(inst.cost[i, j]) + (s.admin_cost_per_unit if i == j else 0.0) for (i, j) in x}
        obj: list[Any] = [_expr((v, costs[k]) for k, v in sorted(x.items()))]
        prob = self.prob
        for i in range(inst.n):
            prob += pulp.LpConstraint(_expr((x[i, j], 1.0) for j in prep.centres_of[i]), pulp.LpConstraintEQ,
                                      f"assign_{i}", 1.0)
        for j in sorted(prep.members):
            for i in prep.members[j]:
                if i != j:
                    prob += pulp.LpConstraint(_expr([(x[i, j], 1.0), (x[j, j], -1.0)]), pulp.LpConstraintLE,
                                              f"link_{i}_{j}", 0.0)
        obj += self._floor()
        obj += self._cap()
        obj += self._indicator()
        self._locks()
        self._count()
        if self.method == "flow":
            self._flow()
        if self.method == "cuts" and s.seed_neighbour_cuts:
            self._neighbour_cuts()
        prob += pulp.lpSum(obj)

    def _unit_terms(self, j: int, values: np.ndarray) -> list[tuple[pulp.LpVariable, float]]:
        return [(self.x[i, j], float(values[i])) for i in self.prep.members[j]]

    def _row(self, terms: list[tuple[pulp.LpVariable, float]], sense: int, rhs: float, name: str) -> None:
        """Add ``sum(coef * var) <sense> rhs``, merging repeated variables."""
        merged: dict[str, list[Any]] = {}
        for v, c in terms:
            if v.name in merged:
                merged[v.name][1] += c
            else:
                merged[v.name] = [v, c]
        self.prob += pulp.LpConstraint(_expr((v, c) for v, c in merged.values()), sense, name, rhs)

    def _floor(self) -> list[Any]:
        prep, s, inst = self.prep, self.prep.settings, self.prep.instance
        floor = s.population_floor
        if floor is None or floor <= 0:
            return []
        pop, x = inst.population, self.x
        terms = []
        for j in sorted(prep.members):
            # a centre at or above the floor carries every unit joining it over the floor
            if prep.alone[j] or pop[j] >= floor:
                continue
            needy = [i for i in prep.members[j] if prep.floor_applies[i]] if inst.exempt[j] else [j]
            if not needy:
                continue
            lhs = self._unit_terms(j, pop)
            if not inst.exempt[j]:
                # coefficient tightening (valid as x_ij <= x_jj): no member counts for more than the
                # centre's own gap to the floor; it lifts the LP bound a lot when the floor is soft
                gap_j = floor - float(pop[j])
                lhs = [(v, c if v is x[j, j] else min(c, gap_j)) for v, c in lhs]
            if s.floor_mode == "soft":
                slack = pulp.LpVariable(f"floor_slack_{j}", lowBound=0, upBound=floor)
                terms.append(s.slack_penalty_per_person * slack)
                lhs.append((slack, 1.0))
            for k in needy:
                self._row(lhs + [(x[k, j], -floor)], pulp.LpConstraintGE, 0.0, f"floor_{k}_{j}")
        return terms

    def _cap(self) -> list[Any]:
        prep, s, inst = self.prep, self.prep.settings, self.prep.instance
        cap = s.population_cap
        if cap is None:
            return []
        pop, x = inst.population, self.x
        terms = []
        for j in sorted(prep.members):
            mem = prep.members[j]
            if prep.alone[j] or pop[mem].sum() <= cap:
                continue
            lhs = self._unit_terms(j, pop) + [(x[j, j], -cap)]
            if s.cap_mode == "soft":
                excess = pulp.LpVariable(f"cap_excess_{j}", lowBound=0)
                terms.append(s.cap_penalty_per_person * excess)
                lhs.append((excess, -1.0))
            self._row(lhs, pulp.LpConstraintLE, 0.0, f"cap_{j}")
        return terms

    def _indicator(self) -> list[Any]:
        prep, s = self.prep, self.prep.settings
        target = s.indicator_floor
        if target is None or prep.indicator is None or target <= 0:
            return []
        ind, x = prep.indicator, self.x
        terms = []
        for j in sorted(prep.members):
            if prep.alone[j] or ind[j] >= target:
                continue
            lhs = self._unit_terms(j, ind) + [(x[j, j], -target)]
            if s.floor_mode == "soft":
                slack = pulp.LpVariable(f"indicator_slack_{j}", lowBound=0, upBound=target)
                terms.append(s.indicator_penalty_per_unit * slack)
                lhs.append((slack, 1.0))
            self._row(lhs, pulp.LpConstraintGE, 0.0, f"indicator_{j}")
        return terms

    def _locks(self) -> None:
        prep, inst, x, prob = self.prep, self.prep.instance, self.x, self.prob
        roots = must_link_classes(inst.n, inst.must_link)
        for u in range(inst.n):
            r = roots[u]
            if r == u:
                continue
            for j in sorted(set(prep.centres_of[u]) | set(prep.centres_of[r])):
                prob += x.get((u, j), 0) - x.get((r, j), 0) == 0, f"must_link_{u}_{r}_{j}"
        for a, b in sorted({(min(int(a), int(b)), max(int(a), int(b))) for a, b in inst.cannot_link}):
            for j in sorted(set(prep.centres_of[a]) & set(prep.centres_of[b])):
                prob += x[a, j] + x[b, j] <= x[j, j], f"cannot_link_{a}_{b}_{j}"

    def _count(self) -> None:
        prep, s, inst, x, prob = self.prep, self.prep.settings, self.prep.instance, self.x, self.prob
        if s.n_units is None:
            return
        centres = sorted(prep.members)
        if isinstance(s.n_units, Mapping):
            for g, k in s.n_units.items():
                js = [j for j in centres if inst.group[j] == g]
                if js:
                    prob += pulp.lpSum(x[j, j] for j in js) == k, f"n_units_{g}"
        else:
            prob += pulp.lpSum(x[j, j] for j in centres) == s.n_units, "n_units"

    def _flow(self) -> None:
        """Single-commodity flow per centre: ``j`` ships one unit of flow to every member."""
        prep, x, prob = self.prep, self.x, self.prob
        for j in sorted(prep.members):
            mem = prep.members[j]
            if len(mem) < 2:
                continue
            mem_set = set(mem)
            big_m = len(mem) - 1
            f: dict[tuple[int, int], pulp.LpVariable] = {}
            for u in mem:
                for v in prep.nbrs[u]:
                    if v in mem_set and v != j:
                        f[u, v] = pulp.LpVariable(f"f_{j}_{u}_{v}", lowBound=0)
            inflow: dict[int, list[Any]] = {i: [] for i in mem}
            outflow: dict[int, list[Any]] = {i: [] for i in mem}
            for (u, v), var in sorted(f.items()):
                outflow[u].append(var)
                inflow[v].append(var)
            for i in mem:
                if i == j:
                    continue
                prob += pulp.lpSum(inflow[i]) - pulp.lpSum(outflow[i]) == x[i, j], f"flow_bal_{i}_{j}"
                prob += pulp.lpSum(inflow[i]) <= big_m * x[i, j], f"flow_cap_{i}_{j}"

    def _neighbour_cuts(self) -> None:
        """Seed the cut loop with the trivial separators of every allowed pair."""
        self.add_cuts(self.neighbour_cuts(self.prep.members))

    def neighbour_cuts(self, members: Mapping[int, Sequence[int]]) -> list[Cut]:
        """The trivial separators within ``members`` (centre -> units): if ``i`` joins ``j`` (not
        adjacent), a neighbour of ``i`` among ``members[j]`` does too."""
        nbrs = self.prep.nbrs
        cuts = []
        for j in sorted(members):
            allowed = set(members[j])
            for i in members[j]:
                if i == j or j in nbrs[i]:
                    continue
                cuts.append((i, j, tuple(c for c in nbrs[i] if c in allowed)))
        return cuts

    # -- cut loop support ------------------------------------------------------------------
    def add_cuts(self, cuts: Sequence[Cut]) -> int:
        """Add the separator cuts not added before; returns how many are new."""
        added = 0
        for a, j, sep in cuts:
            key = (a, j, sep)
            if key in self.cut_keys:
                continue
            self.cut_keys.add(key)
            terms = [(self.x[a, j], 1.0)] + [(self.x[c, j], -1.0) for c in sep]
            name = f"sep_{len(self.cut_keys)}"
            self.prob += pulp.LpConstraint(_expr(terms), pulp.LpConstraintLE, name, 0.0)
            if self.restricted:
                self.restricted_cuts.append(name)
            added += 1
        return added

    def live_members(self) -> dict[int, list[int]]:
        """Members per centre whose pair is not fixed to 0 (separators within them are valid for every
        plan the fixing keeps)."""
        if not self.restricted:
            return self.prep.members
        return {j: [i for i in mem if self.x[i, j].upBound != 0] for j, mem in self.prep.members.items()}

    def drop_restricted_cuts(self) -> None:
        """Remove the cuts that relied on fixings (when the fixings are undone)."""
        for name in self.restricted_cuts:
            self.prob.constraints.pop(name, None)
        self.restricted_cuts = []
        self.restricted = False

    def assignment(self) -> np.ndarray:
        """Centre of every unit in the solver's current solution (largest ``x[i, j]`` wins)."""
        n = self.prep.instance.n
        out = np.full(n, -1, dtype=np.int64)
        best = np.full(n, -1.0)
        for (i, j), v in self.x.items():
            val = v.varValue if v.varValue is not None else 0.0
            if val > best[i]:
                best[i], out[i] = val, j
        return out
