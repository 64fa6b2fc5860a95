"""The town factor of the population model: regional centres left out, leave-one-out error, spread."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from atr_model.data import population as pm
from atr_model.data.kyrgyz import population as kgpop
from atr_model.data.kyrgyz.sources import SOURCE_FILES
from atr_model.errors import DataError
from atr_model.presentation.cli import app

YEAR = 2024  # the demo's reference year
GEONAMES = "GeoNames population of the town"

#: The regional centres of Kyrgyzstan by their COATE names: the 7 oblast centres (Chui oblast is run
#: from Bishkek, Osh oblast from Osh city) and the two cities of republican status.
REGIONAL_CENTRE_NAMES = {"г. Бишкек", "г. Ош", "г. Каракол", "г. Джалал-Абад", "г. Нарын", "г. Баткен", "г. Талас"}


# --------------------------------------------------------------------------------------------
# a small hand-made table


def _hand_made() -> dict[str, np.ndarray]:
    """Four small towns (ratios 1.5, 2, 2.5, 3 to the prediction), two regional centres (x20,
    x50), a town without a figure and an aiyl aimak."""
    return {
        "codes": np.array(["T1", "T2", "T3", "T4", "C1", "C2", "T5", "A1"]),
        "predicted": np.array([1000.0, 2000.0, 4000.0, 3000.0, 5000.0, 10000.0, 3000.0, 1500.0]),
        "figures": np.array([1500.0, 4000.0, 10000.0, 9000.0, 100000.0, 500000.0, np.nan, 1200.0]),
        "urban": np.array([True, True, True, True, True, True, True, False]),
        "centre": np.array([False, False, False, False, True, True, False, False]),
    }


def _factor(rows: dict[str, np.ndarray], order: np.ndarray | None = None) -> pm.TownFactor:
    order = np.arange(len(rows["codes"])) if order is None else order
    return pm.fit_town_factor(rows["predicted"][order], rows["figures"][order], rows["urban"][order],
                              rows["centre"][order], rows["codes"][order])


def test_regional_centres_are_left_out_of_the_town_factor():
    factor = _factor(_hand_made())
    assert factor.fitted_codes == ("T1", "T2", "T3", "T4")
    assert factor.centre_codes == ("C1", "C2")
    # median of the four small towns' ratios 1.5, 2, 2.5, 3
    assert math.isclose(math.exp(factor.log_offset), math.sqrt(2.0 * 2.5))
    # with the centres (ratios 20, 50) the median moves up to sqrt(2.5 x 3)
    assert math.isclose(math.exp(factor.log_offset_with_centres), math.sqrt(2.5 * 3.0))
    np.testing.assert_allclose(np.exp(factor.centre_log_ratios), [20.0, 50.0])
    # the public median function agrees
    rows = _hand_made()
    level = np.where(rows["urban"], "town", "aiyl_aimak")
    assert pm.town_log_offset(rows["predicted"], rows["figures"], level, exclude=rows["centre"]) == factor.log_offset


def test_leave_one_out_refits_the_factor_on_the_other_towns():
    factor = _factor(_hand_made())
    ratios = np.array([1.5, 2.0, 2.5, 3.0])
    # each town's ratio against the median of the three others
    others = [np.median(np.log(np.delete(ratios, i))) for i in range(4)]
    np.testing.assert_allclose(factor.loo_log_residuals, np.log(ratios) - others)
    # the former rule: the factor refitted on every other town with a figure, centres included
    with_centres = np.array([1.5, 2.0, 2.5, 3.0, 20.0, 50.0])
    before = [np.median(np.log(np.delete(with_centres, i))) for i in range(4)]
    np.testing.assert_allclose(factor.loo_log_residuals_with_centres, np.log(ratios) - before)
    assert math.isclose(factor.loo_log_rmse, float(np.sqrt(np.mean(factor.loo_log_residuals ** 2))))
    errors = factor.errors()
    expected = np.median(np.abs(np.exp(np.array(others) - np.log(ratios)) - 1))
    assert math.isclose(errors["median_abs_rel_error"], round(float(expected), 4))
    assert errors["towns"] == factor.errors(with_centres=True)["towns"] == 4


def test_town_factor_loo_is_deterministic_and_order_free():
    rows = _hand_made()
    first = _factor(rows)
    again = _factor(rows)
    shuffled = _factor(rows, np.array([6, 3, 0, 5, 7, 1, 4, 2]))
    assert first.to_dict() == again.to_dict()
    summary = shuffled.to_dict()
    assert summary["leave_one_out"] == first.to_dict()["leave_one_out"]
    assert summary["factor"] == first.to_dict()["factor"]
    assert sorted(shuffled.fitted_codes) == sorted(first.fitted_codes)


def test_one_town_with_a_figure_gives_no_measured_error():
    rows = _hand_made()
    rows["figures"] = np.where(np.isin(rows["codes"], ["T1", "C1"]) | ~rows["urban"], rows["figures"], np.nan)
    factor = _factor(rows)
    assert factor.fitted_codes == ("T1",) and not factor.measured
    assert factor.loo_log_rmse == pm.GEONAMES_TOWN_LOG_SD
    assert factor.errors()["median_abs_rel_error"] is None


@pytest.fixture()
def demo_towns(demo_dataset) -> tuple[pd.DataFrame, dict[str, float]]:
    """Demo units: one town without any figure, one regional centre, two towns with a figure;
    the estimated town's raion has no real total (so its estimate is not scaled)."""
    table = pm.predictor_table(demo_dataset.units, demo_dataset.settlements, demo_dataset.raions)
    totals = dict(zip(demo_dataset.raions["raion_code"], demo_dataset.raions["population"].astype(float)))
    towns = table.index[table["level"] == "town"]
    assert len(towns) == 4
    table.loc[towns[0], "population"] = np.nan  # estimated with the factor
    table["regional_centre"] = False
    table.loc[towns[1], "regional_centre"] = True
    del totals[table.loc[towns[0], "raion_code"]]
    return table, totals


