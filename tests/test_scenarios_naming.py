"""New units named after their centre ("Ak-Bulun + 3"): the function and the passport column."""

from __future__ import annotations

from pathlib import Path

import pytest

from atr_model.scenarios import load_scenario, run_scenario
from atr_model.scenarios.naming import new_unit_display_name, new_unit_display_names

ROOT = Path(__file__).resolve().parents[1]


def test_name_is_centre_plus_the_other_members():
    assert new_unit_display_name("Ak-Bulun", 4) == "Ak-Bulun + 3"
    assert new_unit_display_name("Osh", 1) == "Osh"
    assert new_unit_display_name(float("nan"), 3, fallback="417-N03") == "417-N03 + 2"
    assert list(new_unit_display_names(["A", "B"], [2, 1])) == ["A + 1", "B"]


def test_names_need_columns_of_one_length():
    with pytest.raises(ValueError, match=r"2 centre names, 1 member counts and 2 fallbacks"):
        new_unit_display_names(["A", "B"], [2])


def test_demo_run_passports_carry_the_display_name(demo_dataset):
    result = run_scenario(load_scenario(ROOT / "scenarios" / "demo.yaml"), dataset=demo_dataset)
    passports = result.new_units
    assert "display_name" in passports.columns
    for row in passports.itertuples():
        expected = row.centre_name if row.n_members == 1 else f"{row.centre_name} + {row.n_members - 1}"
        assert row.display_name == expected
    assert (passports["n_members"] > 1).any()
