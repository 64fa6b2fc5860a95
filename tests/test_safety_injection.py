"""Nothing a user supplies runs (issue 26, findings 2 and 3, build item 2).

A copy of the demo territory whose units and settlements carry hostile names (a formula, a
script tag) and a scenario whose title is a formula and whose description is Markdown with an
outside image and link (:mod:`hostile_fixtures`) go through the real run, the result package,
the workbook, the CSVs, every map, the report and the app's Markdown:

- finding 2 (formula injection): ``tables.xlsx`` holds no ``<f>`` element and the names as
  text cells; every CSV the tool writes for people has them behind a single quote, numbers
  (negative ones too) untouched; the tool's own readers (``read_result``, the app's result
  loader, ``evaluate`` of a plan made from a written CSV) get every name back unchanged;
- finding 3 (script in map tooltips): in the dataset, result, compare and diff maps every
  tooltip and popup field, layer name and legend line carries the names only as text; the
  report and summary too; the frame's Content-Security-Policy allows the map's own script and
  nothing injected; in Chromium, through the app's own component, hovering and clicking the
  hostile unit runs no script, an injected ``onerror`` is blocked and a click still selects;
- Markdown in titles: a title made of Markdown renders as its text (no image, no link).
"""

from __future__ import annotations

import html
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import folium
import hostile_fixtures as hf
import pandas as pd
import pytest

from atr_model.presentation.app.folium_view import COMPONENT_SCRIPT_TAIL, frame_policy, render_map
from atr_model.presentation.maps import elements
from atr_model.presentation.markdown_text import md_text
from atr_model.scenarios import evaluate_plan, read_result, write_exports, write_result
from atr_model.scenarios.cells import neutralise_cell, read_tool_csv, restore_cell, write_csv

ROOT = Path(__file__).resolve().parents[1]
#: Every hostile text, raw: none may reach a map's HTML unescaped.
RAW = (hf.SCRIPT, hf.LABEL)


@pytest.fixture(scope="module")
def hostile():
    """``(dataset, scenario, travel model, result)`` of the demo scenario on the hostile dataset."""
    return hf.hostile_run()


@pytest.fixture(scope="module")
def package(hostile, tmp_path_factory) -> Path:
    """The result package of the hostile run with its exports (tables.xlsx, GeoJSON)."""
    folder = write_result(hostile[3], tmp_path_factory.mktemp("hostile") / "run")
    write_exports(folder)
    return folder


def _hostile_codes(dataset) -> dict[str, str]:
    return {str(dataset.units["unit_code"].iloc[row]): name for row, name in hf.HOSTILE.items()}


# ---------------------------------------------------------------------------------------------
# finding 2: formula injection


def test_the_shared_rule_quotes_formula_text_and_leaves_numbers() -> None:
    for text in ("=1+1", "+1+cmd", "-2+3", "@SUM(A1)", "\tx", "\r=x", "'=x", "''", hf.FORMULA):
        written = neutralise_cell(text)
        assert written == "'" + text and restore_cell(written) == text
    for value in ("-5", "-3.25", "+7", "1e-3", -5, -2.5, "Ak-Suu", "", "'plain", None):
        assert neutralise_cell(value) == value and restore_cell(value) == value


