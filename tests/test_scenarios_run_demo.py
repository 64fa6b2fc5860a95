"""End-to-end scenario runs on the fictional demo territory (CLI and Python API)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from atr_model.criteria import Criteria, compute_exemptions
from atr_model.data.demo import DEMO_REMOTE_UNIT
from atr_model.errors import InfeasibleError, OutputError
from atr_model.optimisation import check_plan
from atr_model.presentation.cli import main
from atr_model.scenarios import (
    PACKAGE_FILES,
    STATUSES,
    engine_settings,
    load_scenario,
    read_result,
    resolve_travel_model,
    run_scenario,
    scenario_from_dict,
    scenario_hash,
    write_result,
)

ROOT = Path(__file__).resolve().parents[1]
DEMO_YAML = ROOT / "scenarios" / "demo.yaml"
FIRST_COLUMNS = ["unit_code", "unit_name", "raion_code", "new_unit_id", "centre_code", "status", "reason",
                 "population", "population_is_estimate", "exempt", "exempt_reason", "travel_time_to_centre_min",
                 "travel_time_is_modelled"]


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def demo_travel(demo_dataset):
    return resolve_travel_model(load_scenario(DEMO_YAML), demo_dataset)


@pytest.fixture(scope="module")
def demo_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "demo-result"
    try:
        main(["run", str(DEMO_YAML), "--out", str(out), "--quiet"])
    except SystemExit as exc:  # pragma: no cover - a failure shows in the assertions below
        assert not exc.code
    return out


def test_demo_exemptions_flag_border_high_mountain_and_remote(demo_dataset, demo_travel) -> None:
    table = compute_exemptions(demo_dataset, demo_travel, Criteria()).set_index("unit_code")
    rules = table["rules"].str.split(";")
    border = table[rules.apply(lambda r: "border" in r)]
    mountain = table[rules.apply(lambda r: "high_mountain" in r)]
    assert len(border) and len(mountain)
    assert border["reason"].str.contains(r"border: nearest settlement \d+\.\d km from the state border <= 5\.0 km").all()
    assert mountain["reason"].str.contains(r"high-mountain: centre at \d,\d{3} m > 2,000 m").all()
    remote = table.loc[DEMO_REMOTE_UNIT]
    assert remote["exempt"] and "remote" in remote["rules"].split(";")
    assert "travel time to the raion centre" in remote["reason"] and "min > 120 min" in remote["reason"]
    # the measured value in the text is the travel model's own figure
    minutes = float(demo_travel.unit_remoteness.set_index("unit_code").at[DEMO_REMOTE_UNIT, "raion_centre_time_min_mean"])
    assert f"{minutes:,.0f} min > 120 min" in remote["reason"]
    assert not table["exempt"].all()


def test_run_writes_the_package(demo_package: Path) -> None:
    for name in PACKAGE_FILES:
        assert (demo_package / name).is_file(), name
    assert not [p for p in demo_package.parent.iterdir() if p.name.startswith(".")]
    package = read_result(demo_package)
    a = package.assignments
    assert list(a.columns[: len(FIRST_COLUMNS)]) == FIRST_COLUMNS
    assert set(a["status"]) <= set(STATUSES) and a["reason"].str.len().gt(20).all()
    assert a["unit_code"].is_unique and len(a) == package.kpis["units_before"]
    assert a["new_unit_id"].nunique() == package.kpis["units_after"] == len(package.new_units)
    assert a["new_unit_id"].str.fullmatch(r"DEMO-\d\d-\d\d-N\d\d").all()
    # every merged unit names its centre and the measured travel time in its reason
    merged = a[a["status"] == "merged"]
    assert len(merged) and all(c in r for c, r in zip(merged["centre_code"], merged["reason"]))
    exempt = a[a["status"] == "kept_exempt"]
    assert len(exempt) and exempt["exempt"].all() and (exempt["exempt_reason"].str.len() > 0).all()
    nu = package.new_units
    assert nu.crs.to_epsg() == 4326 and nu.geometry.is_valid.all()
    assert (nu.set_index("new_unit_id")["population"].sort_index()
            == a.groupby("new_unit_id")["population"].sum().sort_index()).all()
    for col in ("members", "n_members", "area_km2", "travel_time_mean_min", "travel_time_max_min",
                "exempt_members", "below_floor", "estimated_inputs", "own_revenue_som"):
        assert col in nu.columns, col
    s = package.settlements
    assert s["new_unit_id"].notna().all() and np.isfinite(s["travel_time_to_centre_min"]).all()
    assert package.scenario.name == "demo"
    assert package.provenance["scenario_hash"] == scenario_hash(load_scenario(DEMO_YAML))
    assert package.kpis["solver"]["proven_optimal"] is True
    limit = package.scenario.criteria.max_travel_time_min
    assert 0 < package.kpis["worst_travel_min_in_merged_units"] <= limit <= 90
    merged_ids = a.loc[a["status"] == "merged", "new_unit_id"]
    assert s.loc[s["new_unit_id"].isin(merged_ids), "travel_time_to_centre_min"].max() <= limit


def test_written_plan_passes_the_independent_checker(demo_package: Path, demo_dataset, demo_travel) -> None:
    package = read_result(demo_package)
    scenario = package.scenario
    result = run_scenario(scenario, dataset=demo_dataset, travel_model=demo_travel)
    inst = result.bundle.instance
    centre_of = package.assignments.set_index("unit_code")["centre_code"]
    assignment = np.array([inst.index(centre_of[code]) for code in inst.unit_codes])
    hard = [v for v in check_plan(inst, assignment, engine_settings(scenario.criteria, scenario.solver)) if v.hard]
    assert hard == []
    # soft floor shortfalls are exactly the units reported as below the floor without partner
    below = package.new_units[package.new_units["below_floor"]]
    assert package.kpis["below_floor_after_non_exempt"] == len(below)
    no_partner = package.assignments["status"] == "below_floor_no_partner"
    assert set(package.assignments.loc[no_partner, "new_unit_id"]) <= set(below["new_unit_id"])


def test_rerun_is_identical(demo_package: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(["run", str(DEMO_YAML), "--out", str(tmp_path / "again"), "--quiet"], capsys)
    assert code == 0 and "demo: 45 ->" in out
    for name in ("assignments.csv", "settlements.csv", "explanations.csv", "scenario.yaml"):
        assert (tmp_path / "again" / name).read_bytes() == (demo_package / name).read_bytes(), name

    def strip(path: Path, *keys: str) -> dict:
        data = json.loads(path.read_text())
        data.get("solver", {}).pop("seconds", None)
        for key in keys:
            data.pop(key, None)
        return data

    assert strip(tmp_path / "again" / "kpis.json") == strip(demo_package / "kpis.json")
    assert strip(tmp_path / "again" / "provenance.json", "created_utc", "seconds") == strip(
        demo_package / "provenance.json", "created_utc", "seconds"
    )
    a, b = read_result(tmp_path / "again").new_units, read_result(demo_package).new_units
    pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")), pd.DataFrame(b.drop(columns="geometry")))
    assert a.geometry.geom_equals_exact(b.geometry, tolerance=1e-9).all()


def test_contradictory_scenario_fails_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: bad\ndataset: demo\ncriteria:\n  nesting: raion\n  locks:\n"
        "    together: [[DEMO-01-01-004, DEMO-01-02-002]]\n",
        encoding="utf-8",
    )
    code, _, err = _cli(["run", str(path), "--out", str(tmp_path / "out"), "--quiet"], capsys)
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("error: together-lock")
    assert "DEMO-01-01-004" in err and "DEMO-01-02-002" in err and "nesting 'raion'" in err
    assert not (tmp_path / "out").exists()


def test_unknown_key_in_cli_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text("name: typo\ncriteria:\n  treshold: 3000\n", encoding="utf-8")
    code, _, err = _cli(["run", str(path), "--quiet"], capsys)
    assert code == 1 and err == f"error: {path}: unknown key 'criteria.treshold'\n"


def test_interrupted_write_leaves_no_folder(demo_dataset, demo_travel, tmp_path: Path) -> None:
    result = run_scenario(load_scenario(DEMO_YAML), dataset=demo_dataset, travel_model=demo_travel)

    def broken(_result, folder: Path) -> None:
        assert (folder / "assignments.csv").exists()
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_result(result, tmp_path / "out", extra_writers=[broken])
    assert list(tmp_path.iterdir()) == []
    # an existing package is replaced only by a complete one
    write_result(result, tmp_path / "out")
    with pytest.raises(RuntimeError, match="disk full"):
        write_result(result, tmp_path / "out", extra_writers=[broken])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert read_result(tmp_path / "out").kpis == result.kpis
    # a folder that is not a result package is never replaced
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(OutputError, match=r"mine: exists and is not a result package; refusing to replace it"):
        write_result(result, tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_raion_consolidation_on_demo(demo_dataset, demo_travel) -> None:
    scenario = scenario_from_dict(
        {"name": "raions", "level": "raion", "dataset": "demo",
         "criteria": {"population_floor": 150000, "max_travel_time_min": None, "exemptions": {"border_km": None}}}
    )
    result = run_scenario(scenario, dataset=demo_dataset, travel_model=demo_travel)
    a = result.assignments
    assert list(a["unit_code"]) == sorted(demo_dataset.raions["raion_code"])
    assert result.kpis["units_after"] < result.kpis["units_before"]
    # raions merge only within their oblast
    assert (a["oblast_code"] == a["centre_code"].map(a.set_index("unit_code")["oblast_code"])).all()
    assert result.kpis["solver"]["proven_optimal"]
    assert set(result.settlements["unit_code"]) <= set(demo_dataset.units["unit_code"])


def test_keep_separate_and_apart_locks_are_honoured(demo_dataset, demo_travel) -> None:
    base = run_scenario(load_scenario(DEMO_YAML), dataset=demo_dataset, travel_model=demo_travel).assignments
    merged = base[base["status"] == "merged"].iloc[0]
    locked = scenario_from_dict({"name": "locked", "criteria": {"locks": {
        "apart": [[merged["unit_code"], merged["centre_code"]]]}}})
    a = run_scenario(locked, dataset=demo_dataset, travel_model=demo_travel).assignments.set_index("unit_code")
    assert a.at[merged["unit_code"], "new_unit_id"] != a.at[merged["centre_code"], "new_unit_id"]


def test_hard_floor_that_cannot_be_met_is_explained(demo_dataset, demo_travel) -> None:
    scenario = scenario_from_dict({"name": "hard", "criteria": {"floor_mode": "hard", "max_travel_time_min": 20}})
    with pytest.raises(InfeasibleError, match=r"DEMO-\d\d-\d\d-\d{3}"):
        run_scenario(scenario, dataset=demo_dataset, travel_model=demo_travel)
