"""Where the groups of a decomposed solve run: any executor with ``submit`` (issue 25 item 3).

:func:`.decomposition.solve_groups` hands every group to a :class:`GroupExecutor`, largest first,
and gathers the results in group order, so the combined result and its tables are the same
whichever executor ran the groups. The engine's own process pool is used when none is given; a
caller above this layer may pass another, for example the Dask cluster of
:func:`atr_model.scenarios.dask_groups` (dask.distributed is never imported here).

A ``concurrent.futures`` executor fits through :class:`FuturesGroups`.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from atr_model.optimisation.instance import MergerInstance
from atr_model.optimisation.result import MergerResult
from atr_model.optimisation.settings import EngineSettings

__all__ = ["FuturesGroups", "GroupExecutor", "GroupFuture", "GroupJob", "GroupSolver"]

#: A group's sub-instance, settings and start plan (local indices; None without one).
GroupJob = tuple[MergerInstance, EngineSettings, "np.ndarray | None"]
#: The function that solves one group (module-level, so it pickles by reference).
GroupSolver = Callable[[GroupJob], MergerResult]


class GroupFuture(Protocol):
    """The pending result of one group (a ``concurrent.futures.Future`` or a Dask future fits)."""

    def result(self) -> MergerResult:
        """The group's result; raises what the solve raised."""
        ...

    def cancel(self) -> object:
        """Drop the group if it has not started (its result is no longer wanted)."""
        ...


class GroupExecutor(Protocol):
    """Runs groups side by side.

    Attributes
    ----------
    workers : int
        How many groups it can run at once (recorded as ``threads["group_processes"]``).
    """

    workers: int

    def submit(self, fn: GroupSolver, job: GroupJob) -> GroupFuture:
        """Start ``fn(job)``; groups are submitted largest first, so an executor that queues in
        submission order starts the largest group first."""
        ...


@dataclass
class FuturesGroups:
    """A :class:`GroupExecutor` over a ``concurrent.futures`` executor (a process or thread pool).

    Parameters
    ----------
    executor : concurrent.futures.Executor
        Runs the groups; the caller owns it (starts and shuts it down).
    workers : int
        Its number of workers.
    """

    executor: Executor
    workers: int

    def submit(self, fn: GroupSolver, job: GroupJob) -> GroupFuture:
        """``executor.submit(fn, job)``."""
        return self.executor.submit(fn, job)
