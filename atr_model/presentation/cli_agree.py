"""CLI commands ``atr-model agree`` and ``atr-model calibrate`` (issue 24: learn from a reform already carried out).

``agree`` reads a result folder and a reference plan and prints the agreement
(:func:`atr_model.scenarios.agreement.agreement`); ``calibrate`` searches the free parameters of
a scenario for the best agreement with the reference
(:func:`atr_model.scenarios.calibrate.calibrate`). An
:class:`~atr_model.errors.ATRError` reaches ``cli.main``, which prints one line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from atr_model.scenarios.agreement import (
    Agreement,
    agreement,
    agreement_payload,
    plan_from_result,
    read_reference,
    write_agreement,
)

__all__ = ["agree_command", "agreement_lines", "register"]

#: How many differing units the text output lists (all of them are in --out's differences.csv).
_SHOWN = 30


def _pct(value: object) -> str:
    return "–" if value is None else f"{100 * float(value):.1f} %"  # type: ignore[arg-type]


def agreement_lines(result: Agreement) -> list[str]:
    """The overall figures in a few plain lines."""
    o = result.overall
    full, partial = o["raions_full"], o["raions_partial"]
    lines = [
        f"adjusted Rand index {float(o['ari']):.3f} over the {len(full)} fully covered raion(s) "  # type: ignore[arg-type]
        f"(mean per raion {float(o['mean_raion_ari']):.3f})",  # type: ignore[arg-type]
        f"pairs together in the reference that the plan keeps together (recall): {_pct(o['recall'])} "
        f"({o['pairs_both']} of {o['pairs_reference']})",
        f"pairs the plan keeps together that the reference has together (precision): {_pct(o['precision'])} "
        f"({o['pairs_both']} of {o['pairs_plan']})",
        f"units covered: {o['units_covered']}; grouped differently: {o['units_differ']}",
    ]
    if partial:
        lines.append(f"partly covered raions (pairs counted, no ARI): {', '.join(partial)}")  # type: ignore[arg-type]
    return lines


def _print(result: Agreement, plan: Path) -> None:
    console = Console()
    typer.echo(f"plan {plan} against {result.reference}")
    for line in agreement_lines(result):
        typer.echo(line)
    table = Table(title="per raion")
    for col in ("raion", "units", "covered", "ARI", "precision", "recall", "differ"):
        table.add_column(col)
    for rec in result.raions.itertuples(index=False):
        ari = f"{rec.ari:.3f}" if rec.full else "partial"
        prec = "–" if rec.precision != rec.precision else _pct(rec.precision)
        rec_ = "–" if rec.recall != rec.recall else _pct(rec.recall)
        table.add_row(str(rec.raion_code), str(rec.units), str(rec.units_covered), ari, prec, rec_, str(rec.units_differ))
    console.print(table)
    if len(result.differences):
        diff = Table(title=f"units grouped differently ({len(result.differences)}; first {_SHOWN} shown)"
                     if len(result.differences) > _SHOWN else "units grouped differently")
        for col in ("unit_code", "unit_name", "group", "new_unit_id", "apart in the plan", "together only in the plan"):
            diff.add_column(col)
        for rec in result.differences.head(_SHOWN).itertuples(index=False):
            diff.add_row(str(rec.unit_code), str(rec.unit_name), str(rec.group), str(rec.new_unit_id),
                         str(rec.missing_partners), str(rec.extra_partners))
        console.print(diff)


def agree_command(
    result: Annotated[Path, typer.Argument(help="Result folder (its assignments.csv) or an assignments.csv.")],
    reference: Annotated[Path, typer.Argument(help="Reference plan CSV: unit_code,group[,source].")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the agreement as JSON.")] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for agreement.json, raions.csv and differences.csv.")
    ] = None,
) -> None:
    """Agreement of a plan with a reference plan: adjusted Rand index, pair precision/recall, differing units."""
    ref = read_reference(reference)
    found = agreement(plan_from_result(result), ref, where=str(result))
    if as_json:
        typer.echo(json.dumps(agreement_payload(found), indent=2, ensure_ascii=False))
    else:
        _print(found, result)
    if out is not None:
        written = write_agreement(found, out)
        typer.echo(f"wrote {written}", err=as_json)


def register(app: typer.Typer) -> None:
    """Add ``agree`` to the root app."""
    app.command("agree")(agree_command)
