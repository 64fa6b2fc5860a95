"""Safe outputs (issue 26, findings 1, 7 and 8's disk-full and ``--log-file`` items).

* No command deletes what it did not write: every ``--out`` refuses a non-empty folder without
  atr-model's marker (the user's file survives) unless ``--force``.
* ``kill -9`` of each writing command at seeded random moments leaves the old or the new result
  whole, no worker process, and nothing (staging beside the output, scratch in the temporary
  folder) after the next start.
* A full disk is one line naming the folder, the old result intact; ``--log-file`` appends only
  to its own log; the GeoJSON's ``name`` is the layer's, not the staging file's.

The kill tests start the real CLI in a subprocess with its own ``TMPDIR`` (so leftovers in the
temporary folder are this test's alone to see).
"""

from __future__ import annotations

import errno
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd
import psutil
import pytest
import yaml

from atr_model.presentation.cli import main

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "scenarios" / "demo.yaml"
MARKER = ".atr-model-output"
#: Seeded kill moments: the same moments on every run of the suite.
RNG = random.Random(26)
_NUMBER = re.compile(rb"\d+(?:\.\d+)?")


# --------------------------------------------------------------------------- helpers


def _env(tmp_root: Path) -> dict[str, str]:
    scratch = tmp_root / "tmpdir"
    scratch.mkdir(exist_ok=True)
    return {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(scratch)}


def _start(args: Sequence[str], tmp_root: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "atr_model", *args], env=_env(tmp_root), cwd=tmp_root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _run(args: Sequence[str], tmp_root: Path) -> float:
    """Run the CLI to the end (exit 0); its wall time in seconds."""
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "atr_model", *args], check=False, env=_env(tmp_root), cwd=tmp_root,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return time.monotonic() - t0


def _staging(out: Path) -> list[Path]:
    return sorted(out.parent.glob(f".{out.name}.*"))


def _scratch(tmp_root: Path) -> list[Path]:
    return sorted(p for p in (tmp_root / "tmpdir").glob("atr*"))


def _kill(proc: subprocess.Popen, *, delay: float, out: Path | None = None, workers: int = 0) -> None:
    """SIGKILL ``proc`` ``delay`` s after its staging beside ``out`` appears (its write stage), or
    after it has ``workers`` child processes (its pool at work), or after its start; then every
    process it had started must end within a few seconds."""
    deadline = time.monotonic() + 300
    while proc.poll() is None and (
        (out is not None and not any(p.name.startswith(f".{out.name}.tmp-") for p in _staging(out)))
        or len(psutil.Process(proc.pid).children(recursive=True)) < workers
    ):
        assert time.monotonic() < deadline, "the command never reached the moment to kill it"
        time.sleep(0.02)
    time.sleep(delay)
    children: list[psutil.Process] = []
    if proc.poll() is None:
        children = psutil.Process(proc.pid).children(recursive=True)
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    _gone, alive = psutil.wait_procs(children, timeout=5)
    alive = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    for orphan in alive:  # do not leave them running for the rest of the suite
        orphan.kill()
    assert not alive, f"worker processes outlived the killed command: {[p.pid for p in alive]}"


def _same_table(path: Path, ref: Path) -> bool:
    readers: dict[str, Callable[[Path], int]] = {
        ".csv": lambda p: len(pd.read_csv(p)),
        ".parquet": lambda p: len(pd.read_parquet(p)),
        ".gpkg": lambda p: int(__import__("pyogrio").read_info(p)["features"]),
    }
    return readers[path.suffix](path) == readers[path.suffix](ref)


