"""What the browser tests share: Chromium's launch flags and a Streamlit server on 127.0.0.1.

Chromium itself comes from the ``chromium_path`` fixture (``tests/conftest.py``), which skips in
one line when there is none (and fails on CI).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest

#: Flags for Debian's Chromium in a closed network (STACK-NOTES §4): without the background
#: networking switches it keeps trying to reach Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
#: The st_folium component's iframe.
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve_streamlit(
    app: Path, *, cwd: Path, env: Mapping[str, str], log_path: Path,
    extra_args: Sequence[str] = (), timeout_s: float = 90.0, address: str | None = "127.0.0.1",
) -> Iterator[str]:
    """``streamlit run APP`` on a free 127.0.0.1 port; yields its URL once ``/_stcore/health`` says ok.

    ``address=None`` passes no ``--server.address``: the server binds where the configuration in
    ``cwd`` says (the README's start).

    The server is stopped on exit; a server that never becomes healthy fails the test, naming
    its log.
    """
    port = free_port()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port),
             *(["--server.address", address] if address else []), *extra_args],
            cwd=cwd, env=dict(env), stdout=log, stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                try:
                    if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                        break
                except OSError:
                    time.sleep(0.2)
            else:
                pytest.fail(f"Streamlit did not become healthy within {timeout_s:.0f} s (log: {log_path})")
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def app_env(**values: str) -> dict[str, str]:
    """This process's environment plus ``values`` (the app's cache, results folder, PYTHONPATH)."""
    return {**os.environ, **values}
