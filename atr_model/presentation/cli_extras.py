"""CLI commands on result packages: ``report``, ``export``, ``compare``, ``sweep``, ``evaluate``.

Each command is a plain function registered by :func:`register`; they call only the public API
of :mod:`atr_model.scenarios` and :mod:`atr_model.presentation.report`, and let
:class:`~atr_model.errors.ATRError` through for ``cli.main`` to print as one line.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from tqdm import tqdm

from atr_model._atomic import atomic_directory, claim_output, scratch_directory
from atr_model.data import dataset_terms
from atr_model.errors import ScenarioError
from atr_model.presentation.cli_scenarios import TravelOption, travel_override
from atr_model.presentation.i18n import current_terms, format_number, result_terms, use_terms
from atr_model.presentation.report import write_comparison_report, write_report, write_sweep_outputs
from atr_model.presentation.runs import run_to_folder
from atr_model.presentation.view import figure_label, floor_pair_text, headline_text
from atr_model.scenarios import (
    Comparison,
    PlanEvaluation,
    apply_overrides,
    check_sweep_points,
    compare_results,
    evaluate_plan,
    figure_def,
    grid_size,
    load_result_files,
    load_scenario,
    parse_param,
    run_sweep,
    write_csv,
    write_exports,
)

__all__ = [
    "register",
    "report_command",
    "export_command",
    "compare_command",
    "sweep_command",
    "evaluate_command",
]

logger = logging.getLogger(__name__)


def report_command(
    result: Annotated[Path, typer.Argument(help="Result folder written by `atr-model run`.")],
    out: Annotated[Path | None, typer.Option("--out", help="HTML file (default: RESULT/report.html).")] = None,
) -> None:
    """Write the self-contained HTML report of a result folder."""
    path = write_report(result, out)
    typer.echo(str(path))


def export_command(
    result: Annotated[Path, typer.Argument(help="Result folder written by `atr-model run`.")],
) -> None:
    """Write the XLSX workbook and GeoJSON of a result folder into it."""
    for path in write_exports(result):
        typer.echo(str(path))


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Send file descriptor 1 to stderr for a while: the HiGHS banner is printed by C++ straight to
    fd 1 and would corrupt ``--json`` output."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _resolve(arg: Path, data: str | None, workdir: Path) -> Path:
    """A result folder as is; a scenario file is run into ``workdir`` first."""
    if arg.is_dir():
        return arg
    if arg.suffix.lower() in (".yaml", ".yml") and arg.exists():

        return run_to_folder(arg, workdir / arg.stem, data=data)
    raise ScenarioError(f"{arg}: neither a result folder nor a scenario file (.yaml)")


def compare_command(
    a: Annotated[Path, typer.Argument(help="Result folder or scenario file (plan A).")],
    b: Annotated[Path, typer.Argument(help="Result folder or scenario file (plan B).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for comparison.html, comparison.json, changed_units.csv.")
    ] = None,
    data: Annotated[
        str | None, typer.Option("--data", help="Dataset for scenario files: 'demo', 'kyrgyz' or a .gpkg.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace --out even if it holds files atr-model did not write.")] = False,
) -> None:
    """Compare two plans: KPI deltas, units assigned differently, changed centres, diff map."""
    if out is not None:
        claim_output(out, "compare", force=force)  # before any run: a refusal must not cost one
    with contextlib.ExitStack() as stack, scratch_directory("compare") as tmp:
        with _stdout_to_stderr() if as_json else contextlib.nullcontext():
            folder_a = _resolve(a, data, tmp / "a")
            folder_b = _resolve(b, data, tmp / "b")
        files_a, files_b = load_result_files(folder_a), load_result_files(folder_b)
        comparison = compare_results(files_a, files_b)
        # plan A's dataset words (the two plans are of one territory)
        stack.enter_context(use_terms(result_terms(files_a.provenance)))
        if out is not None:
            with atomic_directory(out, kind="compare", force=force) as staging:
                write_comparison_report(comparison, files_a, files_b, staging / "comparison.html")
                (staging / "comparison.json").write_text(
                    json.dumps(comparison.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8"
                )
                write_csv(comparison.changed_units, staging / "changed_units.csv")
        if as_json:
            typer.echo(json.dumps(comparison.to_dict(), indent=2, ensure_ascii=False))
            return
        _print_comparison(comparison)
    if out is not None:
        typer.echo(f"wrote {out / 'comparison.html'}")


def _print_comparison(comparison: Comparison) -> None:
    console = Console()
    table = Table(title=f"{comparison.name_a} → {comparison.name_b}")
    for col in ("KPI", comparison.name_a, comparison.name_b, "delta"):
        table.add_column(col, justify="left" if col == "KPI" else "right")
    floors = comparison.kpis.set_index("kpi").reindex(["population_floor"])
    floor_text = floor_pair_text(floors["a"].iloc[0], floors["b"].iloc[0])
    for rec in comparison.kpis.itertuples(index=False):
        key = str(rec.kpi)
        digits = figure_def(key).digits
        label = figure_label(key, {}, floor_text=floor_text)
        table.add_row(label, *(format_number(v, digits=digits) for v in (rec.a, rec.b, rec.delta)))
    console.print(table)
    console.print(
        f"{len(comparison.changed_units)} of {comparison.n_units} units assigned differently; "
        f"{len(comparison.changed_centres)} new unit(s) with another centre."
    )
    if len(comparison.changed_units):
        units = Table(title="Units assigned differently")
        for col in ("unit_code", "unit_name", "new_unit_id_a", "new_unit_id_b", "joined", "left"):
            units.add_column(col)
        for rec in comparison.changed_units.itertuples(index=False):
            cells = (rec.unit_code, rec.unit_name, rec.new_unit_id_a, rec.new_unit_id_b, rec.joined, rec.left)
            units.add_row(*(str(v) for v in cells))
        console.print(units)


def sweep_command(
    scenario: Annotated[Path, typer.Argument(help="Base scenario file.")],
    param: Annotated[
        list[str],
        typer.Option("--param", help="NAME=START:STOP:STEP or NAME=A,B,C (repeatable; e.g. threshold=3000:8000:500)."),
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder for summary.csv, timings.csv, pareto.png/html.")] = Path(
        "sweep-results"
    ),
    workers: Annotated[int, typer.Option("--workers", min=1, help="Worker processes.")] = 1,
    scheduler_address: Annotated[
        str | None, typer.Option("--scheduler-address", help="dask.distributed scheduler, e.g. tcp://host:8786.")
    ] = None,
    data: Annotated[str | None, typer.Option("--data", help="Dataset: 'demo', 'kyrgyz' or a .gpkg.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace --out even if it holds files atr-model did not write.")] = False,
    max_points: Annotated[int | None, typer.Option(
        "--max-points", min=1, help="Most grid points (default 1,000, or $ATR_MAX_SWEEP_POINTS).")] = None,
    travel: TravelOption = None,
) -> None:
    """Run a scenario over a grid of criteria values; write a summary table and a Pareto chart."""
    # the grid's size is checked before the scenario is read or any point exists
    params = [parse_param(p, max_points) for p in param]
    total = grid_size(params)
    check_sweep_points(total, max_points)
    base = apply_overrides(load_scenario(scenario), travel=travel_override(travel))
    claim_output(out, "sweep", force=force)  # before the runs: a refusal must not cost them
    with tqdm(total=total, desc=f"sweep {base.name}", unit="run") as bar:
        result = run_sweep(
            base, params, data=data, workers=workers, scheduler_address=scheduler_address,
            progress=lambda done, _total: bar.update(done - bar.n), max_points=max_points,
        )
    short = [c for c in result.table.columns[1 : 1 + len(result.parameters)]]
    with atomic_directory(out, kind="sweep", force=force) as staging:
        write_csv(result.table, staging / "summary.csv")
        write_csv(result.timings, staging / "timings.csv")
        write_sweep_outputs(result.table, short, staging, title=f"Sweep of {base.name}")
    failed = int((result.table["status"] == "error").sum())
    typer.echo(f"{len(result.table)} runs ({failed} failed); wrote {out / 'summary.csv'} and {out / 'pareto.html'}")


def _optimum(result: Path) -> float | None:
    """``solver.objective`` of a result folder's ``kpis.json`` (None when the run found no plan)."""
    return (load_result_files(result).kpis.get("solver") or {}).get("objective")