def test_tables_xlsx_holds_no_formula_and_the_names_as_text(package) -> None:
    from openpyxl import load_workbook

    path = package / "tables.xlsx"
    with zipfile.ZipFile(path) as book:
        sheets = [book.read(n).decode("utf-8") for n in book.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and not any(re.search(r"<f[\s>]", xml) for xml in sheets)
    cells: dict[str, str] = {}
    for ws in load_workbook(path).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cells.setdefault(cell.value, cell.data_type)
    for text in (hf.FORMULA, hf.CMD, hf.TITLE):
        assert cells.get(text) == "s", text  # the text itself, stored as a text cell
    assert "'" + hf.FORMULA not in cells  # the workbook needs no quote: the cell is text


def test_csvs_for_people_neutralise_formulas_and_the_tool_reads_them_back(package, hostile) -> None:
    from atr_model.presentation.app import results

    dataset = hostile[0]
    raw = pd.read_csv(package / "assignments.csv", dtype=str, keep_default_na=False)
    names = dict(zip(raw["unit_code"], raw["unit_name"]))
    codes = _hostile_codes(dataset)
    assert {c: names[c] for c in codes} == {c: ("'" + n if n[0] in "=@" else n) for c, n in codes.items()}
    assert not any(str(v).startswith(("=", "@", "+")) for v in raw.to_numpy().ravel())
    assert pd.to_numeric(raw["population"]).notna().all()  # numbers stay numbers
    # read_result and the app's result loader give every name back as the dataset has it
    expected = dict(zip(dataset.units["unit_code"], dataset.units["name_en"]))
    for table in (read_result(package).assignments, results.load_result(package).assignments):
        back = dict(zip(table["unit_code"].astype(str), table["unit_name"]))
        assert back == {c: expected[c] for c in back}


def test_write_csv_round_trips_every_text_cell(tmp_path: Path) -> None:
    frame = pd.DataFrame({
        "name": [hf.FORMULA, "-x", "'=y", "plain", "-12", "\tTab"],
        "value": [-1.5, 2.0, -3.0, 4.0, 5.0, -6.0],
    })
    write_csv(frame, tmp_path / "t.csv")
    text = (tmp_path / "t.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and "\n'-x," in text and "''=y" in text and "\n-12," in text and "-1.5" in text
    pd.testing.assert_frame_equal(read_tool_csv(tmp_path / "t.csv", dtype={"name": str}), frame)


def test_a_plan_written_by_the_tool_evaluates_with_its_ids(package, hostile) -> None:
    dataset, scenario, travel, result = hostile
    plan = result.assignments[["unit_code", "new_unit_id", "centre_code"]].copy()
    plan["new_unit_id"] = ["=" + str(uid) for uid in plan["new_unit_id"]]
    path = write_csv(plan, package.parent / "plan.csv")
    assert "'=" in path.read_text(encoding="utf-8")
    evaluation = evaluate_plan(path, scenario, dataset=dataset, travel_model=travel)
    assert set(evaluation.plan["new_unit_id"]) == set(plan["new_unit_id"])


def test_compare_table_csv_is_neutralised(package, hostile, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from atr_model.presentation.cli import app

    folder_b = write_result(hf.hostile_run(3000)[3], tmp_path / "b")
    out = tmp_path / "cmp"
    run = CliRunner().invoke(app, ["compare", str(package), str(folder_b), "--out", str(out)])
    assert run.exit_code == 0, run.output
    table = pd.read_csv(out / "changed_units.csv", dtype=str, keep_default_na=False)
    names = dict(zip(table["unit_code"], table["unit_name"]))
    codes = _hostile_codes(hostile[0])
    formulas = {c: n for c, n in codes.items() if n[0] in "=@"}
    assert {c: names[c] for c in formulas} == {c: "'" + n for c, n in formulas.items()}
    assert not any(str(v).startswith(("=", "@", "+")) for v in table.to_numpy().ravel())


# ---------------------------------------------------------------------------------------------
# finding 3: script in map tooltips


@pytest.fixture(scope="module")
def hostile_maps() -> dict[str, folium.Map]:
    return hf.hostile_folium_maps()


def _maps_of(fmap) -> list[folium.Map]:
    return [fmap.m1, fmap.m2] if hasattr(fmap, "m1") else [fmap]


def _shown(fmap: folium.Map) -> Iterator[tuple[str, str]]:
    """``(where, html)`` of every piece of a map the browser writes as HTML: each tooltip and
    popup field of each feature, each layer name (the layer control), each legend."""
    for child in fmap._children.values():
        if isinstance(child, folium.GeoJson):
            parts = [c for c in child._children.values() if isinstance(c, (folium.GeoJsonTooltip, folium.GeoJsonPopup))]
            fields = [f for part in parts for f in part.fields]
            yield f"layer name {child.layer_name!r}", str(child.layer_name)
            for feature in child.data["features"]:
                for field in fields:
                    yield f"{child.layer_name}/{feature.get('id')}/{field}", str(feature["properties"].get(field, ""))
        elif isinstance(child, elements.Legend):
            yield "legend", child.html


@pytest.mark.parametrize("name", ["dataset", "result", "compare", "diff"])
def test_every_tooltip_popup_layer_name_and_legend_shows_names_as_text(hostile_maps, name: str) -> None:
    shown = [piece for fmap in _maps_of(hostile_maps[name]) for piece in _shown(fmap)]
    leaks = [(where, text[:80]) for where, text in shown if any(raw in text for raw in RAW)]
    assert not leaks
    escaped = html.escape(hf.SCRIPT)
    assert any(escaped in text for _where, text in shown)  # the name is there, as text
    assert not any(html.escape(escaped) in text for _where, text in shown)  # and escaped once only
    if name == "diff":  # the scenario labels name the layers of both plans
        names = [text for where, text in shown if where.startswith("layer name")]
        assert any(html.escape(hf.LABEL, quote=False) in text for text in names)
    # the rendering the app hands to its component carries no raw tag either
    rendered = render_map(hostile_maps[name])
    assert not any(raw in part for raw in RAW for part in (rendered.script, rendered.html, rendered.header))


def test_report_and_summary_show_the_names_as_text(package) -> None:
    from atr_model.presentation.report import render_report, render_summary

    for page in (render_report(package, "en"), render_summary(package, "en")):
        assert hf.SCRIPT not in page and html.escape(hf.SCRIPT) in page
        assert "onerror=alert" not in page.replace(html.escape(hf.SCRIPT), "")


def test_the_frame_policy_allows_only_the_maps_own_script() -> None:
    from importlib import resources

    policy = frame_policy("var x = 1;")
    assert "'unsafe-inline'" not in policy and "script-src 'sha256-" in policy and "object-src 'none'" in policy
    assert frame_policy("var x = 2;") != policy
    # the component still appends what the hash covers (else the map would not run at all)
    build = resources.files("streamlit_folium") / "frontend" / "build" / "static" / "js"
    bundle = "".join(p.read_text(encoding="utf-8") for p in build.iterdir() if p.name.endswith(".js"))
    head, tail = COMPONENT_SCRIPT_TAIL.split("false")
    assert head + '".concat(return_on_hover,"' + tail in bundle


# ---------------------------------------------------------------------------------------------
# Markdown in titles


def test_markdown_in_a_title_renders_as_its_text() -> None:
    from markdown_it import MarkdownIt

    renderer = MarkdownIt("commonmark").enable("strikethrough")
    for text in (hf.MARKDOWN, hf.TITLE, "# heading\n- item\n> quote", "<b>x</b> :red[y] $z$ :material/home:"):
        page = renderer.render(md_text(text))
        assert not re.search(r"<(img|a|strong|em|h1|ul|blockquote|b|code)\b", page), page
        shown = html.unescape(re.sub(r"<[^>]+>", "", page)).strip().replace("\u2060", "")
        assert shown == " ".join(text.split("\n"))
    # GitHub-style autolinks (Streamlit's renderer makes them after escapes are resolved) need
    # "http://", "www." or "a@b" unbroken
    resolved = md_text(hf.MARKDOWN + " mail@evil.example").replace("\\", "")
    assert not any(s in resolved for s in ("http://", "www.", "l@e"))


def test_the_app_writes_an_uploaded_scenarios_title_and_description_as_text(monkeypatch, tmp_path: Path) -> None:
    import json

    from streamlit.testing.v1 import AppTest

    from atr_model.presentation.app import scenario_io
    from atr_model.presentation.app.server import PAGE_SCRIPT
    from atr_model.scenarios import load_scenario

    monkeypatch.setenv("ATR_APP_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("ATR_CACHE_DIR", str(tmp_path / "cache"))
    texts = {k: hf.MARKDOWN for k in ("title", "title_ky", "title_ru", "description", "description_ky", "description_ru")}
    scenario = load_scenario(ROOT / "scenarios" / "demo.yaml").model_copy(update=texts)
    at = AppTest.from_file(str(PAGE_SCRIPT), default_timeout=180)
    at.session_state["uploaded"] = scenario_io.scenario_to_dict(scenario)
    at.session_state["uploaded_name"] = "hostile.yaml"
    at.session_state["scenario_choice"] = "upload"
    at.run()
    assert not at.exception, at.exception
    bodies = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    assert sum(md_text(hf.MARKDOWN) in b for b in bodies) >= 2  # the title in the header, the description
    assert not any(hf.MARKDOWN in b for b in bodies)  # never as Markdown
    # the map goes to its frame with the policy that lets only its own script run
    args = json.loads(at.get("component_instance")[0].proto.json_args)
    assert f'content="{html.escape(frame_policy(args["script"]))}"' in args["header"]


# ---------------------------------------------------------------------------------------------
# in Chromium, through the app's own map component

_HARNESS = '''
import sys
import streamlit as st
sys.path.insert(0, sys.argv[1])
from hostile_fixtures import MARKDOWN, hostile_maps
from atr_model.presentation.app.folium_view import show_map
from atr_model.presentation.markdown_text import md_text

@st.cache_resource
def _maps():
    return hostile_maps()

which = st.query_params.get("map", "dataset")
st.markdown(f"**{md_text(MARKDOWN)}**")
out = show_map(_maps()[which], key=f"map_{which}", returned_objects=["last_object_clicked"])
st.write({"clicked": out.get("last_object_clicked")})
'''


@pytest.fixture(scope="module")
def harness(tmp_path_factory) -> Iterator[str]:
    """A Streamlit page that shows one hostile map (``?map=...``) with the app's ``show_map``."""
    from browser_support import app_env, serve_streamlit

    folder = tmp_path_factory.mktemp("harness")
    (folder / "page.py").write_text(_HARNESS, encoding="utf-8")
    env = app_env(PYTHONPATH=str(ROOT), ATR_CACHE_DIR=str(folder / "cache"))
    with serve_streamlit(folder / "page.py", cwd=folder, env=env, log_path=folder / "server.log",
                         extra_args=["--server.headless", "true", "--browser.gatherUsageStats", "false",
                                     "--", str(ROOT / "tests")]) as url:
        yield url


def _map_point(page, point) -> tuple[object, float, float]:
    """The map frame now on the page, centred on ``point``, and the page coordinates of ``point``."""
    from browser_support import MAP_FRAME

    frame = next(f for f in page.frames if "streamlit_folium" in f.url)
    frame.wait_for_function("() => !!window.map")
    at = frame.evaluate(
        f"""() => {{ window.map.setView([{point.y}, {point.x}], 11, {{animate: false}});
            const p = window.map.latLngToContainerPoint([{point.y}, {point.x}]);
            const r = window.map.getContainer().getBoundingClientRect(); return [p.x + r.left, p.y + r.top]; }}"""
    )
    box = page.locator(MAP_FRAME).first.bounding_box()
    return frame, box["x"] + at[0], box["y"] + at[1]


def _until(page, point, act, selector: str):
    """Do ``act(frame, x, y)`` on ``point`` until ``selector`` shows in the map frame (three tries):
    a rerun of the app can replace the frame between finding it and the mouse reaching it."""
    for attempt in range(3):
        frame, x, y = _map_point(page, point)
        page.mouse.move(1, 1)  # off the map, so the next move is a new hover
        act(frame, x, y)
        try:
            frame.wait_for_selector(selector, timeout=15_000)
            return frame
        except Exception:  # playwright's TimeoutError
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@pytest.mark.browser
@pytest.mark.parametrize("name", ["dataset", "result", "diff"])
def test_hovering_and_clicking_a_hostile_unit_runs_no_script(harness: str, chromium_path: Path, name: str) -> None:
    from browser_support import CHROMIUM_ARGS, MAP_FRAME
    from playwright.sync_api import sync_playwright

    unit = hf.hostile_dataset().units.iloc[0]
    point = unit.geometry.representative_point()
    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(f"{harness}/?map={name}")
            page.frame_locator(MAP_FRAME).first.locator(".leaflet-container").first.wait_for(timeout=90_000)
            # the app reruns after the map's first answer and may draw the frame again: the map
            # is found, centred on the unit and pointed at again on each try (at most three)
            frame = _until(page, point, lambda fr, x, y: page.mouse.move(x, y), ".leaflet-tooltip")
            tooltip = frame.locator(".leaflet-tooltip").first.text_content() or ""
            assert hf.SCRIPT in tooltip  # the name is shown, as text
            frame = _until(page, point, lambda fr, x, y: page.mouse.click(x, y), ".leaflet-popup-content")
            assert hf.SCRIPT in (frame.locator(".leaflet-popup-content").first.text_content() or "")
            # the click still reaches the app (click-to-select), under the frame's policy
            page.get_by_text('"lat"').first.wait_for(timeout=20_000)
            # a script smuggled into the frame by any other way does not run either
            frame.evaluate("""() => { document.body.insertAdjacentHTML('beforeend',
                '<img src=x onerror="window.atrInjected = 1">'); }""")
            page.wait_for_timeout(500)
            assert frame.evaluate("() => window.atrInjected") is None
            assert frame.evaluate("() => document.querySelectorAll('img[src=x], img[src=y]').length") == 1
            # the page's own Markdown: the title shows as text, no image, no link
            markdown = page.locator("[data-testid=stMarkdownContainer]").first
            assert markdown.locator("img, a").count() == 0, markdown.inner_html()
            assert "![x](http://evil.example/pixel.png)" in markdown.inner_text().replace("\u2060", "")
            assert not dialogs
        finally:
            browser.close()
