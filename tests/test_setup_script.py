"""The README's two commands, ``setup.sh`` and ``.ci/run`` stay one set-up (they cannot drift)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, flags=re.S)]


def test_readme_has_exactly_two_commands_and_the_first_is_setup() -> None:
    commands = _readme_commands()
    assert commands == ["./setup.sh && .venv/bin/streamlit run app.py", ".venv/bin/python -m pytest"]


def test_ci_runs_the_same_setup_then_the_readme_test_command() -> None:
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
          if line.strip() and not line.lstrip().startswith("#")]
    assert "./setup.sh" in ci
    assert ci[-1] == _readme_commands()[1]
    assert ci.index("./setup.sh") < ci.index(_readme_commands()[1])
    assert not any("apt-get" in line or "pip install" in line for line in ci)  # only setup.sh installs


def test_setup_script_is_valid_bash_and_installs_what_the_tests_need() -> None:
    script = ROOT / "setup.sh"
    assert script.stat().st_mode & 0o111, "setup.sh must be executable"
    subprocess.run(["bash", "-n", str(script)], check=True)
    text = script.read_text(encoding="utf-8")
    assert '-e ".[test,dask,baseline,scip]"' in text
    assert "apt-get install -y -qq chromium" in text and "playwright install" not in text.replace(
        "never `playwright install`", "")
    assert ".venv/bin/atr-model quickstart" in text


def test_setup_rejects_unknown_options() -> None:
    done = subprocess.run(["bash", str(ROOT / "setup.sh"), "--bogus"], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stderr.strip() == "setup.sh: unknown option --bogus (known: --no-quickstart)"


def test_atr_chromium_points_the_browser_tests_at_another_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import find_chromium

    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("ATR_CHROMIUM", str(fake))
    assert find_chromium() == fake
    fake.chmod(0o644)  # not executable: not a browser
    assert find_chromium() != fake
