"""Extras on the national Kyrgyz run: full package with report, and compare against the status quo
(skips locally without the shared open data, fails on CI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from atr_model.presentation.runs import save_result
from atr_model.scenarios import compare_results, load_result_files, load_scenario, resolve_travel_model, run_scenario

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.kgdata


@pytest.fixture(scope="module")
def kg_runs(kg_dataset, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("kg-extras")
    scenarios = {name: load_scenario(ROOT / "scenarios" / f"{name}.yaml") for name in ("status-quo", "concept-2013")}
    travel = resolve_travel_model(scenarios["concept-2013"], kg_dataset)
    return {
        name: save_result(run_scenario(s, dataset=kg_dataset, travel_model=travel), base / name)
        for name, s in scenarios.items()
    }


def test_national_package_has_report_and_exports(kg_runs: dict[str, Path]) -> None:
    folder = kg_runs["concept-2013"]
    files = load_result_files(folder)
    report = (folder / "report.html").read_text(encoding="utf-8")
    assert report.count("class='passport'") == len(files.new_units) == files.kpis["units_after"]
    assert "Demo data" not in report
    assert (folder / "tables.xlsx").stat().st_size > 10_000
    assert files.kpis["admin_savings"]["abolished_offices"] == int((files.assignments["status"] == "merged").sum())
    # every estimated population is marked in the report's member tables
    n_est = int(files.assignments["population_is_estimate"].sum())
    assert report.count("class=\"num est\"") + report.count("class='num est'") >= n_est


def test_national_compare_with_the_status_quo(kg_runs: dict[str, Path]) -> None:
    a, b = load_result_files(kg_runs["status-quo"]), load_result_files(kg_runs["concept-2013"])
    assert (a.assignments["centre_code"] == a.assignments["unit_code"]).all()
    cmp = compare_results(a, b)
    sizes = b.assignments.groupby("new_unit_id")["unit_code"].transform("size")
    assert set(cmp.changed_units["unit_code"]) == set(b.assignments.loc[sizes > 1, "unit_code"])
