"""Criteria validation, exemptions and the engine input on a hand-made mini territory."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError
from scen_mini import UNITS, cost_by_hand, mini_dataset, mini_travel_model

from atr_model.criteria import CONCEPT_ATTRIBUTION, CONCEPT_CRITERIA, Criteria, compute_exemptions, criteria_from_dict
from atr_model.errors import CriteriaError, InfeasibleError
from atr_model.scenarios import build_instance


@pytest.fixture(scope="module")
def mini():
    return mini_dataset(), mini_travel_model()


def test_concept_text_has_six_numbered_criteria_in_both_languages() -> None:
    assert [c.number for c in CONCEPT_CRITERIA] == [1, 2, 3, 4, 5, 6]
    assert "5000 адамга чейинки" in CONCEPT_CRITERIA[1].text_ky
    assert "up to 5,000" in CONCEPT_CRITERIA[1].text_en
    assert "No. 581" in CONCEPT_ATTRIBUTION
    fields = set(Criteria.model_fields)
    for criterion in CONCEPT_CRITERIA:
        assert {name.split(".")[0] for name in criterion.implemented_by} <= fields


@pytest.mark.parametrize(
    ("values", "match"),
    [
        ({"treshold": 3000}, r"unknown key 'treshold'"),
        ({"exemptions": {"border_kms": 5}}, r"unknown key 'exemptions.border_kms' \(did you mean 'border_km'\?\)"),
        ({"population_floor": -1}, r"'population_floor': Input should be greater than or equal to 0 \(got -1\)"),
        ({"max_travel_time_min": 0}, r"'max_travel_time_min': Input should be greater than 0"),
        ({"nesting": "county"}, r"'nesting': Input should be 'raion', 'oblast' or 'none'"),
        ({"population_floor": 5000, "population_cap": 4000}, r"population_cap 4000 is below population_floor 5000"),
        ({"economic_base": {"floor": 10}}, r"need economic_base.indicator"),
    ],
)
def test_criteria_validation_names_the_key(values: dict, match: str) -> None:
    with pytest.raises(CriteriaError, match=match):
        criteria_from_dict(values, where="my.yaml")


def test_criteria_are_frozen() -> None:
    criteria = Criteria()
    with pytest.raises(ValidationError, match="frozen"):
        criteria.population_floor = 1.0  # type: ignore[misc]


def test_exemptions_carry_measured_values(mini) -> None:
    dataset, tm = mini
    table = compute_exemptions(dataset, tm, Criteria()).set_index("unit_code")
    assert table.at["B", "rules"] == "high_mountain"
    assert table.at["B", "reason"] == "high-mountain: centre at 2,450 m > 2,000 m"
    assert table.at["T", "rules"] == "town;border"  # towns are outside the floor unless towns: merge
    assert "3.2 km from the state border <= 5.0 km" in table.at["T", "reason"]
    assert table.at["D", "rules"] == "remote;hard_to_reach"
    assert "145 min > 120 min" in table.at["D", "reason"]
    assert not table.at["A", "exempt"] and table.at["A", "reason"] == ""
    assert not table.at["C", "exempt"]


def test_exemption_rules_switch_off_and_manual(mini) -> None:
    dataset, tm = mini
    criteria = criteria_from_dict(
        {"exemptions": {"high_mountain_m": None, "border_km": None, "remote_travel_time_min": None,
                        "seasonal_access": False, "manual": [{"unit_code": "A", "reason": "hearing 2025"}]}}
    )
    table = compute_exemptions(dataset, tm, criteria).set_index("unit_code")
    assert table["exempt"].to_dict() == {"A": True, "B": False, "C": False, "D": False, "T": True}
    assert table.at["T", "rules"] == "town"
    assert table.at["A", "reason"] == "manual: hearing 2025"
    with pytest.raises(CriteriaError, match=r"exemptions.manual: unknown unit code\(s\) 'ZZ'"):
        compute_exemptions(dataset, tm, criteria_from_dict({"exemptions": {"manual": [{"unit_code": "ZZ", "reason": "x"}]}}))


def test_costs_are_person_minutes_and_worst_times(mini) -> None:
    dataset, tm = mini
    bundle = build_instance(dataset, tm, Criteria(centres={"towns": "merge"}))
    inst = bundle.instance
    codes = list(inst.unit_codes)
    assert codes == sorted(UNITS)
    for i, a in enumerate(codes):
        for j, b in enumerate(codes):
            expected = cost_by_hand(a, b)
            assert inst.cost[i, j] == pytest.approx(expected) if np.isfinite(expected) else np.isinf(inst.cost[i, j])
    a, b = codes.index("A"), codes.index("B")
    assert inst.travel_time_min[a, b] == 40.0  # worst village A2
    assert inst.cost[a, b] == 2000 * 30 + 1000 * 40
    assert list(inst.group) == [UNITS[c][0] for c in codes]
    assert bundle.units.set_index("unit_code").at["D", "estimated_inputs"].startswith("population (estimate)")


def test_towns_host_or_keep(mini) -> None:
    dataset, tm = mini
    inst = build_instance(dataset, tm, Criteria()).instance
    t = inst.index("T")
    assert np.isinf(np.delete(inst.cost[t], t)).all() and np.isfinite(inst.cost[t, t])
    assert inst.centre_eligible[t] and not inst.keep_separate[t] and inst.exempt[t]
    # exempt aiyl aimaks stay as they are (exemptions.mode 'keep' -> keep_separate)
    assert inst.keep_separate[inst.index("B")] and inst.keep_separate[inst.index("D")]
    assert not inst.keep_separate[inst.index("A")]
    merged = build_instance(dataset, tm, Criteria(centres={"towns": "merge"})).instance
    assert not merged.exempt[merged.index("A")] and "town" not in merged.exempt_reason[merged.index("T")]
    kept = build_instance(dataset, tm, Criteria(centres={"towns": "keep"})).instance
    assert kept.keep_separate[kept.index("T")]


def test_nesting_groups_and_landscape_barriers(mini) -> None:
    dataset, _ = mini
    tm = mini_travel_model(barrier_bc=True)
    on = build_instance(dataset, tm, Criteria(nesting="oblast")).instance
    off = build_instance(dataset, tm, Criteria(nesting="none", landscape_barriers=False)).instance
    c, d = on.index("C"), on.index("D")
    assert set(on.group) == {"O1"} and set(off.group) == {"all"}
    pairs_on = {tuple(p) for p in on.adjacency.tolist()}
    pairs_off = {tuple(p) for p in off.adjacency.tolist()}
    assert (c, d) not in pairs_on and (c, d) in pairs_off
    assert len(pairs_off) == 4


def test_locks_map_to_indices_and_unknown_codes_fail(mini) -> None:
    dataset, tm = mini
    inst = build_instance(dataset, tm, Criteria(locks={"together": [("A", "B")], "apart": [("C", "D")]})).instance
    assert inst.must_link.tolist() == [[inst.index("A"), inst.index("B")]]
    assert inst.cannot_link.tolist() == [[inst.index("C"), inst.index("D")]]
    with pytest.raises(CriteriaError, match=r"criteria.locks.together: unknown unit code 'Q'"):
        build_instance(dataset, tm, Criteria(locks={"together": [("A", "Q")]}))
    with pytest.raises(CriteriaError, match=r"criteria.locks.keep_separate: unknown unit code 'Q'"):
        build_instance(dataset, tm, Criteria(locks={"keep_separate": ["Q"]}))


def test_together_lock_across_raions_is_infeasible_before_solving(mini) -> None:
    dataset, tm = mini
    expected = r"Unit A \(A\) \+ Unit C \(C\) crosses the nesting boundary \(nesting 'raion': R1 vs R2\)"
    with pytest.raises(InfeasibleError, match=expected) as info:
        build_instance(dataset, tm, Criteria(locks={"together": [("A", "C")]}))
    assert info.value.reasons[0]["units"] == ["A", "C"]
    with pytest.raises(InfeasibleError, match="locked both together and apart"):
        build_instance(dataset, tm, Criteria(locks={"together": [("A", "B")], "apart": [("B", "A")]}))


def test_economic_base_indicator_and_centre_minimum(mini) -> None:
    dataset, tm = mini
    bundle = build_instance(dataset, tm, Criteria(economic_base={"indicator": "own_revenue_som", "centre_min": 15}))
    units = bundle.units.set_index("unit_code")
    assert np.isnan(units.at["D", "indicator"]) and units.at["C", "indicator"] == 20.0
    eligible = dict(zip(bundle.instance.unit_codes, bundle.instance.centre_eligible))
    # B is exempt (kept) and T a town: both stay centres of their own; A (10) falls short of 15.
    assert eligible == {"A": False, "B": True, "C": True, "D": True, "T": True}
    with pytest.raises(CriteriaError, match=r"no indicator 'jobs'; available: own_revenue_som"):
        build_instance(dataset, tm, Criteria(economic_base={"indicator": "jobs"}))


def test_raion_level_uses_centre_to_centre_times(mini) -> None:
    dataset, tm = mini
    bundle = build_instance(dataset, tm, Criteria(population_floor=0), level="raion")
    inst = bundle.instance
    assert list(inst.unit_codes) == ["R1", "R2"]
    # R1's centre is town T (settlement T1), R2's is C: T1 -> C takes 50 min; C1 -> T 50 min.
    assert inst.travel_time_min[0, 1] == 50.0 and inst.travel_time_min[1, 0] == 50.0
    assert inst.cost[0, 1] == 14000.0 * 50.0
    assert inst.adjacency.tolist() == [[0, 1]]
    assert list(inst.group) == ["O1", "O1"]


def test_inputs_are_not_mutated(mini) -> None:
    dataset, tm = mini
    before = dataset.units.copy(), tm.settlement_centre_times.copy()
    build_instance(dataset, tm, Criteria(objective="inertia"))
    assert dataset.units.equals(before[0]) and tm.settlement_centre_times.equals(before[1])


def test_inertia_objective_uses_squared_distance(mini) -> None:
    dataset, tm = mini
    inst = build_instance(dataset, tm, Criteria(objective="inertia")).instance
    travel = build_instance(dataset, tm, Criteria()).instance
    # same candidate pairs, different costs; a centre's own village costs nothing
    assert (np.isfinite(inst.cost) == np.isfinite(travel.cost)).all()
    b, a = inst.index("B"), inst.index("A")
    assert inst.cost[b, b] == pytest.approx(0.0, abs=1e-6)
    assert inst.cost[b, a] > 0 and inst.cost[b, a] != travel.cost[b, a]
    raion = build_instance(dataset, tm, Criteria(objective="inertia", population_floor=0), level="raion").instance
    assert np.isfinite(raion.cost).all() and raion.cost[0, 0] == 0.0


def test_describe_criteria_lists_every_setting_with_its_concept_criterion() -> None:
    from atr_model.criteria import describe_criteria

    rows = {r["key"]: r for r in describe_criteria(Criteria(population_floor=3000, exemptions={"border_km": 10}))}
    assert rows["population_floor"]["value"] == 3000 and rows["population_floor"]["default"] == 5000
    assert rows["population_floor"]["changed"] and rows["population_floor"]["concept_criteria"] == [2]
    assert rows["exemptions.border_km"]["changed"] and 2 in rows["exemptions.border_km"]["concept_criteria"]
    assert rows["landscape_barriers"]["concept_criteria"] == [1] and not rows["landscape_barriers"]["changed"]
    assert rows["economic_base.indicator"]["concept_criteria"] == [6]
    assert all(r["description"] for r in rows.values())


def test_barrier_cut_unit_is_explained_with_its_neighbours(mini) -> None:
    from atr_model.scenarios import run_scenario, scenario_from_dict

    dataset, _ = mini
    scenario = scenario_from_dict(
        {"name": "barrier", "criteria": {"exemptions": {"high_mountain_m": None, "border_km": None,
                                                        "remote_travel_time_min": None, "seasonal_access": False}}}
    )
    cut = run_scenario(scenario, dataset=dataset, travel_model=mini_travel_model(barrier_bc=True)).assignments
    d = cut.set_index("unit_code").loc["D"]
    assert d["status"] == "below_floor_no_partner"
    assert "Landscape (criterion 1): only a blocked or seasonal link joins it to Unit C (C)" in d["reason"]
    # without the barrier, D (1,000) joins C (4,000): together they reach 5,000
    open_ = run_scenario(scenario, dataset=dataset, travel_model=mini_travel_model()).assignments.set_index("unit_code")
    assert open_.at["D", "status"] == "merged" and open_.at["D", "centre_code"] == "C"
    assert "45 min from the centre" in open_.at["D", "reason"]
