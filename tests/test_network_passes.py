"""Passes found on the terrain: a modelled link goes round a high crest where the grid lets it.

Hand-made rasters (a 4,500 m ridge between two villages, with or without a 3,500 m saddle off
the straight line), the demo with a walled remote unit, and the Kyrgyz build (Enilchek and
Ak-Shyirak, cut off by straight lines over passes above 4,000 m).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from atr_model.data.demo import DEMO_BBOX, DEMO_REMOTE_UNIT
from atr_model.errors import NetworkError
from atr_model.network import TravelSettings, build_travel_model
from atr_model.network.fallback import modelled_links
from atr_model.network.terrain import ElevationRaster, crossing_route, lowest_crossing, terrain_time_min

RES_DEG = 0.005
WEST, NORTH = 74.0, 41.3
VILLAGES_LON = np.array([74.1, 74.4])
VILLAGES_LAT = np.array([41.15, 41.15])
#: The saddle: a gap in the ridge 8 to 10 km north of the straight line.
SADDLE_LAT = (41.22, 41.24)
RIDGE_LON = (74.24, 74.26)


def _write(path: Path, grid: np.ndarray, west: float = WEST, north: float = NORTH, res: float = RES_DEG) -> Path:
    import rasterio
    from affine import Affine

    with rasterio.open(path, "w", driver="GTiff", width=grid.shape[1], height=grid.shape[0], count=1,
                       dtype="float32", crs="EPSG:4326", transform=Affine(res, 0, west, 0, -res, north),
                       nodata=-32768) as dst:
        dst.write(np.nan_to_num(grid, nan=-32768).astype("float32"), 1)
    return path


def _ridge_grid(saddle_m: float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """1,500 m plain cut north-south by a 4,500 m ridge; optionally a saddle in the ridge."""
    lon = WEST + (np.arange(100) + 0.5) * RES_DEG
    lat = NORTH - (np.arange(60) + 0.5) * RES_DEG
    grid = np.full((len(lat), len(lon)), 1500.0)
    ridge = (lon > RIDGE_LON[0]) & (lon < RIDGE_LON[1])
    grid[:, ridge] = 4500.0
    if saddle_m is not None:
        gap = (lat > SADDLE_LAT[0]) & (lat < SADDLE_LAT[1])
        grid[np.ix_(gap, ridge)] = saddle_m
    return grid, lon, lat


def _links(path: Path, settings: TravelSettings | None = None):  # noqa: ANN202
    from pyproj import Transformer

    to_m = Transformer.from_crs("EPSG:4326", "+proj=aeqd +lat_0=41.15 +lon_0=74.25 +units=m", always_xy=True)
    xy = np.column_stack(to_m.transform(VILLAGES_LON, VILLAGES_LAT))
    return modelled_links(VILLAGES_LON, VILLAGES_LAT, xy, np.zeros(2, dtype=np.int64), np.ones((1, 1), dtype=bool),
                          settings or TravelSettings(), ElevationRaster(path))


def _via_saddle_min(settings: TravelSettings) -> float:
    """Least time of any route through the saddle: two straight legs and the climb to it."""
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    saddle = (np.mean(RIDGE_LON), SADDLE_LAT[0])  # its nearest point to the villages
    legs_m = sum(geod.inv(VILLAGES_LON[i], VILLAGES_LAT[i], *saddle)[2] for i in range(2))
    return float(terrain_time_min(legs_m, 3500.0 - 1500.0, speed_kmh=settings.fallback_speed_kmh,
                                  detour_factor=settings.fallback_detour_factor,
                                  climb_min_per_100m=settings.climb_min_per_100m))


def test_a_link_goes_round_the_ridge_by_the_saddle(tmp_path: Path) -> None:
    settings = TravelSettings()
    grid, _lon, _lat = _ridge_grid(saddle_m=3500.0)
    links = _links(_write(tmp_path / "saddle.tif", grid), settings)
    straight = _links(_write(tmp_path / "saddle-off.tif", grid), TravelSettings(pass_search="off"))
    # the straight line crosses the 4,500 m ridge: blocked
    assert straight.blocked.all() and np.allclose(straight.pass_elevation_m, 4500.0) and not straight.detour.any()
    # on the grid, the 3,500 m saddle: not blocked, seasonal (above 3,200 m), going round
    assert links.detour.all() and not links.blocked.any() and links.seasonal.all()
    assert np.allclose(links.pass_elevation_m, 3500.0)
    assert (links.time_min > straight.time_min).all()
    # the route follows the saddle: at least the time of the two legs to it and the climb
    assert (links.time_min >= _via_saddle_min(settings)).all()
    # and reaches it: the climb of 2,000 m each way is in the time (about 30 min of it)
    assert links.time_min.min() < _via_saddle_min(settings) * 1.5


def test_a_saddle_below_the_seasonal_altitude_opens_the_link(tmp_path: Path) -> None:
    grid, _lon, _lat = _ridge_grid(saddle_m=3500.0)
    links = _links(_write(tmp_path / "saddle.tif", grid), TravelSettings(seasonal_pass_m=3600.0))
    assert links.detour.all() and not links.seasonal.any() and not links.blocked.any()


def test_without_a_saddle_the_link_stays_blocked(tmp_path: Path) -> None:
    grid, _lon, _lat = _ridge_grid(saddle_m=None)
    links = _links(_write(tmp_path / "ridge.tif", grid))
    assert links.blocked.all() and not links.detour.any()
    assert np.allclose(links.pass_elevation_m, 4500.0)


def test_cells_without_data_are_impassable(tmp_path: Path) -> None:
    grid, _lon, _lat = _ridge_grid(saddle_m=3500.0)
    gap = grid == 3500.0
    grid[gap] = np.nan  # the saddle has no data: no crossing there
    links = _links(_write(tmp_path / "nodata-saddle.tif", grid))
    assert links.blocked.all() and not links.detour.any()


def test_search_only_blocked_links_leaves_seasonal_crests(tmp_path: Path) -> None:
    # A 3,500 m ridge (seasonal) with a 2,500 m saddle: searched by default, not in "blocked" mode.
    grid, _lon, _lat = _ridge_grid(saddle_m=2500.0)
    grid[grid == 4500.0] = 3500.0
    path = _write(tmp_path / "seasonal.tif", grid)
    default = _links(path)
    blocked_only = _links(path, TravelSettings(pass_search="blocked"))
    # the seasonal straight link stays for the season, and the way round is a second, all-season
    # link beside it (never faster: in season the pass is the shorter way)
    straight, round_ = ~default.detour, default.detour
    assert straight.sum() == round_.sum() == 2  # one link each, both directions
    assert default.seasonal[straight].all() and np.allclose(default.pass_elevation_m[straight], 3500.0)
    assert not default.seasonal[round_].any() and np.allclose(default.pass_elevation_m[round_], 2500.0)
    assert not default.blocked.any()
    assert (default.time_min[round_] >= default.time_min[straight].max()).all()
    assert not blocked_only.detour.any() and blocked_only.seasonal.all() and len(blocked_only.u) == 2


def test_lowest_crossing_bisects_to_the_step(tmp_path: Path) -> None:
    grid, _lon, _lat = _ridge_grid(saddle_m=3510.0)
    raster = ElevationRaster(_write(tmp_path / "saddle.tif", grid))
    window = raster.window(VILLAGES_LON, VILLAGES_LAT, 12_000.0)
    assert window is not None
    # thresholds on 25 m steps from 1,500 m: 3,500 is too low, 3,525 passes
    assert lowest_crossing(window, 1500.0, 4600.0, 25.0) == 3525.0
    assert lowest_crossing(window, 1500.0, 3400.0, 25.0) is None
    # a corridor too narrow to hold the saddle (8 km north) finds nothing lower than the ridge
    narrow = raster.window(VILLAGES_LON, VILLAGES_LAT, 3_000.0)
    assert lowest_crossing(narrow, 1500.0, 4600.0, 25.0) == 4500.0
    route = crossing_route(window, 3525.0, speed_kmh=40.0, detour_factor=1.35, climb_min_per_100m=1.5)
    assert route is not None and route.highest_m == 3510.0
    rows, cols = route.cells.T
    assert tuple(route.cells[0]) == window.start and tuple(route.cells[-1]) == window.end
    assert (np.abs(np.diff(rows)) <= 1).all() and (np.abs(np.diff(cols)) <= 1).all()
    # the climb is paid one way: out 2,010 m up, back the same 2,010 m up from the other side
    assert route.time_forward_min == pytest.approx(route.time_backward_min, rel=1e-9)


def test_a_projected_grid_is_measured_in_metres(tmp_path: Path) -> None:
    """The same ridge and saddle on a UTM grid (500 m cells): the same crossing, a similar time."""
    import rasterio
    from affine import Affine
    from pyproj import Transformer

    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32643", always_xy=True)
    x0, y1 = to_utm.transform(WEST, NORTH)
    cell = 500.0
    xs = x0 + (np.arange(90) + 0.5) * cell
    ys = y1 - (np.arange(70) + 0.5) * cell
    lon, lat = Transformer.from_crs("EPSG:32643", "EPSG:4326", always_xy=True).transform(*np.meshgrid(xs, ys))
    grid = np.full(lon.shape, 1500.0)
    ridge = (lon > RIDGE_LON[0]) & (lon < RIDGE_LON[1])
    grid[ridge] = 4500.0
    grid[ridge & (lat > SADDLE_LAT[0]) & (lat < SADDLE_LAT[1])] = 3500.0
    path = tmp_path / "utm.tif"
    with rasterio.open(path, "w", driver="GTiff", width=grid.shape[1], height=grid.shape[0], count=1,
                       dtype="float32", crs="EPSG:32643", transform=Affine(cell, 0, x0, 0, -cell, y1)) as dst:
        dst.write(grid.astype("float32"), 1)
    projected = _links(path)
    geographic = _links(_write(tmp_path / "saddle.tif", _ridge_grid(saddle_m=3500.0)[0]))
    assert projected.detour.all() and not projected.blocked.any() and np.allclose(projected.pass_elevation_m, 3500.0)
    assert projected.time_min == pytest.approx(geographic.time_min, rel=0.1)


def test_pass_settings_are_validated() -> None:
    with pytest.raises(NetworkError, match="pass_search must be one of blocked_and_seasonal, blocked, off"):
        TravelSettings(pass_search="everything")
    with pytest.raises(NetworkError, match="pass_step_m must be positive"):
        TravelSettings(pass_step_m=0.0)
    with pytest.raises(NetworkError, match="pass_corridor_share must be zero or positive"):
        TravelSettings(pass_corridor_share=-0.1)
    assert TravelSettings.from_dict(TravelSettings(pass_corridor_min_km=2.0).to_dict()).pass_corridor_min_km == 2.0


# --------------------------------------------------------------------------- demo


def _ring_dem(path: Path, dataset, gap_m: float | None) -> Path:  # noqa: ANN001
    """A 5,000 m ring round the demo's remote unit, optionally with a gap (sector) at ``gap_m``."""
    unit = dataset.units.set_index("unit_code").loc[DEMO_REMOTE_UNIT]
    res = 0.004
    west, north = DEMO_BBOX[0] - 0.05, DEMO_BBOX[3] + 0.05
    lon = west + (np.arange(int((DEMO_BBOX[2] - DEMO_BBOX[0] + 0.1) / res)) + 0.5) * res
    lat = north - (np.arange(int((DEMO_BBOX[3] - DEMO_BBOX[1] + 0.1) / res)) + 0.5) * res
    dx = (lon[None, :] - unit["centre_lon"]) * 84.0
    dy = (lat[:, None] - unit["centre_lat"]) * 111.0
    ring = np.abs(np.hypot(dx, dy) - 7.5) < 1.0
    grid = np.where(ring, 5000.0, 1000.0)
    if gap_m is not None:
        grid[ring & (np.abs(np.arctan2(dy, dx)) < 0.3)] = gap_m  # a notch on the east side
    return _write(path, grid, west, north, res)


