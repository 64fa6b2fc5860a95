"""CLI commands on result packages: ``report``, ``export``, ``compare``, ``sweep``, ``evaluate``.

Each command is a plain function registered by :func:`register`; they call only the public API
of :mod:`atr_model.scenarios` and :mod:`atr_model.presentation.report`, and let
:class:`~atr_model.errors.ATRError` through for ``cli.main`` to print as one line.
"""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path
from typing import Annotated, Optional

import typer

from atr_model.errors import ScenarioError

__all__ = ["register", "report_command", "export_command", "compare_command"]

logger = logging.getLogger(__name__)


def report_command(
    result: Annotated[Path, typer.Argument(help="Result folder written by `atr-model run`.")],
    out: Annotated[Optional[Path], typer.Option("--out", help="HTML file (default: RESULT/report.html).")] = None,
) -> None:
    """Write the self-contained HTML report of a result folder."""
    from atr_model.presentation.report import write_report

    path = write_report(result, out)
    typer.echo(str(path))


def export_command(
    result: Annotated[Path, typer.Argument(help="Result folder written by `atr-model run`.")],
) -> None:
    """Write the XLSX workbook and GeoJSON of a result folder into it."""
    from atr_model.scenarios.exports import write_exports

    for path in write_exports(result):
        typer.echo(str(path))


def _resolve(arg: Path, data: str | None, workdir: Path) -> Path:
    """A result folder as is; a scenario file is run into ``workdir`` first."""
    if arg.is_dir():
        return arg
    if arg.suffix.lower() in (".yaml", ".yml") and arg.exists():
        from atr_model.presentation.runs import run_to_folder

        return run_to_folder(arg, workdir / arg.stem, data=data)
    raise ScenarioError(f"{arg}: neither a result folder nor a scenario file (.yaml)")


def compare_command(
    a: Annotated[Path, typer.Argument(help="Result folder or scenario file (plan A).")],
    b: Annotated[Path, typer.Argument(help="Result folder or scenario file (plan B).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
    out: Annotated[
        Optional[Path], typer.Option("--out", help="Folder for comparison.html, comparison.json, changed_units.csv.")
    ] = None,
    data: Annotated[
        Optional[str], typer.Option("--data", help="Dataset for scenario files: 'demo', 'kyrgyz' or a .gpkg.")
    ] = None,
) -> None:
    """Compare two plans: KPI deltas, units assigned differently, changed centres, diff map."""
    from atr_model.presentation.report import write_comparison_report
    from atr_model.scenarios.compare import compare_results
    from atr_model.scenarios.package_files import load_result_files

    with tempfile.TemporaryDirectory(prefix="atr-compare-") as tmp:
        folder_a = _resolve(a, data, Path(tmp) / "a")
        folder_b = _resolve(b, data, Path(tmp) / "b")
        files_a, files_b = load_result_files(folder_a), load_result_files(folder_b)
        comparison = compare_results(files_a, files_b)
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            write_comparison_report(comparison, files_a, files_b, out / "comparison.html")
            (out / "comparison.json").write_text(
                json.dumps(comparison.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8"
            )
            comparison.changed_units.to_csv(out / "changed_units.csv", index=False)
    if as_json:
        typer.echo(json.dumps(comparison.to_dict(), indent=2, ensure_ascii=False))
        return
    _print_comparison(comparison)
    if out is not None:
        typer.echo(f"wrote {out / 'comparison.html'}")


def _print_comparison(comparison) -> None:  # noqa: ANN001 - Comparison, imported lazily
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"{comparison.name_a} → {comparison.name_b}")
    for col in ("KPI", comparison.name_a, comparison.name_b, "delta"):
        table.add_column(col, justify="left" if col == "KPI" else "right")
    for rec in comparison.kpis.itertuples(index=False):
        table.add_row(rec.kpi, *(f"{v:,.2f}" if v == v else "–" for v in (rec.a, rec.b, rec.delta)))
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
            units.add_row(rec.unit_code, rec.unit_name, rec.new_unit_id_a, rec.new_unit_id_b, rec.joined, rec.left)
        console.print(units)


def register(app: typer.Typer) -> None:
    """Add ``report``, ``export``, ``compare``, ``sweep`` and ``evaluate`` to the root app."""
    app.command("report")(report_command)
    app.command("export")(export_command)
    app.command("compare")(compare_command)
