"""The fitted population estimator (data layer): fit, cross-validation, scaling, spread, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from atr_model.data import population as pm
from atr_model.data.dataset import validate_layer
from atr_model.errors import ContractError, DataError

YEAR = 2024  # the demo's reference year


@pytest.fixture(scope="module")
def demo_table(demo_dataset) -> tuple[pd.DataFrame, dict[str, float]]:
    """Demo units with every third aiyl aimak's figure hidden, and the real raion totals."""
    table = pm.predictor_table(demo_dataset.units, demo_dataset.settlements, demo_dataset.raions)
    aimaks = table.index[table["level"] == "aiyl_aimak"]
    hidden = aimaks[::3]
    table.loc[hidden, "population"] = np.nan
    totals = dict(zip(demo_dataset.raions["raion_code"], demo_dataset.raions["population"].astype(float)))
    return table, totals


def _estimate(table: pd.DataFrame, totals: dict[str, float], **kw) -> pm.PopulationEstimate:
    return pm.estimate_unit_populations(table, totals, target_year=YEAR, **kw)


def test_scaled_estimates_add_up_to_the_raion_totals_to_the_person(demo_table):
    table, totals = demo_table
    est = _estimate(table, totals)
    result = est.table.assign(raion_code=table["raion_code"].to_numpy())
    assert (result["estimate_kind"] == "scaled").sum() == table["population"].isna().sum()
    sums = result.groupby("raion_code")["population"].sum()
    for raion, total in totals.items():
        assert sums[raion] == total, raion
    estimates = result.loc[result["population_is_estimate"], "population"]
    assert (estimates == np.round(estimates)).all() and (estimates > 0).all()
    assert result.loc[result["population_is_estimate"], "population_source"].str.startswith(
        "estimate: fitted log-linear model").all()


def test_real_figures_are_kept_and_have_no_spread(demo_table, demo_dataset):
    table, totals = demo_table
    est = _estimate(table, totals)
    real = ~est.table["population_is_estimate"]
    assert real.sum() == table["population"].notna().sum()
    original = demo_dataset.units.set_index("unit_code")["population"]
    kept = est.table.loc[real]
    assert (kept["population"].to_numpy() == original.loc[kept["unit_code"]].to_numpy()).all()
    assert (kept["population_log_sd"] == 0).all()
    assert (kept["population_p5"] == kept["population"]).all()
    assert (kept["population_p95"] == kept["population"]).all()
    estimated = est.table.loc[~real]
    assert (estimated["population_log_sd"] > 0).all()
    assert (estimated["population_p5"] < estimated["population"]).all()
    assert (estimated["population_p95"] > estimated["population"]).all()


def test_cross_validation_is_deterministic_and_leaves_one_raion_out(demo_table):
    table, totals = demo_table
    first = pm.cross_validate(table, totals, target_year=YEAR)
    second = pm.cross_validate(table.copy(), dict(totals), target_year=YEAR)
    assert first.unit_codes == second.unit_codes
    np.testing.assert_array_equal(first.estimated, second.estimated)
    assert first.to_dict() == second.to_dict()
    # every unit with a real figure is judged once, raion by raion in code order
    real_codes = table.loc[table["population"].notna()].sort_values(["raion_code"], kind="stable")["unit_code"]
    assert list(first.unit_codes) == list(real_codes)
    assert first.to_dict()["folds"] == "leave one raion out"


def test_fitted_model_is_reported_beside_the_village_split(demo_table):
    table, totals = demo_table
    fitted = _estimate(table, totals, method="fitted")
    old = _estimate(table, totals, method="village_split")
    assert fitted.cv_scaled.unit_codes == old.cv_scaled.unit_codes
    for est in (fitted, old):
        summary = est.summary()
        for key in ("median_abs_rel_error", "log_sd"):
            assert np.isfinite(summary[key]) and summary[key] > 0
        assert summary["cross_validation"]["scaled"]["units"] == len(est.cv_scaled.unit_codes)
    summary = fitted.summary()
    assert [p["name"] for p in summary["predictors"]][: len(pm.PREDICTORS)] == [p.name for p in pm.PREDICTORS]
    assert all(p["source"] for p in summary["predictors"])
    assert set(summary["coefficients"]) >= {"log(n_villages)", "log(area_km2)", "holds_raion_centre"}
    # the two methods estimate the same units but not the same figures
    changes = pm.largest_changes(old.table, fitted.table, top=5)
    assert 0 < len(changes) <= 5
    assert all(c["new"] - c["old"] == c["change"] for c in changes)
    assert [abs(c["change"]) for c in changes] == sorted((abs(c["change"]) for c in changes), reverse=True)


