"""Kyrgyz build, stage 1: the administrative tree.

The COATE classifier gives oblasts > raions and cities > aiyl aimaks and towns > villages;
the raions take their polygons from OCHA (by P-code) and the oblasts from Who's On First (by
Russian name). Bishkek and Osh are oblast-level cities: each is its own "raion" and its own
town unit. Every city of oblast significance is also one town unit of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import pandas as pd

from atr_model.data.contract import CRS
from atr_model.data.csv_input import read_text_csv
from atr_model.data.files import reading
from atr_model.data.loaders import coate_to_pcode, read_admin_layer, read_coate
from atr_model.data.names import strict_key
from atr_model.errors import DataError

__all__ = ["AdminTree", "BISHKEK", "OSH", "OSH_CITY_ROW", "build_tree", "read_tree"]

#: COATE codes of the two oblast-level cities.
BISHKEK = "41711000000000"
OSH = "41721000000000"
#: COATE row of Osh city itself ("город Ош"), kept as the code of its town unit.
OSH_CITY_ROW = "41700000000021"


@dataclass(frozen=True)
class AdminTree:
    """Oblasts and raions (with geometry), units and villages (without geometry)."""

    oblasts: gpd.GeoDataFrame
    raions: gpd.GeoDataFrame
    units: pd.DataFrame
    villages: pd.DataFrame


def read_tree(paths: dict[str, Path]) -> AdminTree:
    """Read the COATE table, the raion and the region polygons and build the tree."""
    coate = read_coate(paths["coate"])
    adm2 = read_admin_layer(paths["raions"], 2)
    with reading(paths["regions"], "region polygons"):
        regions = gpd.read_file(paths["regions"], engine="pyogrio").to_crs(CRS)
    return build_tree(coate, adm2, regions)


def build_tree(coate: pd.DataFrame, adm2: gpd.GeoDataFrame, regions: gpd.GeoDataFrame) -> AdminTree:
    """Oblasts, raions (with geometry), units and villages (without geometry)."""
    oblasts = _oblasts(coate, regions)
    raions = _raions(coate, adm2, oblasts)
    units = _units(coate, raions)
    return AdminTree(oblasts, raions, units, _villages(coate, units))


#: Kyrgyz names of the oblasts and the two cities of republican status (the open data names them in
#: Russian only): written for this project, so Kyrgyz pages and maps name them in Kyrgyz.
OBLAST_NAMES_KY_FILE = Path(__file__).resolve().parents[1] / "reference" / "oblast_names_ky.csv"


def _oblast_names_ky() -> dict[str, str]:
    table = read_text_csv(OBLAST_NAMES_KY_FILE, ("oblast_code", "name_ky"), what="Kyrgyz oblast names")
    return dict(zip(table["oblast_code"], table["name_ky"]))


def _oblasts(coate: pd.DataFrame, regions: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    level1 = coate[coate["level"] == 1]
    names_ky = _oblast_names_ky()
    region_by_key = {strict_key(n): g for n, g in zip(regions["name_ru"], regions.geometry)}
    oblast_rows = []
    for row in level1.itertuples():
        geom = region_by_key.get(strict_key(row.name_ru))
        if geom is None:
            raise DataError(f"oblast {row.coate} ({row.name_ru}) has no polygon in the regions file")
        oblast_rows.append({"oblast_code": row.coate, "name_ru": row.name_ru, "name_ky": names_ky.get(str(row.coate)),
                            "geometry": geom})
    return gpd.GeoDataFrame(oblast_rows, geometry="geometry", crs=CRS)


def _raions(coate: pd.DataFrame, adm2: gpd.GeoDataFrame, oblasts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    level2 = coate[(coate["level"] == 2) & (coate["oblast_coate"] != BISHKEK) & (coate["coate"] != OSH_CITY_ROW)]
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
    for code in (BISHKEK, OSH):
        ob = oblasts.loc[oblasts["oblast_code"] == code].iloc[0]
        raion_rows.append({
            "raion_code": code, "name_ru": ob["name_ru"], "name_ky": None,
            "name_en": "Bishkek" if code == BISHKEK else "Osh", "kind": "city", "oblast_code": code,
            "geometry": ob.geometry,
        })
    raions = gpd.GeoDataFrame(raion_rows, geometry="geometry", crs=CRS).sort_values("raion_code")
    return raions.reset_index(drop=True)


def _raion_of(row: Any) -> str:
    return cast("str", row.oblast_coate if row.oblast_coate in (BISHKEK, OSH) else row.raion_coate)


def _units(coate: pd.DataFrame, raions: gpd.GeoDataFrame) -> pd.DataFrame:
    unit_rows = []
    level3 = coate[coate["level"] == 3]
    for row in level3.itertuples():
        unit_rows.append({
            "unit_code": row.coate, "name_ru": row.name_ru,
            "level": "aiyl_aimak" if "аймак" in row.name_ru.lower() else "town",
            "raion_code": _raion_of(row), "oblast_code": row.oblast_coate, "is_city_itself": False,
        })
    # each city of oblast significance (and Bishkek, Osh) is also one 'town' unit of its own;
    # Osh city keeps its COATE row "город Ош", Kok-Jangak (a raion-level city) likewise.
    for row in raions.loc[raions["kind"] == "city"].itertuples():
        code = OSH_CITY_ROW if row.raion_code == OSH else row.raion_code
        unit_rows.append({
            "unit_code": code, "name_ru": row.name_ru, "level": "town", "raion_code": row.raion_code,
            "oblast_code": row.oblast_code, "is_city_itself": True,
        })
    units = pd.DataFrame(unit_rows).sort_values("unit_code").reset_index(drop=True)
    if units["unit_code"].duplicated().any():
        raise DataError(f"unit code {units.loc[units['unit_code'].duplicated(), 'unit_code'].iloc[0]} is used twice")
    return cast("pd.DataFrame", units)


def _villages(coate: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
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
    return cast("pd.DataFrame", villages.sort_values("settlement_code").reset_index(drop=True))
