"""Dask plumbing shared by the sweep and the robustness runs: connect, then gather in order.

dask.distributed is an optional extra (``atr-model[dask]``), imported only here and only when a
scheduler address is given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from atr_model.errors import ScenarioError

__all__ = ["connect", "gather_in_order"]


def connect(address: str, purpose: str) -> Any:
    """A Dask client for ``address``, or one clear error naming the address.

    Parameters
    ----------
    address : str
        Scheduler address, e.g. ``tcp://127.0.0.1:8786``.
    purpose : str
        What connects (``"sweep"``, ``"robustness"``): the first word of the error message.

    Raises
    ------
    ScenarioError
        When dask.distributed is not installed or the scheduler does not answer within 5 s.
    """
    try:
        from distributed import Client
    except ImportError as exc:
        raise ScenarioError("--scheduler-address needs dask.distributed (pip install 'atr-model[dask]')") from exc
    try:
        return Client(address, timeout="5s")
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ScenarioError(f"{purpose}: cannot reach the Dask scheduler at {address!r} ({reason})") from None


def gather_in_order(
    client: Any, futures: Sequence[Any], progress: Callable[[int, int], object] | None = None,
) -> list[Any]:
    """The futures' results in submission order, reporting progress as they finish.

    On any error (or an interrupt) the outstanding futures are cancelled before it propagates.
    """
    from distributed import as_completed

    total = len(futures)
    results: list[Any] = [None] * total
    index = {f.key: k for k, f in enumerate(futures)}
    try:
        for done, future in enumerate(as_completed(futures), start=1):
            results[index[future.key]] = future.result()
            if progress:
                progress(done, total)
    except BaseException:
        client.cancel(list(futures))
        raise
    return results
