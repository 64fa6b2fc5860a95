"""``atr-model network build / info`` (registered on a local app until the lead wires it)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from atr_model.data.demo import write_demo_roads
from atr_model.errors import NetworkError
from atr_model.presentation import cli_network


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """Test root."""

    cli_network.register(app)
    return app


def test_build_and_info(tmp_path: Path) -> None:
    runner = CliRunner()
    roads = write_demo_roads(tmp_path / "roads.osm")
    out = tmp_path / "tm"
    result = runner.invoke(_app(), ["network", "build", "demo", "--roads", str(roads), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["travel_model"] == "roads" and summary["settlements_unreachable"] == 0
    result = runner.invoke(_app(), ["network", "info", str(out)])
    assert result.exit_code == 0 and "travel model: roads: roads.osm" in result.output


def test_bad_road_file_is_an_atr_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"")
    result = CliRunner().invoke(_app(), ["network", "build", "demo", "--roads", str(bad), "--out", str(tmp_path / "x")])
    assert isinstance(result.exception, NetworkError) and "bad.osm.pbf" in str(result.exception)
