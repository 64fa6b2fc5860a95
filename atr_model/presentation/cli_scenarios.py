"""CLI commands for scenarios: ``atr-model run`` (more commands are added beside it).

Each command is its own function registered in :func:`register`; commands call only the
public API of :mod:`atr_model.scenarios` and let :class:`~atr_model.errors.ATRError`
propagate to ``cli.main``, which prints one line.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from atr_model._atomic import claim_output
from atr_model.data import DatasetLike, dataset_terms
from atr_model.errors import ScenarioError
from atr_model.presentation.figure_view import headline_text
from atr_model.presentation.i18n import LANGUAGES, current_terms, use_terms
from atr_model.scenarios import (
    INPUTS_KEY,
    Scenario,
    apply_overrides,
    dataset_header,
    load_scenario,
    reusable_kpis,
    run_inputs_key,
)

if TYPE_CHECKING:
    from atr_model.scenarios import ScenarioResult

# What a reused result needs is imported above (the scenario, the dataset's header, the reuse
# check, the headline); the engine, the layers and the report are imported when a run solves.

__all__ = ["TravelOption", "register", "run_command", "travel_override"]

_STEPS = ("dataset", "travel model", "instance", "solve", "check", "passports", "write")


def _dataset_override(value: str | None) -> str | None:
    """'demo'/'kyrgyz' stay as they are; a path is made absolute (relative to the shell)."""
    if value is None or value in ("demo", "kyrgyz"):
        return value
    return str(Path(value).expanduser().resolve())


#: ``--travel DIR`` of every command that runs a scenario.
TravelOption = Annotated[
    Path | None,
    typer.Option(
        "--travel",
        help="A built travel model (the folder 'network build --out' writes) instead of building one; "
        "it must be built on the same dataset.",
    ),
]


def travel_override(value: Path | None) -> str | None:
    """The ``--travel`` folder as the scenario's ``travel`` key (absolute: relative to the shell)."""
    return None if value is None else str(value.expanduser().resolve())


def run_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            help="Dataset instead of the scenario's: 'demo', 'kyrgyz', a .gpkg path or a build folder (data build --out).",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Result folder (default: results/<scenario name>).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
    report: Annotated[
        bool, typer.Option("--report/--no-report", help="Also write the HTML report, workbook and GeoJSON exports.")
    ] = True,
    lang: Annotated[
        str, typer.Option("--lang", help="Language of report.html and summary.html: ky, ru or en.")
    ] = "en",
    force: Annotated[bool, typer.Option("--force", help="Replace --out even if it holds files atr-model did not write.")] = False,
    travel: TravelOption = None,
    rerun: Annotated[
        bool, typer.Option("--rerun", help="Solve again even when --out holds the result of the same inputs.")
    ] = False,
    scheduler_address: Annotated[
        str | None,
        typer.Option("--scheduler-address",
                     help="Dask scheduler (tcp://host:port): the groups (raions, regions) are solved on that "
                          "cluster, largest first; the same result."),
    ] = None,
) -> None:
    """Run a scenario and write its result package (with report and exports by default).

    When ``--out`` already holds the package of the same scenario, data, travel inputs, code and
    options, with its files as written, it is reused (``--rerun`` solves again).
    """
    lang = _language(lang)  # before the run: a typo must not cost a solve
    loaded = apply_overrides(load_scenario(scenario), dataset=_dataset_override(data), travel=travel_override(travel))
    target = claim_output(out or Path("results") / loaded.name, "result", force=force)  # before the solve
    options = {"lang": lang, "report": str(report)}
    # the reuse check reads the dataset's header only (its metadata table), not its layers
    header = None if rerun else dataset_header(loaded)
    if header is not None and _reuse(loaded, header, target, options):
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from atr_model.scenarios import resolve_dataset, run_scenario

    dataset = resolve_dataset(loaded)
    inputs_key = run_inputs_key(loaded, dataset, options)
    if not rerun and header is None and _reuse(loaded, dataset, target, options, inputs_key):
        return
    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=console, disable=quiet, transient=True,
    ) as bar:
        task = bar.add_task(f"{loaded.name}: starting", total=len(_STEPS))

        def step(name: str) -> None:
            done = _STEPS.index(name) if name in _STEPS else 0
            bar.update(task, completed=done, description=f"{loaded.name}: {name}")

        # the engine input is cached by the digest of what it is built from (not the options)
        instance_key = run_inputs_key(loaded, dataset, {"cache": "instance"})
        result = run_scenario(loaded, dataset, progress=step, instance_key=instance_key,
                              scheduler_address=scheduler_address)
        result.provenance[INPUTS_KEY] = inputs_key
        step("write")
        written = _save(result, target, report=report, lang=lang, force=force)
        bar.update(task, completed=len(_STEPS))
    k = result.kpis
    solver = k["solver"]
    with use_terms(dataset_terms(result.dataset)):  # the dataset's words ("commune", not "aiyl aimak")
        typer.echo(
            f"{loaded.name}: {headline_text(k)}{_aiyl_aimak_note(loaded, k)}; solver {solver['status']}"
            f"{' (proven optimal)' if solver['proven_optimal'] else ''} in {solver['seconds']:.1f} s"
        )
    typer.echo(f"wrote {written}")


def _reuse(scenario: Scenario, dataset: DatasetLike, target: Path, options: Mapping[str, str],
           inputs_key: str | None = None) -> bool:
    """Print the headline of the package in ``target`` and return True when the same inputs
    wrote it (:func:`~atr_model.scenarios.reusable_kpis`); False when the scenario must be solved."""
    reused = reusable_kpis(target, inputs_key or run_inputs_key(scenario, dataset, options))
    if reused is None:
        return False
    with use_terms(dataset_terms(dataset)):
        typer.echo(f"{scenario.name}: {headline_text(reused)}{_aiyl_aimak_note(scenario, reused)}; up to date "
                   "(the same inputs wrote it; --rerun to solve again)")
    typer.echo(f"reused {target}")
    return True


def _language(value: str) -> str:
    """A valid report language, or a clear error naming the choices."""
    if value not in LANGUAGES:
        raise ScenarioError(f"--lang {value!r}: expected one of {', '.join(LANGUAGES)}")
    return value


def _aiyl_aimak_note(scenario: Scenario, kpis: Mapping[str, Any]) -> str:
    """' (231 aiyl-aimak units)' when the scenario's unit count is in aiyl-aimak terms."""
    if scenario.criteria.n_units_counts != "aiyl_aimak" or "aiyl_aimak_units_after" not in kpis:
        return ""
    unit = current_terms().word("unit_term", "en").replace(" ", "-")
    return f" ({kpis['aiyl_aimak_units_after']} {unit} units)"


def _save(result: ScenarioResult, target: Path, *, report: bool, lang: str = "en", force: bool = False) -> Path:
    """The result package, in one atomic write; with ``report`` (the default) also the extra KPIs,
    XLSX, GeoJSON, ``report.html`` and ``summary.html`` (in ``lang``), staged before the rename."""
    if report:
        from atr_model.presentation.runs import save_result

        return save_result(result, target, lang=lang, force=force)
    from atr_model.scenarios import write_result

    return write_result(result, target, force=force)


def register(app: typer.Typer) -> None:
    """Add the scenario commands to the root app."""
    app.command("run")(run_command)
