"""CLI commands ``atr-model agree`` and ``atr-model calibrate`` (issue 24: learn from a reform already carried out).

``agree`` reads a result folder and a reference plan and prints the agreement
(:func:`atr_model.scenarios.agreement.agreement`); ``calibrate`` searches the free parameters of
a scenario for the best agreement with the reference
(:func:`atr_model.scenarios.calibrate.calibrate`). An
:class:`~atr_model.errors.ATRError` reaches ``cli.main``, which prints one line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, cast

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table
from tqdm import tqdm

from atr_model._atomic import claim_output
from atr_model.data import Dataset
from atr_model.errors import DataError, ScenarioError
from atr_model.presentation.app import scenario_io
from atr_model.presentation.cli_scenarios import _dataset_override
from atr_model.presentation.report.agreement import agreement_lines as report_lines
from atr_model.presentation.report.agreement import write_agreement_report
from atr_model.presentation.report.calibration import write_calibration_report
from atr_model.scenarios import (
    LIMIT_VARIABLES,
    Agreement,
    Calibration,
    agreement,
    agreement_payload,
    apply_overrides,
    calibrate,
    check_calibration_points,
    limits,
    load_scenario,
    parse_param,
    plan_from_result,
    read_reference,
    write_agreement,
    write_calibration,
)
from atr_model.scenarios.inputs import resolve_dataset
from atr_model.scenarios.scenario import Scenario
from atr_model.scenarios.sweep import grid_size

__all__ = ["agree_command", "agreement_lines", "calibrate_command", "calibration_lines", "register"]

#: How many differing units the text output lists (all of them are in --out's differences.csv).
_SHOWN = 30


def _pct(value: object) -> str:
    return "–" if value is None else f"{100 * float(value):.1f} %"  # type: ignore[arg-type]


def agreement_lines(result: Agreement) -> list[str]:
    """The overall figures and what the reference did in effect, in plain lines (the report's own
    sentences, :func:`atr_model.presentation.report.agreement.agreement_lines`, in English)."""
    lines = report_lines(result, "en")
    partial = result.overall["raions_partial"]
    if partial:
        lines.insert(4, f"partly covered raions (pairs counted, no ARI): {', '.join(partial)}")  # type: ignore[arg-type]
    return lines


def _print(result: Agreement, plan: Path) -> None:
    console = Console()
    typer.echo(f"plan {plan} against {result.reference}")
    for line in agreement_lines(result):
        typer.echo(line)
    table = Table(title="per raion")
    for col in ("raion", "units", "covered", "ARI", "precision", "recall", "differ"):
        table.add_column(col, overflow="fold")
    for rec in result.raions.to_dict(orient="records"):
        ari = f"{rec['ari']:.3f}" if rec["full"] else "partial"
        shares = ["–" if pd.isna(rec[k]) else _pct(rec[k]) for k in ("precision", "recall")]
        table.add_row(str(rec["raion_code"]), str(rec["units"]), str(rec["units_covered"]), ari, *shares,
                      str(rec["units_differ"]))
    console.print(table)
    if len(result.differences):
        diff = Table(title=f"units grouped differently ({len(result.differences)}; first {_SHOWN} shown)"
                     if len(result.differences) > _SHOWN else "units grouped differently")
        for col in ("unit_code", "unit_name", "group", "new_unit_id", "apart in the plan", "together only in the plan"):
            diff.add_column(col, overflow="fold")  # codes are read whole: wrap, never cut
        for rec in result.differences.head(_SHOWN).itertuples(index=False):
            diff.add_row(str(rec.unit_code), str(rec.unit_name), str(rec.group), str(rec.new_unit_id),
                         str(rec.missing_partners), str(rec.extra_partners))
        console.print(diff)


def agree_command(
    result: Annotated[Path, typer.Argument(help="Result folder (its assignments.csv) or an assignments.csv.")],
    reference: Annotated[Path, typer.Argument(help="Reference plan CSV: unit_code,group or raion,unit_name,group (+ source).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the agreement as JSON.")] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for agreement.json, raions.csv, differences.csv and report.html.")
    ] = None,
    partial: Annotated[bool, typer.Option(
        "--partial", help="Accept a reference that covers no raion fully: pair precision/recall only, no ARI.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace --out even if it holds files atr-model did not write.")] = False,
    data: Annotated[str | None, typer.Option(
        "--data", help="Dataset the reference's unit names are looked up in (default: the result's scenario's).")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Language of --out's report.html: en, ru or ky.")] = "en",
) -> None:
    """Agreement of a plan with a reference plan: adjusted Rand index, pair precision/recall, differing units."""
    if out is not None:
        claim_output(out, "agreement", force=force)  # before any work: a refusal costs nothing
    plan = plan_from_result(result)
    ref = read_reference(reference, _territory(result, data, reference))
    found = agreement(plan, ref, where=str(result), partial=partial)
    if as_json:
        typer.echo(json.dumps(agreement_payload(found), indent=2, ensure_ascii=False))
    else:
        _print(found, result)
    if out is not None:
        written = write_agreement(found, out, force=force,
                                  extra=lambda staging: write_agreement_report(found, str(result), staging, lang))
        typer.echo(f"wrote {written}", err=as_json)


def _territory(result: Path, data: str | None, reference: Path) -> Callable[[], Dataset]:
    """Load (only when the reference names units by name) the dataset the plan was made on:
    ``--data``, else the result folder's ``scenario.yaml``."""

    def load() -> Dataset:
        folder = result if result.is_dir() else result.parent
        if data is not None:
            return resolve_dataset(Scenario(name="agree", dataset=_dataset_override(data)))
        if (folder / "scenario.yaml").is_file():
            return resolve_dataset(load_scenario(folder / "scenario.yaml"))
        raise DataError(f"{reference}: names units by raion and unit_name, and {result} has no scenario.yaml "
                        "to say which dataset to look them up in; give --data")

    return load


