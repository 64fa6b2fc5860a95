"""Maps of a dataset, a result and a comparison (folium), and the app's labels (i18n)."""

from __future__ import annotations

import json
import re

import folium
import folium.plugins
import numpy as np
import pandas as pd
import pytest
from app_grid import make_grid_dataset

from atr_model.presentation import i18n, maps
from atr_model.presentation.maps import elements, palette


@pytest.fixture(scope="module")
def grid():
    return make_grid_dataset()


@pytest.fixture(scope="module")
def layers(grid):
    return maps.display_layers(grid)


@pytest.fixture(scope="module")
def demo_layers(demo_dataset):
    return maps.display_layers(demo_dataset)


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
    return {c.layer_name: c.data for c in fmap._children.values() if isinstance(c, folium.GeoJson) and c.control}


def _elements(fmap, kind) -> list:
    return [c for c in fmap._children.values() if isinstance(c, kind)]


def _external_urls(page: str) -> list[str]:
    """Every <script src> and <link href> of a page that is not inlined or local."""
    urls = re.findall(r"<script[^>]*\bsrc=[\"']([^\"']+)", page) + re.findall(r"<link[^>]*\bhref=[\"']([^\"']+)", page)
    return [u for u in urls if not u.startswith("data:")]


def test_display_layers_simplify_without_touching_the_dataset(grid, layers):
    before = grid.units.geometry.copy()
    fresh = maps.display_layers(grid, tolerance_m=50, elevation=None)
    assert grid.units.geometry.geom_equals(before).all()
    assert list(fresh.units.index) == list(grid.units["unit_code"])
    assert fresh.units.is_valid.all()
    # Shared-edge simplification keeps the coverage: the dissolved units still make one polygon.
    assert fresh.units.union_all().geom_type == "Polygon"
    assert fresh.hillshade is None  # elevation=None: no relief


def test_dataset_map_sends_units_outlines_and_settlements(layers):
    fmap = maps.dataset_map(layers, lang="ru")
    counts = maps.map_feature_counts(fmap)
    assert counts == {"Текущие единицы": 12, "Районы": 2, "Области": 1, "Населённые пункты": 24}
    legend = _elements(fmap, elements.Legend)[0]
    assert "Условные обозначения" in legend.html  # legend in the chosen language
    page = fmap.get_root().render()
    assert _external_urls(page) == []
    assert "L.control.layers" in page


def test_dataset_map_marks_the_area_of_approximate_territories(grid):
    units = grid.units.copy()
    units.loc[units.index[0], "geometry_source"] = "approximate: Voronoi cells of located settlements"
    fmap = maps.dataset_map(maps.display_layers(grid.replace(units=units), elevation=None), lang="en")
    feats = {f["id"]: f["properties"]["popup"] for f in _geojson_layers(fmap)["Current units"]["features"]}
    first, second = units["unit_code"].iloc[0], units["unit_code"].iloc[1]
    area_row = re.compile(r"Area \(km²\)</th><td>([^<]*)</td>")
    assert "(estimate)" in area_row.search(feats[first]).group(1)
    assert "(estimate)" not in area_row.search(feats[second]).group(1)


def test_every_map_inlines_leaflet_and_asks_nothing_from_the_internet(grid, layers):
    assign = _assignments(grid)
    for fmap in (
        maps.dataset_map(layers),
        maps.result_map(layers, assign),
        maps.diff_map(layers, assign, _assignments(grid, pairs=1), ["GRID-00"]),
    ):
        js, css = maps.asset_urls(fmap)
        assert js == [maps.leaflet_js()] and css == [maps.leaflet_css()]
        page = fmap.get_root().render()
        assert _external_urls(page) == []
        assert "cdn." not in page and "cdnjs" not in page
        # Leaflet's images (layer control icon) are inside the CSS, so nothing 404s.
        assert "images/layers.png" not in maps.leaflet_css()


