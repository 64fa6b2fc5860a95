"""Worker processes end with the process that started them.

A process pool's workers outlive a parent killed with ``kill -9`` (nothing runs in the parent to
stop them): each keeps its memory and its solve going, for nobody. Every pool atr-model starts
passes :func:`init_worker` as its initializer:

* on Linux the kernel sends the worker SIGKILL when its parent ends
  (``prctl(PR_SET_PDEATHSIG)``, set through ``ctypes``);
* where that is not available, a daemon thread checks once a second whether the parent is still the one that
  started the worker (``os.getppid()`` changes when a parent dies) and ends the worker if not.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import BaseContext

__all__ = ["init_worker", "worker_pool"]

#: What a worker needs to know: its parent's id, the pool's own initializer and its arguments.
_Spec = tuple[int, Callable[..., object] | None, tuple[object, ...]]

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1
_POLL_S = 1.0


def _death_signal() -> bool:
    """Ask the Linux kernel to SIGKILL this process when its parent ends; False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    # Event.wait instead of sleep: the thread never holds the interpreter between checks
    pause = threading.Event()
    while not pause.wait(_POLL_S):
        if os.getppid() != parent:
            os._exit(1)  # no clean-up: the parent that would collect any result is gone


def init_worker(spec: _Spec) -> None:
    """Pool initializer: end this worker with its parent, then run the pool's own initializer.

    Parameters
    ----------
    spec : tuple
        The id of the process that created the pool, the pool's own initializer (or None) and
        its arguments (see :func:`worker_pool`).
    """
    parent, initializer, args = spec
    armed = _death_signal()
    if os.getppid() != parent:  # the parent ended before the death signal was armed
        os._exit(1)
    if not armed:
        # only where the kernel cannot do it: a second thread in a forked worker makes HiGHS's
        # resetGlobalScheduler fail ("RuntimeError: Invalid argument") on Linux
        threading.Thread(target=_watch_parent, args=(parent,), name="atr-parent-watch", daemon=True).start()
    if initializer is not None:
        initializer(*args)


def worker_pool(max_workers: int, *, mp_context: BaseContext | None = None,
                initializer: Callable[..., object] | None = None,
                initargs: tuple[object, ...] = ()) -> ProcessPoolExecutor:
    """A ``ProcessPoolExecutor`` whose workers end with this process (even when it is killed).

    Parameters
    ----------
    max_workers : int
    mp_context : multiprocessing context, optional
    initializer : callable, optional
        The pool's own initializer (module-level, so that ``spawn`` can pickle it).
    initargs : tuple
        Its arguments.

    Returns
    -------
    concurrent.futures.ProcessPoolExecutor
    """
    spec: _Spec = (os.getpid(), initializer, initargs)
    return ProcessPoolExecutor(max_workers=max_workers, mp_context=mp_context, initializer=init_worker,
                               initargs=(spec,))