def evaluate_command(
    plan: Annotated[
        Path, typer.Argument(help="Plan CSV: unit_code,new_unit_id[,centre_code]; comma, semicolon or tab separated.")
    ],
    scenario: Annotated[Path, typer.Option("--scenario", help="Scenario whose criteria apply.")],
    data: Annotated[str | None, typer.Option("--data", help="Dataset: 'demo', 'kyrgyz' or a .gpkg.")] = None,
    result: Annotated[Path | None, typer.Option(
        "--result", help="Result folder of a run of the same scenario: the plan's cost is set beside its optimum.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the evaluation as JSON.")] = False,
    travel: TravelOption = None,
) -> None:
    """Score a hand-drawn plan against a scenario's criteria (independent checker) and KPIs.

    Without ``centre_code`` each new unit gets the centre the optimiser would choose. Exits
    with 2 when the plan breaks a hard criterion (soft shortfalls the scenario allows do not).
    """
    scen = apply_overrides(load_scenario(scenario), dataset=data, travel=travel_override(travel))
    verdict = evaluate_plan(plan, scen)
    optimum = _optimum(result) if result is not None else None
    gap = verdict.gap_to(optimum)
    if as_json:
        payload = verdict.to_dict()
        if result is not None:
            payload.update(optimum=optimum, above_optimum=gap)
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
    else:
        # the dataset's words ("commune", not "aiyl aimak"), as the run's own line has them
        with use_terms(dataset_terms(verdict.package.dataset) if verdict.package is not None else current_terms()):
            _print_verdict(verdict, plan, optimum, gap)
    if not verdict.hard_valid:
        raise typer.Exit(code=2)


