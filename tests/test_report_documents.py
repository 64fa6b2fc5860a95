"""Documents that stand alone (issue 20, item 4; item 5's summary part).

Every map image (the report's maps, the Council summary's map, the PNG download) carries the
scenario's title, name, dataset and date, a scale bar in kilometres that is right for the
map's latitude, and a legend listing exactly the colours drawn: the status categories'
colours of :data:`CATEGORY_COLOURS`, the same on every map. With a robustness run of the plan,
the summary and the passports show each merger's confidence (``share_exact`` of
``new_unit_stability.csv``) and the summary's map can colour by it. The summary lists the
manual decisions (locks, manual exemptions) that shaped the plan. Demo and Kyrgyz data.
"""

from __future__ import annotations

import html
import io
import re
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from pyproj import Geod

from atr_model.presentation.app import datasets, downloads, results
from atr_model.presentation.i18n import dataset_label, format_number, localized, t
from atr_model.presentation.maps.palette import CATEGORY_COLOURS, stability_colour
from atr_model.presentation.report import map_png, render_report, render_summary
from atr_model.scenarios import CATEGORIES, load_result_files, merger_confidence, new_unit_categories

ROOT = Path(__file__).resolve().parents[1]
DEMO_YAML = ROOT / "scenarios" / "demo.yaml"
#: The demo with spreads on its census figures and road times: something to draw.
SPREAD = "uncertainty:\n  population:\n    log_sd:\n      census: 0.3\n  travel:\n    roads_log_sd: 0.1\n"


def _cli(*args: str) -> int:
    from atr_model.presentation.cli import main

    try:
        main(list(args))
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo scenario run as the CLI runs it (package, report, summary)."""
    from atr_model.presentation.runs import run_to_folder

    return run_to_folder(DEMO_YAML, tmp_path_factory.mktemp("runs") / "demo", data="demo")


@pytest.fixture(scope="module")
def robust(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo robustness package of six draws written by the CLI (its nominal plan is the demo's)."""
    base = tmp_path_factory.mktemp("robust")
    scenario = base / "demo-spread.yaml"
    scenario.write_text(DEMO_YAML.read_text(encoding="utf-8") + SPREAD, encoding="utf-8")
    assert _cli("robustness", str(scenario), "--draws", "6", "--seed", "5", "--workers", "1", "-q",
                "--out", str(base / "pkg")) == 0
    return base / "pkg"


# ---------------------------------------------------------------------------------------------
# reading a drawn map back


def _svg(page: str, k: int = 0) -> str:
    """The ``k``-th inline ``<svg>`` of a page."""
    starts = [m.start() for m in re.finditer("<svg", page)]
    start = starts[k]
    return page[start:page.index("</svg>", start)]