def test_inline_assets_vendors_leaflet_sync_and_refuses_unknown_plugins(layers):
    dual = folium.plugins.DualMap(location=[41.0, 74.0], tiles=None)
    maps.inline_assets(dual)
    js, _css = maps.asset_urls(dual)
    assert all(u.startswith("data:text/javascript") for u in js) and len(js) == 2  # Leaflet + Leaflet.Sync
    page = dual.get_root().render()
    assert _external_urls(page) == []
    fmap = maps.base_map(layers)
    folium.plugins.Fullscreen().add_to(fmap)
    with pytest.raises(ValueError, match=r"Fullscreen needs 'Control.Fullscreen\.js'.*not vendored"):
        maps.inline_assets(fmap)


def test_basemap_is_the_offline_hillshade_unless_osm_is_asked(demo_layers):
    assert demo_layers.hillshade is not None
    assert demo_layers.hillshade.url.startswith("data:image/png;base64,")
    page = maps.dataset_map(demo_layers).get_root().render()
    assert "L.imageOverlay" in page and demo_layers.hillshade.url[:200] in page
    compact = page.replace("\n", "").replace(" ", "")
    assert 'createPane(\n                "hillshade")' in page or 'createPane("hillshade")' in compact
    assert "tile.openstreetmap.org" not in page
    osm = maps.dataset_map(demo_layers, basemap="osm").get_root().render()
    assert "tile.openstreetmap.org" in osm and "L.imageOverlay" not in osm
    with pytest.raises(ValueError, match=r"basemap must be one of .*got 'satellite'"):
        maps.base_map(demo_layers, basemap="satellite")


def test_hillshade_is_flat_one_and_darker_on_slopes_facing_away():
    # A plane rising to the east faces west, towards the light from the north-west: brighter
    # than flat land; the mirror plane (rising to the west) faces east, away from it: darker.
    x = np.arange(50, dtype=float)
    east_up = np.tile(x * 50.0, (20, 1))
    flat = np.zeros((20, 50))
    assert np.allclose(maps.hillshade_array(flat, 100.0, 100.0), 1.0)
    facing_light = maps.hillshade_array(east_up, 100.0, 100.0)
    facing_away = maps.hillshade_array(east_up[:, ::-1], 100.0, 100.0)
    assert (facing_away < 0.95).all() and (facing_light > 1.05).all()


def test_demo_hillshade_comes_from_the_demo_dem_and_covers_the_units(demo_dataset, demo_layers):
    (south, west), (north, east) = demo_layers.hillshade.bounds
    minx, miny, maxx, maxy = demo_dataset.units.total_bounds
    assert west <= minx and east >= maxx and south <= miny and north >= maxy
    again = maps.display_layers(demo_dataset)
    assert again.hillshade is demo_layers.hillshade  # cached per build


def test_maps_have_a_metric_scale_only(layers):
    page = maps.dataset_map(layers).get_root().render()
    assert "imperial: false" in page and "L.control.scale({metric: true" in page
    assert "control_scale" not in page and page.count("L.control.scale(") == 1


def test_result_map_dissolves_new_units_and_marks_estimates(grid, layers):
    assign = _assignments(grid)
    fmap = maps.result_map(layers, assign, lang="en", travel_model_label="modelled: no road data")
    data = _geojson_layers(fmap)
    new = data["Proposed new units"]["features"]
    assert sorted(f["id"] for f in new) == sorted(assign["new_unit_id"].unique())
    colours = {f["id"]: f["properties"]["fill"] for f in new}
    assert colours["G-01-N0"] != colours["G-01-N2"]  # touching new units get different colours
    assert set(colours.values()) <= set(palette.FIGURE)
    units = {f["id"]: f["properties"] for f in data["Current units"]["features"]}
    est_code = grid.units.loc[grid.units["population_is_estimate"], "unit_code"].iloc[0]
    assert "(estimate)" in units[est_code]["popup"] and "≈" in units[est_code]["popup"]
    real_code = grid.units.loc[~grid.units["population_is_estimate"], "unit_code"].iloc[0]
    assert "reason" in units[real_code]["popup"]
    # a modelled travel network: the travel time in the unit popup is an estimate
    travel = re.search(re.escape(i18n.t("field.travel_max", "en")) + r"</th><td>([^<]*)</td>", units[real_code]["popup"])
    assert travel and "(estimate)" in travel.group(1)
    assert len(data["Centres"]["features"]) == len(new)


