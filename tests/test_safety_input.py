"""Issue 26, strict input (findings 6, 8 and 9): input that would silently change the criteria,
server paths and special files, loader errors that surfaced as "unexpected error", and the app
and the CLI refusing the same missing input.

Each test fails on the code before the change: duplicate keys and ``yes`` for a number ran with
a floor of 1.0, 5,000 nested ``[`` raised a RecursionError, damaged source files raised pandas'
and Python's own errors, a FIFO hung the process, a longitude of 500 was accepted, NUL bytes
and quoted line breaks went into the plan, a truncated census table built without a word, an
uploaded scenario could name any server path, and a Kyrgyz dataset without its elevation grid
ran without terrain.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from shapely.geometry import Point

from atr_model.data import make_demo_dataset, read_dataset, write_kyrgyz_build
from atr_model.data.info import dataset_info
from atr_model.data.kyrgyz import population
from atr_model.data.kyrgyz.attributes import country_layer
from atr_model.data.loaders import read_coate
from atr_model.errors import ATRError, DataError, ScenarioError
from atr_model.presentation.cli import main
from atr_model.scenarios import load_scenario, read_plan_text, scenario_from_yaml

ROOT = Path(__file__).resolve().parents[1]
DEMO_SCENARIO = ROOT / "scenarios" / "demo.yaml"
CONCEPT = ROOT / "scenarios" / "concept-2013.yaml"


# -- 6: YAML that silently changed the criteria ------------------------------------------------


def test_duplicate_yaml_key_is_refused_with_its_line() -> None:
    text = "name: dup\ndataset: demo\ncriteria:\n  population_floor: 3000\n  population_floor: 5000\n"
    with pytest.raises(ScenarioError) as caught:
        scenario_from_yaml(text, where="dup.yaml")
    message = str(caught.value)
    assert message.startswith("dup.yaml: line 5: key 'population_floor' is given twice (first on line 4)")


@pytest.mark.parametrize("word", ["yes", "true", "on"])
def test_yes_no_value_for_a_number_is_refused_with_field_and_line(word: str) -> None:
    # pydantic reads True as 1.0: `population_floor: yes` ran with a floor of one person
    shipped = DEMO_SCENARIO.read_text(encoding="utf-8")
    assert "  population_floor: 5000\n" in shipped
    text = shipped.replace("  population_floor: 5000\n", f"  population_floor: {word}\n")
    line = text.splitlines().index(f"  population_floor: {word}") + 1
    with pytest.raises(ScenarioError, match=rf"^demo\.yaml: line {line}: 'criteria\.population_floor' needs a number"):
        scenario_from_yaml(text, where="demo.yaml")
    threads = text.replace(f"  population_floor: {word}\n", "  population_floor: 5000\n").replace(
        "  name: highs\n", f"  name: highs\n  threads: {word}\n")
    with pytest.raises(ScenarioError, match=r"'solver\.threads' needs a number"):
        scenario_from_yaml(threads, where="demo.yaml")


# -- 8: deep nesting, damaged files, special files, coordinates --------------------------------


def test_five_thousand_nested_brackets_give_one_readable_error(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("name: deep\ncriteria: " + "[" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert "line 2" in message and "nested more than" in message
    assert len(message) < 300 and str(ROOT) not in message and "Recursion" not in message
    with pytest.raises(SystemExit):
        main(["run", str(path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "unexpected" not in err and err.count("\n") == 1


def _damaged(tmp_path: Path, name: str, kind: str) -> Path:
    """A copy of a real Kyrgyz source file, damaged: empty, not UTF-8, or a folder."""
    target = tmp_path / kind / name
    target.parent.mkdir(parents=True)
    if kind == "empty":
        target.write_bytes(b"")
    elif kind == "utf16":
        original = (ROOT.parent / "shared" / "kg-open-data" / "statistics" / "aimak_population_census.csv")
        target.write_bytes(original.read_text(encoding="utf-8").encode("utf-16"))
    else:
        target.mkdir()
    return target


@pytest.mark.parametrize("kind", ["empty", "utf16", "folder"])
def test_damaged_source_files_are_one_data_error_naming_the_file(kg_source: Path, tmp_path: Path, kind: str) -> None:
    census = _damaged(tmp_path, "aimak_population_census.csv", kind)
    with pytest.raises(DataError) as caught:
        population.census_figures(census)
    assert str(caught.value).startswith(f"{census}: ")
    coate = _damaged(tmp_path / "c", "coate_2021.csv", kind)
    with pytest.raises(DataError, match=rf"^{coate}: "):
        read_coate(coate)
    outline = _damaged(tmp_path / "o", "kgz_adm0.geojson", kind)
    with pytest.raises(DataError, match=rf"^{outline}: "):  # pyogrio's DataSourceError did not name it
        country_layer(outline)


def test_plan_named_as_a_folder_is_not_an_unexpected_error(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "plan.csv"
    folder.mkdir()
    with pytest.raises(SystemExit):
        main(["evaluate", str(folder), "--scenario", str(DEMO_SCENARIO)])
    assert capsys.readouterr().err == f"error: {folder}: is a folder; expected a plan CSV\n"


def test_fifo_is_refused_everywhere_without_hanging(tmp_path: Path) -> None:
    # a separate interpreter, so that a reader blocking on the FIFO fails the test by its timeout
    fifo = tmp_path / "input"
    os.mkfifo(fifo)
    script = (
        "import sys\n"
        "from atr_model.data import read_dataset\n"
        "from atr_model.scenarios import load_scenario, read_plan_csv\n"
        "from atr_model.errors import ATRError\n"
        "for read in (load_scenario, read_plan_csv, read_dataset):\n"
        "    try:\n"
        "        read(sys.argv[1])\n"
        "    except ATRError as exc:\n"
        "        print(exc)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script, str(fifo)], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    lines = done.stdout.splitlines()
    assert len(lines) == 3, done.stdout + done.stderr
    assert all(line.startswith(f"{fifo}: not a regular file (a pipe, device or socket)") for line in lines)


def test_longitude_500_is_a_coordinate_problem_naming_the_row(tmp_path: Path) -> None:
    demo = make_demo_dataset()
    settlements = demo.settlements.copy()
    row = 3
    code = settlements["settlement_code"].iloc[row]
    settlements.loc[settlements.index[row], "geometry"] = Point(500.0, 41.0)
    settlements.loc[settlements.index[row], "lon"] = 500.0
    path = tmp_path / "lon500.gpkg"
    demo.replace(settlements=settlements).write(path)
    with pytest.raises(DataError) as caught:
        read_dataset(path)
    message = str(caught.value)
    assert f"{code!r} (row {row + 1}): longitude 500 is outside -180..180" in message
    assert "elevation" not in message


def _status_quo_plan() -> str:
    units = make_demo_dataset().units["unit_code"].astype(str).tolist()
    return "unit_code,new_unit_id\n" + "".join(f"{code},{code}\n" for code in units)


def test_plan_with_a_nul_byte_is_refused_with_its_row() -> None:
    lines = _status_quo_plan().splitlines()
    lines[4] = lines[4].replace(",", "\x00,", 1)
    with pytest.raises(DataError) as caught:
        read_plan_text("\n".join(lines).encode("utf-8"), where="nul.csv")
    assert str(caught.value).startswith("nul.csv: row 5: holds a NUL byte")


def test_plan_with_a_quoted_line_break_is_refused_with_its_row() -> None:
    lines = _status_quo_plan().splitlines()
    code, new = lines[3].split(",")
    lines[3] = f'"{code}\n{code}",{new}'
    with pytest.raises(DataError) as caught:
        read_plan_text("\n".join(lines), where="newline.csv")
    assert str(caught.value).startswith("newline.csv: row 4: a quoted cell runs over several lines")


# -- 6: a truncated census table ---------------------------------------------------------------


def test_truncated_census_table_is_warned_in_the_report_and_data_info(
    kg_source: Path, kg_dataset_path: Path, tmp_path: Path
) -> None:
    full_census = kg_source / "statistics" / "aimak_population_census.csv"
    source = tmp_path / "source"
    for file in kg_source.rglob("*"):  # the real sources, linked (the elevation grid is large)
        if file.is_file():
            (source / file.relative_to(kg_source)).parent.mkdir(parents=True, exist_ok=True)
            (source / file.relative_to(kg_source)).symlink_to(file)
    census = source / "statistics" / "aimak_population_census.csv"
    census.unlink()
    rows = full_census.read_text(encoding="utf-8").splitlines()
    census.write_text("\n".join(rows[:100]) + "\n", encoding="utf-8")
    out = tmp_path / "build"
    shutil.copytree(kg_dataset_path.parent, out)  # the previous build in the same --out
    previous = dataset_info(read_dataset(kg_dataset_path))
    assert not any("previous build" in w for w in previous["build_warnings"])
    before = json.loads((out / "build_report.json").read_text(encoding="utf-8"))["census_units"]

    path, report = write_kyrgyz_build(source, out)
    covered = len(set(pd.read_csv(census, dtype={"coate_match": str})["coate_match"]))
    assert report.census_units <= covered < before
    expected = f"the census table covers {report.census_units} units; the previous build in {out} had {before}"
    assert report.warnings[0].startswith(expected)
    assert any(w.startswith("census table covers") and "units of raion" in w for w in report.warnings[1:])
    assert expected in (out / "build_report.md").read_text(encoding="utf-8")
    assert dataset_info(read_dataset(path))["build_warnings"] == report.warnings


# -- 8: server paths in an uploaded scenario ---------------------------------------------------


def test_uploaded_scenario_names_no_server_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from atr_model.presentation.app import scenario_io

    monkeypatch.setenv("ATR_CACHE_DIR", str(tmp_path / "cache"))
    kept = tmp_path / "kept.txt"
    kept.write_text("secret", encoding="utf-8")
    answers = {}
    for path in ("/etc/shadow", "/root/.ssh/id_rsa", str(kept), str(tmp_path / "absent.osm")):
        text = f"name: up\ndataset: demo\nroads: {path}\n"
        with pytest.raises(ScenarioError) as caught:
            scenario_io.parse_uploaded_scenario(text.encode(), "up.yaml")
        answers[path] = str(caught.value)
        assert path not in answers[path]
    assert len(set(answers.values())) == 1  # the same words whether the path exists or not
    with pytest.raises(ScenarioError, match="'dataset' must be one of the datasets this app lists"):
        scenario_io.parse_uploaded_scenario(f"name: up\ndataset: {kept}\n".encode(), "up.yaml")
    shipped = scenario_io.parse_uploaded_scenario(DEMO_SCENARIO.read_bytes(), "demo.yaml")
    assert shipped.dataset == "demo"


# -- 9: the app and the CLI refuse the same missing input --------------------------------------


def test_app_refuses_like_the_cli_when_the_elevation_grid_is_missing(
    kg_dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from atr_model.presentation.app import cache, datasets
    from atr_model.scenarios import resolve_travel_model

    monkeypatch.setenv("ATR_KG_DATA", str(tmp_path / "moved-away"))
    monkeypatch.setenv("ATR_APP_RESULTS", str(tmp_path / "results"))
    raion = str(kg_dataset.raions["raion_code"].iloc[0])
    part = datasets.subset_dataset(kg_dataset, [raion])  # small, so the old code's run ends fast
    monkeypatch.setattr(cache, "dataset", lambda key: part)
    scenario = load_scenario(CONCEPT)
    with pytest.raises(ATRError) as cli:
        resolve_travel_model(scenario, part)
    with pytest.raises(ATRError) as app:
        cache.run("kyrgyz", scenario)
    assert str(app.value) == str(cli.value)
    assert "'elevation': the shared elevation grid" in str(app.value) and "missing" in str(app.value)
