"""Kyrgyz build, stage 7: assembly, and the pipeline that runs every stage.

:func:`build_kyrgyz_dataset` runs the stages in order (inputs, tree, villages, centres,
population, territories, attributes) and assembles the contract's layers
(:func:`assemble_layers`); :func:`write_kyrgyz_build` writes the dataset and its build report
atomically and :func:`load_or_build_kyrgyz_dataset` reuses a cached build whose id matches.
"""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from atr_model import __version__
from atr_model._atomic import atomic_directory, claim_output
from atr_model.data.cache import default_cache_dir
from atr_model.data.checks import dataset_problems
from atr_model.data.contract import CRS, LAYERS
from atr_model.data.dataset import Dataset, read_dataset
from atr_model.data.kyrgyz import attributes, centres, population, villages
from atr_model.data.kyrgyz import territories as territory_stage
from atr_model.data.kyrgyz.report import BuildReport, fill_report
from atr_model.data.kyrgyz.sources import (
    BUILDER_VERSION,
    DATASET_FILENAME,
    DEFAULT_MAX_MATCH_DISTANCE_KM,
    DEFAULT_TERRITORIES,
    EXCLAVES_FILE,
    SOURCE_FILES,
    UserInputs,
    build_id,
    extra_paths,
    kyrgyz_build_id,
    read_exclaves,
    read_user_inputs,
    source_paths,
)
from atr_model.data.kyrgyz.tree import AdminTree, read_tree
from atr_model.errors import DataError

__all__ = [
    "DATASET_FILENAME",
    "assemble_layers",
    "build_kyrgyz_dataset",
    "load_or_build_kyrgyz_dataset",
    "write_kyrgyz_build",
]

logger = logging.getLogger(__name__)


def _keep(frame: gpd.GeoDataFrame, layer: str) -> gpd.GeoDataFrame:
    """The contract's columns of ``layer`` (optional ones added empty), strings as objects."""
    cols = [c.name for c in LAYERS[layer] if c.name in frame.columns]
    for c in LAYERS[layer]:
        if c.name not in frame.columns and not c.required:
            frame[c.name] = None
            cols.append(c.name)
    out = gpd.GeoDataFrame(frame[cols + ["geometry"]].copy(), geometry="geometry", crs=CRS)
    for c in LAYERS[layer]:
        if c.kind == "str" and c.name in out:
            out[c.name] = out[c.name].astype(object).where(out[c.name].notna(), None)
    return out.reset_index(drop=True)


def assemble_layers(
    units: gpd.GeoDataFrame, settlements: gpd.GeoDataFrame, raions: gpd.GeoDataFrame,
    oblasts: gpd.GeoDataFrame, country: gpd.GeoDataFrame, report: BuildReport,
) -> Dataset:
    """The contract's layers and the build's metadata, validated."""
    settlements = settlements.drop(columns=["location_method"]).rename(columns={"match_outcome": "location_method"})
    metadata = {
        "build_id": report.build_id,
        "kind": "kyrgyzstan-open-data",
        "name": "Kyrgyz Republic (open data, about 2021)",
        "builder_version": BUILDER_VERSION,
        "package_version": __version__,
        "created_utc": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sources": {k: SOURCE_FILES[k] for k in sorted(SOURCE_FILES)},
        "population_reference_year": population.TARGET_YEAR,
    }
    dataset = Dataset(
        units=_keep(units, "units"),
        settlements=_keep(settlements, "settlements"),
        raions=_keep(raions, "raions"),
        oblasts=_keep(oblasts, "oblasts"),
        country=_keep(country, "country"),
        metadata=metadata,
    )
    return dataset.validate(where="Kyrgyz build")


