"""The Streamlit app in real headless Chromium (Playwright + Debian's /usr/bin/chromium).

The app is started the way the README says, ``streamlit run app.py`` from the repository,
with no environment switch and no test mode: only where it keeps results and which cache it
reads differ (``ATR_APP_RESULTS``, ``ATR_CACHE_DIR``), as they would between two machines.
Every page BLOCKS each request that does not go to 127.0.0.1 (so a CDN, a tile server or a
web font would show up as a failure) and every test fails on a console error.

Two servers: one whose cache holds the Kyrgyz build (the first screen, the national result,
compare side by side, 1024x768) and one whose cache is empty, so the app offers the fictional
demo (click to lock, re-solve and undo; plan upload; errors; the shareable link; two users).
Tests of one module share a page and run in file order, like an analyst's session.
Screenshots go to ``docs/screenshots/`` (the demo's result map and plan check, and the
Kyrgyz national map and compare); failures leave a screenshot in ``test-artifacts/``.
"""

from __future__ import annotations

import os
import re
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml
from browser_support import CHROMIUM_ARGS as ARGS
from browser_support import MAP_FRAME, app_env, serve_streamlit

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
#: Demo screenshots go to docs/ only on request (ATR_SAVE_SCREENSHOTS=1), so a test run leaves the
#: tree clean; screenshots of the Kyrgyz build always stay in test-artifacts/ (never committed:
#: they are drawn from the shared open data).
SCREENSHOTS = ROOT / "docs" / "screenshots" if os.environ.get("ATR_SAVE_SCREENSHOTS") == "1" else ARTIFACTS
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'
TIMEOUT_MS = 120_000
#: Where the app keeps the Kyrgyz build inside a cache folder (as ``atr-model quickstart`` does).
KG_IN_CACHE = Path("kyrgyzstan") / "kyrgyzstan.gpkg"
#: Server URL -> the folder its result packages go to.
RESULTS: dict[str, Path] = {}


def _serve(cache_dir: Path, results_dir: Path, log_path: Path) -> Iterator[str]:
    """``streamlit run app.py`` from the repository; yields its URL once healthy."""
    env = app_env(ATR_APP_RESULTS=str(results_dir), ATR_CACHE_DIR=str(cache_dir), PYTHONPATH=str(ROOT))
    with serve_streamlit(Path("app.py"), cwd=ROOT, env=env, log_path=log_path,
                         extra_args=["--server.fileWatcherType", "none"]) as url:
        RESULTS[url] = results_dir
        yield url


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("app-demo")
    yield from _serve(base / "cache", base / "results", base / "streamlit.log")


@pytest.fixture(scope="module")
def kyrgyz_server(kg_dataset_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    cache = kg_dataset_path.parent.parent
    assert kg_dataset_path == cache / KG_IN_CACHE, f"the Kyrgyz build is not where the app looks: {kg_dataset_path}"
    base = tmp_path_factory.mktemp("app-kg")
    yield from _serve(cache, base / "results", base / "streamlit.log")


@pytest.fixture(scope="module")
def browser(chromium_path: Path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)  # national runs and first renders take seconds on shared cores
    ARTIFACTS.mkdir(exist_ok=True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium_path), headless=True, args=ARGS)
        yield browser
        browser.close()


class Session:
    """One user: a browser context that blocks every request not to 127.0.0.1 and collects
    console errors and blocked requests."""

    def __init__(self, browser, width: int = 1500, height: int = 1000) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _route(self, route) -> None:
        host = urllib.parse.urlparse(route.request.url).hostname
        if host in ("127.0.0.1", None):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def open(self, url: str) -> None:
        self.page.goto(url)
        self.page.wait_for_selector(IDLE)

    def check_clean(self) -> None:
        assert not self.blocked, f"requests outside 127.0.0.1: {self.blocked[:5]}"
        assert not self.errors, f"console errors: {self.errors[:5]}"

    def close(self) -> None:
        self.context.close()


def _session(browser, url: str, **viewport: int) -> Session:
    session = Session(browser, **viewport)
    session.open(url)
    return session


@pytest.fixture(scope="module")
def kg(browser, kyrgyz_server: str) -> Iterator[Session]:
    # Warm the fresh server once (imports, dataset, first rendering): the figure for a cold
    # server is benchmarks/bench_app.py's; this session then loads as a user's would.
    warm = _session(browser, kyrgyz_server)
    warm.page.frame_locator(MAP_FRAME).first.locator(".leaflet-container").wait_for()
    warm.close()
    session = _session(browser, kyrgyz_server)
    yield session
    session.close()


