"""One truth per figure: one Kyrgyz result rendered through every surface (the report, the
Council summary, the comparison page, the workbook, ``evaluate`` and the app) shows every shared
key figure with the same label and value text, in all three languages.

Each HTML surface marks a key figure's row ``data-fig='<key>'``
(:func:`atr_model.presentation.view.figure_row_html`); the test reads those rows back and
compares them with the result view's own rows. The workbook holds numbers (compared with the
view's values) under the view's labels; ``evaluate`` measures the optimiser's own plan and must
give the same key figures as the run.
"""

from __future__ import annotations

import html
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from atr_model.presentation.app import downloads
from atr_model.presentation.i18n import LANGUAGES, STRINGS
from atr_model.presentation.report import render_comparison, render_report, render_summary
from atr_model.presentation.runs import save_result
from atr_model.presentation.view import figure_label, figure_rows
from atr_model.scenarios import (
    compare_results,
    evaluate_plan,
    load_scenario,
    resolve_travel_model,
    run_scenario,
)

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.kgdata

_ROW = re.compile(r"<tr data-fig='([^']+)'><td class='fig-label'><span title='[^']*'>([^<]*)</span></td>(.*?)</tr>")
_VALUE = re.compile(r"<td class='num fig-value[^']*'>([^<]*)</td>")


def figures_on_page(page: str) -> dict[str, tuple[str, list[str]]]:
    """Key -> (label, value texts) of every key-figure row of an HTML page."""
    rows = {}
    for key, label, cells in _ROW.findall(page):
        assert key not in rows, f"figure {key} shown twice on one table"
        rows[key] = (html.unescape(label), [html.unescape(v) for v in _VALUE.findall(cells)])
    return rows