def _locate(
    paths: dict[str, Path], tree: AdminTree, user: UserInputs, max_match_distance_km: float,
) -> tuple[pd.DataFrame, pd.DataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    """Stages 2-3: locate the settlements, give every unit a centre, place the unlocated ones.

    Returns the units (with centres), the settlements, the matched places and the unit names.
    """
    upoints = centres.read_official_unit_points(paths["unit_points"], tree.units)
    places = villages.read_places(paths, tree.raions)
    settl = villages.settlement_table(tree.units, tree.villages)
    settl = villages.locate_settlements(settl, places, upoints.metric, user.village_points, max_match_distance_km)
    units = centres.unit_centres(tree.units, settl, upoints.lonlat, tree.raions, user.unit_polygons)
    settl = villages.place_unlocated(settl, units)
    return units, settl, places, upoints.names


def _populate(
    paths: dict[str, Path], tree: AdminTree, units: pd.DataFrame, settl: pd.DataFrame,
    places: gpd.GeoDataFrame, user: UserInputs, report: BuildReport,
) -> tuple[pd.DataFrame, pd.DataFrame, gpd.GeoDataFrame, population.PopulationInputs]:
    """Stage 4: provisional unit, settlement and raion populations; then the raion centres (they
    need them). Stage 6b replaces the provisional unit estimates."""
    census, growth, pop_notes = population.census_figures(paths["aimak_census"])
    totals = population.raion_totals(paths["raion_statistics"])
    town_gn = villages.town_place_populations(settl, places)
    units, notes = population.assign_population(
        units, tree.villages, tree.raions, census, growth, totals, town_gn, user.population, user.population_name,
    )
    report.notes.extend(pop_notes + notes)
    report.census_units, coverage = population.census_coverage(census, units, totals)
    report.warnings.extend(coverage)
    settl = population.settlement_population(settl, units)
    raions = population.raion_population(tree.raions, units, totals)
    raions = centres.raion_centres(raions, units, settl)
    return units, settl, raions, population.PopulationInputs(growth, totals, town_gn)


def _estimate_populations(
    units: gpd.GeoDataFrame, settlements: gpd.GeoDataFrame, raions: gpd.GeoDataFrame,
    inputs: population.PopulationInputs, method: str, report: BuildReport,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Stage 6b: the chosen estimator's unit figures and spread (it needs the attributes)."""
    units, entry, notes = population.estimate_populations(units, settlements, raions, inputs, method=method)
    report.population_estimator = entry
    report.notes.extend(notes)
    settlements = population.settlement_population(settlements, units)
    raions = population.raion_population(raions, units, inputs.totals)
    return units, settlements, raions


def _territories(
    units: pd.DataFrame, settlements: gpd.GeoDataFrame, raions: gpd.GeoDataFrame, user: UserInputs,
    paths: dict[str, Path], method: str, listed: frozenset[str], report: BuildReport,
) -> territory_stage.Territories:
    """Stage 5: the territories by ``method``; a terrain build also draws the Voronoi ones to
    report what changed (pieces, neighbours)."""
    started = time.perf_counter()
    drawn = territory_stage.unit_territories(
        units, settlements, raions, user.unit_polygons, method=method, elevation_path=paths["elevation"],
        exclaves=listed)
    seconds = time.perf_counter() - started
    voronoi = drawn if method == "voronoi" else territory_stage.unit_territories(
        units, settlements, raions, user.unit_polygons, method="voronoi")
    names = dict(zip(units["unit_code"], units["name_ru"])) if "name_ru" in units else {}
    report.territories = territory_stage.compare_territories(voronoi, drawn, method, listed, names)
    report.territories["seconds"] = round(seconds, 2)
    return drawn


def build_kyrgyz_dataset(
    source_dir: str | os.PathLike[str],
    *,
    aiyl_aimak_polygons: str | os.PathLike[str] | None = None,
    population_table: str | os.PathLike[str] | None = None,
    settlement_points: str | os.PathLike[str] | None = None,
    max_match_distance_km: float = DEFAULT_MAX_MATCH_DISTANCE_KM,
    population_method: str = population.POPULATION_METHODS[0],
    territories: str = DEFAULT_TERRITORIES,
    exclaves: str | os.PathLike[str] | None = None,
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
    population_method : {"fitted", "village_split"}, default "fitted"
        Estimator of the unit populations without a real figure: the fitted log-linear model,
        or the former split of the raion residual by number of COATE villages (see
        :mod:`atr_model.data.population`). Both are cross-validated in the report.
    territories : {"terrain", "voronoi"}, default "terrain"
        How approximate unit territories are drawn: terrain-cost allocation on the elevation
        grid, or Voronoi cells of the seed points (see :mod:`atr_model.data.kyrgyz.territories`).
    exclaves : path-like, optional
        CSV of units that really are in several pieces (default: the package's
        ``reference/exclaves.csv``, header only).

    Returns
    -------
    tuple of (Dataset, BuildReport)

    Raises
    ------
    DataError
        When a source file is missing or invalid (the message names file, row or unit).
    """
    started = time.perf_counter()
    paths = source_paths(Path(source_dir))
    extra = extra_paths({
        "aiyl_aimak_polygons": aiyl_aimak_polygons,
        "population_table": population_table,
        "settlement_points": settlement_points,
    })
    if territories not in territory_stage.TERRITORY_METHODS:
        raise DataError(f"territories {territories!r} is not one of {', '.join(territory_stage.TERRITORY_METHODS)}")
    exclaves_path = Path(exclaves) if exclaves else EXCLAVES_FILE
    report = BuildReport(build_id=build_id(
        paths, extra, max_match_distance_km, territories, exclaves_path,
        population.check_population_method(population_method)))

    tree = read_tree(paths)
    # user files are checked before any work so that a bad file fails fast
    user = read_user_inputs(extra, tree.units, tree.villages, tree.raions)
    listed = read_exclaves(exclaves_path, set(tree.units["unit_code"]))
    units, settl, places, unit_names = _locate(paths, tree, user, max_match_distance_km)
    units, settl, raions, pop_inputs = _populate(paths, tree, units, settl, places, user, report)

    settlements = gpd.GeoDataFrame(settl, geometry=gpd.points_from_xy(settl["lon"], settl["lat"]), crs=CRS)
    drawn = _territories(units, settlements, raions, user, paths, territories, listed, report)
    units_gdf = attributes.add_territories(units, drawn.geoms_m, drawn.sources)
    attributes.add_elevation(units_gdf, settlements, paths["elevation"])
    units_gdf["border_distance_km"] = attributes.border_distance(units_gdf, settlements, paths["country"])
    units_gdf, settlements, raions = _estimate_populations(
        units_gdf, settlements, raions, pop_inputs, population_method, report)
    attributes.add_names(units_gdf, raions, unit_names)
    country = attributes.country_layer(paths["country"])
    dataset = assemble_layers(units_gdf, settlements, raions, tree.oblasts, country, report)
    return _finish(dataset, report, settl, started), report


def _finish(dataset: Dataset, report: BuildReport, settl: pd.DataFrame, started: float) -> Dataset:
    """Fill the report, and store its summary and the build time in the dataset's metadata."""
    report.seconds = round(time.perf_counter() - started, 2)
    fill_report(report, dataset)
    # the checks `data import` refuses on; here they are recorded (approximate territories do
    # not always hold the documented centre), one line with the first few units
    problems = dataset_problems(dataset.units, dataset.settlements, dataset.metadata, "derived values",
                                require_centre_settlement=False)
    if problems:
        report.warnings.append(f"{len(problems)} derived value(s) disagree with the geometry (data.checks): "
                               + "; ".join(p.removeprefix("derived values: ") for p in problems[:3])
                               + ("; ..." if len(problems) > 3 else ""))
    candidates = dict(zip(settl["settlement_code"], settl["candidates"]))
    for item in report.unmatched:
        item["candidates"] = int(candidates.get(item["settlement_code"], 0))
    logger.info("built %s in %.1f s", report.build_id, report.seconds)
    return dataset.replace(metadata={**dataset.metadata, "build_seconds": report.seconds,
                                     "report": {k: v for k, v in report.to_dict().items() if k != "unmatched"}})


def write_kyrgyz_build(
    source_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str], *, force: bool = False, **options: Any,
) -> tuple[Path, BuildReport]:
    """Build and write ``kyrgyzstan.gpkg`` plus ``build_report.md``/``.json`` into ``out_dir``.

    The files are written into a temporary sibling directory that replaces ``out_dir`` only
    when everything succeeded, so a failed build leaves any previous build untouched. A folder
    holding files atr-model did not write is refused before the build starts
    (:func:`atr_model._atomic.claim_output`) unless ``force``.

    Returns
    -------
    tuple of (pathlib.Path, BuildReport)
        Path of the dataset file and the report.
    """
    target = Path(out_dir)
    claim_output(target, "dataset", force=force)  # before the build: a refusal must not cost one
    previous = _previous_census_units(target)
    dataset, report = build_kyrgyz_dataset(source_dir, **options)
    if previous is not None and report.census_units < previous:
        report.warnings.insert(0, (
            f"the census table covers {report.census_units} units; the previous build in {target} had {previous}: "
            "rows may have been lost (a cut or edited file?)"))
        dataset = dataset.replace(metadata={**dataset.metadata, "report": {
            **dataset.metadata.get("report", {}), "warnings": list(report.warnings)}})
    with atomic_directory(target, kind="dataset", force=force) as tmp:
        dataset.write(tmp / DATASET_FILENAME)
        (tmp / "build_report.md").write_text(report.to_markdown(), encoding="utf-8")
        (tmp / "build_report.json").write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
    return target / DATASET_FILENAME, report


def _previous_census_units(folder: Path) -> int | None:
    """Units the census table covered in the build already in ``folder`` (None without one).

    Reports older than the ``census_units`` field count their units with a census source.
    """
    path = folder / "build_report.json"
    try:
        previous = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, ValueError):
        return None  # an unreadable old report only costs the comparison
    if not isinstance(previous, dict):
        return None
    if previous.get("census_units"):
        return int(previous["census_units"])
    sources = previous.get("population_sources") or {}
    counted = sum(int(v) for k, v in sources.items() if str(k).startswith("census table"))
    return counted or None


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
