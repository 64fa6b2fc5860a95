"""The lint and type gates: ruff and mypy, as configured in ``pyproject.toml``, find nothing.

``.ci/run`` runs both before the suite; these tests run them again so that the README's test
command keeps a local run honest too. Both use this interpreter's copies (``python -m``), which
the ``test`` extra installs. mypy keeps its cache in the project's ``.mypy_cache`` (gitignored):
a first run takes about a minute on two cores, a run after a small change a few seconds.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # the test extra installs tomli there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
LINTED = ["atr_model", "tests", "benchmarks", "app.py"]
#: held to mypy's strict flags: the whole package (issue 21 began with the core packages)
STRICT = {"atr_model"}
#: mypy --strict's per-module flags (``strict`` itself may only be set globally)
STRICT_FLAGS = {
    "disallow_any_generics", "disallow_subclassing_any", "disallow_untyped_calls", "disallow_untyped_defs",
    "disallow_incomplete_defs", "check_untyped_defs", "disallow_untyped_decorators", "warn_return_any",
    "no_implicit_reexport", "strict_equality", "extra_checks",
}


def _run(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, check=False)


def _config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]


def test_ruff_finds_nothing() -> None:
    done = _run("ruff", "check", "--no-cache", *LINTED, timeout=120)
    assert done.returncode == 0, f"ruff check {' '.join(LINTED)}:\n{done.stdout}{done.stderr}"


def test_mypy_finds_nothing() -> None:
    # files, cache dir, plugins and the strict packages all come from [tool.mypy]
    done = _run("mypy", timeout=900)
    assert done.returncode == 0, f"mypy:\n{done.stdout}{done.stderr}"
    assert "no issues found" in done.stdout, done.stdout


def test_the_gates_keep_their_scope() -> None:
    # the checks pass because of what they check, not because the configuration was narrowed
    tool = _config()
    assert set(tool["ruff"]["lint"]["select"]) >= {"E", "F", "W", "B", "UP", "I", "SIM"}
    assert tool["mypy"]["files"] == ["atr_model"]
    strict_modules = {
        m.removesuffix(".*")
        for override in tool["mypy"]["overrides"] if {k for k, v in override.items() if v is True} >= STRICT_FLAGS
        for m in override["module"]
    }
    assert strict_modules >= STRICT, sorted(STRICT - strict_modules)
    for override in tool["mypy"]["overrides"]:
        # only third-party libraries may skip type information, never the package itself
        if override.get("ignore_missing_imports"):
            assert not any(m.startswith("atr_model") for m in override["module"]), override["module"]
        assert not override.get("ignore_errors"), override["module"]
        # nor may a later override switch a strict flag off for part of it
        if any(m.startswith("atr_model") for m in override["module"]):
            assert not {k for k, v in override.items() if v is False} & STRICT_FLAGS, override
