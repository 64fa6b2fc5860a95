"""A travel model built once (issue 22, build item 3).

``--travel DIR`` / ``travel:`` reuse what ``network build --out`` wrote (no build happens), the
travel-model cache serves the second run of a scenario and is rebuilt when an input changes, a
model built on another dataset is refused, and a dataset without roads of its own no longer
falls back silently to modelled straight-line times.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import atr_model.scenarios.inputs as inputs
from atr_model.data import Dataset, make_demo_dataset, write_demo_elevation, write_demo_roads
from atr_model.errors import ATRError, ScenarioError
from atr_model.network import TravelModel, build_travel_model
from atr_model.presentation.cli import app, main
from atr_model.scenarios import load_scenario, resolve_travel_model, scenario_from_dict
from atr_model.scenarios.travel import travel_cache_dir

REPO = Path(__file__).resolve().parents[1]
DEMO_SCENARIO = REPO / "scenarios" / "demo.yaml"
SHIPPED = REPO / "scenarios" / "concept-2013.yaml"


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private user cache (never the real one)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("ATR_CACHE_DIR", str(folder))
    return folder


@pytest.fixture()
def builds(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Counts the travel models actually built (the function every scenario path calls)."""
    calls: list[str] = []

    def counting(dataset: Dataset, *args: object, **kwargs: object) -> TravelModel:
        calls.append(dataset.name)
        return build_travel_model(dataset, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(inputs, "build_travel_model", counting)
    yield calls


@pytest.fixture(scope="module")
def demo() -> Dataset:
    return make_demo_dataset()


@pytest.fixture(scope="module")
def demo_inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("demo-inputs")
    # the names a run gives the generated files: the model's label names the road file
    return write_demo_roads(folder / "demo-roads.osm"), write_demo_elevation(folder / "demo-elevation.tif")


@pytest.fixture(scope="module")
def built(demo: Dataset, demo_inputs: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What ``network build --out`` writes for the demo with its roads and elevation."""
    roads, elevation = demo_inputs
    folder = tmp_path_factory.mktemp("built") / "travel"
    build_travel_model(demo, roads=roads, elevation=elevation).write(folder)
    return folder


def _run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.output


def _refused(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run the command line as the user does (``main``); its one-line error on stderr."""
    with pytest.raises(SystemExit) as stopped:
        main(args)
    assert stopped.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err
    return err


def _plan(folder: Path) -> tuple[pd.DataFrame, dict]:
    kpis = json.loads((folder / "kpis.json").read_text())
    kpis["solver"].pop("seconds", None)  # wall time of the solve: the one figure that may differ
    # the scenario hash covers the travel: key (a scenario naming a built model is another scenario)
    kpis["provenance"].pop("scenario_hash", None)
    return pd.read_csv(folder / "assignments.csv"), kpis


def test_travel_option_reuses_the_built_model_with_identical_results(
    tmp_path: Path, cache: Path, builds: list[str], built: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="atr_model.scenarios.travel"):
        code, output = _run(["run", str(DEMO_SCENARIO), "--travel", str(built), "--out", str(tmp_path / "given"),
                             "--no-report", "-q"])
    assert code == 0, output
    assert builds == []  # nothing built: the given model was read
    assert not travel_cache_dir().exists()
    assert f"travel model reused from {built}" in caplog.text

    code, output = _run(["run", str(DEMO_SCENARIO), "--out", str(tmp_path / "own"), "--no-report", "-q"])
    assert code == 0, output
    assert len(builds) == 1
    given, own = _plan(tmp_path / "given"), _plan(tmp_path / "own")
    pd.testing.assert_frame_equal(given[0], own[0])
    assert given[1] == own[1]
    assert (tmp_path / "given" / "assignments.csv").read_bytes() == (tmp_path / "own" / "assignments.csv").read_bytes()


def test_scenario_travel_key_is_relative_to_the_scenario_file(
    tmp_path: Path, cache: Path, builds: list[str], built: Path, demo: Dataset,
) -> None:
    scenario_file = tmp_path / "scen" / "s.yaml"
    scenario_file.parent.mkdir()
    scenario_file.write_text(f"name: s\ndataset: demo\ntravel: {built}\n")
    model = resolve_travel_model(load_scenario(scenario_file), demo)
    assert builds == []
    pd.testing.assert_frame_equal(model.unit_remoteness, TravelModel.read(built).unit_remoteness)
    # a relative path is taken beside the scenario file
    (tmp_path / "scen" / "tm").symlink_to(built, target_is_directory=True)
    scenario_file.write_text("name: s\ndataset: demo\ntravel: tm\n")
    assert resolve_travel_model(load_scenario(scenario_file), demo).label == model.label
    assert builds == []


def test_cache_serves_the_second_run_and_rebuilds_when_an_input_changes(
    tmp_path: Path, cache: Path, builds: list[str], demo: Dataset, demo_inputs: tuple[Path, Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    roads = tmp_path / "roads.osm"
    roads.write_bytes(demo_inputs[0].read_bytes())
    scenario = scenario_from_dict({"name": "c", "dataset": "demo", "roads": str(roads), "elevation": "demo"})
    with caplog.at_level(logging.INFO, logger="atr_model.scenarios.travel"):
        first = resolve_travel_model(scenario, demo)
        assert "travel model built and cached" in caplog.text
        caplog.clear()
        second = resolve_travel_model(scenario, demo)
        assert "travel model reused from the cache" in caplog.text
    assert len(builds) == 1
    for name in ("settlement_centre_times", "settlement_access", "unit_remoteness", "adjacency"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(second, name))
    assert len(list(travel_cache_dir().iterdir())) == 1

    # the same file name with other content is another road network: built again
    roads.write_bytes(roads.read_bytes().replace(b"</osm>", b"<!-- edited --></osm>"))
    resolve_travel_model(scenario, demo)
    assert len(builds) == 2
    # another elevation (none) is another model too
    resolve_travel_model(scenario.model_copy(update={"elevation": None}), demo)
    assert len(builds) == 3
    assert len(list(travel_cache_dir().iterdir())) == 3


def test_a_model_built_on_another_dataset_is_refused(
    tmp_path: Path, cache: Path, builds: list[str], built: Path, demo: Dataset, capsys: pytest.CaptureFixture[str],
) -> None:
    other = make_demo_dataset(seed=1)
    assert other.build_id != demo.build_id
    scenario = scenario_from_dict({"name": "m", "dataset": "demo", "travel": str(built)})
    with pytest.raises(ScenarioError) as caught:
        resolve_travel_model(scenario, other)
    message = str(caught.value)
    assert "\n" not in message
    assert demo.build_id[:12] in message and other.build_id[:12] in message
    assert builds == []

    # on the command line: one line, no result written
    gpkg = other.write(tmp_path / "other.gpkg")
    err = _refused(["run", str(DEMO_SCENARIO), "--data", str(gpkg), "--travel", str(built),
                    "--out", str(tmp_path / "out"), "--no-report", "-q"], capsys)
    assert "the travel model was built on dataset" in err and other.build_id[:12] in err
    assert not (tmp_path / "out" / "kpis.json").exists()


def test_roads_that_do_not_overlap_the_dataset_are_refused(
    tmp_path: Path, cache: Path, demo: Dataset, demo_inputs: tuple[Path, Path],
) -> None:
    text = demo_inputs[0].read_text()
    # the same roads 30 degrees further east: a road file of another territory
    shifted = re.sub(r'lon="(-?[0-9.]+)"', lambda m: f'lon="{float(m.group(1)) + 30:.7f}"', text)
    roads = tmp_path / "elsewhere.osm"
    roads.write_text(shifted)
    scenario = scenario_from_dict({"name": "o", "dataset": "demo", "roads": str(roads), "elevation": None})
    with pytest.raises(ATRError, match="do not overlap the territory"):
        resolve_travel_model(scenario, demo)
    assert not travel_cache_dir().exists() or not any(travel_cache_dir().iterdir())


def test_auto_roads_on_a_dataset_without_its_own_stops_instead_of_straight_lines(
    tmp_path: Path, cache: Path, builds: list[str], demo: Dataset, built: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    # a dataset of another country: neither the demo nor the Kyrgyz build
    other = demo.replace(metadata={**demo.metadata, "kind": "ruritania", "name": "ruritania"})
    gpkg = other.write(tmp_path / "ruritania.gpkg")
    err = _refused(["run", str(SHIPPED), "--data", str(gpkg), "--out", str(tmp_path / "out"), "--no-report", "-q"],
                   capsys)
    assert "'roads: auto'" in err and "ruritania" in err and "roads: null" in err
    assert builds == []

    # the straight-line model is there when asked for in so many words
    explicit = scenario_from_dict({"name": "x", "dataset": "demo", "roads": None, "elevation": None})
    model = resolve_travel_model(explicit, other)
    assert model.kind == "modelled"
    # and a roads key naming a built travel model points to travel:
    with pytest.raises(ScenarioError, match="name it with travel:"):
        resolve_travel_model(scenario_from_dict({"name": "y", "dataset": "demo", "roads": str(built)}), demo)


def test_sweep_and_robustness_take_the_built_model(
    tmp_path: Path, cache: Path, builds: list[str], built: Path,
) -> None:
    code, output = _run(["sweep", str(DEMO_SCENARIO), "--param", "threshold=3000", "--travel", str(built),
                         "--out", str(tmp_path / "sweep")])
    assert code == 0, output
    assert (tmp_path / "sweep" / "summary.csv").exists()
    # the demo's figures are all real: a spread on the census gives the draws something to vary
    robust = tmp_path / "robust.yaml"
    robust.write_text("name: r\ndataset: demo\nroads: auto\nelevation: auto\n"
                      "uncertainty:\n  population:\n    log_sd:\n      census: 0.05\n")
    code, output = _run(["robustness", str(robust), "--draws", "2", "--workers", "1", "--travel", str(built),
                         "--out", str(tmp_path / "robust"), "--no-report", "-q"])
    assert code == 0, output
    assert builds == []  # neither built a travel model: both read the given one
    assert not travel_cache_dir().exists()