def _whole_file(path: Path, ref: Path) -> bool:
    """``path`` is a complete file of ``ref``'s kind (same bytes, or the same structure where a
    rerun differs only in timings and dates)."""
    data = path.read_bytes()
    if data == ref.read_bytes():
        return True
    suffix = path.suffix
    if suffix in (".json", ".geojson"):
        return set(json.loads(data)) == set(json.loads(ref.read_bytes()))
    if suffix in (".csv", ".parquet", ".gpkg"):
        return _same_table(path, ref)
    if suffix == ".html":
        return data.rstrip().endswith(b"</html>")
    if suffix == ".xlsx":
        import openpyxl

        return openpyxl.load_workbook(path, read_only=True).sheetnames == openpyxl.load_workbook(ref, read_only=True).sheetnames
    if suffix == ".png":
        return data.endswith(b"IEND\xaeB`\x82")
    if suffix in (".md", ".txt"):
        # a rerun's report differs in its timings ("build time: 12.7 s"), a half-written one in its lines
        return _NUMBER.sub(b"#", data) == _NUMBER.sub(b"#", ref.read_bytes())
    return False


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def _assert_whole(out: Path, ref: Path, *, may_be_missing: bool = False) -> None:
    """``out`` is the old or the new result, whole: ``ref``'s files, each complete."""
    if may_be_missing and not out.exists():
        return
    assert _files(out) == _files(ref), f"{out} is not a whole result"
    broken = [name for name in _files(ref) if not _whole_file(out / name, ref / name)]
    assert not broken, f"half-written files in {out}: {broken}"


def _kill_cycle(args: Callable[[Path], list[str]], tmp_path: Path, *, workers: int = 0, anytime: bool = False) -> None:
    """The kill test of one command writing to ``--out``.

    1. A first run writes the reference result (the "old" one for the kills).
    2. Killed at a seeded moment of its write stage over that result (or, with ``workers``, while
       its pool works; with ``anytime`` also at a seeded moment of the whole run): the old or the
       new result is whole, no worker outlives it.
    3. The next start cleans what the kills left beside the output and in the temporary folder.
    """
    out = tmp_path / "out"
    ref = tmp_path / "reference"
    seconds = _run(args(out), tmp_path)
    assert not _staging(out) and not _scratch(tmp_path), (_staging(out), _scratch(tmp_path))
    shutil.copytree(out, ref)
    if workers:
        _kill(_start(args(out), tmp_path), delay=RNG.uniform(0.0, 1.0), workers=workers)
    else:
        _kill(_start(args(out), tmp_path), delay=RNG.uniform(0.0, 0.3), out=out)
    _assert_whole(out, ref)
    if anytime:
        _kill(_start(args(out), tmp_path), delay=RNG.uniform(0.3, 1.0) * seconds)
        _assert_whole(out, ref)
    _next_start(out, tmp_path)
    assert not _staging(out) and not _scratch(tmp_path), (_staging(out), _scratch(tmp_path))
    _assert_whole(out, ref)


