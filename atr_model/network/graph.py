"""Sparse travel graphs and bulk shortest paths (scipy.sparse.csgraph)."""

from __future__ import annotations

import logging

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

__all__ = ["routable_graph", "times_to_targets", "needed_times", "nearest_source_times", "component_labels"]

logger = logging.getLogger(__name__)

#: csgraph treats a stored zero as "no edge" in some code paths; travel never takes no time.
_MIN_ARC_MIN = 1e-6


def routable_graph(n_nodes: int, u: np.ndarray, v: np.ndarray, time_min: np.ndarray) -> csr_matrix:
    """Directed sparse graph of travel times; parallel arcs keep the fastest.

    Parameters
    ----------
    n_nodes : int
        Number of nodes.
    u, v : numpy.ndarray of int
        Arc tails and heads.
    time_min : numpy.ndarray of float
        Arc travel times in minutes (non-negative).

    Returns
    -------
    scipy.sparse.csr_matrix
        ``graph[u, v]`` is the fastest arc time.
    """
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    w = np.maximum(np.asarray(time_min, dtype=float), _MIN_ARC_MIN)
    order = np.lexsort((w, v, u))
    u, v, w = u[order], v[order], w[order]
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    u, v, w = u[first], v[first], w[first]
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.add.at(indptr, u + 1, 1)
    return csr_matrix((w, v, np.cumsum(indptr)), shape=(n_nodes, n_nodes))


def _reverse(graph: csr_matrix) -> csr_matrix:
    return graph.T.tocsr()


def times_to_targets(
    graph: csr_matrix,
    origins: np.ndarray,
    targets: np.ndarray,
    *,
    limit_min: float = np.inf,
    memory_budget_mb: float = 256.0,
) -> np.ndarray:
    """Travel time from every origin to every target (minutes, ``inf`` if unreachable).

    Runs one multi-source Dijkstra per block of targets on the reversed graph when there
    are fewer targets than origins, else from the origins; blocks keep the dense result
    under ``memory_budget_mb``.

    Parameters
    ----------
    graph : scipy.sparse.csr_matrix
        Directed travel-time graph.
    origins, targets : numpy.ndarray of int
        Node indices.
    limit_min : float
        Search radius; longer times come back as ``inf``.
    memory_budget_mb : float
        Budget of one block of the full Dijkstra result.

    Returns
    -------
    numpy.ndarray, shape (len(origins), len(targets))
    """
    origins = np.asarray(origins, dtype=np.int64)
    targets = np.asarray(targets, dtype=np.int64)
    out = np.full((len(origins), len(targets)), np.inf)
    if not len(origins) or not len(targets):
        return out
    from_targets = len(targets) < len(origins)
    sources, sinks = (targets, origins) if from_targets else (origins, targets)
    g = _reverse(graph) if from_targets else graph
    uniq, inverse = np.unique(sources, return_inverse=True)
    block = max(1, int(memory_budget_mb * 1e6 // (8 * max(graph.shape[0], 1))))
    for start in range(0, len(uniq), block):
        chunk = uniq[start : start + block]
        dist = dijkstra(g, directed=True, indices=chunk, limit=limit_min)
        sub = dist[:, sinks]
        rows = np.flatnonzero((inverse >= start) & (inverse < start + len(chunk)))
        if from_targets:
            out[:, rows] = sub[inverse[rows] - start].T
        else:
            out[rows] = sub[inverse[rows] - start]
    return out


def needed_times(
    graph: csr_matrix,
    origins: np.ndarray,
    targets: np.ndarray,
    needed: np.ndarray,
    *,
    limit_min: float = np.inf,
    first_limit_min: float = 240.0,
    memory_budget_mb: float = 256.0,
) -> np.ndarray:
    """Like :func:`times_to_targets`, but only the ``needed`` pairs are guaranteed.

    Candidate centres are local (a raion and its neighbours), so one search per target with
    a short radius ``first_limit_min`` settles most needed pairs; the targets with a needed
    pair still unreached are searched again with the radius doubled, up to ``limit_min``. Pairs that
    are not needed may come back ``inf`` although a route exists.

    Parameters
    ----------
    graph, origins, targets
        The directed travel-time graph and node indices, as for :func:`times_to_targets`.
    needed : numpy.ndarray of bool, shape (len(origins), len(targets))
        Pairs that must be exact (up to ``limit_min``).
    limit_min, first_limit_min : float
        Final and first search radius in minutes.
    memory_budget_mb : float
        Budget of one block of the full Dijkstra result.

    Returns
    -------
    numpy.ndarray, shape (len(origins), len(targets))
    """
    radius = min(first_limit_min, limit_min)
    out = times_to_targets(graph, origins, targets, limit_min=radius, memory_budget_mb=memory_budget_mb)
    while radius < limit_min:
        again = np.flatnonzero((np.isinf(out) & needed).any(axis=0))
        if not len(again):
            break
        radius = min(radius * 2, limit_min)
        logger.debug("searching up to %.0f min again for %d of %d targets", radius, len(again), len(targets))
        out[:, again] = times_to_targets(
            graph, origins, targets[again], limit_min=radius, memory_budget_mb=memory_budget_mb
        )
    return out


def nearest_source_times(
    graph: csr_matrix, sources: np.ndarray, origins: np.ndarray, *, limit_min: float = np.inf
) -> tuple[np.ndarray, np.ndarray]:
    """Time from each origin to its nearest source, and which source (index into ``sources``).

    One multi-source Dijkstra (``min_only``) on the reversed graph. Unreachable origins get
    ``inf`` and index -1.
    """
    sources = np.asarray(sources, dtype=np.int64)
    origins = np.asarray(origins, dtype=np.int64)
    if not len(sources):
        return np.full(len(origins), np.inf), np.full(len(origins), -1)
    dist, _, found = dijkstra(
        _reverse(graph), directed=True, indices=sources, limit=limit_min, min_only=True,
        return_predecessors=True,
    )
    lookup = {int(node): i for i, node in reversed(list(enumerate(sources)))}
    which = np.array([lookup.get(int(s), -1) if s >= 0 else -1 for s in found[origins]], dtype=np.int64)
    return dist[origins], which


def component_labels(graph: csr_matrix) -> np.ndarray:
    """Weakly connected component label of every node."""
    labels: np.ndarray
    _, labels = connected_components(graph, directed=True, connection="weak")
    return labels
