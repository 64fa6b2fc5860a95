"""A fixed national count of aiyl aimaks (issue 8): scenarios/national-231.yaml on the Kyrgyz
build, the ``n_units_counts`` option on the demo, and clear errors for counts and bands."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from atr_model.errors import CriteriaError, InfeasibleError, ScenarioError
from atr_model.optimisation import check_plan
from atr_model.scenarios import (
    apply_overrides,
    build_instance,
    engine_settings,
    load_scenario,
    resolve_travel_model,
    run_scenario,
    scenario_from_dict,
)

ROOT = Path(__file__).resolve().parents[1]
NATIONAL = ROOT / "scenarios" / "national-231.yaml"


def _aimak_units(assignments: pd.DataFrame) -> pd.Series:
    """New unit id of every aiyl aimak."""
    return assignments.loc[assignments["level"] != "town", "new_unit_id"]


def _assert_towns_apart(assignments: pd.DataFrame) -> None:
    towns = assignments[assignments["level"] == "town"]
    sizes = assignments.groupby("new_unit_id").size()
    assert (sizes.loc[towns["new_unit_id"]] == 1).all()
    assert (towns["centre_code"] == towns["unit_code"]).all()


# --------------------------------------------------------------------------------------------
# the Kyrgyz national run


@pytest.fixture(scope="module")
def national(kg_dataset):
    scenario = load_scenario(NATIONAL)
    travel = resolve_travel_model(scenario, kg_dataset)
    return scenario, run_scenario(scenario, dataset=kg_dataset, travel_model=travel)


@pytest.mark.kgdata
def test_national_231_is_proven_optimal_with_231_aiyl_aimak_units(national) -> None:
    scenario, result = national
    assert scenario.criteria.n_units == 231 and scenario.criteria.n_units_counts == "aiyl_aimak"
    a = result.assignments
    assert len(a) == len(result.dataset.units)
    assert _aimak_units(a).nunique() == 231
    _assert_towns_apart(a)
    n_towns = int((a["level"] == "town").sum())
    assert result.settings.n_units == 231 + n_towns
    assert result.kpis["units_after"] == 231 + n_towns
    assert result.kpis["aiyl_aimak_units_after"] == 231
    solver = result.kpis["solver"]
    assert solver["status"] == "optimal" and solver["proven_optimal"]
    assert solver["gap"] is None or solver["gap"] < 1e-6
    # the independent checker, with settings rebuilt from the scenario file
    inst = result.bundle.instance
    settings = engine_settings(scenario.criteria, scenario.solver, bundle=result.bundle)
    assert [v for v in check_plan(inst, np.asarray(result.engine_result.assignment), settings) if v.hard] == []
    # raion nesting holds although the count couples the raions
    assert (a.groupby("new_unit_id")["raion_code"].nunique() == 1).all()
    # exempt aiyl aimaks may merge (mode no_floor), and some do, into units of several members
    exempt_aimaks = a[a["exempt"] & a["level"].eq("aiyl_aimak")]
    merged = exempt_aimaks[exempt_aimaks["status"].eq("merged")]
    assert len(merged) > 0
    sizes = a.groupby("new_unit_id").size()
    assert (merged["new_unit_id"].map(sizes) > 1).all()


@pytest.mark.kgdata
def test_national_count_below_the_kept_exemptions_is_explained(national, kg_dataset) -> None:
    scenario, result = national
    # the Concept's exemptions kept as they are leave too few units for the rest: explained before
    # the solver, in aiyl-aimak terms, with the way out
    keep = apply_overrides(scenario, **{"criteria.exemptions.mode": "keep"})
    bundle = build_instance(kg_dataset, result.travel_model, keep.criteria, level=keep.level)
    with pytest.raises(InfeasibleError, match=r"231 new aiyl-aimak units asked in total, but \d+ aiyl aimaks must "
                                              r"stay as they are \(\d+ exempt.*need at least \d+ more unit.*"
                                              r"exemptions.mode 'no_floor'") as info:
        engine_settings(keep.criteria, keep.solver, bundle=bundle)
    kept = set(info.value.reasons[0]["units"])
    assert kept and kept <= set(bundle.units.loc[bundle.units["exempt"], "unit_code"])
    # without contiguity the same count is only bounded by the kept units themselves
    loose = engine_settings(keep.criteria, keep.solver.model_copy(update={"contiguity": "none"}), bundle=bundle)
    assert loose.n_units == 231 + int((bundle.units["level"] == "town").sum())


# --------------------------------------------------------------------------------------------
# the option on the demo territory (always runs)


@pytest.fixture(scope="module")
def demo_travel(demo_dataset):
    return resolve_travel_model(scenario_from_dict({"name": "d", "dataset": "demo", "roads": "auto",
                                                    "elevation": "auto"}), demo_dataset)


def _demo_scenario(**criteria: object) -> object:
    base = load_scenario(NATIONAL).model_dump(mode="json")
    base.update(dataset="demo", roads="auto", elevation="auto")
    base["criteria"].update(criteria)
    return scenario_from_dict(base, where="national-231 on demo")


@pytest.mark.parametrize("towns", ["keep", "host"])
def test_aiyl_aimak_count_on_demo_is_met_exactly(demo_dataset, demo_travel, towns: str) -> None:
    n_aimaks = int((demo_dataset.units["level"] != "town").sum())
    k = n_aimaks - 12
    result = run_scenario(_demo_scenario(n_units=k, centres={"towns": towns}), dataset=demo_dataset,
                          travel_model=demo_travel)
    a = result.assignments
    level = a.set_index("unit_code")["level"]
    # new units centred on an aiyl aimak; with 'keep' they are exactly the units made of aiyl aimaks
    assert (a["centre_code"].map(level) != "town").groupby(a["new_unit_id"]).first().sum() == k
    assert result.kpis["aiyl_aimak_units_after"] == k
    assert (a.loc[a["level"] == "town", "centre_code"] == a.loc[a["level"] == "town", "unit_code"]).all()
    if towns == "keep":
        assert _aimak_units(a).nunique() == k
        _assert_towns_apart(a)
    assert result.kpis["solver"]["proven_optimal"]
    hard = [v for v in check_plan(result.bundle.instance, np.asarray(result.engine_result.assignment),
                                  result.settings) if v.hard]
    assert hard == []


def test_count_larger_than_the_aiyl_aimaks_is_a_clear_error(demo_dataset, demo_travel) -> None:
    n_aimaks = int((demo_dataset.units["level"] != "town").sum())
    with pytest.raises(CriteriaError, match=rf"231 new aiyl-aimak units asked in total, but only {n_aimaks} aiyl aimaks"):
        run_scenario(_demo_scenario(), dataset=demo_dataset, travel_model=demo_travel)


def test_count_of_all_units_larger_than_the_units_is_infeasible(demo_dataset, demo_travel) -> None:
    scenario = _demo_scenario(n_units=len(demo_dataset.units) + 1, n_units_counts="all")
    with pytest.raises(InfeasibleError, match=rf"{len(demo_dataset.units) + 1} new units asked in total, but only"):
        run_scenario(scenario, dataset=demo_dataset, travel_model=demo_travel)


def test_per_group_aiyl_aimak_count_adds_the_towns_of_each_group(demo_dataset, demo_travel) -> None:
    scenario = _demo_scenario(n_units=None)
    bundle = build_instance(demo_dataset, demo_travel, scenario.criteria, level="aiyl_aimak")
    units = bundle.units
    group = next(g for g in sorted(set(bundle.instance.group))
                 if ((units["group"] == g) & (units["level"] == "town")).any())
    towns = int(((units["group"] == group) & (units["level"] == "town")).sum())
    per_group = scenario.criteria.model_copy(update={"n_units": {group: 2}})
    assert engine_settings(per_group, scenario.solver, bundle=bundle).n_units == {group: 2 + towns}
    with pytest.raises(CriteriaError, match="needs the instance"):
        engine_settings(per_group, scenario.solver)
    with pytest.raises(CriteriaError, match="unknown group"):
        engine_settings(per_group.model_copy(update={"n_units": {"nowhere": 2}}), scenario.solver, bundle=bundle)


@pytest.mark.parametrize(
    ("criteria", "match"),
    [
        ({"centres": {"towns": "merge"}}, r"n_units_counts 'aiyl_aimak' needs towns kept apart"),
        ({"n_units": 0}, r"n_units must be at least 1"),
        ({"n_units_counts": "towns"}, r"'criteria.n_units_counts': Input should be 'all' or 'aiyl_aimak'"),
        ({"population_cap": 3000}, r"population_cap 3000 is below population_floor 5000"),
    ],
)
def test_bad_count_and_band_options_name_the_key(criteria: dict, match: str) -> None:
    with pytest.raises(ScenarioError, match=match):
        _demo_scenario(**criteria)


def test_band_no_unit_can_meet_is_explained(demo_dataset, demo_travel) -> None:
    pop = demo_dataset.units.set_index("unit_code")["population"]
    biggest = str(pop.idxmax())
    scenario = _demo_scenario(n_units=None, population_floor=0, population_cap=float(pop.max()) - 1,
                              cap_mode="hard")
    with pytest.raises(InfeasibleError, match=rf"{biggest}.*above the hard cap"):
        run_scenario(scenario, dataset=demo_dataset, travel_model=demo_travel)


@pytest.mark.kgdata
def test_national_231_rerun_is_identical(national, kg_dataset) -> None:
    scenario, result = national
    again = run_scenario(scenario, dataset=kg_dataset, travel_model=result.travel_model)
    cols = ["unit_code", "new_unit_id", "centre_code", "status"]
    pd.testing.assert_frame_equal(again.assignments[cols], result.assignments[cols])
    assert again.kpis["solver"]["objective"] == result.kpis["solver"]["objective"]