def _texts(svg: str) -> list[str]:
    return [html.unescape(x) for x in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def _group(svg: str, gid: str) -> str:
    """The body of ``<g id='gid'>`` (up to its matching close)."""
    start = svg.index(f'<g id="{gid}">')
    depth, pos = 0, start
    for m in re.finditer(r"<g\b|</g>", svg[start:]):
        depth += 1 if m.group(0) == "<g" else -1
        if depth == 0:
            pos = start + m.end()
            break
    return svg[start:pos]


def _fills(fragment: str) -> list[str]:
    return re.findall(r"fill: (#[0-9a-f]{6})", fragment)


def _legend_swatches(svg: str) -> list[str]:
    """The fill of each status swatch of the legend, in legend order."""
    k, colours = 0, []
    while f'<g id="legend-category-{k}">' in svg:
        colours.append(_fills(_group(svg, f"legend-category-{k}"))[0])
        k += 1
    return colours


def _xs(fragment: str) -> list[float]:
    return [float(x) for x in re.findall(r"[ML] ([-\d.]+) [-\d.]+", fragment)]


def _scale_km(svg: str, units: gpd.GeoDataFrame) -> tuple[float, float]:
    """(length the scale bar's label states, length the bar measures on the map), in km.

    The map's pixels per degree of longitude come from the units' drawn extent; the bar's
    length in degrees, at the map's southern edge, is measured on the ellipsoid.
    """
    minx, miny, maxx, _maxy = units.to_crs("EPSG:4326").total_bounds
    drawn = _xs(_group(svg, "units"))
    per_degree = (max(drawn) - min(drawn)) / (maxx - minx)
    bar = _xs(_group(svg, "scale-bar"))
    degrees = (max(bar) - min(bar)) / per_degree
    measured = Geod(ellps="WGS84").inv(minx, miny, minx + degrees, miny)[2] / 1000.0
    label = next(x for x in _texts(svg) if re.fullmatch(r"[\d.,\u00a0 ]+ (km|км)", x))
    stated = float(label.split(" ")[0].replace("\u00a0", "").replace(",", "."))
    return stated, measured


def _header_parts(folder: Path, lang: str) -> list[str]:
    """What a map of this result must say: scenario title, name, dataset and date created."""
    files = load_result_files(folder)
    dataset = dataset_label(str(files.provenance["dataset_name"]), str(files.provenance["dataset_kind"]), lang)
    return [localized(files.scenario, "title", lang), files.name, dataset, str(files.provenance["created_utc"])[:10]]


def _present_categories(folder: Path) -> list[str]:
    files = load_result_files(folder)
    present = set(new_unit_categories(files.assignments, files.new_units))
    return [c for c in CATEGORIES if c in present]


# ---------------------------------------------------------------------------------------------
# map images


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_summary_map_has_header_scale_and_a_legend_of_exactly_its_colours(demo_run: Path, lang: str) -> None:
    svg = _svg(render_summary(demo_run, lang))
    texts = " | ".join(_texts(svg))
    for part in _header_parts(demo_run, lang):
        assert part and part in texts, part
    present = _present_categories(demo_run)
    assert len(present) >= 4  # the demo has mergers, a unit below the floor, exempt units and towns
    # the legend: one swatch per category drawn, its colour, its label, in legend order
    assert _legend_swatches(svg) == [CATEGORY_COLOURS[c] for c in present]
    assert set(_fills(_group(svg, "units"))) == {CATEGORY_COLOURS[c] for c in present}
    for category in CATEGORIES:
        assert (t(f"category.{category}", lang) in texts) == (category in present), category
    assert "#e07b39" not in svg and "legend-hatch" not in svg  # no colour or hatching of its own
    stated, measured = _scale_km(svg, load_result_files(demo_run).new_units)
    assert stated == pytest.approx(measured, rel=0.01)
    assert (" km" if lang == "en" else " км") in texts


def test_map_png_says_what_it_shows_and_draws_the_category_colours(demo_run: Path) -> None:
    from PIL import Image

    data = map_png(demo_run, "ky")
    image = Image.open(io.BytesIO(data))
    header = f"{image.info['Title']} | {image.info['Description']}"
    for part in _header_parts(demo_run, "ky"):
        assert part in header, part
    assert re.search(r"\d+ км", header)
    files = load_result_files(demo_run)
    categories = new_unit_categories(files.assignments, files.new_units)
    for category in CATEGORIES:  # the legend names exactly the categories drawn
        assert (t(f"category.{category}", "ky") in header) == (category in set(categories)), category
    rgb = {c for _n, c in image.convert("RGB").getcolors(maxcolors=1 << 22)}
    for category in set(categories):
        colour = CATEGORY_COLOURS[category]
        assert tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5)) in rgb, category
    # exempt units were drawn as "kept" before: the two colours now both show
    assert {"exempt", "kept"} <= set(categories)


def test_report_maps_stand_alone_and_colour_new_units_by_category(demo_run: Path) -> None:
    page = render_report(demo_run, "ky")
    section = page[page.index("<h2 id='maps'>"):page.index("<h2 id='exempt'>")]
    new_units, travel = _svg(section, 0), _svg(section, 1)
    for svg in (new_units, travel):
        texts = " | ".join(_texts(svg))
        assert all(part in texts for part in _header_parts(demo_run, "ky"))
        assert re.search(r"\d+ км", texts)
    present = _present_categories(demo_run)
    assert _legend_swatches(new_units) == [CATEGORY_COLOURS[c] for c in present]
    assert set(_fills(_group(new_units, "units"))) == {CATEGORY_COLOURS[c] for c in present}
    assert t("report.caption_numbered", "ky") in section
    # the travel map hatches units resting on estimates only when there are some, and says so
    estimated = load_result_files(demo_run).new_units["population_has_estimates"].astype(bool).any()
    assert ('<g id="legend-hatch">' in travel) == bool(estimated)


