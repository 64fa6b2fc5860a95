"""The travel model on the demo: roads and the modelled fallback, access, remoteness, cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely.affinity

from atr_model.data.demo import DEMO_BBOX, DEMO_REMOTE_UNIT, write_demo_elevation, write_demo_roads
from atr_model.data.geo import metric_crs
from atr_model.errors import NetworkError
from atr_model.network import MODELLED_LABEL, TravelModel, TravelSettings, build_travel_model

FIXTURE = Path(__file__).parent / "fixtures" / "network_tiny.osm"

SCT_COLUMNS = ["settlement_code", "unit_code", "centre_unit_code", "travel_time_min", "seasonal", "via_modelled_connector"]
ACCESS_COLUMNS = ["settlement_code", "unit_code", "raion_centre_time_min", "nearest_town_code",
                  "nearest_town_time_min", "reachable", "unreachable_reason", "snap_distance_m"]
REMOTE_COLUMNS = ["unit_code", "raion_centre_time_min_mean", "raion_centre_time_min_max",
                  "nearest_town_time_min_mean", "nearest_town_time_min_max", "max_settlement_elevation_m",
                  "seasonal_access", "border_distance_km"]


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("demo-files")
    return {"roads": write_demo_roads(base / "demo.osm"), "dem": write_demo_elevation(base / "dem.tif")}


@pytest.fixture(scope="module")
def modelled(demo_dataset, demo_files) -> TravelModel:
    return build_travel_model(demo_dataset, elevation=demo_files["dem"])


@pytest.fixture(scope="module")
def on_roads(demo_dataset, demo_files) -> TravelModel:
    return build_travel_model(demo_dataset, roads=demo_files["roads"], elevation=demo_files["dem"])


def _check_every_settlement_accounted(tm: TravelModel, dataset) -> None:
    access = tm.settlement_access
    assert list(access.columns[: len(ACCESS_COLUMNS)]) == ACCESS_COLUMNS
    assert sorted(access["settlement_code"]) == sorted(dataset.settlements["settlement_code"])
    finite = np.isfinite(access["raion_centre_time_min"])
    assert (access["reachable"] == finite).all()
    assert (access.loc[~finite, "unreachable_reason"].str.len() > 10).all()
    assert (access.loc[finite, "unreachable_reason"] == "").all()
    assert (access.loc[finite, "raion_centre_time_min"] >= 0).all()
    s = tm.summary()
    assert s["settlements_reachable"] + s["settlements_unreachable"] == len(dataset.settlements)


@pytest.mark.parametrize("which", ["modelled", "on_roads"])
def test_demo_every_settlement_has_time_or_reason(request, demo_dataset, which: str) -> None:
    tm = request.getfixturevalue(which)
    _check_every_settlement_accounted(tm, demo_dataset)
    assert tm.summary()["settlements_unreachable"] == 0
    assert tm.kind == ("modelled" if which == "modelled" else "roads")
    assert tm.label == (MODELLED_LABEL if which == "modelled" else "roads: demo.osm")
    assert tm.summary()["travel_model"] == tm.kind
    # Modelled times are labelled as estimates wherever they are shown.
    modelled_run = which == "modelled"
    for frame in (tm.settlement_access, tm.unit_remoteness):
        assert (frame["travel_time_is_estimate"] == modelled_run).all()
        assert frame["travel_time_source"].str.startswith("estimate: modelled: no road data").all() == modelled_run
    assert (tm.settlement_centre_times["travel_time_is_estimate"] == modelled_run).all()


def test_candidates_are_own_and_neighbouring_raions(modelled, demo_dataset) -> None:
    sct = modelled.settlement_centre_times
    assert list(sct.columns) == [*SCT_COLUMNS, "travel_time_is_estimate"]
    units = demo_dataset.units.set_index("unit_code")
    raions = demo_dataset.raions.set_index("raion_code")
    for code in ["DEMO-01-01-002-01", "DEMO-02-03-004-01"]:
        raion = demo_dataset.settlements.set_index("settlement_code").loc[code, "raion_code"]
        touching = {r for r, g in raions.geometry.items() if g.buffer(1e-4).intersects(raions.geometry[raion])}
        expected = set(units.index[units["raion_code"].isin(touching)])
        assert set(sct.loc[sct["settlement_code"] == code, "centre_unit_code"]) == expected
    own = sct[(sct["unit_code"] == sct["centre_unit_code"])]
    centres = set(units["centre_settlement_code"])
    assert (own.loc[own["settlement_code"].isin(centres), "travel_time_min"] == 0).all()
    assert (own["travel_time_min"] >= 0).all()
    # Times grow with distance in the modelled network: for every settlement, its farthest
    # candidate centre (straight line) is slower than its nearest, and over all pairs time
    # follows distance closely (rank correlation).
    points = demo_dataset.settlements.set_index("settlement_code").geometry.to_crs(metric_crs())
    here = points.loc[sct["settlement_code"]].to_numpy()
    there = points.loc[units.loc[sct["centre_unit_code"], "centre_settlement_code"]].to_numpy()
    pairs = sct.assign(distance_m=[p.distance(q) for p, q in zip(here, there)])
    pairs = pairs[np.isfinite(pairs["travel_time_min"])]
    compared = 0
    for code, group in pairs.groupby("settlement_code"):
        if len(group) < 2:
            continue
        near = group.loc[group["distance_m"].idxmin(), "travel_time_min"]
        far = group.loc[group["distance_m"].idxmax(), "travel_time_min"]
        assert far > near, f"{code}: the farthest centre ({far:.1f} min) is not slower than the nearest ({near:.1f} min)"
        compared += 1
    assert compared >= 100
    assert pairs["distance_m"].corr(pairs["travel_time_min"], method="spearman") > 0.8


def test_remote_unit_is_remote_and_seasonal(modelled, on_roads) -> None:
    for tm in (modelled, on_roads):
        rem = tm.unit_remoteness.set_index("unit_code")
        assert list(tm.unit_remoteness.columns[: len(REMOTE_COLUMNS)]) == REMOTE_COLUMNS
        assert rem.loc[DEMO_REMOTE_UNIT, "seasonal_access"]
        assert rem.loc[DEMO_REMOTE_UNIT, "raion_centre_time_min_mean"] > rem["raion_centre_time_min_mean"].median()
        assert rem.loc[DEMO_REMOTE_UNIT, "max_settlement_elevation_m"] > 2000
        assert (rem["raion_centre_time_min_mean"] <= rem["raion_centre_time_min_max"] + 1e-9).all()
        assert (rem["border_distance_km"] >= 0).all()


def test_terrain_makes_times_longer(demo_dataset, modelled) -> None:
    flat = build_travel_model(demo_dataset)
    assert "no elevation data" in flat.label and flat.summary()["terrain_penalties"] is False
    a = flat.settlement_access.set_index("settlement_code")["raion_centre_time_min"]
    b = modelled.settlement_access.set_index("settlement_code")["raion_centre_time_min"]
    assert (b >= a - 1e-9).all() and (b > a + 1).any()
    assert flat.summary()["settlements_seasonal"] == 0 < modelled.summary()["settlements_seasonal"]


def _walled_dem(path: Path, dataset) -> Path:
    import rasterio
    from affine import Affine

    unit = dataset.units.set_index("unit_code").loc[DEMO_REMOTE_UNIT]
    res = 0.004
    west, north = DEMO_BBOX[0] - 0.05, DEMO_BBOX[3] + 0.05
    width = int((DEMO_BBOX[2] - DEMO_BBOX[0] + 0.1) / res)
    height = int((DEMO_BBOX[3] - DEMO_BBOX[1] + 0.1) / res)
    lon = west + (np.arange(width) + 0.5) * res
    lat = north - (np.arange(height) + 0.5) * res
    dx = (lon[None, :] - unit["centre_lon"]) * 84.0
    dy = (lat[:, None] - unit["centre_lat"]) * 111.0
    ring = np.abs(np.hypot(dx, dy) - 7.5) < 1.0
    grid = np.where(ring, 5000.0, 1000.0).astype("float32")
    with rasterio.open(path, "w", driver="GTiff", width=width, height=height, count=1, dtype="float32",
                       crs="EPSG:4326", transform=Affine(res, 0, west, 0, -res, north)) as dst:
        dst.write(grid, 1)
    return path


def test_blocked_pass_and_no_road_reasons(tmp_path: Path, demo_dataset, demo_files) -> None:
    # A 5,000 m wall around the remote unit: every modelled link out of it is blocked.
    wall = _walled_dem(tmp_path / "wall.tif", demo_dataset)
    tm = build_travel_model(demo_dataset, elevation=wall)
    _check_every_settlement_accounted(tm, demo_dataset)
    access = tm.settlement_access
    remote = access[access["unit_code"] == DEMO_REMOTE_UNIT]
    assert not remote["reachable"].any()
    assert remote["unreachable_reason"].str.startswith("blocked pass").all()
    assert "blocked pass" in tm.summary()["unreachable_reasons"]

    # Move one village 4 km off its road: beyond a 1 km snapping limit it is cut off.
    sett = demo_dataset.settlements.copy()
    moved = sett.index[~sett["is_unit_centre"]][5]
    sett.loc[moved, "geometry"] = shapely.affinity.translate(sett.geometry[moved], xoff=0.0, yoff=0.036)
    shifted = demo_dataset.replace(settlements=sett)
    tm = build_travel_model(shifted, roads=demo_files["roads"], settings=TravelSettings(snap_max_m=1000.0))
    _check_every_settlement_accounted(tm, shifted)
    access = tm.settlement_access.set_index("settlement_code")
    code = sett.loc[moved, "settlement_code"]
    assert access.loc[code, "snap_distance_m"] > 1000.0
    assert access.loc[code, "unreachable_reason"].startswith("no road nearby")
    assert tm.summary()["settlements_unreachable"] == 1


def test_roads_follow_the_network(on_roads, demo_dataset) -> None:
    info = on_roads.summary()
    assert info["road_file"] == "demo.osm"
    assert info["road_components"]["count"] >= 2  # the forest track is reported, not dropped
    # On roads the remote unit reaches its raion centre only over the pass road.
    remote = on_roads.settlement_access[on_roads.settlement_access["unit_code"] == DEMO_REMOTE_UNIT]
    assert remote["seasonal"].all()


def test_deterministic_and_cache_roundtrip(tmp_path: Path, demo_dataset, demo_files, on_roads) -> None:
    again = build_travel_model(demo_dataset, roads=demo_files["roads"], elevation=demo_files["dem"])
    for name in ("settlement_centre_times", "settlement_access", "unit_remoteness", "adjacency"):
        pd.testing.assert_frame_equal(getattr(on_roads, name), getattr(again, name))
    path = on_roads.write(tmp_path / "tm")
    on_roads.write(tmp_path / "tm")  # replacing an existing cache works
    back = TravelModel.read(path)
    assert back.kind == on_roads.kind and back.label == on_roads.label
    assert back.summary() == on_roads.summary()
    pd.testing.assert_frame_equal(back.settlement_access, on_roads.settlement_access)
    assert [p.name for p in tmp_path.iterdir()] == ["tm"]
    with pytest.raises(NetworkError, match="not a travel model cache"):
        TravelModel.read(tmp_path)


def test_inputs_not_mutated(demo_dataset) -> None:
    before = demo_dataset.settlements.copy()
    build_travel_model(demo_dataset)
    pd.testing.assert_frame_equal(before, demo_dataset.settlements)


def test_bad_inputs_name_the_file(tmp_path: Path, demo_dataset) -> None:
    with pytest.raises(NetworkError, match="network_tiny.osm: the roads do not overlap the territory"):
        build_travel_model(demo_dataset, roads=FIXTURE)
    empty = tmp_path / "empty.osm"
    empty.write_text("")
    with pytest.raises(NetworkError, match="empty.osm: road file is empty"):
        build_travel_model(demo_dataset, roads=empty)
    dem = tmp_path / "elsewhere.tif"
    import rasterio
    from affine import Affine

    with rasterio.open(dem, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32", crs="EPSG:4326",
                       transform=Affine(0.1, 0, 10.0, 0, -0.1, 10.0)) as dst:
        dst.write(np.zeros((1, 4, 4), dtype="float32"))
    with pytest.raises(NetworkError, match="elsewhere.tif: elevation raster does not cover"):
        build_travel_model(demo_dataset, elevation=dem)
    with pytest.raises(NetworkError, match="nope.tif: elevation file not found"):
        build_travel_model(demo_dataset, elevation=tmp_path / "nope.tif")


def test_projected_elevation_raster_is_sampled_in_its_crs(tmp_path: Path, demo_dataset) -> None:
    import rasterio
    from affine import Affine
    from pyproj import Transformer

    from atr_model.data.demo import demo_elevation_m
    from atr_model.network.terrain import ElevationRaster

    to_lonlat = Transformer.from_crs("EPSG:32626", "EPSG:4326", always_xy=True)
    west, north, res = 150_000.0, 4_645_000.0, 500.0
    cols = (np.arange(400) + 0.5) * res + west
    rows = north - (np.arange(320) + 0.5) * res
    lon, lat = to_lonlat.transform(*np.meshgrid(cols, rows))
    path = tmp_path / "utm.tif"
    with rasterio.open(path, "w", driver="GTiff", width=400, height=320, count=1, dtype="float32",
                       crs="EPSG:32626", transform=Affine(res, 0, west, 0, -res, north)) as dst:
        dst.write(demo_elevation_m(lon, lat).astype("float32"), 1)
    pts = demo_dataset.settlements.geometry
    sampled = ElevationRaster(path).sample(pts.x.to_numpy(), pts.y.to_numpy())
    assert np.isfinite(sampled).all()
    assert np.allclose(sampled, demo_dataset.settlements["elevation_m"], atol=150)
