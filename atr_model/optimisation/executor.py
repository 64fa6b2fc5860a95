"""Where the groups of a decomposed solve run: any :class:`GroupExecutor` (issue 25 item 3).

:func:`.decomposition.solve_groups` hands every group to a :class:`GroupExecutor`, largest first,
and gathers the results in group order, so the combined result and its tables are the same
whichever executor ran the groups. The engine's own process pool is used when none is given; a
caller above this layer may pass another, for example the Dask cluster of
:func:`atr_model.scenarios.dask_groups` (dask.distributed is never imported here).

A ``concurrent.futures`` executor fits through :class:`FuturesGroups`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from atr_model.optimisation.instance import MergerInstance
from atr_model.optimisation.result import MergerResult
from atr_model.optimisation.settings import EngineSettings

__all__ = ["FuturesGroups", "GroupExecutor", "GroupJob", "GroupSolver"]

#: A group's sub-instance, settings and start plan (local indices; None without one).
GroupJob = tuple[MergerInstance, EngineSettings, "np.ndarray | None"]
#: The function that solves one group (module-level, so it pickles by reference).
GroupSolver = Callable[[GroupJob], MergerResult]


class GroupExecutor(Protocol):
    """Runs groups side by side.

    Attributes
    ----------
    workers : int
        How many groups it runs at once (recorded as ``threads["group_processes"]``).
    """

    workers: int

    def run(self, fn: GroupSolver, jobs: Sequence[GroupJob]) -> list[MergerResult]:
        """``[fn(job) for job in jobs]``, side by side; ``jobs`` come largest group first and are
        started in that order. On an error no job that has not started is left to run."""
        ...


@dataclass
class FuturesGroups:
    """A :class:`GroupExecutor` over a ``concurrent.futures`` executor (a process or thread pool).

    Parameters
    ----------
    executor : concurrent.futures.Executor
        Runs the groups (it starts queued jobs in submission order); the caller owns it.
    workers : int
        Its number of workers.
    """

    executor: Executor
    workers: int

    def run(self, fn: GroupSolver, jobs: Sequence[GroupJob]) -> list[MergerResult]:
        """Submit every job in order, gather the results in order."""
        futures = [self.executor.submit(fn, job) for job in jobs]
        try:
            return [future.result() for future in futures]
        except BaseException:
            for future in futures:
                future.cancel()
            raise
