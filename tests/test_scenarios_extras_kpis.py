"""Further KPIs: population distribution, exemptions by rule, savings cost model, estimate shares."""

from __future__ import annotations

from pathlib import Path

import extras_fixtures as fx
import pandas as pd
import pytest

from atr_model.errors import DataError
from atr_model.scenarios.extra_kpis import (
    admin_savings,
    estimated_shares,
    exempt_by_reason,
    extra_kpis,
    load_cost_model,
    population_distribution,
)
from atr_model.scenarios.package_files import load_result_files


def test_shipped_cost_model_is_labelled_an_assumption() -> None:
    model = load_cost_model()
    assert model.label.startswith("assumption")
    for name in ("share_of_staff_saved", "annual_cost_per_staff_som", "office_cost_per_year_som"):
        assert getattr(model, name).basis.startswith("assumption")


def test_savings_follow_the_documented_formula(tmp_path: Path) -> None:
    text = (
        "label: 'assumption: test'\nprice_year: 2024\n"
        "staff_per_okmotu: {value: 10, basis: 'assumption: t'}\n"
        "share_of_staff_saved: {value: 0.5, basis: 'assumption: t'}\n"
        "annual_cost_per_staff_som: {value: 100, basis: 'assumption: t'}\n"
        "office_cost_per_year_som: {value: 1000, basis: 'assumption: t'}\n"
        "transition_cost_per_abolished_som: {value: 3000, basis: 'assumption: t'}\n"
    )
    path = tmp_path / "cost.yaml"
    path.write_text(text)
    out = admin_savings(3, load_cost_model(path))
    # 3 offices x (10 staff x 0.5 x 100 + 1000) = 4500 per year; one-off 3 x 3000 = 9000; payback 2 years
    assert out["annual_saving_som"] == 4500 and out["one_off_cost_som"] == 9000 and out["payback_years"] == 2
    assert out["is_estimate"] is True
    assert admin_savings(-2, load_cost_model(path))["annual_saving_som"] == 0


def test_cost_model_errors_name_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("label: x\nprice_year: 2024\nstaf_per_okmotu: {value: 1, basis: b}\n")
    with pytest.raises(DataError, match=r"bad.yaml: .*staf_per_okmotu"):
        load_cost_model(path)
    with pytest.raises(DataError, match="not found"):
        load_cost_model(tmp_path / "missing.yaml")


def test_population_distribution_brackets_cover_every_unit() -> None:
    dist = population_distribution(pd.Series([1000.0, 4999.0, 5000.0, 12000.0, 25000.0]))
    assert dist["n"] == 5 and dist["median"] == 5000.0
    assert dist["brackets"] == {"0-3,000": 1, "3,000-5,000": 1, "5,000-10,000": 1, "10,000-20,000": 1, ">= 20,000": 1}


def test_exempt_by_reason_counts_each_unit_once_under_its_first_rule() -> None:
    frame = pd.DataFrame(
        {
            "exempt": [True, True, False, True],
            "exempt_reason": ["high_mountain: centre at 2,450 m > 2,000 m", "border: 3 km < 10 km; remote: 130 min",
                              "", "border: 1 km < 10 km"],
        }
    )
    counts = exempt_by_reason(frame)
    assert counts == {"high_mountain": 1, "border": 2}
    assert sum(counts.values()) == int(frame["exempt"].sum())  # the rows add up to the exempt count


def test_estimated_shares_on_a_package(tmp_path: Path) -> None:
    files = load_result_files(fx.write_package(tmp_path / "p", fx.merged_partition()))
    shares = estimated_shares(files.assignments, files.new_units, files.settlements)
    a = files.assignments
    expected = a.loc[a["population_is_estimate"], "population"].sum() / a["population"].sum()
    assert shares["population"] == pytest.approx(expected) and 0 < shares["population"] < 1
    assert shares["new_units_population"] == pytest.approx(1 / 6)
    assert shares["admin_savings"] == 1.0
    # the fixture's travel times are all modelled without roads, i.e. estimates
    assert shares["travel_time"] == 1.0
    kpis = extra_kpis(files.assignments, files.new_units)
    assert kpis["admin_savings"]["abolished_offices"] == 6