# ---------------------------------------------------------------------------------------------
# confidence from a robustness run


def _mergers(package: Path) -> dict[str, float]:
    table = pd.read_csv(package / "new_unit_stability.csv", dtype={"new_unit_id": str})
    return dict(zip(table.loc[table["n_members"] > 1, "new_unit_id"], table.loc[table["n_members"] > 1, "share_exact"]))


def _shown(page: str) -> dict[str, str]:
    return {uid: html.unescape(text) for uid, text in
            re.findall(r"<span class='[^']*conf[^']*' data-unit='([^']+)'>([^<]*)</span>", page)}


def test_summary_and_passports_of_a_nominal_plan_show_each_mergers_confidence(robust: Path) -> None:
    shares = _mergers(robust)
    assert len(shares) >= 3 and len(set(shares.values())) >= 3  # different confidences, really rendered
    assert merger_confidence(robust / "nominal") == pytest.approx(shares)
    # written by the CLI inside the package: the nominal summary and report carry the confidence
    summary = (robust / "nominal" / "summary.html").read_text(encoding="utf-8")
    assert _shown(summary) == {uid: f"confidence {format_number(round(100 * s), 'en')}%" for uid, s in shares.items()}
    assert "6 draws" in html.unescape(summary)
    report = (robust / "nominal" / "report.html").read_text(encoding="utf-8")
    assert _shown(report) == {uid: f"{round(100 * s)}%" for uid, s in shares.items()}
    assert report.count(t("report.fact.confidence", "en")) == len(shares)
    # in Russian, in its number format
    ru = render_summary(robust / "nominal", "ru")
    assert _shown(ru) == {uid: f"уверенность {round(100 * s)} %" for uid, s in shares.items()}


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["ru", "en"])
def test_summary_with_confidence_prints_on_at_most_four_a4_pages(robust: Path, chromium_path: Path, lang: str) -> None:
    from playwright.sync_api import sync_playwright

    target = robust / "nominal" / f"summary-{lang}.html"
    target.write_text(render_summary(robust / "nominal", lang, colour_by="confidence"), encoding="utf-8")
    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium_path), headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 794, "height": 1123})
        page.on("request", lambda r: requests.append(r.url))
        page.goto(target.as_uri())
        page.emulate_media(media="print")
        pdf = page.pdf(prefer_css_page_size=True)
        shown = page.locator(".conf").all_inner_texts()
        browser.close()
    assert [u for u in requests if not u.startswith("file://")] == []
    assert len(shown) == len(_mergers(robust))  # every merger's confidence is on the printed page
    sizes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert 1 <= len(sizes) <= 4
    assert all(abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2 for w, h in sizes)


def test_summary_map_colours_mergers_by_confidence_when_asked(robust: Path) -> None:
    shares = _mergers(robust)
    svg = _svg(render_summary(robust / "nominal", "en", colour_by="confidence"))
    files = load_result_files(robust / "nominal")
    categories = new_unit_categories(files.assignments, files.new_units)
    others = {CATEGORY_COLOURS[c] for uid, c in categories.items() if uid not in shares}
    expected = {stability_colour(s) for s in shares.values()} | others
    assert set(_fills(_group(svg, "units"))) == expected == set(_legend_swatches(svg))
    texts = " | ".join(_texts(svg))
    assert t("map.confidence_bin", "en", range="≥ 80%") in texts or max(shares.values()) < 0.8
    with pytest.raises(ValueError, match="colour_by 'share': expected one of category, confidence"):
        render_summary(robust / "nominal", "en", colour_by="share")  # type: ignore[arg-type]


