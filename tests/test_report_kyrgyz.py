"""Extras on the national Kyrgyz run: full package with report, and compare against the status quo
(skips locally without the shared open data, fails on CI)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

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
    # each unit's row in its passport marks its population and travel time as estimates exactly
    # when they are (one row per unit; cells: code, name, population, travel minutes, decision)
    rows = re.findall(r"<tr><td>([0-9]+)</td><td>[^<]*</td><td( class=\"[^\"]*\")?>[^<]*</td>"
                      r"<td( class=\"[^\"]*\")?>", report[report.index("<h2 id='passports'>"):])
    assert len(rows) == len(files.assignments)
    marked_pop = {code for code, pop, _ in rows if "est" in pop}
    marked_travel = {code for code, _, travel in rows if "est" in travel}
    a = files.assignments.set_index("unit_code")
    assert 0 < len(marked_pop) < len(a)  # the Kyrgyz build mixes measured and estimated populations
    assert marked_pop == set(a.index[a["population_is_estimate"].astype(bool)])
    assert marked_travel == set(a.index[a["travel_time_is_modelled"].astype(bool)]) == set(a.index)  # no roads
    # passports: modelled travel times and approximate territories are labelled
    passports = report.split("<section class='passport'")[1:]
    assert all("<tr><th>Area (km²)</th><td><span class='est'>" in p for p in passports)
    assert all("<tr><th>Travel time to centre, mean / worst (min)</th><td><span class='est'>" in p for p in passports)
    # the workbook flags the same figures
    wb = load_workbook(folder / "tables.xlsx", read_only=True)
    summary = {row[0]: row for row in wb["summary"].iter_rows(values_only=True)}
    assert summary["kpi: population_weighted_mean_travel_min"][2] is True
    assert "modelled travel times" in summary["kpi: population_weighted_mean_travel_min"][3]
    header = next(wb["new_units"].iter_rows(values_only=True))
    assert {"travel_time_is_modelled", "area_is_approximate"} <= set(header)


def test_national_compare_with_the_status_quo(kg_runs: dict[str, Path]) -> None:
    a, b = load_result_files(kg_runs["status-quo"]), load_result_files(kg_runs["concept-2013"])
    assert (a.assignments["centre_code"] == a.assignments["unit_code"]).all()
    cmp = compare_results(a, b)
    sizes = b.assignments.groupby("new_unit_id")["unit_code"].transform("size")
    assert set(cmp.changed_units["unit_code"]) == set(b.assignments.loc[sizes > 1, "unit_code"])
