"""Stage: preparing the model. From an instance and settings to the sets the MILP is built
on: which units must stay alone, which (unit, centre) pairs may exist, and the contiguity graph per centre.

Everything here is deterministic: pairs are sorted by (centre, unit).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from atr_model.optimisation.contiguity import reachable
from atr_model.optimisation.instance import MergerInstance
from atr_model.optimisation.settings import EngineSettings

__all__ = ["Prepared", "prepare", "neighbours", "uses_contiguity"]

log = logging.getLogger(__name__)


def neighbours(instance: MergerInstance) -> list[list[int]]:
    """Sorted adjacency lists of the contiguity graph, restricted to pairs in the same group."""
    n = instance.n
    adj: list[set[int]] = [set() for _ in range(n)]
    for a, b in instance.adjacency:
        a, b = int(a), int(b)
        if instance.group[a] == instance.group[b]:
            adj[a].add(b)
            adj[b].add(a)
    return [sorted(s) for s in adj]


def uses_contiguity(settings: EngineSettings) -> bool:
    """Whether new units must be connected."""
    return settings.contiguity != "none"


@dataclass
class Prepared:
    """Sets derived once per (instance, settings).

    Attributes
    ----------
    alone : bool array (n,)
        Units that stay on their own (``keep_separate`` or exempt with ``exempt_mode="keep"``).
    floor_applies : bool array (n,)
        Units whose new unit must reach the population floor (non-exempt, not alone).
    members : dict centre -> sorted list of units that may be assigned to it (centre included).
    centres_of : list per unit of the sorted centres it may be assigned to.
    nbrs : adjacency lists (same group only).
    fixed_by : counts of pairs removed per reason (for logging and the result).
    """

    instance: MergerInstance
    settings: EngineSettings
    alone: np.ndarray
    floor_applies: np.ndarray
    members: dict[int, list[int]]
    centres_of: list[list[int]]
    nbrs: list[list[int]]
    indicator: np.ndarray | None
    fixed_by: dict[str, int] = field(default_factory=dict)

    @property
    def n_pairs(self) -> int:
        return sum(len(m) for m in self.members.values())


def _alone(instance: MergerInstance, settings: EngineSettings) -> np.ndarray:
    alone: np.ndarray = instance.keep_separate.copy()
    if settings.exempt_mode == "keep":
        alone |= instance.exempt
    return alone




def _cap_fix(centre: int, cand: list[int], instance: MergerInstance, nbrs: list[list[int]], cap: float) -> list[int]:
    """Drop units whose lightest connecting path to ``centre`` (by population) exceeds the cap."""
    pos = {u: k for k, u in enumerate(cand)}
    rows, cols, vals = [], [], []
    pop = instance.population
    for u in cand:
        for v in nbrs[u]:
            if v in pos:
                rows.append(pos[u])
                cols.append(pos[v])
                # weight of entering v; tiny offset keeps zero-population edges in the sparse matrix
                vals.append(pop[v] + 1e-9)
    graph = csr_matrix((vals, (rows, cols)), shape=(len(cand), len(cand)))
    dist = dijkstra(graph, directed=True, indices=pos[centre])
    keep = [u for u in cand if dist[pos[u]] + pop[centre] <= cap * (1 + 1e-9) + 1e-6]
    return keep


def prepare(instance: MergerInstance, settings: EngineSettings) -> Prepared:
    """Compute the allowed (unit, centre) pairs after variable fixing.

    A pair (i, j), i != j, exists only when: same group, finite cost, ``j`` centre-eligible,
    neither unit must stay alone, travel time within the limit; with contiguity, ``i`` must be
    reachable from ``j`` through units that may also join ``j``; with ``fixing`` and a hard cap,
    the lightest such path must fit under the cap.
    """
    n = instance.n
    alone = _alone(instance, settings)
    floor_applies = ~instance.exempt & ~alone
    nbrs = neighbours(instance)
    limit = settings.max_travel_time_min
    cost_ok = np.isfinite(instance.cost)
    groups = np.asarray(instance.group)
    contiguity = uses_contiguity(settings)
    fixed_by = {"travel": 0, "contiguity": 0, "cap": 0}
    members: dict[int, list[int]] = {}
    for j in range(n):
        if alone[j]:
            members[j] = [j]
            continue
        if not instance.centre_eligible[j] or not cost_ok[j, j]:
            continue
        cand_mask = (groups == groups[j]) & cost_ok[:, j] & ~alone
        if limit is not None:
            within = instance.travel_time_min[:, j] <= limit
            fixed_by["travel"] += int((cand_mask & ~within).sum())
            cand_mask &= within
        cand_mask[j] = True
        cand = [int(u) for u in np.flatnonzero(cand_mask)]
        if contiguity:
            reach = reachable(j, set(cand), nbrs)
            fixed_by["contiguity"] += len(cand) - len(reach)
            cand = sorted(reach)
            if settings.fixing and settings.population_cap is not None and settings.cap_mode == "hard" and len(cand) > 1:
                kept = _cap_fix(j, cand, instance, nbrs, settings.population_cap)
                fixed_by["cap"] += len(cand) - len(kept)
                cand = kept
        elif settings.fixing and settings.population_cap is not None and settings.cap_mode == "hard":
            pop = instance.population
            kept = [u for u in cand if u == j or pop[u] + pop[j] <= settings.population_cap * (1 + 1e-9) + 1e-6]
            fixed_by["cap"] += len(cand) - len(kept)
            cand = kept
        members[j] = cand
    centres_of: list[list[int]] = [[] for _ in range(n)]
    for j in sorted(members):
        for i in members[j]:
            centres_of[i].append(j)
    indicator = None
    if instance.indicator is not None:
        indicator = np.nan_to_num(instance.indicator, nan=0.0)
    log.debug("prepared %d pairs for %d units (fixed: %s)", sum(len(m) for m in members.values()), n, fixed_by)
    return Prepared(instance, settings, alone, floor_applies, members, centres_of, nbrs, indicator, fixed_by)
