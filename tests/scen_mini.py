"""A hand-made mini territory and travel model for the criteria/scenario tests.

Raion R1: units A (2 villages), B (1 village), T (a town); raion R2: units C, D (1 village each).
Travel times are set by hand so that costs can be checked by arithmetic.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point, box

from atr_model.data.dataset import Dataset
from atr_model.network import MODELLED_KIND, TravelModel

CRS = "EPSG:4326"

# unit: (raion, level, population, x0, centre elevation, max elevation, border km)
UNITS = {
    "A": ("R1", "aiyl_aimak", 3000.0, 0, 1200.0, 1300.0, 40.0),
    "B": ("R1", "aiyl_aimak", 2000.0, 1, 2450.0, 2500.0, 30.0),
    "T": ("R1", "town", 9000.0, 2, 900.0, 900.0, 3.2),
    "C": ("R2", "aiyl_aimak", 4000.0, 3, 1500.0, 1500.0, 50.0),
    "D": ("R2", "aiyl_aimak", 1000.0, 4, 1600.0, 1700.0, 60.0),
}
# settlement: (unit, population, is_centre)
SETTLEMENTS = {
    "A1": ("A", 2000.0, True),
    "A2": ("A", 1000.0, False),
    "B1": ("B", 2000.0, True),
    "T1": ("T", 9000.0, True),
    "C1": ("C", 4000.0, True),
    "D1": ("D", 1000.0, True),
}
# (settlement, centre unit) -> minutes; missing pairs are not candidates
TIMES = {
    ("A1", "A"): 0.0, ("A2", "A"): 20.0, ("A1", "B"): 30.0, ("A2", "B"): 40.0, ("A1", "T"): 25.0, ("A2", "T"): 35.0,
    ("B1", "B"): 0.0, ("B1", "A"): 30.0, ("B1", "T"): 15.0,
    ("T1", "T"): 0.0, ("T1", "A"): 25.0, ("T1", "B"): 15.0, ("T1", "C"): 50.0,
    ("C1", "C"): 0.0, ("C1", "D"): 45.0, ("C1", "T"): 50.0,
    ("D1", "D"): 0.0, ("D1", "C"): 45.0,
}


def mini_dataset() -> Dataset:
    rows = []
    for code, (raion, level, pop, x0, ce, me, bkm) in UNITS.items():
        rows.append({
            "unit_code": code, "name_ru": f"Unit {code}", "name_en": f"Unit {code}", "level": level,
            "raion_code": raion, "oblast_code": "O1", "population": pop, "population_year": 2024,
            "population_source": "test" if code != "D" else "estimate: test split",
            "population_is_estimate": code == "D", "centre_lon": x0 * 0.1 + 0.05, "centre_lat": 0.05,
            "centre_source": "test", "centre_settlement_code": f"{code}1", "geometry_source": "official",
            "area_km2": 100.0, "centre_elevation_m": ce, "max_settlement_elevation_m": me,
            "border_distance_km": bkm, "geometry": box(x0 * 0.1, 0.0, x0 * 0.1 + 0.1, 0.1),
        })
    units = gpd.GeoDataFrame(rows, crs=CRS)
    srows = []
    for code, (unit, pop, centre) in SETTLEMENTS.items():
        x0 = UNITS[unit][3]
        srows.append({
            "settlement_code": code, "name_ru": code, "unit_code": unit, "raion_code": UNITS[unit][0],
            "oblast_code": "O1", "population": pop, "population_source": "test",
            "population_is_estimate": False, "elevation_m": 1000.0, "location_method": "test",
            "is_located": code != "A2", "is_unit_centre": centre,
            "geometry": Point(x0 * 0.1 + 0.05, 0.05 if centre else 0.02),
        })
    settlements = gpd.GeoDataFrame(srows, crs=CRS)
    raions = gpd.GeoDataFrame(
        [
            {"raion_code": "R1", "name_ru": "R1", "kind": "raion", "oblast_code": "O1", "population": 14000.0,
             "population_source": "test", "centre_unit_code": "T", "centre_source": "test",
             "geometry": box(0.0, 0.0, 0.3, 0.1)},
            {"raion_code": "R2", "name_ru": "R2", "kind": "raion", "oblast_code": "O1", "population": 5000.0,
             "population_source": "test", "centre_unit_code": "C", "centre_source": "test",
             "geometry": box(0.3, 0.0, 0.5, 0.1)},
        ],
        crs=CRS,
    )
    oblasts = gpd.GeoDataFrame([{"oblast_code": "O1", "name_ru": "O1", "geometry": box(0, 0, 0.5, 0.1)}], crs=CRS)
    country = gpd.GeoDataFrame([{"name_en": "Mini", "geometry": box(0, 0, 0.5, 0.1)}], crs=CRS)
    indicators = pd.DataFrame(
        [{"unit_code": c, "indicator": "own_revenue_som", "value": v, "source": "test"}
         for c, v in {"A": 10.0, "B": 5.0, "T": 50.0, "C": 20.0}.items()]
    )
    return Dataset(units, settlements, raions, oblasts, country, indicators,
                   {"build_id": "mini", "kind": "test", "name": "mini"}).validate()


def mini_travel_model(barrier_bc: bool = False) -> TravelModel:
    unit_of = {s: v[0] for s, v in SETTLEMENTS.items()}
    times = pd.DataFrame(
        [{"settlement_code": s, "unit_code": unit_of[s], "centre_unit_code": c, "travel_time_min": t, "seasonal": False}
         for (s, c), t in TIMES.items()]
    )
    remoteness = pd.DataFrame(
        [
            {"unit_code": "A", "raion_centre_time_min_mean": 28.3, "raion_centre_time_min_max": 35.0, "seasonal_access": False},
            {"unit_code": "B", "raion_centre_time_min_mean": 15.0, "raion_centre_time_min_max": 15.0, "seasonal_access": False},
            {"unit_code": "T", "raion_centre_time_min_mean": 0.0, "raion_centre_time_min_max": 0.0, "seasonal_access": False},
            {"unit_code": "C", "raion_centre_time_min_mean": 0.0, "raion_centre_time_min_max": 0.0, "seasonal_access": False},
            {"unit_code": "D", "raion_centre_time_min_mean": 145.0, "raion_centre_time_min_max": 145.0, "seasonal_access": True},
        ]
    )
    adjacency = pd.DataFrame(
        [
            {"unit_a": "A", "unit_b": "B", "kind": "shared_boundary", "barrier": False, "shared_boundary_km": 11.0},
            {"unit_a": "B", "unit_b": "T", "kind": "shared_boundary", "barrier": False, "shared_boundary_km": 11.0},
            {"unit_a": "C", "unit_b": "T", "kind": "shared_boundary", "barrier": False, "shared_boundary_km": 11.0},
            {"unit_a": "C", "unit_b": "D", "kind": "shared_boundary", "barrier": barrier_bc, "shared_boundary_km": 11.0},
        ]
    )
    return TravelModel(kind=MODELLED_KIND, label="modelled: test", settlement_centre_times=times,
                       unit_remoteness=remoteness, adjacency=adjacency, settlement_access=pd.DataFrame())


def cost_by_hand(unit: str, centre: str) -> float:
    """sum over settlements of the unit of population x minutes to the centre."""
    total = 0.0
    for s, (u, pop, _) in SETTLEMENTS.items():
        if u == unit:
            t = TIMES.get((s, centre))
            if t is None:
                return np.inf
            total += pop * t
    return total
