"""Dataset terms (issue 22, item 2): the words a dataset depends on come from the dataset.

The Kyrgyz build and the demo keep every Kyrgyz word as before; another country's dataset (the demo
territory renamed Fictionia, with commune / canton / province and EUR, no legal basis:
``tests/terms_fixtures.py``) gets none of them in its report, summary or command-line output, no
Concept sheet, and savings in its own currency from its own cost model, or none at all.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from terms_fixtures import FICTIONIA_TERMS, fictionia_dataset, write_fictionia
from typer.testing import CliRunner

from atr_model.data.terms import GENERIC_TERMS, KYRGYZ_TERMS, dataset_terms, parse_terms
from atr_model.errors import DataError
from atr_model.presentation import i18n
from atr_model.presentation.cli import app
from atr_model.presentation.i18n import fill_terms, format_number, t, use_terms
from atr_model.presentation.report import render_report
from atr_model.presentation.view import format_area
from atr_model.scenarios.extra_kpis import dataset_cost_model

#: What must not appear for another country's data (Latin and Cyrillic forms).
KYRGYZ_WORDS = re.compile(
    r"aiyl|aimak|okmotu|raion|oblast|\bsom\b|\bKGS\b|Kyrgyz|No\. 198|No\. 581|Concept"
    r"|айыл|аймак|окмоту|өкмөт|облус|област|\bсом|Кыргыз|Концепц",
    re.IGNORECASE,
)
#: Keys that name the Kyrgyz build or the Kyrgyz Concept itself (shown only for it).
KYRGYZ_ONLY = ("dataset.kyrgyz", "dataset.build_hint", "error.input_missing_elevation", "error.input_auto_unknown",
               "xlsx.col.unit_name_ky", "agree.upload_help", "concept.", "report.concept_", "view.concept")


def _visible(html: str) -> str:
    """The page without its data-* attributes (figure keys such as aiyl_aimak_units_after are ids)."""
    return re.sub(r"data-[a-z-]+='[^']*'", "", html)


def test_kyrgyz_terms_fill_every_text_and_other_terms_leave_no_kyrgyz_word() -> None:
    for lang in i18n.LANGUAGES:
        for key, texts in i18n.STRINGS.items():
            text = texts[lang]
            assert "{@" not in fill_terms(text, lang, KYRGYZ_TERMS), (lang, key)
    # the Kyrgyz words as before, word for word
    assert t("kpi.exempt_units", "en") == "Exempt aiyl aimaks"
    assert t("report.savings.annual", "ru") == "Годовая экономия (сом)"
    assert t("map.raions", "ky") == i18n.fill_terms(i18n.STRINGS["map.raions"]["ky"], "ky") == "Райондор"
    english = [k for k in i18n.STRINGS if not k.startswith(KYRGYZ_ONLY)]
    with use_terms(GENERIC_TERMS):
        # placeholders such as {raion} are names for values, not words
        left = {k: t(k, "en") for k in english if KYRGYZ_WORDS.search(re.sub(r"\{\w+\}", "", t(k, "en")))}
        assert left == {}
        assert t("kpi.exempt_units", "en") == "Exempt municipalities"
        assert t("app.subtitle", "en") == "Consolidation modeller for municipalities"


def test_terms_by_dataset_kind_and_entry() -> None:
    assert dataset_terms({"kind": "demo"}) is KYRGYZ_TERMS
    assert dataset_terms({"kind": "kyrgyzstan-open-data"}) is KYRGYZ_TERMS
    assert dataset_terms({"kind": "import"}) is GENERIC_TERMS
    own = dataset_terms({"kind": "import", "terms": json.dumps(FICTIONIA_TERMS)})
    assert (own.word("district_term", "ru"), own.currency, own.legal_basis) == ("кантон", "EUR", None)
    assert own.word("unit_term", "xx") == "commune"  # a missing language falls back to English


@pytest.mark.parametrize(("raw", "message"), [
    ({"unit_terms": {"en": "x"}}, "unknown terms key(s) unit_terms"),
    ({"currency": "euro"}, "'currency' must be an ISO 4217 code"),
    ({"district_term": 5}, "terms key 'district_term' must be a text"),
    ({"region_term": {"fr": "région"}}, "'region_term' has unknown language(s) fr"),
    ("{not json", "terms is not JSON"),
])
def test_bad_terms_are_refused_naming_the_key(raw: object, message: str) -> None:
    with pytest.raises(DataError, match=re.escape(message)):
        parse_terms(raw, "fictionia.gpkg")


def test_savings_need_a_currency_and_a_cost_model_of_the_dataset() -> None:
    kyrgyz = {"dataset_kind": "demo"}
    assert dataset_cost_model(kyrgyz) == (None, "")  # the shipped (Kyrgyz) model
    no_model = {"dataset_kind": "import", "dataset_terms": FICTIONIA_TERMS}
    assert "no administrative cost model of its own" in dataset_cost_model(no_model)[1]
    no_currency = {"dataset_kind": "import", "dataset_terms": {**FICTIONIA_TERMS, "currency": None}}
    assert "names no currency" in dataset_cost_model(no_currency)[1]
    from terms_fixtures import FICTIONIA_COST_MODEL

    wrong = {**no_model, "dataset_cost_model": {**FICTIONIA_COST_MODEL, "currency": "USD"}}
    with pytest.raises(DataError, match="currency USD is not the dataset's currency EUR"):
        dataset_cost_model(wrong)


def test_small_areas_keep_their_digits() -> None:
    assert format_area(0.045, "en") == "0.045"
    assert format_area(0.45, "ru") == "0,45"
    assert format_area(1234.56, "en") == "1,234.6"  # the Kyrgyz maps' precision from 1 km² up
    assert format_area(5.0, "en", trim_whole=True) == "5"


@pytest.fixture(scope="module")
def fictionia_run(demo_dataset, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("fictionia")
    data, scenario = write_fictionia(demo_dataset, folder)
    out = folder / "result"
    res = CliRunner().invoke(app, ["run", str(scenario), "--data", str(data), "--out", str(out), "-q"])
    assert res.exit_code == 0, res.output
    return out, res.output


def test_another_countrys_outputs_carry_its_own_words(fictionia_run: tuple[Path, str]) -> None:
    out, cli_output = fictionia_run
    assert not KYRGYZ_WORDS.search(cli_output), cli_output
    assert "Exempt communes" in cli_output
    report = _visible((out / "report.html").read_text(encoding="utf-8"))
    summary = _visible((out / "summary.html").read_text(encoding="utf-8"))
    for name, text in (("report.html", report), ("summary.html", summary)):
        found = sorted({m.group(0) for m in KYRGYZ_WORDS.finditer(text)})
        assert found == [], f"{name}: {found}"
    # no Concept sheet (legal basis null): the scenario's own criteria, two columns
    assert "Concept criterion" not in report and "<td>population_floor</td><td>5,000</td></tr>" in report
    # savings in euros from the dataset's own cost model
    kpis = json.loads((out / "kpis.json").read_text(encoding="utf-8"))
    annual = kpis["admin_savings"]["annual_saving_som"]
    assert annual == 9 * (6.0 * 0.5 * 30000.0 + 20000.0) == kpis["admin_savings"]["abolished_offices"] * 110000.0
    assert "Annual saving (EUR)" in report and format_number(annual, "en") in report
    assert "dataset&#x27;s own cost model" in report or "dataset's own cost model" in report
    # canton names, not bare codes
    canton = json.loads((out / "provenance.json").read_text(encoding="utf-8"))["district_names"]
    first = next(iter(canton.items()))
    assert f"{first[1]['name_en']} ({first[0]})" in report


def test_another_countrys_report_in_russian_has_no_kyrgyz_word(fictionia_run: tuple[Path, str]) -> None:
    out, _ = fictionia_run
    report = _visible(render_report(out, "ru"))
    found = sorted({m.group(0) for m in KYRGYZ_WORDS.finditer(report)})
    assert found == [] and "(EUR)" in report


def test_without_a_currency_no_money_figure(demo_dataset, tmp_path: Path) -> None:
    from atr_model.scenarios import apply_overrides, load_scenario, run_scenario

    data, scenario = write_fictionia(demo_dataset, tmp_path, terms={**FICTIONIA_TERMS, "currency": None})
    result = run_scenario(apply_overrides(load_scenario(scenario), dataset=str(data)))
    savings = result.kpis["admin_savings"]
    assert savings["annual_saving_som"] is None and "names no currency" in savings["basis"]
    report = render_report(result, "en")
    assert "Annual saving" not in report and "One-off cost" not in report
    assert "Not estimated: the dataset names no currency" in report


def test_the_demo_keeps_the_kyrgyz_words(demo_dataset, tmp_path: Path) -> None:
    """The demo (no terms entry) is Kyrgyz: the Concept sheet, som and aiyl aimaks, as before."""
    terms = dataset_terms(fictionia_dataset(demo_dataset, terms=None, cost_model=False))
    assert terms is GENERIC_TERMS and dataset_terms(demo_dataset) is KYRGYZ_TERMS
    from atr_model.scenarios import apply_overrides, load_scenario, run_scenario

    root = Path(__file__).resolve().parents[1]
    result = run_scenario(apply_overrides(load_scenario(root / "scenarios" / "demo.yaml"), dataset="demo"))
    report = render_report(result, "en")
    for words in ("Exempt aiyl aimaks", "Annual saving (som)", "resolution No. 198", "Concept criterion"):
        assert words in report, words


def test_data_info_counts_in_the_datasets_words(fictionia_run: tuple[Path, str]) -> None:
    out, _ = fictionia_run
    res = CliRunner().invoke(app, ["data", "info", str(out.parent / "fictionia.gpkg"), "--no-network"])
    assert res.exit_code == 0, res.output
    assert "communes" in res.output and "cantons / cities / provinces" in res.output
    assert not KYRGYZ_WORDS.search(res.output), res.output
