"""``docs/tutorial-other-country.md`` run as written: its blocks, its commands and the folder they
leave (the ``tutorial_run`` fixture of ``tests/conftest.py``, shared by the tutorial's tests and
its app test so the tutorial's work is done once per session)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial-other-country.md"
FIXTURE = ROOT / "examples" / "fixture-country"

#: Kyrgyz words, currency and legal text a report on another country must not print.
KYRGYZ = (r"\baiyl\b", r"aimak", r"okmot", r"\braions?\b", r"\boblasts?\b", r"\bsom\b", r"\bKGS\b", r"Kyrgyz",
          r"\bConcept\b", r"Jogorku", r"Kenesh", r"айыл", r"\bрайон", r"\bсом\b", r"Концепц")


def blocks(language: str) -> list[str]:
    """The tutorial's fenced blocks of ``language``, in order."""
    return re.findall(rf"^```{language}\n(.*?)^```", TUTORIAL.read_text(encoding="utf-8"), flags=re.M | re.S)


def commands(block: str) -> list[list[str]]:
    """Shell lines of a block, continuation lines joined, comments and blank lines dropped."""
    joined = re.sub(r"\\\n\s*", " ", block)
    return [shlex.split(line) for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def tutorial_env() -> dict[str, str]:
    """This process's environment with this checkout first on ``PYTHONPATH``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["COLUMNS"] = "200"
    return env


def kyrgyz_words(text: str) -> list[str]:
    """The patterns of :data:`KYRGYZ` found in ``text`` (tags of HTML dropped first)."""
    plain = re.sub(r"<[^>]+>", " ", text)
    return sorted({w for w in KYRGYZ if re.search(w, plain, flags=re.I)})


def run_tutorial(work: Path) -> Path:
    """Copy the fixture into the fresh folder ``work`` and run every ``bash`` command of the
    tutorial there, as a new process of this checkout; an error names the command and its output."""
    shutil.copytree(FIXTURE, work / "examples" / "fixture-country", ignore=shutil.ignore_patterns("__pycache__"))
    cmds = [cmd for block in blocks("bash") for cmd in commands(block)]
    assert [c[:2] for c in cmds][:2] == [["atr-model", "data"], ["atr-model", "data"]]
    for cmd in cmds:
        assert cmd[0] == "atr-model", cmd  # the tutorial's commands are atr-model's own
        done = subprocess.run([sys.executable, "-m", "atr_model", *cmd[1:]], check=False, cwd=work,
                              env=tutorial_env(), capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, (cmd, done.stdout[-2000:], done.stderr[-2000:])
    return work
