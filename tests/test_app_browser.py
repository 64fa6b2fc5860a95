"""The Streamlit app in real headless Chromium (Playwright + Debian's /usr/bin/chromium).

One Streamlit server and one browser page for the whole module; the tests run in order and
build on each other (start -> run the demo -> compare -> lock a unit -> bad upload), like an
analyst's session. Maps load the vendored Leaflet (ATR_OFFLINE_ASSETS=1, no tiles), so the
tests need no network. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
TIMEOUT_MS = 60_000
SCENARIO = "demo"
#: What earlier tests of the session leave for later ones (the tests run in file order).
SESSION: dict[str, Path] = {}  # scenarios/demo.yaml: the Concept's criteria on the fictional demo territory


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("app-results")


@pytest.fixture(scope="module")
def server(results_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get update && apt-get install -y chromium")
    port = _free_port()
    env = {
        **os.environ,
        "ATR_OFFLINE_ASSETS": "1",
        "ATR_APP_RESULTS": str(results_dir),
        "ATR_CACHE_DIR": str(tmp_path_factory.mktemp("app-cache")),  # only the demo is offered
        "PYTHONPATH": str(ROOT),
    }
    log = open(results_dir.parent / "streamlit.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", "--server.enableStaticServing", "true"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("Streamlit did not become healthy within 60 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def page(server: str):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)  # runs and first map renders take seconds on 2 shared cores
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(server)
        page.wait_for_selector(IDLE)
        yield page
        browser.close()


@pytest.fixture(autouse=True)
def _screenshot_on_failure(request: pytest.FixtureRequest, page) -> Iterator[None]:
    failed_before = request.session.testsfailed
    yield
    if request.session.testsfailed > failed_before:  # the call phase is reported before teardown
        page.screenshot(path=str(ARTIFACTS / f"app-FAILED-{request.node.name}.png"), full_page=True)


def _idle(page) -> None:
    page.wait_for_selector(IDLE)


def _map(page):
    return page.frame_locator(MAP_FRAME).first.locator(".leaflet-container")


def _choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the Streamlit selectbox labelled ``label``."""
    # exact label: "Unit" must not pick the sidebar's "N units counts"
    box = page.get_by_test_id("stSelectbox").filter(has=page.get_by_text(label, exact=True)).first
    box.click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option).first.click()
    _idle(page)


def _view(page, name: str) -> None:
    page.get_by_test_id("stRadio").get_by_text(name, exact=True).click()
    _idle(page)


def _shot(page, name: str) -> None:
    page.wait_for_timeout(400)  # let Leaflet finish drawing
    page.screenshot(path=str(ARTIFACTS / f"app-{name}.png"), full_page=True)


def _latest_result(results_dir: Path) -> Path:
    folders = [p.parent for p in results_dir.rglob("assignments.csv")]
    assert folders, "no result folder written"
    return max(folders, key=lambda p: p.stat().st_mtime)


def test_app_starts_with_the_demo_map(page) -> None:
    from playwright.sync_api import expect

    expect(page.get_by_text("Administrative-territorial reform scenarios")).to_be_visible()
    expect(_map(page)).to_be_visible()
    expect(page.frame_locator(MAP_FRAME).first.locator(".atr-legend")).to_contain_text("Legend")
    # The vendored Leaflet was used: no tile layer, no CDN.
    expect(page.frame_locator(MAP_FRAME).first.locator(".leaflet-tile")).to_have_count(0)
    _shot(page, "01-start")


