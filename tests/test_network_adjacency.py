"""Unit adjacency: shared boundaries, approximate territories, islands, enclaves, user edits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely

from atr_model.data.borders import MIN_SHARED_BORDER_M
from atr_model.data.demo import DEMO_SINGLE_VILLAGE_UNIT
from atr_model.errors import NetworkError
from atr_model.network import TravelSettings, build_travel_model


@pytest.fixture(scope="module")
def flat(demo_dataset):
    return build_travel_model(demo_dataset)


def _pairs(tm) -> set[tuple[str, str]]:
    return set(zip(tm.adjacency["unit_a"], tm.adjacency["unit_b"]))


def test_shared_boundaries_match_geometry(flat, demo_dataset) -> None:
    adj = flat.adjacency
    assert list(adj.columns[:5]) == ["unit_a", "unit_b", "kind", "barrier", "shared_boundary_km"]
    assert (adj["unit_a"] < adj["unit_b"]).all()
    assert not adj.duplicated(["unit_a", "unit_b"]).any()
    geoms = demo_dataset.units.set_index("unit_code").geometry
    for a, b, km, border_m in adj[["unit_a", "unit_b", "shared_boundary_km", "shared_border_m"]].itertuples(index=False):
        assert geoms[a].buffer(1e-5).intersects(geoms[b])
        assert km > 0.1
        assert border_m >= MIN_SHARED_BORDER_M and border_m == pytest.approx(km * 1000.0, abs=1.0)
    # Every pair of polygons sharing a real border (not just a corner) is listed.
    codes = list(geoms.index)
    for i, a in enumerate(codes):
        for b in codes[i + 1 :]:
            border = geoms[a].intersection(geoms[b])
            if border.length > 0.01:  # about 1 km in degrees
                assert (a, b) in _pairs(flat)
    assert flat.islands == [] and flat.enclaves == []
    assert flat.adjacency["kind"].eq("shared_boundary").all()  # modelled links add no pairs


def test_approximate_territories_need_a_travel_link(demo_dataset) -> None:
    units = demo_dataset.units.copy()
    units["geometry_source"] = "approximate: test"
    ds = demo_dataset.replace(units=units)
    strict = build_travel_model(ds, settings=TravelSettings(approximate_link_max_min=30.0))
    loose = build_travel_model(ds)
    assert _pairs(strict) < _pairs(loose)
    sct = strict.settlement_centre_times
    best = sct.groupby(["unit_code", "centre_unit_code"])["travel_time_min"].min()
    for a, b, kind in strict.adjacency[["unit_a", "unit_b", "kind"]].itertuples(index=False):
        if kind == "shared_boundary":
            assert min(best.get((a, b), np.inf), best.get((b, a), np.inf)) <= 30.0


def test_terrain_cost_territories_need_no_travel_link(demo_dataset) -> None:
    from atr_model.data import TERRAIN_COST_SOURCE

    units = demo_dataset.units.copy()
    units["geometry_source"] = TERRAIN_COST_SOURCE
    ds = demo_dataset.replace(units=units)
    strict = build_travel_model(ds, settings=TravelSettings(approximate_link_max_min=30.0))
    voronoi = build_travel_model(ds.replace(units=units.assign(geometry_source="approximate: test")),
                                 settings=TravelSettings(approximate_link_max_min=30.0))
    # the travel-link filter drops pairs of straight-line cells, never of terrain-cost territories
    assert _pairs(voronoi) < _pairs(strict) == _pairs(build_travel_model(demo_dataset))


def test_island_is_joined_to_fastest_neighbour_and_listed(demo_dataset) -> None:
    units = demo_dataset.units.copy()
    idx = units.index[units["unit_code"] == DEMO_SINGLE_VILLAGE_UNIT][0]
    centre = shapely.Point(units.loc[idx, "centre_lon"], units.loc[idx, "centre_lat"])
    units.loc[idx, "geometry"] = centre.buffer(0.01)  # a detached patch: no shared border
    tm = build_travel_model(demo_dataset.replace(units=units))
    assert tm.islands == [DEMO_SINGLE_VILLAGE_UNIT]
    rows = tm.adjacency[(tm.adjacency["unit_a"] == DEMO_SINGLE_VILLAGE_UNIT)
                        | (tm.adjacency["unit_b"] == DEMO_SINGLE_VILLAGE_UNIT)]
    assert len(rows) == 1 and rows["note"].iloc[0].startswith("island:")
    other = (set(rows[["unit_a", "unit_b"]].iloc[0]) - {DEMO_SINGLE_VILLAGE_UNIT}).pop()
    sct = tm.settlement_centre_times
    mine = sct[(sct["unit_code"] == DEMO_SINGLE_VILLAGE_UNIT) & (sct["centre_unit_code"] != DEMO_SINGLE_VILLAGE_UNIT)]
    assert mine.sort_values("travel_time_min")["centre_unit_code"].iloc[0] == other


def test_user_edits(tmp_path: Path, demo_dataset, flat) -> None:
    target = DEMO_SINGLE_VILLAGE_UNIT
    mine = sorted((a, b) for a, b in _pairs(flat) if target in (a, b))
    far = "DEMO-02-01-002"
    lines = ["unit_a,unit_b,action", f"{mine[0][1]},{mine[0][0]},remove", f"{far},{target},add"]
    path = tmp_path / "edits.csv"
    path.write_text("\n".join(lines) + "\n")
    tm = build_travel_model(demo_dataset, adjacency_edits=path)
    pairs = _pairs(tm)
    assert mine[0] not in pairs and set(mine[1:]) <= pairs
    row = tm.adjacency[(tm.adjacency["unit_a"] == min(far, target)) & (tm.adjacency["unit_b"] == max(far, target))]
    assert row["kind"].tolist() == ["user"]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("a,b\nx,y\n", "missing column"),
        ("unit_a,unit_b,action\nDEMO-01-01-002,NOPE,add\n", "row 2: unknown unit 'NOPE'"),
        ("unit_a,unit_b,action\nDEMO-01-01-002,DEMO-01-01-003,merge\n", "row 2: action 'merge'"),
        ("unit_a,unit_b,action\nDEMO-01-01-002,DEMO-01-01-002,add\n", "paired with itself"),
    ],
)
def test_bad_edit_files(tmp_path: Path, demo_dataset, text: str, match: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(NetworkError, match=f"bad.csv: .*{match}|bad.csv: {match}"):
        build_travel_model(demo_dataset, adjacency_edits=path)


def test_enclave_is_listed(demo_dataset) -> None:
    units = demo_dataset.units.copy()
    idx = units.index[units["unit_code"] == "DEMO-01-01-003"][0]
    host = units.index[units["unit_code"] == "DEMO-01-01-004"][0]
    inner = units.geometry[host].centroid.buffer(0.02)
    assert units.geometry[host].contains(inner)
    units.loc[idx, "geometry"] = inner
    units.loc[host, "geometry"] = shapely.difference(units.geometry[host], inner)
    tm = build_travel_model(demo_dataset.replace(units=units))
    assert "DEMO-01-01-003" in tm.enclaves
    assert tm.summary()["enclaves"] == tm.enclaves


def test_border_wholly_above_a_blocked_pass_does_not_count() -> None:
    import pandas as pd

    from atr_model.network.adjacency import borders_over_blocked_passes, unit_adjacency

    codes = np.array(["a", "b", "c"], dtype=object)
    geoms = np.array([shapely.box(0, 0, 1_000, 1_000), shapely.box(1_000, 0, 2_000, 1_000),
                      shapely.box(0, 1_000, 1_000, 2_000)], dtype=object)

    def lowest(line) -> float:  # the border between a and b runs along x = 1000 m: a 4,300 m crest
        return 4_300.0 if shapely.get_coordinates(line)[:, 0].min() > 900 else 2_000.0

    blocked = borders_over_blocked_passes(codes, geoms, lowest, tolerance_m=50.0, blocked_pass_m=4_000.0)
    assert blocked == [("a", "b", 4_300.0)]
    units = pd.DataFrame({"unit_code": codes, "geometry_source": "official"})
    links = pd.DataFrame({"unit_a": pd.Series(dtype=object), "unit_b": pd.Series(dtype=object),
                          "hard": pd.Series(dtype=bool)})
    adjacency, islands, _ = unit_adjacency(
        units, geoms, links, lambda a, b: 10.0, lambda code: None, tolerance_m=50.0,
        approximate_link_max_min=120.0, blocked_borders={("a", "b")})
    assert set(zip(adjacency["unit_a"], adjacency["unit_b"])) == {("a", "c")}
    assert islands == ["b"]
