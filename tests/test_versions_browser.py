"""Plan versions and the population-balance chart in real Chromium on the Kyrgyz build (issue 23).

One page, one session, as an analyst works: run Concept 2013 on Talas oblast; the map shows the
population-balance chart beside the new units, and hovering a bar outlines that new unit on the
map (asserted on the Leaflet layers' style, and undone when the pointer leaves); the screenshot
of the chart beside the map goes to the notes. Then, in the Versions view: save the plan as
"v1", switch to the Lenient scenario, run it and save it as "v2", compare the two in the Compare
view, export the versions file, delete both versions and import the file again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import CHROMIUM_ARGS, MAP_FRAME, app_env, serve_streamlit

from atr_model.presentation.app.balance_panel import HIGHLIGHT_STYLE, PANEL_CLASS
from atr_model.scenarios.plan_versions import FORMAT

pytestmark = [pytest.mark.browser, pytest.mark.kgdata]

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
NOTES_SHOT = Path("/work/notes/screenshots/balance-chart.png")
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'
TIMEOUT_MS = 180_000
KG_IN_CACHE = Path("kyrgyzstan") / "kyrgyzstan.gpkg"
TALAS_OBLAST = "41707000000000"

#: The style of every map feature of new unit ``id``, and the id the panel says it outlines.
STYLES_JS = """(el, id) => {
    const styles = [];
    window.map.eachLayer(l => {
        const p = l.feature && l.feature.properties;
        if (p && String(p.new_unit_id) === id && l.options) styles.push([l.options.color, l.options.weight]);
    });
    return {lit: window.atrBalanceLit || null, styles: styles};
}"""


@pytest.fixture(scope="module")
def server(kg_dataset_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    cache = kg_dataset_path.parent.parent
    assert kg_dataset_path == cache / KG_IN_CACHE, f"the Kyrgyz build is not where the app looks: {kg_dataset_path}"
    base = tmp_path_factory.mktemp("app-versions")
    env = app_env(ATR_APP_RESULTS=str(base / "results"), ATR_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    with serve_streamlit(Path("app.py"), cwd=ROOT, env=env, log_path=base / "streamlit.log",
                         extra_args=["--server.fileWatcherType", "none"]) as url:
        yield url


@pytest.fixture(scope="module")
def browser(chromium_path: Path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _idle(page) -> None:
    page.wait_for_selector(IDLE)


def _no_error_box(page, what: str) -> None:
    assert page.get_by_test_id("stException").count() == 0, f"{what}: an exception box"
    errors = page.get_by_test_id("stAlertContentError").all_inner_texts()
    assert not errors, f"{what}: {errors[0][:300]}"


def _view(page, name: str) -> None:
    page.get_by_test_id("stRadio").first.locator("label").filter(has_text=re.compile(f"^{name}$")).click()
    _idle(page)


def _run(page) -> None:
    page.get_by_test_id("stSidebar").get_by_role("button", name="Run scenario").click()
    _idle(page)
    _no_error_box(page, "run")


def _save(page, name: str, note: str) -> None:
    form = page.get_by_test_id("stForm")
    form.get_by_label("Name").fill(name)
    form.get_by_label("Note").fill(note)
    form.get_by_role("button", name="Save version").click()
    _idle(page)
    _no_error_box(page, f"save {name}")
    page.get_by_text(f"Version '{name}' saved.").wait_for()


def _hover_a_bar(page) -> None:
    """Hover a merged new unit's bar: that unit, and only it, is outlined on the map; leaving restores it."""
    # the whole map in view before the pointer moves (nothing scrolls after it)
    page.locator(MAP_FRAME).first.evaluate("el => el.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)
    frame = page.frame_locator(MAP_FRAME).first
    bars = frame.locator(f".{PANEL_CLASS} g.atr-bar")
    bars.first.wait_for()
    bar = frame.locator(f".{PANEL_CLASS} g.atr-bar[data-category='merged']").first
    uid = bar.get_attribute("data-new-unit")
    assert uid
    container = frame.locator(".leaflet-container")
    before = container.evaluate(STYLES_JS, uid)
    assert before["lit"] is None and before["styles"]
    assert all(colour != HIGHLIGHT_STYLE["color"] for colour, _ in before["styles"])
    bar.hover()
    lit = container.evaluate(STYLES_JS, uid)
    assert lit["lit"] == uid
    assert lit["styles"] and all(s == [HIGHLIGHT_STYLE["color"], HIGHLIGHT_STYLE["weight"]] for s in lit["styles"])
    other = bars.nth(0).get_attribute("data-new-unit")
    if other != uid:  # another new unit keeps its own style
        assert all(colour != HIGHLIGHT_STYLE["color"] for colour, _ in container.evaluate(STYLES_JS, other)["styles"])
    # the chart beside the new units, one of them outlined from its bar (the map frame as shown)
    # (a clip of the page: an element screenshot would scroll it and move the bar from under the pointer)
    NOTES_SHOT.parent.mkdir(parents=True, exist_ok=True)
    box = page.locator(MAP_FRAME).first.bounding_box()
    assert box is not None
    for path in (NOTES_SHOT, ARTIFACTS / "app-balance-chart.png"):
        page.screenshot(path=str(path), clip=box)
    assert container.evaluate(STYLES_JS, uid)["lit"] == uid  # what the picture shows
    page.mouse.move(5, 5)
    after = container.evaluate(STYLES_JS, uid)
    assert after["lit"] is None and after["styles"] == before["styles"]


def test_balance_chart_hover_and_versions_saved_compared_exported_imported(browser, server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1500, "height": 1300}, accept_downloads=True)
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("http://127.0.0.1:")
                  else route.abort())
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{server}/?territory={TALAS_OBLAST}&scenario=concept-2013&lang=en")
        _idle(page)
        _run(page)
        _hover_a_bar(page)

        _view(page, "Versions")
        _save(page, "v1", "Concept 2013 as solved")
        box = page.get_by_test_id("stSelectbox").filter(has=page.get_by_text("Scenario", exact=True)).first
        box.click()
        page.get_by_role("option", name=re.compile("^Lenient")).click()
        _idle(page)
        _run(page)
        _save(page, "v2", "Lenient floor")
        expect(page.get_by_text("2 version(s) of this dataset")).to_be_visible()

        page.get_by_role("button", name="Compare in the Compare view").click()
        _idle(page)
        _no_error_box(page, "compare")
        expect(page.get_by_text("Compare two scenarios")).to_be_visible()
        table = page.locator("table.atr-figures").first
        expect(table).to_contain_text("A: Version: v1")
        expect(table).to_contain_text("B: Version: v2")

        _view(page, "Versions")
        with page.expect_download() as info:
            page.get_by_test_id("stDownloadButton").filter(has_text="Export all versions").click()
        exported = tmp_path / "versions.json"
        info.value.save_as(str(exported))
        payload = json.loads(exported.read_text(encoding="utf-8"))
        assert payload["format"] == FORMAT and [v["name"] for v in payload["versions"]] == ["v1", "v2"]
        assert payload["versions"][0]["note"] == "Concept 2013 as solved"
        # delete both; each time the list says what is left before the next click (a click during
        # the rerun would be lost)
        for left in ("1 version(s) of this dataset", "No version saved yet."):
            page.get_by_role("button", name="Delete").click()
            expect(page.get_by_text(left)).to_be_visible()
            _idle(page)
        uploader = page.get_by_test_id("stFileUploader").filter(has_text="Import a versions file")
        uploader.locator('input[type="file"]').set_input_files(str(exported))
        _idle(page)
        _no_error_box(page, "import")
        expect(page.get_by_text("2 version(s) imported from versions.json.")).to_be_visible()
        expect(page.get_by_text("2 version(s) of this dataset")).to_be_visible()
        assert not errors, f"page errors {errors[:3]}"
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "app-FAILED-versions.png"), full_page=True)
        raise
    finally:
        context.close()
