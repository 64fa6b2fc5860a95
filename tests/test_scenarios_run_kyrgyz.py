"""The concept-2013 national run on the shared Kyrgyz open data (skips locally without it)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from atr_model.optimisation import check_plan
from atr_model.scenarios import (
    STATUSES,
    apply_overrides,
    engine_settings,
    load_scenario,
    read_result,
    resolve_travel_model,
    run_scenario,
    write_result,
)

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.kgdata


@pytest.fixture(scope="module")
def kg(request: pytest.FixtureRequest, kg_source: Path):
    """The Kyrgyz dataset: the data branch's session fixture when present, else a build."""
    try:
        return request.getfixturevalue("kg_dataset")
    except pytest.FixtureLookupError:
        from atr_model.data.kyrgyz import build_kyrgyz_dataset

        return build_kyrgyz_dataset(kg_source)[0]


@pytest.fixture(scope="module")
def concept_run(kg, tmp_path_factory: pytest.TempPathFactory):
    scenario = load_scenario(ROOT / "scenarios" / "concept-2013.yaml")
    travel = resolve_travel_model(scenario, kg)
    started = time.perf_counter()
    result = run_scenario(scenario, dataset=kg, travel_model=travel)
    wall = time.perf_counter() - started
    out = write_result(result, tmp_path_factory.mktemp("kg") / "concept-2013")
    return scenario, result, out, wall


def test_concept_2013_national_run_is_clean_and_optimal(concept_run) -> None:
    scenario, result, out, wall = concept_run
    solver = result.kpis["solver"]
    print(f"concept-2013 national: solver {solver['seconds']:.1f} s, run {wall:.1f} s, "
          f"{result.kpis['units_before']} -> {result.kpis['units_after']} units")
    assert solver["status"] == "optimal" and solver["proven_optimal"]
    assert solver["gap"] is None or solver["gap"] < 1e-6
    inst = result.bundle.instance
    assert len(set(inst.group)) >= 40  # raion nesting: one group per raion / city
    settings = engine_settings(scenario.criteria, scenario.solver)
    hard = [v for v in check_plan(inst, np.asarray(result.engine_result.assignment), settings) if v.hard]
    assert hard == []
    package = read_result(out)
    a = package.assignments
    assert len(a) == len(result.dataset.units) and set(a["status"]) <= set(STATUSES)
    assert a["reason"].str.len().gt(20).all()
    # every new unit stays inside one raion
    assert (a.groupby("new_unit_id")["raion_code"].nunique() == 1).all()
    assert package.kpis["units_after"] < package.kpis["units_before"]
    assert package.kpis["below_floor_after_non_exempt"] < package.kpis["below_floor_before_non_exempt"]
    # estimates are labelled: most Kyrgyz unit populations are estimates in the open data
    assert package.kpis["estimated_share"]["population"] > 0
    assert package.new_units["estimated_inputs"].str.contains("population").any()
    assert "modelled" in package.provenance["travel_model"]


def test_kyrgyz_exemptions_name_measured_values(concept_run) -> None:
    _, result, _, _ = concept_run
    a = result.assignments
    exempt = a[a["exempt"]]
    assert len(exempt) and len(exempt) < len(a)
    assert exempt["exempt_reason"].str.contains(r"\d").all()  # every reason carries its measured value
    assert set(result.kpis["exempt_by_reason"]) >= {"high_mountain", "border"}


def test_together_lock_across_raions_fails_before_solving(kg, concept_run) -> None:
    scenario, result, _, _ = concept_run
    units = result.bundle.units
    first = units.groupby("raion_code")["unit_code"].first()
    a, b = first.iloc[0], first.iloc[1]
    locked = apply_overrides(scenario, **{"criteria.locks": {"together": [[a, b]]}})
    from atr_model.errors import InfeasibleError

    with pytest.raises(InfeasibleError, match=rf"{a}.*{b}.*crosses the nesting boundary"):
        run_scenario(locked, dataset=kg, travel_model=result.travel_model)


def test_concept_2013_new_units_are_one_piece_on_the_map(concept_run) -> None:
    """Terrain-cost territories: a new unit is drawn in one polygon, unless it holds a unit with
    land in two pieces of its raion that each hold its settlements (a raion exclave, listed in
    the build report, and cut off from the rest of the raion by foreign land) or a listed exclave.
    Settlement-free raion pieces are held by no unit."""
    import shapely

    scenario, result, out, _ = concept_run
    package = read_result(out)
    new_units = package.new_units
    parts = shapely.get_num_geometries(new_units.geometry.to_numpy())
    territories = result.dataset.metadata["report"]["territories"]
    # the rule, from the raion pieces: a unit holding land in several pieces of its raion; no
    # piece without a seed point is held by anyone
    pieces_held: dict[str, int] = {}
    for piece in territories["raion_pieces"]:
        assert piece["units"] == [] if piece["seed_points"] == 0 else piece["units"], piece
        for code in piece["units"]:
            pieces_held[code] = pieces_held.get(code, 0) + 1
    exclave_units = {code for code, n in pieces_held.items() if n > 1}
    forced = exclave_units | set(territories["listed_exclaves"])
    members = package.assignments.groupby("new_unit_id")["unit_code"].apply(set)
    expected = {new_id for new_id in new_units["new_unit_id"] if members[new_id] & forced}
    assert set(new_units.loc[parts > 1, "new_unit_id"]) == expected
    # and no plan could make them one piece: each such member holds settlements in a piece of its
    # raion that foreign land cuts off from the rest (the build measured the gap)
    for code in exclave_units:
        cut_off = [p for p in territories["raion_pieces"] if code in p["units"] and not p["largest"]]
        assert any(p["seed_points"] >= 1 and p["cut_off_by"] in ("foreign_land", "foreign_all_round")
                   for p in cut_off), code
    for new_id, n in zip(new_units["new_unit_id"], parts):
        if not members[new_id] & set(territories["listed_exclaves"]):
            assert n <= 1 + sum(pieces_held.get(c, 1) - 1 for c in members[new_id]), new_id
    hard = [v for v in check_plan(result.bundle.instance, np.asarray(result.engine_result.assignment),
                                  engine_settings(scenario.criteria, scenario.solver)) if v.hard]
    assert hard == []


def test_new_unit_estimate_notes_add_up_their_members_counts(concept_run) -> None:
    """A new unit's "estimated inputs" names each kind of estimate once, with its members' counts
    added up (it once read "village populations (4 estimated); village populations (6 estimated)")."""
    import re

    _, result, _, _ = concept_run
    units = result.bundle.units.set_index("unit_code")
    members = result.assignments.groupby("new_unit_id")["unit_code"].apply(list)
    counted = re.compile(r"^(.+) \((\d+) ([^()]+)\)$")
    merged_any = False
    for new_id, note in result.new_units.set_index("new_unit_id")["estimated_inputs"].items():
        parts = [p for p in str(note).split("; ") if p]
        labels = [counted.match(p).group(1) if counted.match(p) else p for p in parts]
        assert len(labels) == len(set(labels)), (new_id, note)
        for part in parts:
            found = counted.match(part)
            if not found:
                continue
            total = 0
            for code in members[new_id]:
                for own in str(units.at[code, "estimated_inputs"]).split("; "):
                    mine = counted.match(own)
                    if mine and mine.group(1) == found.group(1):
                        total += int(mine.group(2))
            assert int(found.group(2)) == total, (new_id, part)
            merged_any |= len(members[new_id]) > 1
    assert merged_any, "some merged new unit has counted estimates from several members"
