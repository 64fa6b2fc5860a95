"""Reports in the interface's language and names in its script (demo and Kyrgyz data)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest

from atr_model.data.translit import latin_unit_name, transliterate
from atr_model.presentation.i18n import STRINGS, display_name, fill_terms, t, translit_note

ROOT = Path(__file__).resolve().parents[1]


def visible_text(page: str) -> str:
    """The text a reader sees: no style block, no drawn maps, no tags."""
    page = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    page = re.sub(r"<svg.*?</svg>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def english_catalogue_hits(text: str, lang: str) -> list[str]:
    """English catalogue texts (not shared with ``lang``, 4+ letters) found as whole words in ``text``."""
    hits = []
    for key, texts in STRINGS.items():
        # term placeholders filled with the Kyrgyz words, as the demo's pages print them
        english = fill_terms(texts["en"], "en")
        if not english or english == fill_terms(texts.get(lang, ""), lang) or "{" in english:
            continue
        if len(re.sub(r"\W", "", english)) < 4:
            continue
        if re.search(r"(?<!\w)" + re.escape(english) + r"(?!\w)", text):
            hits.append(f"{key}: {english}")
    return hits


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from atr_model.data.demo import make_demo_dataset
    from atr_model.presentation.app import results
    from atr_model.scenarios import load_scenario

    return results.run_or_reuse(
        load_scenario(ROOT / "scenarios" / "demo.yaml"), make_demo_dataset(), out_root=tmp_path_factory.mktemp("res")
    )


@pytest.mark.parametrize("lang", ["ru", "ky"])
def test_report_in_russian_and_kyrgyz_has_no_english_catalogue_string(demo_folder: Path, lang: str) -> None:
    from atr_model.presentation.report import render_report

    page = render_report(demo_folder, lang)
    text = visible_text(page)
    assert english_catalogue_hits(text, lang) == []
    assert f"<html lang='{lang}'>" in page
    assert t("report.nav.passports", lang) in text
    # the scenario's own title in that language, and unit names in Cyrillic
    assert {"ru": "Демо: критерии Концепции 2013", "ky": "Демо: Концепция 2013"}[lang] in text
    a = pd.read_csv(demo_folder / "assignments.csv", dtype=str)
    assert a.loc[a["status"] == "merged", f"unit_name_{lang}"].iloc[0] in text
    # the English reason sentences are not in these reports
    assert "residents (floor" not in text
    english = render_report(demo_folder, "en")
    assert "residents (floor" in visible_text(english)


@pytest.mark.parametrize("lang", ["ru", "ky"])
def test_report_and_summary_write_figures_in_the_language(demo_folder: Path, lang: str) -> None:
    """Kyrgyz and Russian pages separate thousands with a no-break space and decimals with a comma."""
    import json

    from atr_model.presentation.report import render_report, render_summary

    populations = pd.read_csv(demo_folder / "assignments.csv")["population"]
    population = int(populations[populations >= 1000].iloc[0])  # a member's row in its passport
    mean_travel = json.loads((demo_folder / "kpis.json").read_text(encoding="utf-8"))["population_weighted_mean_travel_min"]
    english = {"population": f"{population:,}", "travel": f"{mean_travel:.1f}"}
    local = {"population": english["population"].replace(",", "\u00a0"), "travel": english["travel"].replace(".", ",")}
    assert english["travel"] != local["travel"] and "," in english["population"]  # the figures tell the conventions apart
    for page, figures in ((render_report(demo_folder, lang), ("population", "travel")),
                          (render_summary(demo_folder, lang), ("travel",))):
        # the provenance table shows package fields as written (versions, seconds): left out
        text = visible_text(page.split("<h2 id='provenance'>")[0])
        for figure in figures:
            assert local[figure] in text and english[figure] not in text, figure
        assert not re.findall(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d])", text)  # no English thousands anywhere
    english_page = visible_text(render_report(demo_folder, "en"))
    assert english["population"] in english_page and english["travel"] in english_page


def test_transliteration_of_known_names() -> None:
    assert transliterate("Ак-Шыйрак") == "Ak-Shyirak"
    assert transliterate("Жети-Өгүз") == "Jeti-Ögüz"
    assert transliterate("Джалал-Абад") == "Jalal-Abad"
    assert transliterate("Иссык-Куль") == "Issyk-Kul"
    assert transliterate("Ейск") == "Yeisk"
    assert transliterate("ТОҢ") == "TONG"
    assert latin_unit_name("Ак-Шыйракский айылный аймак") == "Ak-Shyirak"
    assert latin_unit_name("Нарынский район") == "Naryn raion"
    assert latin_unit_name("Иссык-Кульская область") == "Issyk-Kul oblast"
    row = {"unit_code": "1", "name_ru": "Ак-Шыйракский айылный аймак", "name_ky": None, "name_en": None}
    assert display_name(row, "en") == "Ak-Shyirak"
    assert display_name(row, "ru") == "Ак-Шыйракский айылный аймак"
    assert display_name(row, "ky") == "Ак-Шыйракский айылный аймак"
    assert translit_note([row], "en").startswith("1 names")
    assert translit_note([row], "ru") == ""


def test_kyrgyz_names_are_one_script_per_language(kg_dataset) -> None:
    units = kg_dataset.units.drop(columns="geometry").to_dict("records")
    cyrillic = re.compile("[\u0400-\u04ff]")
    latin = re.compile("[A-Za-z]")
    english = [display_name(r, "en") for r in units]
    assert not [n for n in english if cyrillic.search(n)]
    for lang in ("ky", "ru"):
        names = [display_name(r, lang) for r in units]
        assert not [n for n in names if latin.search(n)], lang
    without_english = [r for r in units if not isinstance(r.get("name_en"), str) or not r["name_en"].strip()]
    assert without_english, "the Kyrgyz build has units with no English name"
    assert translit_note(units, "en").startswith(f"{len(without_english)} names")


def test_texts_from_the_data_are_translated() -> None:
    from atr_model.network.model import MODELLED_LABEL
    from atr_model.presentation.i18n import dataset_label, estimate_note, travel_model_label

    assert travel_model_label(MODELLED_LABEL, "ru") == "модельная: нет данных о дорогах"
    suffix = " (no elevation data: no terrain penalties or seasonal passes)"
    assert travel_model_label(MODELLED_LABEL + suffix, "ky") == (
        "моделдик: жол маалыматы жок (бийиктик маалыматы жок: рельеф айыптары жана мезгилдик ашуулар жок)"
    )
    assert travel_model_label("roads: kyrgyzstan-latest.osm.pbf", "ru") == "дороги: kyrgyzstan-latest.osm.pbf"
    assert travel_model_label("something else", "ru") == "something else"  # unknown forms are kept
    note = "population (estimate); village populations (3 estimated); travel times (modelled: no road data)"
    assert estimate_note(note, "ru") == (
        "население (оценка); население сёл (3 оценочных); время в пути (модельное: нет данных о дорогах)"
    )
    assert estimate_note(note, "en") == note
    assert dataset_label("Kyrgyz Republic (open data, about 2021) — 41702", "kyrgyzstan-open-data", "ky") == (
        "Кыргыз Республикасы (ачык маалыматтар, болжол менен 2021) — 41702"
    )
    assert dataset_label("My own build", "custom", "ru") == "My own build"


def test_every_scenario_file_has_kyrgyz_and_russian_titles() -> None:
    from atr_model.presentation.i18n import localized
    from atr_model.scenarios import load_scenario

    cyrillic = re.compile("[\u0400-\u04ff]")
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        scenario = load_scenario(path)
        for lang in ("ky", "ru"):
            for field in ("title", "description"):
                text = localized(scenario, field, lang)
                assert cyrillic.search(text) and text != getattr(scenario, field), (path.name, lang, field)
        assert localized(scenario, "title", "en") == scenario.title


def test_map_caption_promises_numbers_only_when_they_are_drawn(demo_folder: Path, monkeypatch) -> None:
    from atr_model.presentation.report import render_report, svg_map

    n_units = pd.read_csv(demo_folder / "assignments.csv", dtype=str)["new_unit_id"].nunique()
    numbered = render_report(demo_folder, "en")
    assert n_units <= svg_map.MAP_LABEL_LIMIT
    assert t("report.caption_numbered", "en") in numbered and "(map no. 1)" in numbered
    monkeypatch.setattr(svg_map, "MAP_LABEL_LIMIT", n_units - 1)  # as on the national map (455 new units)
    crowded = render_report(demo_folder, "en")
    assert t("report.caption_numbered", "en") not in crowded
    assert f"New units ({n_units}): too many to number at this scale" in crowded
    assert "map no." not in crowded


@pytest.mark.parametrize("lang", ["ky", "ru"])
def test_map_popups_explain_decisions_in_the_language(demo_folder: Path, lang: str) -> None:
    import folium

    from atr_model.data.demo import make_demo_dataset
    from atr_model.presentation import maps
    from atr_model.presentation.app.results import load_result

    result = load_result(demo_folder)
    fmap = maps.result_map(
        maps.display_layers(make_demo_dataset(), elevation=None), result.assignments, new_units=result.new_units,
        lang=lang, offline=True,
    )
    popups = [
        f["properties"].get("popup", "")
        for child in fmap._children.values() if isinstance(child, folium.GeoJson)
        for f in (child.data or {}).get("features", [])
    ]
    text = " ".join(popups)
    assert popups and t("field.reason", lang) in text
    assert "residents (floor" not in text and "hosts the centre" not in text  # no English sentence
    a = result.assignments.set_index("unit_code")
    merged = a[a["status"] == "merged"].iloc[0]
    centre = a.loc[merged["centre_code"], f"unit_name_{lang}"]
    label = f"{centre} ({merged['centre_code']})"  # the centre named in the language, with its code
    expected = {"ky": f"борбору {label} болгон жаңы бирдикке кошулат", "ru": f"присоединяется к новой единице (центр — {label};"}
    assert expected[lang] in text


@pytest.fixture(scope="module")
def robustness_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo robustness package with fragile decisions (census figures given a spread)."""
    from atr_model.scenarios import apply_overrides, load_scenario
    from atr_model.scenarios.robustness import run_robustness, write_robustness

    scenario = apply_overrides(load_scenario(ROOT / "scenarios" / "demo.yaml"),
                               **{"uncertainty.population.log_sd.census": 0.3, "uncertainty.travel.roads_log_sd": 0.1})
    return write_robustness(run_robustness(scenario, draws=6, seed=5), tmp_path_factory.mktemp("robust") / "pkg")


