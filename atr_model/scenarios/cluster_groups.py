"""The groups of one run solved on a Dask cluster (issue 25 item 3: distribute groups).

:func:`dask_groups` connects to a scheduler (one clear error for a bad or unreachable address,
see :mod:`._dask`) and yields a :class:`~atr_model.optimisation.GroupExecutor` for
:meth:`MergerModel.solve(executor=...) <atr_model.optimisation.MergerModel.solve>`: every group
(district, raion, cross-raion region) becomes one task, largest first, and the results come back
into the same tables as with the engine's process pool. The scheduler and workers must import the
same ``atr_model``.

A worker that dies while solving a group is replaced by the cluster and the group re-run (Dask
retries a task whose worker died, up to ``distributed.scheduler.allowed-failures`` times); when
that limit is spent, or the scheduler goes away, the run stops with one :class:`ScenarioError`
naming the group and the address, and the groups not yet started are cancelled.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import CancelledError
from contextlib import contextmanager
from typing import Any

from atr_model.errors import ATRError, ScenarioError
from atr_model.optimisation import GroupExecutor, GroupJob, GroupSolver, MergerResult
from atr_model.scenarios._dask import connect
from atr_model.scenarios.limits import limits

__all__ = ["DaskGroups", "dask_groups"]

log = logging.getLogger(__name__)


def _group_code(job: GroupJob) -> str:
    """The group a job solves (every unit of a sub-instance has the same group code)."""
    groups = job[0].group
    return str(groups[0]) if len(groups) else "?"


def _first_sentence(exc: BaseException) -> str:
    """Dask's message up to its first full stop (the rest is advice and a link)."""
    return _first_line(exc).split(". ")[0].rstrip(".")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class DaskGroups:
    """A :class:`~atr_model.optimisation.GroupExecutor` on a connected Dask client.

    Parameters
    ----------
    client : distributed.Client
        Connected; the caller closes it.
    address : str
        The scheduler address, for messages.
    purpose : str
        What runs (``"run"``): the first word of every message.
    workers : int
        Task slots on the cluster (threads over all workers) when it was joined.
    """

    def __init__(self, client: Any, address: str, purpose: str, workers: int) -> None:
        self.client = client
        self.workers = workers
        self.where = f"{purpose}: the Dask cluster at {address!r}"

    def run(self, fn: GroupSolver, jobs: Sequence[GroupJob]) -> list[MergerResult]:
        """One task per group, at most one per task slot at a time, in the order given.

        Handing the groups out one per free slot (as a process pool does) keeps the largest
        first: submitted all at once, the scheduler would queue a second group on a busy worker
        (it fills each worker slightly beyond its threads) while another worker takes a smaller one.
        """
        from distributed import as_completed

        results: list[MergerResult | None] = [None] * len(jobs)
        queue = list(enumerate(jobs))
        started: dict[str, tuple[int, str]] = {}
        futures: list[Any] = []
        running = as_completed()

        def start() -> None:
            k, job = queue.pop(0)
            group = _group_code(job)
            # the group in the task's name (the dashboard and the task stream show it); a fresh
            # key, so two groups with equal data are still two tasks
            future = self.client.submit(fn, job, key=f"atr-group-{group}-{uuid.uuid4().hex}", priority=-k)
            started[future.key] = (k, group)
            futures.append(future)
            running.add(future)

        try:
            for _ in range(min(self.workers, len(queue))):
                start()
            for future in running:
                k, group = started[future.key]
                results[k] = self._result(future, group)
                if queue:
                    start()
        except BaseException:
            self.client.cancel(futures)
            raise
        return [r for r in results if r is not None]

    def _result(self, future: Any, group: str) -> MergerResult:
        """A group's result, or one :class:`ScenarioError` when the cluster lost it."""
        from distributed import KilledWorker

        try:
            result: MergerResult = future.result()
        except ATRError:
            raise  # the engine's own error, raised in the worker: as it is
        except KilledWorker as exc:
            raise ScenarioError(f"{self.where}: the worker solving group {group} died, and so did every "
                                f"worker that retried it ({_first_sentence(exc)}; see the workers' logs)") from None
        except CancelledError:
            raise ScenarioError(f"{self.where}: group {group} was cancelled (the scheduler went away "
                                "or the client lost it)") from None
        except (OSError, TimeoutError) as exc:  # CommClosedError is an OSError
            raise ScenarioError(f"{self.where}: lost the connection while solving group {group} "
                                f"({_first_line(exc)})") from None
        except ImportError as exc:
            raise ScenarioError(f"{self.where}: a worker cannot import the engine to solve group {group} "
                                f"({_first_line(exc)}); the workers need the same atr_model") from None
        return result


@contextmanager
def dask_groups(address: str, purpose: str = "run") -> Iterator[GroupExecutor]:
    """Connect to the scheduler at ``address`` and yield the executor of a run's groups.

    Parameters
    ----------
    address : str
        ``tcp://host:port`` of a dask.distributed scheduler (needs ``atr-model[dask]``).
    purpose : str, default "run"
        The first word of the error messages.

    Raises
    ------
    ScenarioError
        On a bad or unreachable address, a missing dask extra, or a cluster without a worker
        within the scheduler timeout of :func:`~atr_model.scenarios.limits.limits`.
    """
    client = connect(address, purpose)
    try:
        timeout = limits().scheduler_timeout_s
        try:
            client.wait_for_workers(1, timeout=timeout)
        except (TimeoutError, OSError):
            raise ScenarioError(f"{purpose}: the Dask scheduler at {address!r} has no worker "
                                f"(none joined within {timeout:g} s)") from None
        slots = int(sum(client.nthreads().values()))
        log.info("%s: solving the groups on the Dask cluster at %s (%d task slots)", purpose, address, slots)
        yield DaskGroups(client, address, purpose, max(slots, 1))
    finally:
        client.close()
