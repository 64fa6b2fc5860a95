"""A tiny hand-made territory (3 x 4 grid of units in two raions) for map and app tests.

Clearly fictional ("Grid Republic"); the shipped demo territory (atr_model.data.demo) is used
where a realistic size matters.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from atr_model.data.dataset import Dataset

CRS = "EPSG:4326"


def make_grid_dataset(rows: int = 3, cols: int = 4, cell_deg: float = 0.1) -> Dataset:
    units, settlements = [], []
    for r in range(rows):
        for c in range(cols):
            k = r * cols + c
            raion = "G-01" if c < cols // 2 else "G-02"
            code = f"GRID-{k:02d}"
            x0, y0 = 74.0 + c * cell_deg, 41.0 + r * cell_deg
            poly = shapely.box(x0, y0, x0 + cell_deg, y0 + cell_deg)
            population = 1500.0 + 900.0 * ((k * 7) % 9)
            est = k % 5 == 0
            cx, cy = x0 + cell_deg / 2, y0 + cell_deg / 2
            units.append({
                "unit_code": code, "name_ru": f"Грид-{k}", "name_ky": f"Грид-{k} а.а.", "name_en": f"Grid-{k}",
                "level": "aiyl_aimak", "raion_code": raion, "oblast_code": "G",
                "population": population, "population_year": 2024,
                "population_source": "estimate: test" if est else "test", "population_is_estimate": est,
                "centre_lon": cx, "centre_lat": cy, "centre_source": "test",
                "centre_settlement_code": f"{code}-1", "geometry_source": "official",
                "area_km2": 90.0, "centre_elevation_m": 1000.0 + 100 * r,
                "max_settlement_elevation_m": 1100.0 + 100 * r, "border_distance_km": 5.0 + 10 * c,
                "geometry": poly,
            })
            for s, (dx, dy, share) in enumerate(((0, 0, 0.7), (0.03, 0.02, 0.3)), start=1):
                settlements.append({
                    "settlement_code": f"{code}-{s}", "name_ru": f"Село {k}.{s}", "name_ky": f"Айыл {k}.{s}",
                    "name_en": f"Village {k}.{s}", "unit_code": code, "raion_code": raion, "oblast_code": "G",
                    "population": population * share, "population_source": "test",
                    "population_is_estimate": est, "elevation_m": 1000.0, "location_method": "test",
                    "is_located": s == 1, "is_unit_centre": s == 1, "geometry": shapely.Point(cx + dx, cy + dy),
                })
    units_gdf = gpd.GeoDataFrame(units, crs=CRS)
    raions = units_gdf.dissolve(by="raion_code", as_index=False)[["raion_code", "geometry"]]
    raions["name_ru"] = ["Район 1", "Район 2"]
    raions["name_en"] = ["Raion 1", "Raion 2"]
    raions["kind"] = "raion"
    raions["oblast_code"] = "G"
    raions["population"] = units_gdf.groupby("raion_code")["population"].sum().to_numpy()
    raions["population_source"] = "test"
    raions["centre_unit_code"] = ["GRID-00", "GRID-03"]
    raions["centre_source"] = "test"
    oblasts = gpd.GeoDataFrame({"oblast_code": ["G"], "name_ru": ["Грид"], "name_en": ["Grid"]},
                               geometry=[units_gdf.union_all()], crs=CRS)
    country = gpd.GeoDataFrame({"name_en": ["Grid Republic (fictional)"]}, geometry=[units_gdf.union_all()], crs=CRS)
    indicators = pd.DataFrame({"unit_code": units_gdf["unit_code"], "indicator": "own_revenue_som",
                               "value": 1000.0, "source": "test"})
    return Dataset(units=units_gdf, settlements=gpd.GeoDataFrame(settlements, crs=CRS), raions=raions,
                   oblasts=oblasts, country=country, indicators=indicators,
                   metadata={"build_id": "grid-test", "kind": "demo", "name": "Grid Republic (fictional)"}).validate()
