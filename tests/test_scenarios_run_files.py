"""Scenario files: loading, validation errors naming file and key, hashing, overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from atr_model.errors import ScenarioError
from atr_model.scenarios import (
    apply_overrides,
    dump_scenario,
    load_scenario,
    resolve_dataset,
    scenario_from_dict,
    scenario_hash,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["concept-2013.yaml", "demo.yaml"])
def test_shipped_scenarios_validate(name: str) -> None:
    scenario = load_scenario(ROOT / "scenarios" / name)
    assert scenario.criteria.population_floor == 5000
    assert scenario.criteria.nesting == "raion"
    assert scenario.source_path == (ROOT / "scenarios" / name).resolve()


def test_concept_scenario_uses_kyrgyz_data_and_demo_uses_demo() -> None:
    assert load_scenario(ROOT / "scenarios" / "concept-2013.yaml").dataset == "kyrgyz"
    assert load_scenario(ROOT / "scenarios" / "demo.yaml").dataset == "demo"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("name: x\ncriteria:\n  treshold: 3000\n", r"s\.yaml: unknown key 'criteria\.treshold'"),
        ("name: x\ncriteria:\n  population_floor: -5\n", r"s\.yaml: 'criteria\.population_floor': .*greater than or equal to 0"),
        ("name: x\nsolver:\n  gap_rel: 2\n", r"s\.yaml: 'solver\.gap_rel': .*less than or equal to 1"),
        ("name: x\nlevel: oblast\n", r"s\.yaml: 'level': Input should be 'aiyl_aimak' or 'raion'"),
        ("title: no name\n", r"s\.yaml: 'name': Field required"),
        ("name: x\ndataset_path: a.gpkg\n", r"unknown key 'dataset_path' \(did you mean 'dataset'\?\)"),
        ("- a\n- b\n", r"s\.yaml: expected a mapping"),
        # the fault is the bracket on line 1, column 7 (the file has no line 2)
        ("name: [unclosed\n", r"s\.yaml: line 1, column 7: not valid YAML \(the \[ opened here is never closed"),
        ("", r"s\.yaml: the file is empty"),
    ],
)
def test_bad_scenario_files_name_file_and_key(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(ScenarioError, match=match):
        load_scenario(_write(tmp_path, text))


def test_missing_scenario_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"nope\.yaml: scenario file not found"):
        load_scenario(tmp_path / "nope.yaml")


def test_missing_dataset_file_names_scenario_and_path(tmp_path: Path) -> None:
    scenario = load_scenario(_write(tmp_path, "name: x\ndataset: data/missing.gpkg\n"))
    with pytest.raises(ScenarioError, match=r"s\.yaml: 'dataset': file .*data/missing\.gpkg not found"):
        resolve_dataset(scenario)


def test_hash_is_canonical_and_sensitive(tmp_path: Path) -> None:
    a = load_scenario(_write(tmp_path, "name: x\ncriteria:\n  population_floor: 5000\n"))
    b = scenario_from_dict({"name": "x"})
    assert scenario_hash(a) == scenario_hash(b)
    c = apply_overrides(b, **{"criteria.population_floor": 4000})
    assert c.criteria.population_floor == 4000 and scenario_hash(c) != scenario_hash(b)
    again = _write(tmp_path, dump_scenario(c))
    assert scenario_hash(load_scenario(again)) == scenario_hash(c)


def test_overrides_validate_and_ignore_none() -> None:
    base = scenario_from_dict({"name": "x", "dataset": "kyrgyz"})
    assert apply_overrides(base, dataset=None).dataset == "kyrgyz"
    assert apply_overrides(base, dataset="demo").dataset == "demo"
    with pytest.raises(ScenarioError, match=r"'criteria\.max_travel_time_min'"):
        apply_overrides(base, **{"criteria.max_travel_time_min": -1})
