"""The app in three languages: a language switch relabels every widget in the same rerun.

Streamlit keeps a keyed widget's identity when its ``format_func`` changes, and the browser
shows the label it last received for the value: without :func:`refresh_widget_labels` the
dropdowns and filter chips showed the previous language until the next rerun. AppTest sees
what the server sends the browser (``set_value`` and the value's label).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from atr_model.presentation.app.server import PAGE_SCRIPT
from atr_model.presentation.i18n import STRINGS, status_label, t

ROOT = Path(__file__).resolve().parents[1]
APP = str(PAGE_SCRIPT)  # the page app.py serves (AppTest runs a page script, not the st.App)
SCENARIO = str(ROOT / "scenarios" / "demo.yaml")
LATIN_WORD = re.compile(r"\b[A-Za-z]{4,}\b")


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("ATR_APP_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("ATR_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def _ran_demo():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=240).run()
    at.selectbox(key="scenario_choice").set_value(SCENARIO).run()
    at.button(key="run").click().run()
    assert not at.exception, at.exception
    return at


def _shown_label(widget) -> str:
    """The label the browser shows for a selectbox's value after this rerun."""
    assert widget.proto.set_value, f"{widget.key}: the value's label was not re-sent"
    return widget.proto.raw_value


@pytest.mark.parametrize("lang", ["ky", "ru"])
def test_language_switch_relabels_dropdowns_and_chips_in_the_same_rerun(app_env: Path, lang: str) -> None:
    at = _ran_demo()
    english_status = {s: status_label(s, "en") for s in at.multiselect(key="status_filter").value}
    at.selectbox(key="lang").set_value(lang).run()
    assert not at.exception, at.exception
    assert _shown_label(at.selectbox(key="dataset_key")) == t("dataset.demo", lang)
    assert _shown_label(at.selectbox(key="raion")) == t("sidebar.whole", lang)
    scenario_label = _shown_label(at.selectbox(key="scenario_choice"))
    assert scenario_label.startswith({"ky": "Демо: Концепция 2013", "ru": "Демо: критерии"}[lang])
    assert _shown_label(at.selectbox(key=next(s.key for s in at.selectbox if s.key.endswith(".nesting")))) == t(
        "opt.raion", lang
    )
    assert _shown_label(at.selectbox(key=next(s.key for s in at.selectbox if s.key.endswith(".floor_mode")))) == t(
        "opt.soft", lang
    )
    chips = at.multiselect(key="status_filter")
    assert chips.proto.set_value, "the filter chips' labels were not re-sent"
    assert list(chips.proto.raw_values) == [status_label(s, lang) for s in chips.value]
    assert not set(chips.proto.raw_values) & set(english_status.values())
    # every dropdown's options are in the new language: no Latin word left but file names/codes
    for box in at.selectbox:
        if box.key in ("lang", "solver1.name") or box.key.endswith(".name"):
            continue
        for option in box.proto.options:
            words = [w for w in LATIN_WORD.findall(option) if not w.startswith("DEMO")]
            assert not words, f"{box.key}: option {option!r} is not in {lang}"


def test_criteria_editor_labels_and_help_come_from_the_catalogue(app_env: Path) -> None:
    from streamlit.testing.v1 import AppTest

    from atr_model.criteria import DEFAULT_POPULATION_FLOOR
    from atr_model.presentation.i18n import field_help

    at = AppTest.from_file(APP, default_timeout=240).run()
    at.selectbox(key="lang").set_value("ru").run()
    labels = {w.key: w.label for w in [*at.number_input, *at.selectbox, *at.checkbox, *at.text_input] if w.key}
    floor_key = next(k for k in labels if k.endswith(".population_floor"))
    assert labels[floor_key] == STRINGS["crit.population_floor"]["ru"]
    border_key = next(k for k in labels if k.endswith("exemptions.border_km"))
    assert labels[border_key] == STRINGS["crit.exemptions.border_km"]["ru"]
    helps = {w.key: w.help for w in at.number_input if w.key}
    assert helps[floor_key] == field_help("crit.population_floor", "ru", default=DEFAULT_POPULATION_FLOOR)
    english = {v["en"] for v in STRINGS.values()}
    editor = [k for k in labels if re.match(r"^(crit|solver)\d+\.", k)]
    assert len(editor) >= 25
    assert not [labels[k] for k in editor if labels[k] in english and labels[k] != STRINGS.get("opt.raion", {}).get("ru")]


