"""Nothing a user supplies runs (issue 26, findings 2 and 3).

A copy of the demo territory whose units and settlements carry hostile names (a formula, a
script tag) and a scenario whose title and description are a formula and Markdown with an
outside image and link go through the real run, the result package, the workbook, the CSVs,
every map and the app's Markdown:

- finding 2 (formula injection): ``tables.xlsx`` holds no ``<f>`` element and the names as
  text cells; every CSV the tool writes for people has them behind a single quote, numbers
  (negative ones too) untouched; the tool's own readers (``read_result``, the app's result
  loader, ``evaluate`` of a plan made from ``assignments.csv``) get every name back unchanged;
- finding 3 (script in map tooltips): the dataset, result, compare and diff maps carry the
  names only as text (no raw tag in the page), the frame's script policy blocks inline
  handlers, and in Chromium hovering and clicking the hostile unit runs no script;
- Markdown in titles: a scenario title shown in the app renders no image and no link.
"""

from __future__ import annotations

import html
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from atr_model.data.demo import make_demo_dataset
from atr_model.scenarios import (
    compare_results,
    evaluate_plan,
    load_scenario,
    read_result,
    resolve_travel_model,
    run_scenario,
    write_exports,
    write_result,
)
from atr_model.scenarios.cells import neutralise_cell, read_tool_csv, restore_cell, write_csv

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = "<img src=x onerror=alert(2)>"
FORMULA = '=HYPERLINK("http://evil.example/x","click")'
CMD = "@SUM(1+1)*cmd|' /C calc'!A0"
#: Row -> the name given to that demo unit in every language (the two formulas on units that a
#: floor of 3,000 groups differently, so Compare lists them); the first settlement gets SCRIPT.
HOSTILE = {0: SCRIPT, 3: FORMULA, 4: CMD}
TITLE = "=cmd|' /C calc'!A0"
MARKDOWN = "Plan ![x](http://evil.example/pixel.png) [see](http://evil.example/) www.evil.example **bold**"


def _hostile_dataset():
    dataset = make_demo_dataset()
    units, settlements = dataset.units.copy(), dataset.settlements.copy()
    for row, name in HOSTILE.items():
        for column in ("name_en", "name_ru", "name_ky"):
            units.loc[units.index[row], column] = name
    for column in ("name_en", "name_ru", "name_ky"):
        if column in settlements:
            settlements.loc[settlements.index[0], column] = SCRIPT
    return dataset.replace(units=units, settlements=settlements)


@pytest.fixture(scope="module")
def hostile():
    """The hostile dataset, the demo scenario with a formula title and Markdown description, and its result."""
    dataset = _hostile_dataset()
    scenario = load_scenario(ROOT / "scenarios" / "demo.yaml").model_copy(
        update={"title": TITLE, "description": MARKDOWN}
    )
    travel = resolve_travel_model(scenario, dataset)
    return dataset, scenario, travel, run_scenario(scenario, dataset=dataset, travel_model=travel)


@pytest.fixture(scope="module")
def package(hostile, tmp_path_factory) -> Path:
    """The result package of the hostile run with its exports (tables.xlsx, GeoJSON)."""
    folder = write_result(hostile[3], tmp_path_factory.mktemp("hostile") / "run")
    write_exports(folder)
    return folder


def _hostile_codes(dataset) -> dict[str, str]:
    return {str(dataset.units["unit_code"].iloc[row]): name for row, name in HOSTILE.items()}


# ---------------------------------------------------------------------------------------------
# finding 2: formula injection


def test_the_shared_rule_quotes_formula_text_and_leaves_numbers(hostile) -> None:
    for text in ("=1+1", "+1+cmd", "-2+3", "@SUM(A1)", "\tx", "\r=x", "'=x", "''", FORMULA):
        written = neutralise_cell(text)
        assert written == "'" + text and restore_cell(written) == text
    for value in ("-5", "-3.25", "+7", "1e-3", -5, -2.5, "Ak-Suu", "", "'plain", None):
        assert neutralise_cell(value) == value and restore_cell(value) == value


