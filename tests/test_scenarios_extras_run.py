"""Every shipped scenario runs on the demo; a saved run holds the package, exports and report;
an interrupted save leaves nothing; compare on real runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from extras_runs import SCENARIOS, run_demo
from openpyxl import load_workbook

from atr_model.errors import CriteriaError
from atr_model.presentation.runs import save_result
from atr_model.scenarios import exports
from atr_model.scenarios.compare import compare_results
from atr_model.scenarios.package_files import load_result_files

SHIPPED = sorted(p.stem for p in SCENARIOS.glob("*.yaml"))
STATUSES = {"kept", "kept_exempt", "centre", "merged", "below_floor_no_partner"}
# national counts larger than the demo's 41 aiyl aimaks: on the demo they must stop with a clear error
TOO_BIG_FOR_DEMO = {"national-231"}


def test_the_library_ships_the_documented_scenarios() -> None:
    expected = {"status-quo", "concept-2013", "strict-access", "lenient", "no-exemptions", "cross-raion",
                "raion-consolidation"}
    assert expected <= set(SHIPPED)
    for name in expected:
        text = (SCENARIOS / f"{name}.yaml").read_text(encoding="utf-8")
        assert text.startswith("#"), f"{name}.yaml needs a comment header"


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_scenario_runs_on_the_demo(name: str) -> None:
    if name in TOO_BIG_FOR_DEMO:
        with pytest.raises(CriteriaError, match=r"new aiyl-aimak units asked in total, but only \d+ aiyl aimaks"):
            run_demo(name)
        return
    result = run_demo(name)
    a = result.assignments
    assert set(a["status"]) <= STATUSES
    # a reason for every unit: no missing value (NaN would pass as the text "nan"), no blank text
    assert a["reason"].notna().all()
    assert (a["reason"].str.strip().str.len() > 0).all()
    k = result.kpis
    assert k["solver"]["status"] in ("optimal", "feasible")
    assert k["units_after"] == a["new_unit_id"].nunique() == len(result.new_units)
    if result.scenario.level == "raion":
        assert k["units_before"] == len(result.dataset.raions)
    else:
        assert k["units_before"] == len(result.dataset.units)


def test_status_quo_keeps_every_unit() -> None:
    result = run_demo("status-quo")
    a = result.assignments
    assert (a["centre_code"] == a["unit_code"]).all()
    assert result.kpis["units_after"] == result.kpis["units_before"]


@pytest.fixture(scope="module")
def saved_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("runs")
    return {name: save_result(run_demo(name), base / name) for name in ("status-quo", "cross-raion")}


def test_saved_run_has_package_exports_and_report(saved_runs: dict[str, Path]) -> None:
    folder = saved_runs["cross-raion"]
    names = {p.name for p in folder.iterdir()}
    assert {"scenario.yaml", "assignments.csv", "new_units.gpkg", "settlements.csv", "kpis.json",
            "provenance.json", "tables.xlsx", "new_units.geojson", "report.html"} <= names
    kpis = json.loads((folder / "kpis.json").read_text(encoding="utf-8"))
    a = pd.read_csv(folder / "assignments.csv", dtype=str)
    assert kpis["admin_savings"]["abolished_offices"] == int((a["status"] == "merged").sum())
    assert kpis["admin_savings"]["is_estimate"] is True
    assert kpis["new_unit_population_distribution"]["n"] == kpis["units_after"]
    wb = load_workbook(folder / "tables.xlsx", read_only=True)
    assert {"summary", "assignments", "new_units", "settlements", "explanations"} <= set(wb.sheetnames)
    report = (folder / "report.html").read_text(encoding="utf-8")
    assert report.count("class='passport'") == kpis["units_after"]
    assert "unofficial translation" in report and "5,000" in report


def test_interrupted_save_leaves_no_result_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run_demo("cross-raion")

    def broken(folder: Path) -> Path:
        raise KeyboardInterrupt("simulated interruption while writing the workbook")

    monkeypatch.setattr(exports, "write_xlsx", broken)
    target = tmp_path / "out" / "cross-raion"
    with pytest.raises(KeyboardInterrupt, match="simulated interruption while writing the workbook"):
        save_result(result, target)
    assert not target.exists()
    assert list((tmp_path / "out").iterdir()) == []


def test_compare_real_runs_finds_the_merged_units(saved_runs: dict[str, Path]) -> None:
    a, b = load_result_files(saved_runs["status-quo"]), load_result_files(saved_runs["cross-raion"])
    cmp = compare_results(a, b)
    # status quo keeps every unit alone, so exactly the units in multi-member new units differ
    sizes = b.assignments.groupby("new_unit_id")["unit_code"].transform("size")
    expected = set(b.assignments.loc[sizes > 1, "unit_code"])
    assert expected and set(cmp.changed_units["unit_code"]) == expected
    kpis = cmp.kpis.set_index("kpi")
    assert kpis.loc["units_after", "delta"] == b.kpis["units_after"] - a.kpis["units_after"]


def test_compare_real_run_with_one_unit_moved(saved_runs: dict[str, Path], tmp_path: Path) -> None:
    src = saved_runs["cross-raion"]
    edited = tmp_path / "edited"
    shutil.copytree(src, edited)
    table = pd.read_csv(edited / "assignments.csv", dtype=str, keep_default_na=False)
    merged = table[table["status"] == "merged"].iloc[0]
    old_members = set(table.loc[table["new_unit_id"] == merged["new_unit_id"], "unit_code"])
    table.loc[table["unit_code"] == merged["unit_code"], ["new_unit_id", "centre_code"]] = [
        "MOVED-1", merged["unit_code"]
    ]
    table.to_csv(edited / "assignments.csv", index=False)
    cmp = compare_results(load_result_files(src), load_result_files(edited))
    # the moved unit and every former co-member see their co-members change; nobody else does
    assert set(cmp.changed_units["unit_code"]) == old_members


def test_compare_accepts_in_memory_runs(saved_runs: dict[str, Path]) -> None:
    from_runs = compare_results(run_demo("status-quo"), run_demo("cross-raion"))
    from_folders = compare_results(saved_runs["status-quo"], saved_runs["cross-raion"])
    pd.testing.assert_frame_equal(from_runs.changed_units, from_folders.changed_units)
    assert from_runs.changed_centres.equals(from_folders.changed_centres)


def test_compare_cli_runs_scenario_files(saved_runs: dict[str, Path], tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from atr_model.presentation import cli_extras

    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        pass

    cli_extras.register(app)
    res = CliRunner().invoke(
        app,
        ["compare", str(SCENARIOS / "status-quo.yaml"), str(SCENARIOS / "cross-raion.yaml"), "--data", "demo",
         "--json"],
    )
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output)
    expected = compare_results(saved_runs["status-quo"], saved_runs["cross-raion"])
    assert [u["unit_code"] for u in payload["changed_units"]] == expected.changed_units["unit_code"].tolist()
