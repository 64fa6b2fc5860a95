"""CLI commands for data: ``data build``, ``data import``, ``data info`` and the top-level ``quickstart``."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from atr_model.data import (
    KYRGYZ_TERMS,
    Dataset,
    DatasetTerms,
    ImportColumns,
    ImportInputs,
    dataset_info,
    dataset_terms,
    default_cache_dir,
    kyrgyz_build_id,
    load_or_build_kyrgyz_dataset,
    make_demo_dataset,
    read_dataset,
    write_import,
    write_kyrgyz_build,
)
from atr_model.errors import DataError
from atr_model.scenarios import dataset_file, resolve_travel_model, scenario_from_dict

__all__ = ["register", "find_kg_source"]

data_app = typer.Typer(help="Build and inspect territory datasets.", no_args_is_help=True)

_KG_FILE = "kyrgyzstan.gpkg"


def find_kg_source(explicit: Path | None = None) -> Path | None:
    """Locate the Kyrgyz open-data directory.

    Order: ``explicit``; ``$ATR_SHARED_DIR/kg-open-data``; ``../shared/kg-open-data`` from the
    working directory; the same next to the source checkout.
    """
    if explicit is not None:
        return explicit if explicit.is_dir() else None
    candidates = []
    if os.environ.get("ATR_SHARED_DIR"):
        candidates.append(Path(os.environ["ATR_SHARED_DIR"]) / "kg-open-data")
    candidates.append(Path.cwd().parent / "shared" / "kg-open-data")
    candidates.append(Path(__file__).resolve().parents[3] / "shared" / "kg-open-data")
    return next((c for c in candidates if c.is_dir()), None)


def _print_info(info: dict[str, Any], console: Console, terms: DatasetTerms = KYRGYZ_TERMS) -> None:
    unit, district, region = (terms.word(k, "en") for k in ("unit_term_plural", "district_term", "region_term"))
    table = Table(title=f"{info.get('name', 'dataset')}  (build {info.get('build_id', '?')})", show_lines=False)
    table.add_column("item")
    table.add_column("value", justify="right")
    levels = info["units_by_level"]
    table.add_row(unit, str(levels.get("aiyl_aimak", 0)))
    table.add_row("towns", str(levels.get("town", 0)))
    table.add_row(f"{district}s / cities / {region}s", f"{info['raions']} / {info['cities']} / {info['oblasts']}")
    share = 100 * info["villages_located_share"]
    table.add_row("villages located", f"{info['villages_located']} of {info['villages_total']} ({share:.1f} %)")
    table.add_row("population (sum of units)", f"{info['population_total']:,.0f}")
    table.add_row(
        "units: real / estimated population",
        f"{info['population_real_units']} / {info['population_estimated_units']}",
    )
    table.add_row("area (km²)", f"{info['area_km2_total']:,.0f}")
    if info.get("unplaced_raion_pieces"):
        # detached raion pieces with no settlement: in the raions, in no unit's area
        table.add_row(f"{district} land held by no unit (km², pieces)",
                      f"{info['unplaced_raion_land_km2']:,.0f} ({info['unplaced_raion_pieces']})")
    estimator = info.get("population_estimator")
    if estimator:
        former = (estimator.get("comparison") or {}).get("village_split", {})
        table.add_row(
            "population estimator (cross-validated median error)",
            f"{estimator.get('method')}: {100 * estimator['median_abs_rel_error']:.0f} %"
            + (f" (former method {100 * former['median_abs_rel_error']:.0f} %)"
               if former and estimator.get("method") != "village_split" else ""),
        )
    for warning in info.get("build_warnings", []):
        table.add_row("[yellow]build warning[/yellow]", warning)
    if "travel_model" in info:
        label = "roads" if info["travel_model"] == "roads" else "modelled: no road data (estimates)"
        table.add_row("travel model", label)
        table.add_row(
            "settlements reachable / unreachable",
            f"{info['settlements_reachable']} / {info['settlements_unreachable']}",
        )
    console.print(table)
    for title, key, counted in (
        ("population source (units)", "population_source_counts", "units"),
        ("territory source (units)", "geometry_source_counts", "units"),
        ("centre source (units)", "centre_source_counts", "units"),
        ("village location method", "village_location_methods", "villages"),
        ("why settlements are unreachable", "unreachable_reasons", "settlements"),
    ):
        if not info.get(key):
            continue
        sub = Table(title=title, title_justify="left")
        sub.add_column("source")
        sub.add_column(counted, justify="right")
        for name, count in info[key].items():
            sub.add_row(name, str(count))
        console.print(sub)


@data_app.command("build")
def build(
    source: Annotated[Path, typer.Option("--source", help="Open-data directory (layout of ../shared/kg-open-data).")],
    out: Annotated[Path, typer.Option("--out", help="Output directory (replaced atomically; an earlier build only).")],
    aiyl_aimak_polygons: Annotated[
        Path | None,
        typer.Option("--aiyl-aimak-polygons", help="Official aiyl aimak polygons (OCHA adm3, ADM3_PCODE)."),
    ] = None,
    population_table: Annotated[
        Path | None,
        typer.Option("--population-table", help="Unit populations keyed by COATE code (CSV or XLSX)."),
    ] = None,
    settlement_points: Annotated[
        Path | None,
        typer.Option("--settlement-points", help="Official village points keyed by COATE (settlement_code)."),
    ] = None,
    territories: Annotated[
        str,
        typer.Option("--territories", help="Approximate unit territories: 'terrain' (terrain-cost allocation) or 'voronoi'."),
    ] = "terrain",
    exclaves: Annotated[
        Path | None,
        typer.Option("--exclaves", help="CSV unit_code,name_ru,note of units that really are in several pieces."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the build report as JSON.")] = False,
    population_method: Annotated[
        str,
        typer.Option("--population-method", help="Estimator of unit populations without a real figure: 'fitted' "
                     "(log-linear model) or 'village_split' (the former split by number of villages)."),
    ] = "fitted",
    force: Annotated[bool, typer.Option("--force", help="Replace --out even if it holds files atr-model did not write.")] = False,
) -> None:
    """Build the Kyrgyz dataset (one GeoPackage) and its build report into OUT."""
    path, report = write_kyrgyz_build(
        source, out, aiyl_aimak_polygons=aiyl_aimak_polygons, population_table=population_table,
        settlement_points=settlement_points, population_method=population_method,
        territories=territories, exclaves=exclaves, force=force,
    )
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, sort_keys=True))
        return
    console = Console()
    console.print(f"wrote {path} (build {report.build_id}) in {report.seconds:.1f} s")
    console.print(
        f"villages located: {report.villages_located} of {report.villages_total} "
        f"({100 * report.located_share:.1f} %); units with real population: "
        f"{report.population_real_units}, estimated: {report.population_estimated_units}"
    )
    for warning in report.warnings:
        console.print(f"warning: {warning}", markup=False)
    console.print(f"report: {path.parent / 'build_report.md'}")


def _column_fields(**given: str | None) -> ImportColumns:
    """The column options the user gave (None: not given, the mapping file or the default applies)."""
    chosen: dict[str, object] = {k: v for k, v in given.items() if v is not None}
    return dataclasses.replace(ImportColumns(), **chosen)  # type: ignore[arg-type]


_COLUMN_HELP = "Column of the unit polygons with the"


@data_app.command("import")
def import_(
    units: Annotated[Path, typer.Option("--units", help="Unit polygons: GeoPackage, GeoJSON or Shapefile (OCHA COD-AB "
                                        "style columns by default: ADM3_PCODE, ADM3_EN, ADM2_PCODE, ADM1_PCODE).")],
    population: Annotated[Path, typer.Option("--population", help="Population table (CSV or XLSX) keyed by unit code "
                                             "(or by name with --population-name-column).")],
    out: Annotated[Path, typer.Option("--out", help="Output folder: <name>.gpkg and import_report.json (replaced "
                                      "atomically; an earlier import only).")],
    mapping: Annotated[Path | None, typer.Option("--mapping", help="YAML naming the columns (keys as the column "
                                                 "options below, without dashes) plus 'name' and 'metadata'.")] = None,
    terms: Annotated[Path | None, typer.Option("--terms", help="YAML with the dataset's words: country, unit_term, "
                                               "unit_term_plural, district_term, region_term, office_term, currency, "
                                               "legal_basis (data/README.md).")] = None,
    districts: Annotated[Path | None, typer.Option("--districts", help="District polygons (else dissolved from the "
                                                   "units by parent code).")] = None,
    settlements: Annotated[Path | None, typer.Option("--settlements", help="Settlement points (else each unit's "
                                                     "centre is a representative point of its polygon).")] = None,
    elevation: Annotated[Path | None, typer.Option("--elevation", help="Elevation GeoTIFF.")] = None,
    outline: Annotated[Path | None, typer.Option("--outline", help="Country outline (else dissolved from the units).")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Dataset name (default: the mapping's, the terms' country, "
                                             "else the unit file's name).")] = None,
    population_year: Annotated[int | None, typer.Option("--population-year", help="Year of the figures when the table "
                                                        "has no year column.")] = None,
    code_column: Annotated[str | None, typer.Option("--code-column", help=f"{_COLUMN_HELP} unit code [ADM3_PCODE].")] = None,
    name_column: Annotated[str | None, typer.Option("--name-column", help=f"{_COLUMN_HELP} unit name [ADM3_EN].")] = None,
    parent_column: Annotated[str | None, typer.Option("--parent-column", help=f"{_COLUMN_HELP} district code "
                                                      "[ADM2_PCODE].")] = None,
    region_column: Annotated[str | None, typer.Option("--region-column", help=f"{_COLUMN_HELP} region code "
                                                      "[ADM1_PCODE].")] = None,
    population_code_column: Annotated[str | None, typer.Option("--population-code-column", help="Column of the "
                                                               "population table with the unit code [ADM3_PCODE].")] = None,
    population_name_column: Annotated[str | None, typer.Option(
        "--population-name-column", help="Column of the population table with the unit name (instead of a code).")] = None,
    population_column: Annotated[str | None, typer.Option("--population-column", help="Column of the population "
                                                          "table with residents [population].")] = None,
    settlement_unit_column: Annotated[str | None, typer.Option("--settlement-unit-column", help="Column of the "
                                                               "settlement points naming their unit (else the polygon "
                                                               "each lies in).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the import report as JSON.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace --out even if it holds files atr-model did not write.")] = False,
) -> None:
    """Import another country's units, population and settlements into one contract GeoPackage."""
    columns = _column_fields(
        unit_code=code_column, unit_name=name_column, parent_code=parent_column, region_code=region_column,
        population_code=population_code_column, population_name=population_name_column,
        population=population_column, settlement_unit=settlement_unit_column,
    )
    inputs = ImportInputs(units=units, population=population, districts=districts, settlements=settlements,
                          elevation=elevation, outline=outline, terms=terms, mapping=mapping)
    path, report = write_import(inputs, out, columns, name=name, population_year=population_year, force=force)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, sort_keys=True))
        return
    console = Console()
    console.print(f"wrote {path} ({report.units} units, {report.districts} districts, {report.regions} regions, "
                  f"{report.settlements} settlements) in {report.seconds:.1f} s", markup=False)
    for source, count in report.centre_sources.items():
        console.print(f"centres: {count} from {source}", markup=False)
    if report.settlements_stand_in:
        console.print(f"units without a settlement point (stand-in centre): {report.settlements_stand_in}", markup=False)
    console.print(f"report: {path.parent / 'import_report.json'}", markup=False)