@pytest.fixture(scope="module")
def demo(browser, demo_server: str) -> Iterator[Session]:
    # Tall enough that the map needs no scrolling: a click that scrolls the page first lands
    # off target while Streamlit's container is still scrolling.
    session = _session(browser, demo_server, height=1600)
    yield session
    session.close()


@pytest.fixture(autouse=True)
def _screenshot_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    failed_before = request.session.testsfailed
    yield
    if request.session.testsfailed > failed_before:
        for name in ("kg", "demo"):
            if name in request.fixturenames:
                page = request.getfixturevalue(name).page
                page.screenshot(path=str(ARTIFACTS / f"app-FAILED-{request.node.name}.png"), full_page=True)


def _idle(page) -> None:
    page.wait_for_selector(IDLE)


def _map(page, index: int = 0):
    return page.frame_locator(MAP_FRAME).nth(index).locator(".leaflet-container")


def _view(page, name: str) -> None:
    page.get_by_test_id("stRadio").first.get_by_text(name, exact=True).click()
    _idle(page)


def _choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the Streamlit selectbox labelled ``label``."""
    box = page.get_by_test_id("stSelectbox").filter(has=page.get_by_text(label, exact=True)).first
    box.click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option).first.click()
    _idle(page)


def _show_result(page, runs: int) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name="Show the result of").click()
    expect(page.get_by_text(f"Scenario runs: {runs}")).to_be_visible()
    _idle(page)


def _latest_result(results_dir: Path) -> Path:
    folders = [p.parent for p in results_dir.rglob("assignments.csv")]
    assert folders, "no result folder written"
    return max(folders, key=lambda p: p.stat().st_mtime)


def _shot(page, name: str, folder: Path = ARTIFACTS) -> None:
    page.wait_for_timeout(500)  # let Leaflet finish drawing
    page.screenshot(path=str(folder / name), full_page=False)


# ---------------------------------------------------------------------------------------------
# the Kyrgyz dataset


def test_first_screen_is_the_kyrgyz_map(kg: Session, kyrgyz_server: str, record_property) -> None:
    """The first screen is the Kyrgyz map, fitted to the country, with its link. Its speed (target
    5 s on a fresh server) is measured by ``benchmarks/bench_app.py``, not asserted here: a timed
    test fails on a busy machine without anything being wrong (the guide's rule)."""
    from playwright.sync_api import expect

    page = kg.page
    started = time.monotonic()
    page.goto(kyrgyz_server)
    _map(page).wait_for()
    # The background (country, units) is drawn: Leaflet's overlay pane holds the canvas.
    page.frame_locator(MAP_FRAME).first.locator(".leaflet-overlay-pane canvas, .leaflet-overlay-pane svg").first.wait_for()
    seconds = time.monotonic() - started
    _idle(page)
    record_property("first_map_s", round(seconds, 2))
    expect(page.get_by_role("combobox", name="Dataset")).to_have_value(re.compile("Kyrgyz"))
    assert "dataset=kyrgyz" in page.url and "scenario=concept-2013" in page.url  # the view as a link
    # Fitted to the country: Bishkek and Osh are both in view.
    inside = _map(page).evaluate(
        "el => [window.map.getBounds().contains([42.87, 74.59]), window.map.getBounds().contains([40.53, 72.80])]"
    )
    assert inside == [True, True]
    expect(page.get_by_role("button", name="Show the result of")).to_be_visible()  # one click away
    kg.check_clean()


def test_national_result_map(kg: Session) -> None:
    from playwright.sync_api import expect

    page = kg.page
    _show_result(page, runs=1)
    metrics = page.get_by_test_id("stMetric")
    expect(metrics.filter(has_text="New units after")).to_be_visible()
    expect(metrics.filter(has_text="Below the floor of 5,000 people, not exempt")).to_be_visible()  # the floor, printed
    # the headline travel figure is the one the limit applies to; modelled times say they are estimates
    expect(metrics.filter(has_text="Longest travel to the centre in merged units").first).to_contain_text("≈")
    frame = page.frame_locator(MAP_FRAME).first
    expect(frame.locator(".leaflet-control-scale")).to_contain_text("km")  # a metric scale
    _shot(page, "app-national-result.png")
    kg.check_clean()


def test_compare_side_by_side_on_synced_maps(kg: Session) -> None:
    from playwright.sync_api import expect

    page = kg.page
    _view(page, "Compare")
    _choose(page, "Scenario B", "Status quo: no consolidation")  # scenarios by their title
    page.get_by_role("button", name="Compare", exact=True).click()
    table = page.locator("table.atr-figures")
    expect(table).to_be_visible()
    _idle(page)
    expect(_map(page, 0)).to_be_visible()
    expect(_map(page, 1)).to_be_visible()
    a, b = (page.locator(MAP_FRAME).nth(i).bounding_box() for i in (0, 1))
    assert abs(a["y"] - b["y"]) < 5 and b["x"] > a["x"] + a["width"] - 5  # side by side
    # One definition of "below the floor", with the floor of both plans, its definition on hover,
    # no second count; the key figures only, the floor first.
    row = table.locator("tr[data-fig='below_floor_after_non_exempt']")
    expect(row).to_contain_text("Below the floor of 5,000")
    assert "not exempt" in row.locator("span[title]").get_attribute("title")
    expect(table.locator("tr[data-fig='below_floor_after']")).to_have_count(0)
    expect(table.locator("tbody tr").first).to_have_attribute("data-fig", "population_floor")
    fits = table.evaluate("el => el.scrollWidth <= el.parentElement.clientWidth + 1")
    assert fits, "the key-figure table needs sideways scrolling"
    # Pan and zoom the left map: the right one follows.
    fitted = _map(page, 0).evaluate("el => [window.map.getCenter().lat, window.map.getCenter().lng, window.map.getZoom()]")
    _map(page, 0).evaluate("el => { window.map.setView([41.4, 75.9], 9, {animate: false}); }")
    page.wait_for_timeout(300)
    view = _map(page, 1).evaluate("el => [window.map.getZoom(), window.map.getCenter().lat, window.map.getCenter().lng]")
    assert view[0] == 9 and abs(view[1] - 41.4) < 1e-3 and abs(view[2] - 75.9) < 1e-3
    _map(page, 0).evaluate("(el, v) => { window.map.setView([v[0], v[1]], v[2], {animate: false}); }", fitted)
    page.set_viewport_size({"width": 1500, "height": 1500})  # the maps and the key-figure table
    _shot(page, "app-compare.png")
    page.set_viewport_size({"width": 1500, "height": 1000})
    kg.check_clean()


def test_the_optimisers_national_plan_passes_the_plan_check(kg: Session, kyrgyz_server: str, tmp_path: Path) -> None:
    """concept-2013's own plan, uploaded as the help says (``unit_code,new_unit_id``, no centres,
    semicolons and a BOM as Excel writes them): no hard violation, 0 % above the optimum."""
    from playwright.sync_api import expect

    page = kg.page
    folders = [p.parent for p in _results_dir(kyrgyz_server).rglob("scenario.yaml")
               if yaml.safe_load(p.read_text(encoding="utf-8")).get("name") == "concept-2013"]
    assert folders, "no concept-2013 result"
    plan = pd.read_csv(folders[0] / "assignments.csv", dtype=str)[["unit_code", "new_unit_id"]]
    path = tmp_path / "concept-2013-plan.csv"
    path.write_bytes(plan.to_csv(sep=";", index=False, lineterminator="\r\n").encode("utf-8-sig"))
    _view(page, "Check a plan")
    page.get_by_test_id("stFileUploader").filter(has_text="Plan (CSV)").locator('input[type="file"]').set_input_files(str(path))
    expect(page.get_by_test_id("stMetric").filter(has_text="Above the optimum")).to_contain_text("0.0 %")
    _idle(page)
    assert page.get_by_test_id("stAlertContentError").count() == 0
    # its soft shortfalls (units the scenario lets stay below the floor) are a warning
    expect(page.get_by_test_id("stAlertContentWarning").filter(has_text="no hard violation")).to_be_visible()
    _view(page, "Map")
    kg.check_clean()


def test_1024x768_shows_every_kpi_label_and_the_compare_button(browser, kyrgyz_server: str) -> None:
    from playwright.sync_api import expect

    small = _session(browser, kyrgyz_server, width=1024, height=768)
    try:
        page = small.page
        _show_result(page, runs=1)  # the national result is cached: no second solve
        labels = page.get_by_test_id("stMetricLabel")
        expect(labels.first).to_be_visible()
        clipped = labels.evaluate_all(
            "els => els.filter(e => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > window.innerWidth)"
            ".map(e => e.innerText)"
        )
        assert not clipped, f"clipped KPI labels at 1024x768: {clipped}"
        container = _map(page).bounding_box()
        control = page.frame_locator(MAP_FRAME).first.locator(".leaflet-control-layers").bounding_box()
        assert control["width"] * control["height"] < container["width"] * container["height"] / 3
        _view(page, "Compare")
        button = page.get_by_role("button", name="Compare", exact=True)
        expect(button).to_be_visible()
        box = button.bounding_box()
        assert box["x"] + box["width"] <= 1024 and box["width"] >= 60  # whole, not cut off
        _shot(page, "app-1024x768.png")
        small.check_clean()
    finally:
        small.close()


# ---------------------------------------------------------------------------------------------
# the demo: edits, plans, errors, links, users


def _demo_units():
    from atr_model.data.demo import make_demo_dataset

    return make_demo_dataset().units.set_index("unit_code")


def test_demo_is_offered_with_how_to_build_the_real_data(demo: Session) -> None:
    from playwright.sync_api import expect

    expect(demo.page.get_by_text("atr-model quickstart").first).to_be_visible()
    expect(_map(demo.page)).to_be_visible()
    demo.check_clean()


def test_click_a_unit_lock_it_resolve_and_undo(demo: Session, demo_server: str) -> None:
    from playwright.sync_api import expect

    page = demo.page
    _show_result(page, runs=1)
    _shot(page, "app-demo-result-map.png", SCREENSHOTS)
    folder = _latest_result(_results_dir(demo_server))
    first = pd.read_csv(folder / "assignments.csv", dtype=str).set_index("unit_code")
    unit = first[first["status"] == "merged"].index.sort_values()[0]
    units = _demo_units()
    lat_lon = [float(units.at[unit, "centre_lat"]), float(units.at[unit, "centre_lon"])]
    x, y = _map(page).evaluate("(el, ll) => { const p = window.map.latLngToContainerPoint(ll); return [p.x, p.y]; }", lat_lon)
    _map(page).click(position={"x": x, "y": y})
    selected = page.get_by_text("Selected unit:")
    expect(selected).to_be_visible()
    expect(page.get_by_test_id("stMarkdown").filter(has_text="Selected unit:")).to_contain_text(f"({unit})")
    _idle(page)
    assert _outlined(page) == unit  # the selected unit is outlined on the map
    page.get_by_role("button", name="Add lock").click()  # "Keep separate" is the first lock
    expect(page.get_by_text("Edits (1)")).to_be_visible()
    _idle(page)
    zoom_in = page.frame_locator(MAP_FRAME).first.locator(".leaflet-control-zoom-in")
    zoom_in.click()  # the analyst zooms in before re-solving
    page.wait_for_timeout(800)
    _idle(page)
    view = _map(page).evaluate("el => [window.map.getZoom(), window.map.getCenter().lat, window.map.getCenter().lng]")
    page.get_by_role("button", name="Re-solve").click()
    expect(page.get_by_text("Scenario runs: 2")).to_be_visible()
    _idle(page)
    locked = pd.read_csv(_latest_result(_results_dir(demo_server)) / "assignments.csv", dtype=str).set_index("unit_code")
    assert (locked["new_unit_id"] == locked.at[unit, "new_unit_id"]).sum() == 1  # now on its own
    # the new plan is drawn where the analyst was, the unit still outlined
    page.wait_for_function(
        f"() => {{ const f = document.querySelector('{MAP_FRAME}'); const m = f && f.contentWindow.map;"
        f" return m && m.getZoom() === {view[0]}; }}"
    )
    again = _map(page).evaluate("el => [window.map.getZoom(), window.map.getCenter().lat, window.map.getCenter().lng]")
    assert again[0] == view[0] and abs(again[1] - view[1]) < 1e-3 and abs(again[2] - view[2]) < 1e-3, (view, again)
    assert _outlined(page) == unit
    _idle(page)
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_text("Edits (1)")).to_have_count(0)
    _idle(page)
    expect(page.get_by_text("Out of date: settings changed")).to_be_visible()  # the locked plan is marked at once
    page.get_by_role("button", name="Re-solve").click()
    expect(page.get_by_text("Scenario runs: 3")).to_be_visible()
    _idle(page)
    expect(page.get_by_text("Out of date: settings changed")).to_have_count(0)
    expect(page.get_by_test_id("stMetric").filter(has_text="New units after")).to_contain_text(
        str(first["new_unit_id"].nunique())
    )  # back to the first plan
    demo.check_clean()


