"""Every map explains raion land held by no unit and the units that hold an exclave of their raion.

On a hand-made grid with a raion in three pieces (one held by no unit, one holding a unit's
exclave), and on the Kyrgyz build, whose report records the raion pieces
(``report.territories.raion_pieces``, data README section 2.4).
"""

from __future__ import annotations

import math
import re

import folium
import pandas as pd
import pytest
import shapely
from app_grid import make_grid_dataset

from atr_model.data.borders import CUT_OFF_KINDS
from atr_model.presentation import i18n, maps
from atr_model.presentation.maps import display, elements

EXCLAVE_UNIT = "GRID-00"


def _geojson(fmap: folium.Map) -> dict[str, folium.GeoJson]:
    return {c.layer_name: c for c in fmap._children.values() if isinstance(c, folium.GeoJson) and c.control}


def _layers(fmap: folium.Map) -> dict[str, dict]:
    return {name: layer.data for name, layer in _geojson(fmap).items()}


def _legend(fmap: folium.Map) -> str:
    return next(c for c in fmap._children.values() if isinstance(c, elements.Legend)).html


def _popups(fmap: folium.Map) -> dict[str, str]:
    """Feature id -> popup HTML over every layer with popups (units appear in exactly one)."""
    return {f["id"]: f["properties"]["popup"] for data in _layers(fmap).values() for f in data["features"]
            if "popup" in f["properties"]}


def _row(popup: str, label: str) -> str | None:
    found = re.search(re.escape(label) + r"</th><td>([^<]*)</td>", popup)
    return found.group(1) if found else None


@pytest.fixture(scope="module")
def pieces_grid():
    """The grid with raion G-01 in three pieces: its units (GRID-00 also holds a square of the
    second piece, an exclave), a second piece 0.3 deg west, and a third, empty piece 0.3 deg
    south held by no unit; the build report records them as the Kyrgyz build does."""
    grid = make_grid_dataset()
    exclave = shapely.box(73.6, 41.0, 73.7, 41.1)
    empty = shapely.box(74.0, 40.6, 74.2, 40.7)
    units = grid.units.copy()
    at = units.index[units["unit_code"] == EXCLAVE_UNIT][0]
    units.loc[at, "geometry"] = shapely.MultiPolygon([units.loc[at, "geometry"], exclave])
    raions = grid.raions.copy()
    g01 = raions.index[raions["raion_code"] == "G-01"][0]
    raions.loc[g01, "geometry"] = shapely.MultiPolygon([*shapely.get_parts(raions.loc[g01, "geometry"]), exclave, empty])
    pieces = [
        {"raion_code": "G-01", "largest": True, "unplaced": False, "area_km2": 500.0, "lon": 74.1, "lat": 41.15,
         "units": sorted(units.loc[units["raion_code"] == "G-01", "unit_code"]), "seed_points": 6},
        {"raion_code": "G-01", "largest": False, "unplaced": False, "area_km2": 93.4, "lon": 73.65, "lat": 41.05,
         "units": [EXCLAVE_UNIT], "seed_points": 1, "cut_off_by": "foreign_all_round", "gap_km": 25.1,
         "gap_outside_raions_km": 25.1, "touches_raions": []},
        {"raion_code": "G-01", "largest": False, "unplaced": True, "area_km2": 185.9, "lon": 74.1, "lat": 40.65,
         "units": [], "seed_points": 0, "cut_off_by": "other_raions", "gap_km": 33.3, "gap_outside_raions_km": 0.0,
         "touches_raions": []},
    ]
    metadata = {**grid.metadata, "build_id": "grid-pieces-test", "report": {"territories": {
        "raion_pieces": pieces,
        "raion_exclave_units": [{"unit_code": EXCLAVE_UNIT, "pieces_km2": [93.4, 93.4]}],
    }}}
    return grid.replace(units=units, raions=raions, metadata=metadata), exclave, empty


@pytest.fixture(scope="module")
def pieces_layers(pieces_grid):
    return maps.display_layers(pieces_grid[0], elevation=None)