@data_app.command("info")
def info(
    dataset: Annotated[Path, typer.Argument(help="Dataset GeoPackage (or a build directory).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    roads: Annotated[
        Path | None,
        typer.Option("--roads", help="Road file (OSM .pbf/.osm or a line layer); default: the modelled fallback."),
    ] = None,
    network: Annotated[
        bool,
        typer.Option("--network/--no-network", help="Also build the travel model and report reachability."),
    ] = True,
) -> None:
    """Counts and data quality of a dataset (and, by default, of its travel model)."""
    path = dataset_file(dataset, where="data info") if dataset.is_dir() else dataset  # same rule as run --data
    loaded = read_dataset(path)
    summary = dataset_info(loaded)
    if network:
        summary.update(_network_summary(loaded, path, roads))
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, sort_keys=True))
        return
    _print_info(summary, Console(), dataset_terms(loaded))


def _network_summary(dataset: Dataset, path: Path, roads: Path | None) -> dict[str, Any]:
    """Reachability figures of the dataset's travel model (roads if given, else modelled)."""
    scenario = scenario_from_dict(
        {"name": "data-info", "dataset": str(path), "roads": str(roads) if roads else "auto", "elevation": "auto"},
        where="data info",
    )
    summary = resolve_travel_model(scenario, dataset).summary()
    keys = ("travel_model", "settlements_reachable", "settlements_unreachable", "unreachable_reasons")
    return {key: summary[key] for key in keys if key in summary}


