"""``atr-model solve-instance`` on a small instance directory in the benchmark layout."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from atr_model.optimisation import EngineSettings, MergerInstance, MergerModel
from atr_model.optimisation.io import read_instance_dir
from atr_model.presentation import cli_optimisation
from atr_model.presentation.cli import app, main

#: The options of solve-instance that are engine settings of the same name.
ENGINE_OPTIONS = ("contiguity", "solver", "time_limit_s", "gap_rel")


def _write_line_instance(directory: Path, n: int = 6) -> None:
    """A line of n units 10 km apart, 1,000 residents each."""
    directory.mkdir()
    pop = [1000] * n
    rows = ["id,geoid,name,population"] + [f"{i},X{i:02d},Unit {i},{p}" for i, p in enumerate(pop)]
    (directory / "XX_nodes.csv").write_text("\n".join(rows) + "\n")
    (directory / "XX_edges.csv").write_text("u,v\n" + "".join(f"{i},{i + 1}\n" for i in range(n - 1)))
    idx = np.arange(n)
    dist = 10 * np.abs(idx[:, None] - idx[None])
    lines = ["Node_ID," + ",".join(map(str, idx))] + [f"{i}," + ",".join(map(str, dist[i])) for i in idx]
    (directory / "XX_distances_km.csv").write_text("\n".join(lines) + "\n")


def test_solve_instance_json(tmp_path: Path) -> None:
    _write_line_instance(tmp_path / "XX")
    bench = read_instance_dir(tmp_path / "XX", k=2)
    assert (bench.population_floor, bench.population_cap) == (2985, 3015)  # 3000 -+ 0.5 %
    out = CliRunner().invoke(app, ["solve-instance", str(tmp_path / "XX"), "--k", "2", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    # two contiguous units of three: {0,1,2} centred on 1 and {3,4,5} centred on 4;
    # cost 2 x 2 x 1000 x (10 / 1000)^2 = 0.4
    assert data["status"] == "optimal" and data["n_units"] == 2
    assert data["objective"] == pytest.approx(0.4)
    assert data["centres"] == ["X01", "X04"] and data["violations"] == []


def test_solve_instance_defaults_are_the_engines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = {f.name: f.default for f in dataclasses.fields(EngineSettings)}
    # the defaults the command declares (and --help prints) are the engine's field defaults
    command = typer.main.get_command(app).commands["solve-instance"]  # type: ignore[attr-defined]
    declared = {p.name: p.default for p in command.params}
    assert {name: declared[name] for name in ENGINE_OPTIONS} == {name: engine[name] for name in ENGINE_OPTIONS}
    # and the engine receives them when no option is given
    received: list[EngineSettings] = []

    def recording_model(instance: MergerInstance, settings: EngineSettings) -> MergerModel:
        received.append(settings)
        return MergerModel(instance, settings)

    monkeypatch.setattr(cli_optimisation, "MergerModel", recording_model)
    _write_line_instance(tmp_path / "XX")
    out = CliRunner().invoke(app, ["solve-instance", str(tmp_path / "XX"), "--k", "2", "--json"])
    assert out.exit_code == 0, out.output
    assert len(received) == 1
    assert {name: getattr(received[0], name) for name in ENGINE_OPTIONS} == {name: engine[name] for name in ENGINE_OPTIONS}
    help_text = CliRunner().invoke(app, ["solve-instance", "--help"], terminal_width=200).output
    assert f"[default: {engine['time_limit_s']}]" in help_text


def test_solve_instance_text(tmp_path: Path) -> None:
    _write_line_instance(tmp_path / "XX")
    out = CliRunner().invoke(app, ["solve-instance", str(tmp_path / "XX"), "--k", "3", "--contiguity", "flow"])
    assert out.exit_code == 0, out.output
    assert "status optimal" in out.output and "contiguity flow" in out.output


def test_solve_instance_bad_dir_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # through main(), the real entry point: the package's DataError becomes exactly one line, exit 1
    nowhere = tmp_path / "nowhere"
    with pytest.raises(SystemExit) as stop:
        main(["solve-instance", str(nowhere)])
    assert stop.value.code == 1
    captured = capsys.readouterr()
    assert captured.err == f"error: {nowhere}: not a directory\n"
    assert captured.out == "" and "Traceback" not in captured.err
