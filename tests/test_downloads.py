"""Downloads for a Council meeting: the summary beside the report, the ZIP, the YAML, the PNG."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import yaml

from atr_model.presentation.app import datasets, downloads, scenario_io
from atr_model.presentation.i18n import STRINGS, t
from atr_model.presentation.maps.palette import CATEGORY_COLOURS
from atr_model.presentation.view import figure_row_html, figure_rows

ROOT = Path(__file__).resolve().parents[1]
DEMO_YAML = ROOT / "scenarios" / "demo.yaml"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo scenario run as the CLI runs it (package, exports, report, summary)."""
    from atr_model.presentation.runs import run_to_folder

    return run_to_folder(DEMO_YAML, tmp_path_factory.mktemp("runs") / "demo", data="demo")


def test_summary_is_written_with_the_result(demo_run: Path) -> None:
    from atr_model.data.demo import make_demo_dataset

    page = (demo_run / "summary.html").read_text(encoding="utf-8")
    assert (demo_run / "report.html").exists()
    assert "@page{size:A4" in page.replace(" ", "")
    kpis = json.loads((demo_run / "kpis.json").read_text(encoding="utf-8"))
    # key figures: the result view's rows, as on every surface (units before and after as in kpis.json)
    for row in figure_rows(kpis, "en"):
        assert figure_row_html(row) in page, row.key
    assert {r.key: r.text for r in figure_rows(kpis, "en")}["units_after"] == str(kpis["units_after"])
    # decisions by raion: each raion with a merger named, with its centre and the units joining it
    a = pd.read_csv(demo_run / "assignments.csv", dtype=str)
    raions = make_demo_dataset().raions.set_index("raion_code")["name_en"]
    merged = a[a["status"] == "merged"]
    assert len(merged)
    for raion in merged["raion_code"].unique():
        assert raions[raion] in page, raion
    for row in merged.itertuples():
        centre = a.loc[a["unit_code"] == row.centre_code, "unit_name"].iloc[0]
        assert f"<b>{centre}</b> ←" in page and row.unit_name in page
    # the estimate notes and the map
    assert t("report.quality_title", "en") in page
    assert t("summary.decisions", "en") in page
    assert page.count("<svg") == 1
    assert "<script" not in page