def test_confidence_goes_only_to_the_plan_it_was_drawn_for(robust: Path, demo_run: Path, tmp_path: Path) -> None:
    """The app's summary download with the session's robustness run: the same plan gets the
    confidence, another plan (a lower floor) none; a plain run alone has none."""
    from atr_model.presentation.runs import save_result
    from atr_model.scenarios import apply_overrides, load_scenario, run_scenario

    shares = _mergers(robust)
    assert merger_confidence(demo_run) is None and not _shown(render_summary(demo_run, "en"))
    same = tmp_path / "same"
    shutil.copytree(demo_run, same)
    (same / "summary.html").unlink()
    page = downloads.summary_html(same, "en", None, robust).decode("utf-8")
    assert set(_shown(page)) == set(shares)
    assert not (same / "summary.html").exists()  # the shared result folder keeps no session's summary
    other = save_result(run_scenario(apply_overrides(load_scenario(DEMO_YAML), **{"criteria.population_floor": 3000})),
                        tmp_path / "other", report=False)
    assert merger_confidence(other, robust) is None
    assert not _shown(downloads.summary_html(other, "en", None, robust).decode("utf-8"))
    with pytest.raises(ValueError, match="colour_by='confidence' needs"):
        render_summary(other, "en", robustness=robust, colour_by="confidence")


# ---------------------------------------------------------------------------------------------
# manual decisions


LOCKS = {
    "criteria.locks.keep_separate": ["DEMO-01-01-005"],
    "criteria.locks.together": [["DEMO-01-01-001", "DEMO-01-01-008"]],
    "criteria.locks.apart": [["DEMO-01-02-003", "DEMO-01-02-005"]],
    "criteria.exemptions.manual": [{"unit_code": "DEMO-01-01-002", "reason": "public hearing of 2024"}],
}


def test_summary_lists_the_manual_decisions_that_shaped_the_plan(demo_run: Path, tmp_path: Path) -> None:
    from atr_model.presentation.runs import save_result
    from atr_model.scenarios import apply_overrides, load_scenario, run_scenario

    assert "id='manual'" not in render_summary(demo_run, "en")  # no section without manual decisions
    folder = save_result(run_scenario(apply_overrides(load_scenario(DEMO_YAML), **LOCKS)), tmp_path / "locked",
                         report=False)
    a = pd.read_csv(folder / "assignments.csv", dtype=str).set_index("unit_code")
    assert (a["new_unit_id"] == a.at["DEMO-01-01-005", "new_unit_id"]).sum() == 1  # the lock held
    for lang in ("en", "ru", "ky"):
        page = render_summary(folder, lang)
        section = page[page.index("<h2 id='manual'>"):]
        section = html.unescape(re.sub(r"<[^>]+>", "", section[:section.index("</ul>")]))
        assert t("summary.manual.title", lang) in section
        column = "unit_name" if lang == "en" else f"unit_name_{lang}"
        for code in ("DEMO-01-01-005", "DEMO-01-01-001", "DEMO-01-01-008", "DEMO-01-02-003", "DEMO-01-02-005",
                     "DEMO-01-01-002"):
            assert f"{a.at[code, column]} ({code})" in section, (lang, code)
        for key in ("keep_separate", "together", "apart", "exempt"):
            assert t(f"summary.manual.{key}", lang) in section, key
        assert "public hearing of 2024" in section


# ---------------------------------------------------------------------------------------------
# the Kyrgyz build


@pytest.mark.kgdata
def test_kyrgyz_oblast_summary_map_stands_alone(kg_dataset, tmp_path: Path) -> None:
    """Issyk-Kul oblast (unplaced raion land in Ton and Tup): header, scale at 42° N, and a
    legend of the categories drawn plus the grey of land no unit holds."""
    from atr_model.scenarios import load_scenario, resolve_travel_model

    concept = load_scenario(ROOT / "scenarios" / "concept-2013.yaml")
    sub = datasets.subset_dataset(kg_dataset, ["41702000000000"])
    travel = datasets.subset_travel_model(resolve_travel_model(concept, kg_dataset), sub.units["unit_code"])
    folder = results.run_or_reuse(concept, sub, travel_model=travel, out_root=tmp_path)
    for lang in ("ky", "en"):
        svg = _svg(render_summary(folder, lang))
        texts = " | ".join(_texts(svg))
        for part in _header_parts(folder, lang):
            assert part and part in texts, (lang, part)
        present = _present_categories(folder)
        assert "merged" in present
        assert _legend_swatches(svg) == [CATEGORY_COLOURS[c] for c in present]
        assert set(_fills(_group(svg, "units"))) == {CATEGORY_COLOURS[c] for c in present}
        assert '<g id="legend-unplaced">' in svg and t("map.unplaced", lang) in texts
        stated, measured = _scale_km(svg, load_result_files(folder).new_units)
        assert stated == pytest.approx(measured, rel=0.01)
