"""``docs/tutorial-other-country.md``, run as written on the fixture country.

The fenced ``bash`` blocks are run in order, in a fresh folder holding only the fixture
(``examples/fixture-country``), with ``atr-model`` as a new process of this checkout; then the
``python`` block. The report must not speak of Kyrgyzstan (its words, its currency, its law),
and the scenario-key table must be the one the schema generates.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from atr_model.scenarios.keys import scenario_keys_markdown

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial-other-country.md"
FIXTURE = ROOT / "examples" / "fixture-country"

#: Kyrgyz words, currency and legal text a report on another country must not print.
KYRGYZ = (r"\baiyl\b", r"okmot", r"\braions?\b", r"\boblasts?\b", r"\bsom\b", r"\bKGS\b", r"Kyrgyz",
          r"\bConcept\b", r"Jogorku", r"Kenesh", r"айыл", r"\bрайон", r"\bсом\b", r"Концепц")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", TUTORIAL.read_text(encoding="utf-8"), flags=re.M | re.S)


def _commands(block: str) -> list[list[str]]:
    """Shell lines of a block, continuation lines joined, comments and blank lines dropped."""
    joined = re.sub(r"\\\n\s*", " ", block)
    return [shlex.split(line) for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["COLUMNS"] = "200"
    return env


@pytest.fixture(scope="module")
def tutorial_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh folder with the fixture, after every command of the tutorial ran there."""
    work = tmp_path_factory.mktemp("tutorial")
    shutil.copytree(FIXTURE, work / "examples" / "fixture-country",
                    ignore=shutil.ignore_patterns("__pycache__"))
    commands = [cmd for block in _blocks("bash") for cmd in _commands(block)]
    assert [c[:2] for c in commands][:2] == [["atr-model", "data"], ["atr-model", "data"]]
    for cmd in commands:
        assert cmd[0] == "atr-model", cmd  # the tutorial's commands are atr-model's own
        done = subprocess.run([sys.executable, "-m", "atr_model", *cmd[1:]], check=False, cwd=work, env=_env(),
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, (cmd, done.stdout[-2000:], done.stderr[-2000:])
    return work


def test_tutorial_commands_run_as_written(tutorial_run: Path) -> None:
    assert (tutorial_run / "build" / "fixture" / "fixturia-fictional.gpkg").is_file()
    assert (tutorial_run / "build" / "fixture-travel" / "travel_model.json").is_file()
    kpis = json.loads((tutorial_run / "results" / "fixture-3000" / "kpis.json").read_text(encoding="utf-8"))
    assert kpis["units_before"] == 40 and kpis["units_after"] < 40 and kpis["solver"]["proven_optimal"]
    strict = json.loads((tutorial_run / "results" / "fixture-5000" / "kpis.json").read_text(encoding="utf-8"))
    assert strict["units_after"] < kpis["units_after"]  # a higher floor merges more
    assert (tutorial_run / "results" / "fixture-compare" / "comparison.html").is_file()
    assert (tutorial_run / "results" / "fixture-3000-robustness" / "report.html").is_file()


def test_tutorial_python_matches_the_cli(tutorial_run: Path) -> None:
    """The tutorial's Python block: the runner's instance and from_matrices give the CLI's optimum."""
    (block,) = _blocks("python")
    done = subprocess.run([sys.executable, "-c", block], check=False, cwd=tutorial_run, env=_env(), capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "from_matrices with the same arrays" in done.stdout


def test_app_lists_the_imported_dataset(tutorial_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tutorial's app command (``-- --data-dir build``): its dataset selector offers the imported country."""
    from atr_model.presentation.app import datasets

    monkeypatch.setattr(datasets.sys, "argv", ["app.py", "--data-dir", str(tutorial_run / "build")])
    monkeypatch.delenv(datasets.DATA_DIR_ENV, raising=False)
    labels = [choice.label for choice in datasets.dataset_choices(tutorial_run / "empty-cache")]
    assert any(label.startswith("Fixturia (fictional)") for label in labels), labels


def test_report_has_no_kyrgyz_words(tutorial_run: Path) -> None:
    for name in ("report.html", "summary.html"):
        text = (tutorial_run / "results" / "fixture-3000" / name).read_text(encoding="utf-8")
        text = re.sub(r"<[^>]+>", " ", text)
        found = sorted({w for w in KYRGYZ if re.search(w, text, flags=re.I)})
        assert not found, (name, found)


def test_scenario_keys_table_is_generated() -> None:
    text = TUTORIAL.read_text(encoding="utf-8")
    table = text.split("<!-- scenario-keys:start (generated; do not edit) -->\n", 1)[1].split("<!-- scenario-keys:end -->")[0]
    assert table == scenario_keys_markdown(), "regenerate with: python -m atr_model.scenarios.keys"
