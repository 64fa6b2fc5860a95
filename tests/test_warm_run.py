"""A warm ``atr-model run`` (issue 22): the reuse check reads the dataset's header, not its layers,
and the command line loads only what the command it runs needs.

- The CLI's start, and a whole reused run, import none of the heavy libraries (checked in a
  fresh interpreter through :data:`sys.modules`; speed is the benchmark's,
  ``benchmarks/bench_warm_run.py``).
- The key computed from the header is the key computed from the loaded dataset (GeoPackage and
  the Kyrgyz build), so a reused package is the one a full load would reuse; a stale or damaged
  Kyrgyz cache gives no header (the run then loads or rebuilds it).
- Any change of the scenario, the options, the dataset bytes or a package file still solves again.
- The lazy package exports resolve every public name, and a submodule named like an export does
  not shadow it; the command table of the CLI is what its modules register.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from atr_model.data import (
    DatasetHeader,
    cached_kyrgyz_header,
    kyrgyz_build_id,
    read_dataset,
    read_dataset_header,
)
from atr_model.errors import DataError
from atr_model.presentation.cli import COMMAND_MODULES, app, build_app, command_of
from atr_model.scenarios import (
    apply_overrides,
    build_instance,
    dataset_header,
    load_scenario,
    resolve_dataset,
    resolve_travel_model,
    run_inputs_key,
)
from atr_model.scenarios.instance_cache import cached_instance, instance_cache_dir

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "scenarios" / "demo.yaml"
CONCEPT = ROOT / "scenarios" / "concept-2013.yaml"
#: Libraries a reused run has no use for (each costs a tenth of a second to seconds to import).
HEAVY = ("pandas", "geopandas", "numpy", "scipy", "pulp", "networkx", "shapely", "pyproj", "pyogrio",
         "folium", "streamlit", "matplotlib", "highspy", "rasterio", "osmium", "openpyxl")


def _python(code: str) -> str:
    """Run ``code`` in a fresh interpreter on this checkout; its output (it must succeed)."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _loaded_heavy(code: str) -> list[str]:
    """The :data:`HEAVY` libraries loaded after ``code`` runs in a fresh interpreter."""
    out = _python(textwrap.dedent(code) + textwrap.dedent(f"""
        import json, sys
        print("HEAVY=" + json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
    """))
    line = [row for row in out.splitlines() if row.startswith("HEAVY=")][-1]
    return list(json.loads(line.removeprefix("HEAVY=")))