def test_tables_xlsx_holds_no_formula_and_the_names_as_text(package, hostile) -> None:
    from openpyxl import load_workbook

    path = package / "tables.xlsx"
    with zipfile.ZipFile(path) as book:
        sheets = [book.read(n).decode("utf-8") for n in book.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and not any(re.search(r"<f[\s>]", xml) for xml in sheets)
    cells = {}
    for ws in load_workbook(path).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cells.setdefault(cell.value, cell.data_type)
    for text in (FORMULA, CMD, TITLE):
        assert cells.get(text) == "s", text  # the text itself, stored as a text cell
    assert "'" + FORMULA not in cells  # the workbook needs no quote: the cell is text


def test_csvs_for_people_neutralise_formulas_and_the_tool_reads_them_back(package, hostile) -> None:
    dataset = hostile[0]
    raw = pd.read_csv(package / "assignments.csv", dtype=str, keep_default_na=False)
    names = dict(zip(raw["unit_code"], raw["unit_name"]))
    codes = _hostile_codes(dataset)
    for code, name in codes.items():
        expected = "'" + name if name[0] in "=@" else name
        assert names[code] == expected
    # numbers, negative ones too, are numbers in the file
    assert pd.to_numeric(raw["population"]).notna().all()
    # read_result and the app's result loader give every name back as it was
    from atr_model.presentation.app import results

    for table in (read_result(package).assignments, results.load_result(package).assignments):
        back = dict(zip(table["unit_code"].astype(str), table["unit_name"]))
        assert {c: back[c] for c in codes} == codes
    expected_names = dict(zip(dataset.units["unit_code"], dataset.units["name_en"]))
    assert {c: n for c, n in zip(raw["unit_code"], read_result(package).assignments["unit_name"])} == {
        c: expected_names[c] for c in raw["unit_code"]
    }


def test_write_csv_round_trips_every_text_cell(tmp_path: Path) -> None:
    frame = pd.DataFrame({
        "name": [FORMULA, "-x", "'=y", "plain", "-12", "\tTab"],
        "value": [-1.5, 2.0, -3.0, 4.0, 5.0, -6.0],
    })
    write_csv(frame, tmp_path / "t.csv")
    text = (tmp_path / "t.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and "\n'-x," in text and "''=y" in text and "\n-12," in text and "-1.5" in text
    back = read_tool_csv(tmp_path / "t.csv", dtype={"name": str})
    pd.testing.assert_frame_equal(back, frame)


def test_a_plan_made_from_assignments_csv_evaluates_with_its_ids(package, hostile) -> None:
    dataset, scenario, travel, result = hostile
    assignments = result.assignments.copy()
    assignments["new_unit_id"] = ["=" + str(uid) for uid in assignments["new_unit_id"]]
    write_csv(assignments[["unit_code", "new_unit_id", "centre_code"]], package.parent / "plan.csv")
    assert "'=" in (package.parent / "plan.csv").read_text(encoding="utf-8")
    evaluation = evaluate_plan(package.parent / "plan.csv", scenario, dataset=dataset, travel_model=travel)
    assert set(evaluation.plan["new_unit_id"]) == set(assignments["new_unit_id"])


def test_compare_table_csv_is_neutralised(package, hostile, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from atr_model.presentation.cli import app
    from atr_model.scenarios import apply_overrides

    dataset, scenario, travel, _result = hostile
    other = apply_overrides(scenario, **{"criteria.population_floor": 3000})
    folder_b = write_result(run_scenario(other, dataset=dataset, travel_model=travel), tmp_path / "b")
    out = tmp_path / "cmp"
    run = CliRunner().invoke(app, ["compare", str(package), str(folder_b), "--out", str(out)])
    assert run.exit_code == 0, run.output
    table = pd.read_csv(out / "changed_units.csv", dtype=str, keep_default_na=False)
    names = dict(zip(table["unit_code"], table["unit_name"]))
    codes = _hostile_codes(dataset)
    formula_units = [c for c, n in codes.items() if n[0] in "=@"]
    assert {c: names[c] for c in formula_units} == {c: "'" + codes[c] for c in formula_units}
    assert not any(str(v).startswith(("=", "@", "+")) for v in table.to_numpy().ravel())