def test_result_map_popups_label_road_times_as_measured(grid, layers):
    fmap = maps.result_map(layers, _assignments(grid), lang="en", travel_model_label="roads: demo.osm")
    units = _geojson_layers(fmap)["Current units"]["features"]
    travel = re.search(re.escape(i18n.t("field.travel_max", "en")) + r"</th><td>([^<]*)</td>", units[0]["properties"]["popup"])
    assert travel and "(estimate)" not in travel.group(1)


def test_new_units_are_named_after_their_centre(grid, layers):
    assign = _assignments(grid, pairs=3)
    names = maps.unit_names(layers, "en")
    fmap = maps.result_map(layers, assign, lang="en")
    new = {f["id"]: f["properties"] for f in _geojson_layers(fmap)["Proposed new units"]["features"]}
    sizes = assign.groupby("new_unit_id").size()
    centres = assign.groupby("new_unit_id")["centre_code"].first()
    for uid, props in new.items():
        assert props["tip"] == f"{names[centres[uid]]} + {sizes[uid] - 1}"
    labels = [lab for z in _elements(fmap, elements.ZoomLabels) if z.css_class == "new-unit" for lab in z.data]
    assert sorted(lab[2] for lab in labels) == sorted(p["tip"] for p in new.values())
    assert all(lab[3] >= 7.0 for lab in labels)  # no new-unit name at national zoom unless it fits


def test_result_map_layers_are_figure_and_ground(grid, layers):
    assign = _assignments(grid)
    # Units 8 and 9 stay alone, exempt by different rules; unit 10 stays alone below the floor;
    # unit 11 is a town kept as it is.
    for i, status in ((8, "kept_exempt"), (9, "kept_exempt"), (10, "below_floor_no_partner"), (11, "kept")):
        assign.loc[i, ["new_unit_id", "centre_code", "status"]] = [f"SOLO-{i}", assign.loc[i, "unit_code"], status]
    assign["exempt_rules"] = ""
    assign.loc[8, "exempt_rules"], assign.loc[9, "exempt_rules"] = "border", "town;high_mountain"
    assign["level"] = "aiyl_aimak"
    assign.loc[11, "level"] = "town"
    fmap = maps.result_map(layers, assign, lang="en")
    data = _geojson_layers(fmap)
    code = assign["unit_code"]
    ground = {f["id"]: f["properties"]["style"]["fillColor"] for f in data["Unit kept as it is"]["features"]}
    exempt = {f["id"]: f["properties"] for f in data[i18n.t("category.exempt", "en")]["features"]}
    assert ground == {code[10]: palette.CATEGORY_COLOURS["below_floor"], code[11]: palette.CATEGORY_COLOURS["town"]}
    # one colour for every exemption rule; the rule is in the tooltip and the popup
    assert {p["style"]["fillColor"] for p in exempt.values()} == {palette.CATEGORY_COLOURS["exempt"]}
    assert {k: p["rule"] for k, p in exempt.items()} == {code[8]: "border", code[9]: "high_mountain"}
    assert i18n.t("map.rule.high_mountain", "en") in exempt[code[9]]["tip"]
    assert i18n.t("map.rule.border", "en") in exempt[code[8]]["popup"]
    members = data["Current units"]["features"]
    assert all(f["properties"]["style"]["fillOpacity"] == 0.0 for f in members)  # internal borders only
    assert {f["properties"]["group"] for f in members} == set(assign["new_unit_id"]) - {f"SOLO-{i}" for i in range(8, 12)}
    assert "SOLO-10" not in {f["id"] for f in data["Proposed new units"]["features"]}
    hover = _elements(fmap, elements.HoverGroups)
    assert len(hover) == 1 and hover[0].key == "group"
    # the legend names each category the map paints, in its colour, and no other
    legend = _elements(fmap, elements.Legend)[0]
    labels = {label: sw for sw, label in legend.entries}
    for category in ("merged", "below_floor", "exempt", "town"):
        assert f"background:{palette.CATEGORY_COLOURS[category]}" in labels[i18n.t(f"category.{category}", "en")]
    assert i18n.t("category.kept", "en") not in labels  # no unit meets the floor alone here