def test_town_estimate_spread_is_the_leave_one_out_error(demo_towns):
    table, totals = demo_towns
    est = pm.estimate_unit_populations(table, totals, target_year=YEAR)
    factor = est.town_factor
    towns = table.index[table["level"] == "town"]
    assert factor.centre_codes == (table.loc[towns[1], "unit_code"],)
    assert factor.fitted_codes == tuple(table.loc[towns[2:], "unit_code"])
    row = est.table.loc[towns[0]]
    assert row["estimate_kind"] == "unscaled"
    assert row["population_log_sd"] == round(factor.loo_log_rmse, 4)
    assert "times the town factor" in row["population_source"]
    # the estimate is the prediction times the factor fitted without the centre
    predicted = float(np.exp(est.fit.predict_log(table.loc[[towns[0]]]))[0])
    assert row["population"] == round(predicted * math.exp(factor.log_offset))
    summary = est.summary()
    assert summary["town_factor"] == round(math.exp(factor.log_offset), 4)
    assert summary["town_factor_fit"]["spread_log_sd"] == round(factor.loo_log_rmse, 4)
    assert summary["town_factor_fit"]["leave_one_out"]["after"] == factor.errors()


def test_former_rule_is_kept_for_the_comparison(demo_towns):
    table, totals = demo_towns
    est = pm.estimate_unit_populations(table, totals, target_year=YEAR)
    town = table.index[table["level"] == "town"][0]
    former = est.former_town_rule.set_index("unit_code")["population"]
    predicted = float(np.exp(est.fit.predict_log(table.loc[[town]]))[0])
    code = table.loc[town, "unit_code"]
    assert former[code] == round(predicted * math.exp(est.town_factor.log_offset_with_centres))
    changes = est.town_factor_changes({code: "Demo town"})
    assert [c["unit_code"] for c in changes["towns"]] == [code]
    assert changes["towns"][0]["old"] == former[code] and changes["towns"][0]["name"] == "Demo town"
    # without any regional centre there is nothing to compare
    plain = pm.estimate_unit_populations(table.assign(regional_centre=False), totals, target_year=YEAR)
    assert plain.former_town_rule is None and plain.town_factor_changes() == {"towns": [], "other_units_changed": 0}
    assert plain.town_factor.log_offset == plain.town_factor.log_offset_with_centres


def test_scaled_estimates_still_add_up_with_a_town_estimated(demo_towns):
    table, _ = demo_towns
    # every raion's known units plus 50,000 residents to share among its estimated units
    totals = (table.groupby("raion_code")["population"].sum() + 50_000.0).to_dict()
    est = pm.estimate_unit_populations(table, totals, target_year=YEAR)
    result = est.table.assign(raion_code=table["raion_code"].to_numpy())
    assert (result.loc[result["population_is_estimate"], "estimate_kind"] == "scaled").all()
    sums = result.groupby("raion_code")["population"].sum()
    scaled = sorted(set(result.loc[result["population_is_estimate"], "raion_code"]))
    assert table.loc[table["level"] == "town", "raion_code"].iloc[0] in scaled
    for raion in scaled:
        assert sums[raion] == totals[raion], raion


