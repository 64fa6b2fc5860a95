"""Road import: OSM (.osm.pbf / .osm XML via pyosmium) or any line layer -> a routable graph.

Ways are read into flat arrays (:class:`RoadWays`); :func:`edges_from_ways` splits them at
intersections (vertices shared by several ways, and way ends) into graph edges with a
travel time, keeping every other vertex for snapping (:class:`RoadGraph`). The benchmark
builds synthetic graphs through the same function.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import shapely
from pyproj import Geod

from atr_model.data import check_file
from atr_model.errors import NetworkError
from atr_model.network.settings import TravelSettings
from atr_model.network.terrain import ElevationRaster

__all__ = ["FERRY_CLASS", "RoadWays", "RoadGraph", "read_road_ways", "edges_from_ways", "load_road_graph", "OSM_SUFFIXES"]

logger = logging.getLogger(__name__)

#: File name endings read with pyosmium; anything else is read as a line layer with pyogrio.
OSM_SUFFIXES = (".osm", ".osm.pbf", ".pbf", ".osm.bz2", ".osm.gz", ".o5m", ".osc")
_CLASS_COLUMNS = ("highway", "fclass", "road_class", "class", "type")
_MPH_TO_KMH = 1.609344
#: ``RoadWays.road_class`` of a ferry route (OSM ``route=ferry``).
FERRY_CLASS = "ferry"


@dataclass(frozen=True)
class RoadWays:
    """Road polylines as flat arrays.

    Attributes
    ----------
    node_key : numpy.ndarray of int64
        Identity of every vertex (OSM node id, or a coordinate key for line layers); ways
        sharing a key are connected there.
    lon, lat : numpy.ndarray
        Vertex coordinates (EPSG:4326).
    offsets : numpy.ndarray of int64
        Way ``i`` spans vertices ``offsets[i]:offsets[i + 1]``.
    road_class : numpy.ndarray of str
        Class of each way (OSM ``highway`` value).
    speed_kmh : numpy.ndarray
        Travel speed of each way after tags and penalties.
    oneway : numpy.ndarray of int8
        1 forward only, -1 backward only, 0 both directions.
    seasonal : numpy.ndarray of bool
        Way tagged as seasonal or winter-only.
    source : str
        File name, for labels and messages.
    """

    node_key: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    offsets: np.ndarray
    road_class: np.ndarray
    speed_kmh: np.ndarray
    oneway: np.ndarray
    seasonal: np.ndarray
    source: str

    @property
    def n_ways(self) -> int:
        """Number of ways."""
        return len(self.offsets) - 1


@dataclass(frozen=True)
class RoadGraph:
    """A routable road graph plus per-vertex data for snapping.

    Attributes
    ----------
    node_lon, node_lat : numpy.ndarray
        Graph nodes (intersections and way ends).
    u, v, time_min, length_m, seasonal : numpy.ndarray
        Directed arcs (one-way roads give one arc, others two).
    edge_u, edge_v : numpy.ndarray
        Undirected edges (one per split way piece); arcs refer to the same nodes.
    vertex_lon, vertex_lat : numpy.ndarray
        Every distinct road vertex.
    vertex_u, vertex_v : numpy.ndarray
        Graph nodes at both ends of the edge a vertex lies on (equal for graph nodes).
    vertex_time_u_min, vertex_time_v_min : numpy.ndarray
        Travel time from the vertex along its edge to ``vertex_u`` and ``vertex_v``.
    segment_a, segment_b : numpy.ndarray
        Vertex indices of every straight piece of road (to find roads crossing unit borders).
    segment_seasonal : numpy.ndarray of bool
        Whether the edge of the piece is seasonal.
    source : str
        File name.
    segment_edge : numpy.ndarray of int
        Edge of every straight piece, an index into ``edge_from`` / ``edge_to`` / ``edge_oneway``.
    segment_start_min, segment_time_min : numpy.ndarray
        Travel time from the edge's first node to the piece's start, and along the piece.
    edge_from, edge_to : numpy.ndarray of int
        First and last graph node of every edge in way order (loops included).
    edge_oneway : numpy.ndarray of int8
        1 only from ``edge_from`` to ``edge_to``, -1 only the other way, 0 both.
    """

    node_lon: np.ndarray
    node_lat: np.ndarray
    u: np.ndarray
    v: np.ndarray
    time_min: np.ndarray
    length_m: np.ndarray
    seasonal: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    vertex_lon: np.ndarray
    vertex_lat: np.ndarray
    vertex_u: np.ndarray
    vertex_v: np.ndarray
    vertex_time_u_min: np.ndarray
    vertex_time_v_min: np.ndarray
    segment_a: np.ndarray
    segment_b: np.ndarray
    segment_seasonal: np.ndarray
    source: str
    segment_edge: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    segment_start_min: np.ndarray = field(default_factory=lambda: np.zeros(0))
    segment_time_min: np.ndarray = field(default_factory=lambda: np.zeros(0))
    edge_from: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    edge_to: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    edge_oneway: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))

    @property
    def n_nodes(self) -> int:
        """Number of graph nodes."""
        return len(self.node_lon)


# --------------------------------------------------------------------------- tags


def _parse_maxspeed(value: str | None) -> float | None:
    if not value:
        return None
    match = re.match(r"\s*(\d+(?:\.\d+)?)\s*(mph)?", value)
    if not match:
        return None
    speed = float(match.group(1)) * (_MPH_TO_KMH if match.group(2) else 1.0)
    return speed if speed > 0 else None


def _parse_oneway(value: str | None, road_class: str, roundabout: bool) -> int:
    value = (value or "").strip().lower()
    if value in ("yes", "true", "1", "f"):
        return 1
    if value in ("-1", "reverse", "t"):
        return -1
    if value in ("no", "false", "0", "b"):
        return 0
    # OSM conventions: roundabouts and motorways are one-way unless tagged otherwise.
    return 1 if roundabout or road_class == "motorway" else 0


def _way_speed_kmh(
    road_class: str, maxspeed: str | None, surface: str | None, tracktype: str | None, settings: TravelSettings
) -> float:
    speed = float(settings.speeds_kmh[road_class])
    tagged = _parse_maxspeed(maxspeed) if settings.use_maxspeed else None
    if tagged is not None:
        speed = min(speed, tagged)
    if surface:
        speed *= float(settings.surface_factors.get(surface, 1.0))
    if road_class == "track" and tracktype:
        speed *= float(settings.tracktype_factors.get(tracktype, 1.0))
    return max(speed, 1.0)


# --------------------------------------------------------------------------- readers


def _is_osm(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith(OSM_SUFFIXES)


def read_road_ways(path: str | os.PathLike[str], settings: TravelSettings | None = None) -> RoadWays:
    """Read the routable roads of an OSM file or a line layer.

    Parameters
    ----------
    path : path-like
        ``.osm.pbf`` / ``.osm`` (pyosmium) or a GPKG / GeoJSON / Shapefile line layer with a
        road class column (pyogrio).
    settings : TravelSettings, optional
        Speeds and penalties.

    Returns
    -------
    RoadWays

    Raises
    ------
    NetworkError
        When the file is missing, empty, corrupt, has no routable road, or its coordinates
        do not match its CRS.
    """
    settings = settings or TravelSettings()
    source = Path(path)
    if not source.exists():
        raise NetworkError(f"{source}: road file not found")
    check_file(source, "road file", NetworkError)  # stat only: a folder or a FIFO is refused unopened
    if source.stat().st_size == 0:
        raise NetworkError(f"{source}: road file is empty")
    ways = _read_osm(source, settings) if _is_osm(source) else _read_lines(source, settings)
    if ways.n_ways == 0:
        raise NetworkError(
            f"{source}: no routable roads found (classes {', '.join(sorted(settings.speeds_kmh))})"
        )
    if not (np.all(np.abs(ways.lon) <= 180) and np.all(np.abs(ways.lat) <= 90)):
        raise NetworkError(f"{source}: coordinates are not longitude/latitude (CRS mismatch)")
    logger.info("%s: %d road ways, %d vertices", source.name, ways.n_ways, len(ways.node_key))
    return ways


def _read_osm(source: Path, settings: TravelSettings) -> RoadWays:
    import osmium

    keys: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    offsets = [0]
    classes: list[str] = []
    speeds: list[float] = []
    oneways: list[int] = []
    seasonal: list[bool] = []
    cut = 0
    ferries = 0
    try:
        processor = (
            osmium.FileProcessor(str(source))
            .with_locations()
            .with_filter(osmium.filter.KeyFilter("highway", "route"))
        )
        for obj in processor:
            if not isinstance(obj, osmium.osm.Way):  # the key filter passes tagged nodes too
                continue
            tags = obj.tags
            ferry = tags.get("route") == "ferry"
            road_class = FERRY_CLASS if ferry else (tags.get("highway") or "")
            if not ferry and road_class not in settings.speeds_kmh:
                continue
            runs = _present_runs(obj.nodes)
            if len(runs) != 1 or len(runs[0]) != len(obj.nodes):
                cut += 1  # a way cut by the extract's edge: keep the pieces whose nodes are present
            for refs in runs:
                for ref, lon, lat in refs:
                    keys.append(ref)
                    lons.append(lon)
                    lats.append(lat)
                offsets.append(len(keys))
                classes.append(road_class)
                if ferry:
                    ferries += 1
                    speeds.append(_ferry_speed_kmh(refs, tags.get("duration"), settings))
                    oneways.append(_parse_oneway(tags.get("oneway"), "", False))
                    seasonal.append(tags.get("seasonal", "no") not in ("no", ""))
                    continue
                speeds.append(
                    _way_speed_kmh(road_class, tags.get("maxspeed"), tags.get("surface"), tags.get("tracktype"),
                                   settings)
                )
                oneways.append(_parse_oneway(tags.get("oneway"), road_class, tags.get("junction") == "roundabout"))
                seasonal.append(
                    tags.get("seasonal", "no") not in ("no", "") or tags.get("winter_road") == "yes"
                    or tags.get("ice_road") == "yes"
                )
    except (RuntimeError, ValueError, OSError) as exc:
        raise NetworkError(f"{source}: not a readable OSM file ({exc})") from exc
    if cut:
        logger.warning("%s: %d ways reference nodes missing from the file (cut by the extract's edge); "
                       "kept up to the missing nodes", source, cut)
    if ferries:
        logger.info("%s: %d ferry routes", source, ferries)
    return RoadWays(
        node_key=np.asarray(keys, dtype=np.int64),
        lon=np.asarray(lons, dtype=float),
        lat=np.asarray(lats, dtype=float),
        offsets=np.asarray(offsets, dtype=np.int64),
        road_class=np.asarray(classes, dtype=object),
        speed_kmh=np.asarray(speeds, dtype=float),
        oneway=np.asarray(oneways, dtype=np.int8),
        seasonal=np.asarray(seasonal, dtype=bool),
        source=source.name,
    )


def _present_runs(nodes: Any) -> list[list[tuple[int, float, float]]]:
    """Runs of consecutive way nodes whose location is in the file (at least two nodes each).

    An extract cuts a way at its edge by leaving out the nodes outside; the road is still
    there up to the last node present, so the way is kept in pieces rather than dropped.
    """
    import osmium

    runs: list[list[tuple[int, float, float]]] = []
    current: list[tuple[int, float, float]] = []
    for node in nodes:
        try:
            current.append((node.ref, node.lon, node.lat))
        except osmium.InvalidLocationError:
            if len(current) >= 2:
                runs.append(current)
            current = []
    if len(current) >= 2:
        runs.append(current)
    return runs


def _parse_duration_min(value: str | None) -> float | None:
    """Minutes of an OSM ``duration`` tag (``HH:MM``, ``HH:MM:SS``, ``MM`` or ISO 8601 ``PT1H30M``)."""
    if not value:
        return None
    text = value.strip()
    iso = re.fullmatch(r"P(?:(\d+(?:\.\d+)?)D)?T?(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?",
                       text.upper())
    if iso and text.upper().startswith("P") and any(iso.groups()):
        d, h, m, sec = (float(g) if g else 0.0 for g in iso.groups())
        minutes = d * 1440 + h * 60 + m + sec / 60
    elif re.fullmatch(r"\d+(?:\.\d+)?", text):
        minutes = float(text)
    elif re.fullmatch(r"\d+:\d{1,2}(?::\d{1,2})?", text):
        parts = [float(p) for p in text.split(":")]
        minutes = parts[0] * 60 + parts[1] + (parts[2] / 60 if len(parts) > 2 else 0.0)
    else:
        return None
    return minutes if minutes > 0 else None


def _ferry_speed_kmh(refs: list[tuple[int, float, float]], duration: str | None, settings: TravelSettings) -> float:
    """Speed of a ferry: its length over its ``duration`` tag, else ``settings.ferry_speed_kmh``."""
    minutes = _parse_duration_min(duration)
    if minutes is None:
        return float(settings.ferry_speed_kmh)
    lon = np.array([r[1] for r in refs])
    lat = np.array([r[2] for r in refs])
    length_km = float(_geodesic_m(lon[:-1], lat[:-1], lon[1:], lat[1:]).sum()) / 1000.0
    return max(length_km / (minutes / 60.0), 0.1)


def _class_column(columns: list[str], settings: TravelSettings, source: Path) -> str:
    if settings.road_class_column:
        if settings.road_class_column not in columns:
            raise NetworkError(f"{source}: road class column '{settings.road_class_column}' not found")
        return settings.road_class_column
    for name in _CLASS_COLUMNS:
        if name in columns:
            return name
    raise NetworkError(
        f"{source}: no road class column (looked for {', '.join(_CLASS_COLUMNS)}); "
        "set TravelSettings.road_class_column"
    )


def _read_lines(source: Path, settings: TravelSettings) -> RoadWays:
    try:
        frame = pyogrio.read_dataframe(source)
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise NetworkError(f"{source}: not a readable road file ({exc})") from exc
    if len(frame) == 0:
        raise NetworkError(f"{source}: road file has no features")
    if "geometry" not in frame or frame.geometry.isna().all():
        raise NetworkError(f"{source}: road file has no line geometry")
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    kinds = set(frame.geometry.geom_type)
    if not kinds <= {"LineString", "MultiLineString"}:
        raise NetworkError(f"{source}: expected line geometry, found {', '.join(sorted(kinds))}")
    minx, miny, maxx, maxy = frame.total_bounds
    lonlat_like = minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90
    if frame.crs is None:
        if not lonlat_like:
            raise NetworkError(
                f"{source}: road file has no CRS and its coordinates are not longitude/latitude "
                f"(bounds {minx:.0f}, {miny:.0f}, {maxx:.0f}, {maxy:.0f}); declare its CRS"
            )
        logger.warning("%s: no CRS declared; assuming EPSG:4326", source)
        frame = frame.set_crs("EPSG:4326")
    elif frame.crs.is_geographic and not lonlat_like:
        raise NetworkError(
            f"{source}: CRS mismatch: the file declares {frame.crs.to_string()} but its coordinates "
            f"look projected (bounds {minx:.0f}, {miny:.0f}, {maxx:.0f}, {maxy:.0f})"
        )
    frame = frame.to_crs("EPSG:4326").explode(index_parts=False).reset_index(drop=True)
    column = _class_column(list(frame.columns), settings, source)
    raw = frame[column].astype(str).str.strip().str.lower()
    # Geofabrik shapefiles spell track grades as 'track_grade3'.
    grade = raw.str.extract(r"^track_(grade\d)$")[0]
    road_class = raw.where(grade.isna(), "track")
    keep = road_class.isin(list(settings.speeds_kmh)).to_numpy()
    frame, road_class, grade = frame[keep].reset_index(drop=True), road_class[keep], grade[keep]
    coords, index = shapely.get_coordinates(frame.geometry.to_numpy(), return_index=True)
    counts = np.bincount(index, minlength=len(frame))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    scaled = np.round(coords * 1e7).astype(np.int64)
    _, node_key = np.unique(scaled, axis=0, return_inverse=True)

    def col(name: str) -> list[Any]:
        return frame[name].tolist() if name in frame else [None] * len(frame)

    speeds = []
    oneways = []
    for cls, g, maxspeed, surface, tracktype, oneway in zip(
        road_class, grade, col("maxspeed"), col("surface"), col("tracktype"), col("oneway")
    ):
        maxspeed = None if maxspeed in (None, 0, "0") or (isinstance(maxspeed, float) and np.isnan(maxspeed)) else str(maxspeed)
        track = g if isinstance(g, str) else (tracktype if isinstance(tracktype, str) else None)
        speeds.append(_way_speed_kmh(cls, maxspeed, surface if isinstance(surface, str) else None, track, settings))
        oneways.append(_parse_oneway(None if oneway is None else str(oneway), cls, False))
    return RoadWays(
        node_key=node_key.astype(np.int64).ravel(),
        lon=coords[:, 0].copy(),
        lat=coords[:, 1].copy(),
        offsets=offsets,
        road_class=road_class.to_numpy(dtype=object),
        speed_kmh=np.asarray(speeds, dtype=float),
        oneway=np.asarray(oneways, dtype=np.int8),
        seasonal=np.zeros(len(frame), dtype=bool),
        source=source.name,
    )


# --------------------------------------------------------------------------- graph


def _geodesic_m(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    _, _, dist = Geod(ellps="WGS84").inv(lon1, lat1, lon2, lat2)
    return np.asarray(dist, dtype=float)


def edges_from_ways(
    ways: RoadWays,
    settings: TravelSettings | None = None,
    elevation: ElevationRaster | None = None,
) -> RoadGraph:
    """Split ways at intersections into a routable graph.

    A vertex becomes a graph node when it ends a way or is shared by several ways (or
    appears twice in one). The vertices in between keep their position along the edge so
    that settlements can be snapped to the middle of a long road.

    Parameters
    ----------
    ways : RoadWays
        Roads as read by :func:`read_road_ways` (or synthetic arrays).
    settings : TravelSettings, optional
        Supplies ``seasonal_pass_m``.
    elevation : ElevationRaster, optional
        When given, an edge whose highest vertex exceeds ``seasonal_pass_m`` is seasonal.

    Returns
    -------
    RoadGraph
    """
    settings = settings or TravelSettings()
    n_vert = len(ways.node_key)
    lengths = np.diff(ways.offsets)
    way_of = np.repeat(np.arange(ways.n_ways), lengths)
    uniq, vert = np.unique(ways.node_key, return_inverse=True)
    vert = vert.ravel()
    first_occ = np.full(len(uniq), n_vert, dtype=np.int64)
    np.minimum.at(first_occ, vert, np.arange(n_vert))
    uses = np.bincount(vert, minlength=len(uniq))
    is_end = np.zeros(n_vert, dtype=bool)
    is_end[ways.offsets[:-1]] = True
    is_end[ways.offsets[1:] - 1] = True
    keep = is_end | (uses[vert] > 1)
    # Segments join consecutive vertices of one way.
    seg_start = np.flatnonzero(way_of[:-1] == way_of[1:]) if n_vert > 1 else np.zeros(0, dtype=np.int64)
    seg_end = seg_start + 1
    seg_len = _geodesic_m(ways.lon[seg_start], ways.lat[seg_start], ways.lon[seg_end], ways.lat[seg_end])
    seg_way = way_of[seg_start]
    seg_time = seg_len / (ways.speed_kmh[seg_way] / 60.0 * 1000.0)
    new_edge = keep[seg_start]
    group = np.cumsum(new_edge) - 1
    starts = np.flatnonzero(new_edge)
    edge_len = np.add.reduceat(seg_len, starts) if len(starts) else np.zeros(0)
    edge_time = np.add.reduceat(seg_time, starts) if len(starts) else np.zeros(0)
    ends = np.concatenate([starts[1:], [len(seg_start)]]) - 1 if len(starts) else np.zeros(0, dtype=np.int64)
    edge_a = vert[seg_start[starts]]
    edge_b = vert[seg_end[ends]]
    edge_way = seg_way[starts]
    edge_seasonal = ways.seasonal[edge_way].copy()
    if elevation is not None and len(starts):
        vert_elev = elevation.sample(ways.lon, ways.lat)
        seg_high = np.fmax(vert_elev[seg_start], vert_elev[seg_end])
        seg_high = np.where(np.isnan(seg_high), -np.inf, seg_high)
        edge_seasonal |= np.maximum.reduceat(seg_high, starts) > settings.seasonal_pass_m
    # Graph nodes: distinct vertices that are kept somewhere.
    node_mask = np.zeros(len(uniq), dtype=bool)
    node_mask[vert[keep]] = True
    node_index = np.full(len(uniq), -1, dtype=np.int64)
    node_index[node_mask] = np.arange(int(node_mask.sum()))
    u_edge, v_edge = node_index[edge_a], node_index[edge_b]
    # Per distinct vertex: the edge it lies on and the time to both ends.
    cum = np.cumsum(seg_time) - np.repeat(np.concatenate([[0.0], np.cumsum(seg_time)])[starts],
                                          np.diff(np.append(starts, len(seg_start))))
    vertex_u = node_index.copy()
    vertex_v = node_index.copy()
    t_u = np.zeros(len(uniq))
    t_v = np.zeros(len(uniq))
    interior = ~node_mask
    if interior.any():
        occ = first_occ[interior]  # interior vertices occur exactly once
        seg_before = np.searchsorted(seg_start, occ - 1)
        g = group[seg_before]
        vertex_u[interior] = u_edge[g]
        vertex_v[interior] = v_edge[g]
        t_u[interior] = cum[seg_before]
        t_v[interior] = edge_time[g] - cum[seg_before]
    loop = u_edge == v_edge
    fwd = (ways.oneway[edge_way] >= 0) & ~loop
    bwd = (ways.oneway[edge_way] <= 0) & ~loop
    u = np.concatenate([u_edge[fwd], v_edge[bwd]])
    v = np.concatenate([v_edge[fwd], u_edge[bwd]])
    return RoadGraph(
        node_lon=ways.lon[first_occ[node_mask]],
        node_lat=ways.lat[first_occ[node_mask]],
        u=u,
        v=v,
        time_min=np.concatenate([edge_time[fwd], edge_time[bwd]]),
        length_m=np.concatenate([edge_len[fwd], edge_len[bwd]]),
        seasonal=np.concatenate([edge_seasonal[fwd], edge_seasonal[bwd]]),
        edge_u=u_edge[~loop],
        edge_v=v_edge[~loop],
        vertex_lon=ways.lon[first_occ],
        vertex_lat=ways.lat[first_occ],
        vertex_u=vertex_u,
        vertex_v=vertex_v,
        vertex_time_u_min=t_u,
        vertex_time_v_min=t_v,
        segment_a=vert[seg_start],
        segment_b=vert[seg_end],
        segment_seasonal=edge_seasonal[group] if len(starts) else np.zeros(0, dtype=bool),
        source=ways.source,
        segment_edge=group.astype(np.int64) if len(starts) else np.zeros(0, dtype=np.int64),
        segment_start_min=cum - seg_time if len(starts) else np.zeros(0),
        segment_time_min=seg_time if len(starts) else np.zeros(0),
        edge_from=u_edge,
        edge_to=v_edge,
        edge_oneway=ways.oneway[edge_way].astype(np.int8),
    )


def load_road_graph(
    path: str | os.PathLike[str],
    settings: TravelSettings | None = None,
    elevation: ElevationRaster | None = None,
) -> RoadGraph:
    """Read a road file and build its routable graph (see :func:`read_road_ways`)."""
    settings = settings or TravelSettings()
    return edges_from_ways(read_road_ways(path, settings), settings, elevation)