def _outlined(page) -> str | None:
    """The unit the map outlines as selected (None when none is)."""
    return _map(page).evaluate(
        "el => { const layers = (window.feature_group || []).filter(l => window.map.hasLayer(l));"
        " let code = null; layers.forEach(g => g.eachLayer(l => { code = l.feature.properties.unit_code; }));"
        " return code; }"
    )


def _results_dir(server_url: str) -> Path:
    return RESULTS[server_url]


def _share_of_pixels_differing(png_a: bytes, png_b: bytes) -> float:
    """Share of pixels that differ between two PNGs (1.0 when their sizes differ)."""
    import io

    import numpy as np
    from PIL import Image

    a, b = (np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int) for png in (png_a, png_b))
    if a.shape != b.shape:
        return 1.0
    return float((np.abs(a - b).sum(axis=2) > 30).mean())


def test_map_png_is_the_current_view(demo: Session, demo_server: str) -> None:
    """Zoom the result map in, download the map image: it is the view, not the whole territory."""
    from atr_model.presentation.report import map_png

    page = demo.page
    _view(page, "Map")
    folder = _latest_result(_results_dir(demo_server))
    zoom_in = page.frame_locator(MAP_FRAME).first.locator(".leaflet-control-zoom-in")
    for _ in range(2):  # as a user zooms: the map reports its view once the user moved it
        zoom_in.click()
        page.wait_for_timeout(600)
    page.wait_for_timeout(800)  # the component reports the new view (a rerun)
    _idle(page)
    view = _map(page).evaluate(
        "el => { const b = window.map.getBounds(); return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]; }"
    )
    south, west, north, east = (round(v, 4) for v in view)
    _view(page, "Downloads")
    with page.expect_download() as info:
        page.get_by_role("button", name="Map image (PNG)").click()
    downloaded = Path(info.value.path()).read_bytes()
    assert downloaded[:8] == b"\x89PNG\r\n\x1a\n"
    whole = map_png(folder)
    assert downloaded != whole  # not the whole territory...
    # ...but what the map shows (the view the map reported may be a pixel off the one read here)
    near = _share_of_pixels_differing(downloaded, map_png(folder, bounds=((south, west), (north, east))))
    far = _share_of_pixels_differing(downloaded, whole)
    assert near < 0.1 and near * 4 < far, (near, far)
    _view(page, "Map")
    demo.check_clean()


