"""``atr-model run`` on the demo: ``--data`` takes a build folder, ``--no-report`` writes no report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from atr_model.errors import ScenarioError
from atr_model.presentation.cli import app
from atr_model.scenarios import dataset_file

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "scenarios" / "demo.yaml"


@pytest.fixture(scope="module")
def build_folder(demo_dataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder laid out as ``data build --out DIR`` leaves it: one GeoPackage and its report."""
    folder = tmp_path_factory.mktemp("demo-build")
    # renamed, so a run can show it read this file and not the scenario's generated demo
    demo_dataset.replace(metadata={**demo_dataset.metadata, "name": "Demo build folder"}).write(folder / "demo.gpkg")
    (folder / "build_report.md").write_text("# build report\n", encoding="utf-8")
    return folder


def test_run_on_a_build_folder_without_report(build_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "res"
    res = CliRunner().invoke(app, ["run", str(DEMO), "--data", str(build_folder), "--out", str(out), "-q", "--no-report"])
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in out.iterdir())
    assert "assignments.csv" in names and "kpis.json" in names
    assert "report.html" not in names and "tables.xlsx" not in names
    provenance = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    assert provenance["dataset_name"] == "Demo build folder"
    assert "wrote" in res.output


def test_run_with_report_writes_it(build_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "res"
    res = CliRunner().invoke(app, ["run", str(DEMO), "--data", str(build_folder / "demo.gpkg"), "--out", str(out), "-q"])
    assert res.exit_code == 0, res.output
    assert (out / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert json.loads((out / "provenance.json").read_text(encoding="utf-8"))["dataset_name"] == "Demo build folder"
    assert (out / "tables.xlsx").stat().st_size > 0


def test_dataset_file_of_a_build_folder(build_folder: Path) -> None:
    assert dataset_file(build_folder) == build_folder / "demo.gpkg"
    assert dataset_file(build_folder / "demo.gpkg") == build_folder / "demo.gpkg"


def test_folder_without_a_single_dataset_is_named(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ScenarioError, match=r"folder .*empty has no \.gpkg file"):
        dataset_file(tmp_path / "empty")
    (tmp_path / "two").mkdir()
    for name in ("a.gpkg", "b.gpkg"):
        (tmp_path / "two" / name).write_bytes(b"")
    with pytest.raises(ScenarioError, match=r"2 \.gpkg files \(a\.gpkg, b\.gpkg\)"):
        dataset_file(tmp_path / "two")
    with pytest.raises(ScenarioError, match=r"nowhere not found"):
        dataset_file(tmp_path / "nowhere")


def test_data_info_reads_the_same_build_folder(build_folder: Path) -> None:
    res = CliRunner().invoke(app, ["data", "info", str(build_folder), "--json", "--no-network"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["name"] == "Demo build folder"


def _run(out: Path, data: Path, *extra: str) -> str:
    res = CliRunner().invoke(app, ["run", str(DEMO), "--data", str(data), "--out", str(out), "-q", "--no-report", *extra])
    assert res.exit_code == 0, res.output
    return res.output


def test_a_second_run_with_the_same_inputs_reuses_the_package(build_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "res"
    first = _run(out, build_folder)
    assert "wrote" in first and "up to date" not in first
    created = json.loads((out / "provenance.json").read_text(encoding="utf-8"))["created_utc"]
    second = _run(out, build_folder)
    assert "up to date" in second and f"reused {out}" in second
    # the same headline as the solve printed, read from the kept package
    assert second.splitlines()[0].split("; up to date")[0] == first.splitlines()[0].split("; solver")[0]
    assert json.loads((out / "provenance.json").read_text(encoding="utf-8"))["created_utc"] == created
    assert "up to date" not in _run(out, build_folder, "--rerun")


def test_a_changed_input_or_file_is_solved_again(build_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "res"
    _run(out, build_folder)
    # another dataset file (same content under another name is other bytes: renamed in metadata)
    other = tmp_path / "other.gpkg"
    from atr_model.data import read_dataset

    dataset = read_dataset(build_folder / "demo.gpkg")
    dataset.replace(metadata={**dataset.metadata, "name": "Another build"}).write(other)
    assert "up to date" not in _run(out, other)
    assert "up to date" in _run(out, other)
    # a package file edited after it was written is never taken as the result
    kpis = out / "kpis.json"
    kpis.write_text(kpis.read_text(encoding="utf-8").replace("5", "6", 1), encoding="utf-8")
    assert "up to date" not in _run(out, other)
