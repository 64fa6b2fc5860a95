"""Kyrgyz build, stage 0: the inputs.

Which files the build reads from the open-data directory (:data:`SOURCE_FILES`), the optional
user files (official aiyl aimak polygons, a population table, official village points) and
the build id, a hash of every input and of the builder version, so that a cached build is
reused only when nothing it was built from has changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from atr_model.data.csv_input import read_text_csv
from atr_model.data.kyrgyz.build_id import (
    BUILDER_VERSION,
    DATASET_FILENAME,
    DEFAULT_MAX_MATCH_DISTANCE_KM,
    DEFAULT_TERRITORIES,
    EXCLAVES_FILE,
    RAION_CENTRES_FILE,
    SOURCE_FILES,
    build_id,
    cached_kyrgyz_header,
    extra_paths,
    kyrgyz_build_id,
    source_paths,
)
from atr_model.data.loaders import (
    check_points_in_polygons,
    coate_to_pcode,
    read_admin_layer,
    read_population_table,
    read_settlement_points,
)
from atr_model.errors import DataError

__all__ = [
    "BUILDER_VERSION",
    "DATASET_FILENAME",
    "DEFAULT_MAX_MATCH_DISTANCE_KM",
    "DEFAULT_TERRITORIES",
    "EXCLAVES_FILE",
    "RAION_CENTRES_FILE",
    "SOURCE_FILES",
    "UserInputs",
    "build_id",
    "cached_kyrgyz_header",
    "extra_paths",
    "kyrgyz_build_id",
    "read_exclaves",
    "read_user_inputs",
    "source_paths",
]

@dataclass(frozen=True)
class UserInputs:
    """The optional user files, read and checked.

    Attributes
    ----------
    population : pandas.DataFrame or None
        Unit population table (overrides the shared figures).
    village_points : dict
        Official village points (EPSG:4326) by settlement code (override name matching).
    unit_polygons : dict
        Official unit polygons (EPSG:4326) by unit code (replace approximate territories).
    population_name : str
        File name of the population table, for labels ('' without one).
    """

    population: pd.DataFrame | None
    village_points: dict[str, Point]
    unit_polygons: dict[str, Any]
    population_name: str = ""


def read_user_inputs(
    extra: dict[str, Path | None], units: pd.DataFrame, villages: pd.DataFrame, raions: gpd.GeoDataFrame,
) -> UserInputs:
    """Read and check the optional user files: population table, village points, unit polygons.

    Called right after the tree is built, before any other work, so that a bad file fails fast.

    Returns
    -------
    UserInputs
    """
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
    name = extra["population_table"].name if extra["population_table"] else ""
    return UserInputs(user_pop, official_pts, official_polys, name)


def read_exclaves(path: Path, unit_codes: set[str]) -> frozenset[str]:
    """Read the list of units that really are in several pieces (CSV ``unit_code,name_ru,note``).

    Raises
    ------
    DataError
        On a missing file or column (``unit_code,name_ru,note``), or a row whose code is not 14 digits, is not a
        unit of the COATE tree, or is listed twice (the message names the file and the row).
    """
    table = read_text_csv(path, ["unit_code", "name_ru", "note"], what="exclave list")
    seen: set[str] = set()
    for row, code in enumerate(table["unit_code"], start=2):
        if not (len(code) == 14 and code.isdigit()):
            raise DataError(f"{path}: row {row}: unit_code {code!r} is not a 14-digit COATE code")
        if code not in unit_codes:
            raise DataError(f"{path}: row {row}: unit {code} is not a unit of the COATE tree")
        if code in seen:
            raise DataError(f"{path}: row {row}: unit {code} is listed twice")
        seen.add(code)
    return frozenset(seen)