def _robustness_text(folder: Path, lang: str) -> str:
    """The visible text of the robustness section of the package's report, without identifiers (``<code>``)."""
    from atr_model.presentation.report import write_robustness_report

    page = write_robustness_report(folder, lang).read_text(encoding="utf-8")
    assert f"<html lang='{lang}'>" in page
    section = page[page.index("<h2 id='robustness'>"):]
    return visible_text(re.sub(r"<code>.*?</code>", " ", section, flags=re.S))


@pytest.mark.parametrize("lang", ["ru", "ky"])
def test_robustness_section_in_russian_and_kyrgyz_has_no_english(robustness_folder: Path, lang: str) -> None:
    fragile = pd.read_csv(robustness_folder / "fragile_decisions.csv", dtype=str)
    assert not fragile.empty  # the sentences below are really rendered
    text = _robustness_text(robustness_folder, lang)
    assert english_catalogue_hits(text, lang) == []
    assert t("robustness.report.assumptions", lang) in text
    # the fragile decisions' sentences are composed in the language, not copied from the English table
    for english in ("hinges on", "of draws", "population estimate", "same new unit", "estimate;"):
        assert english not in text, english
    names = pd.read_csv(robustness_folder / "nominal" / "assignments.csv", dtype=str).set_index("unit_code")
    first = fragile.iloc[0]["unit_code"]
    assert names.loc[first, f"unit_name_{lang}"] in text  # Cyrillic name of the most fragile unit
    assert t("robustness.hinge.on", lang).split("{")[0].strip() in text