def test_zip_holds_every_file_and_both_reports(demo_run: Path, tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "copy"
    shutil.copytree(demo_run, folder)
    (folder / "report.html").unlink()  # as the app writes its folders: report left to the first request
    (folder / "summary.html").unlink()
    data = downloads.download_zip(folder, "ru", {"DEMO-01-01": "Кара-Демо"})
    listed = zipfile.ZipFile(io.BytesIO(data)).namelist()
    # one folder, named after the scenario and its title in the language asked, never the result's hash
    title_ru = yaml.safe_load(DEMO_YAML.read_text(encoding="utf-8"))["title_ru"]
    assert {n.split("/", 1)[0] for n in listed} == {f"demo - {title_ru.replace(':', ' ').replace('  ', ' ')}"}
    names = {Path(n).name for n in listed}
    assert {"report.html", "summary.html", "report-ru.html", "summary-ru.html"} <= names
    # every file of the result (the output marker, a dotfile, says whose folder it is: not a result file)
    assert {p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")} <= names
    ru = (folder / "summary-ru.html").read_text(encoding="utf-8")
    assert t("summary.decisions", "ru") in ru and "<html lang='ru'>" in ru


def test_downloaded_yaml_names_the_dataset_not_a_path(kg_dataset_path: Path) -> None:
    from atr_model.scenarios import load_scenario

    scenario = load_scenario(ROOT / "scenarios" / "concept-2013.yaml")
    text = scenario_io.portable_scenario_yaml(scenario, str(kg_dataset_path))
    assert yaml.safe_load(text)["dataset"] == "kyrgyz"
    assert str(kg_dataset_path.parent) not in text
    assert yaml.safe_load(scenario_io.portable_scenario_yaml(scenario, datasets.DEMO_KEY))["dataset"] == "demo"
    again = scenario_io.parse_scenario_text(text, "concept-2013.yaml")
    assert again.criteria == scenario.criteria and again.title_ru == scenario.title_ru


def test_map_png_is_an_image_of_the_result_and_deterministic(demo_run: Path) -> None:
    from PIL import Image

    first = downloads.map_image(demo_run, "ky")
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    assert downloads.map_image(demo_run, "ky") == first
    image = Image.open(io.BytesIO(first)).convert("RGB")
    assert image.width >= 800 and image.height >= 400
    colours = {colour for _count, colour in image.getcolors(maxcolors=1 << 22)}
    # merged new units in their status category's colour, as on every map (tests/test_report_documents.py
    # checks the whole legend and the header)
    merged = CATEGORY_COLOURS["merged"]
    assert tuple(int(merged[i:i + 2], 16) for i in (1, 3, 5)) in colours


def test_map_png_of_a_view_draws_only_what_the_view_shows(demo_run: Path) -> None:
    """The app's "current view" image: units cut at the view's edges, a different picture."""
    import geopandas as gpd

    from atr_model.presentation.report import in_view

    new_units = gpd.read_file(demo_run / "new_units.gpkg").to_crs("EPSG:4326")
    minx, miny, maxx, maxy = new_units.total_bounds
    # the south-west quarter of the territory
    view = ((miny, minx), ((miny + maxy) / 2, (minx + maxx) / 2))
    cut = in_view(new_units, view)
    assert 0 < len(cut) < len(new_units)
    cx0, cy0, cx1, cy1 = cut.total_bounds
    assert cx0 >= minx - 1e-9 and cy0 >= miny - 1e-9 and cx1 <= view[1][1] + 1e-9 and cy1 <= view[1][0] + 1e-9
    whole = downloads.map_image(demo_run, "en")
    part = downloads.map_image(demo_run, "en", view)
    assert part[:8] == b"\x89PNG\r\n\x1a\n" and part != whole
    assert downloads.map_image(demo_run, "en", view) == part  # deterministic
    with pytest.raises(ValueError, match="shows none of the result's units"):
        downloads.map_image(demo_run, "en", ((maxy + 1, maxx + 1), (maxy + 2, maxx + 2)))
    with pytest.raises(ValueError, match="south must be below north"):
        downloads.map_image(demo_run, "en", ((miny + 1, minx), (miny, maxx)))


@pytest.mark.parametrize("lang", ["ky", "ru"])
def test_workbook_download_is_labelled_in_the_interface_language(demo_run: Path, lang: str) -> None:
    """Sheets, headers and summary items of the app's workbook come from the catalogue."""
    from openpyxl import load_workbook

    from atr_model.presentation.view import figure_label

    catalogue = {t(key, lang) for key in STRINGS}  # as printed: dataset terms filled
    labelled = load_workbook(io.BytesIO(downloads.tables_xlsx(demo_run, lang)), read_only=True)
    plain = load_workbook(demo_run / "tables.xlsx", read_only=True)  # the CLI's, with the package's names
    assert [t(f"xlsx.sheet.{name}", lang) for name in plain.sheetnames] == labelled.sheetnames
    for name, title in zip(plain.sheetnames, labelled.sheetnames):
        headers = [c.value for c in next(labelled[title].iter_rows(max_row=1))]
        columns = [c.value for c in next(plain[name].iter_rows(max_row=1))]
        assert headers == [t(f"xlsx.col.{c}", lang) for c in columns], name
        assert set(headers) <= catalogue
    items = [row[0].value for row in labelled[labelled.sheetnames[0]].iter_rows(min_row=2)]
    assert items[:6] == [t(f"xlsx.item.{k}", lang) for k in ("scenario", "title", "dataset", "dataset kind",
                                                                    "created (UTC)", "note")]
    kpis = json.loads((demo_run / "kpis.json").read_text(encoding="utf-8"))
    assert figure_label("units_after", kpis, lang) in items and "kpi: units_after" not in items and "units_after" in kpis
    # the below-the-floor row names the scenario's floor, as on every other surface
    assert figure_label("below_floor_after_non_exempt", kpis, lang, is_estimate=False) in items
    note = [row[1].value for row in labelled[labelled.sheetnames[0]].iter_rows(min_row=7, max_row=7)][0]
    assert note == t("xlsx.text.note", lang)
    # the same cells are shaded as estimates as in the package's own workbook
    fills = [c.fill.fgColor.rgb for c in next(plain["assignments"].iter_rows(min_row=2, max_row=2))]
    assert [c.fill.fgColor.rgb for c in next(labelled[labelled.sheetnames[1]].iter_rows(min_row=2, max_row=2))] == fills


@pytest.mark.browser
def test_summary_prints_on_a_few_a4_pages_in_chromium(demo_run: Path, chromium_path: Path) -> None:
    """Chromium's print rendering of the summary: A4 pages, at most four; a PNG for the notes."""
    from playwright.sync_api import sync_playwright

    chromium = chromium_path
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 794, "height": 1123})  # A4 at 96 dpi
        page.on("request", lambda r: requests.append(r.url))
        page.goto((demo_run / "summary.html").as_uri())
        page.emulate_media(media="print")
        pdf = page.pdf(prefer_css_page_size=True)
        page.screenshot(path=str(artifacts / "council-summary.png"), full_page=True)
        browser.close()
    assert [u for u in requests if not u.startswith("file://")] == []  # self-contained
    sizes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert 1 <= len(sizes) <= 4
    assert all(abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2 for w, h in sizes)  # A4 in points


def test_cli_run_writes_report_and_summary_in_the_language_asked(tmp_path: Path, capsys) -> None:
    from atr_model.presentation.cli import main

    def cli(*args: str) -> int:
        try:
            main(list(args))
        except SystemExit as exc:
            return int(exc.code or 0)
        return 0

    assert cli("run", str(DEMO_YAML), "--out", str(tmp_path / "ky"), "--lang", "ky", "-q") == 0
    for name in ("report.html", "summary.html"):
        page = (tmp_path / "ky" / name).read_text(encoding="utf-8")
        assert "<html lang='ky'>" in page and t("report.nav.kpis", "ky") in page, name
    assert cli("run", str(DEMO_YAML), "--out", str(tmp_path / "de"), "--lang", "de", "-q") != 0
    assert "--lang 'de': expected one of ky, ru, en" in capsys.readouterr().err
    assert not (tmp_path / "de").exists()
