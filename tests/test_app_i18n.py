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

    at = AppTest.from_file(APP, default_timeout=240).run()
    at.selectbox(key="lang").set_value("ru").run()
    labels = {w.key: w.label for w in [*at.number_input, *at.selectbox, *at.checkbox, *at.text_input] if w.key}
    floor_key = next(k for k in labels if k.endswith(".population_floor"))
    assert labels[floor_key] == STRINGS["crit.population_floor"]["ru"]
    border_key = next(k for k in labels if k.endswith("exemptions.border_km"))
    assert labels[border_key] == STRINGS["crit.exemptions.border_km"]["ru"]
    helps = {w.key: w.help for w in at.number_input if w.key}
    assert helps[floor_key] == STRINGS["crit.population_floor.help"]["ru"]
    english = {v["en"] for v in STRINGS.values()}
    editor = [k for k in labels if re.match(r"^(crit|solver)\d+\.", k)]
    assert len(editor) >= 25
    assert not [labels[k] for k in editor if labels[k] in english and labels[k] != STRINGS.get("opt.raion", {}).get("ru")]


def test_dataset_selector_names_the_kyrgyz_build_in_each_language() -> None:
    from atr_model.presentation.app import backend
    from atr_model.presentation.app.main import _choice_label

    built = backend.DatasetChoice("/cache/kyrgyzstan/kyrgyzstan.gpkg", "Kyrgyz Republic (open data, about 2021) · kg-1a2b")
    assert _choice_label(built, "ru") == "Кыргызская Республика (открытые данные, около 2021 г.) · kg-1a2b"
    assert _choice_label(built, "en") == built.label
    assert _choice_label(backend.DatasetChoice(backend.KYRGYZ_KEY, "x"), "ky") == t("dataset.kyrgyz_build", "ky")
    assert _choice_label(backend.DatasetChoice("/x/other.gpkg", "Other · b1"), "ky") == "Other · b1"
