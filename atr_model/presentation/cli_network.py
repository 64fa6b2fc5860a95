"""CLI commands for the travel network: ``network build`` and ``network info``."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer

from atr_model._atomic import claim_output
from atr_model.data import Dataset, make_demo_dataset, read_dataset
from atr_model.network import TravelModel, build_travel_model

__all__ = ["register"]

network_app = typer.Typer(help="Build and inspect travel models (roads or the modelled fallback).",
                          no_args_is_help=True)


def _load_dataset(spec: str) -> Dataset:
    if spec == "demo":
        return make_demo_dataset()
    return read_dataset(spec)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _echo_summary(summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(_clean(summary), sort_keys=True, indent=1, default=str))
        return
    typer.echo(f"travel model: {summary['label']}")
    typer.echo(f"settlements reachable: {summary['settlements_reachable']}, "
               f"unreachable: {summary['settlements_unreachable']}")
    for reason, count in summary["unreachable_reasons"].items():
        typer.echo(f"  {reason}: {count}")
    typer.echo(f"settlements with seasonal access: {summary['settlements_seasonal']}")
    typer.echo(f"adjacent unit pairs: {summary['adjacent_pairs']}; islands: {len(summary['islands'])}; "
               f"enclaves: {len(summary['enclaves'])}")
    if summary.get("road_components"):
        comp = summary["road_components"]
        typer.echo(f"road components: {comp['count']} (settlements outside the largest: "
                   f"{comp['settlements_outside_largest']})")
    if summary.get("pairs_needed") is not None:
        typer.echo(f"settlement-centre pairs: {summary['pairs_needed']}, unreachable: {summary['pairs_unreachable']}")
    if summary.get("connectors_modelled") is not None:
        typer.echo(f"modelled connectors (over {summary['connector_modelled_over_m']:g} m): "
                   f"{summary['connectors_modelled']} settlements "
                   f"({100.0 * summary['connectors_modelled_share']:.1f} %); pairs reached only through them: "
                   f"{summary['pairs_via_modelled_connectors']}")


@network_app.command("build")
def build(
    dataset: Annotated[str, typer.Argument(help="Dataset GeoPackage, or 'demo'.")],
    out: Annotated[Path, typer.Option("--out", help="Directory for the travel model cache.")],
    roads: Annotated[Path | None, typer.Option("--roads", help="OSM .osm.pbf/.osm or a road line layer.")] = None,
    elevation: Annotated[Path | None, typer.Option("--elevation", help="Elevation GeoTIFF.")] = None,
    edits: Annotated[Path | None, typer.Option("--adjacency-edits", help="CSV unit_a,unit_b,action (add|remove).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace --out even if it holds files atr-model did not write.")] = False,
) -> None:
    """Build a travel model and write it to a directory."""
    claim_output(out, "travel-model", force=force)  # before the build: a refusal must not cost one
    tm = build_travel_model(_load_dataset(dataset), roads=roads, elevation=elevation, adjacency_edits=edits)
    tm.write(out, force=force)
    _echo_summary(tm.summary(), as_json)
    if not as_json:
        typer.echo(f"written to {out}")


@network_app.command("info")
def info(
    directory: Annotated[Path, typer.Argument(help="A travel model directory written by 'network build'.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Summarise a travel model written by ``network build``."""
    _echo_summary(TravelModel.read(directory).summary(), as_json)


def register(app: typer.Typer) -> None:
    """Add the ``network`` command group to the root app."""
    app.add_typer(network_app, name="network")