@pytest.fixture(scope="module")
def demo_file(demo_dataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo territory as a dataset file (the header path reads its metadata table)."""
    path = tmp_path_factory.mktemp("demo-file") / "demo.gpkg"
    demo_dataset.write(path)
    return path


def _run(out: Path, data: Path, *extra: str, scenario: Path = DEMO) -> str:
    res = CliRunner().invoke(app, ["run", str(scenario), "--data", str(data), "--out", str(out), "-q", "--no-report",
                                   *extra])
    assert res.exit_code == 0, res.output
    return res.output


def test_cli_start_and_package_imports_load_no_heavy_library() -> None:
    assert _loaded_heavy("""
        import atr_model, atr_model.data, atr_model.network, atr_model.criteria, atr_model.optimisation
        import atr_model.scenarios
        from atr_model.presentation import cli
        cli.build_app("run")
    """) == []


def test_a_reused_run_loads_no_heavy_library(demo_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "res"
    assert "wrote" in _run(out, demo_file)
    loaded = _loaded_heavy(f"""
        import contextlib, io
        from atr_model.presentation.cli import main
        text = io.StringIO()
        with contextlib.redirect_stdout(text):
            main(["run", {str(DEMO)!r}, "--data", {str(demo_file)!r}, "--out", {str(out)!r}, "-q", "--no-report"])
        assert "reused" in text.getvalue(), text.getvalue()
    """)
    assert loaded == []


def test_header_is_the_metadata_read_dataset_reads(demo_file: Path) -> None:
    header = read_dataset_header(demo_file)
    dataset = read_dataset(demo_file)
    assert dict(header.metadata) == dict(dataset.metadata)
    assert (header.build_id, header.name) == (dataset.build_id, dataset.name)


def test_header_key_is_the_loaded_dataset_key(demo_file: Path) -> None:
    scenario = apply_overrides(load_scenario(DEMO), dataset=str(demo_file))
    options = {"lang": "en", "report": "False"}
    header = dataset_header(scenario)
    assert isinstance(header, DatasetHeader)
    assert run_inputs_key(scenario, header, options) == run_inputs_key(scenario, resolve_dataset(scenario), options)
    # the generated demo has no file to read a header from: the run loads it
    assert dataset_header(load_scenario(DEMO)) is None


def test_a_bad_metadata_table_is_named_as_read_dataset_names_it(demo_file: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.gpkg"
    shutil.copyfile(demo_file, bad)
    with sqlite3.connect(bad) as connection:
        connection.execute("UPDATE metadata SET value = 'plain text' WHERE key = 'name'")
    connection.close()
    with pytest.raises(DataError) as from_header:
        read_dataset_header(bad)
    with pytest.raises(DataError) as from_dataset:
        read_dataset(bad)
    assert str(from_header.value) == str(from_dataset.value)
    assert "table 'metadata'" in str(from_header.value) and "key 'name'" in str(from_header.value)
    garbage = tmp_path / "garbage.gpkg"
    garbage.write_bytes(b"not a database" * 100)
    with pytest.raises(DataError, match=r"garbage\.gpkg: not an atr-model dataset"):
        read_dataset_header(garbage)


def test_changed_scenario_or_options_solve_again(demo_file: Path, tmp_path: Path) -> None:
    """On the header path (a dataset file); a changed dataset file or package file:
    ``test_cli_run.test_a_changed_input_or_file_is_solved_again``."""
    out = tmp_path / "res"
    _run(out, demo_file)
    assert "up to date" in _run(out, demo_file)
    # another scenario setting (the scenario's hash), here one that does not change the plan
    changed = tmp_path / "changed.yaml"
    changed.write_text(DEMO.read_text(encoding="utf-8").replace("time_limit_s: 60", "time_limit_s: 61"), encoding="utf-8")
    assert "up to date" not in _run(out, demo_file, scenario=changed)
    assert "up to date" in _run(out, demo_file, scenario=changed)
    # another option (the report's language)
    assert "up to date" not in _run(out, demo_file, "--lang", "ru", scenario=changed)
    assert "up to date" in _run(out, demo_file, "--lang", "ru", scenario=changed)


def _fake_cache(root: Path, build_id: str) -> Path:
    """A cache folder whose Kyrgyz build is a GeoPackage-like file with only a metadata table."""
    target = root / "kyrgyzstan" / "kyrgyzstan.gpkg"
    target.parent.mkdir(parents=True)
    with sqlite3.connect(target) as connection:
        connection.execute("CREATE TABLE metadata (fid INTEGER PRIMARY KEY, key TEXT, value TEXT)")
        connection.executemany("INSERT INTO metadata (key, value) VALUES (?, ?)",
                               [("build_id", json.dumps(build_id)), ("kind", json.dumps("kyrgyz-open-data"))])
    connection.close()
    return target


@pytest.mark.kgdata
def test_a_stale_or_damaged_kyrgyz_cache_gives_no_header(kg_source: Path, tmp_path: Path) -> None:
    wanted = kyrgyz_build_id(kg_source)
    assert cached_kyrgyz_header(kg_source, cache_dir=tmp_path / "none") is None
    current = _fake_cache(tmp_path / "current", wanted)
    assert cached_kyrgyz_header(kg_source, cache_dir=tmp_path / "current") == DatasetHeader(
        {"build_id": wanted, "kind": "kyrgyz-open-data"})
    _fake_cache(tmp_path / "stale", "kg-0000000000000000")
    assert cached_kyrgyz_header(kg_source, cache_dir=tmp_path / "stale") is None
    current.write_bytes(b"damaged")
    assert cached_kyrgyz_header(kg_source, cache_dir=tmp_path / "current") is None


@pytest.mark.kgdata
def test_kyrgyz_header_key_is_the_loaded_build_key(
    kg_source: Path, kg_dataset_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    cache = tmp_path / "cache"
    (cache / "kyrgyzstan").mkdir(parents=True)
    shutil.copyfile(kg_dataset_path, cache / "kyrgyzstan" / "kyrgyzstan.gpkg")
    monkeypatch.setenv("ATR_CACHE_DIR", str(cache))
    monkeypatch.setenv("ATR_KG_DATA", str(kg_source))
    scenario = apply_overrides(load_scenario(CONCEPT), dataset="kyrgyz")
    header = dataset_header(scenario)
    assert header is not None and header.build_id == kyrgyz_build_id(kg_source)
    options = {"lang": "en", "report": "True"}
    assert run_inputs_key(scenario, header, options) == run_inputs_key(scenario, resolve_dataset(scenario), options)


def test_lazy_exports_resolve_and_are_not_shadowed_by_submodules() -> None:
    # in a fresh interpreter: the submodules named like an export are imported first, as another
    # module's import would; the package attribute must stay the function (as the eager import had it)
    _python("""
        import importlib, types
        import atr_model.scenarios.agreement, atr_model.scenarios.calibrate, atr_model.scenarios.limits
        from atr_model.scenarios import agreement, calibrate, limits
        for found in (agreement, calibrate, limits):
            assert isinstance(found, types.FunctionType), found
        for name in ["atr_model.data", "atr_model.data.kyrgyz", "atr_model.network", "atr_model.criteria",
                     "atr_model.optimisation", "atr_model.scenarios"]:
            package = importlib.import_module(name)
            missing = [n for n in package.__all__ if not hasattr(package, n)]
            assert not missing, (name, missing)
            assert set(package.__all__) <= set(dir(package)), name
    """)


def test_command_table_is_what_the_modules_register() -> None:
    full = {command.name for command in app.registered_commands} | {group.name for group in app.registered_groups}
    assert full == set(COMMAND_MODULES)
    for command, module in COMMAND_MODULES.items():
        one = build_app(command)
        names = {c.name for c in one.registered_commands} | {g.name for g in one.registered_groups}
        assert command in names
        assert names == {c for c, m in COMMAND_MODULES.items() if m == module}


def test_command_of_skips_root_options() -> None:
    assert command_of(["-v", "--log-file", "run.log", "run", "x.yaml"]) == "run"
    assert command_of(["--log-file=run.log", "data", "info"]) == "data"
    assert command_of(["--help"]) is None


# ---------------------------------------------------------------------------------------------
# the engine input cached by the digest of its inputs (``--rerun`` on unchanged inputs)


@pytest.fixture(scope="module")
def demo_bundle(demo_file: Path):
    """The demo file's scenario, dataset, travel model and engine input, built once."""
    scenario = apply_overrides(load_scenario(DEMO), dataset=str(demo_file))
    dataset = resolve_dataset(scenario)
    travel = resolve_travel_model(scenario, dataset)
    return scenario, dataset, travel, build_instance(dataset, travel, scenario.criteria, level=scenario.level)


def _same_bundle(a, b) -> None:
    for field in dataclasses.fields(a.instance):
        left, right = getattr(a.instance, field.name), getattr(b.instance, field.name)
        if isinstance(left, np.ndarray):
            assert np.array_equal(left, right), field.name
        else:
            assert left == right, field.name
    for name in ("units", "settlements", "settlement_times", "exemptions"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.criteria == b.criteria and a.barrier_pairs == b.barrier_pairs


def test_instance_cache_reuses_the_bundle_and_a_new_key_builds_again(
    demo_bundle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ATR_CACHE_DIR", str(tmp_path))
    scenario, dataset, _travel, built = demo_bundle
    calls: list[int] = []

    def build():
        calls.append(1)
        return built

    key = run_inputs_key(scenario, dataset, {"cache": "instance"})
    first = cached_instance(key, build)
    again = cached_instance(key, build)
    assert len(calls) == 1 and again is not first  # the second one was read back from the file
    _same_bundle(again, built)
    # another scenario value is another key, so another entry (never the stored one)
    changed = scenario.model_copy(update={"name": "demo-other"})
    other = run_inputs_key(changed, dataset, {"cache": "instance"})
    assert other != key
    cached_instance(other, build)
    assert len(calls) == 2 and len(list(instance_cache_dir().glob("*.pickle"))) == 2


def test_a_damaged_instance_cache_entry_is_rebuilt_with_a_warning(
    demo_bundle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("ATR_CACHE_DIR", str(tmp_path))
    _scenario, _dataset, _travel, built = demo_bundle
    key = "ab" * 32
    cached_instance(key, lambda: built)
    (entry,) = instance_cache_dir().glob("*.pickle")
    entry.write_bytes(entry.read_bytes()[:1000])  # cut short, as a killed writer cannot leave it (atomic)
    calls: list[int] = []
    with caplog.at_level(logging.WARNING, logger="atr_model.scenarios.instance_cache"):
        again = cached_instance(key, lambda: calls.append(1) or built)
    assert calls == [1] and again is built
    assert any("not used" in r.getMessage() and entry.name in r.getMessage() for r in caplog.records)
    _same_bundle(cached_instance(key, lambda: pytest.fail("the rebuilt entry must be read")), built)


def test_a_rerun_reads_the_cached_instance_and_gives_the_same_plan(
    demo_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ATR_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "res"
    _run(out, demo_file)
    plan = (out / "assignments.csv").read_bytes()
    entries = sorted((tmp_path / "cache" / "instances").glob("*.pickle"))
    assert len(entries) == 1
    stamp = entries[0].stat().st_mtime_ns
    _run(out, demo_file, "--rerun")
    assert (out / "assignments.csv").read_bytes() == plan
    assert entries[0].stat().st_mtime_ns == stamp  # read, not written again
    assert sorted((tmp_path / "cache" / "instances").glob("*.pickle")) == entries