def _grid_assignments(dataset) -> pd.DataFrame:
    """One new unit per raion, centred on its first unit (so GRID-00 merges with its raion)."""
    units = dataset.units.reset_index(drop=True)
    centre = units.groupby("raion_code")["unit_code"].transform("first")
    return pd.DataFrame({
        "unit_code": units["unit_code"], "new_unit_id": units["raion_code"], "centre_code": centre,
        "status": ["centre" if c == u else "merged" for c, u in zip(centre, units["unit_code"])], "reason": "",
        "population": units["population"], "population_is_estimate": units["population_is_estimate"],
    })


def test_land_notes_hold_the_unplaced_piece_and_the_units_exclave(pieces_grid, pieces_layers):
    _, exclave, empty = pieces_grid
    notes = pieces_layers.land_notes
    assert notes.crs == "EPSG:4326"
    assert sorted(notes["kind"]) == ["exclave", "unplaced"]
    unplaced = notes[notes["kind"] == "unplaced"].iloc[0]
    assert unplaced["raion_code"] == "G-01" and unplaced["name_en"] == "Raion 1"
    assert unplaced["area_km2"] == 185.9  # the build's figure for the raion piece
    assert shapely.equals_exact(shapely.normalize(unplaced.geometry), shapely.normalize(empty), tolerance=1e-3)
    held = notes[notes["kind"] == "exclave"].iloc[0]
    assert (held["unit_code"], held["cut_off_by"], held["unit_pieces"]) == (EXCLAVE_UNIT, "foreign_all_round", 2)
    assert shapely.equals_exact(shapely.normalize(held.geometry), shapely.normalize(exclave), tolerance=1e-3)
    # the unit's land there, measured on the full-resolution territory: a 0.1 x 0.1 deg square at 41 N
    assert held["area_km2"] == pytest.approx(11.1 * 11.13 * math.cos(math.radians(41.05)), rel=0.01)
    # the outline is the displayed unit's own part in that piece, so it follows the unit's fill
    unit = pieces_layers.units.geometry[EXCLAVE_UNIT]
    assert shapely.difference(held.geometry, unit).area < 1e-9
    # same dataset, same notes
    again = maps.display_layers(pieces_grid[0], elevation=None).land_notes
    assert again.drop(columns="geometry").equals(notes.drop(columns="geometry")) and again.geom_equals(notes).all()


def test_every_cut_off_kind_reads_in_every_language():
    for kind in CUT_OFF_KINDS:
        texts = {lang: i18n.t(f"map.cut_off.{kind}", lang) for lang in i18n.LANGUAGES}
        assert all(text != f"map.cut_off.{kind}" for text in texts.values()), kind
        assert len(set(texts.values())) == len(texts), kind  # really translated


@pytest.mark.parametrize("lang", ["en", "ky"])
def test_every_map_draws_and_explains_the_land(pieces_grid, pieces_layers, lang):
    dataset = pieces_grid[0]
    assign = _grid_assignments(dataset)
    other = assign.assign(new_unit_id=assign["unit_code"], centre_code=assign["unit_code"], status="kept")
    why = i18n.t("map.cut_off.foreign_all_round", lang)
    for fmap in (
        maps.dataset_map(pieces_layers, lang=lang),
        maps.result_map(pieces_layers, assign, lang=lang),
        maps.diff_map(pieces_layers, assign, other, list(assign["unit_code"]), lang=lang),
    ):
        layers = _layers(fmap)
        unplaced = layers[i18n.t("map.unplaced", lang)]["features"]
        assert len(unplaced) == 1
        assert i18n.format_number(185.9, lang, digits=1) in unplaced[0]["properties"]["tip"]
        assert "Raion 1" in unplaced[0]["properties"]["tip"] or "Район 1" in unplaced[0]["properties"]["tip"]
        assert [f["id"] for f in layers[i18n.t("map.exclaves", lang)]["features"]] == [EXCLAVE_UNIT]
        territory = _row(_popups(fmap)[EXCLAVE_UNIT], i18n.t("field.territory", lang))
        # the fixture's piece: the unit in 2 pieces, its exclave an enclave abroad 25.1 km from the rest
        gap = i18n.t("map.exclave_gap", lang, gap=i18n.format_number(25.1, lang, digits=1))
        assert territory == i18n.t("map.territory_exclave", lang, pieces=2, why=f"{why}; {gap}")
        if lang == "en":
            assert territory == ("2 pieces — holds an exclave: an enclave inside a neighbouring country, touching "
                                 "no other raion; 25.1 km from the rest of its raion")
        assert _row(_popups(fmap)["GRID-01"], i18n.t("field.territory", lang)) is None  # one piece: no row
        legend = _legend(fmap)
        assert i18n.t("map.unplaced", lang) in legend and i18n.t("map.exclaves", lang) in legend
        # the exclave outline is not interactive (it would swallow clicks meant for the unit
        # below); the unplaced land is, for its tooltip
        drawn = _geojson(fmap)
        assert drawn[i18n.t("map.exclaves", lang)].options.get("interactive") is False
        assert drawn[i18n.t("map.unplaced", lang)].options.get("interactive", True) is True