def test_robustness_section_in_english_keeps_the_table_sentences(robustness_folder: Path) -> None:
    text = _robustness_text(robustness_folder, "en")
    first = pd.read_csv(robustness_folder / "fragile_decisions.csv", dtype=str).iloc[0]
    assert "hinges on" in text and first["unit_code"] in text
    assert t("robustness.report.assumptions", "en") in text  # the same catalogue, in English


def test_assumption_meanings_in_english_match_the_scenario_schema() -> None:
    # the catalogue's English meanings must follow the descriptions of the uncertainty: fields
    from atr_model.scenarios.uncertainty import Uncertainty

    for row in Uncertainty().assumptions():
        assert t(f"robustness.assume.{row['key']}", "en") == row["description"], row["key"]


def test_assumption_texts_state_the_fields_own_defaults() -> None:
    """The assumption texts say "default X" in words: X is the field's default (Uncertainty()),
    in every language (the number is written the same way in ky, ru and en)."""
    from atr_model.scenarios.uncertainty import Uncertainty

    words = {"true": True, "false": False}
    checked = 0
    for row in Uncertainty().assumptions():
        for lang in ("en", "ru", "ky"):
            text = t(f"robustness.assume.{row['key']}", lang)
            stated = re.search(r"(?i)\b(?:default|по умолчанию|демейки)\s+([0-9]+(?:[.,][0-9]+)?|true|false)\b", text)
            if stated is None:
                continue
            raw = stated.group(1).lower()
            value = words[raw] if raw in words else float(raw.replace(",", "."))
            assert value == row["value"], (row["key"], lang, text)
            checked += 1
    assert checked >= 10  # the English texts all state one


def test_robustness_cli_writes_the_report_in_the_chosen_language(tmp_path: Path, capsys) -> None:
    from atr_model.presentation.cli import main

    text = (ROOT / "scenarios" / "demo.yaml").read_text(encoding="utf-8") + (
        "uncertainty:\n  population:\n    log_sd:\n      census: 0.3\n")
    path = tmp_path / "demo-spread.yaml"
    path.write_text(text, encoding="utf-8")
    base = ["robustness", str(path), "--draws", "2", "--seed", "3", "-q", "--workers", "1"]
    with pytest.raises(SystemExit) as bad:
        main([*base, "--lang", "de", "--out", str(tmp_path / "bad")])
    assert bad.value.code == 1 and "--lang 'de': expected one of" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()  # refused before any draw
    try:
        main([*base, "--lang", "ky", "--out", str(tmp_path / "ky")])
    except SystemExit as exc:
        assert not exc.code
    page = (tmp_path / "ky" / "report.html").read_text(encoding="utf-8")
    assert "<html lang='ky'>" in page and t("robustness.title", "ky") in page
