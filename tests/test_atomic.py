"""Atomic writes survive a killed writer: the old result stays whole, stale staging is cleaned
by the next write, files are flushed before the rename, and a failed swap restores the old one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import extras_fixtures as fx
import pytest

from atr_model import _atomic
from atr_model._atomic import atomic_directory, atomic_file, clean_stale
from atr_model.presentation.report import write_report

ROOT = Path(__file__).resolve().parents[1]


def _folder(path: Path, text: str) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "kpis.json").write_text(text, encoding="utf-8")
    (path / "sub").mkdir(exist_ok=True)
    (path / "sub" / "part.csv").write_text(text * 3, encoding="utf-8")
    return path


def _contents(path: Path) -> dict[str, str]:
    return {str(p.relative_to(path)): p.read_text(encoding="utf-8") for p in sorted(path.rglob("*")) if p.is_file()}


def _dead_pid() -> int:
    """The id of a process that has ended (as a writer killed earlier would have)."""
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    return int(proc.stdout)


def _start_writer(target: Path, kind: str, ready: Path) -> subprocess.Popen:
    """A writer that stages half a result, says so, then hangs until it is killed."""
    body = {
        "dir": """
            with atomic_directory(target) as tmp:
                (tmp / "kpis.json").write_text("NEW, half written", encoding="utf-8")
                ready.write_text(str(tmp), encoding="utf-8")
                time.sleep(600)
        """,
        "file": """
            with atomic_file(target) as tmp:
                tmp.write_text("NEW, half written", encoding="utf-8")
                ready.write_text(str(tmp), encoding="utf-8")
                time.sleep(600)
        """,
    }[kind]
    script = (
        "import sys, time\nfrom pathlib import Path\nfrom atr_model._atomic import atomic_directory, atomic_file\n"
        "target, ready = Path(sys.argv[1]), Path(sys.argv[2])\n" + textwrap.dedent(body)
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", script, str(target), str(ready)], env=env)


def _kill_when_ready(proc: subprocess.Popen, ready: Path) -> Path:
    deadline = time.monotonic() + 60
    while not ready.exists() or not ready.read_text(encoding="utf-8"):
        assert proc.poll() is None, "the writer ended before it was killed"
        assert time.monotonic() < deadline, "the writer never got going"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return Path(ready.read_text(encoding="utf-8"))


def test_killed_folder_writer_leaves_old_result_and_next_write_cleans(tmp_path: Path) -> None:
    target = _folder(tmp_path / "results" / "run", "OLD")
    before = _contents(target)
    staged = _kill_when_ready(_start_writer(target, "dir", tmp_path / "ready"), tmp_path / "ready")
    assert _contents(target) == before  # the old result is whole
    assert staged.exists() and staged.name.startswith(".run.tmp-")  # the killed run's staging is left
    with atomic_directory(target) as tmp:
        _folder(tmp, "NEW")
    assert _contents(target) == {"kpis.json": "NEW", "sub/part.csv": "NEWNEWNEW"}
    assert sorted(p.name for p in target.parent.iterdir()) == ["run"]  # stale staging removed


def test_killed_file_writer_leaves_old_file_and_next_write_cleans(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("OLD", encoding="utf-8")
    staged = _kill_when_ready(_start_writer(target, "file", tmp_path / "ready"), tmp_path / "ready")
    assert target.read_text(encoding="utf-8") == "OLD"
    assert staged.exists() and staged.name.startswith(".report.html.tmp-")
    with atomic_file(target) as tmp:
        tmp.write_text("NEW", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "NEW"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ready", "report.html"]


def test_live_writers_staging_is_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "run"
    mine = tmp_path / f".run.tmp-{os.getpid()}-abc"
    mine.mkdir()
    dead = tmp_path / f".run.tmp-{_dead_pid()}-xyz"
    dead.mkdir()
    assert clean_stale(target) == [dead]
    assert mine.exists() and not dead.exists()


def test_backup_of_a_writer_killed_mid_swap_is_restored(tmp_path: Path) -> None:
    target = tmp_path / "run"
    backup = _folder(tmp_path / f".run.old-{_dead_pid()}-q1", "OLD")
    assert clean_stale(target) == [backup]
    assert _contents(target) == {"kpis.json": "OLD", "sub/part.csv": "OLDOLDOLD"}
    # with the target in place, a left-over backup is only removed
    again = _folder(tmp_path / f".run.old-{_dead_pid()}-q2", "OLDER")
    assert clean_stale(target) == [again]
    assert _contents(target)["kpis.json"] == "OLD" and not again.exists()


def test_failed_block_keeps_old_and_leaves_nothing(tmp_path: Path) -> None:
    target = _folder(tmp_path / "run", "OLD")
    with pytest.raises(RuntimeError, match="writer failed"), atomic_directory(target) as tmp:
        (tmp / "kpis.json").write_text("NEW", encoding="utf-8")
        raise RuntimeError("writer failed")
    assert _contents(target)["kpis.json"] == "OLD"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_failed_rename_without_exchange_restores_old(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = _folder(tmp_path / "run", "OLD")
    monkeypatch.setattr(_atomic, "_exchange", lambda a, b: False)  # systems without renameat2
    real_replace = os.replace

    def replace(src, dst):  # noqa: ANN001 - os.replace's signature
        if Path(src).name.startswith(".run.tmp-"):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(_atomic.os, "replace", replace)
    # a full disk is one line naming the folder (issue 26), the old version untouched
    with pytest.raises(OSError, match=r"run: disk full while writing"), atomic_directory(target) as tmp:
        _folder(tmp, "NEW")
    assert _contents(target)["kpis.json"] == "OLD"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_replace_without_exchange_publishes_new(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = _folder(tmp_path / "run", "OLD")
    monkeypatch.setattr(_atomic, "_exchange", lambda a, b: False)
    with atomic_directory(target) as tmp:
        _folder(tmp, "NEW")
    assert _contents(target)["kpis.json"] == "NEW"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="names fsync'ed descriptors through /proc (Linux)")
def test_files_and_folders_are_flushed_before_the_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[tuple[str, str]] = []
    real_fsync, real_exchange = os.fsync, _atomic._exchange

    def fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def exchange(a: Path, b: Path) -> bool:
        events.append(("swap", str(a)))
        return real_exchange(a, b)

    monkeypatch.setattr(_atomic.os, "fsync", fsync)
    monkeypatch.setattr(_atomic, "_exchange", exchange)
    target = _folder(tmp_path / "run", "OLD")
    with atomic_directory(target) as tmp:
        _folder(tmp, "NEW")
        staged = str(tmp)
    swap = events.index(("swap", staged))
    flushed = {path for kind, path in events[:swap] if kind == "fsync"}
    assert {f"{staged}/kpis.json", f"{staged}/sub/part.csv", f"{staged}/sub", staged} <= flushed
    assert ("fsync", str(tmp_path)) in events[swap:]  # the rename itself is flushed


def test_report_is_written_through_the_atomic_writer(tmp_path: Path) -> None:
    package = fx.write_package(tmp_path / "p", fx.merged_partition())
    stale = package / f".report.html.tmp-{_dead_pid()}-zz.html"
    stale.write_text("half a report", encoding="utf-8")
    path = write_report(package)
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert not stale.exists()
    assert not [p for p in package.iterdir() if p.name.startswith(".")]
