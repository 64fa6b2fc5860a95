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


def test_app_takes_the_travel_model_built_beside_the_dataset(tutorial_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Section 6: the fixture's scenario uploaded names the data folder's dataset and travel model
    (accepted, the travel model made the folder's own); a travel path outside the data folder is
    refused; a shipped scenario's ``roads: auto`` on Fixturia takes the travel model built on it."""
    from atr_model.data.dataset import read_dataset
    from atr_model.errors import ScenarioError
    from atr_model.presentation.app import datasets, scenario_io
    from atr_model.scenarios import load_scenario

    monkeypatch.chdir(tutorial_run)
    monkeypatch.setattr(datasets.sys, "argv", ["app.py", "--data-dir", "build"])
    monkeypatch.delenv(datasets.DATA_DIR_ENV, raising=False)
    travel = (tutorial_run / "build" / "fixture-travel").resolve()
    text = (tutorial_run / "examples" / "fixture-country" / "scenario.yaml").read_text(encoding="utf-8")
    uploaded = scenario_io.parse_uploaded_scenario(text.encode(), "scenario.yaml")
    assert uploaded.travel == str(travel)
    with pytest.raises(ScenarioError, match="'travel' must be one of"):
        scenario_io.parse_uploaded_scenario(text.replace("build/fixture-travel", "results/fixture-3000").encode(),
                                            "scenario.yaml")
    dataset = read_dataset(tutorial_run / "build" / "fixture" / "fixturia-fictional.gpkg")
    shipped = scenario_io.scenario_to_dict(load_scenario(scenario_io.scenario_dir() / "concept-2013.yaml"))
    assert shipped["roads"] == "auto" and shipped.get("travel") is None
    assert scenario_io.with_data_travel(shipped, dataset)["travel"] == str(travel)
    demo = scenario_io.scenario_to_dict(load_scenario(scenario_io.scenario_dir() / "demo.yaml"))
    assert scenario_io.with_data_travel(demo, dataset.replace(metadata={**dataset.metadata, "kind": "demo"})) == demo
    # the scenario the app offers for download names the server folder by its name only
    gpkg = str(tutorial_run / "build" / "fixture" / "fixturia-fictional.gpkg")
    assert "travel: fixture-travel\n" in scenario_io.portable_scenario_yaml(uploaded, gpkg)


def _cli(work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "atr_model", *args], check=False, cwd=work, env=tutorial_env(),
                          capture_output=True, text=True, timeout=600)


def test_command_line_output_has_no_kyrgyz_words(tutorial_run: Path) -> None:
    """What the commands print for another country: run (solved and reused), evaluate, data info."""
    plan = tutorial_run / "results" / "fixture-3000" / "assignments.csv"
    scenario = "examples/fixture-country/scenario.yaml"
    outputs = {
        "evaluate": _cli(tutorial_run, "evaluate", str(plan), "--scenario", scenario),
        "run (reused)": _cli(tutorial_run, "run", scenario, "--out", "results/fixture-3000", "-q"),
        "data info": _cli(tutorial_run, "data", "info", "build/fixture", "--no-network"),
    }
    for name, done in outputs.items():
        assert done.returncode == 0, (name, done.stdout[-2000:], done.stderr[-2000:])
        assert not kyrgyz_words(done.stdout), (name, kyrgyz_words(done.stdout), done.stdout)
    assert "up to date" in outputs["run (reused)"].stdout  # the tutorial's own run, reused as it is
    assert "commune" in outputs["evaluate"].stdout.lower()
