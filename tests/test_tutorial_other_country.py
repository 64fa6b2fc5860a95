"""``docs/tutorial-other-country.md``, run as written on the fixture country.

The fenced ``bash`` blocks are run in order, in a fresh folder holding only the fixture
(``examples/fixture-country``), with ``atr-model`` as a new process of this checkout; then the
``python`` block. The report must not speak of Kyrgyzstan (its words, its currency, its law),
and the scenario-key table must be the one the schema generates.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tutorial_support import TUTORIAL, blocks, kyrgyz_words, tutorial_env

from atr_model.scenarios.keys import scenario_keys_markdown


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
    (block,) = blocks("python")
    done = subprocess.run([sys.executable, "-c", block], check=False, cwd=tutorial_run, env=tutorial_env(), capture_output=True,
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
        assert not kyrgyz_words(text), (name, kyrgyz_words(text))


def test_scenario_keys_table_is_generated() -> None:
    text = TUTORIAL.read_text(encoding="utf-8")
    table = text.split("<!-- scenario-keys:start (generated; do not edit) -->\n", 1)[1].split("<!-- scenario-keys:end -->")[0]
    assert table == scenario_keys_markdown(), "regenerate with: python -m atr_model.scenarios.keys"