def _cached_kg(source: Path, cache: Path, console: Console) -> Dataset:
    target = cache / "kyrgyzstan" / _KG_FILE
    wanted = kyrgyz_build_id(source)
    reuse = False
    if target.exists():
        try:
            reuse = read_dataset(target, validate=False).build_id == wanted
        except DataError:
            reuse = False
    if reuse:
        console.print(f"using cached build {wanted} at {target}")
    else:
        console.print(f"building the Kyrgyz dataset from {source} into {target.parent} ...")
    dataset = load_or_build_kyrgyz_dataset(source, cache_dir=cache)
    if not reuse:
        console.print(f"built {dataset.build_id} (report: {target.parent / 'build_report.md'})")
    return dataset


def quickstart(
    source: Annotated[
        Path | None,
        typer.Option("--source", help="Open-data directory (default: ../shared/kg-open-data)."),
    ] = None,
    cache_dir: Annotated[
        Path | None,
        typer.Option("--cache-dir", help="Where builds go (default: $ATR_CACHE_DIR or ~/.cache/atr-model)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
) -> None:
    """Build (or reuse) the Kyrgyz dataset, else the fictional demo, and print its summary."""
    console = Console(stderr=as_json)
    cache = cache_dir or default_cache_dir()
    kg = find_kg_source(source)
    if source is not None and kg is None:
        raise DataError(f"{source}: source directory not found")
    if kg is not None:
        dataset = _cached_kg(kg, cache, console)
    else:
        console.print("no Kyrgyz open data found; using the fictional demo territory")
        dataset = make_demo_dataset()
        dataset.write(cache / "demo" / "demo.gpkg")
    summary = dataset_info(dataset)
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, sort_keys=True))
        return
    _print_info(summary, console, dataset_terms(dataset))


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(data_app, name="data")
    app.command("quickstart")(quickstart)
