"""dataset_info, ``data info`` and ``quickstart`` on the fictional demo territory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from atr_model.data import Dataset, dataset_info
from atr_model.errors import DataError
from atr_model.presentation import cli_data
from atr_model.presentation.cli import app, main

runner = CliRunner()


def test_dataset_info_counts_the_demo(demo_dataset: Dataset) -> None:
    info = dataset_info(demo_dataset)
    units = demo_dataset.units
    assert info["units"] == len(units)
    assert sum(info["units_by_level"].values()) == len(units)
    assert info["raions"] == int((demo_dataset.raions["kind"] == "raion").sum())
    assert sum(info["population_source_counts"].values()) == len(units)
    assert sum(info["geometry_source_counts"].values()) == len(units)
    assert info["population_real_units"] + info["population_estimated_units"] == len(units)
    assert 0 <= info["villages_located"] <= info["villages_total"]
    json.dumps(info)  # plain JSON


def test_info_cli_json_and_table(demo_dataset: Dataset, tmp_path: Path) -> None:
    path = demo_dataset.write(tmp_path / "demo.gpkg")
    result = runner.invoke(app, ["data", "info", str(path), "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["units"] == len(demo_dataset.units)
    # the travel model's reachability (issue 3): the demo ships a generated road file
    assert info["travel_model"] == "roads"
    assert info["settlements_reachable"] + info["settlements_unreachable"] == len(demo_dataset.settlements)
    table = runner.invoke(app, ["data", "info", str(path)])
    assert table.exit_code == 0 and "aiyl aimaks" in table.stdout


def test_info_on_a_missing_file_is_one_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = runner.invoke(app, ["data", "info", str(tmp_path / "none.gpkg")])
    assert isinstance(result.exception, DataError)
    with pytest.raises(SystemExit, match="^1$") as exit_info:
        main(["data", "info", str(tmp_path / "none.gpkg")])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "none.gpkg: dataset file not found" in err[0]


def test_quickstart_falls_back_to_the_demo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(cli_data, "find_kg_source", lambda explicit=None: None)
    result = runner.invoke(app, ["quickstart", "--cache-dir", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["units"] > 0
    assert (tmp_path / "demo" / "demo.gpkg").exists()


def test_build_with_a_missing_source_names_it(tmp_path: Path) -> None:
    result = runner.invoke(app, ["data", "build", "--source", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")])
    assert isinstance(result.exception, DataError)
    assert "nowhere: source directory not found" in str(result.exception)
    assert not (tmp_path / "o").exists()


def test_data_readme_documents_every_contract_column() -> None:
    from atr_model.data.contract import LAYERS

    text = (Path(__file__).resolve().parents[1] / "data" / "README.md").read_text(encoding="utf-8")
    for layer, columns in LAYERS.items():
        assert f"### {layer}" in text, layer
        for col in columns:
            assert f"`{col.name}`" in text, (layer, col.name)


def test_info_json_on_the_kyrgyz_build_reports_reachability(kg_dataset_path: Path) -> None:
    result = runner.invoke(app, ["data", "info", str(kg_dataset_path), "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["units_by_level"]["aiyl_aimak"] == 453 and info["raions"] == 40
    assert info["travel_model"] == "modelled"
    assert info["settlements_reachable"] + info["settlements_unreachable"] == info["settlements"]
    # every unreachable settlement has a reason
    assert sum(info.get("unreachable_reasons", {}).values()) == info["settlements_unreachable"]