# --------------------------------------------------------------------------------------------
# the reference table of oblast centres


def test_oblast_centres_reference_is_checked(tmp_path: Path):
    table = kgpop.read_oblast_centres()
    assert len(table) == 7 and table["oblast_code"].is_unique
    missing = tmp_path / "missing.csv"
    missing.write_text("oblast_code,centre_name_en\n41702000000000,Karakol\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"missing.csv: missing column\(s\) centre_name_ru"):
        kgpop.read_oblast_centres(missing)
    empty = tmp_path / "empty.csv"
    empty.write_text("oblast_code,centre_name_ru\n41702000000000,Каракол\n41703000000000,\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"empty.csv: row 3: oblast_code and centre_name_ru must not be empty"):
        kgpop.read_oblast_centres(empty)
    twice = tmp_path / "twice.csv"
    twice.write_text("oblast_code,centre_name_ru\n41702000000000,Каракол\n41702000000000,Балыкчы\n",
                     encoding="utf-8")
    with pytest.raises(DataError, match=r"twice.csv: row 3: oblast 41702000000000 is listed twice"):
        kgpop.read_oblast_centres(twice)


def test_regional_centres_by_name_and_by_coate_tree():
    units = pd.DataFrame({
        "unit_code": ["C1", "T1", "T2", "R1", "V1"],
        "raion_code": ["R-1", "R-2", "R-3", "OB-9", "OB-9"],
        "oblast_code": ["OB-1", "OB-1", "OB-2", "OB-9", "OB-9"],
        "name_ru": ["г. Каракол", "Каракол", "г. Нарын", "г. Бишкек", "Чон-Арык"],
    })
    urban = np.array([True, False, True, True, False])
    centres = pd.DataFrame({"oblast_code": ["OB-1", "OB-3", "OB-4"], "centre_name_ru": ["Каракол", "Бишкек", "Талас"]})
    why, notes = kgpop.regional_centres(units, urban, centres)
    # the town proper named in the table (not the namesake aiyl aimak); a city that is its own
    # oblast in the tree is of republican status, and may be another oblast's centre
    assert why.iloc[0] == "oblast centre (OB-1, reference table)"
    assert why.iloc[1] == "" and why.iloc[2] == "" and why.iloc[4] == ""
    assert why.iloc[3] == "city of republican status; oblast centre (OB-3, reference table)"
    assert notes == ["oblast centre Талас (OB-4) matches 0 towns; not left out of the town factor"]


# --------------------------------------------------------------------------------------------
# the Kyrgyz build


@pytest.fixture(scope="module")
def kg_entry(kg_dataset_path: Path) -> dict:
    report = json.loads((kg_dataset_path.parent / "build_report.json").read_text(encoding="utf-8"))
    return report["population_estimator"]


def _kg_table(kg_dataset) -> tuple[pd.DataFrame, np.ndarray]:
    """The estimator's unit table rebuilt from the Kyrgyz dataset (GeoNames town figures as outside figures)."""
    units = kg_dataset.units
    table = pm.predictor_table(units, kg_dataset.settlements, kg_dataset.raions)
    geonames = units["population_source"].str.contains(GEONAMES, regex=False).to_numpy()
    table["town_figure"] = np.where(geonames, units["population"].to_numpy(float), np.nan)
    table["urban"] = kgpop.urban_flags(table)
    why, _ = kgpop.regional_centres(table, table["urban"].to_numpy(), kgpop.read_oblast_centres())
    table["regional_centre"] = (why != "").to_numpy()
    return table, geonames


def test_kyrgyz_regional_centres_are_the_oblast_centres_and_republican_cities(kg_dataset, kg_entry):
    table, _ = _kg_table(kg_dataset)
    marked = set(table.loc[table["regional_centre"], "name_ru"])
    assert marked == REGIONAL_CENTRE_NAMES
    fit = kg_entry["town_factor_fit"]
    left_out = {c["name"] for c in fit["regional_centres_left_out"]}
    assert left_out == REGIONAL_CENTRE_NAMES  # all of them have a figure on the shared data
    why = {c["name"]: c["why"] for c in fit["regional_centres_left_out"]}
    assert why["г. Бишкек"].startswith("city of republican status") and why["г. Ош"].startswith("city of republican")
    assert "oblast centre" in why["г. Каракол"]


def test_kyrgyz_town_factor_is_lower_without_the_regional_centres(kg_dataset, kg_entry):
    fit = kg_entry["town_factor_fit"]
    assert fit["factor"] == kg_entry["town_factor"]
    assert 1.0 < fit["factor"] < fit["factor_with_regional_centres"]
    loo = fit["leave_one_out"]
    assert loo["after"]["towns"] == loo["before"]["towns"] == fit["fitted_towns"] >= 15
    # on the same towns the factor without the centres is less biased and has the smaller error
    assert abs(loo["after"]["log_bias"]) < abs(loo["before"]["log_bias"])
    assert loo["after"]["log_rmse"] < loo["before"]["log_rmse"]
    assert loo["after"]["median_abs_rel_error"] < loo["before"]["median_abs_rel_error"]


def _kg_estimate(table: pd.DataFrame, kg_source: Path, kg_entry: dict) -> pm.PopulationEstimate:
    """The public estimator on the rebuilt unit table, with the build's raion totals and growth factor."""
    totals = kgpop.raion_totals(kg_source / SOURCE_FILES["raion_statistics"])
    growth = {kgpop.CENSUS_YEAR: kg_entry["growth_2009_to_2021"], kgpop.TARGET_YEAR: 1.0}
    return pm.estimate_unit_populations(table, totals, growth_factors=growth, target_year=kgpop.TARGET_YEAR,
                                        min_residual_per_unit=kgpop.MIN_RESIDUAL_PER_UNIT)


def test_kyrgyz_town_factor_loo_is_deterministic(kg_dataset, kg_entry, kg_source):
    table, _ = _kg_table(kg_dataset)
    first, second = _kg_estimate(table, kg_source, kg_entry), _kg_estimate(table, kg_source, kg_entry)
    # the same units in reverse order: the folds and the towns are taken by code, not by row
    reversed_ = _kg_estimate(table.iloc[::-1].reset_index(drop=True), kg_source, kg_entry)
    assert first.town_factor.to_dict() == second.town_factor.to_dict()
    assert first.town_factor.to_dict()["leave_one_out"] == reversed_.town_factor.to_dict()["leave_one_out"]
    # the build recorded the same factor and errors, and the estimator gives the dataset's populations
    assert first.town_factor.to_dict()["leave_one_out"] == kg_entry["town_factor_fit"]["leave_one_out"]
    assert round(math.exp(first.town_factor.log_offset), 4) == kg_entry["town_factor"]
    assert not set(first.town_factor.fitted_codes) & set(table.loc[table["regional_centre"], "unit_code"])
    built = kg_dataset.units.set_index("unit_code")["population"]
    np.testing.assert_array_equal(first.table["population"].to_numpy(), built[first.table["unit_code"]].to_numpy())


def test_kyrgyz_town_estimates_carry_the_loo_spread(kg_dataset, kg_entry, kg_dataset_path):
    units = kg_dataset.units
    by_factor = units["population_source"].str.contains("times the town factor", regex=False)
    unscaled = by_factor & units["population_source"].str.contains("not scaled", regex=False)
    assert unscaled.sum() >= 2  # the cities without a figure or a raion total (Kok-Jangak, Mailuu-Suu)
    spread = kg_entry["town_factor_fit"]["spread_log_sd"]
    assert spread == kg_entry["town_factor_fit"]["leave_one_out"]["after"]["log_rmse"]
    assert (units.loc[unscaled, "population_log_sd"] == spread).all()
    # the towns whose estimate changed are those estimated with the factor, all lower now
    changes = kg_entry["town_factor_fit"]["largest_changes"]["towns"]
    assert changes and {c["unit_code"] for c in changes} <= set(units.loc[by_factor, "unit_code"])
    assert all(c["new"] < c["old"] for c in changes)
    current = units.set_index("unit_code")["population"]
    assert all(current[c["unit_code"]] == c["new"] for c in changes)
    markdown = (kg_dataset_path.parent / "build_report.md").read_text(encoding="utf-8")
    assert f"Town factor: x{kg_entry['town_factor']}" in markdown
    assert changes[0]["unit_code"] in markdown.split("Towns whose estimate changed most")[1]


def test_data_info_json_gives_the_town_factor(kg_dataset_path, kg_entry):
    result = CliRunner().invoke(app, ["data", "info", str(kg_dataset_path), "--json", "--no-network"])
    assert result.exit_code == 0, result.output
    fit = json.loads(result.stdout)["population_estimator"]["town_factor_fit"]
    assert fit == kg_entry["town_factor_fit"]
    assert {"factor", "factor_with_regional_centres", "leave_one_out", "largest_changes"} <= set(fit)
