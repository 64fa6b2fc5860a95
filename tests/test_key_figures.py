"""The one owner of the key figures and the status categories: on the Kyrgyz concept-2013 run
(and the demo), every count the categories give equals its key figure, the by-reason rows add up,
and the view labels each figure with the scenario's floor in every language."""

from __future__ import annotations

from pathlib import Path

import pytest

from atr_model.presentation.i18n import LANGUAGES, format_number
from atr_model.presentation.view import figure_rows, result_view
from atr_model.scenarios import (
    CATEGORIES,
    FIGURE_KEYS,
    category_counts,
    key_figures,
    load_scenario,
    resolve_travel_model,
    run_scenario,
    town_mask,
    unit_categories,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def kg_concept(kg_dataset):
    scenario = load_scenario(ROOT / "scenarios" / "concept-2013.yaml")
    return run_scenario(scenario, dataset=kg_dataset, travel_model=resolve_travel_model(scenario, kg_dataset))


@pytest.fixture(scope="module")
def demo_concept():
    return run_scenario(load_scenario(ROOT / "scenarios" / "demo.yaml"))


def _check_counts(run) -> dict[str, int]:
    k, a, n = run.kpis, run.assignments, run.new_units
    counts = category_counts(a, n)
    assert set(counts) == set(CATEGORIES)
    assert sum(counts.values()) == k["units_after"] == len(n)
    # below the floor: the red units of every map are exactly the figure's units
    assert counts["below_floor"] == k["below_floor_after_non_exempt"]
    # exempt: one count; the by-reason rows add up to it
    assert counts["exempt"] == k["exempt_units"] == sum(k["exempt_by_reason"].values())
    # towns apart: kept towns plus towns that centre a merged new unit
    towns = a[town_mask(a)]
    town_centres = int((towns["status"] == "centre").sum())
    assert counts["town"] + town_centres == k["towns"]
    # every current unit gets its new unit's category
    per_unit = unit_categories(a, n)
    assert per_unit.groupby("new_unit_id")["category"].nunique().max() == 1
    assert (per_unit.loc[per_unit["category"] == "exempt", "exempt_rule"] != "").all()
    return counts


@pytest.mark.kgdata
def test_kyrgyz_categories_agree_with_the_key_figures(kg_concept) -> None:
    counts = _check_counts(kg_concept)
    k = kg_concept.kpis
    assert counts["below_floor"] > 0 and counts["exempt"] > 0 and counts["town"] > 0
    # a merged new unit can still be under the floor: the figure counts it, so does the map
    below = kg_concept.new_units[kg_concept.new_units["below_floor"].astype(bool)]
    assert len(below) == k["below_floor_after_non_exempt"]
    assert k["population_floor"] == kg_concept.bundle.criteria.population_floor


def test_demo_categories_agree_with_the_key_figures(demo_concept) -> None:
    _check_counts(demo_concept)


@pytest.mark.kgdata
@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_every_figure_is_labelled_and_formatted_in_the_language(kg_concept, lang: str) -> None:
    k = kg_concept.kpis
    rows = figure_rows(k, lang)
    keys = [row.key for row in rows]
    assert keys == [key for key in FIGURE_KEYS if key in keys]  # one order everywhere
    floor = format_number(k["population_floor"], lang)
    for row in rows:
        assert row.label and row.label != row.key and row.definition, row.key
        if row.key.startswith("below_floor"):
            assert floor in row.label and floor in row.definition
    by_key = {row.key: row for row in rows}
    assert by_key["worst_travel_min_in_merged_units"].headline and not by_key["worst_travel_min"].headline
    # the text is the one formatter's, with the figure's precision
    for figure in key_figures(k):
        assert by_key.get(figure.key) is None or by_key[figure.key].text == format_number(
            figure.value, lang, digits=figure.spec.digits)


@pytest.mark.kgdata
def test_new_units_are_named_after_their_centre_in_each_language(kg_concept) -> None:
    a = kg_concept.assignments
    for lang in LANGUAGES:
        view = result_view(kg_concept.kpis, a, kg_concept.new_units, lang)
        assert set(view.new_unit_name) == set(kg_concept.new_units["new_unit_id"].astype(str))
        for uid, name in view.new_unit_name.items():
            members = a[a["new_unit_id"] == uid]
            centre = str(members["centre_code"].iloc[0])
            assert name.startswith(view.unit_name[centre])
            assert name.endswith(f"+ {len(members) - 1}") == (len(members) > 1)
    # English names are the data's Latin names; Kyrgyz and Russian are Cyrillic
    en = result_view(kg_concept.kpis, a, kg_concept.new_units, "en").unit_name
    ky = result_view(kg_concept.kpis, a, kg_concept.new_units, "ky").unit_name
    assert sum(any("а" <= ch <= "я" for ch in name.lower()) for name in ky.values()) > 0.9 * len(ky)
    assert sum(any("а" <= ch <= "я" for ch in name.lower()) for name in en.values()) == 0


@pytest.mark.kgdata
def test_kyrgyz_pages_name_oblasts_in_kyrgyz(kg_dataset) -> None:
    """The open data names oblasts in Russian only; the build adds their Kyrgyz names, so Kyrgyz
    maps and menus do not fall back to Russian."""
    from atr_model.presentation.i18n import display_name

    rows = kg_dataset.oblasts.drop(columns="geometry").to_dict("records")
    assert len(rows) == 9
    for row in rows:
        ky, ru = display_name(row, "ky", code_column="oblast_code"), display_name(row, "ru", code_column="oblast_code")
        assert ky == row["name_ky"] and ky != ru, row["oblast_code"]
        assert "область" not in ky and "г." not in ky
