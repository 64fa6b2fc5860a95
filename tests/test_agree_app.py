"""The app's Reference plan view (issue 24) with Streamlit's AppTest (no browser): a reference made
from a demo plan, uploaded by name and Kyrgyz unit names, gives the figures of `agree --json`."""

from __future__ import annotations

import json
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
    from atr_model.presentation.app.agree_view import view_agree
    from atr_model.presentation.app.datasets import DEMO_KEY
    from atr_model.presentation.app.main import AppContext, show_errors
    from atr_model.scenarios import load_scenario

    root = Path(st.session_state.get("root", "."))
    scenario = scenario_io.with_dataset(load_scenario(root / "scenarios" / "demo.yaml"), DEMO_KEY)
    ds = cache.dataset(DEMO_KEY)
    st.session_state["result_folder"] = cache.run(DEMO_KEY, scenario)
    ctx = AppContext(lang=st.session_state.get("lang", "ru"), dataset_key=DEMO_KEY, source=DEMO_KEY, dataset=ds,
                     layers=cache.layers(DEMO_KEY, ds.build_id), scenario=scenario)
    with show_errors(ctx.lang):
        view_agree(ctx)


def _reference_bytes(plan: pd.DataFrame, dataset) -> bytes:
    """The plan's aiyl-aimak grouping named by Russian raion and Kyrgyz unit names, one merged unit moved out."""
    aa = plan[plan["level"] == "aiyl_aimak"]
    units = dataset.units.set_index("unit_code")
    raions = dataset.raions.set_index("raion_code")
    ref = pd.DataFrame({
        "raion": [raions.loc[units.loc[c, "raion_code"], "name_ru"] for c in aa["unit_code"]],
        "unit_name": [units.loc[c, "name_ky"] for c in aa["unit_code"]],
        "group": aa["new_unit_id"].to_numpy(),
    })
    ref.loc[ref.index[ref["group"].duplicated(keep=False).to_numpy()][0], "group"] = "moved"
    return ref.to_csv(index=False).encode("utf-8")


@pytest.mark.parametrize("lang", ["ru", "ky"])
def test_reference_view_shows_agreement_tables_and_map(app_env: Path, tmp_path: Path, lang: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from streamlit.testing.v1 import AppTest

    from atr_model.presentation.app.agree_view import REFERENCE_KEY
    from atr_model.presentation.cli import main
    from atr_model.presentation.i18n import t
    from atr_model.presentation.report.agreement import ari_text, share_text

    at = AppTest.from_function(_view_script, default_timeout=240)
    at.session_state["root"] = str(ROOT)
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception, at.exception
    assert not at.markdown or all(t("agree.per_raion", lang) not in m.value for m in at.markdown)  # nothing yet
    folder = Path(at.session_state["result_folder"])
    from atr_model.data.demo import make_demo_dataset

    data = _reference_bytes(pd.read_csv(folder / "assignments.csv", dtype=str), make_demo_dataset())
    at.session_state[REFERENCE_KEY] = ("reference.csv", data)
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    # the same figures as `agree --json` on the same result and reference
    (tmp_path / "ref.csv").write_bytes(data)
    main(["agree", str(folder), str(tmp_path / "ref.csv"), "--json", "--data", "demo"])
    payload = json.loads(capsys.readouterr().out)
    o = payload["overall"]
    shown = " ".join(m.value for m in at.markdown)
    assert ari_text(o["ari"], lang) in shown and share_text(o["recall"], lang) in shown
    assert t("agree.title", lang) in at.subheader[0].value
    per_raion, differ = (frame.value for frame in at.dataframe[:2])
    assert len(per_raion) == len(payload["raions"]) and t("agree.col.ari", lang) in per_raion.columns
    assert len(differ) == o["units_differ"] > 0
    # the map colours units by agreement, legend in the language
    components = at.get("component_instance")
    assert components, "no agreement map on the page"
    args = json.loads(components[0].proto.json_args)
    page = args["html"] + args["script"]
    for key in ("agree.map.agree", "agree.map.differ"):
        text = t(key, lang)
        assert text in page or json.dumps(text)[1:-1] in page
