"""Calibration to a reference plan (issue 24): synthetic recovery, leave-one-raion-out, the file, bad input.

The reference is a plan the engine made on the demo territory with a known population floor;
calibration over a grid that holds that floor must find it again (within the grid step) with
in-sample agreement 1.0.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from atr_model.errors import DataError, ScenarioError
from atr_model.presentation.cli import main
from atr_model.scenarios import apply_overrides, load_scenario, run_scenario
from atr_model.scenarios.agreement import reference_from_table
from atr_model.scenarios.calibrate import calibrate, write_calibration
from atr_model.scenarios.limits import limits
from atr_model.scenarios.sweep import parse_param

ROOT = Path(__file__).resolve().parents[1]
#: The floor the synthetic reference is made with, and the grid step searched around it.
TRUE_FLOOR = 5000
STEP = 1000
FLOOR = "criteria.population_floor"


@pytest.fixture(scope="module")
def base():
    return load_scenario(ROOT / "scenarios" / "demo.yaml")


@pytest.fixture(scope="module")
def synthetic(base, demo_dataset) -> pd.DataFrame:
    """The aiyl-aimak grouping the engine gives with the true floor (the reference)."""
    plan = run_scenario(apply_overrides(base, **{FLOOR: TRUE_FLOOR}), dataset=demo_dataset).assignments
    aa = plan[plan["level"] == "aiyl_aimak"]
    return pd.DataFrame({"unit_code": aa["unit_code"], "group": aa["new_unit_id"]})


@pytest.fixture(scope="module")
def calibration(base, synthetic, demo_dataset):
    """Calibrated from a base floor that is not the true one, over a grid holding it."""
    start = apply_overrides(base, **{FLOOR: 8000})
    grid = [parse_param(f"population_floor={TRUE_FLOOR - STEP}:{TRUE_FLOOR + STEP}:{STEP}")]
    return calibrate(start, reference_from_table(synthetic, where="synthetic.csv"), grid, dataset=demo_dataset)


def test_synthetic_reference_is_recovered(calibration) -> None:
    assert abs(calibration.best[FLOOR] - TRUE_FLOOR) <= STEP
    assert calibration.best_score == 1.0
    assert calibration.scenario.criteria.population_floor == calibration.best[FLOOR]
    # the neighbouring floors give other plans: the grid point is identified, not merely tied
    assert calibration.tied_points == (calibration.best_point,)
    assert (calibration.table["score"].drop(index=calibration.best_point) < 1.0).all()
    assert list(calibration.table[FLOOR]) == [TRUE_FLOOR - STEP, TRUE_FLOOR, TRUE_FLOOR + STEP]
    assert calibration.table["error"].eq("").all()


def test_leave_one_raion_out(calibration, demo_dataset) -> None:
    held = calibration.held_out
    assert sorted(held["raion_code"]) == sorted(demo_dataset.raions["raion_code"].astype(str))
    # the true floor is in the grid, so every raion is reproduced by some point ...
    assert (held["best_reachable_ari"] == 1.0).all()
    # ... and the held-out figure is the ARI of the point chosen on the other raions
    table = calibration.table.set_index("point")
    for rec in held.itertuples(index=False):
        assert rec.held_out_ari == table.loc[rec.point, f"ari_{rec.raion_code}"]
        assert rec.held_out_ari <= rec.best_reachable_ari
    assert calibration.held_out_mean == pytest.approx(held["held_out_ari"].mean())


def test_the_calibrated_file_says_what_it_was_fitted_to(calibration, tmp_path: Path) -> None:
    path = write_calibration(calibration, tmp_path / "cal")
    text = path.read_text(encoding="utf-8")
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert any(calibration.digest in line for line in header)
    assert any(f"{FLOOR}: 4000, 5000, 6000" in line for line in header)
    assert any("in-sample agreement: mean adjusted Rand index 1.000" in line for line in header)
    again = load_scenario(path)
    assert again.criteria.population_floor == calibration.best[FLOOR]
    assert again.name == "demo-calibrated"
    assert len(pd.read_csv(tmp_path / "cal" / "grid.csv")) == 3
    assert len(pd.read_csv(tmp_path / "cal" / "held_out.csv")) == len(calibration.held_out)


def test_the_pool_gives_the_same_table(base, synthetic, demo_dataset, calibration) -> None:
    start = apply_overrides(base, **{FLOOR: 8000})
    grid = [parse_param(f"population_floor={TRUE_FLOOR - STEP}:{TRUE_FLOOR + STEP}:{STEP}")]
    pooled = calibrate(start, reference_from_table(synthetic), grid, dataset=demo_dataset, workers=2)
    columns = [c for c in calibration.table.columns if c != "seconds"]
    pd.testing.assert_frame_equal(pooled.table[columns], calibration.table[columns])


def test_bad_calibration_input_fails_before_solving(base, synthetic, demo_dataset) -> None:
    ref = reference_from_table(synthetic)
    with pytest.raises(ScenarioError, match="'dataset' changes the inputs"):
        calibrate(base, ref, [("dataset", ["demo"])], dataset=demo_dataset)
    with pytest.raises(ScenarioError, match="no free parameter"):
        calibrate(base, ref, [], dataset=demo_dataset)
    most = limits().calibration_points
    too_many = [("criteria.population_floor", list(range(1000, 1000 + 10 * (most + 1), 10)))]
    with pytest.raises(ScenarioError, match=f"{most + 1:,} grid points exceed the limit of {most:,}"):
        calibrate(base, ref, too_many, dataset=demo_dataset)
    with pytest.raises(ScenarioError, match="3 grid points exceed the limit of 2"):
        calibrate(base, ref, [(FLOOR, [4000, 5000, 6000])], dataset=demo_dataset, max_points=2)
    with pytest.raises(ScenarioError, match="population_floor"):
        calibrate(base, ref, [(FLOOR, [-5])], dataset=demo_dataset)
    with pytest.raises(DataError, match="covers no raion fully"):
        calibrate(base, reference_from_table(synthetic.head(2)), [(FLOOR, [5000])], dataset=demo_dataset)
    unknown = pd.concat([synthetic, pd.DataFrame({"unit_code": ["ZZ-9"], "group": ["z"]})])
    with pytest.raises(DataError, match=r"1 unit code\(s\) not in .*: ZZ-9"):
        calibrate(base, reference_from_table(unknown), [(FLOOR, [5000])], dataset=demo_dataset)


def test_cli_calibrate(synthetic, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ref = tmp_path / "ref.csv"
    synthetic.to_csv(ref, index=False)
    main(["calibrate", str(ROOT / "scenarios" / "demo.yaml"), "--reference", str(ref), "--out", str(tmp_path / "cal"),
          "--free", "population_floor=4000,5000", "--workers", "1", "--quiet"])
    out = capsys.readouterr().out
    assert "best: criteria.population_floor = 5000" in out
    assert "leave-one-raion-out agreement" in out
    assert (tmp_path / "cal" / "demo-calibrated.yaml").exists()
    # report.html: the calibrated scenario beside concept-2013, the figures of calibration.json
    import json

    from atr_model.presentation.i18n import format_number, t
    from atr_model.presentation.report.agreement import ari_text

    summary = json.loads((tmp_path / "cal" / "calibration.json").read_text(encoding="utf-8"))
    html = (tmp_path / "cal" / "report.html").read_text(encoding="utf-8")
    concept = load_scenario(ROOT / "scenarios" / "concept-2013.yaml")
    row = (f"<tr><td>{FLOOR}</td><td>{format_number(5000, 'en')}</td><td>{format_number(summary['best'][FLOOR], 'en')}</td>"
           f"<td>{format_number(concept.criteria.population_floor, 'en')}</td></tr>")
    assert row in html and t("calib.beside", "en", concept=concept.name) in html
    assert ari_text(summary["in_sample_mean_raion_ari"], "en") in html
    assert ari_text(summary["held_out_mean_raion_ari"], "en") in html
    # what the reference did in effect: its merged units, in the dataset's population figures
    assert t("agree.in_effect", "en") in html and "new unit(s) of about" in html
    for rec in summary["held_out"]:
        assert f"<td>{rec['raion_code']}</td><td class='num'>{ari_text(rec['held_out_ari'], 'en')}</td>" in html


def test_cli_calibrate_refuses_before_work(synthetic, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A foreign --out folder and a grid over the limit are refused before any solve; --force replaces."""
    ref = tmp_path / "ref.csv"
    synthetic.to_csv(ref, index=False)
    args = ["calibrate", str(ROOT / "scenarios" / "demo.yaml"), "--reference", str(ref), "--workers", "1", "--quiet"]
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("not atr-model's", encoding="utf-8")
    solved: list[str] = []
    import atr_model.presentation.cli_agree as cli_agree

    monkeypatch.setattr(cli_agree, "calibrate", lambda *a, **k: solved.append("x"))
    with pytest.raises(SystemExit) as stop:
        main([*args, "--out", str(foreign), "--free", "population_floor=4000,5000"])
    err = capsys.readouterr().err
    assert stop.value.code == 1 and "refusing to replace" in err and err.count("\n") == 1
    assert (foreign / "notes.txt").exists() and solved == []
    # the limit: option and environment variable
    with pytest.raises(SystemExit):
        main([*args, "--out", str(tmp_path / "c1"), "--free", "population_floor=4000,5000", "--free",
              "objective=travel,admin_cost", "--max-points", "3"])
    assert "4 grid points exceed the limit of 3" in capsys.readouterr().err
    monkeypatch.setenv("ATR_MAX_CALIBRATION_POINTS", "3")
    with pytest.raises(SystemExit):
        main([*args, "--out", str(tmp_path / "c1"), "--free", "population_floor=4000,5000", "--free",
              "objective=travel,admin_cost"])
    assert "ATR_MAX_CALIBRATION_POINTS" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # one parameter alone over the limit: its values are never made
        main([*args, "--out", str(tmp_path / "c1"), "--free", "population_floor=1:1000000000000:1"])
    assert "more than 3 values" in capsys.readouterr().err
    assert solved == [] and not (tmp_path / "c1").exists()


def test_calibration_folder_is_marked_and_force_replaces(calibration, tmp_path: Path) -> None:
    from atr_model._atomic import MARKER
    from atr_model.errors import OutputError

    target = tmp_path / "cal"
    write_calibration(calibration, target)
    assert '"kind": "calibration"' in (target / MARKER).read_text(encoding="utf-8")
    write_calibration(calibration, target)  # its own kind: replaced without --force
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match="refusing to replace"):
        write_calibration(calibration, other)
    write_calibration(calibration, other, force=True)
    assert not (other / "keep.txt").exists() and (other / "grid.csv").exists()
