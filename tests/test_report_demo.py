"""The report of a real demo run, opened in headless Chromium (map, tables, passports)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser_support import CHROMIUM_ARGS as ARGS
from extras_runs import run_demo

from atr_model.presentation.runs import save_result

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = save_result(run_demo("cross-raion"), tmp_path_factory.mktemp("report") / "cross-raion")
    return folder / "report.html"


def test_demo_report_content(demo_report: Path) -> None:
    text = demo_report.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "Demo data" in text
    assert "жаратылыштык-ландшафтык шарттар" in text  # criterion 1, Kyrgyz original
    assert "resolution No. 198" in text  # attribution
    assert "Estimated administrative savings" in text or "admin_savings" in text
    assert text.count("<svg") == 2


@pytest.mark.browser
def test_demo_report_renders_in_headless_chromium(demo_report: Path, chromium_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium_path), headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 1600})
            page.goto(demo_report.as_uri())
            maps = page.locator("figure.map svg")
            assert maps.count() == 2
            expect(maps.first).to_be_visible()
            box = maps.first.bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 150
            # the map really has drawn shapes (one path per new unit at least)
            assert maps.first.locator("path").count() > 10
            expect(page.get_by_role("heading", name="Key figures")).to_be_visible()
            assert page.locator("#kpis + table tbody tr").count() >= 9
            assert page.locator("section.passport").count() > 10
            page.locator("figure.map").first.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "report_demo.png"), full_page=False)
            page.screenshot(path=str(ARTIFACTS / "report_demo_full.png"), full_page=True)
        finally:
            browser.close()
    assert (ARTIFACTS / "report_demo.png").stat().st_size > 20_000
