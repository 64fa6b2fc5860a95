"""Every folium map reads the one owner of categories and colours (scenarios.categories, palette).

On the Kyrgyz build: the result map paints red exactly the new units the key figure
``below_floor_after_non_exempt`` counts, its legend gives each category the palette's colour,
Compare's two maps give a new unit with the same members the same colour and outline the units
grouped differently, and the plan map's violation outline has its legend entry. On the grid: a
unit named like a script is text in every tooltip and popup.
"""

from __future__ import annotations

import html
from pathlib import Path

import folium
import pandas as pd
import pytest
import shapely.geometry
from app_grid import make_grid_dataset

from atr_model.presentation import i18n, maps
from atr_model.presentation.maps import elements, palette
from atr_model.presentation.view import new_unit_names
from atr_model.scenarios import (
    CATEGORIES,
    category_counts,
    compare_results,
    load_scenario,
    new_unit_categories,
    resolve_travel_model,
    run_scenario,
)

ROOT = Path(__file__).resolve().parents[1]
SCRIPT_NAME = "<img src=x onerror=alert(2)>"
RED = palette.CATEGORY_COLOURS["below_floor"]


def _layers(fmap: folium.Map) -> dict[str, dict]:
    return {c.layer_name: c.data for c in fmap._children.values() if isinstance(c, folium.GeoJson) and c.control}


def _legend(fmap: folium.Map) -> elements.Legend:
    return next(c for c in fmap._children.values() if isinstance(c, elements.Legend))


def _fills(fmap: folium.Map, layer: str) -> dict[str, str]:
    return {f["id"]: f["properties"]["style"]["fillColor"] for f in _layers(fmap)[layer]["features"]}


def _red_new_units(fmap: folium.Map) -> set[str]:
    """New units painted red on a result map, in whichever layer (units kept alone, new units)."""
    return {
        str(f["properties"]["new_unit_id"])
        for data in _layers(fmap).values() for f in data["features"]
        if f["properties"].get("style", {}).get("fillColor") == RED
    }


def _run(kg_dataset, name: str):
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    travel = resolve_travel_model(scenario, kg_dataset)
    return run_scenario(scenario, dataset=kg_dataset, travel_model=travel), travel.label


@pytest.fixture(scope="module")
def kg_layers(kg_dataset):
    return maps.display_layers(kg_dataset)


@pytest.fixture(scope="module")
def concept(kg_dataset):
    return _run(kg_dataset, "concept-2013")


@pytest.fixture(scope="module")
def lenient(kg_dataset):
    return _run(kg_dataset, "lenient")


@pytest.mark.kgdata
def test_kyrgyz_result_map_paints_red_exactly_the_units_below_the_floor(kg_layers, concept):
    result, travel = concept
    fmap = maps.result_map(kg_layers, result.assignments, new_units=result.new_units, lang="en",
                           travel_model_label=travel)
    red = _red_new_units(fmap)
    below = result.new_units.loc[result.new_units["below_floor"].astype(bool), "new_unit_id"].astype(str)
    assert len(red) == result.kpis["below_floor_after_non_exempt"] > 0
    assert red == set(below)
    # a merged new unit still under the floor is among them (its status is "merged", not
    # "below_floor_no_partner": the old map left it in a figure colour)
    merged_below = red & set(result.new_units.loc[result.new_units["n_members"] > 1, "new_unit_id"].astype(str))
    assert merged_below and merged_below <= set(_fills(fmap, "Proposed new units"))
    # every exempt aiyl aimak in one colour, whatever its rule; as many as the key figure counts
    exempt = _layers(fmap)[i18n.t("category.exempt", "en")]["features"]
    assert len(exempt) == result.kpis["exempt_units"]
    assert {f["properties"]["style"]["fillColor"] for f in exempt} == {palette.CATEGORY_COLOURS["exempt"]}
    assert len({f["properties"]["rule"] for f in exempt}) > 1  # several rules, still one colour
    # merged new units keep the figure colours
    categories = new_unit_categories(result.assignments, result.new_units)
    figure = {uid: c for uid, c in _fills(fmap, "Proposed new units").items() if categories[uid] == "merged"}
    assert figure and set(figure.values()) <= set(palette.FIGURE)


@pytest.mark.kgdata
@pytest.mark.parametrize("lang", ["en", "ky"])
def test_kyrgyz_legend_gives_each_category_the_palette_colour(kg_layers, concept, lang):
    result, travel = concept
    fmap = maps.result_map(kg_layers, result.assignments, new_units=result.new_units, lang=lang,
                           travel_model_label=travel)
    entries = {label: sw for sw, label in _legend(fmap).entries}
    counts = category_counts(result.assignments, result.new_units)
    present = [c for c in CATEGORIES if counts[c]]
    assert len(present) == len(CATEGORIES)  # concept-2013 has units of every category
    for category in present:
        label = i18n.t(f"category.{category}", lang)
        assert f"background:{palette.CATEGORY_COLOURS[category]}" in entries[label], category
    # popups and tooltips name a new unit as the result view does, the id beside it
    names = new_unit_names(result.assignments, lang)
    new = {f["id"]: f["properties"] for f in _layers(fmap)[i18n.t("map.new_units", lang)]["features"]}
    assert {uid: html.unescape(p["tip"]) for uid, p in new.items()} == {uid: names[uid] for uid in new}
    members = _layers(fmap)[i18n.t("map.current_units", lang)]["features"]
    some = members[0]["properties"]
    uid = some["group"]
    assert f"{html.escape(names[uid])} ({uid})" in some["popup"]