def test_result_map_is_deterministic(grid, layers):
    assign = _assignments(grid)
    first = json.dumps(_geojson_layers(maps.result_map(layers, assign)), sort_keys=True)
    second = json.dumps(_geojson_layers(maps.result_map(layers, assign)), sort_keys=True)
    assert first == second


def test_new_unit_popup_marks_modelled_travel_and_approximate_area(grid):
    units = grid.units.copy()
    units["geometry_source"] = "approximate: Voronoi cells"
    lay = maps.display_layers(grid.replace(units=units), elevation=None)
    passports = pd.DataFrame({
        "new_unit_id": ["G-01-N0"], "centre_code": ["GRID-00"], "members": ["GRID-00;GRID-01"], "n_members": [2],
        "population": [5000.0], "population_has_estimates": [False], "area_km2": [210.5],
        "travel_time_mean_min": [12.0], "travel_time_max_min": [20.0],
    })
    fmap = maps.result_map(lay, _assignments(grid), new_units=passports, lang="en", travel_model_label="modelled: no road data")
    features = _geojson_layers(fmap)["Proposed new units"]["features"]
    popup = next(f for f in features if f["id"] == "G-01-N0")["properties"]["popup"]
    for field in ("field.area", "field.travel_mean", "field.travel_max"):
        label = i18n.t(field, "en")
        value = re.search(re.escape(label) + r"</th><td>([^<]*)</td>", popup)
        assert value and "(estimate)" in value.group(1), field
    assert "Population</th><td>5,000</td>" in popup  # a counted population stays unmarked


def test_diff_map_highlights_only_differing_units(grid, layers):
    a = _assignments(grid, pairs=2)
    b = _assignments(grid, pairs=1)
    fmap = maps.diff_map(layers, a, b, ["GRID-00", "GRID-01"])
    feats = _geojson_layers(fmap)["Units that differ"]["features"]
    assert {f["id"] for f in feats if f["properties"]["changed"]} == {"GRID-00", "GRID-01"}
    assert {f["properties"]["style"]["fillColor"] for f in feats if f["properties"]["changed"]} == {palette.GROUND["changed"]}
    # outlined as on the Compare maps: one outline per new unit of B holding them (GRID-00, GRID-01 alone in B)
    outlines = _geojson_layers(fmap)[i18n.t("map.differs", "en")]["features"]
    assert sorted(f["id"] for f in outlines) == ["G-01-N0", "G-01-N1"]
    assert {f["properties"]["style"]["color"] for f in outlines} == {palette.LINES["differs"]}
    names = maps.unit_names(layers, "en")
    popup = next(f for f in feats if f["id"] == "GRID-01")["properties"]["popup"]
    assert f"{names['GRID-00']} + 1 (G-01-N0)" in popup  # scenario A: GRID-01 joins GRID-00's unit
    assert f"{names['GRID-01']} (G-01-N1)</td>" in popup  # scenario B: GRID-01 alone, its own name


def test_zoom_labels_appear_where_they_fit():
    # A 1-degree-wide unit fits a 10-letter name from zoom ~6.5; a 0.05-degree one only from ~11.
    wide = elements.label_min_zoom(1.0, 0.5, "Ak-Bulun+3", lat=41.0, floor=0.0)
    narrow = elements.label_min_zoom(0.05, 0.05, "Ak-Bulun+3", lat=41.0, floor=0.0)
    assert 6.0 <= wide <= 7.0 and 10.5 <= narrow <= 11.5
    assert elements.label_min_zoom(1.0, 0.5, "X", lat=41.0, floor=7.0) == 7.0


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
    fmap = maps.result_map(layers, _assignments(grid), links=links)
    feats = _geojson_layers(fmap)["Links between units"]["features"]
    assert {f["id"]: f["properties"]["barrier"] for f in feats} == {"GRID-00|GRID-01": False, "GRID-01|GRID-02": True}
    assert "across a barrier" in fmap.get_root().render()


def test_exempt_units_have_one_colour_far_from_the_new_units():
    exempt = palette.CATEGORY_COLOURS["exempt"]
    assert exempt == palette.GROUND["exempt"] and exempt not in palette.FIGURE


