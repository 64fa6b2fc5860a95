"""The self-contained HTML report: content, offline, deterministic; rendered in headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import extras_fixtures as fx
import pytest
from browser_support import CHROMIUM_ARGS as ARGS

from atr_model.presentation.report import render_comparison, render_report, write_report
from atr_model.presentation.view import figure_rows
from atr_model.scenarios.compare import compare_results
from atr_model.scenarios.package_files import load_result_files

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture()
def package(tmp_path: Path) -> Path:
    return fx.write_package(tmp_path / "p", fx.merged_partition(), exempt={"U23": "border: 3.2 km < 10 km"})


def test_report_is_self_contained_and_complete(package: Path) -> None:
    text = render_report(package)
    files = load_result_files(package)
    # offline: nothing is fetched (no external src/href, no script at all)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "<script" not in text
    assert text.count("<svg") == 2
    assert text.count("class='passport'") == len(files.new_units)
    for nid in files.new_units["new_unit_id"]:
        assert f"id='nu-{nid}'" in text
    assert "border: 3.2 km &lt; 10 km" in text  # exempt unit with its reason
    assert "class='num est'" in text or 'class="num est"' in text  # estimated population marked
    assert "Demo data" in text
    assert "@media print" in text


def test_report_is_deterministic(package: Path) -> None:
    assert render_report(package) == render_report(package)


def test_write_report_into_package(package: Path) -> None:
    path = write_report(package)
    assert path == package / "report.html"
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_comparison_page_lists_changed_units(tmp_path: Path) -> None:
    a = load_result_files(fx.write_package(tmp_path / "a", fx.merged_partition(), name="a"))
    edited = dict(fx.merged_partition(), U00="U00")
    b = load_result_files(fx.write_package(tmp_path / "b", edited, name="b"))
    page = render_comparison(compare_results(a, b), a, b)
    assert "<svg" in page and "Units assigned differently" in page
    assert "<td>U00</td>" in page and "<td>U01</td>" in page and "<td>U10</td>" not in page


@pytest.mark.browser
def test_report_renders_in_headless_chromium(package: Path, chromium_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    path = write_report(package)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium_path), headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 1600})
            page.goto(path.as_uri())
            first_map = page.locator("figure.map svg").first
            expect(first_map).to_be_visible()
            box = first_map.bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 150
            expect(page.locator("#passports")).to_be_visible()
            assert page.locator("section.passport").count() == 6
            expect(page.get_by_role("heading", name="Key figures")).to_be_visible()
            kpi_rows = page.locator("#kpis + table tbody tr")
            # one row per key figure of the result view, as on every other surface
            expected = [row.key for row in figure_rows(load_result_files(package).kpis, "en")]
            assert [kpi_rows.nth(i).get_attribute("data-fig") for i in range(kpi_rows.count())] == expected
            expect(kpi_rows.first).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "report_fixture.png"), full_page=True)
            page.emulate_media(media="print")
            page.pdf(path=str(ARTIFACTS / "report_fixture.pdf"), format="A4")
        finally:
            browser.close()
    assert (ARTIFACTS / "report_fixture.png").stat().st_size > 10_000
