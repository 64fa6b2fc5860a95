"""The app's Versions view with Streamlit's AppTest (no browser), on the demo: save the plan shown
with a name and a note, refuse a name taken, rename, compare two versions (the callback hands the
Compare view two result folders whose comparison is the versions' own), delete, and the full
package of a version as the Downloads view's ZIP."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    results = tmp_path / "results"
    monkeypatch.setenv("ATR_APP_RESULTS", str(results))
    monkeypatch.setenv("ATR_CACHE_DIR", str(tmp_path / "cache"))
    return results


def _view_script() -> None:  # runs as the AppTest page script
    from pathlib import Path

    import streamlit as st

    from atr_model.presentation.app import cache, scenario_io
    from atr_model.presentation.app.datasets import DEMO_KEY
    from atr_model.presentation.app.main import AppContext, show_errors
    from atr_model.presentation.app.versions_view import view_versions
    from atr_model.scenarios import load_scenario

    root = Path(st.session_state.get("root", "."))
    scenario = scenario_io.with_dataset(load_scenario(root / "scenarios" / "demo.yaml"), DEMO_KEY)
    ds = cache.dataset(DEMO_KEY)
    st.session_state["result_folder"] = cache.run(DEMO_KEY, scenario)
    ctx = AppContext(lang=st.session_state.get("lang", "en"), dataset_key=DEMO_KEY, source=DEMO_KEY, dataset=ds,
                     layers=cache.layers(DEMO_KEY, ds.build_id), scenario=scenario)
    with show_errors(ctx.lang):
        view_versions(ctx)


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


def _save(at, name: str, note: str, lang: str) -> None:
    from atr_model.presentation.i18n import t

    at.text_input(key="versions_save_name").input(name)
    at.text_area(key="versions_save_note").input(note)
    _button(at, t("versions.save", lang)).click()
    at.run()
    assert not at.exception, at.exception


@pytest.mark.parametrize("lang", ["en", "ky"])
def test_versions_view_saves_renames_compares_and_deletes(app_env: Path, lang: str) -> None:
    from streamlit.testing.v1 import AppTest

    from atr_model.presentation.app.downloads import download_zip
    from atr_model.presentation.app.state import plan_versions
    from atr_model.presentation.i18n import t
    from atr_model.scenarios import compare_results, make_version

    at = AppTest.from_function(_view_script, default_timeout=240)
    at.session_state["root"] = str(ROOT)
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception, at.exception
    assert t("versions.title", lang) in at.subheader[0].value
    _save(at, "v1", "the optimum", lang)
    saved = plan_versions(at.session_state)
    assert [(v.name, v.note) for v in saved] == [("v1", "the optimum")]
    shown = pd.read_csv(Path(at.session_state["result_folder"]) / "assignments.csv", dtype=str)
    assert saved[0].plan["new_unit_id"].tolist() == shown["new_unit_id"].tolist()
    assert not at.error
    _save(at, "v1", "again", lang)  # the name is taken: one message in the language, nothing added
    assert [e.value for e in at.error] and t("error.version_exists", lang, name="v1") in at.error[0].value
    assert len(plan_versions(at.session_state)) == 1

    # a second version (every unit on its own), as a colleague's file would bring it
    codes = saved[0].plan["unit_code"]
    alone = make_version(pd.DataFrame({"unit_code": codes, "new_unit_id": codes}), "alone",
                         scenario_name="demo", dataset_build_id=saved[0].dataset_build_id)
    at.session_state["plan_versions"] = (*plan_versions(at.session_state), alone)
    at.run()
    at.text_input(key="versions_rename_v1").input("engine")
    _button(at, t("versions.rename", lang)).click()
    at.run()
    assert [v.name for v in plan_versions(at.session_state)] == ["engine", "alone"]

    _button(at, t("versions.compare", lang)).click()
    at.run()
    assert not at.exception, at.exception
    folder_a, folder_b, choice_a, choice_b = at.session_state["compare"]
    assert (choice_a, choice_b) == ("version:engine", "version:alone")
    assert at.session_state["view"] == "compare"
    comparison = compare_results(folder_a, folder_b)
    assert len(comparison.changed_units) == int(shown.groupby("new_unit_id")["unit_code"].transform("size").gt(1).sum())
    zipped = zipfile.ZipFile(io.BytesIO(download_zip(folder_b, lang)))
    assert any(n.endswith("/assignments.csv") for n in zipped.namelist())
    assert any(n.endswith("/kpis.json") for n in zipped.namelist())

    _button(at, t("versions.delete", lang)).click()  # the version picked: the first
    at.run()
    assert [v.name for v in plan_versions(at.session_state)] == ["alone"]