def test_a_raion_without_a_real_total_is_left_unscaled_and_says_so(demo_table):
    table, totals = demo_table
    raion = sorted(totals)[0]
    partial = {k: v for k, v in totals.items() if k != raion}
    est = _estimate(table, partial)
    rows = est.table.loc[(table["raion_code"] == raion).to_numpy() & est.table["population_is_estimate"].to_numpy()]
    assert len(rows) and (rows["estimate_kind"] == "unscaled").all()
    assert rows["population_source"].str.contains("not scaled: the raion has no real total").all()
    # unscaled estimates carry the (larger) error measured without scaling
    assert (rows["population_log_sd"] == round(est.cv_unscaled.log_rmse, 4)).all()


def test_village_split_keeps_the_former_method(demo_table):
    table, totals = demo_table
    est = _estimate(table, totals, method="village_split")
    result = est.table.assign(raion_code=table["raion_code"].to_numpy(), n=table["n_villages"].to_numpy())
    for raion, group in result.loc[result["population_is_estimate"]].groupby("raion_code"):
        residual = totals[raion] - result.loc[(result["raion_code"] == raion) & ~result["population_is_estimate"],
                                              "population"].sum()
        expected = residual * group["n"] / group["n"].sum()
        assert (np.abs(group["population"] - expected) <= 1.0).all(), raion


def test_missing_predictor_names_the_unit_and_the_predictor(demo_table):
    table, totals = demo_table
    broken = table.copy()
    broken.loc[4, "centre_elevation_m"] = np.nan
    code = broken.loc[4, "unit_code"]
    with pytest.raises(DataError, match=rf"unit {code}: predictor centre_elevation_m .* is missing"):
        _estimate(broken, totals)
    with pytest.raises(DataError, match=r"lacks column\(s\) area_km2"):
        _estimate(table.drop(columns="area_km2"), totals)
    negative = table.copy()
    negative.loc[2, "area_km2"] = 0.0
    with pytest.raises(DataError, match=rf"unit {negative.loc[2, 'unit_code']}: predictor area_km2 must be positive"):
        _estimate(negative, totals)


def test_too_few_real_figures_to_fit_is_a_clear_error(demo_table):
    table, totals = demo_table
    few = table.copy()
    keep = few.index[few["population"].notna() & (few["level"] == "aiyl_aimak")][:10]
    few.loc[~few.index.isin(keep), "population"] = np.nan
    with pytest.raises(DataError, match=r"too few units with a real figure to fit \(10; at least 16"):
        _estimate(few, totals)
    # the former method needs no fit
    assert _estimate(few, totals, method="village_split").table["population"].gt(0).all()


def test_unknown_year_of_a_real_figure_is_a_clear_error(demo_table):
    table, totals = demo_table
    older = table.copy()
    row = older.index[older["population"].notna()][0]
    older.loc[row, "population_year"] = 2009
    with pytest.raises(DataError, match=rf"unit {older.loc[row, 'unit_code']}: no growth factor from 2009"):
        _estimate(older, totals)
    est = _estimate(older, totals, growth_factors={2009: 1.3, YEAR: 1.0})
    assert est.table.loc[row, "population_year"] == 2009


def test_scale_to_total_is_exact_and_deterministic():
    weights = np.array([1.0, 1.0, 1.0])
    np.testing.assert_array_equal(pm.scale_to_total(weights, 10), [4.0, 3.0, 3.0])
    rng = np.random.default_rng(7)
    for _ in range(50):
        w = rng.uniform(0.1, 5.0, size=int(rng.integers(1, 30)))
        total = int(rng.integers(0, 100_000))
        split = pm.scale_to_total(w, total)
        assert split.sum() == total and (split >= 0).all()
        assert np.abs(split - w / w.sum() * total).max() < 1.0
    with pytest.raises(ValueError, match="not all zero"):
        pm.scale_to_total(np.zeros(3), 5)