def test_demo_remote_unit_is_reached_through_a_gap_in_the_ring(tmp_path: Path, demo_dataset) -> None:
    closed = build_travel_model(demo_dataset, elevation=_ring_dem(tmp_path / "ring.tif", demo_dataset, None))
    notched = build_travel_model(demo_dataset, elevation=_ring_dem(tmp_path / "notch.tif", demo_dataset, 3500.0))
    remote_closed = closed.settlement_access[closed.settlement_access["unit_code"] == DEMO_REMOTE_UNIT]
    remote_notched = notched.settlement_access[notched.settlement_access["unit_code"] == DEMO_REMOTE_UNIT]
    assert not remote_closed["reachable"].any()
    assert remote_closed["unreachable_reason"].str.contains(
        "blocked pass: only links over passes above 4000 m .* offers no lower crossing").all()
    assert remote_notched["reachable"].all() and remote_notched["seasonal"].all()
    assert notched.info["detour_links"] > closed.info["detour_links"]
    assert notched.summary()["modelled_links_detour"] == notched.info["detour_links"]
    assert notched.info["blocked_links"] < closed.info["blocked_links"]


def test_travel_model_with_passes_is_deterministic(tmp_path: Path, demo_dataset) -> None:
    dem = _ring_dem(tmp_path / "notch.tif", demo_dataset, 3500.0)
    first = build_travel_model(demo_dataset, elevation=dem)
    second = build_travel_model(demo_dataset, elevation=dem)
    for name in ("settlement_centre_times", "settlement_access", "unit_remoteness", "adjacency"):
        assert getattr(first, name).equals(getattr(second, name)), name
    assert first.info == second.info


