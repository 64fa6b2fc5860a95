"""Stage: decomposition. Independent groups (raions under raion nesting) are solved apart, in
worker processes for large instances, and their plans combined into one result.

Groups are independent when no constraint couples them: no pair crosses a group and the count of
new units, if any, is given per group (a single total count couples them; :class:`.MergerModel`
then solves the whole instance at once).
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import time
from collections.abc import Mapping
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import numpy as np

from atr_model._lifetime import worker_pool
from atr_model.optimisation.executor import GroupExecutor, GroupJob
from atr_model.optimisation.instance import MergerInstance
from atr_model.optimisation.measures import no_plan_result, plan_result
from atr_model.optimisation.result import MergerResult
from atr_model.optimisation.search import solve_one
from atr_model.optimisation.settings import EngineSettings

__all__ = ["POOL_MIN_UNITS", "decomposes", "group_indices", "group_start", "per_group_stats", "pool_allowed", "solve_groups"]

log = logging.getLogger(__name__)

# below this many units, starting worker processes (~2 s of imports each) costs more than it saves
POOL_MIN_UNITS = 60

def decomposes(instance: MergerInstance, settings: EngineSettings) -> bool:
    """Whether ``instance`` is solved group by group (decomposition on, several groups, and no
    national unit count coupling them)."""
    return bool(settings.decompose and not isinstance(settings.n_units, int) and len(set(instance.group)) > 1)


def group_indices(instance: MergerInstance) -> list[tuple[str, np.ndarray]]:
    """Every group code (sorted) with the indices of its units."""
    return [(g, np.asarray([i for i in range(instance.n) if instance.group[i] == g], dtype=np.int64))
            for g in sorted(set(instance.group))]


def _group_settings(settings: EngineSettings, group: str) -> EngineSettings:
    n_units = settings.n_units
    if isinstance(n_units, Mapping):
        n_units = n_units.get(group)
    # groups may run side by side in worker processes: no automatic second thread
    return settings.replace(n_units=n_units, decompose=False,
                            exact_threads=settings.exact_threads or settings.threads)


def _solve_group(args: GroupJob) -> MergerResult:
    return solve_one(*args)


def pool_allowed() -> bool:
    """Whether this process may start a process pool of its own.

    A daemonic process may not have children: a Dask worker (``dask worker --nworkers N``) or a
    ``multiprocessing.Pool`` child is one.
    """
    return not multiprocessing.current_process().daemon


def group_start(start: np.ndarray | None, idx: np.ndarray) -> np.ndarray | None:
    """A whole-instance start plan cut to the group ``idx`` (sorted), in the group's own indices.

    A unit whose centre lies outside the group gets ``-1``, which the search drops as a start.
    """
    if start is None:
        return None
    local = np.searchsorted(idx, start[idx])
    inside = (local < idx.size) & (idx[np.minimum(local, idx.size - 1)] == start[idx])
    return np.where(inside, local, -1).astype(np.int64)


def _pool_map(jobs: list[GroupJob], workers: int) -> list[MergerResult] | None:
    """Solve groups in worker processes; ``None`` when the pool cannot run (then solve in-process).

    ``fork`` where available: ``spawn`` re-imports the caller's ``__main__``, which breaks scripts
    without a main guard. Every solve resets the HiGHS scheduler, so a forked child starts clean.
    """
    if not pool_allowed():
        # a daemonic process (a Dask worker, another pool's child): solve the groups one after
        # another in this process
        log.info("daemonic process: solving %d groups in-process (no process pool)", len(jobs))
        return None
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    try:
        # workers that end with this process: a killed run leaves no solve running for nobody
        with worker_pool(workers, mp_context=multiprocessing.get_context(method)) as pool:
            return list(pool.map(_solve_group, jobs))
    except (BrokenProcessPool, OSError) as exc:
        log.warning("process pool failed (%s); solving the groups in this process", exc)
        return None


def _group_entry(idx: np.ndarray, res: MergerResult) -> dict[str, Any]:
    return {"n": int(idx.size), "n_units": res.n_units, "objective": res.objective,
            "bound": res.bound, "status": res.status, "proven_optimal": res.proven_optimal,
            "seconds": round(res.seconds, 3), "cut_rounds": res.cut_rounds,
            "contiguity_method": res.contiguity_method, "time_bound": res.time_bound,
            "gap": res.gap, "first_plan_s": res.first_plan_s}


def _combine(instance: MergerInstance, settings: EngineSettings, parts: list[tuple[str, np.ndarray, MergerResult]],
             seconds: float, processes: int) -> MergerResult:
    """One result from the groups' results: plans side by side, bounds and rounds summed.

    ``processes`` is how many worker processes solved the groups (1 in-process).
    """
    assignment = np.full(instance.n, -1, dtype=np.int64)
    per_group: dict[str, dict[str, Any]] = {}
    fixed: dict[str, int] = {}
    notes: list[str] = []
    bound = 0.0
    statuses = []
    rounds = 0
    methods = set()
    start: dict[str, int] = {}
    for group, idx, res in parts:
        for k, v in res.start.items():
            start[k] = start.get(k, 0) + v
        if res.has_plan:
            assignment[idx] = idx[res.assignment]
        per_group[group] = _group_entry(idx, res)
        for k, v in res.fixed_pairs.items():
            fixed[k] = fixed.get(k, 0) + v
        notes.extend(nt for nt in res.notes if nt not in notes)
        bound += res.bound if math.isfinite(res.bound) else float("nan")
        statuses.append(res.status)
        rounds += res.cut_rounds
        methods.add(res.contiguity_method)
    method = methods.pop() if len(methods) == 1 else "mixed"
    threads = {key: max((res.threads.get(key, settings.threads) for _, _, res in parts), default=settings.threads)
               for key in ("solver", "final_solve")}
    common: dict[str, Any] = {"bound": bound, "seconds": seconds, "cut_rounds": rounds, "contiguity_method": method,
              "per_group": per_group, "fixed_pairs": fixed, "notes": notes,
              "time_bound": any(res.time_bound for _, _, res in parts),
              "threads": {**threads, "group_processes": processes}}
    if "time_limit_no_solution" in statuses:
        result = no_plan_result(instance, settings, **common)
    else:
        result = plan_result(instance, settings, assignment, proven=all(s == "optimal" for s in statuses), **common)
    result.start = start
    return result


def solve_groups(instance: MergerInstance, settings: EngineSettings, started: float,
                 start: np.ndarray | None = None, executor: GroupExecutor | None = None) -> MergerResult:
    """Solve every group apart (in a process pool when it pays, or on ``executor``) and combine
    the results.

    ``started`` is the ``time.perf_counter()`` of the whole solve, for the result's ``seconds``;
    ``start`` a whole-instance plan to start from, cut to each group; ``executor`` runs the
    groups instead of the process pool (for example a Dask cluster), whatever their size.
    """
    parts_idx = group_indices(instance)
    jobs = [(instance.subset(idx), _group_settings(settings, g), group_start(start, idx)) for g, idx in parts_idx]
    results = None
    workers = min(settings.processes, len(jobs))
    # largest groups first: a pool hands out jobs in order, and a large group started last would
    # run alone at the end (the results come back in job order, so re-order them)
    order = sorted(range(len(jobs)), key=lambda k: (-jobs[k][0].n, k))
    back = {k: pos for pos, k in enumerate(order)}
    if executor is not None:
        ran = executor.run(_solve_group, [jobs[k] for k in order])
        results, workers = [ran[back[k]] for k in range(len(jobs))], executor.workers
    elif workers > 1 and instance.n >= POOL_MIN_UNITS:
        pooled = _pool_map([jobs[k] for k in order], workers)
        if pooled is not None:
            results = [pooled[back[k]] for k in range(len(jobs))]
    if results is None:
        workers = 1
        results = [_solve_group(job) for job in jobs]
    parts = [(g, idx, r) for (g, idx), r in zip(parts_idx, results)]
    return _combine(instance, settings, parts, time.perf_counter() - started, workers)


def per_group_stats(instance: MergerInstance, result: MergerResult) -> dict[str, dict[str, Any]]:
    """Per-group figures of a result solved as one model (its status, gap, time and rounds are the
    whole's: one model has one bound)."""
    stats: dict[str, dict[str, Any]] = {}
    for g, idx in group_indices(instance):
        entry: dict[str, Any] = {"n": int(idx.size), "status": result.status, "seconds": round(result.seconds, 3),
                                 "cut_rounds": result.cut_rounds, "contiguity_method": result.contiguity_method,
                                 "time_bound": result.time_bound, "proven_optimal": result.proven_optimal,
                                 "gap": result.gap, "first_plan_s": result.first_plan_s}
        if result.has_plan:
            entry["n_units"] = int(np.unique(result.assignment[idx]).size)
            entry["objective"] = float(sum(instance.cost[i, result.assignment[i]] for i in idx))
        stats[g] = entry
    return stats