def _next_start(out: Path, tmp_path: Path) -> None:
    """A command that starts on ``out`` and stops at once (its dataset does not exist): its start
    alone must clean what a killed run left there and in the temporary folder."""
    proc = subprocess.run([sys.executable, "-m", "atr_model", "network", "build", str(tmp_path / "none.gpkg"),
                           "--out", str(out), "--force"], check=False, env=_env(tmp_path), cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "none.gpkg" in proc.stderr, proc.stderr


@pytest.fixture(scope="module")
def demo_result(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo result package written by ``atr-model run``."""
    root = tmp_path_factory.mktemp("demo-result")
    _run(["run", str(DEMO), "--out", str(root / "demo"), "-q"], root)
    return root / "demo"


@pytest.fixture(scope="module")
def uncertain_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo scenario with spreads on its census figures and road times (something to draw)."""
    scenario = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    scenario["uncertainty"] = {"population": {"log_sd": {"census": 0.3}}, "travel": {"roads_log_sd": 0.1}}
    path = tmp_path_factory.mktemp("uncertain") / "demo-uncertain.yaml"
    path.write_text(yaml.safe_dump(scenario, allow_unicode=True), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- finding 1: refusal, --force

#: Each writing command with ``--out`` (first argument: the folder), as the CLI takes it.
COMMANDS: dict[str, Callable[[Path, Path], list[str]]] = {
    "data build": lambda out, tmp: ["data", "build", "--source", str(ROOT.parent / "shared" / "kg-open-data"),
                                    "--out", str(out)],
    "network build": lambda out, tmp: ["network", "build", "demo", "--out", str(out)],
    "run": lambda out, tmp: ["run", str(DEMO), "--out", str(out), "-q"],
    "robustness": lambda out, tmp: ["robustness", str(DEMO), "--draws", "2", "--out", str(out), "-q"],
    "sweep": lambda out, tmp: ["sweep", str(DEMO), "--param", "criteria.population_floor=4000", "--out", str(out)],
    "compare": lambda out, tmp: ["compare", str(tmp / "a"), str(tmp / "a"), "--out", str(out)],
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_out_refuses_a_folder_it_did_not_write(command: str, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("my notes, kept here for years", encoding="utf-8")
    (tmp_path / "a").mkdir()  # compare's plans: never reached, the output is refused first
    with pytest.raises(SystemExit) as stop:
        main(COMMANDS[command](mine, tmp_path))
    err = capsys.readouterr().err.strip()
    assert stop.value.code == 1
    assert len(err.splitlines()) == 1 and str(mine) in err and "refusing" in err and "--force" in err, err
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "my notes, kept here for years"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "mine"]  # no staging either


def test_force_replaces_and_the_marker_lets_the_next_write_replace(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "net"
    out.mkdir()
    (out / "old.txt").write_text("the user said --force", encoding="utf-8")
    main_ok(["network", "build", "demo", "--out", str(out), "--force"])
    assert not (out / "old.txt").exists() and (out / "travel_model.json").exists()
    marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    assert marker["tool"] == "atr-model" and marker["kind"] == "travel-model" and marker["version"]
    main_ok(["network", "build", "demo", "--out", str(out)])  # its own folder: replaced as before
    # but a result package is not a travel model: refused without --force
    (out / MARKER).write_text(json.dumps({"tool": "atr-model", "kind": "result", "version": "0"}), encoding="utf-8")
    with pytest.raises(SystemExit):
        main(["network", "build", "demo", "--out", str(out)])
    assert "holds an atr-model result package, not a travel model" in capsys.readouterr().err
    assert (out / "travel_model.json").exists()


def main_ok(argv: list[str]) -> None:
    """``main(argv)`` ran to the end (exit 0)."""
    try:
        main(argv)
    except SystemExit as stop:
        assert not stop.code, stop.code


def test_force_is_documented() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "--force" in readme
    from typer.testing import CliRunner

    from atr_model.presentation.cli import app

    for command in (["run"], ["robustness"], ["sweep"], ["compare"], ["data", "build"], ["network", "build"]):
        res = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
        assert "--force" in res.output, command


# --------------------------------------------------------------------------- finding 7: kill -9, orphans, leftovers


@pytest.mark.killtest
def test_kill_run(tmp_path: Path) -> None:
    _kill_cycle(lambda out: ["run", str(DEMO), "--out", str(out), "-q"], tmp_path, anytime=True)


@pytest.mark.killtest
def test_kill_network_build(tmp_path: Path) -> None:
    _kill_cycle(lambda out: ["network", "build", "demo", "--out", str(out)], tmp_path)


@pytest.mark.killtest
def test_kill_robustness_leaves_no_worker(tmp_path: Path, uncertain_demo: Path) -> None:
    _kill_cycle(lambda out: ["robustness", str(uncertain_demo), "--draws", "4", "--workers", "2", "--out", str(out),
                             "-q", "--no-report"], tmp_path, workers=2)


@pytest.mark.killtest
def test_kill_sweep_leaves_no_worker(tmp_path: Path) -> None:
    _kill_cycle(lambda out: ["sweep", str(DEMO), "--param", "criteria.population_floor=4000,5000", "--workers", "2",
                             "--out", str(out)], tmp_path, workers=2)


@pytest.mark.killtest
def test_kill_compare(tmp_path: Path, demo_result: Path) -> None:
    # plan A is a scenario file: compare runs it in a scratch folder first
    _kill_cycle(lambda out: ["compare", str(DEMO), str(demo_result), "--out", str(out)], tmp_path)


@pytest.mark.killtest
@pytest.mark.kgdata
def test_kill_data_build(tmp_path: Path, kg_source: Path) -> None:
    _kill_cycle(lambda out: ["data", "build", "--source", str(kg_source), "--out", str(out)], tmp_path)


def test_a_kill_mid_swap_is_restored_when_the_next_command_starts(tmp_path: Path, demo_result: Path) -> None:
    """Killed between the two renames of a swap: the target is missing, the old copy is the backup,
    the new one is staged. The next command's start (not its write stage) restores the old one."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    pid = int(dead.stdout)
    out = tmp_path / "res"
    shutil.copytree(demo_result, tmp_path / f".res.old-{pid}-k1")
    half = tmp_path / f".res.tmp-{pid}-k2"
    half.mkdir()
    (half / "assignments.csv").write_text("unit_code,new_u", encoding="utf-8")
    _next_start(out, tmp_path)
    assert not _staging(out)
    _assert_whole(out, demo_result)


def test_scratch_of_a_killed_run_is_removed_when_a_command_starts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Generated demo inputs and compare's runs live in scratch folders named by process id: a
    killed run's are removed by the next command's start, a live process's are left alone."""
    import tempfile

    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True).stdout)
    left = tmp_path / f"atr-model-scratch-{dead}-demo-inputs-k1"
    (left / "roads").mkdir(parents=True)
    (left / "roads" / "demo.osm").write_text("<osm/>", encoding="utf-8")
    live = tmp_path / f"atr-model-scratch-{os.getpid()}-compare-k2"
    live.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(SystemExit):
        main(["data", "info", str(tmp_path / "missing.gpkg")])
    capsys.readouterr()
    assert not left.exists() and live.exists()


# --------------------------------------------------------------------------- finding 8: disk full, --log-file


def test_disk_full_is_one_line_and_keeps_the_old_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "net"
    main_ok(["network", "build", "demo", "--out", str(out)])
    before = {name: (out / name).read_bytes() for name in _files(out)}

    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        main(["network", "build", "demo", "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert stop.value.code == 1
    assert len(err.splitlines()) == 1 and "disk full" in err and str(out) in err and "Traceback" not in err, err
    assert {name: (out / name).read_bytes() for name in _files(out)} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net"]


def test_disk_full_inside_a_result_write_names_the_result_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """GDAL (the GeoPackage writer) reports a full disk in its own error, with the system's text."""
    import pyogrio.errors

    def full(*_args: object, **_kwargs: object) -> None:
        raise pyogrio.errors.DataSourceError("new_units.gpkg: No space left on device")

    monkeypatch.setattr("geopandas.GeoDataFrame.to_file", full)
    out = tmp_path / "res"
    with pytest.raises(SystemExit):
        main(["run", str(DEMO), "--out", str(out), "-q", "--no-report"])
    err = capsys.readouterr().err.strip()
    assert err == (f"error: {out}: disk full while writing; nothing was changed there (free some space on "
                   f"{tmp_path} and run again)")
    assert list(tmp_path.iterdir()) == []


def test_log_file_refuses_a_file_that_is_not_its_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    precious = tmp_path / "thesis.txt"
    precious.write_text("chapter one\n", encoding="utf-8")
    with pytest.raises(SystemExit) as stop:
        main(["--log-file", str(precious), "data", "info", str(tmp_path / "missing.gpkg")])
    err = capsys.readouterr().err.strip()
    assert stop.value.code == 1
    assert len(err.splitlines()) == 1 and str(precious) in err and "not an atr-model log" in err, err
    assert precious.read_text(encoding="utf-8") == "chapter one\n"


def test_log_file_appends_to_its_own_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from atr_model.presentation import cli_data

    def bug(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug for the log")

    monkeypatch.setattr(cli_data, "read_dataset", bug)
    log = tmp_path / "atr.log"
    for _ in range(2):
        with pytest.raises(SystemExit):
            main(["--log-file", str(log), "data", "info", str(tmp_path / "x.gpkg"), "--no-network"])
        assert f"full traceback written to {log}" in capsys.readouterr().err
    text = log.read_text(encoding="utf-8")
    assert text.startswith("# atr-model log") and text.count("RuntimeError: a bug for the log") == 2


# --------------------------------------------------------------------------- finding 7: GeoJSON name


def test_geojson_name_is_the_layer_not_the_staging_file(demo_result: Path) -> None:
    geojson = json.loads((demo_result / "new_units.geojson").read_text(encoding="utf-8"))
    assert geojson["name"] == "new_units"