# --------------------------------------------------------------------------- Kyrgyz


ENILCHEK = "41702205852000"
AK_SHYIRAK = "41702210810000"


@pytest.mark.kgdata
def test_kyrgyz_high_mountain_units_are_reached_round_their_passes(kg_dataset, kg_source) -> None:
    dem = kg_source / "elevation" / "gebco2023_kgz_15arcsec.tif"
    straight = build_travel_model(kg_dataset, elevation=dem, settings=TravelSettings(pass_search="off"))
    model = build_travel_model(kg_dataset, elevation=dem)
    again = build_travel_model(kg_dataset, elevation=dem)
    for name in ("settlement_centre_times", "settlement_access", "unit_remoteness", "adjacency"):
        assert getattr(model, name).equals(getattr(again, name)), name
    before = straight.settlement_access.set_index("settlement_code")
    after = model.settlement_access.set_index("settlement_code")
    for unit in (ENILCHEK, AK_SHYIRAK):
        assert not before.loc[before["unit_code"] == unit, "reachable"].any()
        reached = after[after["unit_code"] == unit]
        assert len(reached) and reached["reachable"].all()
    assert model.summary()["settlements_unreachable"] < straight.summary()["settlements_unreachable"]
    assert model.info["blocked_links"] < straight.info["blocked_links"]
    assert model.info["detour_links"] > 0 == straight.info["detour_links"]
    assert model.islands == []
    units = set(model.adjacency["unit_a"]) | set(model.adjacency["unit_b"])
    assert units == set(kg_dataset.units["unit_code"])
