"""Widget logic of the app and what it sends to the map, with Streamlit's AppTest (no browser).

AppTest runs the page script (what app.py serves) in-process: it cannot draw the map, but the st_folium component's
arguments (script, html, js_links...) show which layers and features are sent.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from atr_model.errors import DataError, ScenarioError
from atr_model.presentation import maps
from atr_model.presentation.app import datasets, downloads, edits, plans, results, scenario_io, state, unit_search
from atr_model.presentation.app.mapping import MAP_RETURNED_OBJECTS
from atr_model.presentation.app.server import PAGE_SCRIPT
from atr_model.presentation.markdown_text import md_text

ROOT = Path(__file__).resolve().parents[1]
APP = str(PAGE_SCRIPT)  # the page app.py serves (AppTest runs a page script, not the st.App)
SCENARIO = str(ROOT / "scenarios" / "demo.yaml")


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    results = tmp_path / "results"
    monkeypatch.setenv("ATR_APP_RESULTS", str(results))
    monkeypatch.setenv("ATR_CACHE_DIR", str(tmp_path / "cache"))
    return results


def _app():
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(APP, default_timeout=180).run()


def _map_args(at) -> dict:
    components = at.get("component_instance")
    assert components, "no map component on the page"
    return json.loads(components[0].proto.json_args)


def _run(at, scenario: str = SCENARIO):
    at.selectbox(key="scenario_choice").set_value(scenario).run()
    at.button(key="run").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def test_start_page_sends_the_demo_map_with_vendored_leaflet(app_env: Path) -> None:
    at = _app()
    assert not at.exception
    assert at.session_state["dataset_key"] == datasets.DEMO_KEY
    args = _map_args(at)
    assert args["js_links"] == [maps.leaflet_js()]  # Leaflet inlined from the package: no CDN
    assert args["css_links"] == [maps.leaflet_css()]
    assert args["returned_objects"] == list(MAP_RETURNED_OBJECTS)  # clicks select a unit; pans and zooms never rerun
    from atr_model.data.demo import make_demo_dataset

    codes = make_demo_dataset().units["unit_code"]
    assert all(f'"{code}"' in args["script"] for code in codes)  # every current unit is drawn
    assert "tile" not in args["script"].lower()  # offline: no tile layer
    assert "Legend" in args["script"]  # the legend is a Leaflet control


def test_run_sends_new_units_and_kpis_match_the_package(app_env: Path) -> None:
    at = _run(_app())
    folder = Path(at.session_state["result_folder"])
    assignments = pd.read_csv(folder / "assignments.csv", dtype=str)
    kpis = json.loads((folder / "kpis.json").read_text())
    args = _map_args(at)
    for uid in assignments["new_unit_id"].unique():
        assert f'"{uid}"' in args["script"]
    for layer in ("Proposed new units", "Current units", "Centres", "Raions", "Oblasts", "Settlements",
                  "Links between units"):
        assert f'"{layer}"' in args["script"], layer  # each layer is named in the LayerControl
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["New units after"] == str(kpis["units_after"])
    assert str(kpis["units_after"]) == str(assignments["new_unit_id"].nunique())


def test_page_reruns_and_repeated_runs_do_not_resolve(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = results.run_scenario

    def counting(*args, **kwargs):
        calls.append("solve")
        return real(*args, **kwargs)

    monkeypatch.setattr(results, "run_scenario", counting)
    at = _run(_app())
    assert calls == ["solve"]
    assert any("Scenario runs: 1 · Done in" in c.value and "solved before" not in c.value for c in at.caption)
    at.run()  # a plain page rerun
    at.radio(key="view").set_value("downloads").run()
    folder = Path(at.session_state["result_folder"])
    assert (folder / "report.html").exists()  # rendered on first request for the download
    at.button(key="run").click().run()  # same scenario, same data: reuse the package
    assert calls == ["solve"]
    assert at.session_state["run_count"] == 2
    # the sidebar says the result shown was stored, not solved in the fraction of a second it took
    assert any("Scenario runs: 2" in c.value and "solved before on the same data" in c.value for c in at.caption)
    at.selectbox(key="lang").set_value("ru").run()
    assert any("уже решался" in c.value for c in at.caption)


def test_changing_a_criterion_marks_the_result_stale_and_changes_the_hash(app_env: Path) -> None:
    at = _run(_app())
    first_hash = at.session_state["result_hash"]
    limit = next(n for n in at.number_input if n.key and n.key.endswith(".max_travel_time_min"))
    limit.set_value(120.0).run()
    assert any("Out of date: settings changed" in w.value for w in at.warning)
    _run(at, SCENARIO)
    assert at.session_state["result_hash"] != first_hash
    scenario = yaml.safe_load((Path(at.session_state["result_folder"]) / "scenario.yaml").read_text())
    assert scenario["criteria"]["max_travel_time_min"] == 120


def test_language_switch_translates_page_and_map(app_env: Path) -> None:
    at = _app()
    at.selectbox(key="lang").set_value("ru").run()
    assert at.title[0].value == "Сценарии административно-территориальной реформы"
    args = _map_args(at)
    assert json.dumps("Условные обозначения")[1:-1] in args["script"]  # the legend control, JSON-escaped
    layer_name = json.dumps("Текущие единицы")[1:-1]  # layer names are JSON-escaped in the script
    assert layer_name in args["script"] or "Текущие единицы" in args["script"]
    at.selectbox(key="lang").set_value("ky").run()
    assert json.dumps("Белгилер")[1:-1] in _map_args(at)["script"]
    at.radio(key="view").set_value("concept").run()
    from atr_model.criteria import CONCEPT_ATTRIBUTION, CONCEPT_CRITERIA

    text = " ".join(m.value for m in at.markdown)
    assert all(c.text_ky in text and c.text_en in text for c in CONCEPT_CRITERIA)  # original beside translation
    # the English is marked as an unofficial translation (folded under the official Kyrgyz text)
    assert any("расмий эмес" in e.label for e in at.expander)
    assert any(CONCEPT_ATTRIBUTION in c.value for c in at.caption)


def test_edits_undo_and_resolve_show_what_changed(app_env: Path) -> None:
    at = _run(_app())
    before = pd.read_csv(Path(at.session_state["result_folder"]) / "assignments.csv", dtype=str)
    unit = before[before["status"] == "merged"].sort_values("unit_code")["unit_code"].iloc[0]
    at.radio(key="view").set_value("edits").run()
    at.selectbox(key="edit_unit").set_value(unit).run()
    at.radio(key="edit_action").set_value("exempt").run()
    at.text_input(key="edit_reason").input("public hearing").run()
    at.button(key="edit_add").click().run()
    at.radio(key="edit_action").set_value("keep_separate").run()
    at.button(key="edit_add").click().run()
    assert [e.action for e in state.edits(at.session_state)] == ["exempt", "keep_separate"]
    at.button(key="edit_undo").click().run()
    assert [e.action for e in state.edits(at.session_state)] == ["exempt"]
    at.radio(key="edit_action").set_value("keep_separate").run()
    at.button(key="edit_add").click().run()
    at.button(key="edit_resolve").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    after = pd.read_csv(Path(at.session_state["result_folder"]) / "assignments.csv", dtype=str).set_index("unit_code")
    assert (after["new_unit_id"] == after.at[unit, "new_unit_id"]).sum() == 1
    assert any(m.value.startswith("**Units that differ:") for m in at.markdown)
    scenario = yaml.safe_load((Path(at.session_state["result_folder"]) / "scenario.yaml").read_text())
    assert unit in scenario["criteria"]["locks"]["keep_separate"]
    assert {"unit_code": unit, "reason": "public hearing"} in scenario["criteria"]["exemptions"]["manual"]


def test_two_sessions_do_not_share_edits(app_env: Path) -> None:
    first, second = _app(), _app()
    state.push_edit(first.session_state, edits.Edit("keep_separate", "DEMO-01-01-002"))
    first.run()
    second.run()
    assert state.edits(first.session_state) and not state.edits(second.session_state)


def test_bad_scenario_text_gives_a_message_naming_file_and_key() -> None:
    with pytest.raises(ScenarioError, match=r"typo\.yaml.*population_treshold"):
        scenario_io.parse_scenario_text("name: typo\ncriteria:\n  population_treshold: 3000\n", "typo.yaml")
    with pytest.raises(ScenarioError, match=r"broken\.yaml"):
        scenario_io.parse_scenario_text("name: [unclosed\n", "broken.yaml")


def test_edited_scenario_yaml_reloads_for_the_cli(tmp_path: Path) -> None:
    from atr_model.scenarios import load_scenario, scenario_hash

    base = load_scenario(ROOT / "scenarios" / "demo.yaml")
    changes = [
        edits.Edit("keep_separate", "DEMO-01-01-002"),
        edits.Edit("together", "DEMO-01-01-004", "DEMO-01-01-003"),
        edits.Edit("apart", "DEMO-01-01-005", "DEMO-01-01-006"),
        edits.Edit("exempt", "DEMO-01-01-007", reason="hearing"),
    ]
    edited = edits.apply_edits(base, changes)
    assert edited.criteria.locks.keep_separate == ("DEMO-01-01-002",)
    assert edited.criteria.locks.together == (("DEMO-01-01-003", "DEMO-01-01-004"),)
    assert edited.criteria.locks.apart == (("DEMO-01-01-005", "DEMO-01-01-006"),)
    assert base.criteria.locks.keep_separate == ()  # the input is not modified
    path = tmp_path / "edited.yaml"
    path.write_text(scenario_io.scenario_to_yaml(edited), encoding="utf-8")
    assert scenario_hash(load_scenario(path)) == scenario_hash(edited)
    with pytest.raises(ScenarioError, match="two different units"):
        edits.Edit("together", "A", "A")


def test_one_raion_runs_alone_and_draws_only_its_units(app_env: Path) -> None:
    from atr_model.data.demo import make_demo_dataset

    demo = make_demo_dataset()
    raion = sorted(demo.raions["raion_code"])[0]
    at = _app()
    at.selectbox(key="raion").set_value(raion).run()
    _run(at)
    assignments = pd.read_csv(Path(at.session_state["result_folder"]) / "assignments.csv", dtype=str)
    expected = set(demo.units.loc[demo.units["raion_code"] == raion, "unit_code"])
    assert set(assignments["unit_code"]) == expected
    script = _map_args(at)["script"]
    others = demo.units.loc[demo.units["raion_code"] != raion, "unit_code"]
    assert not any(f'"{code}"' in script for code in others)


def test_subsets_keep_only_the_raion_and_leave_the_inputs_alone(demo_dataset) -> None:
    from atr_model.network import build_travel_model

    raion = sorted(demo_dataset.raions["raion_code"])[-1]
    n_units = len(demo_dataset.units)
    sub = datasets.subset_dataset(demo_dataset, [raion])
    sub.validate()
    assert set(sub.units["raion_code"]) == {raion}
    assert set(sub.settlements["unit_code"]) <= set(sub.units["unit_code"])
    assert sub.build_id != demo_dataset.build_id and len(demo_dataset.units) == n_units
    tm = build_travel_model(demo_dataset)
    sub_tm = datasets.subset_travel_model(tm, sub.units["unit_code"])
    codes = set(sub.units["unit_code"])
    assert set(sub_tm.adjacency["unit_a"]) | set(sub_tm.adjacency["unit_b"]) <= codes
    assert set(sub_tm.settlement_centre_times["centre_unit_code"]) <= codes
    assert len(tm.adjacency) > len(sub_tm.adjacency)
    with pytest.raises(DataError, match="unknown raion or oblast code"):
        datasets.subset_dataset(demo_dataset, ["NOPE"])


def test_contradictory_edit_shows_the_error_not_a_traceback(app_env: Path) -> None:
    at = _app()
    at.selectbox(key="scenario_choice").set_value(SCENARIO).run()
    at.radio(key="view").set_value("edits").run()
    at.selectbox(key="edit_unit").set_value("DEMO-01-01-002").run()
    at.radio(key="edit_action").set_value("together").run()
    at.selectbox(key="edit_other").set_value("DEMO-01-02-003").run()  # another raion, raion nesting
    at.button(key="edit_add").click().run()
    at.button(key="edit_resolve").click().run()
    assert not at.exception
    messages = " ".join(e.value for e in at.error)
    assert "DEMO-01-01-002" in messages and "DEMO-01-02-003" in messages
    assert at.session_state["run_count"] == 0


def test_impossible_hard_floor_gives_a_summary_line_details_and_a_failed_status(app_env: Path) -> None:
    at = _app()
    at.selectbox(key="scenario_choice").set_value(SCENARIO).run()
    floor = next(n for n in at.number_input if n.key and n.key.endswith(".population_floor"))
    floor.set_value(10_000_000.0).run()
    mode = next(s for s in at.selectbox if s.key and s.key.endswith(".floor_mode"))
    mode.set_value("hard").run()
    at.button(key="run").click().run()
    assert not at.exception
    assert at.session_state["run_count"] == 0
    errors = [e.value for e in at.error]
    assert errors, "no error shown"
    assert all(len(text) < 300 for text in errors), errors  # one summary line, not every unit
    details = [e for e in at.expander if e.label == "Details"]
    assert details, "the full explanation is not in an expander"
    full = " ".join(t.value for t in details[0].text)
    assert len(full) > len(errors[0]) and "DEMO-" in full
    statuses = [s for s in at.status if "Running" in str(s.label)]
    assert not statuses  # the status says the run failed; it never keeps "Running the scenario..."
    assert any(str(s.label) == "The scenario run failed" for s in at.status)


def test_a_shared_link_sets_language_scenario_and_territory(app_env: Path) -> None:
    from streamlit.testing.v1 import AppTest

    from atr_model.data.demo import make_demo_dataset

    raion = sorted(make_demo_dataset().raions["raion_code"])[1]
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["lang"] = "ky"
    at.query_params["scenario"] = "status-quo"
    at.query_params["territory"] = raion
    at.query_params["dataset"] = "demo"
    at.run()
    assert not at.exception
    assert at.session_state["lang"] == "ky"
    assert Path(at.session_state["scenario_choice"]).stem == "status-quo"
    assert at.session_state["raion"] == raion
    assert at.title[0].value == "Административдик-аймактык реформанын сценарийлери"
    # ... and the page writes the view back into the link.
    at.selectbox(key="lang").set_value("ru").run()
    assert at.query_params["lang"] == ["ru"] or at.query_params["lang"] == "ru"


def test_scenario_text_errors_name_line_column_and_empty_files() -> None:
    # the file has two lines: the fault is at the end of line 2 (a list left open), not on "line 3"
    with pytest.raises(ScenarioError, match=r"broken\.yaml: line 2, column 14: not valid YAML \(the file ends here"):
        scenario_io.parse_scenario_text("name: x\ncriteria: [1,\n", "broken.yaml")
    with pytest.raises(ScenarioError, match=r"empty\.yaml: the file is empty"):
        scenario_io.parse_scenario_text(b"", "empty.yaml")
    with pytest.raises(ScenarioError, match=r"notes\.yaml: the file holds only comments"):
        scenario_io.parse_scenario_text("# just a note\n", "notes.yaml")


def test_uploaded_plan_with_unknown_codes_names_every_one(demo_dataset) -> None:
    from atr_model.scenarios import load_scenario

    codes = list(demo_dataset.units["unit_code"])
    rows = ["unit_code,new_unit_id", "NOPE-1,a", "NOPE-2,b", *(f"{c},{c}" for c in codes[2:])]
    with pytest.raises(DataError, match=r"plan\.csv: 2 unit\(s\) not in the scenario's dataset: NOPE-1, NOPE-2$"):
        plans.evaluate_plan_upload("\n".join(rows).encode(), "plan.csv", load_scenario(SCENARIO), demo_dataset)
    with pytest.raises(DataError, match=r"empty\.csv: the file is empty"):
        plans.evaluate_plan_upload(b"  \n", "empty.csv", load_scenario(SCENARIO), demo_dataset)


def test_plan_violations_reach_the_map_table(demo_dataset) -> None:
    from atr_model.presentation.app.plan_view import violation_units
    from atr_model.scenarios import load_scenario

    codes = list(demo_dataset.units["unit_code"])
    text = "unit_code,new_unit_id\n" + "\n".join(f"{c},{c}" for c in codes)  # the status quo
    evaluation = plans.evaluate_plan_upload(text, "status-quo.csv", load_scenario(SCENARIO), demo_dataset)
    assert not evaluation.valid
    units = demo_dataset.units.copy()
    units["population_is_estimate"] = [i % 2 == 0 for i in range(len(units))]  # mark every other unit estimated
    table = plans.plan_assignments(evaluation, units)
    flagged = violation_units(evaluation.violations)
    assert flagged and set(flagged) <= set(codes)
    reasons = table.set_index("unit_code").loc[flagged, "reason"]
    assert (reasons != "").all()  # every unit a violation names carries its message
    assert set(table["status"]) == {"kept"}
    # estimates stay marked on a plan with violations too
    expected = dict(zip(units["unit_code"].astype(str), units["population_is_estimate"]))
    assert table["population_is_estimate"].tolist() == [expected[str(c)] for c in table["unit_code"]]


def _figure_table(at) -> str:
    """The HTML of the first key-figure table on the page."""
    tables = [m.value for m in at.markdown if "class='atr-figures'" in m.value]
    assert tables, "no key-figure table on the page"
    return tables[0]


@pytest.mark.parametrize("lang", ["ky", "ru", "en"])
def test_key_figures_shown_are_the_result_views(app_env: Path, lang: str) -> None:
    """The metrics row and the key-figure table show view.figure_rows: labels with the floor,
    definitions on hover, values in the language's format; the headline travel figure is the
    one in merged units, the worst overall is in the table as what it is."""
    import html

    from atr_model.presentation.i18n import format_number
    from atr_model.presentation.view import figure_row_html, figure_rows

    at = _run(_app())
    if lang != "en":
        at.selectbox(key="lang").set_value(lang).run()
        assert not at.exception, at.exception
    kpis = json.loads((Path(at.session_state["result_folder"]) / "kpis.json").read_text())
    rows = figure_rows(kpis, lang)
    headline = [r for r in rows if r.headline]
    shown = [(m.label, m.value, m.help) for m in at.metric][: len(headline)]
    assert shown == [(r.label, r.text, r.definition) for r in headline]
    keys = [r.key for r in headline]
    assert "worst_travel_min_in_merged_units" in keys and "worst_travel_min" not in keys
    floor = format_number(kpis["population_floor"], lang)
    assert floor in dict(zip(keys, (m[0] for m in shown)))["below_floor_after_non_exempt"]
    table = _figure_table(at)
    for row in rows:  # every key figure, the worst travel overall included, as the view (and the report) has it
        assert figure_row_html(row) in table, row.key
    assert table.count("<tr") == len(rows) + 1
    assert html.escape(rows[0].label) in table


def test_compare_names_the_floor_of_both_plans(app_env: Path) -> None:
    """Compare's table is the Comparison's key figures (the floor first); "below the floor"
    says which floors, and the units that differ are listed by name, new units by name."""
    from atr_model.presentation.view import figure_label, floor_pair_text, new_unit_names

    at = _run(_app())
    at.radio(key="view").set_value("compare").run()
    lenient = str(ROOT / "scenarios" / "lenient.yaml")
    at.selectbox(key="compare_a").set_value("current").run()
    at.selectbox(key="compare_b").set_value(lenient).run()
    at.button(key="compare_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    folder_a, folder_b = at.session_state["compare"][:2]
    kpis_a, kpis_b = (json.loads((Path(f) / "kpis.json").read_text()) for f in (folder_a, folder_b))
    assert kpis_a["population_floor"] != kpis_b["population_floor"]
    table = _figure_table(at)
    deltas = results.compare_folders(folder_a, folder_b).kpis
    keys = re.findall(r"<tr data-fig='([^']+)'>", table)
    assert keys == list(deltas["kpi"]) and keys[0] == "population_floor"
    floors = floor_pair_text(kpis_a["population_floor"], kpis_b["population_floor"], "en")
    label = figure_label("below_floor_after_non_exempt", kpis_a, "en", floor_text=floors)
    assert label == "Below the floor of 5,000 | 3,000 people, not exempt, after" and label in table
    differ = at.dataframe[0].value
    b = pd.read_csv(Path(folder_b) / "assignments.csv", dtype=str)
    names_b = new_unit_names(b, "en")
    assert list(differ.columns[:2]) == ["Name", "Code"]
    column_b, ids_b = differ.columns[3], differ.columns[-1]  # plan B's new unit: its name, and its id apart
    assert column_b.startswith("New unit (") and ids_b.startswith("New unit code (")
    assert list(differ[column_b]) == [names_b[u] for u in differ[ids_b]]


def test_units_passport_and_selection_show_names_with_the_id_beside(app_env: Path) -> None:
    from atr_model.presentation.view import new_unit_names, unit_names

    at = _run(_app())
    assignments = pd.read_csv(Path(at.session_state["result_folder"]) / "assignments.csv", dtype=str)
    units, new_units = unit_names(assignments, "en"), new_unit_names(assignments, "en")
    table = at.dataframe[0].value
    assert list(table.columns[:2]) == ["Name", "Code"]
    assert list(table["Name"]) == [units[c] for c in table["Code"]]
    assert list(table["New unit"]) == [new_units[u] for u in table["New unit code"]]
    assert any(" + " in name for name in table["New unit"])  # "Dostuk + 2": named after the centre
    picked = [re.fullmatch(r"(.+) \((\S+)\)", option).groups() for option in at.selectbox(key="passport_pick").options]
    merged = assignments.groupby("new_unit_id").size()
    assert sorted(uid for _, uid in picked) == sorted(merged[merged > 1].index)  # every merged new unit ...
    assert all(name == new_units[uid] for name, uid in picked)  # ... by its name, the id beside it
    unit = assignments[assignments["status"] == "merged"]["unit_code"].iloc[0]
    uid = assignments.set_index("unit_code").at[unit, "new_unit_id"]
    at.session_state["selected_unit"] = unit
    at.run()
    # names are written as text (markdown_text.md_text): the page shows them as they are
    assert any(f"**Selected unit:** {md_text(units[unit])} ({md_text(unit)})" == m.value for m in at.markdown)
    assert any(f"New unit: {md_text(f'{new_units[uid]} ({uid})')}" in c.value for c in at.caption)


def test_undo_marks_the_result_out_of_date_and_its_yaml_keeps_the_lock(app_env: Path) -> None:
    import io
    import zipfile

    at = _run(_app())
    first = pd.read_csv(Path(at.session_state["result_folder"]) / "assignments.csv", dtype=str)
    unit = first[first["status"] == "merged"].sort_values("unit_code")["unit_code"].iloc[0]
    at.radio(key="view").set_value("edits").run()
    at.selectbox(key="edit_unit").set_value(unit).run()
    at.radio(key="edit_action").set_value("keep_separate").run()
    at.button(key="edit_add").click().run()
    at.button(key="edit_resolve").click().run()
    locked = at.session_state["result_folder"]
    assert not [w for w in at.warning if "Out of date" in w.value]  # the result matches the settings
    at.button(key="edit_undo").click().run()
    assert not state.edits(at.session_state)
    assert at.session_state["result_folder"] == locked  # still shown, but marked:
    assert any("Out of date: settings changed" in w.value for w in at.warning)
    at.radio(key="view").set_value("downloads").run()
    assert any("Out of date: settings changed" in w.value for w in at.warning)  # on every view
    settings = next(e for e in at.expander if e.label == "Settings of this result (locks included)")
    as_run = yaml.safe_load(settings.code[0].value)
    assert as_run["criteria"]["locks"]["keep_separate"] == [unit]  # the lock that shaped the plan
    assert as_run["dataset"] == "demo"
    labels = [b.proto.label for b in at.get("download_button")]
    assert "⬇ Scenario of this result (YAML)" in labels and "⬇ Current settings, not run yet (YAML)" in labels
    archive = zipfile.ZipFile(io.BytesIO(downloads.download_zip(locked, "en")))
    inside = next(n for n in archive.namelist() if n.endswith("/scenario.yaml"))
    assert yaml.safe_load(archive.read(inside))["criteria"]["locks"]["keep_separate"] == [unit]
    # a failed run leaves the old result marked too
    at.radio(key="view").set_value("map").run()
    floor = next(n for n in at.number_input if n.key and n.key.endswith(".population_floor"))
    floor.set_value(10_000_000.0).run()
    next(s for s in at.selectbox if s.key and s.key.endswith(".floor_mode")).set_value("hard").run()
    at.button(key="run").click().run()
    assert any(str(s.label) == "The scenario run failed" for s in at.status)
    assert at.session_state["result_folder"] == locked
    assert any("Out of date: settings changed" in w.value for w in at.warning)


def test_another_territory_clears_the_result_at_once(app_env: Path) -> None:
    from atr_model.data.demo import make_demo_dataset

    at = _run(_app())
    at.session_state["map_view"] = ([41.0, 74.0], 11)
    at.selectbox(key="raion").set_value(sorted(make_demo_dataset().raions["raion_code"])[0]).run()
    assert at.session_state["result_folder"] is None and not at.metric
    assert _map_args(at)["center"] is None  # the view of the whole territory is not kept either


def test_resolve_keeps_the_map_view_and_the_selected_unit_is_outlined(app_env: Path) -> None:
    from atr_model.presentation.app.mapping import MAP_VIEW

    at = _run(_app())
    first = at.session_state["result_folder"]
    assignments = pd.read_csv(Path(first) / "assignments.csv", dtype=str)
    unit = assignments[assignments["status"] == "merged"].sort_values("unit_code")["unit_code"].iloc[0]
    at.session_state["selected_unit"] = unit
    at.run()
    overlay = _map_args(at)["feature_group"]
    assert f'"unit_code":"{unit}"' in overlay and '"fill": false' in overlay
    view = ([41.2345, 74.5678], 11)  # as the map reports it once the analyst zoomed in (user_view)
    at.session_state[MAP_VIEW] = view
    at.button(key="select_add").click().run()  # "keep separate" is the first lock
    at.button(key="select_resolve").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state["result_folder"] != first
    args = _map_args(at)
    assert (args["center"], args["zoom"]) == (view[0], view[1])  # the new plan opens where the analyst was
    assert f'"unit_code":"{unit}"' in args["feature_group"]
    at.session_state["selected_unit"] = None
    at.run()
    assert _map_args(at)["feature_group"] is None


def test_user_view_is_kept_only_once_the_map_was_moved() -> None:
    from atr_model.presentation.app.folium_view import RenderedMap, show_map_default_bounds
    from atr_model.presentation.app.mapping import user_view

    drawn = RenderedMap(script="", header="", html="", map_id="m", bounds=[[40.0, 70.0], [43.0, 80.0]], zoom=7,
                        js_links=(), css_links=())
    untouched = {"bounds": show_map_default_bounds(drawn), "zoom": 7, "center": {"lat": 41.5, "lng": 75.0}}
    assert user_view(untouched, drawn) is None
    moved = {"bounds": {"_southWest": {"lat": 41.0, "lng": 74.0}, "_northEast": {"lat": 41.5, "lng": 75.0}},
             "zoom": 10, "center": {"lat": 41.25, "lng": 74.5}}
    assert user_view(moved, drawn) == ([41.25, 74.5], 10)
    assert user_view({**moved, "center": None}, drawn) is None


def test_clicked_point_and_search_find_the_unit(demo_dataset) -> None:
    from atr_model.presentation import maps

    layers = maps.display_layers(demo_dataset)
    units = demo_dataset.units.set_index("unit_code")
    for code in list(units.index)[:10]:
        assert unit_search.unit_at(layers.units, units.at[code, "centre_lat"], units.at[code, "centre_lon"]) == code
    assert unit_search.unit_at(layers.units, 0.0, 0.0) is None  # far from every unit
    names = maps.unit_names(layers, "en")
    code = sorted(names)[3]
    assert unit_search.find_units(names, code)[0] == code
    assert code in unit_search.find_units(names, names[code][:4].lower())
    assert unit_search.find_units(names, "   ") == []


def test_a_kept_plan_is_tied_to_the_code_that_computed_it(tmp_path: Path) -> None:
    """Result folders carry a digest of the plan code: after an upgrade that changes the travel
    model or the engine, the app computes the plan again instead of showing the old one."""
    import shutil

    from atr_model.data import make_demo_dataset
    from atr_model.scenarios import load_scenario

    package = Path(results.__file__).resolve().parents[2]
    copy = tmp_path / "atr_model"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__", "*.json", "*.js", "*.css", "*.png"))
    assert results.code_key(copy) == results.code_key(package) == results.plan_code_key()
    (copy / "presentation" / "report" / "render.py").write_text("# a presentation change\n", encoding="utf-8")
    assert results.code_key(copy) == results.plan_code_key()  # the look of a report is not the plan
    fallback = copy / "network" / "fallback.py"
    fallback.write_text(fallback.read_text(encoding="utf-8") + "\n# another travel model\n", encoding="utf-8")
    assert results.code_key(copy) != results.plan_code_key()
    scenario = load_scenario(ROOT / "scenarios" / "demo.yaml")
    folder = results.result_folder(scenario, make_demo_dataset(), tmp_path / "results")
    assert folder.name == f"{scenario_io.scenario_key(scenario)[:16]}-{results.plan_code_key()}"


@pytest.mark.kgdata
def test_kyrgyz_result_shows_the_views_figures_and_names_in_three_languages(
    kg_dataset_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """On the Kyrgyz build (the whole country, concept-2013): the metrics and the key-figure
    table are view.figure_rows, and units and new units are named as the view names them, in
    the interface language's script, in ky, ru and en."""
    from atr_model.data.translit import is_cyrillic
    from atr_model.presentation.view import figure_row_html, figure_rows, new_unit_names, unit_names

    monkeypatch.setenv("ATR_CACHE_DIR", str(kg_dataset_path.parent.parent))  # where the app finds the build
    monkeypatch.setenv("ATR_APP_RESULTS", str(tmp_path / "results"))
    at = _app()
    assert at.session_state["dataset_key"] == str(kg_dataset_path)
    at.button(key="run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    folder = Path(at.session_state["result_folder"])
    assert yaml.safe_load((folder / "scenario.yaml").read_text())["name"] == "concept-2013"
    kpis = json.loads((folder / "kpis.json").read_text())
    assignments = pd.read_csv(folder / "assignments.csv", dtype=str)
    for lang in ("ky", "ru", "en"):
        at.selectbox(key="lang").set_value(lang).run()
        assert not at.exception, at.exception
        rows = figure_rows(kpis, lang)
        headline = [r for r in rows if r.headline]
        assert [(m.label, m.value, m.help) for m in at.metric][: len(headline)] == [
            (r.label, r.text, r.definition) for r in headline
        ], lang
        table = _figure_table(at)
        assert all(figure_row_html(r) in table for r in rows), lang
        units, new_units = unit_names(assignments, lang), new_unit_names(assignments, lang)
        shown = at.dataframe[0].value
        assert list(shown.iloc[:, 0]) == [units[c] for c in shown.iloc[:, 1]], lang  # name first, code beside
        assert list(shown.iloc[:, 4]) == [new_units[u] for u in shown.iloc[:, 5]], lang
        cyrillic = sum(is_cyrillic(name) for name in shown.iloc[:, 0])
        assert cyrillic == len(shown) if lang in ("ky", "ru") else cyrillic == 0, lang