def test_uploaded_plan_with_two_unknown_codes_names_both(demo: Session, tmp_path: Path, demo_server: str) -> None:
    from playwright.sync_api import expect

    page = demo.page
    _view(page, "Check a plan")
    plan = pd.read_csv(_latest_result(_results_dir(demo_server)) / "assignments.csv", dtype=str)[["unit_code", "new_unit_id"]]
    plan.loc[0, "unit_code"] = "NOPE-001"
    plan.loc[1, "unit_code"] = "NOPE-002"
    path = tmp_path / "my-plan.csv"
    plan.to_csv(path, index=False)
    uploader = page.get_by_test_id("stFileUploader").filter(has_text="Plan (CSV)")
    uploader.locator('input[type="file"]').set_input_files(str(path))
    alert = page.get_by_test_id("stAlertContentError").filter(has_text="my-plan.csv")
    expect(alert).to_contain_text("NOPE-001")
    expect(alert).to_contain_text("NOPE-002")
    _idle(page)
    assert page.locator('[data-testid="stException"]').count() == 0


def test_uploaded_plan_is_checked_against_the_optimum(demo: Session, tmp_path: Path, demo_server: str) -> None:
    from playwright.sync_api import expect

    page = demo.page
    first = pd.read_csv(_latest_result(_results_dir(demo_server)) / "assignments.csv", dtype=str)
    plan = first[["unit_code", "new_unit_id"]].copy()
    plan["new_unit_id"] = plan["unit_code"]  # everyone on their own: the status quo, far from the floor
    path = tmp_path / "status-quo-plan.csv"
    plan.to_csv(path, index=False)
    uploader = page.get_by_test_id("stFileUploader").filter(has_text="Plan (CSV)")
    uploader.locator('input[type="file"]').set_input_files(str(path))
    # under the demo's soft floor the status quo breaks no hard criterion: a warning, not an error box
    expect(page.get_by_test_id("stAlertContentWarning").filter(has_text="no hard violation")).to_be_visible()
    _idle(page)
    assert page.get_by_test_id("stAlertContentError").count() == 0
    expect(page.get_by_test_id("stMetric").filter(has_text="Above the optimum")).to_contain_text("%")
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()  # the violations, one per row
    expect(_map(page)).to_be_visible()
    _shot(page, "app-demo-plan-check.png", SCREENSHOTS)
    demo.check_clean()


