"""Any raion or oblast of the Kyrgyz build as the app's Territory (issue 20).

Choosing a raion used to fail with "build report territories ... names 41702220000000, which
the dataset kg-...-r41702205000000 does not have": the subset kept the whole build's report.
Here every raion and every oblast of the build goes through what the app does for a Territory
(``datasets.subset_dataset``, the display layers, the dataset map), and a scenario run on a
raion and on an oblast writes the territory notes of that subset only. The browser side
(menu and ``?territory=`` link) is in ``test_app_territories_browser.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from atr_model.data import Dataset
from atr_model.errors import DataError
from atr_model.network import TravelModel
from atr_model.presentation import maps
from atr_model.presentation.app import datasets, results
from atr_model.presentation.i18n import t
from atr_model.scenarios import Scenario, load_scenario, resolve_travel_model
from atr_model.scenarios.territory_notes import TERRITORY_NOTES_NAME

pytestmark = pytest.mark.kgdata

ROOT = Path(__file__).resolve().parents[1]
BATKEN_RAION = "41705214000000"  # a unit holding an exclave, and 2.2 km2 of unplaced land
ISSYK_KUL_OBLAST = "41702000000000"  # unplaced land in two of its raions (Ton, Tup)


def territory_codes(dataset: Dataset) -> list[str]:
    """Every raion, then every oblast that is not also a raion (the app's Territory menu)."""
    raions = sorted(dataset.raions["raion_code"].astype(str))
    return raions + sorted(set(dataset.oblasts["oblast_code"].astype(str)) - set(raions))


def note_rows(land_notes: pd.DataFrame) -> tuple[list[tuple[str, str, str]], list[float]]:
    """The land notes as comparable rows (kind, raion, unit) and their areas (km2), in that order."""
    rows = sorted(zip(land_notes["kind"], land_notes["raion_code"].astype(str), land_notes["unit_code"].astype(str),
                      land_notes["area_km2"].astype(float)))
    return [r[:3] for r in rows], [r[3] for r in rows]


@pytest.fixture(scope="module")
def concept() -> Scenario:
    return load_scenario(ROOT / "scenarios" / "concept-2013.yaml")


@pytest.fixture(scope="module")
def whole_travel(kg_dataset: Dataset, concept: Scenario) -> TravelModel:
    """The whole build's travel model: the app subsets it for a Territory."""
    return resolve_travel_model(concept, kg_dataset)


@pytest.fixture(scope="module")
def whole_layers(kg_dataset: Dataset) -> maps.DisplayLayers:
    return maps.display_layers(kg_dataset, elevation=None)


def test_every_raion_and_oblast_gets_its_map_with_its_own_land_notes(kg_dataset: Dataset, whole_layers) -> None:
    codes = territory_codes(kg_dataset)
    assert len(codes) == kg_dataset.raions["raion_code"].nunique() + 7  # 7 oblasts besides the two cities
    whole_notes = whole_layers.land_notes
    units_layer, unplaced_layer = t("map.current_units", "en"), t("map.unplaced", "en")
    failures, unplaced_by_raion = [], {}
    for code in codes:
        raions = set(datasets.territory_raions(kg_dataset, [code]))
        try:
            sub = datasets.subset_dataset(kg_dataset, [code])
            layers = maps.display_layers(sub, elevation=None)
            counts = maps.map_feature_counts(maps.dataset_map(layers, lang="en"))
        except Exception as exc:  # collect every territory that fails, not only the first
            failures.append(f"{code}: {type(exc).__name__}: {exc}")
            continue
        expected_units = set(kg_dataset.units.loc[kg_dataset.units["raion_code"].isin(raions), "unit_code"])
        assert set(layers.units.index) == expected_units and counts[units_layer] == len(expected_units), code
        # the subset's land notes are exactly the whole build's notes in its raions
        expected_notes = whole_notes[whole_notes["raion_code"].isin(raions)]
        (rows, areas), (expected_rows, expected_areas) = note_rows(layers.land_notes), note_rows(expected_notes)
        assert rows == expected_rows, code
        assert areas == pytest.approx(expected_areas, rel=1e-6), code  # the same, whatever the map's extent
        assert counts.get(unplaced_layer, 0) == int((expected_notes["kind"] == "unplaced").sum()), code
        pieces = sub.metadata["report"]["territories"]["raion_pieces"]
        assert {p["raion_code"] for p in pieces} <= raions, code
        if code in set(kg_dataset.raions["raion_code"]):
            unplaced_by_raion[code] = sub.metadata["report"]["territories"]["unplaced_raion_land_km2"]
    assert not failures, "\n".join(failures)
    # the raions' unplaced land adds up to the build's (5 pieces, 4,837.5 km2 on the shared data)
    whole = kg_dataset.metadata["report"]["territories"]
    assert sum(unplaced_by_raion.values()) == pytest.approx(whole["unplaced_raion_land_km2"], abs=0.01)
    assert sum(1 for a in unplaced_by_raion.values() if a > 0) == whole["unplaced_raion_pieces"] == 5


def test_an_oblast_stands_for_its_raions_and_unknown_codes_are_named(kg_dataset: Dataset) -> None:
    oblast = kg_dataset.raions[kg_dataset.raions["oblast_code"] == ISSYK_KUL_OBLAST]
    sub = datasets.subset_dataset(kg_dataset, [ISSYK_KUL_OBLAST])
    assert set(sub.raions["raion_code"]) == set(oblast["raion_code"]) and len(oblast) == 7
    assert list(sub.oblasts["oblast_code"]) == [ISSYK_KUL_OBLAST]
    assert sub.build_id == f"{kg_dataset.build_id}-r{ISSYK_KUL_OBLAST}"
    territories = sub.metadata["report"]["territories"]
    codes = set(sub.units["unit_code"])
    assert all(a in codes and b in codes for a, b, _ in territories["pairs_added"] + territories["pairs_removed"])
    assert "adjacent_pairs" not in territories  # a count over the whole build is not restated
    # the whole build's report is left as it was
    assert len(kg_dataset.metadata["report"]["territories"]["raion_pieces"]) > len(territories["raion_pieces"])
    with pytest.raises(DataError, match="unknown raion or oblast code.*41799999999999"):
        datasets.subset_dataset(kg_dataset, ["41799999999999"])


@pytest.mark.parametrize("code", [BATKEN_RAION, ISSYK_KUL_OBLAST])
def test_a_run_on_a_raion_or_an_oblast_writes_its_own_territory_notes(
    kg_dataset: Dataset, concept: Scenario, whole_travel: TravelModel, code: str, tmp_path: Path
) -> None:
    sub = datasets.subset_dataset(kg_dataset, [code])
    travel = datasets.subset_travel_model(whole_travel, sub.units["unit_code"])
    folder = results.run_or_reuse(concept, sub, travel_model=travel, out_root=tmp_path)
    notes = json.loads((folder / TERRITORY_NOTES_NAME).read_text(encoding="utf-8"))
    raions = set(sub.raions["raion_code"])
    built = [p for p in kg_dataset.metadata["report"]["territories"]["raion_pieces"]
             if p["unplaced"] and p["raion_code"] in raions]
    assert built, "the chosen territory holds unplaced land on the shared data"
    assert sorted((p["raion_code"], p["area_km2"]) for p in notes["unplaced_pieces"]) == sorted(
        (p["raion_code"], p["area_km2"]) for p in built)
    assigned = pd.read_csv(folder / "assignments.csv", dtype=str)
    assert set(assigned["unit_code"]) == set(sub.units["unit_code"])
    members = {m["unit_code"] for u in notes["split_new_units"] for m in u["exclave_members"]}
    assert members <= set(sub.units["unit_code"])
    if code == BATKEN_RAION:  # Suu-Bashy's exclave across Kadamjai stays with its new unit
        assert "41705214852000" in members