def test_new_unit_passport_says_its_member_holds_an_exclave(pieces_grid, pieces_layers):
    assign = _grid_assignments(pieces_grid[0])
    fmap = maps.result_map(pieces_layers, assign, lang="en")
    passports = {f["id"]: f["properties"]["popup"] for f in _layers(fmap)["Proposed new units"]["features"]}
    name = maps.unit_names(pieces_layers, "en")[EXCLAVE_UNIT]
    territory = _row(passports["G-01"], "Territory")
    assert territory and territory.startswith(f"2 pieces — {name} holds an exclave: ")
    assert _row(passports["G-02"], "Territory") is None


def test_area_of_the_exclave_is_marked_an_estimate_for_approximate_territories(pieces_grid):
    dataset = pieces_grid[0]
    units = dataset.units.assign(geometry_source="approximate: terrain-cost allocation")
    layers = maps.display_layers(dataset.replace(units=units), elevation=None)
    popup = _popups(maps.dataset_map(layers, lang="en"))[EXCLAVE_UNIT]
    assert "(estimate)" in _row(popup, "Land in the exclave (km²)")


def test_demo_maps_have_no_land_layer_nor_legend_entry(demo_dataset):
    layers = maps.display_layers(demo_dataset, elevation=None)
    assert layers.land_notes.empty and list(layers.land_notes.columns) == [*display.LAND_NOTE_COLUMNS, "geometry"]
    units = demo_dataset.units.reset_index(drop=True)
    assign = pd.DataFrame({
        "unit_code": units["unit_code"], "new_unit_id": units["raion_code"], "status": "merged", "reason": "",
        "centre_code": units.groupby("raion_code")["unit_code"].transform("first"),
        "population": units["population"], "population_is_estimate": units["population_is_estimate"],
    })
    for fmap in (maps.dataset_map(layers), maps.result_map(layers, assign)):
        names = set(_layers(fmap))
        assert i18n.t("map.unplaced", "en") not in names and i18n.t("map.exclaves", "en") not in names
        legend = _legend(fmap)
        assert i18n.t("map.unplaced", "en") not in legend and i18n.t("map.exclaves", "en") not in legend
        assert "Territory</th>" not in str(_popups(fmap))


def test_land_notes_survive_the_display_store(pieces_grid, tmp_path, monkeypatch):
    dataset = pieces_grid[0]
    first = display.stored_display_layers(dataset, cache_dir=tmp_path)
    monkeypatch.setattr(display, "display_layers", lambda *a, **k: pytest.fail("prepared again"))
    again = display.stored_display_layers(dataset, cache_dir=tmp_path)
    assert len(again.land_notes) == 2
    assert again.land_notes.drop(columns="geometry").equals(first.land_notes.drop(columns="geometry"))
    assert again.land_notes.geom_equals(first.land_notes).all()


@pytest.mark.parametrize("wrong", ["raion", "unit"])
def test_a_report_naming_a_raion_or_unit_the_dataset_lacks_is_refused(pieces_grid, wrong):
    dataset = pieces_grid[0]
    territories = dict(dataset.metadata["report"]["territories"])
    if wrong == "raion":
        territories["raion_pieces"] = [{**territories["raion_pieces"][2], "raion_code": "G-99"}]
    else:
        territories["raion_exclave_units"] = [{"unit_code": "GRID-99"}]
    broken = dataset.replace(metadata={**dataset.metadata, "build_id": "grid-broken",
                                       "report": {"territories": territories}})
    code = "G-99" if wrong == "raion" else "GRID-99"
    with pytest.raises(ValueError, match=rf"raion_exclave_units\) names {code}, which the dataset grid-broken does not"):
        maps.display_layers(broken, elevation=None)