def _print_verdict(verdict: PlanEvaluation, plan: Path, optimum: float | None, gap: float | None) -> None:
    console = Console()
    k = verdict.kpis
    console.print(f"plan {plan}: {headline_text(k)}", highlight=False)
    cost = f"cost {verdict.objective:,.1f} (the optimiser's objective)"
    if optimum is not None:
        cost += f"; optimum {optimum:,.1f}; " + ("–" if gap is None else f"{gap * 100:.2f} % above the optimum")
    console.print(cost)
    n_hard = int(verdict.violations["hard"].sum()) if len(verdict.violations) else 0
    if verdict.valid:
        console.print("[green]The plan honours every criterion.[/green]")
        return
    if n_hard:
        title = f"{n_hard} hard and {len(verdict.violations) - n_hard} soft violation(s)"
    else:
        console.print("[green]No hard violation.[/green]")
        title = f"{len(verdict.violations)} soft shortfall(s) the scenario allows (penalised in the cost)"
    table = Table(title=title)
    for col in ("constraint", "hard", "units", "message"):
        table.add_column(col)
    for rec in verdict.violations.itertuples(index=False):
        table.add_row(str(rec.constraint), "hard" if rec.hard else "soft", str(rec.units), str(rec.message))
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``report``, ``export``, ``compare``, ``sweep`` and ``evaluate`` to the root app."""
    app.command("report")(report_command)
    app.command("export")(export_command)
    app.command("compare")(compare_command)
    app.command("sweep")(sweep_command)
    app.command("evaluate")(evaluate_command)
