"""CLI command ``atr-model robustness``: the nominal plan plus N joint draws of the estimated inputs.

Calls only :func:`atr_model.scenarios.run_robustness` and :func:`write_robustness`; an
:class:`~atr_model.errors.ATRError` (bad argument, unreachable scheduler, nothing to draw)
reaches ``cli.main``, which prints one line. With the report, the package holds
``report.html`` (the nominal report with the robustness section) and, in ``nominal/``, the
nominal plan's own ``report.html`` and Council ``summary.html``: written in the package's
staging folder after the stability tables, so both carry each merger's confidence, and
published with the package in one rename.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from atr_model._atomic import claim_output
from atr_model.errors import ScenarioError
from atr_model.presentation.cli_scenarios import TravelOption, _dataset_override, _language, travel_override
from atr_model.presentation.report import raion_names, write_report, write_robustness_report, write_summary
from atr_model.scenarios import (
    RobustnessResult,
    apply_overrides,
    check_draws,
    load_scenario,
    run_robustness,
    write_robustness,
)

__all__ = ["register", "robustness_command", "summary_lines", "write_documents"]


#: ``--warm-start`` values -> ``run_robustness(warm_start=...)``
_WARM_START: dict[str, bool | None] = {"auto": None, "on": True, "off": False}


def _default_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def summary_lines(result: RobustnessResult) -> list[str]:
    """The notes the issue asks for: stable new units, fragile decisions, the five most fragile."""
    s = result.summary
    threshold = int(round(100 * s["stable_share_threshold"]))
    lines = [
        f"{result.nominal.scenario.name}: {s['draws_with_plan']} of {s['draws']} draws solved "
        f"({result.executor}, {result.seconds:.1f} s; {result.timings.get('per_draw_s', 0):.2f} s per draw)",
        f"nominal new units appearing exactly in >= {threshold}% of draws: {s['new_units_stable']} of "
        f"{s['new_units_nominal']} (merged ones: {s['merged_new_units_stable']} of {s['merged_new_units_nominal']})"
        " (estimate)",
        f"fragile decisions (flip in > {100 * result.fragile_share:.0f}% of draws): {s['decisions_fragile']} of "
        f"{s['decisions']} units (estimate)",
    ]
    for k, item in enumerate(s["most_fragile"], start=1):
        lines.append(f"  {k}. {item['unit_name']} ({item['unit_code']}): {item['hinges_on']}")
    timings = result.timings
    if timings.get("warm_start"):
        lines.append(f"warm start from the nominal plan: used in {timings.get('starts_used', 0)} solves, dropped in "
                     f"{timings.get('starts_dropped', 0)} (the draw broke a hard constraint of the nominal plan)")
    if s.get("draws_failed"):
        lines.append(f"draws without a plan: {s['draws_failed']} ({'; '.join(s['draw_errors'])})")
    if "consensus" in s:
        c = s["consensus"]
        lines.append(f"consensus plan: {c['units_after']} units, {c['units_changed_from_nominal']} units placed "
                     f"differently from the nominal plan, agreement with the draws {100 * c['agreement']:.1f}%")
    return lines


def write_documents(result: RobustnessResult, staging: Path, lang: str = "en") -> None:
    """The package's HTML documents in ``lang``, written into its staging folder.

    ``report.html`` (the nominal report with the robustness section), and the nominal plan's
    ``nominal/report.html`` and ``nominal/summary.html``: the stability tables stand in the
    staging folder by now (:func:`write_robustness` writes them before its extra writers), so
    the passports and the summary show each merger's confidence.
    """
    write_robustness_report(staging, lang)
    nominal = staging / "nominal"
    write_report(nominal, lang=lang)
    dataset = getattr(result.nominal, "dataset", None)
    write_summary(nominal, lang=lang, raions=raion_names(getattr(dataset, "raions", None), lang))


def robustness_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    draws: Annotated[int, typer.Option("--draws", help="Number of joint draws of the estimated inputs.")] = 100,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives the same tables.")] = 0,
    data: Annotated[
        str | None,
        typer.Option("--data", help="Dataset instead of the scenario's: 'demo', 'kyrgyz' or a .gpkg path."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Worker processes for the draws (default: min(2, CPUs)).")
    ] = None,
    scheduler_address: Annotated[
        str | None,
        typer.Option("--scheduler-address", help="Dask scheduler (tcp://host:port); draws run on that cluster."),
    ] = None,
    fragile_share: Annotated[
        float, typer.Option("--fragile-share", help="A decision flipping in more than this share is fragile.")
    ] = 0.2,
    out: Annotated[
        Path | None, typer.Option("--out", help="Package folder (default: results/<scenario name>-robustness).")
    ] = None,
    warm_start: Annotated[
        str, typer.Option("--warm-start", help="Start each draw's solves from the nominal plan: 'auto' (where "
                          "draws are solved raion by raion), 'on' or 'off'. Same tables either way; speed only.")
    ] = "auto",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    report: Annotated[bool, typer.Option(
        "--report/--no-report", help="Also write report.html, and nominal/report.html and nominal/summary.html "
        "with each merger's confidence.")] = True,
    lang: Annotated[str, typer.Option("--lang", help="Language of report.html: ky, ru or en.")] = "en",
    force: Annotated[bool, typer.Option("--force", help="Replace --out even if it holds files atr-model did not write.")] = False,
    max_draws: Annotated[int | None, typer.Option(
        "--max-draws", min=1, help="Most draws allowed (default 10,000, or $ATR_MAX_DRAWS).")] = None,
    travel: TravelOption = None,
) -> None:
    """Run the nominal scenario and N draws of its estimated inputs; write the robustness package."""
    check_draws(draws, max_draws)  # at once: the nominal run must not come first
    if warm_start not in _WARM_START:
        raise ScenarioError(f"robustness: --warm-start must be one of auto, on, off (got {warm_start!r})")
    lang = _language(lang)  # before the run: a typo must not cost the draws
    loaded = apply_overrides(load_scenario(scenario), dataset=_dataset_override(data), travel=travel_override(travel))
    target = claim_output(out or Path("results") / f"{loaded.name}-robustness", "robustness", force=force)
    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, disable=quiet, transient=True,
    ) as bar:
        task = bar.add_task(f"{loaded.name}: nominal run", total=draws)

        def step(name: str) -> None:
            bar.update(task, description=f"{loaded.name}: {name}")

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = run_robustness(
            loaded, draws=draws, seed=seed, workers=workers or _default_workers(),
            scheduler_address=scheduler_address, fragile_share=fragile_share, progress=progress, step=step,
            warm_start=_WARM_START[warm_start], max_draws=max_draws,
        )
        step("writing")
        writers: tuple[Callable[[RobustnessResult, Path], object], ...] = ()
        if report:
            writers = (lambda res, folder: write_documents(res, Path(folder), lang),)
        written = write_robustness(result, target, extra_writers=writers, force=force)
    for line in summary_lines(result):
        typer.echo(line)
    typer.echo(f"wrote {written}")


def register(app: typer.Typer) -> None:
    """Add ``robustness`` to the root app."""
    app.command("robustness")(robustness_command)
