"""Benchmark: the engine at the scale of other countries' reforms (issue 25).

A deterministic synthetic country of ``n`` units (1,000, 5,000 or 10,000; Ukraine's reform joined
about 11,000 councils, Moldova's model has 898 communes, Armenia about 900 communities):

* points uniform in a square of about 40 km² per unit; populations log-normal (median 2,700,
  sigma 0.9, so about 70 % below the 5,000 floor);
* road-like planar adjacency: the Delaunay triangulation with its long edges pruned (longer than
  ``PRUNE`` x the median edge), plus its minimum spanning tree so the country stays connected;
  every road is a winding factor 1.15-1.6 longer than the straight line, driven at 45 km/h;
* travel times are shortest paths on that road graph (``scipy.sparse.csgraph.dijkstra``, cut at
  the 90-minute travel limit), so a route may leave its district;
* districts of 20-80 units (graph-Voronoi cells of k-means seeds on the road graph, hence
  connected; too small ones merged into a neighbour, too large ones split), which nest the
  merger (units of two districts never merge), and one cross-district region (the central district
  and two neighbours) whose units may merge across district lines, as in the Kyrgyz cross-raion mode.

Every group (district or region) is solved by :class:`MergerModel` exactly as the engine's own
decomposition does (one worker process per group, largest first, one HiGHS thread each), with
the soft 5,000 floor and the 90-minute limit. Recorded: time to the first plan of the whole country
(every group has one), time to the proof (every group proven), the country's gap over time (sum of
the groups' best plans against the sum of their best bounds), the slowest groups, peak memory of
the benchmark process and of the workers, and the machine's load.

The dense ``n x n`` matrices of a whole-country :class:`MergerInstance` are never built (10,000
units would need 1.6 GB for cost and travel time); each group's instance holds only its own rows.

Usage: PYTHONPATH=. python benchmarks/bench_scale.py [--n 1000] [--seed 0] [--time-limit 600]
       [--processes 2] [--group CODE] [--gap-rel 0.01] [--scheduler-address tcp://host:port]
``--scheduler-address`` runs the groups as tasks on that Dask cluster (largest first; its workers
must import this ``atr_model``) instead of the process pool; ``processes`` then reports the
cluster's task slots and the workers' peak memory includes the Dask worker itself.
``--group CODE`` solves one group only (the regression instance: ``--n 1000 --seed 0 --group``
:data:`HARDEST` ``[1000]``). Prints figures; the last line is one JSON object.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import resource
import sys
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from atr_model.optimisation import EngineSettings, MergerInstance, MergerModel, check_plan  # noqa: E402

FLOOR = 5000.0
LIMIT_MIN = 90.0
KM2_PER_UNIT = 40.0
SPEED_KM_PER_MIN = 0.75  # 45 km/h
PRUNE = 2.0  # Delaunay edges longer than this x the median edge are not roads
DISTRICT_MIN, DISTRICT_MAX, DISTRICT_MEAN = 20, 80, 45
REGION_DISTRICTS = 3
CHECKPOINTS_S = (1, 5, 10, 30, 60, 120, 300, 600)
#: the hardest group of each measured size at seed 0, the regression instance: at n = 1,000 the
#: cross-district region R01 (178 units; proven, 24-34 CPU s with the floor cover cuts, 18-21 s from
#: the recombined first plan); the slowest district is D0012 (60 units, 8.8 -> 3.9 s). At n = 10,000
#: district D0212 (56 units, 8 cut rounds: contiguity binds; 30 s)
HARDEST: dict[int, str] = {1000: "R01", 10000: "D0212"}


@dataclass
class Country:
    """A synthetic country: units, the road graph and the groups that nest the merger."""

    xy: np.ndarray  # (n, 2) km
    population: np.ndarray  # (n,)
    edges: np.ndarray  # (m, 2) road segments
    minutes: np.ndarray  # (m,) driving time of each segment
    district: np.ndarray  # (n,) district number
    group: list[str]  # (n,) nesting group: "D###" or the cross-district region "R01"

    @property
    def n(self) -> int:
        return int(self.population.size)

    def graph(self) -> Any:
        from scipy.sparse import csr_matrix

        a, b = self.edges[:, 0], self.edges[:, 1]
        return csr_matrix((np.r_[self.minutes, self.minutes], (np.r_[a, b], np.r_[b, a])), shape=(self.n, self.n))


def _roads(xy: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Pruned Delaunay edges plus the spanning tree, and their driving minutes."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import minimum_spanning_tree
    from scipy.spatial import Delaunay

    tri = Delaunay(xy)
    s = np.sort(tri.simplices, axis=1)
    pairs = np.unique(np.r_[s[:, [0, 1]], s[:, [0, 2]], s[:, [1, 2]]], axis=0)
    length = np.hypot(*(xy[pairs[:, 0]] - xy[pairs[:, 1]]).T)
    n = xy.shape[0]
    mst = minimum_spanning_tree(csr_matrix((length, (pairs[:, 0], pairs[:, 1])), shape=(n, n))).tocoo()
    tree = {(min(a, b), max(a, b)) for a, b in zip(mst.row.tolist(), mst.col.tolist())}
    keep = [k for k, (a, b) in enumerate(pairs.tolist()) if length[k] <= PRUNE * np.median(length) or (a, b) in tree]
    edges, km = pairs[keep], length[keep] * rng.uniform(1.15, 1.6, size=len(keep))
    return edges.astype(np.int64), km / SPEED_KM_PER_MIN


def _voronoi(graph: Any, nodes: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """Graph-Voronoi label (position in ``seeds``) of every node of the subgraph on ``nodes``."""
    from scipy.sparse.csgraph import dijkstra

    sub = graph[nodes][:, nodes]
    local = np.searchsorted(nodes, seeds)
    _, _, sources = dijkstra(sub, directed=False, indices=local, min_only=True, return_predecessors=True)
    return np.searchsorted(local, sources)


def _districts(xy: np.ndarray, graph: Any, rng: np.random.Generator) -> np.ndarray:
    """Connected districts of DISTRICT_MIN..DISTRICT_MAX units (see the module docstring)."""
    from scipy.cluster.vq import kmeans2

    n = xy.shape[0]
    k = max(1, round(n / DISTRICT_MEAN))
    centroids, _ = kmeans2(xy, k, seed=int(rng.integers(1 << 31)), minit="++")
    seeds = np.unique([int(np.argmin(np.hypot(*(xy - c).T))) for c in centroids])
    label = _voronoi(graph, np.arange(n), np.sort(seeds))
    adj = graph.tocoo()
    for _ in range(10 * k):
        sizes = np.bincount(label)
        small = [d for d in np.flatnonzero(sizes) if sizes[d] < DISTRICT_MIN]
        large = [d for d in np.flatnonzero(sizes) if sizes[d] > DISTRICT_MAX]
        if small:
            d = min(small, key=lambda v: (sizes[v], v))
            touch = label[adj.col[label[adj.row] == d]]
            nbrs = sorted({int(v) for v in touch if v != d}, key=lambda v: (sizes[v], v))
            if not nbrs:
                break
            label[label == d] = nbrs[0]
        elif large:
            d = large[0]
            nodes = np.flatnonzero(label == d)
            far = np.hypot(*(xy[nodes][:, None, :] - xy[nodes][None, :, :]).transpose(2, 0, 1))
            a, b = np.unravel_index(int(np.argmax(far)), far.shape)
            part = _voronoi(graph, nodes, np.sort(nodes[[a, b]]))
            label[nodes[part == 1]] = label.max() + 1
        else:
            break
    return np.unique(label, return_inverse=True)[1].astype(np.int64)


def scale_country(n: int = 1000, seed: int = 0) -> Country:
    """The deterministic synthetic country of ``n`` units (see the module docstring)."""
    rng = np.random.default_rng(seed)
    side = math.sqrt(n * KM2_PER_UNIT)
    xy = rng.uniform(0.0, side, size=(n, 2))
    population = np.round(rng.lognormal(mean=np.log(2700.0), sigma=0.9, size=n))
    edges, minutes = _roads(xy, rng)
    country = Country(xy, population, edges, minutes, np.zeros(n, np.int64), [])
    district = _districts(xy, country.graph(), rng)
    group = [f"D{d:04d}" for d in district.tolist()]
    # the cross-district region: the district of the most central unit and its two largest neighbours
    centre = int(np.argmin(np.hypot(*(xy - side / 2).T)))
    first = int(district[centre])
    touching = district[edges[:, 1]][district[edges[:, 0]] == first].tolist() + \
        district[edges[:, 0]][district[edges[:, 1]] == first].tolist()
    sizes = np.bincount(district)
    nbrs = sorted({d for d in touching if d != first}, key=lambda d: (-sizes[d], d))[:REGION_DISTRICTS - 1]
    for i in np.flatnonzero(np.isin(district, [first, *nbrs])).tolist():
        group[i] = "R01"
    country.district, country.group = district, group
    return country


def group_instance(country: Country, code: str, graph: Any | None = None) -> MergerInstance:
    """The merger instance of one group: its units, road-graph travel times (over the whole road
    network, cut at the travel limit) and the roads between its units."""
    from scipy.sparse.csgraph import dijkstra

    graph = country.graph() if graph is None else graph
    nodes = np.flatnonzero(np.asarray(country.group) == code)
    tt = dijkstra(graph, directed=False, indices=nodes, limit=LIMIT_MIN * 1.5)[:, nodes]
    tt = np.minimum(tt, tt.T)  # undirected roads: symmetric up to rounding
    pos = {int(u): k for k, u in enumerate(nodes)}
    inside = np.isin(country.edges, nodes).all(axis=1)
    adjacency = np.asarray([(pos[int(a)], pos[int(b)]) for a, b in country.edges[inside]], dtype=np.int64)
    pop = country.population[nodes]
    with np.errstate(invalid="ignore"):
        cost = np.where(np.isfinite(tt), pop[:, None] * tt, np.inf)
    return MergerInstance(unit_codes=[f"S{int(u):05d}" for u in nodes], population=pop, cost=cost,
                          adjacency=adjacency.reshape(-1, 2), travel_time_min=tt, group=[code] * nodes.size)


def engine_settings(time_limit_s: float, gap_rel: float = 0.0) -> EngineSettings:
    """The settings every group is solved with (as the engine's decomposition sets them per group);
    ``gap_rel`` > 0 stops each group at that proven relative gap instead of at the optimum."""
    return EngineSettings(population_floor=FLOOR, max_travel_time_min=LIMIT_MIN, time_limit_s=time_limit_s,
                          gap_rel=gap_rel, decompose=False, exact_threads=1)


def _solve(job: tuple[str, MergerInstance, EngineSettings, float]) -> dict[str, Any]:
    """Worker: solve one group; its figures, trace and the worker's peak memory."""
    code, inst, settings, t_origin = job
    started = time.time() - t_origin
    cpu0 = time.process_time()
    result = MergerModel(inst, settings).solve()
    cpu = time.process_time() - cpu0
    hard = [v for v in check_plan(inst, result.assignment, settings) if v.hard] if result.has_plan else []
    # CPU seconds next to wall seconds: on a shared machine the wall time mostly measures the load
    return {"group": code, "n": inst.n, "started_s": round(started, 3), "seconds": round(result.seconds, 3),
            "cpu_s": round(cpu, 3),
            "status": result.status, "proven_optimal": bool(result.proven_optimal),
            "objective": result.objective if result.has_plan else None,
            "bound": result.bound if math.isfinite(result.bound) else None,
            "gap": result.gap if math.isfinite(result.gap) else None,
            "first_plan_s": getattr(result, "first_plan_s", None),  # None on engines before the trace
            "n_units": result.n_units, "cut_rounds": result.cut_rounds, "check_hard": len(hard),
            "trace": getattr(result, "trace", []),
            "worker_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def _at(trace: list[list[float]] | list[tuple[float, float, float]], offset: float, t: float) -> tuple[float, float]:
    """A group's best plan and bound at country time ``t`` (inf and 0 before it has them: every
    cost and penalty is non-negative, so 0 bounds a group not yet searched)."""
    obj, bound = math.inf, 0.0
    for s, o, b in trace:
        if offset + s > t:
            break
        obj, bound = o, max(bound, b if math.isfinite(b) else 0.0)
    return obj, bound


def country_curve(rows: list[dict[str, Any]], times: list[float]) -> list[dict[str, Any]]:
    """The country's plan, bound and gap at each of ``times`` (seconds from the start)."""
    out = []
    for t in times:
        objs, bounds = zip(*(_at(r["trace"], r["started_s"], t) for r in rows))
        obj, bound = sum(objs), sum(bounds)
        gap = (obj - bound) / obj if math.isfinite(obj) and obj > 0 else None
        out.append({"t_s": t, "objective": obj if math.isfinite(obj) else None, "bound": round(bound, 1),
                    "gap": None if gap is None else round(max(gap, 0.0), 6)})
    return out


def _progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@contextmanager
def _executor(processes: int, scheduler_address: str | None) -> Iterator[tuple[Any, Any, int]]:
    """``(submit(job, priority), wait_first(pending) -> (done, pending), slots)``: a process pool of
    ``processes`` workers, or the Dask cluster at ``scheduler_address`` (its worker threads)."""
    if scheduler_address is None:
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        with ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context(method)) as pool:
            yield (lambda job, _priority: pool.submit(_solve, job),
                   lambda pending: wait(pending, return_when=FIRST_COMPLETED), processes)
        return
    import distributed

    from atr_model.scenarios._dask import connect

    client = connect(scheduler_address, "bench_scale")
    try:
        client.wait_for_workers(1, timeout=60)
        slots = int(sum(client.nthreads().values()))
        # a fresh task per group; the priority keeps the largest-first order on the scheduler
        yield (lambda job, priority: client.submit(_solve, job, pure=False, priority=priority),
               lambda pending: distributed.wait(pending, return_when="FIRST_COMPLETED"), slots)
    finally:
        client.close()


def run(n: int, seed: int, time_limit_s: float, processes: int, only: str | None = None,
        scheduler_address: str | None = None, gap_rel: float = 0.0) -> dict[str, Any]:
    """Build the country, solve its groups largest first (in a process pool, or on the Dask cluster
    at ``scheduler_address``), and measure (see the module docstring)."""
    t0 = time.perf_counter()
    country = scale_country(n, seed)
    graph = country.graph()
    codes = sorted(set(country.group)) if only is None else [only]
    sizes = {c: int(np.sum(np.asarray(country.group) == c)) for c in codes}
    build_s = time.perf_counter() - t0
    _progress(f"country n={n}: {len(set(country.group))} groups, {len(country.edges)} roads, built in {build_s:.1f} s")
    settings = engine_settings(time_limit_s, gap_rel)
    origin = time.time()
    order = sorted(codes, key=lambda c: (-sizes[c], c))
    rows: list[dict[str, Any]] = []
    with _executor(processes, scheduler_address) as (submit, wait_first, slots):
        pending: set[Any] = set()
        queue = list(order)
        # at most slots + 1 groups built ahead: memory stays that of a few groups; on a cluster one
        # per slot, as the engine's Dask executor hands them out (more, and the scheduler queues a
        # second group on a busy worker while another worker takes a smaller one)
        ahead = slots if scheduler_address else slots + 1
        while queue or pending:
            while queue and len(pending) < ahead:
                code = queue.pop(0)
                # the k-th largest group gets priority -k
                priority = len(queue) - len(order) + 1
                pending.add(submit((code, group_instance(country, code, graph), settings, origin), priority))
            done, pending = wait_first(pending)
            for fut in done:
                row = fut.result()
                rows.append(row)
                if row["seconds"] > 5 or len(rows) % 25 == 0:
                    _progress(f"{len(rows)}/{len(codes)} groups; {row['group']} (n={row['n']}) "
                              f"{row['seconds']:.1f} s {row['status']}")
    processes = slots
    wall = time.time() - origin
    first = max((r["started_s"] + r["first_plan_s"] for r in rows if r["first_plan_s"] is not None), default=None)
    proven = all(r["proven_optimal"] for r in rows)
    ends = sorted({round(r["started_s"] + s, 3) for r in rows for s, _, _ in r["trace"]})
    # the country has a plan once every group has one: the curve from there on
    after = [] if first is None else [round(first + d, 3) for d in (0, *CHECKPOINTS_S) if first + d < wall]
    times = sorted({float(t) for t in CHECKPOINTS_S if t < wall} | set(after) | {round(wall, 3)})
    curve = country_curve(rows, times)
    slowest = sorted(rows, key=lambda r: -r["seconds"])[:5]
    objective = sum(r["objective"] for r in rows if r["objective"] is not None)
    bound = sum(r["bound"] or 0.0 for r in rows)
    return {
        "n": n, "seed": seed, "groups": len(codes), "group_sizes": [min(sizes.values()), max(sizes.values())],
        "roads": int(len(country.edges)), "time_limit_s_per_group": time_limit_s, "gap_rel_per_group": gap_rel,
        "processes": processes,
        "executor": "dask" if scheduler_address else "process_pool",
        "build_s": round(build_s, 2), "wall_s": round(wall, 2),
        "first_plan_s": None if first is None else round(first, 2),
        # groups queue for the workers, so the country's first plan waits for the last group to
        # start; were every group's first plan made first, it would take this long
        "first_plans_only_s": round(sum(r["first_plan_s"] or 0.0 for r in rows) / processes, 2),
        "proof_s": round(wall, 2) if proven else None, "proven_groups": sum(r["proven_optimal"] for r in rows),
        "objective": round(objective, 1), "bound": round(bound, 1),
        "gap": round((objective - bound) / objective, 6) if objective > 0 else None,
        "check_hard": sum(r["check_hard"] for r in rows), "trace_events": len(ends),
        "gap_over_time": curve,
        "cpu_s": round(sum(r["cpu_s"] for r in rows), 2),
        "slowest": [{k: r[k] for k in ("group", "n", "seconds", "cpu_s", "status", "gap", "cut_rounds", "first_plan_s")}
                    for r in slowest],
        "peak_rss_mb": {"benchmark": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                        "workers": max(r["worker_maxrss_mb"] for r in rows)},
        "load_average": [round(x, 2) for x in os.getloadavg()], "cpu_count": os.cpu_count(),
    }


def _arg(argv: list[str], name: str, default: str | None) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else default


def main(argv: list[str]) -> dict[str, Any]:
    n = int(_arg(argv, "--n", "1000") or 1000)
    seed = int(_arg(argv, "--seed", "0") or 0)
    limit = float(_arg(argv, "--time-limit", "600") or 600)
    processes = int(_arg(argv, "--processes", "2") or 2)
    load_start = [round(x, 2) for x in os.getloadavg()]
    out = {"load_average_start": load_start} | run(n, seed, limit, processes, _arg(argv, "--group", None),
                                                   _arg(argv, "--scheduler-address", None),
                                                   float(_arg(argv, "--gap-rel", "0") or 0.0))
    print(f"\n== bench_scale n={out['n']} seed={seed}: {out['groups']} groups of {out['group_sizes'][0]}-"
          f"{out['group_sizes'][1]} units, {out['processes']} processes, load {load_start} -> {out['load_average']}")
    for key in ("build_s", "first_plan_s", "first_plans_only_s", "proof_s", "wall_s", "cpu_s", "proven_groups",
                "objective", "bound", "gap",
                "check_hard", "peak_rss_mb"):
        print(f"{key:>16}: {out[key]}")
    print("   gap over time: " + ", ".join(f"{p['t_s']:g} s {p['gap']}" for p in out["gap_over_time"]))
    for r in out["slowest"]:
        print(f"         slowest: {r}")
    return out


if __name__ == "__main__":
    from atr_model.errors import ATRError

    try:
        print(json.dumps(main(sys.argv[1:])))
    except ATRError as exc:  # a bad or unreachable --scheduler-address: one line, no traceback
        sys.exit(str(exc))