def test_the_optimisers_plan_from_excel_passes_and_stays_across_views(demo: Session, tmp_path: Path,
                                                                      demo_server: str) -> None:
    """The optimiser's own plan without centres, saved as Excel in a Russian locale (semicolons,
    BOM): 0 % above the optimum and no error box; it is still there after another view."""
    from playwright.sync_api import expect

    page = demo.page
    _view(page, "Check a plan")
    plan = pd.read_csv(_latest_result(_results_dir(demo_server)) / "assignments.csv", dtype=str)
    path = tmp_path / "optimum-excel.csv"
    path.write_bytes(plan[["unit_code", "new_unit_id"]].to_csv(sep=";", index=False, lineterminator="\r\n")
                     .encode("utf-8-sig"))
    uploader = page.get_by_test_id("stFileUploader").filter(has_text="Plan (CSV)")
    uploader.locator('input[type="file"]').set_input_files(str(path))
    gap = page.get_by_test_id("stMetric").filter(has_text="Above the optimum")
    expect(gap).to_contain_text("0.0 %")
    _idle(page)
    assert page.get_by_test_id("stAlertContentError").count() == 0
    _view(page, "Map")
    _view(page, "Check a plan")
    expect(page.get_by_text("optimum-excel.csv, uploaded earlier")).to_be_visible()
    expect(gap).to_contain_text("0.0 %")
    _idle(page)
    assert page.get_by_test_id("stAlertContentError").count() == 0
    demo.check_clean()