def test_app_rendering_keeps_the_map_offline_and_its_scripts_whole(grid, demo_layers, demo_dataset):
    """What the Streamlit component receives: inlined assets only, and every script piece."""
    from atr_model.presentation.app.folium_view import render_map

    units = demo_dataset.units.reset_index(drop=True)
    assign = pd.DataFrame({
        "unit_code": units["unit_code"], "new_unit_id": units["raion_code"], "status": "merged",
        "centre_code": units.groupby("raion_code")["unit_code"].transform("first"), "reason": "",
        "population": units["population"], "population_is_estimate": units["population_is_estimate"],
    })
    rendered = render_map(maps.result_map(demo_layers, assign, lang="en"))
    assert all(u.startswith("data:") for u in (*rendered.js_links, *rendered.css_links))
    assert rendered.js_links == (maps.leaflet_js(),)
    for piece in ("L.imageOverlay", "createPane", "imperial: false", "atr-legend", "atr-label"):
        assert piece in rendered.script, piece
    assert "leaflet-hillshade-pane" in rendered.header  # the style sheet travels in the header
    # the hover script names the same layer variables the layers are declared with
    hover = rendered.script[rendered.script.index("var groups = "):]
    name = re.match(r"var groups = (\w+);", hover).group(1)
    assert f"var {name} = L.geoJson(" in rendered.script


def test_hillshade_is_kept_in_the_cache_folder_for_the_next_process(tmp_path, monkeypatch):
    import rasterio
    from affine import Affine

    from atr_model.presentation.maps import basemap

    monkeypatch.setenv("ATR_CACHE_DIR", str(tmp_path / "cache"))
    grid = np.add.outer(np.linspace(0, 800, 60), np.linspace(0, 1500, 80)).astype("float32")
    path = tmp_path / "dem.tif"
    with rasterio.open(path, "w", driver="GTiff", width=80, height=60, count=1, dtype="float32",
                       crs="EPSG:4326", transform=Affine(0.01, 0, 74.0, 0, -0.01, 42.0)) as dst:
        dst.write(grid, 1)
    first = maps.hillshade_image(path, key="build-x")
    folders = list((tmp_path / "cache" / "display").glob("hillshade-*"))
    assert len(folders) == 1 and (folders[0] / "hillshade.png").stat().st_size > 0
    basemap._cache.clear()  # a new process: memory is empty, the folder is not
    monkeypatch.setattr(basemap, "_draw", lambda *a, **k: pytest.fail("redrawn although cached"))
    again = maps.hillshade_image(path, key="build-x")
    assert again == first
    (south, west), (north, east) = first.bounds
    assert west == pytest.approx(74.0, abs=1e-6) and north == pytest.approx(42.0, abs=1e-3)
    with pytest.raises(ValueError, match=r"missing\.tif: elevation raster not found"):
        maps.hillshade_image(tmp_path / "missing.tif")


def test_side_by_side_syncs_two_result_maps_offline(grid, layers):
    left = maps.result_map(layers, _assignments(grid, pairs=2), lang="en")
    right = maps.result_map(layers, _assignments(grid, pairs=1), lang="en")
    dual = maps.side_by_side(left, right)
    assert dual.m1 is left and dual.m2 is right
    page = dual.get_root().render()
    assert _external_urls(page) == []
    assert f"{left.get_name()}.sync({right.get_name()})" in page and f"{right.get_name()}.sync({left.get_name()})" in page
    assert "leaflet-hillshade-pane" in page  # the style sheet (multiply blend, labels) is in the new page
    js, _css = maps.asset_urls(dual)
    assert len(js) == 2 and all(u.startswith("data:text/javascript") for u in js)
    with pytest.raises(ValueError, match="two different maps"):
        maps.side_by_side(left, left)


def test_app_renders_side_by_side_maps_for_the_component(grid, layers):
    from atr_model.presentation.app.folium_view import render_map

    dual = maps.side_by_side(maps.result_map(layers, _assignments(grid, pairs=2)),
                             maps.result_map(layers, _assignments(grid, pairs=1)))
    rendered = render_map(dual)
    assert rendered.js_links[0] == maps.leaflet_js() and len(rendered.js_links) == 2  # Leaflet, then Leaflet.Sync
    assert "map_div2" in rendered.script and "map_div.sync(map_div2)" in rendered.script
    assert all(f'"{uid}"' in rendered.script for uid in _assignments(grid, pairs=2)["new_unit_id"])  # full data


