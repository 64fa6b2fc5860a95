"""The app's Robustness view with Streamlit's AppTest (no browser)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from atr_model.presentation.app.server import PAGE_SCRIPT

ROOT = Path(__file__).resolve().parents[1]
APP = str(PAGE_SCRIPT)  # the page app.py serves (AppTest runs a page script, not the st.App)


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    results = tmp_path / "results"
    monkeypatch.setenv("ATR_APP_RESULTS", str(results))
    monkeypatch.setenv("ATR_CACHE_DIR", str(tmp_path / "cache"))
    return results


def _view_script() -> None:  # runs as the AppTest page script
    from pathlib import Path

    import streamlit as st

    from atr_model.presentation.app import cache
    from atr_model.presentation.app.datasets import DEMO_KEY
    from atr_model.presentation.app.main import AppContext, show_errors
    from atr_model.presentation.app.robustness_view import view_robustness
    from atr_model.scenarios import apply_overrides, load_scenario

    root = Path(st.session_state.get("root", "."))
    scenario = apply_overrides(load_scenario(root / "scenarios" / "demo.yaml"),
                               **{"uncertainty.population.log_sd.census": 0.3, "uncertainty.travel.roads_log_sd": 0.1})
    ds = cache.dataset(DEMO_KEY)
    ctx = AppContext(lang=st.session_state.get("lang", "ru"), dataset_key=DEMO_KEY, source=DEMO_KEY, dataset=ds,
                     scenario=scenario)
    with show_errors(ctx.lang):
        view_robustness(ctx)


def test_robustness_view_runs_and_shows_map_fragile_decisions_and_download(app_env: Path) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_view_script, default_timeout=240)
    at.session_state["root"] = str(ROOT)
    at.session_state["lang"] = "ru"
    at.run()
    assert not at.exception, at.exception
    assert [i.value for i in at.info] == ["Устойчивость ещё не рассчитана."]
    at.number_input(key="robustness_draws").set_value(4)
    at.button(key="robustness_run").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    labels = [m.label for m in at.metric]
    assert any(label.startswith("Устойчивые новые единицы") for label in labels)
    assert any(label.startswith("Хрупкие решения") for label in labels)
    folder = Path(at.session_state["robustness_folder"])
    assert (folder / "robustness.json").exists() and (folder / "report.html").exists()
    components = at.get("component_instance")
    assert components, "no stability map on the page"
    args = json.loads(components[0].proto.json_args)
    assert "Доля розыгрышей" in args["html"] or "Доля розыгрышей" in args["script"]
    import pandas as pd

    assignments = pd.read_csv(folder / "nominal" / "assignments.csv", dtype=str)
    centre = assignments.loc[assignments["status"] == "centre"].iloc[0]
    page = args["html"] + args["script"]
    assert centre["unit_name_ru"] in page or json.dumps(centre["unit_name_ru"])[1:-1] in page  # Cyrillic tooltip
    # the shared outlines (raions, oblasts, unplaced land, exclaves) as on every other map
    from atr_model.presentation import maps
    from atr_model.presentation.app import cache
    from atr_model.presentation.app.datasets import DEMO_KEY
    from atr_model.presentation.app.robustness_view import stability_map
    from atr_model.presentation.i18n import t

    layers = cache.layers(DEMO_KEY, cache.dataset(DEMO_KEY).build_id)
    counts = maps.map_feature_counts(stability_map(folder, layers, "ru"))
    assert counts[t("map.raions", "ru")] == len(layers.raions) and counts[t("map.oblasts", "ru")] == len(layers.oblasts)
    assert at.get("download_button"), "no package download"
    # the fragile decisions and key figures in Russian: sentences composed in the language, not the CSV's English
    fragile, figures = (frame.value for frame in at.dataframe[:2])
    sentences = " ".join(fragile.iloc[:, -1].astype(str))
    assert "розыгрышей" in sentences and "hinges on" not in sentences and "of draws" not in sentences
    assert "Objective" not in set(figures.iloc[:, 0]) and "objective" not in set(figures.iloc[:, 0])
    assert "<html lang='ru'>" in (folder / "report.html").read_text(encoding="utf-8")


def test_robustness_view_in_the_app_says_nothing_to_draw_on_the_demo(app_env: Path) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=240).run()
    at.radio(key="view").set_value("robustness").run()
    assert not at.exception, at.exception
    at.number_input(key="robustness_draws").set_value(2)
    at.button(key="robustness_run").click().run()
    assert not at.exception, at.exception
    assert any("nothing to draw" in e.value for e in at.error), [e.value for e in at.error]
