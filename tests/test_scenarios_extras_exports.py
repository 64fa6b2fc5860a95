"""XLSX and GeoJSON exports and the atomic publish of a package with its extras."""

from __future__ import annotations

from pathlib import Path

import extras_fixtures as fx
import geopandas as gpd
import pytest
from openpyxl import load_workbook

from atr_model.scenarios import exports
from atr_model.scenarios.package_files import load_result_files


def test_xlsx_has_one_sheet_per_table_and_marks_estimates(tmp_path: Path) -> None:
    folder = fx.write_package(tmp_path / "p", fx.merged_partition())
    path = exports.write_xlsx(folder)
    wb = load_workbook(path)
    assert wb.sheetnames == ["summary", "assignments", "new_units", "settlements", "scenario", "provenance"]
    files = load_result_files(folder)
    ws = wb["assignments"]
    assert ws.max_row == len(files.assignments) + 1
    header = [c.value for c in ws[1]]
    pop_col = header.index("population") + 1
    code_col = header.index("unit_code") + 1
    shaded = {
        ws.cell(row=r, column=code_col).value
        for r in range(2, ws.max_row + 1)
        if ws.cell(row=r, column=pop_col).fill.fgColor.rgb.endswith("FFF2CC")
    }
    assert shaded == set(files.assignments.loc[files.assignments["population_is_estimate"], "unit_code"])
    assert wb["new_units"].max_row == len(files.new_units) + 1


def test_geojson_round_trips_the_passports(tmp_path: Path) -> None:
    folder = fx.write_package(tmp_path / "p", fx.merged_partition())
    path = exports.write_geojson(folder)
    back = gpd.read_file(path)
    files = load_result_files(folder)
    assert sorted(back["new_unit_id"]) == sorted(files.new_units["new_unit_id"])
    assert back.crs.to_epsg() == 4326
    merged = back.set_index("new_unit_id")["members"].to_dict()
    assert merged == files.new_units.set_index("new_unit_id")["members"].to_dict()


def _writer(partition: dict[str, str]):
    return lambda folder: fx.write_package(folder, partition)


def test_publish_writes_package_and_extras(tmp_path: Path) -> None:
    out = exports.publish_package(tmp_path / "run", _writer(fx.merged_partition()))
    assert (out / "tables.xlsx").exists() and (out / "new_units.geojson").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_interrupted_run_leaves_no_result_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(folder: Path) -> None:
        raise KeyboardInterrupt("simulated interruption while writing the workbook")

    monkeypatch.setattr(exports, "write_xlsx", broken)
    with pytest.raises(KeyboardInterrupt, match="simulated interruption while writing the workbook"):
        exports.publish_package(tmp_path / "run", _writer(fx.merged_partition()), extras=(exports.write_exports,))
    assert list(tmp_path.iterdir()) == []


def test_failed_rerun_keeps_the_previous_result(tmp_path: Path) -> None:
    out = exports.publish_package(tmp_path / "run", _writer(fx.merged_partition()))
    before = (out / "assignments.csv").read_text()

    def fail(folder: Path) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        exports.publish_package(out, _writer(fx.identity_partition()), extras=(fail,))
    assert (out / "assignments.csv").read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_add_extra_kpis_upgrades_an_older_package(tmp_path: Path) -> None:
    import json

    folder = fx.write_package(tmp_path / "p", fx.merged_partition())
    before = json.loads((folder / "kpis.json").read_text())
    assert "admin_savings" not in before
    exports.add_extra_kpis(folder)
    after = json.loads((folder / "kpis.json").read_text())
    assert after["admin_savings"]["abolished_offices"] == 6
    assert after["estimated_share"]["admin_savings"] == 1.0
    assert {k: after[k] for k in before} == {**before, "estimated_share": after["estimated_share"]}