def test_base_map_alone_is_already_offline(layers):
    """Views that add their own layers to base_map (e.g. the robustness map) stay offline."""
    fmap = maps.base_map(layers)
    folium.GeoJson({"type": "FeatureCollection", "features": []}, name="own layer").add_to(fmap)
    assert _external_urls(fmap.get_root().render()) == []


def test_rendered_map_carries_each_layer_whole_as_compact_json(grid, layers):
    """The data sent to the browser: every feature of every layer, without JSON padding or
    ``\\u003c`` escapes, and no ``</`` that would end a script element."""
    from atr_model.presentation.app.folium_view import render_map

    fmap = maps.result_map(layers, _assignments(grid), lang="ru")
    counts = {name: len(data["features"]) for name, data in _geojson_layers(fmap).items()}
    rendered = render_map(fmap)
    calls = re.findall(r"(\w+)_add\((\{.*\})\);\n", rendered.script)
    assert calls and "atrLayerSlot" not in rendered.script
    sent = [json.loads(payload.replace("<\\/", "</")) for _, payload in calls]
    assert sorted(len(d["features"]) for d in sent if d["features"]) == sorted(
        [n for n in counts.values() if n] + [len(layers.country)]
    )
    payloads = "".join(payload for _, payload in calls)
    assert "\\u003c" not in payloads and "</" not in payloads and '", "' not in payloads  # compact, script-safe
    assert any(ch in rendered.script for ch in "абвгдеж")  # Russian labels travel as UTF-8, not \\u escapes
    # the popup HTML survives the round trip
    assert any("<table class='atr-pop'>" in str(d) for d in sent)


def test_stored_layers_and_render_are_reused_by_the_next_process(grid, tmp_path, monkeypatch):
    """A fresh server reads the display layers and the first map from the cache folder."""
    from atr_model.presentation.app import folium_view
    from atr_model.presentation.maps import display

    first = display.stored_display_layers(grid, cache_dir=tmp_path)
    assert list((tmp_path / "display").glob("layers-*.pickle"))

    def no_preparation(*args, **kwargs):
        raise AssertionError("prepared again instead of reading the cache folder")

    monkeypatch.setattr(display, "display_layers", no_preparation)
    again = display.stored_display_layers(grid, cache_dir=tmp_path)
    assert again.build_id == first.build_id and again.units.equals(first.units)
    built = []
    key = ["dataset_map", grid.build_id, "en", 1000.0]
    rendered = folium_view.stored_render(key, lambda: built.append(1) or maps.dataset_map(first), cache_dir=tmp_path)
    reread = folium_view.stored_render(key, no_preparation, cache_dir=tmp_path)
    assert built == [1] and reread == rendered
    # another language is another map
    other = folium_view.stored_render([*key[:2], "ky", 1000.0], lambda: maps.dataset_map(first, lang="ky"), cache_dir=tmp_path)
    assert other.script != rendered.script


def test_view_bounds_is_the_users_view_or_none_for_the_drawn_extent(grid, layers):
    """The PNG follows the map's view once the user moved it; before, the whole territory."""
    from atr_model.presentation.app.folium_view import render_map, show_map_default_bounds
    from atr_model.presentation.app.mapping import view_bounds

    rendered = render_map(maps.dataset_map(layers))
    untouched = {"bounds": show_map_default_bounds(rendered)}
    assert view_bounds(untouched, rendered) is None
    (south, west), (north, east) = rendered.bounds
    assert view_bounds(untouched) == ((round(south, 4), round(west, 4)), (round(north, 4), round(east, 4)))
    moved = {"bounds": {"_southWest": {"lat": 41.123456, "lng": 72.5}, "_northEast": {"lat": 41.5, "lng": 73.000049}}}
    assert view_bounds(moved, rendered) == ((41.1235, 72.5), (41.5, 73.0))
    assert view_bounds({}, rendered) is None and view_bounds({"bounds": {"_southWest": {"lat": None}}}) is None
