"""The app's map with no internet and no setup: ``streamlit run app.py`` from another folder,
without ``ATR_OFFLINE_ASSETS`` and without static file serving, every request to a host other
than 127.0.0.1 blocked, and any console error a failure."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import CHROMIUM_ARGS as ARGS
from browser_support import MAP_FRAME, app_env, serve_streamlit

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
#: The map must show this soon after the page has loaded. This server starts with an empty cache
#: folder, so it also draws the demo's relief and display layers on the first page (3-5 s
#: measured at load average 4); the 5 s target of issue 15 is checked on the Kyrgyz first screen
#: (tests/test_app_browser.py); the demo's relief is drawn anew in each server process.
FIRST_MAP_S = float(os.environ.get("ATR_OFFLINE_MAP_S", "10"))


@pytest.fixture(scope="module")
def bare_server(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[str]:
    elsewhere = tmp_path_factory.mktemp("elsewhere")  # no .streamlit/config.toml, no static/ here
    env = app_env(
        ATR_APP_RESULTS=str(tmp_path_factory.mktemp("results")),
        ATR_CACHE_DIR=str(tmp_path_factory.mktemp("cache")),  # only the demo is offered
        PYTHONPATH=str(ROOT),
    )
    with serve_streamlit(
        ROOT / "app.py", cwd=elsewhere, env=env, log_path=elsewhere / "streamlit.log", timeout_s=60,
        extra_args=["--server.headless", "true", "--browser.gatherUsageStats", "false",
                    "--server.fileWatcherType", "none", "--server.enableStaticServing", "false"],
    ) as url:
        yield url


def test_app_map_with_relief_shows_offline_without_any_setup(bare_server: str, tmp_path: Path, chromium_path: Path):
    from playwright.sync_api import expect, sync_playwright

    errors: list[str] = []
    blocked: list[str] = []

    def route(r):
        if r.request.url.startswith("http://127.0.0.1:"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium_path), headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1024, "height": 768})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.route("**/*", route)
            page.on("requestfailed", lambda r: errors.append(f"{r.url[:120]} {r.failure}"))
            page.goto(bare_server)
            started = time.monotonic()
            frame = page.frame_locator(MAP_FRAME).first
            expect(frame.locator(".leaflet-container")).to_be_visible(timeout=int(FIRST_MAP_S * 1000))
            shown_s = time.monotonic() - started
            expect(frame.locator(".leaflet-hillshade-pane img")).to_have_count(1, timeout=5000)
            loaded = frame.locator(".leaflet-hillshade-pane img").evaluate("i => i.complete && i.naturalWidth > 100")
            assert loaded
            scale = frame.locator(".leaflet-control-scale-line").all_inner_texts()
            assert len(scale) == 1 and scale[0].endswith(("km", " m")), scale
            page.screenshot(path=str(tmp_path / "app-offline.png"))
        finally:
            browser.close()
    assert shown_s <= FIRST_MAP_S
    assert errors == [], errors
    assert blocked == [], blocked