@pytest.fixture(scope="module")
def kg_results(kg_dataset, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("one-truth")
    out = {}
    for name in ("concept-2013", "lenient"):
        scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
        run = run_scenario(scenario, dataset=kg_dataset, travel_model=resolve_travel_model(scenario, kg_dataset))
        out[name] = save_result(run, base / name)
    return out


def _kpis(folder: Path) -> dict:
    return json.loads((folder / "kpis.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_report_and_summary_show_the_views_figures(kg_results: dict[str, Path], lang: str) -> None:
    folder = kg_results["concept-2013"]
    expected = {row.key: (row.label, [row.text]) for row in figure_rows(_kpis(folder), lang)}
    assert {"below_floor_after_non_exempt", "exempt_units", "worst_travel_min_in_merged_units"} <= set(expected)
    for name, page in (("report", render_report(folder, lang)), ("summary", render_summary(folder, lang))):
        shown = figures_on_page(page)
        assert shown == expected, name


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_comparison_shows_each_plans_figures(kg_results: dict[str, Path], lang: str) -> None:
    a, b = kg_results["concept-2013"], kg_results["lenient"]
    page = render_comparison(compare_results(a, b), a, b, lang)
    shown = figures_on_page(page)
    own_a = {row.key: row.text for row in figure_rows(_kpis(a), lang)}
    own_b = {row.key: row.text for row in figure_rows(_kpis(b), lang)}
    shared = set(own_a) & set(own_b)
    assert shared and shared <= set(shown)
    for key in shared:
        assert shown[key][1][:2] == [own_a[key], own_b[key]], key
    # the two floors differ (5,000 and 3,000): "below the floor" says both
    label = shown["below_floor_after_non_exempt"][0]
    assert figure_rows(_kpis(a), lang)[0].text in label and figure_rows(_kpis(b), lang)[0].text in label


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_workbook_holds_the_views_figures(kg_results: dict[str, Path], lang: str) -> None:
    folder = kg_results["concept-2013"]
    kpis = _kpis(folder)
    book = load_workbook(io.BytesIO(downloads.tables_xlsx(folder, lang)), read_only=True)
    items = {row[0]: row[1] for row in book[book.sheetnames[0]].iter_rows(min_row=2, values_only=True)}
    for row in figure_rows(kpis, lang):
        label = figure_label(row.key, kpis, lang)
        assert label in items, row.key
        assert items[label] == pytest.approx(row.value), row.key


def test_evaluate_gives_the_runs_figures(kg_results: dict[str, Path], kg_dataset) -> None:
    folder = kg_results["concept-2013"]
    scenario = load_scenario(ROOT / "scenarios" / "concept-2013.yaml")
    plan = pd.read_csv(folder / "assignments.csv", dtype=str)[["unit_code", "new_unit_id"]]  # no centre_code
    verdict = evaluate_plan(plan, scenario, dataset=kg_dataset,
                            travel_model=resolve_travel_model(scenario, kg_dataset))
    assert not verdict.violations["hard"].any()
    run = _kpis(folder)
    for lang in LANGUAGES:
        own = {row.key: row.text for row in figure_rows(run, lang)}
        evaluated = {row.key: row.text for row in figure_rows(verdict.kpis, lang)}
        assert evaluated == own, lang


def _visible_text(page: str) -> str:
    """The text a reader sees (no tags, styles, scripts or SVG path data)."""
    page = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _english_fragments(lang: str) -> set[str]:
    """Literal pieces (12+ characters) of English catalogue texts that ``lang`` says otherwise."""
    pieces = set()
    for texts in STRINGS.values():
        en, own = texts.get("en", ""), texts.get(lang, "")
        if not en or own == en:
            continue
        for piece in re.split(r"\{[^}]*\}", en):
            piece = piece.strip(" .,:;()-–")
            if len(piece) >= 12 and re.search(r"[a-z]{4}", piece) and piece not in own:
                pieces.add(piece)
    return pieces


#: Stems of the engine's own English sentences (reasons, checks, infeasibility).
_ENGINE_ENGLISH = ("residents", "joins the new unit", "exempt from the floor", "meets the floor on its own",
                   "stays alone", "from the centre", "hosts the centre", "no merger lowers")


@pytest.mark.parametrize("lang", ["ky", "ru"])
def test_ky_and_ru_documents_hold_no_english(kg_results: dict[str, Path], lang: str) -> None:
    folder = kg_results["concept-2013"]
    fragments = _english_fragments(lang)
    assert len(fragments) > 200  # the scan has something to find ...
    english = _visible_text(render_summary(folder, "en"))
    assert sum(f in english for f in fragments) > 10  # ... and finds it in English
    for name, page in (("report", render_report(folder, lang)), ("summary", render_summary(folder, lang))):
        text = _visible_text(page)
        found = sorted(f for f in fragments if f in text)
        assert not found, f"{name} ({lang}) shows English catalogue text: {found[:5]}"
        engine = [stem for stem in _ENGINE_ENGLISH if stem in text]
        assert not engine, f"{name} ({lang}) shows the engine's English: {engine}"


def test_the_app_shows_the_same_figures(kg_results: dict[str, Path], kg_dataset_path: Path,
                                        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The app, run on the same build and scenario, shows the saved result's key figures (the
    table and the metrics row) in ky, ru and en."""
    from streamlit.testing.v1 import AppTest

    from atr_model.presentation.app.server import PAGE_SCRIPT  # what app.py serves (AppTest runs a page)

    monkeypatch.setenv("ATR_CACHE_DIR", str(kg_dataset_path.parent.parent))  # where the app finds the build
    monkeypatch.setenv("ATR_APP_RESULTS", str(tmp_path / "results"))
    at = AppTest.from_file(str(PAGE_SCRIPT), default_timeout=600).run()
    assert not at.exception, at.exception
    assert at.session_state["dataset_key"] == str(kg_dataset_path)
    at.button(key="run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    saved = _kpis(kg_results["concept-2013"])
    for lang in LANGUAGES:
        at.selectbox(key="lang").set_value(lang).run()
        tables = [m.value for m in at.markdown if "class='atr-figures'" in m.value]
        assert tables, lang
        expected = {row.key: (row.label, [row.text]) for row in figure_rows(saved, lang)}
        assert figures_on_page(tables[0]) == expected, lang
        headline = [row for row in figure_rows(saved, lang) if row.headline]
        assert [(m.label, m.value) for m in at.metric][: len(headline)] == [(r.label, r.text) for r in headline]
