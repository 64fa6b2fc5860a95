"""The travel model: times from settlements to candidate centres, remoteness and adjacency.

:func:`build_travel_model` turns a :class:`~atr_model.data.dataset.Dataset` plus an optional
road file and elevation raster into a :class:`TravelModel`. With a road file the times come
from the road graph (kind ``"roads"``); without one from a modelled settlement graph (kind
``"modelled"``, every figure labelled "modelled: no road data").
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.sparse import csr_matrix

from atr_model._atomic import atomic_directory
from atr_model.data.contract import ESTIMATE_PREFIX
from atr_model.data.dataset import Dataset
from atr_model.errors import NetworkError
from atr_model.network.adjacency import (
    ADJACENCY_COLUMNS,
    borders_over_blocked_passes,
    read_adjacency_edits,
    unit_adjacency,
)
from atr_model.network.fallback import modelled_links
from atr_model.network.graph import component_labels, nearest_source_times, needed_times, routable_graph
from atr_model.network.roads import RoadGraph, load_road_graph
from atr_model.network.settings import TravelSettings
from atr_model.network.terrain import ElevationRaster

__all__ = ["MODELLED_KIND", "MODELLED_LABEL", "ROADS_KIND", "TravelModel", "build_travel_model"]

logger = logging.getLogger(__name__)

#: ``TravelModel.kind`` of travel times routed on a road network.
ROADS_KIND = "roads"
#: ``TravelModel.kind`` of the terrain-aware fallback without road data: its times are estimates.
MODELLED_KIND = "modelled"
MODELLED_LABEL = "modelled: no road data"
_CACHE_VERSION = 2  # 2: connectors (origin/target nodes), pair counts, min_shared_border_m
_FRAMES = ("settlement_centre_times", "settlement_access", "unit_remoteness", "adjacency")


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True, eq=False)
class TravelModel:
    """Travel times, remoteness and adjacency of one dataset under one travel network.

    Attributes
    ----------
    kind : str
        :data:`ROADS_KIND` (``"roads"``) or :data:`MODELLED_KIND` (``"modelled"``).
    label : str
        Human-readable source, e.g. ``"roads: kyrgyzstan-latest.osm.pbf"`` or
        ``"modelled: no road data"`` (plus a note when no elevation data was used).
    settlement_centre_times : pandas.DataFrame
        ``settlement_code, unit_code, centre_unit_code, travel_time_min, seasonal,
        via_modelled_connector, travel_time_is_estimate``: every settlement to the centre of every unit of its raion
        and the neighbouring raions (``inf`` = unreachable; ``seasonal`` = the fastest route
        needs a seasonal link; ``via_modelled_connector`` = one end is joined to the roads by a
        connector longer than ``TravelSettings.connector_modelled_m``; modelled times and such
        pairs are estimates).
    settlement_access : pandas.DataFrame
        Per settlement: ``raion_centre_time_min, nearest_town_code, nearest_town_time_min,
        reachable, unreachable_reason, snap_distance_m (connector length), connector_modelled,
        raion_centre_unit_code, seasonal,
        travel_time_source`` (``"estimate: modelled: ..."`` without roads),
        ``travel_time_is_estimate``.
    unit_remoteness : pandas.DataFrame
        Per unit: population-weighted mean and max times to the raion centre and the nearest
        town, ``max_settlement_elevation_m``, ``seasonal_access``, ``border_distance_km``,
        ``unreachable_settlements``, ``travel_time_source``, ``travel_time_is_estimate``.
    adjacency : pandas.DataFrame
        ``unit_a < unit_b, kind, barrier, shared_boundary_km, note``.
    info : dict
        Provenance and diagnostics (islands, enclaves, road components, settings, ...).
    """

    kind: str
    label: str
    settlement_centre_times: pd.DataFrame
    settlement_access: pd.DataFrame
    unit_remoteness: pd.DataFrame
    adjacency: pd.DataFrame
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def times_modelled(self) -> bool:
        """Whether the travel times are modelled estimates: every kind but :data:`ROADS_KIND`."""
        return self.kind != ROADS_KIND

    @property
    def islands(self) -> list[str]:
        """Units with no neighbour by boundary, road or user edit."""
        return list(self.info.get("islands", []))

    @property
    def enclaves(self) -> list[str]:
        """Units entirely surrounded by one other unit."""
        return list(self.info.get("enclaves", []))

    def summary(self) -> dict[str, Any]:
        """Counts for reports and ``data info``: reachability, reasons, model kind."""
        access = self.settlement_access
        reasons = Counter(r.split(":", 1)[0] for r in access.loc[~access["reachable"], "unreachable_reason"])
        pairs = self.info.get("pairs") or {}
        connectors = self.info.get("connectors") or {}
        return {
            "travel_model": self.kind,
            "label": self.label,
            "settlements_reachable": int(access["reachable"].sum()),
            "settlements_unreachable": int((~access["reachable"]).sum()),
            "unreachable_reasons": dict(sorted(reasons.items())),
            "settlements_seasonal": int(access["seasonal"].sum()),
            "units_seasonal_access": int(self.unit_remoteness["seasonal_access"].sum()),
            "modelled_links_detour": self.info.get("detour_links"),
            "pairs_needed": pairs.get("needed"),
            "pairs_unreachable": pairs.get("unreachable"),
            "pairs_via_modelled_connectors": pairs.get("via_modelled_connectors"),
            "connectors_modelled": connectors.get("modelled"),
            "connectors_modelled_share": connectors.get("modelled_share"),
            "connector_modelled_over_m": connectors.get("modelled_over_m"),
            "adjacent_pairs": len(self.adjacency),
            "islands": self.islands,
            "enclaves": self.enclaves,
            "elevation": self.info.get("elevation"),
            "terrain_penalties": self.info.get("elevation") is not None,
            "road_file": self.info.get("road_file"),
            "road_components": self.info.get("road_components"),
            "raion_centres_assumed": self.info.get("raion_centres_assumed", {}),
            "dataset_build_id": self.info.get("dataset_build_id"),
        }

    def write(self, directory: str | os.PathLike[str], *, force: bool = False) -> Path:
        """Write the model to a directory (parquet tables + ``travel_model.json``), atomically.

        Parameters
        ----------
        directory : path-like
            The folder; one holding files atr-model did not write is refused
            (:func:`atr_model._atomic.claim_output`) unless ``force``.
        force : bool, default False
            Replace ``directory`` whatever it holds.

        Returns
        -------
        pathlib.Path
            The directory.
        """
        target = Path(directory)
        with atomic_directory(target, kind="travel-model", force=force) as tmp:
            for name in _FRAMES:
                getattr(self, name).to_parquet(tmp / f"{name}.parquet", index=False)
            meta = {"cache_version": _CACHE_VERSION, "kind": self.kind, "label": self.label, "info": self.info}
            (tmp / "travel_model.json").write_text(json.dumps(meta, sort_keys=True, indent=1, default=str))
        return target

    @classmethod
    def read(cls, directory: str | os.PathLike[str]) -> TravelModel:
        """Read a model written by :meth:`write`.

        Raises
        ------
        NetworkError
            When the directory is missing, incomplete or from another cache version.
        """
        source = Path(directory)
        meta_path = source / "travel_model.json"
        if not meta_path.exists():
            raise NetworkError(f"{source}: not a travel model cache (travel_model.json missing)")
        meta = json.loads(meta_path.read_text())
        if meta.get("cache_version") != _CACHE_VERSION:
            raise NetworkError(f"{source}: travel model cache version {meta.get('cache_version')!r} is not supported")
        frames = {}
        for name in _FRAMES:
            path = source / f"{name}.parquet"
            if not path.exists():
                raise NetworkError(f"{source}: travel model cache lacks {path.name}")
            frames[name] = pd.read_parquet(path)
        return cls(kind=meta["kind"], label=meta["label"], info=meta["info"], **frames)


# --------------------------------------------------------------------------- places


@dataclass(frozen=True)
class _Places:
    """Settlements plus stand-in centre points, with projected coordinates."""

    code: np.ndarray
    unit: np.ndarray
    raion: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    xy: np.ndarray
    n_settlements: int
    unit_centre: dict[str, int]


def _projector(dataset: Dataset) -> Transformer:
    centre = dataset.country.geometry.union_all().centroid
    if centre.is_empty:
        centre = dataset.units.geometry.union_all().centroid
    crs = f"+proj=aeqd +lat_0={centre.y:.6f} +lon_0={centre.x:.6f} +datum=WGS84 +units=m +no_defs"
    return Transformer.from_crs("EPSG:4326", crs, always_xy=True)


def _project(transformer: Transformer, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    x, y = transformer.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.column_stack([x, y])


def _places(dataset: Dataset, transformer: Transformer) -> _Places:
    sett = dataset.settlements
    units = dataset.units
    unit_raion = dict(zip(units["unit_code"], units["raion_code"]))
    codes = sett["settlement_code"].to_numpy(dtype=object)
    index = {c: i for i, c in enumerate(codes)}
    unit_centre: dict[str, int] = {}
    extra_code: list[str] = []
    extra_unit: list[str] = []
    extra_lon: list[float] = []
    extra_lat: list[float] = []
    for code, centre_code, lon, lat in zip(
        units["unit_code"], units["centre_settlement_code"], units["centre_lon"], units["centre_lat"]
    ):
        if isinstance(centre_code, str) and centre_code in index:
            unit_centre[code] = index[centre_code]
            continue
        unit_centre[code] = len(codes) + len(extra_code)
        extra_code.append(f"centre:{code}")
        extra_unit.append(code)
        extra_lon.append(float(lon))
        extra_lat.append(float(lat))
    lon = np.concatenate([sett.geometry.x.to_numpy(), np.asarray(extra_lon, dtype=float)])
    lat = np.concatenate([sett.geometry.y.to_numpy(), np.asarray(extra_lat, dtype=float)])
    unit = np.concatenate([sett["unit_code"].to_numpy(dtype=object), np.asarray(extra_unit, dtype=object)])
    return _Places(
        code=np.concatenate([codes, np.asarray(extra_code, dtype=object)]),
        unit=unit,
        raion=np.array([unit_raion[u] for u in unit], dtype=object),
        lon=lon,
        lat=lat,
        xy=_project(transformer, lon, lat),
        n_settlements=len(codes),
        unit_centre=unit_centre,
    )


def _raion_neighbours(dataset: Dataset, transformer: Transformer, tolerance_m: float) -> tuple[list[str], np.ndarray]:
    raions = dataset.raions.sort_values("raion_code")
    codes = raions["raion_code"].tolist()
    geoms = np.array([shapely.transform(g, lambda c: _project(transformer, c[:, 0], c[:, 1])) for g in raions.geometry])
    tree = shapely.STRtree(geoms)
    left, right = tree.query(shapely.buffer(geoms, max(tolerance_m, 1.0) * 4), predicate="intersects")
    allowed = np.eye(len(codes), dtype=bool)
    allowed[left, right] = True
    allowed |= allowed.T
    return codes, allowed


# --------------------------------------------------------------------------- networks


@dataclass
class _Network:
    """A routable network with every place on it.

    ``origin_node`` / ``target_node`` are where a route from / to a place starts / ends. On a
    road network they are two separate connector ends, one with arcs only out and one with arcs
    only in, so no route passes through a settlement (and round a one-way rule); on the
    modelled network both are the place's own node.
    """

    n_nodes: int
    origin_node: np.ndarray
    target_node: np.ndarray
    u: np.ndarray
    v: np.ndarray
    time_min: np.ndarray
    seasonal: np.ndarray
    blocked: np.ndarray
    snap_distance_m: np.ndarray
    unsnapped: np.ndarray
    unit_links: pd.DataFrame
    info: dict[str, Any]
    connector_modelled: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def modelled_places(self, n_places: int) -> np.ndarray:
        """Whether each place is joined to the roads by a modelled connector."""
        if len(self.connector_modelled) == n_places:
            return self.connector_modelled
        return np.zeros(n_places, dtype=bool)


def _unit_links(unit_of_u: np.ndarray, unit_of_v: np.ndarray, hard: np.ndarray) -> pd.DataFrame:
    """Unit pairs joined by a direct link; ``hard`` when every such link is seasonal or blocked."""
    mask = (unit_of_u != unit_of_v) & pd.notna(unit_of_u) & pd.notna(unit_of_v)
    a = unit_of_u[mask].astype(object)
    b = unit_of_v[mask].astype(object)
    swap = a > b
    frame = pd.DataFrame({"unit_a": np.where(swap, b, a), "unit_b": np.where(swap, a, b), "hard": hard[mask]})
    if frame.empty:
        empty: pd.DataFrame = pd.DataFrame(columns=["unit_a", "unit_b", "hard"])
        return empty
    pairs: pd.DataFrame = frame.groupby(["unit_a", "unit_b"], as_index=False)["hard"].all()
    return pairs


def _modelled_network(
    places: _Places, raion_codes: list[str], allowed: np.ndarray, settings: TravelSettings,
    elevation: ElevationRaster | None,
) -> _Network:
    group_index = {c: i for i, c in enumerate(raion_codes)}
    group = np.array([group_index[r] for r in places.raion], dtype=np.int64)
    links = modelled_links(places.lon, places.lat, places.xy, group, allowed, settings, elevation)
    n = len(places.code)
    return _Network(
        n_nodes=n,
        origin_node=np.arange(n),
        target_node=np.arange(n),
        u=links.u,
        v=links.v,
        time_min=links.time_min,
        seasonal=links.seasonal,
        blocked=links.blocked,
        snap_distance_m=np.zeros(n),
        unsnapped=np.zeros(n, dtype=bool),
        unit_links=_unit_links(places.unit[links.u], places.unit[links.v], links.seasonal | links.blocked),
        info={"modelled_links": int(len(links.u) // 2), "blocked_links": int(links.blocked.sum() // 2),
              "seasonal_links": int(links.seasonal.sum() // 2), "detour_links": int(links.detour.sum() // 2)},
    )


def _check_overlap(road: RoadGraph, dataset: Dataset, path: Path) -> None:
    minx, miny, maxx, maxy = dataset.country.total_bounds
    pad = 0.1
    inside = (
        (road.vertex_lon >= minx - pad) & (road.vertex_lon <= maxx + pad)
        & (road.vertex_lat >= miny - pad) & (road.vertex_lat <= maxy + pad)
    )
    if not inside.any():
        rb = (road.vertex_lon.min(), road.vertex_lat.min(), road.vertex_lon.max(), road.vertex_lat.max())
        raise NetworkError(
            f"{path}: the roads do not overlap the territory of dataset '{dataset.name}' "
            f"(roads span lon {rb[0]:.3f}..{rb[2]:.3f}, lat {rb[1]:.3f}..{rb[3]:.3f}; territory lon "
            f"{minx:.3f}..{maxx:.3f}, lat {miny:.3f}..{maxy:.3f})"
        )


def _road_network(
    road: RoadGraph, places: _Places, dataset: Dataset, transformer: Transformer, settings: TravelSettings,
) -> _Network:
    """The road graph with every place connected to the nearest point of the nearest road.

    The nearest point splits its road into pieces that keep the road's one-way rule. Each
    place gets an origin node with a single arc out to that point and a target node with a
    single arc in from it, so a route can start or end at a place but never pass through it.
    """
    n_road = road.n_nodes
    comp = component_labels(routable_graph(n_road, road.u, road.v, road.time_min))
    n_p = len(places.xy)
    vert_xy = _project(transformer, road.vertex_lon, road.vertex_lat)
    lines = shapely.linestrings(np.stack([vert_xy[road.segment_a], vert_xy[road.segment_b]], axis=1))
    points = shapely.points(places.xy)
    (p_idx, s_idx), dist = shapely.STRtree(lines).query_nearest(points, return_distance=True, all_matches=False)
    segment = np.zeros(n_p, dtype=np.int64)
    segment[p_idx] = s_idx
    nearest = np.full(n_p, np.inf)
    nearest[p_idx] = dist
    unsnapped = nearest > settings.snap_max_m
    frac = np.nan_to_num(shapely.line_locate_point(lines[segment], points, normalized=True), nan=0.0)
    edge = road.segment_edge[segment]
    pos = road.segment_start_min[segment] + np.clip(frac, 0.0, 1.0) * road.segment_time_min[segment]
    n_edges = len(road.edge_from)
    edge_total = np.bincount(road.segment_edge, weights=road.segment_time_min, minlength=n_edges)
    edge_seasonal = np.zeros(n_edges, dtype=bool)
    edge_seasonal[road.segment_edge] = road.segment_seasonal
    # Split every road at the points of the places on it (in order along the road).
    on_road = np.flatnonzero(~unsnapped)
    order = on_road[np.lexsort((pos[on_road], edge[on_road]))]
    e_s, p_s = edge[order], pos[order]
    r_node = n_road + np.arange(len(order))
    first = np.r_[True, e_s[1:] != e_s[:-1]] if len(order) else np.zeros(0, dtype=bool)
    last = np.r_[e_s[1:] != e_s[:-1], True] if len(order) else np.zeros(0, dtype=bool)
    prev_node = np.where(first, road.edge_from[e_s], np.r_[0, r_node[:-1]] if len(order) else r_node)
    prev_pos = np.where(first, 0.0, np.r_[0.0, p_s[:-1]] if len(order) else p_s)
    a = np.concatenate([prev_node, r_node[last]])
    b = np.concatenate([r_node, road.edge_to[e_s[last]]])
    t = np.maximum(np.concatenate([p_s - prev_pos, edge_total[e_s[last]] - p_s[last]]), 0.0)
    piece_edge = np.concatenate([e_s, e_s[last]])
    fwd = road.edge_oneway[piece_edge] >= 0
    bwd = road.edge_oneway[piece_edge] <= 0
    point_of = np.full(n_p, -1, dtype=np.int64)
    point_of[order] = r_node
    # Connectors: origin -> road point, road point -> target.
    origin_node = n_road + len(order) + np.arange(n_p)
    target_node = origin_node + n_p
    leg = nearest[on_road] / (settings.offroad_speed_kmh * 1000.0 / 60.0)
    u = np.concatenate([road.u, a[fwd], b[bwd], origin_node[on_road], point_of[on_road]])
    v = np.concatenate([road.v, b[fwd], a[bwd], point_of[on_road], target_node[on_road]])
    time_min = np.concatenate([road.time_min, t[fwd], t[bwd], leg, leg])
    seasonal = np.concatenate([road.seasonal, edge_seasonal[piece_edge[fwd]], edge_seasonal[piece_edge[bwd]],
                               np.zeros(2 * len(on_road), dtype=bool)])
    modelled = ~unsnapped & (nearest > settings.connector_modelled_m)
    # Unit of every road vertex: a piece of road with its ends in two units links them.
    unit_geoms = dataset.units.geometry.to_numpy()
    vertex_points = shapely.points(road.vertex_lon, road.vertex_lat)
    pt_idx, poly_idx = shapely.STRtree(unit_geoms).query(vertex_points, predicate="within")
    vertex_unit = np.full(len(vertex_points), None, dtype=object)
    vertex_unit[pt_idx] = dataset.units["unit_code"].to_numpy(dtype=object)[poly_idx]
    sizes = np.bincount(comp)
    main = int(np.argmax(sizes)) if len(sizes) else -1
    n_s = places.n_settlements
    place_comp = np.where(unsnapped, -1, comp[road.edge_from[edge]])
    settled = ~unsnapped[:n_s]
    info = {
        "road_file": road.source,
        "road_nodes": int(n_road),
        "road_arcs": int(len(road.u)),
        "road_components": {
            "count": int(len(sizes)),
            "largest_nodes": int(sizes.max()) if len(sizes) else 0,
            "settlements_outside_largest": int(((place_comp[:n_s] != main) & settled).sum()),
        },
        "settlements_not_snapped": int(unsnapped[:n_s].sum()),
        "connectors": {
            "modelled_over_m": float(settings.connector_modelled_m),
            "settlements": int(settled.sum()),
            "modelled": int(modelled[:n_s].sum()),
            "modelled_share": round(float(modelled[:n_s].sum()) / max(int(settled.sum()), 1), 6),
            "longest_m": round(float(nearest[:n_s][settled].max()), 1) if settled.any() else 0.0,
        },
    }
    return _Network(
        n_nodes=n_road + len(order) + 2 * n_p,
        origin_node=origin_node,
        target_node=target_node,
        u=u,
        v=v,
        time_min=time_min,
        seasonal=seasonal,
        blocked=np.zeros(len(u), dtype=bool),
        snap_distance_m=nearest,
        unsnapped=unsnapped,
        unit_links=_unit_links(vertex_unit[road.segment_a], vertex_unit[road.segment_b], road.segment_seasonal),
        info=info,
        connector_modelled=modelled,
    )


# --------------------------------------------------------------------------- build


def _raion_centres(dataset: Dataset) -> tuple[dict[str, str], dict[str, str]]:
    """Raion -> centre unit; fills a missing centre with the most populous town (or unit)."""
    units = dataset.units
    given = dict(zip(dataset.raions["raion_code"], dataset.raions["centre_unit_code"]))
    centres: dict[str, str] = {}
    assumed: dict[str, str] = {}
    codes = set(units["unit_code"])
    for raion in sorted(units["raion_code"].unique()):
        code = given.get(raion)
        if isinstance(code, str) and code in codes:
            centres[raion] = code
            continue
        members = units[units["raion_code"] == raion].sort_values(
            ["level", "population", "unit_code"], ascending=[False, False, True]
        )
        centres[raion] = str(members["unit_code"].iloc[0])
        assumed[raion] = f"estimate: most populous {members['level'].iloc[0]} ({centres[raion]})"
        logger.warning("raion %s has no centre unit; assuming %s", raion, assumed[raion])
    return centres, assumed


def _reason(
    i: int, places: _Places, net: _Network, centre_place: int, centre_unit: str, time: float,
    comp: np.ndarray, comp_blocked: np.ndarray, settings: TravelSettings, roads: bool,
) -> str:
    if np.isfinite(time):
        return ""
    if net.unsnapped[i]:
        return (f"no road nearby: nearest road {net.snap_distance_m[i] / 1000:.1f} km away "
                f"(limit {settings.snap_max_m / 1000:g} km)")
    if net.unsnapped[centre_place]:
        return f"raion centre off the road network: centre of {centre_unit} has no road within {settings.snap_max_m / 1000:g} km"
    a, b = net.origin_node[i], net.target_node[centre_place]
    if comp[a] != comp[b]:
        if comp_blocked[a] == comp_blocked[b]:
            lower = "" if settings.pass_search == "off" else "; the terrain near them offers no lower crossing"
            return (f"blocked pass: only links over passes above {settings.blocked_pass_m:g} m reach raion centre "
                    f"{centre_unit}{lower}")
        what = "separate road network component" if roads else "no modelled link within its raion and neighbouring raions"
        return f"disconnected: {what} from raion centre {centre_unit}"
    return (f"no route: raion centre {centre_unit} not reached within the search limit of "
            f"{settings.search_limit_min:g} min (or only against one-way roads)")


def build_travel_model(
    dataset: Dataset,
    roads: str | os.PathLike[str] | None = None,
    elevation: str | os.PathLike[str] | None = None,
    settings: TravelSettings | None = None,
    adjacency_edits: str | os.PathLike[str] | None = None,
) -> TravelModel:
    """Build the travel model of a dataset.

    Parameters
    ----------
    dataset : Dataset
        The territory (not modified).
    roads : path-like, optional
        OSM ``.osm.pbf`` / ``.osm`` file or a line layer with a road class column. Without
        it, a modelled settlement graph is used (label "modelled: no road data").
    elevation : path-like, optional
        Elevation GeoTIFF (terrain penalties, passes, seasonal links). Without it, no terrain
        penalties (said in the label and the summary).
    settings : TravelSettings, optional
        Speeds, penalties and thresholds.
    adjacency_edits : path-like, optional
        CSV ``unit_a,unit_b,action`` (``add`` / ``remove``) applied to the adjacency.

    Returns
    -------
    TravelModel

    Raises
    ------
    NetworkError
        On an unreadable, empty or misplaced road or elevation file, or a bad edit file.
    """
    settings = settings or TravelSettings()
    transformer = _projector(dataset)
    places = _places(dataset, transformer)
    raster = ElevationRaster(elevation) if elevation is not None else None
    if raster is not None:
        raster.check_covers(places.lon, places.lat, f"the settlements of dataset '{dataset.name}'")
    edits = (
        read_adjacency_edits(adjacency_edits, set(dataset.units["unit_code"])) if adjacency_edits is not None else None
    )
    raion_codes, allowed = _raion_neighbours(dataset, transformer, settings.boundary_tolerance_m)
    if roads is not None:
        road_path = Path(roads)
        road = load_road_graph(road_path, settings, raster)
        _check_overlap(road, dataset, road_path)
        net = _road_network(road, places, dataset, transformer, settings)
        kind, label = ROADS_KIND, f"roads: {road_path.name}"
    else:
        net = _modelled_network(places, raion_codes, allowed, settings, raster)
        kind, label = MODELLED_KIND, MODELLED_LABEL
    if raster is None:
        label += " (no elevation data: no terrain penalties or seasonal passes)"

    usable = ~net.blocked
    full = routable_graph(net.n_nodes, net.u[usable], net.v[usable], net.time_min[usable])
    n_s = places.n_settlements
    unit_codes = dataset.units["unit_code"].to_numpy(dtype=object)
    centre_places = np.array([places.unit_centre[c] for c in unit_codes], dtype=np.int64)
    origins = net.origin_node[:n_s]
    targets = net.target_node[centre_places]
    # Candidate pairs: every unit centre in the settlement's raion and its neighbours.
    raion_pos = {c: i for i, c in enumerate(raion_codes)}
    unit_raion = dataset.units["raion_code"].to_numpy(dtype=object)
    unit_group = np.array([raion_pos[r] for r in unit_raion])
    sett_group = np.array([raion_pos[r] for r in places.raion[:n_s]])
    needed = allowed[sett_group][:, unit_group]
    search = {"limit_min": settings.search_limit_min, "first_limit_min": settings.first_search_min,
              "memory_budget_mb": settings.memory_budget_mb}
    times = _own_place_zero(needed_times(full, origins, targets, needed, **search), centre_places)
    seasonal = np.zeros_like(times, dtype=bool)
    if (net.seasonal & usable).any():
        all_season = usable & ~net.seasonal
        g2 = routable_graph(net.n_nodes, net.u[all_season], net.v[all_season], net.time_min[all_season])
        times2 = _own_place_zero(needed_times(g2, origins, targets, needed, **search), centre_places)
        seasonal = np.isfinite(times) & ~(times2 <= times + 1e-6)
    # A route from or to a place joined by a modelled connector is partly a guess.
    modelled_place = net.modelled_places(len(places.code))
    modelled_pair = modelled_place[:n_s, None] | modelled_place[centre_places][None, :]
    modelled_pair &= np.arange(n_s)[:, None] != centre_places[None, :]

    s_idx, u_idx = np.nonzero(needed)
    sct = pd.DataFrame({
        "settlement_code": places.code[s_idx],
        "unit_code": places.unit[s_idx],
        "centre_unit_code": unit_codes[u_idx],
        "travel_time_min": times[s_idx, u_idx],
        "seasonal": seasonal[s_idx, u_idx],
        "via_modelled_connector": modelled_pair[s_idx, u_idx],
    }).sort_values(["settlement_code", "centre_unit_code"]).reset_index(drop=True)

    access, remoteness, assumed = _access_and_remoteness(
        dataset, places, net, times, seasonal, unit_codes, centre_places, full, transformer, raster, settings,
        roads is not None,
    )
    # Modelled times are estimates: label them the way the data contract labels estimates.
    is_estimate = kind != ROADS_KIND
    source = f"{ESTIMATE_PREFIX}{label}" if is_estimate else label
    sct["travel_time_is_estimate"] = is_estimate | sct["via_modelled_connector"].to_numpy(dtype=bool)
    for frame in (access, remoteness):
        frame["travel_time_source"] = source
        frame["travel_time_is_estimate"] = is_estimate
    geoms_m = np.array([shapely.transform(g, lambda c: _project(transformer, c[:, 0], c[:, 1]))
                        for g in dataset.units.geometry])
    pair_time = _pair_time_lookup(sct)

    def fastest(code: str) -> str | None:
        rows = sct[(sct["unit_code"] == code) & (sct["centre_unit_code"] != code)]
        rows = rows[np.isfinite(rows["travel_time_min"])]
        if rows.empty:
            return None
        best = rows.sort_values(["travel_time_min", "centre_unit_code"]).iloc[0]
        return str(best["centre_unit_code"])

    blocked_borders = [] if raster is None else borders_over_blocked_passes(
        unit_codes, geoms_m, _lowest_point(raster, transformer, settings.terrain_sample_m),
        tolerance_m=settings.boundary_tolerance_m, blocked_pass_m=settings.blocked_pass_m,
        min_border_m=settings.min_shared_border_m)
    adjacency, islands, enclaves = unit_adjacency(
        dataset.units, geoms_m, net.unit_links, pair_time, fastest,
        tolerance_m=settings.boundary_tolerance_m, min_border_m=settings.min_shared_border_m,
        approximate_link_max_min=settings.approximate_link_max_min, edits=edits,
        links_make_neighbours=roads is not None,
        blocked_borders={(a, b) for a, b, _low in blocked_borders},
    )
    reached = np.isfinite(times) & needed
    info = {
        **net.info,
        "pairs": {
            "needed": int(needed.sum()),
            "unreachable": int((needed & ~np.isfinite(times)).sum()),
            "via_modelled_connectors": int((reached & modelled_pair).sum()),
        },
        "dataset_build_id": dataset.build_id,
        "dataset_name": dataset.name,
        "elevation": raster.name if raster is not None else None,
        "islands": islands,
        "enclaves": enclaves,
        "borders_over_blocked_passes": [list(item) for item in blocked_borders],
        "raion_centres_assumed": assumed,
        "settings": settings.to_dict(),
        "adjacency_edits": str(adjacency_edits) if adjacency_edits is not None else None,
    }
    model = TravelModel(kind=kind, label=label, settlement_centre_times=sct, settlement_access=access,
                        unit_remoteness=remoteness, adjacency=adjacency[ADJACENCY_COLUMNS], info=info)
    summary = model.summary()
    logger.info("travel model %s: %d settlements reachable, %d unreachable", label,
                summary["settlements_reachable"], summary["settlements_unreachable"])
    return model


def _own_place_zero(times: np.ndarray, centre_places: np.ndarray) -> np.ndarray:
    """Time 0 from a settlement to the centre it is itself (its connector ends are two nodes)."""
    own = np.flatnonzero(centre_places < times.shape[0])
    times[centre_places[own], own] = 0.0
    return times


def _lowest_point(raster: ElevationRaster, transformer: Transformer, spacing_m: float) -> Callable[[object], float]:
    """``border line (projected) -> elevation of its lowest point`` sampled every ``spacing_m``."""

    def lowest(line: object) -> float:
        xy = shapely.get_coordinates(shapely.segmentize(line, spacing_m))
        if not len(xy):
            return -np.inf
        lon, lat = transformer.transform(xy[:, 0], xy[:, 1], direction="INVERSE")
        elevation = raster.sample(np.asarray(lon), np.asarray(lat))
        return float(np.nanmin(elevation)) if np.isfinite(elevation).any() else -np.inf

    return lowest


def _pair_time_lookup(sct: pd.DataFrame) -> Callable[[str, str], float]:
    best = sct.groupby(["unit_code", "centre_unit_code"])["travel_time_min"].min().to_dict()

    def pair_time(a: str, b: str) -> float:
        return float(min(best.get((a, b), np.inf), best.get((b, a), np.inf)))

    return pair_time


def _access_and_remoteness(
    dataset: Dataset, places: _Places, net: _Network, times: np.ndarray, seasonal: np.ndarray,
    unit_codes: np.ndarray, centre_places: np.ndarray, full: csr_matrix, transformer: Transformer,
    raster: ElevationRaster | None, settings: TravelSettings, roads: bool,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    n_s = places.n_settlements
    sett = dataset.settlements
    centres, assumed = _raion_centres(dataset)
    unit_pos = {c: i for i, c in enumerate(unit_codes)}
    rc_unit = np.array([centres[r] for r in places.raion[:n_s]], dtype=object)
    rc_idx = np.array([unit_pos[c] for c in rc_unit])
    rc_time = times[np.arange(n_s), rc_idx]
    rc_seasonal = seasonal[np.arange(n_s), rc_idx]
    towns = np.flatnonzero(dataset.units["level"].to_numpy() == "town")
    town_time, which = nearest_source_times(
        full, net.target_node[centre_places[towns]], net.origin_node[:n_s], limit_min=settings.search_limit_min
    )
    # A town's centre settlement is in its town (its origin and target nodes are distinct).
    for k, place in enumerate(centre_places[towns]):
        if place < n_s:
            town_time[place], which[place] = 0.0, k
    town_code = np.where(which >= 0, unit_codes[towns][np.maximum(which, 0)] if len(towns) else None, None)
    comp = component_labels(full)
    with_blocked = routable_graph(net.n_nodes, net.u, net.v, net.time_min)
    comp_blocked = component_labels(with_blocked)
    reasons = [
        _reason(i, places, net, int(centre_places[rc_idx[i]]), rc_unit[i], rc_time[i], comp, comp_blocked,
                settings, roads)
        for i in range(n_s)
    ]
    access = pd.DataFrame({
        "settlement_code": places.code[:n_s],
        "unit_code": places.unit[:n_s],
        "raion_centre_time_min": rc_time,
        "nearest_town_code": town_code,
        "nearest_town_time_min": town_time,
        "reachable": np.isfinite(rc_time),
        "unreachable_reason": reasons,
        "snap_distance_m": np.round(net.snap_distance_m[:n_s], 1),
        "connector_modelled": net.modelled_places(len(places.code))[:n_s],
        "raion_centre_unit_code": rc_unit,
        "seasonal": rc_seasonal,
    })
    # Remoteness per unit.
    if raster is not None:
        elev = raster.sample(places.lon[:n_s], places.lat[:n_s])
    else:
        elev = pd.to_numeric(sett["elevation_m"], errors="coerce").to_numpy(dtype=float)
    country = dataset.country.geometry.union_all()
    border = shapely.transform(country.boundary, lambda c: _project(transformer, c[:, 0], c[:, 1]))
    border_km = shapely.distance(shapely.points(places.xy[:n_s]), border) / 1000.0
    pop = pd.to_numeric(sett["population"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    frame = pd.DataFrame({"unit_code": places.unit[:n_s], "rc": rc_time, "town": town_time, "pop": pop,
                          "elev": elev, "border": border_km, "seasonal": rc_seasonal,
                          "unreach": ~np.isfinite(rc_time)})
    remoteness = pd.DataFrame({"unit_code": unit_codes})
    for name, col in (("raion_centre_time_min", "rc"), ("nearest_town_time_min", "town")):
        remoteness[f"{name}_mean"] = remoteness["unit_code"].map(_weighted_mean(frame, col))
        remoteness[f"{name}_max"] = remoteness["unit_code"].map(frame.groupby("unit_code")[col].max())
    grouped = frame.groupby("unit_code")
    fallback_elev = dataset.units.set_index("unit_code")["max_settlement_elevation_m"]
    elev_max = remoteness["unit_code"].map(grouped["elev"].max())
    remoteness["max_settlement_elevation_m"] = elev_max.fillna(
        pd.to_numeric(remoteness["unit_code"].map(fallback_elev), errors="coerce")
    ).astype(float)
    remoteness["seasonal_access"] = remoteness["unit_code"].map(grouped["seasonal"].any()).fillna(False).astype(bool)
    # A unit without settlements is measured from its centre point.
    centre_xy = places.xy[[places.unit_centre[c] for c in unit_codes]]
    centre_border = shapely.distance(shapely.points(centre_xy), border) / 1000.0
    border_min = remoteness["unit_code"].map(grouped["border"].min()).to_numpy(dtype=float)
    remoteness["border_distance_km"] = np.round(np.where(np.isnan(border_min), centre_border, border_min), 3)
    remoteness["unreachable_settlements"] = (
        remoteness["unit_code"].map(grouped["unreach"].sum()).fillna(0).astype(int)
    )
    return access, remoteness, assumed


def _weighted_mean(frame: pd.DataFrame, col: str) -> pd.Series:
    """Population-weighted mean of finite values per unit (plain mean if no one lives there)."""
    finite = np.isfinite(frame[col].to_numpy(dtype=float))
    sub = frame.loc[finite, ["unit_code", col, "pop"]].copy()
    sub["wx"] = sub[col] * sub["pop"]
    g = sub.groupby("unit_code")
    weighted = g["wx"].sum() / g["pop"].sum()
    plain = g[col].mean()
    mean: pd.Series = weighted.where(g["pop"].sum() > 0, plain)
    return mean