def test_dataset_selector_names_the_kyrgyz_build_in_each_language() -> None:
    from atr_model.presentation.app import datasets
    from atr_model.presentation.app.main import _choice_label

    built = datasets.DatasetChoice("/cache/kyrgyzstan/kyrgyzstan.gpkg", "Kyrgyz Republic (open data, about 2021) · kg-1a2b")
    assert _choice_label(built, "ru") == "Кыргызская Республика (открытые данные, около 2021 г.) · kg-1a2b"
    assert _choice_label(built, "en") == built.label
    assert _choice_label(datasets.DatasetChoice(datasets.KYRGYZ_KEY, "x"), "ky") == t("dataset.kyrgyz_build", "ky")
    assert _choice_label(datasets.DatasetChoice("/x/other.gpkg", "Other · b1"), "ky") == "Other · b1"


#: How each language introduces a default in a help text.
DEFAULT_WORDS = {"en": "Default", "ru": "По умолчанию", "ky": "Демейки"}


def _editor_fields(model: type, prefix: str) -> list[tuple[str, str, object]]:
    """``(catalogue path, field name, default)`` of every field the sidebar editor shows."""
    from pydantic import BaseModel

    out: list[tuple[str, str, object]] = []
    for name, field in model.model_fields.items():
        path = f"{prefix}.{name}"
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            out.extend(_editor_fields(field.annotation, path))
        else:
            out.append((path, name, field.get_default(call_default_factory=True)))
    return out


def _expected_default(value: object, name: str, lang: str) -> str:
    """The default as the help should show it, from the catalogue's own words for it."""
    from atr_model.presentation.i18n import format_number, option_label

    if value is None or value == ():
        return STRINGS["sidebar.none"][lang]
    if isinstance(value, bool):
        return STRINGS["default.on" if value else "default.off"][lang]
    if isinstance(value, (int, float)):
        assert float(value).is_integer(), f"{name}: a fractional default; extend this test"
        return format_number(value, lang)
    return option_label(name, value, lang)


@pytest.mark.parametrize("lang", ["ky", "ru", "en"])
def test_every_help_text_stating_a_default_shows_the_fields_default(lang: str) -> None:
    from atr_model.criteria import Criteria
    from atr_model.presentation.i18n import field_help
    from atr_model.scenarios import SolverOptions

    word = DEFAULT_WORDS[lang]
    stated = []
    for path, name, default in [*_editor_fields(Criteria, "crit"), *_editor_fields(SolverOptions, "solver")]:
        raw = STRINGS.get(f"{path}.help", {}).get(lang, "")
        if word.casefold() not in raw.casefold():
            continue
        # never restated: the catalogue says {default} right after the word, the field fills it in
        assert re.search(rf"{word} [«']?\{{default\}}", raw), f"{lang}: {path}.help restates its default: {raw!r}"
        shown = field_help(path, lang, default=default)
        expected = _expected_default(default, name, lang)
        assert re.search(rf"{word} [«']?{re.escape(expected)}[»']?", shown), (path, shown, expected)
        stated.append(path)
    # the same fields state their default in every language
    english = [p for p, _, _ in [*_editor_fields(Criteria, "crit"), *_editor_fields(SolverOptions, "solver")]
               if DEFAULT_WORDS["en"] in STRINGS.get(f"{p}.help", {}).get("en", "")]
    assert stated == english and len(stated) >= 20


@pytest.mark.parametrize("lang", ["ky", "ru", "en"])
def test_warm_start_help_in_the_app_is_the_engine_default(app_env: Path, lang: str) -> None:
    """The app said "Default off" in all three languages while the engine starts warm."""
    from streamlit.testing.v1 import AppTest

    from atr_model.optimisation import EngineSettings

    at = AppTest.from_file(APP, default_timeout=240).run()
    at.selectbox(key="lang").set_value(lang).run()
    box = next(c for c in at.checkbox if c.key and c.key.endswith(".warm_start"))
    state = STRINGS["default.on" if EngineSettings().warm_start else "default.off"][lang]
    assert box.help.startswith(f"{DEFAULT_WORDS[lang]} {state}:"), box.help
    floor = next(n for n in at.number_input if n.key and n.key.endswith(".population_floor"))
    from atr_model.criteria import DEFAULT_POPULATION_FLOOR
    from atr_model.presentation.i18n import format_number

    assert f"{DEFAULT_WORDS[lang]} {format_number(DEFAULT_POPULATION_FLOOR, lang)}:" in floor.help
