"""Stage: contiguity, used by the cut loop and the flow model. Finding the disconnected pieces
of new units, vertex-separator cuts, the flow model.

Separator cuts follow Validi, Buchanan & Lykhovyd (2022), "Imposing contiguity constraints in
political districting models", Oper. Res. 70(2): for a unit ``a`` and centre ``j`` and a
minimal ``a``-``j`` vertex separator ``C`` of the graph of units that may join ``j``,
``x[a, j] <= sum(x[c, j] for c in C)``: if ``a`` joins ``j``, some unit of every separator does.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import numpy as np

__all__ = ["components", "reachable", "separator_cuts"]


def reachable(starts: int | Iterable[int], allowed: set[int], nbrs: list[list[int]]) -> set[int]:
    """Units reachable from ``starts`` through ``allowed`` units (breadth-first; starts included).

    A plain BFS on adjacency lists: it runs inside the cut loop on small induced subgraphs, where
    building a networkx or scipy graph per call costs more than the search.
    """
    seen = {starts} if isinstance(starts, int) else set(starts)
    queue = deque(sorted(seen))
    while queue:
        u = queue.popleft()
        for v in nbrs[u]:
            if v in allowed and v not in seen:
                seen.add(v)
                queue.append(v)
    return seen


def components(units: Iterable[int], nbrs: list[list[int]]) -> list[list[int]]:
    """Connected components of the subgraph induced by ``units`` (each sorted; ordered by min)."""
    unit_set = set(units)
    seen: set[int] = set()
    out: list[list[int]] = []
    for start in sorted(unit_set):
        if start in seen:
            continue
        comp = reachable(start, unit_set, nbrs)
        seen |= comp
        out.append(sorted(comp))
    return out


def _minimal_separator(side: list[int], other: int | list[int], allowed: set[int], nbrs: list[list[int]]) -> tuple[int, ...]:
    """Neighbours of ``side`` (within ``allowed``) trimmed to those touching the far side's component."""
    side_set = set(side)
    boundary = {v for s in side for v in nbrs[s] if v in allowed and v not in side_set}
    far = [other] if isinstance(other, int) else other
    inner = allowed - boundary
    region = reachable({f for f in far if f in inner}, inner, nbrs)
    return tuple(sorted(c for c in boundary if any(v in region for v in nbrs[c])))


def separator_cuts(assignment: np.ndarray, members: dict[int, list[int]],
                   nbrs: list[list[int]]) -> list[tuple[int, int, tuple[int, ...]]]:
    """Violated separator inequalities of an assignment.

    Returns
    -------
    list of (a, j, C)
        ``x[a, j] <= sum(x[c, j] for c in C)`` is violated by the assignment; ``C`` is a minimal
        ``a``-``j`` separator in the graph of units that may join ``j``. Two separators per
        disconnected piece: one hugging the piece, one hugging the centre's component.
    """
    cuts: set[tuple[int, int, tuple[int, ...]]] = set()
    for j in sorted(set(int(c) for c in assignment)):
        unit = [int(i) for i in np.flatnonzero(assignment == j)]
        if len(unit) < 2:
            continue
        comps = components(unit, nbrs)
        if len(comps) == 1:
            continue
        allowed = set(members[j])
        centre_comp = next(c for c in comps if j in c)
        for piece in comps:
            if piece is centre_comp:
                continue
            near = _minimal_separator(piece, j, allowed, nbrs)
            far = _minimal_separator(centre_comp, piece, allowed, nbrs)
            for sep in {near, far}:
                for a in piece:
                    cuts.add((a, j, sep))
    return sorted(cuts)