def test_bad_scenario_files_say_where_and_what(demo: Session, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = demo.page
    uploader = page.get_by_test_id("stFileUploader").filter(has_text="scenario file")
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: broken\ncriteria:\n  population_floor: [3000\n", encoding="utf-8")
    uploader.locator('input[type="file"]').set_input_files(str(broken))
    expect(page.get_by_test_id("stAlertContentError").filter(has_text="broken.yaml")).to_contain_text("line 3, column 21")
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    uploader.locator('input[type="file"]').set_input_files(str(empty))
    expect(page.get_by_test_id("stAlertContentError").filter(has_text="empty.yaml")).to_contain_text("is empty")
    _idle(page)
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_shared_link_restores_the_view(browser, demo_server: str) -> None:
    from playwright.sync_api import expect

    other = _session(browser, f"{demo_server}/?dataset=demo&scenario=status-quo&lang=ru")
    try:
        expect(other.page.get_by_text("Сценарии административно-территориальной реформы")).to_be_visible()
        # the scenario box shows the linked file's title in the linked language
        title_ru = yaml.safe_load((ROOT / "scenarios" / "status-quo.yaml").read_text(encoding="utf-8"))["title_ru"]
        expect(other.page.get_by_role("combobox", name="Сценарий")).to_have_value(title_ru)
        other.check_clean()
    finally:
        other.close()


def test_two_users_do_not_share_edits(browser, demo_server: str) -> None:
    from playwright.sync_api import expect

    first = _session(browser, demo_server)
    second = _session(browser, demo_server)
    try:
        for session in (first, second):
            session.page.get_by_label("Find a unit").fill("DEMO-01-01-002")
            session.page.keyboard.press("Enter")
            _idle(session.page)
            expect(session.page.get_by_text("Selected unit:")).to_be_visible()
        first.page.get_by_role("button", name="Add lock").click()
        expect(first.page.get_by_text("Edits (1)")).to_be_visible()
        second.page.reload()
        _idle(second.page)
        second.page.get_by_label("Find a unit").fill("DEMO-01-01-002")
        second.page.keyboard.press("Enter")
        _idle(second.page)
        expect(second.page.get_by_text("Selected unit:")).to_be_visible()
        expect(second.page.get_by_text("Edits (1)")).to_have_count(0)
        first.check_clean()
        second.check_clean()
    finally:
        first.close()
        second.close()
