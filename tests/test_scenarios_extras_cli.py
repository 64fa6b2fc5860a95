"""CLI commands of the extras (report, export, compare) on hand-built result folders."""

from __future__ import annotations

import json
from pathlib import Path

import extras_fixtures as fx
import typer
from typer.testing import CliRunner

from atr_model.presentation import cli_extras


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:  # a group, so subcommand names are required as in the real CLI
        pass

    cli_extras.register(app)
    return app


def test_compare_json_and_out(tmp_path: Path) -> None:
    a = fx.write_package(tmp_path / "a", fx.merged_partition(), name="a")
    b = fx.write_package(tmp_path / "b", dict(fx.merged_partition(), U00="U00"), name="b")
    out = tmp_path / "cmp"
    res = CliRunner().invoke(_app(), ["compare", str(a), str(b), "--json", "--out", str(out)])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output)
    assert {u["unit_code"] for u in payload["changed_units"]} == {"U00", "U01"}
    assert payload["n_units"] == 12
    assert (out / "comparison.html").exists() and (out / "changed_units.csv").exists()


def test_compare_table_output(tmp_path: Path) -> None:
    a = fx.write_package(tmp_path / "a", fx.identity_partition(), name="a")
    b = fx.write_package(tmp_path / "b", fx.merged_partition(), name="b")
    res = CliRunner().invoke(_app(), ["compare", str(a), str(b)])
    assert res.exit_code == 0, res.output
    assert "12 of 12 units assigned differently" in res.output


def test_compare_rejects_other_files(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("nothing")
    res = CliRunner().invoke(_app(), ["compare", str(tmp_path / "x.txt"), str(tmp_path / "x.txt")])
    assert res.exit_code != 0
    assert "neither a result folder nor a scenario file" in str(res.exception)


def test_report_and_export_commands(tmp_path: Path) -> None:
    folder = fx.write_package(tmp_path / "p", fx.merged_partition())
    runner = CliRunner()
    res = runner.invoke(_app(), ["report", str(folder)])
    assert res.exit_code == 0, res.output
    assert (folder / "report.html").exists()
    res = runner.invoke(_app(), ["export", str(folder)])
    assert res.exit_code == 0, res.output
    assert (folder / "tables.xlsx").exists() and (folder / "new_units.geojson").exists()