def test_demo_scenario_runs_and_shows_map_and_kpis(page, results_dir: Path) -> None:
    from playwright.sync_api import expect

    _choose(page, "Scenario", SCENARIO)
    page.get_by_role("button", name="Run scenario").click()
    expect(page.get_by_text("Scenario runs: 1")).to_be_visible()
    _idle(page)
    expect(page.get_by_test_id("stMetric").filter(has_text="Units after")).to_be_visible()
    expect(_map(page)).to_be_visible()
    frame = page.frame_locator(MAP_FRAME).first
    expect(frame.locator(".leaflet-control-layers")).to_contain_text("Proposed new units")
    SESSION["run"] = _latest_result(results_dir)
    assignments = pd.read_csv(SESSION["run"] / "assignments.csv")
    n_after = assignments["new_unit_id"].nunique()
    expect(page.get_by_test_id("stMetric").filter(has_text="Units after")).to_contain_text(str(n_after))
    assert len(assignments) > n_after  # the demo merges something
    from atr_model.data.demo import make_demo_dataset

    units = make_demo_dataset().units.set_index("unit_code")
    merged = assignments[assignments["status"] == "merged"].sort_values("unit_code").iloc[0]
    lat_lon = [float(units.at[merged["unit_code"], "centre_lat"]), float(units.at[merged["unit_code"], "centre_lon"])]
    x, y = _map(page).evaluate("(el, ll) => { const p = window.map.latLngToContainerPoint(ll); return [p.x, p.y]; }", lat_lon)
    _map(page).click(position={"x": x, "y": y})
    popup = frame.locator(".leaflet-popup-content")
    expect(popup).to_contain_text(str(merged["unit_code"]))  # the unit's popup: status, reason, new unit
    expect(popup).to_contain_text("merged")
    expect(popup).to_contain_text("Reason")
    _shot(page, "02-result")


def test_compare_two_scenarios_shows_differing_units(page) -> None:
    from playwright.sync_api import expect

    _view(page, "Compare")
    _choose(page, "Scenario B", "status-quo")
    page.get_by_role("button", name="Compare", exact=True).click()
    expect(page.get_by_text("Units that differ:")).to_be_visible()
    _idle(page)
    text = page.get_by_text("Units that differ:").first.inner_text()
    assert int(text.rsplit(":", 1)[1]) > 0
    expect(_map(page)).to_be_visible()
    expect(page.frame_locator(MAP_FRAME).first.locator(".atr-legend")).to_contain_text("Units that differ")
    _shot(page, "03-compare")


def test_a_lock_changes_the_result(page, results_dir: Path) -> None:
    from playwright.sync_api import expect

    before = pd.read_csv(SESSION["run"] / "assignments.csv", dtype=str)
    merged = before[before["status"] == "merged"].sort_values("unit_code").iloc[0]
    _view(page, "Manual edits")
    _choose(page, "Unit", f"({merged['unit_code']})")
    page.get_by_test_id("stRadio").get_by_text("Keep separate", exact=True).click()
    _idle(page)
    page.get_by_role("button", name="Add edit").click()
    _idle(page)
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    page.get_by_role("button", name="Re-solve").click()
    expect(page.get_by_text("Scenario runs: 2")).to_be_visible()
    _idle(page)
    expect(page.get_by_text("Units that differ:").first).to_be_visible()
    after = pd.read_csv(_latest_result(results_dir) / "assignments.csv", dtype=str).set_index("unit_code")
    unit = merged["unit_code"]
    assert (after["new_unit_id"] == after.at[unit, "new_unit_id"]).sum() == 1  # now on its own
    _shot(page, "04-lock")


def test_bad_scenario_upload_shows_a_message(page, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    bad = tmp_path / "typo.yaml"
    bad.write_text("name: typo\ndataset: demo\ncriteria:\n  population_treshold: 3000\n", encoding="utf-8")
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(bad))
    alert = page.get_by_test_id("stAlertContentError").filter(has_text="typo.yaml")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("population_treshold")
    _idle(page)
    assert page.locator('[data-testid="stException"]').count() == 0  # a message, not a traceback
    _shot(page, "05-bad-upload")


def test_kyrgyz_interface(page) -> None:
    from playwright.sync_api import expect

    _choose(page, "Language", "Кыргызча")
    expect(page.get_by_text("Административдик-аймактык реформанын сценарийлери")).to_be_visible()
    _view(page, "Карта")
    expect(page.frame_locator(MAP_FRAME).first.locator(".atr-legend")).to_contain_text("Белгилер")
    _shot(page, "06-kyrgyz")
