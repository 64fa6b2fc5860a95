"""Dask plumbing shared by the sweep and the robustness runs: connect, then gather in order.

dask.distributed is an optional extra (``atr-model[dask]``), imported only here and only when a
scheduler address is given.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from atr_model.errors import ScenarioError
from atr_model.scenarios.limits import limits

__all__ = ["connect", "gather_in_order", "check_address", "probe_scheduler"]

#: Address schemes dask.distributed connects over; only ``tcp`` is probed before connecting.
SCHEMES = ("tcp", "tls", "ws", "wss", "ucx", "inproc")
#: Largest first frame a scheduler's handshake may announce: a real one is a few hundred bytes.
#: Anything bigger is another protocol's bytes read as a length (an HTTP reply gave "3.07 EiB").
_HANDSHAKE_MAX = 1 << 20


def check_address(address: str, purpose: str) -> tuple[str, str, int | None]:
    """Parse a scheduler address: ``(scheme, host, port)``, or one error naming what is wrong.

    ``host:port`` without a scheme means ``tcp://host:port``, as Dask reads it.

    Raises
    ------
    ScenarioError
        On an unknown scheme, no host, or a port that is not a number from 1 to 65535.
    """
    text = address.strip()
    parts = urlsplit(text if "://" in text else f"tcp://{text}")
    scheme = parts.scheme.lower()
    bad = f"{purpose}: --scheduler-address {address!r} is not a scheduler address (expected tcp://host:port)"
    if scheme not in SCHEMES:
        raise ScenarioError(f"{bad}: unknown scheme {scheme!r}")
    if scheme == "inproc":
        return scheme, parts.netloc, None
    try:
        port = parts.port
    except ValueError:
        raise ScenarioError(f"{bad}: the port must be a number from 1 to 65535") from None
    if not parts.hostname or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ScenarioError(bad)
    if port is not None and port < 1:
        raise ScenarioError(f"{bad}: the port must be a number from 1 to 65535")
    return scheme, parts.hostname, port


def probe_scheduler(host: str, port: int, purpose: str, address: str, timeout: float) -> None:
    """Check that ``host:port`` speaks Dask's TCP protocol before the client connects.

    A scheduler sends its handshake as soon as a connection opens: eight bytes of frame length,
    then the frames. Nothing within ``timeout`` (an HTTP server waits for a request) or a length
    no handshake has (another protocol's bytes) means another kind of server: the Dask client
    would hang on the first or try to allocate the "length" of the second.

    Raises
    ------
    ScenarioError
        One line naming the address and what answered.
    """
    where = f"{purpose}: the Dask scheduler at {address!r}"
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            head = b""
            while len(head) < 8:
                chunk = sock.recv(8 - len(head))
                if not chunk:
                    raise ScenarioError(f"{where} closed the connection without a Dask handshake")
                head += chunk
    except TimeoutError:
        raise ScenarioError(f"{where} did not answer as a Dask scheduler within {timeout:g} s "
                            "(is it another kind of server, e.g. the dashboard's HTTP port?)") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ScenarioError(f"{purpose}: cannot reach the Dask scheduler at {address!r} ({reason})") from None
    if head.startswith(b"HTTP") or not 0 < struct.unpack("<Q", head)[0] <= _HANDSHAKE_MAX:
        kind = "an HTTP server" if head.startswith(b"HTTP") else "another protocol"
        raise ScenarioError(f"{where} answered as {kind}, not as a Dask scheduler")


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
        When the address is malformed, dask.distributed is not installed, or no Dask scheduler
        answers there within the scheduler timeout of :func:`~atr_model.scenarios.limits.limits`
        (5 s by default): one line, never a hang or a giant allocation.
    """
    scheme, host, port = check_address(address, purpose)
    timeout = limits().scheduler_timeout_s
    try:
        from distributed import Client
    except ImportError as exc:
        raise ScenarioError("--scheduler-address needs dask.distributed (pip install 'atr-model[dask]')") from exc
    if scheme == "tcp":
        probe_scheduler(host, port or 8786, purpose, address, timeout)
    try:
        return Client(address, timeout=f"{timeout:g}s")
    except (OSError, TimeoutError, ValueError, TypeError, MemoryError, OverflowError) as exc:
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
