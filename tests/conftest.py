"""Shared fixtures: where the real Kyrgyz data and Chromium live, and the CI switch for the data."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ATR_SHARED_DIR", ROOT.parent / "shared"))
KG_DATA = SHARED / "kg-open-data"
VALIDI = SHARED / "benchmarks" / "validi-counties"
ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
#: Flags for headless Chromium in containers (no sandbox, no GPU, no background traffic).
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def find_chromium() -> Path | None:
    """Debian's Chromium: ``$ATR_CHROMIUM``, else ``/usr/bin/chromium``, else ``chromium`` on PATH."""
    candidates = [os.environ.get("ATR_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def _require(path: Path) -> Path:
    if not path.exists():
        if ON_CI:
            pytest.fail(f"{path} is missing on CI")
        pytest.skip(f"{path} not present")
    return path


@pytest.fixture(scope="session")
def kg_source() -> Path:
    """The shared Kyrgyz open data (skips locally when absent, fails on CI)."""
    return _require(KG_DATA)


@pytest.fixture(scope="session")
def validi_dir() -> Path:
    """The published county benchmark instances (skips locally when absent, fails on CI)."""
    return _require(VALIDI)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """The Chromium executable for Playwright: skips locally when there is none, fails on CI.

    The same rule as the shared data: on a newcomer's machine without Chromium the README's test
    command still passes (the browser tests are reported as skipped, with the fix), while CI,
    where ``./setup.sh`` installs Debian's ``chromium``, never lets them skip.
    """
    path = find_chromium()
    if path is None:
        message = ("Chromium not found (checked $ATR_CHROMIUM, /usr/bin/chromium, PATH): run ./setup.sh "
                   "or `sudo apt-get install -y chromium`")
        if ON_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def demo_dataset():
    """The fictional demo territory (seed 0); treat as read-only (copy before changing)."""
    from atr_model.data.demo import make_demo_dataset

    return make_demo_dataset()


@pytest.fixture(scope="session")
def kg_dataset_path(kg_source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Kyrgyz dataset built once per session from the shared open data (GeoPackage path)."""
    from atr_model.data import write_kyrgyz_build

    path, _ = write_kyrgyz_build(kg_source, tmp_path_factory.mktemp("kg-build") / "kyrgyzstan")
    return path


@pytest.fixture(scope="session")
def kg_dataset(kg_dataset_path: Path):
    """The Kyrgyz :class:`~atr_model.data.Dataset` built once per session (read back from disk)."""
    from atr_model.data import read_dataset

    return read_dataset(kg_dataset_path)


@pytest.fixture(scope="session")
def tutorial_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh folder with the fixture country after every command of ``docs/tutorial-other-country.md``
    ran there (once per session: the tutorial's tests and its app test share it)."""
    from tutorial_support import run_tutorial

    return run_tutorial(tmp_path_factory.mktemp("tutorial"))