@pytest.mark.kgdata
def test_kyrgyz_compare_maps_colour_the_same_new_unit_the_same_way(kg_layers, concept, lenient):
    (a, label_a), (b, label_b) = concept, lenient
    changed = compare_results(a, b).changed_units["unit_code"].astype(str)
    map_a, map_b = maps.compare_maps(kg_layers, a.assignments, b.assignments, changed, new_units_a=a.new_units,
                                     new_units_b=b.new_units, travel_model_labels=(label_a, label_b), lang="en")
    fills_a, fills_b = _fills(map_a, "Proposed new units"), _fills(map_b, "Proposed new units")
    cat_a = new_unit_categories(a.assignments, a.new_units)
    cat_b = new_unit_categories(b.assignments, b.new_units)

    def members(result) -> dict[frozenset[str], str]:
        return {frozenset(g["unit_code"].astype(str)): str(uid) for uid, g in result.assignments.groupby("new_unit_id")}

    in_a = members(a)
    same = {uid_b: in_a[m] for m, uid_b in members(b).items() if m in in_a and cat_b[uid_b] == "merged" == cat_a[in_a[m]]}
    assert len(same) >= 10
    assert {uid_b: fills_b[uid_b] for uid_b in same} == {uid_b: fills_a[uid_a] for uid_b, uid_a in same.items()}
    # each map on its own still tells touching new units apart (as drawn)
    for fmap in (map_a, map_b):
        drawn = {f["id"]: shapely.geometry.shape(f["geometry"]) for f in _layers(fmap)["Proposed new units"]["features"]}
        fills = _fills(fmap, "Proposed new units")
        figure = sorted(u for u in fills if fills[u] in palette.FIGURE)
        touching = [(x, y) for i, x in enumerate(figure) for y in figure[i + 1:] if drawn[x].intersects(drawn[y])]
        assert touching and all(fills[x] != fills[y] for x, y in touching)
    # what differs is marked on both maps, with its legend entry
    label = i18n.t("map.differs", "en")
    for fmap in (map_a, map_b):
        assert _layers(fmap)[label]["features"]
        assert any(lab == label and palette.LINES["differs"] in sw for sw, lab in _legend(fmap).entries)
    outlined = pd.Series(changed).map(a.assignments.set_index("unit_code")["new_unit_id"]).nunique()
    assert len(_layers(map_a)[label]["features"]) == outlined  # one outline per new unit of A holding them


def test_plan_map_outlines_violations_with_a_legend_entry():
    grid = make_grid_dataset()
    layers = maps.display_layers(grid, elevation=None)
    units = grid.units.reset_index(drop=True)
    plan = pd.DataFrame({"unit_code": units["unit_code"], "new_unit_id": units["raion_code"],
                         "centre_code": units.groupby("raion_code")["unit_code"].transform("first"), "status": "merged"})
    fmap = maps.result_map(layers, plan, lang="ru", violations=["GRID-00", "GRID-03", "NOT-A-UNIT"])
    drawn = _layers(fmap)[i18n.t("plan.violations", "ru")]["features"]
    assert sorted(f["id"] for f in drawn) == ["GRID-00", "GRID-03"]
    assert {f["properties"]["style"]["color"] for f in drawn} == {palette.LINES["violation"]}
    assert any(lab == i18n.t("map.violation", "ru") and palette.LINES["violation"] in sw for sw, lab in _legend(fmap).entries)
    # no violation, no entry
    clean = maps.result_map(layers, plan, lang="ru")
    assert all(lab != i18n.t("map.violation", "ru") for _sw, lab in _legend(clean).entries)


def test_grid_compare_keeps_the_colour_of_a_new_unit_both_plans_share():
    grid = make_grid_dataset()
    layers = maps.display_layers(grid, elevation=None)
    codes = list(grid.units["unit_code"])

    def plan(groups: list[list[int]]) -> pd.DataFrame:
        rows = [{"unit_code": codes[i], "new_unit_id": f"N{g[0]:02d}", "centre_code": codes[g[0]],
                 "status": "merged" if len(g) > 1 else "kept"} for g in groups for i in g]
        return pd.DataFrame(rows)

    a = plan([[0, 1], [2, 3], [4, 5], [6, 7], [8, 9], [10, 11]])
    b = plan([[0, 1, 2], [3], [4, 5], [6, 7], [8, 9, 10], [11]])  # N04 and N06 shared
    colours_a, colours_b = maps.paired_colours(layers, a, b)
    assert colours_b["N04"] == colours_a["N04"] and colours_b["N06"] == colours_a["N06"]
    map_a, map_b = maps.compare_maps(layers, a, b, [codes[i] for i in (0, 1, 2, 3, 8, 9, 10, 11)], lang="en")
    assert _fills(map_b, "Proposed new units") == {uid: colours_b[uid] for uid in ("N00", "N04", "N06", "N08")}


