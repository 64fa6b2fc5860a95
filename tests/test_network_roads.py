"""Road import: a hand-written OSM fixture with known travel times, PBF and line layers."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pytest
from pyproj import Geod
from shapely.geometry import LineString

from atr_model.errors import NetworkError
from atr_model.network import TravelSettings, load_road_graph, read_road_ways
from atr_model.network.graph import component_labels, routable_graph, times_to_targets

FIXTURE = Path(__file__).parent / "fixtures" / "network_tiny.osm"
STEP_M = 1113.1949079327357  # 0.01 degree of longitude on the WGS 84 equator
GEOD = Geod(ellps="WGS84")


def _minutes(length_m: float, speed_kmh: float) -> float:
    return length_m / (speed_kmh * 1000.0 / 60.0)


def _track_m() -> float:
    return 2 * GEOD.inv(0.03, 0.0, 0.025, 0.005)[2]


def _node(graph, lon: float, lat: float = 0.0) -> int:
    hit = np.flatnonzero(np.isclose(graph.node_lon, lon) & np.isclose(graph.node_lat, lat))
    assert len(hit) == 1, f"no graph node at {lon}, {lat}"
    return int(hit[0])


def _times(graph) -> tuple[np.ndarray, list[int]]:
    nodes = [_node(graph, lon) for lon in (0.0, 0.02, 0.03, 1.0, 1.01)]
    g = routable_graph(graph.n_nodes, graph.u, graph.v, graph.time_min)
    return times_to_targets(g, np.array(nodes), np.array(nodes)), nodes


def test_osm_fixture_known_times() -> None:
    graph = load_road_graph(FIXTURE)
    # Node 2 is a shape point: only 1, 3, 4, 10, 11 become graph nodes.
    assert graph.n_nodes == 5
    t, _ = _times(graph)
    primary = _minutes(2 * STEP_M, 70.0)
    oneway = _minutes(STEP_M, 50.0)
    track = _minutes(_track_m(), 20.0 * 0.75 * 0.7)  # track speed x gravel x grade3
    assert t[0, 1] == pytest.approx(primary, rel=1e-6)
    assert t[0, 2] == pytest.approx(primary + oneway, rel=1e-6)
    # One-way: back from 4 only over the slow track.
    assert t[2, 1] == pytest.approx(track, rel=1e-6)
    assert t[2, 0] == pytest.approx(track + primary, rel=1e-6)
    assert t[2, 1] > t[1, 2]
    # maxspeed=20 beats the residential default; the piece is disconnected (footway ignored).
    assert t[3, 4] == pytest.approx(_minutes(STEP_M, 20.0), rel=1e-6)
    assert np.isinf(t[0, 3]) and np.isinf(t[3, 0])
    labels = component_labels(routable_graph(graph.n_nodes, graph.u, graph.v, graph.time_min))
    assert len(set(labels)) == 2


def test_shape_point_keeps_its_position_for_snapping() -> None:
    graph = load_road_graph(FIXTURE)
    k = int(np.flatnonzero(np.isclose(graph.vertex_lon, 0.01) & np.isclose(graph.vertex_lat, 0.0))[0])
    half = _minutes(STEP_M, 70.0)
    assert {int(graph.vertex_u[k]), int(graph.vertex_v[k])} == {_node(graph, 0.0), _node(graph, 0.02)}
    assert graph.vertex_time_u_min[k] == pytest.approx(half, rel=1e-6)
    assert graph.vertex_time_v_min[k] == pytest.approx(half, rel=1e-6)


def test_pbf_reads_the_same(tmp_path: Path) -> None:
    pbf = tmp_path / "tiny.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(FIXTURE)):
            writer.add(obj)
    a, _ = _times(load_road_graph(FIXTURE))
    b, _ = _times(load_road_graph(pbf))
    assert np.array_equal(np.isinf(a), np.isinf(b))
    assert np.allclose(a[np.isfinite(a)], b[np.isfinite(b)])


def test_settings_change_speeds() -> None:
    slow = TravelSettings(speeds_kmh={**TravelSettings().speeds_kmh, "primary": 35.0})
    t, _ = _times(load_road_graph(FIXTURE, slow))
    assert t[0, 1] == pytest.approx(_minutes(2 * STEP_M, 35.0), rel=1e-6)
    with pytest.raises(NetworkError, match="speeds must be positive"):
        TravelSettings(speeds_kmh={"primary": 0.0})


def _lines(crs: str | None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"fclass": ["primary", "tertiary", "track_grade3", "footway"], "oneway": ["B", "F", "B", "B"],
         "maxspeed": [0, 0, 0, 0]},
        geometry=[
            LineString([(0.0, 0.0), (0.01, 0.0), (0.02, 0.0)]),
            LineString([(0.02, 0.0), (0.03, 0.0)]),
            LineString([(0.03, 0.0), (0.025, 0.005), (0.02, 0.0)]),
            LineString([(0.0, 0.0), (1.0, 0.0)]),
        ],
        crs=crs,
    )


def test_line_layer_with_class_column(tmp_path: Path) -> None:
    path = tmp_path / "roads.gpkg"
    _lines("EPSG:4326").to_crs("EPSG:32631").to_file(path)  # reprojected on read
    graph = load_road_graph(path)
    assert graph.n_nodes == 3
    ways = read_road_ways(path)
    assert set(ways.road_class) == {"primary", "tertiary", "track"}
    a = _node(graph, 0.0)
    c = _node(graph, 0.03)
    g = routable_graph(graph.n_nodes, graph.u, graph.v, graph.time_min)
    t = times_to_targets(g, np.array([a, c]), np.array([a, c]))
    assert t[0, 1] == pytest.approx(_minutes(2 * STEP_M, 70) + _minutes(STEP_M, 50), rel=1e-4)
    assert t[1, 0] == pytest.approx(_minutes(_track_m(), 20 * 0.7) + _minutes(2 * STEP_M, 70), rel=1e-4)


@pytest.mark.parametrize(
    ("content", "name", "match"),
    [
        (b"", "empty.osm.pbf", "road file is empty"),
        (bytes(range(256)) * 8, "corrupt.osm.pbf", "not a readable OSM file"),
        (b'<osm><node id="1" lat=', "broken.osm", "not a readable OSM file"),
        (b"not a geopackage", "roads.gpkg", "not a readable road file"),
        (b'<?xml version="1.0"?>\n<osm version="0.6"><node id="1" version="1" lat="0" lon="0"/></osm>',
         "nohighway.osm", "no routable roads"),
    ],
)
def test_bad_road_files(tmp_path: Path, content: bytes, name: str, match: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(NetworkError, match=match) as info:
        read_road_ways(path)
    assert name in str(info.value)


def test_missing_file_and_class_column(tmp_path: Path) -> None:
    with pytest.raises(NetworkError, match="road file not found"):
        read_road_ways(tmp_path / "nope.osm.pbf")
    path = tmp_path / "noclass.gpkg"
    _lines("EPSG:4326").rename(columns={"fclass": "kind_of_road"}).to_file(path)
    with pytest.raises(NetworkError, match="no road class column"):
        read_road_ways(path)
    assert read_road_ways(path, TravelSettings(road_class_column="kind_of_road")).n_ways == 3


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_crs_mismatch(tmp_path: Path) -> None:
    projected = _lines("EPSG:4326").to_crs("EPSG:32631")
    lying = tmp_path / "lying.gpkg"
    projected.set_crs("EPSG:4326", allow_override=True).to_file(lying)
    with pytest.raises(NetworkError, match="CRS mismatch.*lying.gpkg|lying.gpkg.*CRS mismatch"):
        read_road_ways(lying)
    bare = tmp_path / "bare.shp"
    projected.set_crs(None, allow_override=True).to_file(bare)
    with pytest.raises(NetworkError, match="bare.shp: road file has no CRS"):
        read_road_ways(bare)


def test_seasonal_tag_marks_arcs(tmp_path: Path) -> None:
    text = FIXTURE.read_text().replace(
        '<tag k="highway" v="track"/>', '<tag k="highway" v="track"/><tag k="seasonal" v="winter"/>'
    )
    path = tmp_path / "seasonal.osm"
    path.write_text(text)
    graph = load_road_graph(path)
    track_end = _node(graph, 0.03)
    from_4 = graph.u == track_end
    # Arcs leaving node 4: only the track (the tertiary is one-way into 4).
    assert from_4.sum() == 1 and graph.seasonal[from_4].all()
    assert graph.seasonal.sum() == 2  # both directions of the track, nothing else
