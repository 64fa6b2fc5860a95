"""Benchmark of the network layer: the Kyrgyz travel model and a synthetic 500k-edge road graph.

Usage::

    PYTHONPATH=. python benchmarks/bench_network.py [--dataset kg.gpkg] [--shared ../shared]
        [--grid 510] [--sources 2000] [--candidates 500]

Part 1 builds the travel model of the Kyrgyz dataset (``--dataset`` GeoPackage, else
``build_kyrgyz_dataset`` on the shared open data when available, else the demo) with the
GEBCO elevation when present, and times the settlement -> candidate-centre matrices; it builds
the model a second time with ``pass_search="off"`` (passes decided on straight lines) to show
what the search for lower crossings on the grid costs and changes.
Part 2 builds a synthetic road network (a jittered grid of ways with shape points, mixed road
classes and one-way streets) through :func:`atr_model.network.edges_from_ways`, the function
the OSM importer uses, and times bulk shortest paths from ``--sources`` origins to
``--candidates`` centres, each origin needing the centres of its own and the neighbouring
tiles (``--tile-km``; 70 km squares are about the size of a Kyrgyz raion). Targets: part 1 <= 10 s,
part 2 <= 20 s and <= 4 GB peak.
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np

from atr_model.network import RoadWays, TravelSettings, build_travel_model, edges_from_ways
from atr_model.network.graph import needed_times, routable_graph

ROOT = Path(__file__).resolve().parents[1]


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _kyrgyz_dataset(args: argparse.Namespace):  # noqa: ANN202 - returns (Dataset, label)
    if args.dataset:
        from atr_model.data import read_dataset

        return read_dataset(args.dataset), f"file {Path(args.dataset).name}"
    source = Path(args.shared) / "kg-open-data"
    try:
        from atr_model.data import build_kyrgyz_dataset  # type: ignore[attr-defined]
    except ImportError:
        build_kyrgyz_dataset = None
    if build_kyrgyz_dataset is not None and source.exists():
        result = build_kyrgyz_dataset(source)
        dataset = result[0] if isinstance(result, tuple) else result
        return dataset, "kyrgyz open data"
    from atr_model.data.demo import make_demo_dataset

    return make_demo_dataset(), "demo (Kyrgyz build not available)"


def bench_kyrgyz(args: argparse.Namespace) -> dict:
    dataset, what = _kyrgyz_dataset(args)
    dem = Path(args.shared) / "kg-open-data" / "elevation" / "gebco2023_kgz_15arcsec.tif"
    elevation = dem if dem.exists() and what != "demo (Kyrgyz build not available)" else None
    # the same build with straight lines deciding the passes (first, so that it also bears the
    # warm-up): what the search for lower crossings costs
    start = time.perf_counter()
    straight = build_travel_model(dataset, elevation=elevation, settings=TravelSettings(pass_search="off"))
    total_straight = time.perf_counter() - start
    unreachable_straight = straight.summary()["settlements_unreachable"]
    start = time.perf_counter()
    tm = build_travel_model(dataset, elevation=elevation)
    total = time.perf_counter() - start
    summary = tm.summary()
    print(f"kyrgyz ({what}): {len(dataset.settlements)} settlements, {len(dataset.units)} units, "
          f"{len(tm.settlement_centre_times)} settlement-centre pairs, travel model {total:.2f} s "
          f"(elevation: {elevation.name if elevation else 'none'}), reachable {summary['settlements_reachable']}, "
          f"unreachable {summary['settlements_unreachable']}; links going round a crest "
          f"{tm.info.get('detour_links')}, blocked {tm.info.get('blocked_links')}, seasonal {tm.info.get('seasonal_links')} "
          f"(straight lines only: {total_straight:.2f} s, unreachable {unreachable_straight}, "
          f"blocked {straight.info.get('blocked_links')}, seasonal {straight.info.get('seasonal_links')})")
    return {"dataset": what, "settlements": len(dataset.settlements), "units": len(dataset.units),
            "pairs": len(tm.settlement_centre_times), "travel_model_s": round(total, 3),
            "travel_model_straight_passes_s": round(total_straight, 3),
            "detour_links": tm.info.get("detour_links"), "blocked_links": tm.info.get("blocked_links"),
            "blocked_links_straight": straight.info.get("blocked_links"),
            "unreachable": summary["settlements_unreachable"],
            "unreachable_straight": unreachable_straight,
            "target_s": 10.0, "ok": total <= 10.0}


def synthetic_ways(grid: int, seed: int = 0) -> RoadWays:
    """A jittered grid of east-west and north-south ways over a Kyrgyzstan-sized box.

    Every grid point is an intersection; each segment gets one shape point in the middle.
    """
    rng = np.random.default_rng(seed)
    lon0, lat0, lon1, lat1 = 69.3, 39.2, 80.3, 43.3
    gx = np.linspace(lon0, lon1, grid)
    gy = np.linspace(lat0, lat1, grid)
    lon = gx[None, :] + rng.normal(0, 0.002, (grid, grid))
    lat = gy[:, None] + rng.normal(0, 0.002, (grid, grid))
    ids = np.arange(grid * grid).reshape(grid, grid)

    def with_shape_points(node_ids: np.ndarray, xs: np.ndarray, ys: np.ndarray, first_shape: int):
        n = len(node_ids)
        key = np.empty(2 * n - 1, dtype=np.int64)
        key[0::2] = node_ids
        key[1::2] = first_shape + np.arange(n - 1)
        x = np.empty(2 * n - 1)
        y = np.empty(2 * n - 1)
        x[0::2], y[0::2] = xs, ys
        x[1::2], y[1::2] = (xs[:-1] + xs[1:]) / 2, (ys[:-1] + ys[1:]) / 2
        return key, x, y

    keys, xs, ys, offsets = [], [], [], [0]
    next_shape = grid * grid
    lines = [(ids[r], lon[r], lat[r]) for r in range(grid)] + [(ids[:, c], lon[:, c], lat[:, c]) for c in range(grid)]
    for node_ids, x, y in lines:
        k, px, py = with_shape_points(node_ids, x, y, next_shape)
        next_shape += len(node_ids) - 1
        keys.append(k)
        xs.append(px)
        ys.append(py)
        offsets.append(offsets[-1] + len(k))
    n_ways = len(lines)
    classes = np.array(["primary", "secondary", "tertiary", "unclassified", "track"], dtype=object)
    road_class = classes[rng.integers(0, len(classes), n_ways)]
    speeds = TravelSettings().speeds_kmh
    oneway = np.where(rng.random(n_ways) < 0.05, 1, 0).astype(np.int8)
    return RoadWays(
        node_key=np.concatenate(keys), lon=np.concatenate(xs), lat=np.concatenate(ys),
        offsets=np.asarray(offsets, dtype=np.int64), road_class=road_class,
        speed_kmh=np.array([speeds[c] for c in road_class]), oneway=oneway,
        seasonal=np.zeros(n_ways, dtype=bool), source="synthetic",
    )


def write_synthetic_pbf(ways: RoadWays, path: Path) -> Path:
    """Write synthetic ways as an OSM PBF with pyosmium (to time the real importer)."""
    import osmium

    node_ids = ways.node_key + 1  # OSM ids start at 1
    order = np.unique(node_ids, return_index=True)[1]
    with osmium.SimpleWriter(str(path)) as writer:
        for i in order:
            writer.add_node(osmium.osm.mutable.Node(id=int(node_ids[i]), location=(float(ways.lon[i]), float(ways.lat[i])),
                                                    version=1))
        for w in range(ways.n_ways):
            refs = node_ids[ways.offsets[w]:ways.offsets[w + 1]].tolist()
            tags = {"highway": str(ways.road_class[w])}
            if ways.oneway[w] == 1:
                tags["oneway"] = "yes"
            writer.add_way(osmium.osm.mutable.Way(id=w + 1, nodes=refs, tags=tags, version=1))
    return path


def bench_pbf(args: argparse.Namespace) -> dict:
    import tempfile

    from atr_model.network import load_road_graph

    ways = synthetic_ways(args.grid)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        path = write_synthetic_pbf(ways, Path(tmp) / "synthetic.osm.pbf")
        t_write = time.perf_counter() - start
        size_mb = path.stat().st_size / 1e6
        start = time.perf_counter()
        road = load_road_graph(path)
        t_read = time.perf_counter() - start
    print(f"pbf: wrote {size_mb:.1f} MB in {t_write:.2f} s; pyosmium import + graph {t_read:.2f} s "
          f"-> {road.n_nodes} nodes, {len(road.edge_u)} edges")
    return {"pbf_mb": round(size_mb, 2), "write_s": round(t_write, 3), "import_s": round(t_read, 3),
            "nodes": int(road.n_nodes), "edges": int(len(road.edge_u))}


def bench_synthetic(args: argparse.Namespace) -> dict:
    start = time.perf_counter()
    ways = synthetic_ways(args.grid)
    t_ways = time.perf_counter() - start
    start = time.perf_counter()
    road = edges_from_ways(ways)
    graph = routable_graph(road.n_nodes, road.u, road.v, road.time_min)
    t_graph = time.perf_counter() - start
    rng = np.random.default_rng(1)
    origins = rng.choice(road.n_nodes, args.sources, replace=False)
    targets = rng.choice(road.n_nodes, args.candidates, replace=False)
    # Candidates are local, as in the model: the centres of the origin's "raion" (one of
    # blocks x blocks tiles of the box) and of the neighbouring tiles.
    def tile(nodes: np.ndarray) -> np.ndarray:
        km_x = (road.node_lon[nodes] - road.node_lon.min()) * 111.32 * np.cos(np.radians(41.0))
        km_y = (road.node_lat[nodes] - road.node_lat.min()) * 111.0
        return np.column_stack([km_x // args.tile_km, km_y // args.tile_km]).astype(int)

    to, tt = tile(origins), tile(targets)
    needed = (np.abs(to[:, None, :] - tt[None, :, :]).max(axis=2) <= 1)
    settings = TravelSettings()
    start = time.perf_counter()
    cpu = _cpu_s()
    times = needed_times(graph, origins, targets, needed, limit_min=settings.search_limit_min,
                         first_limit_min=settings.first_search_min, memory_budget_mb=settings.memory_budget_mb)
    t_paths = time.perf_counter() - start
    cpu_paths = _cpu_s() - cpu
    complete = bool(np.isfinite(times[needed]).all())
    edges = len(road.edge_u)
    print(f"synthetic: {len(ways.node_key)} vertices, {ways.n_ways} ways -> {road.n_nodes} nodes, {edges} edges, "
          f"{len(road.u)} arcs; ways {t_ways:.2f} s, graph {t_graph:.2f} s, {args.sources} x {args.candidates} "
          f"candidate times {t_paths:.2f} s wall / {cpu_paths:.2f} s CPU ({int(needed.sum())} needed pairs, "
          f"{args.tile_km:g} km tiles, "
          f"all needed pairs reached: {complete})")
    return {"vertices": int(len(ways.node_key)), "nodes": int(road.n_nodes), "edges": int(edges),
            "arcs": int(len(road.u)), "graph_s": round(t_graph, 3), "paths_s": round(t_paths, 3),
            "paths_cpu_s": round(cpu_paths, 3),
            "sources": args.sources, "candidates": args.candidates, "needed_pairs": int(needed.sum()),
            "needed_reached": complete, "target_s": 20.0,
            "ok": t_paths <= 20.0 and edges >= 500_000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", help="prebuilt dataset GeoPackage (skips the Kyrgyz build)")
    parser.add_argument("--shared", default=str(ROOT.parent / "shared"), help="shared data directory")
    parser.add_argument("--grid", type=int, default=510, help="grid size (510 gives about 520k edges)")
    parser.add_argument("--sources", type=int, default=2000)
    parser.add_argument("--candidates", type=int, default=500)
    parser.add_argument("--tile-km", type=float, default=70.0, help="size of the square tiles standing in for raions")
    parser.add_argument("--skip-kyrgyz", action="store_true")
    parser.add_argument("--pbf", action="store_true", help="also write the synthetic grid as PBF and import it")
    args = parser.parse_args()
    result = {"benchmark": "network"}
    if not args.skip_kyrgyz:
        result["kyrgyz"] = bench_kyrgyz(args)
    result["synthetic"] = bench_synthetic(args)
    if args.pbf:
        result["pbf"] = bench_pbf(args)
    result["peak_rss_mb"] = round(_peak_rss_mb(), 1)
    result["memory_ok"] = result["peak_rss_mb"] <= 4096
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
