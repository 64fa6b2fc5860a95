"""The national result map of the Kyrgyz build in real headless Chromium, with no internet.

The map is saved as an HTML file and served from 127.0.0.1; every request to any other host is
blocked, and any console error fails the test. Set ``ATR_SAVE_SCREENSHOTS=1`` to also keep the
screenshots in ``test-artifacts/`` (they are drawn from the shared Kyrgyz data, so they are never
committed).
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import CHROMIUM_ARGS as ARGS

from atr_model.presentation import maps
from atr_model.scenarios import load_scenario, resolve_travel_model, run_scenario

pytestmark = [pytest.mark.browser, pytest.mark.kgdata]

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "test-artifacts"
#: The Leaflet map object of a saved folium page (its variable is ``map_<id>``).
MAP_JS = "Object.keys(window).filter(k => k.startsWith('map_') && window[k] && window[k].setView).map(k => window[k])[0]"


@pytest.fixture(scope="module")
def national_page(kg_dataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    scenario = load_scenario(ROOT / "scenarios" / "concept-2013.yaml")
    travel = resolve_travel_model(scenario, kg_dataset)
    result = run_scenario(scenario, dataset=kg_dataset, travel_model=travel)
    fmap = maps.result_map(
        maps.display_layers(kg_dataset), result.assignments, new_units=result.new_units,
        lang="en", travel_model_label=travel.label,
    )
    folder = tmp_path_factory.mktemp("national-map")
    fmap.save(str(folder / "national.html"))
    return folder / "national.html"


@pytest.fixture(scope="module")
def local_url(national_page: Path) -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(national_page.parent))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{national_page.name}"
    finally:
        server.shutdown()
        server.server_close()


def _save(shot: Path) -> None:
    if os.environ.get("ATR_SAVE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, SCREENSHOTS / shot.name)


def _hover_highlights_the_whole_new_unit(page) -> None:
    """Point at a member unit: its whole new unit gets the highlight outline and the tooltip
    shows the unit, then the new unit's passport headed "Centre + N"."""
    box = page.locator(".leaflet-container").bounding_box()
    candidates = page.evaluate(
        f"""() => {{
            const m = {MAP_JS}; const out = [];
            m.eachLayer(l => {{
                if (l.feature && l.feature.properties && l.feature.properties.group && l.getBounds) {{
                    const b = l.getBounds(); const p = m.latLngToContainerPoint(b.getCenter());
                    const a = m.latLngToContainerPoint(b.getNorthWest()), c = m.latLngToContainerPoint(b.getSouthEast());
                    out.push([(c.x - a.x) * (c.y - a.y), p.x, p.y, l.feature.properties.group]);
                }}
            }});
            return out.sort((u, v) => v[0] - u[0]).slice(0, 12);
        }}"""
    )
    for _area, x, y, group in candidates:
        page.mouse.move(box["x"] + x, box["y"] + y)
        page.wait_for_timeout(150)
        tip = page.locator(".leaflet-tooltip")
        if tip.count() and re.search(r" \+ \d+", tip.first.inner_text()):
            weight = page.evaluate(
                f"""() => {{ let w = null; {MAP_JS}.eachLayer(l => {{
                    if (l.feature && l.feature.id === {group!r} && l.getLatLngs
                        && !l.feature.properties.group) {{ w = l.options.weight; }} }}); return w; }}"""
            )
            assert weight == 3.2, (group, weight)  # the highlight style of the whole new unit
            assert " — " in tip.first.inner_text()  # "<unit> — <status>" first, as the app reads it
            page.mouse.move(box["x"] + 5, box["y"] + box["height"] - 5)
            return
    pytest.fail(f"no member unit under the pointer showed its new unit's passport: {candidates[:3]}")


