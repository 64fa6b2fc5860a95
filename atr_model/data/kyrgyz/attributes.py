"""Kyrgyz build, stage 6: derived unit attributes.

Area of each territory (equal-area projection), elevation of the settlements and unit centres
(GEBCO grid), the highest settlement of each unit, the distance to the state border, the
Kyrgyz and English names, and the country outline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from atr_model.data.checks import border_distance_km
from atr_model.data.contract import CRS
from atr_model.data.files import reading
from atr_model.data.geo import equal_area_crs, metric_crs
from atr_model.data.loaders import sample_elevation

__all__ = ["add_elevation", "add_names", "add_territories", "border_distance", "country_layer"]


def add_territories(
    units: pd.DataFrame, geoms_m: dict[str, Any], sources: dict[str, str],
) -> gpd.GeoDataFrame:
    """Units with their territory (EPSG:4326), ``geometry_source`` and ``area_km2``."""
    out = units.copy()
    unit_geoms = gpd.GeoSeries([geoms_m[c] for c in out["unit_code"]], crs=metric_crs())
    out["geometry_source"] = [sources[c] for c in out["unit_code"]]
    out["area_km2"] = (unit_geoms.to_crs(equal_area_crs()).area / 1e6).round(3).to_numpy()
    unit_geoms_ll = unit_geoms.to_crs(CRS).make_valid()
    parts_m = shapely.get_num_geometries(unit_geoms.to_numpy())
    fixed = [_drop_specks(g, int(n)) for g, n in zip(unit_geoms_ll.to_numpy(), parts_m)]
    return gpd.GeoDataFrame(out, geometry=fixed, crs=CRS)


#: Largest piece (square degrees, about 100 m2) that reprojection may split off a polygon: a
#: border pinched to a hair in metres can cross itself after rounding in degrees, and
#: ``make_valid`` then cuts off a speck. Such specks are dropped.
_SPECK_DEG2 = 1e-8


def _drop_specks(geom: Any, parts_before: int) -> Any:
    """``geom`` without the specks reprojection split off (when it has more pieces than before)."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    if geom.geom_type not in ("Polygon", "MultiPolygon"):  # make_valid may add lines
        geom = shapely.union_all(parts)
        parts = list(shapely.get_parts(geom))
    if len(parts) <= parts_before:
        return geom
    kept = [p for p in parts if p.area > _SPECK_DEG2]
    return shapely.union_all(kept) if kept else geom


def add_elevation(units: gpd.GeoDataFrame, settlements: gpd.GeoDataFrame, elevation_path: Path) -> None:
    """Sample ``elevation_m`` of settlements, ``centre_elevation_m`` and the highest settlement (in place)."""
    settlements["elevation_m"] = sample_elevation(elevation_path, settlements["lon"], settlements["lat"])
    units["centre_elevation_m"] = sample_elevation(elevation_path, units["centre_lon"], units["centre_lat"])
    max_elev = settlements.groupby("unit_code")["elevation_m"].max()
    units["max_settlement_elevation_m"] = units["unit_code"].map(max_elev)


def border_distance(units: pd.DataFrame, settlements: gpd.GeoDataFrame, country_path: Path) -> np.ndarray:
    """Distance (km) to the state border of each unit's nearest located settlement or centre."""
    with reading(country_path, "country outline"):
        country = gpd.read_file(country_path, engine="pyogrio").to_crs(CRS)
    return border_distance_km(units, settlements, country, metric_crs())


def add_names(units: gpd.GeoDataFrame, raions: gpd.GeoDataFrame, unit_names: pd.DataFrame) -> None:
    """Kyrgyz and English names from the unit points (in place).

    Cities take their names from the raion-level entry (OCHA adm2) when the unit points lack one.
    """
    city_names = raions.loc[raions["kind"] == "city"].set_index("raion_code")
    for code in ("name_ky", "name_en"):
        own = units["unit_code"].map(unit_names[code])
        fallback = units["raion_code"].map(city_names[code]).where(units["is_city_itself"])
        units[code] = own.fillna(fallback).astype(object)


def country_layer(country_path: Path) -> gpd.GeoDataFrame:
    """The national outline as one row."""
    with reading(country_path, "country outline"):
        country = gpd.read_file(country_path, engine="pyogrio").to_crs(CRS)
    return gpd.GeoDataFrame(
        {"name_en": ["Kyrgyz Republic"]}, geometry=[shapely.union_all(country.geometry.values)], crs=CRS)