def test_a_unit_named_like_a_script_is_text_in_every_tooltip_and_popup():
    grid = make_grid_dataset()
    units = grid.units.copy()
    for column in ("name_en", "name_ru", "name_ky"):
        if column in units:
            units.loc[units.index[0], column] = SCRIPT_NAME
    layers = maps.display_layers(grid.replace(units=units), elevation=None)
    codes = list(units["unit_code"])
    plan = pd.DataFrame({"unit_code": codes, "new_unit_id": ["N0"] * 2 + [f"S{i}" for i in range(2, len(codes))],
                         "centre_code": [codes[0]] * 2 + codes[2:], "status": ["centre", "merged"] + ["kept"] * (len(codes) - 2)})
    other = plan.assign(new_unit_id=[f"S{i}" for i in range(len(codes))], centre_code=codes, status="kept")
    for lang in ("en", "ru"):
        for fmap in (maps.dataset_map(layers, lang=lang), maps.result_map(layers, plan, lang=lang),
                     maps.diff_map(layers, plan, other, codes[:2], lang=lang),
                     *maps.compare_maps(layers, plan, other, codes[:2], lang=lang)):
            shown = [str(value) for data in _layers(fmap).values() for f in data["features"]
                     for key, value in f["properties"].items() if key in ("tip", "popup", "passport")]
            assert not any(SCRIPT_NAME in value for value in shown)
            assert any(html.escape(SCRIPT_NAME) in value for value in shown)
            assert SCRIPT_NAME not in _legend(fmap).html


@pytest.fixture(scope="module")
def demo_robustness(tmp_path_factory):
    """A robustness package of the demo scenario (a few draws, in this process)."""
    from atr_model.scenarios import apply_overrides
    from atr_model.scenarios.robustness import run_robustness, write_robustness

    scenario = apply_overrides(load_scenario(ROOT / "scenarios" / "demo.yaml"),
                               **{"uncertainty.population.log_sd.census": 0.3, "uncertainty.travel.roads_log_sd": 0.1})
    return write_robustness(run_robustness(scenario, draws=4, seed=3), tmp_path_factory.mktemp("robust") / "pkg")


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_robustness_map_paints_kept_units_by_category_and_mergers_by_stability(demo_dataset, demo_robustness, lang):
    from atr_model.presentation.app.robustness_view import stability_colour, stability_map
    from atr_model.scenarios import read_result, unit_categories

    nominal = read_result(demo_robustness / "nominal")
    fmap = stability_map(demo_robustness, maps.display_layers(demo_dataset), lang)
    categories = unit_categories(nominal.assignments, nominal.new_units)
    sizes = nominal.assignments.groupby("new_unit_id").size()
    kept = {str(c) for c, uid in zip(nominal.assignments["unit_code"], nominal.assignments["new_unit_id"]) if sizes[uid] == 1}
    painted = {}
    for name in (i18n.t("map.unchanged", lang), i18n.t("category.exempt", lang)):
        painted.update(_fills(fmap, name) if name in _layers(fmap) else {})
    assert set(painted) == kept and kept
    assert painted == {code: palette.CATEGORY_COLOURS[categories.at[code, "category"]] for code in kept}
    assert not set(painted.values()) & set(palette.STABILITY)  # a unit kept as it is is no "stable merger"
    stability = pd.read_csv(demo_robustness / "new_unit_stability.csv", dtype={"new_unit_id": str})
    share = dict(zip(stability["new_unit_id"], stability["share_exact"]))
    mergers = _fills(fmap, i18n.t("map.new_units", lang))
    assert set(mergers) == {str(uid) for uid in sizes.index[sizes > 1]}
    assert mergers == {uid: stability_colour(share.get(uid, 0.0)) for uid in mergers}
    # the legend: what the mergers' colours mean, then the categories of the units kept as they are
    labels = [label for _sw, label in _legend(fmap).entries]
    assert labels[0] == i18n.t("robustness.map_legend", lang)
    assert {i18n.t(f"category.{c}", lang) for c in categories.loc[sorted(kept), "category"]} <= set(labels)


def test_dataset_map_paints_towns_in_the_town_colour(demo_dataset):
    from atr_model.scenarios import town_mask

    fmap = maps.dataset_map(maps.display_layers(demo_dataset), lang="ky")
    fills = _fills(fmap, i18n.t("map.current_units", "ky"))
    towns = set(demo_dataset.units.loc[town_mask(demo_dataset.units), "unit_code"].astype(str))
    assert towns and {code for code, colour in fills.items() if colour == palette.CATEGORY_COLOURS["town"]} == towns
    entries = {label: sw for sw, label in _legend(fmap).entries}
    assert f"background:{palette.CATEGORY_COLOURS['town']}" in entries[i18n.t("category.town", "ky")]