# ---------------------------------------------------------------------------------------------
# the Kyrgyz build


@pytest.fixture(scope="module")
def kg_layers(kg_dataset):
    return maps.display_layers(kg_dataset)


def _territories(dataset) -> dict:
    return dataset.metadata["report"]["territories"]


def test_kyrgyz_land_notes_follow_the_build_report(kg_dataset, kg_layers):
    territories = _territories(kg_dataset)
    unplaced = [p for p in territories["raion_pieces"] if p["unplaced"]]
    notes = kg_layers.land_notes
    shown = notes[notes["kind"] == "unplaced"]
    assert len(shown) == len(unplaced) == 5
    assert shown["area_km2"].sum() == pytest.approx(sum(p["area_km2"] for p in unplaced))
    # the unplaced land is the hole between the units' fills: almost none of it under a unit
    metric = kg_dataset.units.estimate_utm_crs()
    under = shown.to_crs(metric).intersection(kg_layers.units.to_crs(metric).union_all()).area
    assert (under / shown.to_crs(metric).area < 0.02).all()
    exclaves = notes[notes["kind"] == "exclave"]
    assert sorted(exclaves["unit_code"]) == sorted(u["unit_code"] for u in territories["raion_exclave_units"])
    for note in exclaves.itertuples():
        detached = next(u for u in territories["raion_exclave_units"] if u["unit_code"] == note.unit_code)["detached_pieces"]
        assert note.cut_off_by == detached[0]["cut_off_by"]
        assert note.area_km2 == pytest.approx(detached[0]["area_km2"], rel=0.02)  # each holds its whole piece


@pytest.fixture(scope="module")
def kg_concept(kg_dataset):
    from pathlib import Path

    from atr_model.scenarios import load_scenario, resolve_travel_model, run_scenario

    scenario = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "concept-2013.yaml")
    travel = resolve_travel_model(scenario, kg_dataset)
    return run_scenario(scenario, dataset=kg_dataset, travel_model=travel), travel


@pytest.mark.parametrize("lang", ["en", "ky"])
def test_kyrgyz_result_map_shows_the_land_and_the_exclaves(kg_dataset, kg_layers, kg_concept, lang):
    result, travel = kg_concept
    fmap = maps.result_map(kg_layers, result.assignments, new_units=result.new_units, lang=lang,
                           travel_model_label=travel.label)
    layers = _layers(fmap)
    assert len(layers[i18n.t("map.unplaced", lang)]["features"]) == 5
    held = {u["unit_code"]: u for u in _territories(kg_dataset)["raion_exclave_units"]}
    assert sorted(f["id"] for f in layers[i18n.t("map.exclaves", lang)]["features"]) == sorted(held)
    popups = _popups(fmap)
    for code, unit in held.items():
        territory = _row(popups[code], i18n.t("field.territory", lang))
        kind = unit["detached_pieces"][0]["cut_off_by"]
        assert territory and i18n.t(f"map.cut_off.{kind}", lang) in territory, code
        assert territory.startswith(i18n.t("map.territory_exclave", lang, pieces=len(unit["pieces_km2"]), why=""))
        assert "(" + i18n.t("estimate.suffix", lang) + ")" in _row(popups[code], i18n.t("field.exclave_area", lang))
    legend = _legend(fmap)
    assert i18n.t("map.unplaced", lang) in legend and i18n.t("map.exclaves", lang) in legend


def test_kyrgyz_passport_of_a_new_unit_holding_an_exclave(kg_dataset, kg_layers):
    assign = _grid_assignments(kg_dataset)
    fmap = maps.result_map(kg_layers, assign, lang="ky")
    passports = {f["id"]: f["properties"]["popup"] for f in _layers(fmap)["Сунушталган жаңы бирдиктер"]["features"]}
    names = maps.unit_names(kg_layers, "ky")
    for unit in _territories(kg_dataset)["raion_exclave_units"]:
        raion = kg_dataset.units.set_index("unit_code").at[unit["unit_code"], "raion_code"]
        territory = _row(passports[raion], i18n.t("field.territory", "ky"))
        assert territory and names[unit["unit_code"]] in territory
