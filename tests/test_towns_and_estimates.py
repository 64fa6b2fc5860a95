"""Towns are listed apart from the exempt aiyl aimaks (KPIs, report, evaluate), and estimates are
labelled in the report passports and the XLSX export (travel times, areas, KPI rows)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import extras_fixtures as fx
import pandas as pd
import pytest
from extras_runs import demo_inputs, demo_scenario, run_demo
from openpyxl import load_workbook

from atr_model.presentation.report import render_report
from atr_model.presentation.runs import save_result
from atr_model.scenarios import kpi_estimate_basis, load_result_files
from atr_model.scenarios.evaluate import evaluate_plan
from atr_model.scenarios.exports import write_xlsx

NAME = "cross-raion"
ESTIMATE = "FFF2CC"


@pytest.fixture(scope="module")
def demo_run():
    return run_demo(NAME)


@pytest.fixture(scope="module")
def demo_folder(demo_run, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_result(demo_run, tmp_path_factory.mktemp("towns") / NAME)


def test_kpis_count_towns_apart_from_exempt_aiyl_aimaks(demo_run) -> None:
    a, k = demo_run.assignments, demo_run.kpis
    town = a["level"].eq("town")
    exempt = a["exempt"].astype(bool)
    assert town.any() and (exempt & town).any()  # the demo has towns, flagged exempt by the engine input
    assert k["towns"] == int(town.sum())
    assert k["exempt_units"] == int((exempt & ~town).sum())
    assert "town" not in k["exempt_by_reason"]
    # each exempt unit counted once, under its first rule: the by-reason rows add up
    assert sum(k["exempt_by_reason"].values()) == k["exempt_units"] > 0
    # towns below the floor are still not counted as non-exempt shortfalls
    floor = demo_run.bundle.criteria.population_floor
    assert k["below_floor_before_non_exempt"] == int(((a["population"] < floor) & ~exempt).sum())


def test_report_lists_towns_apart(demo_run, demo_folder: Path) -> None:
    text = (demo_folder / "report.html").read_text(encoding="utf-8")
    a = demo_run.assignments
    towns = a.loc[a["level"].eq("town"), "unit_code"].tolist()
    exempt = a.loc[a["exempt"].astype(bool) & a["level"].ne("town"), "unit_code"].tolist()
    section = text[text.index("<h2 id='exempt'>"):text.index("<h2 id='quality'>")]
    assert f"<h2 id='exempt'>Exempt aiyl aimaks ({len(exempt)})</h2>" in section
    exempt_part, town_part = section.split("<h3 id='towns'>")
    assert town_part.startswith(f"Towns ({len(towns)})</h3>")
    assert all(f"<td>{code}</td>" in town_part and f"<td>{code}</td>" not in exempt_part for code in towns)
    assert all(f"<td>{code}</td>" in exempt_part for code in exempt)
    assert "<td>town</td>" not in exempt_part  # no "town" rule among the exemptions


def _merge_into_neighbour(result, code: str) -> pd.DataFrame:
    """The optimised plan with ``code`` moved into the new unit of a bordering unit."""
    inst = result.bundle.instance
    i = inst.index(code)
    plan = result.assignments[["unit_code", "new_unit_id"]].copy()
    own = plan.set_index("unit_code").loc[code, "new_unit_id"]
    for a, b in inst.adjacency:
        other = int(b) if int(a) == i else int(a) if int(b) == i else None
        if other is None:
            continue
        target = plan.set_index("unit_code").loc[inst.unit_codes[other], "new_unit_id"]
        if target != own:
            plan.loc[plan["unit_code"] == code, "new_unit_id"] = target
            return plan
    raise AssertionError(f"{code} has no neighbour in another new unit")


def test_evaluate_names_the_exemption_rule(demo_run) -> None:
    a = demo_run.assignments
    row = a[a["exempt"].astype(bool) & a["level"].eq("aiyl_aimak") & a["exempt_rules"].eq("border")].iloc[0]
    scenario = demo_scenario(NAME)
    dataset, travel = demo_inputs(scenario)
    verdict = evaluate_plan(_merge_into_neighbour(demo_run, row.unit_code), scenario, dataset=dataset,
                            travel_model=travel)
    mine = verdict.violations[verdict.violations["message"].str.contains(row.unit_code, regex=False)
                              & verdict.violations["constraint"].eq("exempt")]
    assert len(mine) == 1, verdict.violations.to_string()
    message = mine["message"].iloc[0]
    assert "exempt from the population floor under rule border" in message
    assert "keep_separate" not in message and "but the plan" not in message
    assert "is merged into the new unit of" in message


def test_evaluate_says_a_town_keeps_its_status(demo_run) -> None:
    scenario = demo_scenario(NAME)
    criteria = scenario.criteria
    keep = scenario.model_copy(update={"criteria": criteria.model_copy(
        update={"centres": criteria.centres.model_copy(update={"towns": "keep"})})})
    a = demo_run.assignments
    town = a[a["level"].eq("town") & a["status"].eq("kept_exempt")].iloc[0]
    dataset, travel = demo_inputs(scenario)
    verdict = evaluate_plan(_merge_into_neighbour(demo_run, town.unit_code), keep, dataset=dataset, travel_model=travel)
    messages = verdict.violations.loc[verdict.violations["constraint"].eq("exempt"), "message"].tolist()
    town_message = f"{town.unit_name} ({town.unit_code}) is a town: towns keep their status"
    assert any(m.startswith(town_message) for m in messages), messages
    assert not any("keep_separate" in m for m in messages)


# --------------------------------------------------------------------------- estimates


def _modelled_package(tmp_path: Path) -> Path:
    """The fixture package with modelled travel times and one approximate territory, as a run on
    the Kyrgyz build without roads writes it."""
    folder = fx.write_package(tmp_path / "p", fx.merged_partition())
    kpis = json.loads((folder / "kpis.json").read_text(encoding="utf-8"))
    kpis["estimated_share"]["travel_times_modelled"] = 1.0
    (folder / "kpis.json").write_text(json.dumps(kpis), encoding="utf-8")
    files = load_result_files(folder)
    units = files.new_units.copy()
    units.loc[units.index[0], "estimated_inputs"] = "population (estimate); territory (approximate)"
    units.to_file(folder / "new_units.gpkg", layer="new_units", driver="GPKG", engine="pyogrio")
    return folder


def _passport_fact(text: str, unit_id: str, label: str) -> str:
    passport = text[text.index(f"id='nu-{unit_id}'"):]
    passport = passport[: passport.index("</section>")]
    return re.search(rf"<tr><th>{re.escape(label)}</th><td>(.*?)</td></tr>", passport).group(1)


def test_passports_mark_modelled_travel_and_approximate_area(tmp_path: Path) -> None:
    folder = _modelled_package(tmp_path)
    files = load_result_files(folder)
    text = render_report(folder)
    first, second = files.new_units["new_unit_id"].iloc[0], files.new_units["new_unit_id"].iloc[1]
    assert _passport_fact(text, first, "Area (km²)").startswith("<span class='est'>")
    assert "est" not in _passport_fact(text, second, "Area (km²)")
    travel = _passport_fact(text, second, "Travel time to centre, mean / worst (min)")
    assert travel.count("<span class='est'>") == 2


def test_passports_leave_road_times_unmarked(demo_folder: Path) -> None:
    files = load_result_files(demo_folder)
    assert not files.assignments["travel_time_is_modelled"].any()  # the demo has roads
    text = (demo_folder / "report.html").read_text(encoding="utf-8")
    for unit_id in files.new_units["new_unit_id"]:
        assert "est" not in _passport_fact(text, unit_id, "Travel time to centre, mean / worst (min)")


def _sheet(path: Path, name: str) -> tuple[list[str], list[list[object]], list[list[bool]]]:
    ws = load_workbook(path)[name]
    rows = list(ws.iter_rows())
    header = [c.value for c in rows[0]]
    values = [[c.value for c in r] for r in rows[1:]]
    shaded = [[str(c.fill.fgColor.rgb).endswith(ESTIMATE) for c in r] for r in rows[1:]]
    return header, values, shaded


def test_xlsx_marks_travel_times_areas_and_kpi_rows(tmp_path: Path) -> None:
    folder = _modelled_package(tmp_path)
    path = write_xlsx(folder)
    header, values, shaded = _sheet(path, "assignments")
    col = header.index("travel_time_to_centre_min")
    assert all(row[col] for row in shaded)  # every travel time is modelled
    header, values, shaded = _sheet(path, "new_units")
    for name, flag in (("travel_time_mean_min", "travel_time_is_modelled"), ("area_km2", "area_is_approximate")):
        col, flag_col = header.index(name), header.index(flag)
        assert [row[col] for row in shaded] == [bool(v[flag_col]) for v in values]
    assert [bool(v[header.index("area_is_approximate")]) for v in values] == [True] + [False] * (len(values) - 1)
    header, values, shaded = _sheet(path, "settlements")
    assert all(row[header.index("travel_time_to_centre_min")] for row in shaded)
    header, values, shaded = _sheet(path, "summary")
    by_item = {v[0]: (v, s) for v, s in zip(values, shaded)}
    travel, travel_shade = by_item["kpi: population_weighted_mean_travel_min"]
    assert travel[header.index("is_estimate")] is True and travel_shade[header.index("value")]
    assert "modelled travel times" in travel[header.index("estimate_basis")]
    units, units_shade = by_item["kpi: units_before"]
    assert units[header.index("is_estimate")] is False and not units_shade[header.index("value")]
    note = by_item["note"][0][header.index("value")]
    assert "travel_time_is_modelled" in note and "area_is_approximate" in note and "*_is_estimate" not in note


def test_kpi_estimate_basis_follows_the_shares() -> None:
    measured = {"population_weighted_mean_travel_min": 10.0, "units_before": 3,
                "estimated_share": {"population": 0.0, "travel_times_modelled": 0.0}}
    assert kpi_estimate_basis(measured) == {}
    modelled = {**measured, "estimated_share": {"population": 0.25, "travel_times_modelled": 1.0},
                "admin_savings": {"annual_saving_som": 5.0, "basis": "assumption", "is_estimate": True}}
    basis = kpi_estimate_basis(modelled)
    assert basis["population_weighted_mean_travel_min"] == (
        "modelled travel times (no road network); estimated populations (25.0% of residents)")
    assert basis["admin_savings.annual_saving_som"].startswith("assumed unit costs")
    assert "units_before" not in basis and "admin_savings.basis" not in basis