def test_fit_log_linear_recovers_a_noise_free_relation():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(60, 3))
    y = 7.0 + x @ np.array([0.5, -0.2, 0.0])
    intercept, coef, mean = pm.fit_log_linear(x, y, ridge_lambda=0.0)
    np.testing.assert_allclose(intercept + (x - mean) @ coef, y, atol=1e-9)
    np.testing.assert_allclose(coef, [0.5, -0.2, 0.0], atol=1e-9)
    _, shrunk, _ = pm.fit_log_linear(x, y, ridge_lambda=30.0)
    assert np.abs(shrunk).sum() < np.abs(coef).sum()


def test_contract_checks_the_spread_columns(demo_dataset):
    units = demo_dataset.units.copy()
    assert {"population_log_sd", "population_p5", "population_p95"} <= set(units.columns)
    validate_layer(units, "units", where="demo")
    bad = units.copy()
    bad.loc[3, "population_p5"] = bad.loc[3, "population"] + 10
    with pytest.raises(ContractError, match=rf"unit '{bad.loc[3, 'unit_code']}': population_p5 is above population"):
        validate_layer(bad, "units", where="demo")
    bad = units.copy()
    bad.loc[1, "population_log_sd"] = -0.1
    with pytest.raises(ContractError, match="population_log_sd is negative"):
        validate_layer(bad, "units", where="demo")
    # absent or empty spread columns are allowed (not given)
    validate_layer(units.drop(columns=["population_log_sd", "population_p5", "population_p95"]), "units")
    empty = units.copy()
    empty["population_log_sd"] = np.nan
    validate_layer(empty, "units")


def test_demo_spread_is_zero_for_its_real_figures(demo_dataset):
    units = demo_dataset.units
    real = ~units["population_is_estimate"].astype(bool)
    assert (units.loc[real, "population_log_sd"] == 0).all()
    assert (units.loc[real, "population_p5"] == units.loc[real, "population"]).all()
    assert (units.loc[real, "population_p95"] == units.loc[real, "population"]).all()


def test_normalisation_factor_follows_the_shares():
    assert pm.normalisation_factor(np.array([5.0]))[0] == 0.0
    for k in (2, 5, 40):
        np.testing.assert_allclose(pm.normalisation_factor(np.ones(k)), np.sqrt(1 - 1 / k))
    # two units share one error e1 - e2: the big one keeps 10 % of it, the small one 90 %
    np.testing.assert_allclose(pm.normalisation_factor(np.array([9.0, 1.0])), [0.1 * np.sqrt(2), 0.9 * np.sqrt(2)])


def test_scaled_spread_shrinks_when_few_units_share_the_residual(demo_dataset):
    table = pm.predictor_table(demo_dataset.units, demo_dataset.settlements, demo_dataset.raions)
    totals = dict(zip(demo_dataset.raions["raion_code"], demo_dataset.raions["population"].astype(float)))
    aimaks = table.loc[table["level"] == "aiyl_aimak"]
    raions = sorted(aimaks["raion_code"].unique())
    lone = aimaks.index[aimaks["raion_code"] == raions[0]][:1]
    many = aimaks.index[aimaks["raion_code"] == raions[1]][:6]
    table.loc[lone.union(many), "population"] = np.nan
    est = _estimate(table, totals)
    sd = est.table["population_log_sd"]
    spread = est.summary()["spread_model"]
    assert spread["within_raion_log_sd"] > 0 and spread["floor_log_sd"] >= 0
    assert np.isfinite(spread["calibration_rms_z"])
    # the only estimated unit of a raion takes the residual: only the floor is left
    assert sd[lone[0]] == round(max(spread["floor_log_sd"], pm.MIN_ESTIMATE_LOG_SD), 4) or \
        abs(sd[lone[0]] - max(spread["floor_log_sd"], pm.MIN_ESTIMATE_LOG_SD)) < 1e-3
    assert sd[lone[0]] < sd[many].min()
