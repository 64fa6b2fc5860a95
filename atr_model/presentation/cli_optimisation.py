"""CLI commands of the optimisation layer: ``atr-model solve-instance``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from atr_model.optimisation import EngineSettings, MergerModel, check_plan, read_instance_dir

__all__ = ["register"]

#: The engine's defaults: the command's solver, contiguity, time limit and gap are the engine's own.
_ENGINE = EngineSettings()


def solve_instance(
    directory: Annotated[Path, typer.Argument(help="Directory with <ST>_nodes.csv, <ST>_edges.csv, <ST>_distances_km.csv.")],
    k: Annotated[
        int | None,
        typer.Option("--k", help="Number of new units; sets the benchmark population band (P/k +-0.5%)."),
    ] = None,
    contiguity: Annotated[str, typer.Option("--contiguity", help="auto | cuts | flow | none")] = _ENGINE.contiguity,
    solver: Annotated[str, typer.Option("--solver", help="highs | cbc")] = _ENGINE.solver,
    time_limit_s: Annotated[float, typer.Option("--time-limit", help="Seconds for the whole solve.")] = _ENGINE.time_limit_s,
    gap_rel: Annotated[float, typer.Option("--gap", help="Relative MIP gap (0 for proven optima).")] = _ENGINE.gap_rel,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as one JSON object.")] = False,
) -> None:
    """Solve a matrix-level instance directory (the published county benchmark layout)."""
    bench = read_instance_dir(directory, k=k)
    settings = bench.settings(contiguity=contiguity, solver=solver, time_limit_s=time_limit_s, gap_rel=gap_rel)
    result = MergerModel(bench.instance, settings).solve()
    violations = check_plan(bench.instance, result.assignment, settings) if result.has_plan else []
    if as_json:
        out = {"instance": bench.name, "n": bench.instance.n, "k": k, "population_floor": bench.population_floor,
               "population_cap": bench.population_cap, **result.to_dict(),
               "violations": [v.message for v in violations]}
        typer.echo(json.dumps(out, sort_keys=True))
        return
    typer.echo(f"{bench.name}: n={bench.instance.n} k={k} band=[{bench.population_floor}, {bench.population_cap}]")
    typer.echo(f"status {result.status}  objective {result.objective:.6f}  bound {result.bound:.6f}  "
               f"gap {result.gap:.2e}  {result.seconds:.2f} s  contiguity {result.contiguity_method} "
               f"({result.cut_rounds} cut rounds)")
    for c in result.centres:
        members = result.members(int(c))
        typer.echo(f"  centre {bench.instance.label(int(c))}: {members.size} units, "
                   f"{bench.instance.population[members].sum():,.0f} residents")
    for v in violations:
        typer.echo(f"  violation [{v.constraint}]: {v.message}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("solve-instance")(solve_instance)
