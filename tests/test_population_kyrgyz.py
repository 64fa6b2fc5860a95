"""The fitted population estimator on the Kyrgyz build: totals, spread, report, data info."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from atr_model.data import population as pm
from atr_model.errors import DataError
from atr_model.presentation.cli import app

runner = CliRunner()
SCALED = "scaled to the raion total 2021 minus known units"


@pytest.fixture(scope="module")
def kg_report(kg_dataset_path: Path) -> dict:
    return json.loads((kg_dataset_path.parent / "build_report.json").read_text(encoding="utf-8"))


def _moved_to_2021(units, growth: float) -> np.ndarray:
    """Real 2009 figures moved to 2021 as the estimator does (rounded to persons)."""
    pop = units["population"].to_numpy(float)
    old = (~units["population_is_estimate"].astype(bool) & (units["population_year"] == 2009)).to_numpy()
    return np.where(old, np.round(pop * growth), pop)


def test_estimates_add_up_to_every_real_raion_total(kg_dataset, kg_report):
    units, raions = kg_dataset.units, kg_dataset.raions
    growth = kg_report["population_estimator"]["growth_2009_to_2021"]
    moved = units.assign(moved=_moved_to_2021(units, growth))
    scaled_raions = sorted(set(units.loc[units["population_source"].str.contains(SCALED, regex=False), "raion_code"]))
    real_totals = raions.loc[raions["kind"] == "raion"].set_index("raion_code")["population"]
    assert len(scaled_raions) >= 30
    assert set(scaled_raions) <= set(real_totals.index)
    sums = moved.groupby("raion_code")["moved"].sum()
    for raion in scaled_raions:
        assert sums[raion] == real_totals[raion], raion
    # "raion total" in a source marks exactly the shares of a real raion total (robustness draws keep
    # those raion totals)
    estimated = units.loc[units["population_is_estimate"].astype(bool)]
    marked = estimated["population_source"].str.contains("raion total", regex=False)
    assert (marked == estimated["population_source"].str.contains(SCALED, regex=False)).all()
    # a raion with a real total whose estimates are not scaled says why, unit by unit
    for raion in sorted(set(real_totals.index) - set(scaled_raions)):
        estimated = units.loc[(units["raion_code"] == raion) & units["population_is_estimate"].astype(bool)]
        why = estimated["population_source"].str.contains(
            r"not scaled: the known units (?:leave only \d+ residents|already exceed the raion's 2021 total)")
        assert (why | estimated["population_source"].str.contains("GeoNames")).all(), raion


def test_spread_columns_on_the_kyrgyz_build(kg_dataset):
    units = kg_dataset.units
    real = ~units["population_is_estimate"].astype(bool)
    assert real.sum() >= 120
    assert (units.loc[real, "population_log_sd"] == 0).all()
    assert (units.loc[real, "population_p5"] == units.loc[real, "population"]).all()
    assert (units.loc[real, "population_p95"] == units.loc[real, "population"]).all()
    est = units.loc[~real]
    assert (est["population_log_sd"] > 0).all()
    assert (est["population_p5"] < est["population"]).all() and (est["population"] < est["population_p95"]).all()
    fitted = est["population_source"].str.startswith("estimate: fitted log-linear model")
    assert fitted.sum() >= 350
    # settlements are still split from their unit's figure
    sums = kg_dataset.settlements.groupby("unit_code")["population"].sum()
    share = (sums.reindex(units["unit_code"]).to_numpy() / units["population"].to_numpy())
    assert np.abs(share - 1).max() < 0.05


def test_report_gives_the_estimator_beside_the_former_method(kg_report, kg_dataset_path):
    entry = kg_report["population_estimator"]
    assert entry["method"] == "fitted"
    assert {p["name"] for p in entry["predictors"]} >= {p.name for p in pm.PREDICTORS}
    assert all(p["source"] for p in entry["predictors"])
    assert "log(area_km2)" in entry["coefficients"]
    both = entry["comparison"]
    assert set(both) == {"fitted", "village_split"}
    assert both["fitted"]["units"] == both["village_split"]["units"] >= 120
    for row in both.values():
        assert 0 < row["median_abs_rel_error"] < 1 and row["log_sd"] > 0
    assert entry["median_abs_rel_error"] == both["fitted"]["median_abs_rel_error"]
    assert len(entry["largest_changes"]["units"]) == 10
    spread = entry["spread_model"]
    assert 0 < spread["coverage_90"] <= 1 and spread["calibration_rms_z"] > 0
    assert spread["within_raion_log_sd"] > 0 and spread["floor_log_sd"] >= 0
    markdown = (kg_dataset_path.parent / "build_report.md").read_text(encoding="utf-8")
    assert "## Population estimator" in markdown
    assert f"{100 * both['village_split']['median_abs_rel_error']:.1f} %" in markdown
    assert entry["largest_changes"]["units"][0]["unit_code"] in markdown


def test_data_info_json_reports_the_estimator(kg_dataset_path, kg_report):
    result = runner.invoke(app, ["data", "info", str(kg_dataset_path), "--json", "--no-network"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    estimator = info["population_estimator"]
    assert estimator["median_abs_rel_error"] == kg_report["population_estimator"]["median_abs_rel_error"]
    assert estimator["log_sd"] > 0
    assert estimator["comparison"]["village_split"]["median_abs_rel_error"] > 0
    assert info["population_spread"]["estimated_units_with_spread"] == info["population_estimated_units"]


def test_cross_validation_on_the_kyrgyz_units_is_deterministic(kg_dataset, kg_report):
    table = pm.predictor_table(kg_dataset.units, kg_dataset.settlements, kg_dataset.raions)
    totals = dict(zip(kg_dataset.raions["raion_code"], kg_dataset.raions["population"]))
    growth = {2009: kg_report["population_estimator"]["growth_2009_to_2021"], 2021: 1.0}
    first = pm.cross_validate(table, totals, growth_factors=growth)
    second = pm.cross_validate(table.sample(frac=1.0, random_state=1), totals, growth_factors=growth)
    assert first.to_dict() == second.to_dict()
    assert sorted(first.unit_codes) == sorted(second.unit_codes)


def test_the_former_method_stays_available(kg_source, tmp_path):
    from atr_model.data import build_kyrgyz_dataset

    with pytest.raises(DataError, match="population_method 'guess' is not known; use one of fitted, village_split"):
        build_kyrgyz_dataset(kg_source, population_method="guess")
    dataset, report = build_kyrgyz_dataset(kg_source, population_method="village_split")
    units = dataset.units
    assert report.population_estimator["method"] == "village_split"
    est = units.loc[units["population_is_estimate"].astype(bool)]
    assert est["population_source"].str.contains("split by number of COATE villages").sum() >= 300
    assert (est["population_log_sd"] > 0).all()


def test_data_build_rejects_an_unknown_population_method(kg_source, tmp_path):
    result = runner.invoke(app, ["data", "build", "--source", str(kg_source), "--out", str(tmp_path / "kg"),
                                 "--population-method", "guess"])
    assert isinstance(result.exception, DataError)
    assert "population_method 'guess' is not known" in str(result.exception)
    assert not (tmp_path / "kg").exists()