def test_national_result_map_renders_offline_with_relief_labels_and_metric_scale(
    local_url: str, tmp_path: Path, chromium_path: Path,
):
    from playwright.sync_api import expect, sync_playwright

    errors: list[str] = []
    blocked: list[str] = []

    def route(r):  # only 127.0.0.1 answers; data: URLs never reach the network
        if r.request.url.startswith("http://127.0.0.1:"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium_path), headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1024, "height": 768})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.route("**/*", route)
            page.goto(local_url)
            expect(page.locator(".leaflet-container")).to_be_visible(timeout=5000)
            # the relief: the hillshade image has loaded (offline, from the page itself)
            page.wait_for_function(
                "() => { const i = document.querySelector('.leaflet-hillshade-pane img');"
                " return i && i.complete && i.naturalWidth > 500; }",
                timeout=5000,
            )
            # fitted to the country: the units fill most of the frame's width
            width = page.evaluate(f"() => {{ const m = {MAP_JS}; const b = m.getBounds(); return b.getEast() - b.getWest(); }}")
            assert 11.0 < width < 14.0  # Kyrgyzstan spans 69.3-80.3 E
            scale = page.locator(".leaflet-control-scale-line").all_inner_texts()
            assert len(scale) == 1 and re.fullmatch(r"\d+ k?m", scale[0]), scale  # metric only
            # the legend is collapsed on a 1024x768 screen and opens on a click
            assert page.evaluate("() => document.querySelector('.atr-legend details').open") is False
            page.locator(".atr-legend summary").click()
            assert page.evaluate("() => document.querySelector('.atr-legend details').open") is True
            page.locator(".atr-legend summary").click()
            national_labels = page.locator(".atr-label.new-unit span").count()
            national_places = page.locator(".atr-label.settlement").count()
            assert national_places <= 25  # at national zoom only the largest towns are named
            page.screenshot(path=str(tmp_path / "national-map.png"))
            _hover_highlights_the_whole_new_unit(page)
            # closer zoom (Jalal-Abad): more new-unit names fit, and settlement names appear
            page.evaluate(f"() => {{ {MAP_JS}.setView([41.0, 72.9], 10, {{animate: false}}); }}")
            page.wait_for_function(
                f"() => document.querySelectorAll('.atr-label.settlement').length > {national_places}", timeout=5000
            )
            texts = page.locator(".atr-label.new-unit span").all_inner_texts()
            assert len(texts) > national_labels, (national_labels, len(texts))
            assert all(re.fullmatch(r".+ \+ \d+", text) for text in texts), texts
            page.screenshot(path=str(tmp_path / "national-map-zoom10.png"))
        finally:
            browser.close()
    assert errors == [], errors
    assert blocked == [], blocked
    _save(tmp_path / "national-map.png")
    _save(tmp_path / "national-map-zoom10.png")


def _pointer_at(page, lat: float, lon: float, zoom: float) -> tuple[float, float]:
    """Centre the map on a point at ``zoom``; the page coordinates of that point."""
    box = page.locator(".leaflet-container").bounding_box()
    x, y = page.evaluate(
        f"""() => {{ const m = {MAP_JS}; m.setView([{lat}, {lon}], {zoom}, {{animate: false}});
            const p = m.latLngToContainerPoint([{lat}, {lon}]); return [p.x, p.y]; }}"""
    )
    page.wait_for_timeout(300)
    return box["x"] + x, box["y"] + y


def test_unplaced_land_tells_its_tooltip_and_exclave_outlines_let_clicks_through(
    kg_dataset, local_url: str, chromium_path: Path,
):
    """Raion land held by no unit answers the pointer with its tooltip; a click inside a unit's
    exclave, under the thick dashed outline, opens the unit's popup with the reason."""
    from playwright.sync_api import sync_playwright

    territories = kg_dataset.metadata["report"]["territories"]
    held = {u["unit_code"] for u in territories["raion_exclave_units"]}
    exclaves = [p for p in territories["raion_pieces"] if not p["largest"] and held & set(p["units"])]
    unplaced = max((p for p in territories["raion_pieces"] if p["unplaced"]), key=lambda p: p["area_km2"])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium_path), headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1024, "height": 768})
            page.goto(local_url)
            page.locator(".leaflet-container").wait_for(timeout=5000)
            x, y = _pointer_at(page, unplaced["lat"], unplaced["lon"], 9)
            page.mouse.move(x, y)
            tip = page.locator(".leaflet-tooltip")
            tip.first.wait_for(timeout=3000)
            assert "held by no aiyl aimak in the open data" in tip.first.inner_text()
            assert len(exclaves) == len(held)
            for piece in exclaves:
                x, y = _pointer_at(page, piece["lat"], piece["lon"], 12)
                page.mouse.click(x, y)
                popup = page.locator(".leaflet-popup-content")
                popup.first.wait_for(timeout=3000)
                text = popup.first.inner_text()
                assert "holds an exclave" in text and "Territory" in text, text
                page.locator(".leaflet-popup-close-button").first.click()
        finally:
            browser.close()