def _parse_free(text: str, max_points: int | None) -> tuple[str, list[object]]:
    """One ``--free`` value, refused (before its values exist) when it alone exceeds the grid limit."""
    most = max_points or limits().calibration_points
    try:
        return parse_param(text, most)
    except ScenarioError as exc:
        if "exceed the limit" not in str(exc):
            raise
        # the sweep's message would name the sweep's option and variable: say the calibration's
        raise ScenarioError(f"calibrate: --free {text!r} has more than {most:,} values, the grid-point limit "
                            f"(raise it with --max-points or {LIMIT_VARIABLES['calibration_points']})") from None


def _as_is(dataset: Dataset) -> pd.DataFrame:
    """The territory as it is (every unit its own new unit): the plan against which the
    reference's merged groups show what it did in effect, in the dataset's population figures."""
    units = dataset.units
    codes = units["unit_code"].astype(str)
    return cast("pd.DataFrame", pd.DataFrame({
        "unit_code": codes, "new_unit_id": codes, "raion_code": units["raion_code"].astype(str),
        "level": units["level"].astype(str), "unit_name": units["name_en"].astype(str), "population": units["population"],
    }))


def _default_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def calibration_lines(result: Calibration) -> list[str]:
    """The calibration's figures in plain lines: best parameters, in-sample and held-out agreement."""
    best = ", ".join(f"{k} = {v}" for k, v in result.best.items())
    failed = int(result.table["score"].isna().sum())
    lines = [
        f"{result.base.name}: {len(result.table)} grid point(s) solved on {len(result.raions)} raion(s) "
        f"({failed} without a plan; {result.seconds:.1f} s)",
        f"best: {best} (point {result.best_point}; {len(result.tied_points)} point(s) score the same)",
        f"in-sample agreement: mean adjusted Rand index {result.best_score:.3f} over the raions",
    ]
    held = result.held_out_mean
    if held is None:
        lines.append("leave-one-raion-out: needs two or more fully covered raions")
        return lines
    lines.append(f"leave-one-raion-out agreement (parameters fitted on the other raions): mean {held:.3f}")
    keys = [k for k, _ in result.free]
    for rec in result.held_out.to_dict(orient="records"):
        chosen = ", ".join(f"{k.rsplit('.', 1)[-1]} = {rec[k]}" for k in keys)
        note = "" if rec["best_reachable_ari"] >= 1 - 1e-9 else "; no tested parameters reproduce this raion"
        if rec["trained_ties"] > 1:
            note += f"; {rec['trained_ties']} points tie on the other raions, the middle one taken"
        lines.append(f"  {rec['raion_code']}: held-out ARI {rec['held_out_ari']:.3f} with {chosen} "
                     f"(best any point reaches {rec['best_reachable_ari']:.3f}{note})")
    return lines


def calibrate_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file whose parameters are searched.")],
    reference: Annotated[Path, typer.Option(
        "--reference", help="Reference plan CSV: unit_code,group or raion,unit_name,group (+ source).")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the calibrated scenario, grid.csv, held_out.csv.")],
    free: Annotated[list[str], typer.Option(
        "--free", help="A free parameter: NAME=START:STOP:STEP or NAME=A,B,C (repeatable; the sweep's syntax, "
        "e.g. population_floor=3000:15000:1000).")],
    data: Annotated[str | None, typer.Option("--data", help="Dataset: 'demo', 'kyrgyz' or a .gpkg.")] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Worker processes (default: min(2, CPUs)).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace --out even if it holds files atr-model did not write.")] = False,
    max_points: Annotated[int | None, typer.Option(
        "--max-points", min=1, help="Most grid points (default 500, or $ATR_MAX_CALIBRATION_POINTS).")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Language of --out's report.html: en, ru or ky.")] = "en",
) -> None:
    """Search a scenario's free parameters for the best agreement with a reference plan (leave-one-raion-out too)."""
    # the grid's size and the --out folder are checked before the scenario's data is read
    params = [_parse_free(p, max_points) for p in free]
    check_calibration_points(grid_size(params), max_points)
    claim_output(out, "calibration", force=force)
    base = apply_overrides(load_scenario(scenario), dataset=_dataset_override(data))
    dataset = resolve_dataset(base)
    ref = read_reference(reference, dataset)
    with tqdm(total=grid_size(params), desc=f"calibrate {base.name}", unit="run", disable=quiet) as bar:
        result = calibrate(base, ref, params, dataset=dataset, workers=workers or _default_workers(),
                           progress=lambda done, _total: bar.update(done - bar.n), max_points=max_points)
    for line in calibration_lines(result):
        typer.echo(line)
    concept = load_scenario(scenario_io.scenario_dir() / f"{scenario_io.DEFAULT_SCENARIO}.yaml")
    effect = agreement(_as_is(dataset), ref, where="the territory as it is", partial=True)
    written = write_calibration(result, out, force=force, extra=lambda staging: write_calibration_report(
        result, concept, staging, lang, in_effect=effect))
    typer.echo(f"wrote {written}")


def register(app: typer.Typer) -> None:
    """Add ``agree`` and ``calibrate`` to the root app."""
    app.command("agree")(agree_command)
    app.command("calibrate")(calibrate_command)
