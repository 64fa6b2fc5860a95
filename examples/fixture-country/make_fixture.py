"""Generate the fixture country "Fixturia (fictional)": invented data in OCHA COD-AB format.

Every name, boundary and figure here is made up by this script (seeded, so the files are the
same on every run); nothing describes a real place. The territory lies in an empty stretch of
the North Atlantic (about 24 W, 44 N) so that nobody mistakes it for one.

Writes, next to this script:

* ``units.geojson``: 40 communes (COD-AB level 3: ``ADM3_PCODE``, ``ADM3_EN``, ``ADM3_TYPE``,
  ``ADM2_PCODE``, ``ADM2_EN``, ``ADM1_PCODE``, ``ADM1_EN``, ``ADM0_PCODE``, ``ADM0_EN``) in
  4 districts of 2 counties;
* ``settlements.geojson``: villages (``code``, ``name``, ``population`` (some left empty),
  ``is_seat``); two communes have none, so their centre is a representative point;
* ``population.csv``: ``ADM3_PCODE,ADM3_EN,population,year``;
* ``roads.geojson``: a tiny invented road network (``highway`` tags) joining the villages.

Run: ``python examples/fixture-country/make_fixture.py``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString, MultiPoint, Point, Polygon

HERE = Path(__file__).resolve().parent
SEED = 2026
LON0, LAT0 = -24.0, 44.0
KM_PER_DEG_LAT = 111.0
KM_PER_DEG_LON = 111.32 * float(np.cos(np.radians(LAT0 + 0.25)))
WIDTH_KM, HEIGHT_KM = 60.0, 48.0

SYLLABLES_A = ["Vel", "Mor", "Tal", "Ost", "Bren", "Lun", "Kav", "Sel", "Dar", "Fen", "Gil", "Hav"]
SYLLABLES_B = ["ora", "ind", "ast", "ubo", "ellen", "ivar", "osk", "ana", "urm", "edo", "itz", "aly"]
DISTRICTS = [  # code, name, county, seed position (0..1)
    ("FX0101", "Velora District", "FX01", (0.25, 0.72)),
    ("FX0102", "Ostmarin District", "FX01", (0.22, 0.25)),
    ("FX0201", "Lundaly District", "FX02", (0.75, 0.75)),
    ("FX0202", "Kavendo District", "FX02", (0.78, 0.28)),
]
COUNTIES = {"FX01": "West County", "FX02": "East County"}
UNITS_PER_DISTRICT = 10
EMPTY_UNITS = ("FX0102007", "FX0202004")  # communes without a settlement point


def to_lonlat(geom: shapely.Geometry) -> shapely.Geometry:
    def f(xy: np.ndarray) -> np.ndarray:
        out = np.empty_like(xy)
        out[:, 0] = LON0 + xy[:, 0] / KM_PER_DEG_LON
        out[:, 1] = LAT0 + xy[:, 1] / KM_PER_DEG_LAT
        return np.round(out, 6)

    return shapely.transform(geom, f)


def outline_km() -> Polygon:
    t = np.linspace(0.0, 1.0, 9)[:-1]
    ring = ([(x * WIDTH_KM, 1.5 * np.sin(6 * x)) for x in t]
            + [(WIDTH_KM + 1.5 * np.sin(5 * y), y * HEIGHT_KM) for y in t]
            + [((1 - x) * WIDTH_KM, HEIGHT_KM + 1.5 * np.sin(4 * x)) for x in t]
            + [(1.5 * np.sin(7 * y), (1 - y) * HEIGHT_KM) for y in t])
    return Polygon(ring).buffer(0)


def cells(points: np.ndarray, clip: shapely.Geometry) -> list[shapely.Geometry]:
    diagram = shapely.voronoi_polygons(MultiPoint([tuple(p) for p in points]), extend_to=clip, ordered=True)
    return [largest(cell.intersection(clip)) for cell in diagram.geoms]


def largest(geom: shapely.Geometry) -> Polygon:
    if isinstance(geom, Polygon):
        return geom
    return max((g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon)), key=lambda g: g.area)


def sample(rng: np.random.Generator, area: shapely.Geometry, count: int, spacing: float) -> list[tuple[float, float]]:
    minx, miny, maxx, maxy = area.bounds
    chosen: list[tuple[float, float]] = []
    while len(chosen) < count:
        x, y = float(rng.uniform(minx, maxx)), float(rng.uniform(miny, maxy))
        if area.contains(Point(x, y)) and all(np.hypot(x - a, y - b) >= spacing for a, b in chosen):
            chosen.append((x, y))
    return chosen


def main() -> None:
    rng = np.random.default_rng(SEED)
    names = [a + b for a in SYLLABLES_A for b in SYLLABLES_B]
    rng.shuffle(names)
    name_iter = iter(names)
    country = outline_km()
    seeds = np.array([[s[0] * WIDTH_KM, s[1] * HEIGHT_KM] for *_, s in DISTRICTS])
    district_geoms = cells(seeds, country)
    units, unit_geoms, villages, village_points, population = [], [], [], [], []
    for (dcode, dname, county, _), dgeom in zip(DISTRICTS, district_geoms):
        centres = np.array(sample(rng, dgeom.buffer(-1.5), UNITS_PER_DISTRICT, 4.0))
        for k, (centre, cell) in enumerate(zip(centres, cells(centres, dgeom)), start=1):
            code = f"{dcode}{k:03d}"
            is_town = k == 1
            uname = next(name_iter)
            units.append({"ADM3_PCODE": code, "ADM3_EN": uname, "ADM3_TYPE": "town" if is_town else "commune",
                          "ADM2_PCODE": dcode, "ADM2_EN": dname, "ADM1_PCODE": county, "ADM1_EN": COUNTIES[county],
                          "ADM0_PCODE": "FX", "ADM0_EN": "Fixturia (fictional)"})
            unit_geoms.append(to_lonlat(cell))
            pop = int(round(rng.uniform(18_000, 26_000), -1)) if is_town else int(round(rng.lognormal(np.log(1800), 0.6)))
            population.append({"ADM3_PCODE": code, "ADM3_EN": uname, "population": pop, "year": 2025})
            if code in EMPTY_UNITS:
                continue
            n = 1 if is_town else int(rng.integers(1, 5))
            points = [tuple(centre), *sample(rng, cell.buffer(-0.4), n - 1, 1.2)] if n > 1 else [tuple(centre)]
            figures = np.round(rng.dirichlet(np.ones(n) * 2.0) * pop).astype(int)
            figures[0] = pop - figures[1:].sum()  # the villages add up to the commune
            for j, ((x, y), figure) in enumerate(zip(points, figures), start=1):
                blank = (not is_town) and j == 2 and k % 3 == 0  # some villages without a figure
                villages.append({"code": f"{code}-{j:02d}", "name": uname if j == 1 else next(name_iter),
                                 "population": None if blank else int(figure),
                                 "is_seat": "yes" if (j == 1 and is_town) else ""})
                village_points.append(to_lonlat(Point(x, y)))
    opts = {"engine": "pyogrio", "driver": "GeoJSON", "layer_options": {"COORDINATE_PRECISION": 6, "RFC7946": "YES"}}
    gpd.GeoDataFrame(units, geometry=unit_geoms, crs="EPSG:4326").to_file(HERE / "units.geojson", **opts)
    gpd.GeoDataFrame(villages, geometry=village_points, crs="EPSG:4326").to_file(HERE / "settlements.geojson", **opts)
    with (HERE / "population.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["ADM3_PCODE", "ADM3_EN", "population", "year"])
        writer.writeheader()
        writer.writerows(population)
    roads = road_lines(village_points, villages)
    gpd.GeoDataFrame([{"highway": h} for h, _ in roads], geometry=[g for _, g in roads], crs="EPSG:4326").to_file(
        HERE / "roads.geojson", **opts)


def road_lines(points: list[Point], villages: list[dict]) -> list[tuple[str, LineString]]:
    """Each village to its commune's first village; first villages joined along a nearest-neighbour tree."""
    xy = np.array([[p.x, p.y] for p in points])
    first = {v["code"][:-3]: i for i, v in enumerate(villages) if v["code"].endswith("-01")}
    lines = [("unclassified", LineString([xy[first[v["code"][:-3]]], xy[i]]))
             for i, v in enumerate(villages) if not v["code"].endswith("-01")]
    hubs = sorted(first.values())
    joined = [hubs[0]]
    rest = hubs[1:]
    while rest:  # Prim's tree over the commune seats: every seat reachable, no cycle
        d = np.hypot(*(xy[rest][:, None, :] - xy[joined][None, :, :]).transpose(2, 0, 1))
        r, j = np.unravel_index(int(np.argmin(d)), d.shape)
        lines.append(("secondary", LineString([xy[joined[j]], xy[rest[r]]])))
        joined.append(rest.pop(r))
    return lines


if __name__ == "__main__":
    main()
