"""Maps of a dataset, a result and a comparison (folium), and the app's labels (i18n)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from atr_model.presentation import i18n, maps
from app_grid import make_grid_dataset


@pytest.fixture(scope="module")
def grid():
    return make_grid_dataset()


@pytest.fixture(scope="module")
def layers(grid):
    return maps.display_layers(grid)


def _assignments(grid, pairs: int = 2) -> pd.DataFrame:
    """Pair units left to right inside each raion: unit 2k is the centre of 2k and 2k+1."""
    units = grid.units.reset_index(drop=True)
    rows = []
    for i, row in units.iterrows():
        centre = units.loc[i - (i % pairs), "unit_code"]
        rows.append({
            "unit_code": row["unit_code"], "unit_name": row["name_en"], "raion_code": row["raion_code"],
            "new_unit_id": f"{row['raion_code']}-N{i // pairs}", "centre_code": centre,
            "status": "centre" if centre == row["unit_code"] else "merged", "reason": f"reason {i}",
            "population": row["population"], "population_is_estimate": row["population_is_estimate"],
            "travel_time_to_centre_min": 10.0 + i,
        })
    return pd.DataFrame(rows)


def _geojson_layers(fmap) -> dict:
    import folium

    return {c.layer_name: c.data for c in fmap._children.values() if isinstance(c, folium.GeoJson) and c.control}


def test_display_layers_simplify_without_touching_the_dataset(grid, layers):
    before = grid.units.geometry.copy()
    fresh = maps.display_layers(grid, tolerance_m=50)
    assert grid.units.geometry.geom_equals(before).all()
    assert list(fresh.units.index) == list(grid.units["unit_code"])
    assert fresh.units.is_valid.all()
    # Shared-edge simplification keeps the coverage: the dissolved units still make one polygon.
    assert fresh.units.union_all().geom_type == "Polygon"


def test_dataset_map_sends_units_outlines_and_settlements(layers):
    fmap = maps.dataset_map(layers, lang="ru", offline=True)
    counts = maps.map_feature_counts(fmap)
    assert counts == {"Текущие единицы": 12, "Районы": 2, "Области": 1, "Населённые пункты": 24}
    html = fmap.get_root().render()
    assert "Условные обозначения" in html  # legend in the chosen language
    assert "cdn" not in html.lower() and maps.LEAFLET_JS in html
    assert "L.control.layers" in html


def test_result_map_dissolves_new_units_and_marks_estimates(grid, layers):
    assign = _assignments(grid)
    fmap = maps.result_map(layers, assign, lang="en", offline=True, travel_model_label="modelled: no road data")
    data = _geojson_layers(fmap)
    new = data["Proposed new units"]["features"]
    assert sorted(f["id"] for f in new) == sorted(assign["new_unit_id"].unique())
    colours = {f["id"]: f["properties"]["fill"] for f in new}
    # Touching new units get different colours.
    assert colours["G-01-N0"] != colours["G-01-N2"]
    units = {f["id"]: f["properties"] for f in data["Current units"]["features"]}
    est_code = grid.units.loc[grid.units["population_is_estimate"], "unit_code"].iloc[0]
    assert "(estimate)" in units[est_code]["popup"] and "≈" in units[est_code]["popup"]
    real_code = grid.units.loc[~grid.units["population_is_estimate"], "unit_code"].iloc[0]
    assert "reason" in units[real_code]["popup"]
    assert len(data["Centres"]["features"]) == len(new)


def test_result_map_is_deterministic(grid, layers):
    assign = _assignments(grid)
    first = json.dumps(_geojson_layers(maps.result_map(layers, assign, offline=True)), sort_keys=True)
    second = json.dumps(_geojson_layers(maps.result_map(layers, assign, offline=True)), sort_keys=True)
    assert first == second


def test_diff_map_highlights_only_differing_units(grid, layers):
    a = _assignments(grid, pairs=2)
    b = _assignments(grid, pairs=1)
    fmap = maps.diff_map(layers, a, b, ["GRID-00", "GRID-01"], offline=True)
    feats = _geojson_layers(fmap)["Units that differ"]["features"]
    assert {f["id"] for f in feats if f["properties"]["changed"]} == {"GRID-00", "GRID-01"}


def test_every_label_has_three_languages():
    for key, texts in i18n.STRINGS.items():
        assert set(texts) == set(i18n.LANGUAGES), key
        assert all(v.strip() for v in texts.values()), key


def test_format_number_marks_estimates():
    assert i18n.format_number(4200, "en", is_estimate=True) == "≈ 4,200 (estimate)"
    assert i18n.format_number(4200, "ru", is_estimate=True) == "≈ 4\u00a0200 (оценка)"
    assert i18n.format_number(4200, "en") == "4,200"


def test_display_name_falls_back_to_other_languages_and_code():
    assert i18n.display_name({"name_ky": None, "name_ru": "Ак-Суу", "unit_code": "X"}, "ky") == "Ак-Суу"
    assert i18n.display_name({"name_ky": "", "unit_code": "X"}, "en") == "X"


def test_result_map_draws_links_with_barriers_marked(grid, layers):
    links = pd.DataFrame({"unit_a": ["GRID-00", "GRID-01"], "unit_b": ["GRID-01", "GRID-02"],
                          "kind": ["shared_boundary", "road_link"], "barrier": [False, True]})
    fmap = maps.result_map(layers, _assignments(grid), links=links, offline=True)
    feats = _geojson_layers(fmap)["Links between units"]["features"]
    assert {f["id"]: f["properties"]["barrier"] for f in feats} == {"GRID-00|GRID-01": False, "GRID-01|GRID-02": True}
    assert "across a barrier" in fmap.get_root().render()
