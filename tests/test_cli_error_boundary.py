"""The CLI's error boundary: every error is one readable line and exit code 1, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from atr_model.presentation import cli_optimisation
from atr_model.presentation.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _broken_reader(directory: Path, k: int | None = None) -> None:
    raise RuntimeError(f"bug while reading {directory}\nsecond line of the message")


def test_unexpected_error_is_one_line_with_the_log_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_optimisation, "read_instance_dir", _broken_reader)
    log_file = tmp_path / "logs" / "err.log"
    with pytest.raises(SystemExit) as stop:
        main(["--log-file", str(log_file), "solve-instance", str(tmp_path)])
    assert stop.value.code == 1
    err = capsys.readouterr().err
    assert err == (f"unexpected error: RuntimeError: bug while reading {tmp_path} second line of the message "
                   f"(full traceback written to {log_file})\n")
    logged = log_file.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in logged and "_broken_reader" in logged
    assert "second line of the message" in logged


def test_unexpected_error_logs_under_the_cache_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_optimisation, "read_instance_dir", _broken_reader)
    monkeypatch.setenv("ATR_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(SystemExit, match="1"):
        main(["solve-instance", str(tmp_path)])
    err = capsys.readouterr().err
    logs = sorted((tmp_path / "cache" / "logs").glob("error-*.log"))
    assert len(logs) == 1
    assert err.count("\n") == 1 and err.endswith(f"(full traceback written to {logs[0]})\n")
    assert "Traceback" not in err and "Traceback" in logs[0].read_text(encoding="utf-8")


def test_no_traceback_reaches_stderr_of_the_real_process(tmp_path: Path) -> None:
    # a separate interpreter running the installed entry point, with a bug injected before main()
    script = ("import sys\n"
              "from atr_model.presentation import cli, cli_optimisation\n"
              "def broken(directory, k=None):\n"
              "    raise KeyError('no such column')\n"
              "cli_optimisation.read_instance_dir = broken\n"
              "cli.main(sys.argv[1:])\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ATR_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", script, "solve-instance", str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert done.stderr.startswith("unexpected error: KeyError: 'no such column' (full traceback written to ")
    assert done.stderr.count("\n") == 1


@pytest.mark.parametrize("argv, says", [
    (["run"], "Missing argument 'scenario'"),
    (["data", "info"], "Missing argument 'dataset'"),
    (["no-such-command"], "No such command 'no-such-command'"),
    (["run", "--no-such-option", "x.yaml"], "No such option: --no-such-option"),
])
def test_a_mistyped_command_line_gets_the_usage_message_not_an_unexpected_error(
        argv: list[str], says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    # typer >= 0.29 raises its own copy of click's exceptions; both must read as usage errors
    monkeypatch.setenv("ATR_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert says in err and "Usage: atr-model" in err
    assert "unexpected error" not in err and not (tmp_path / "cache" / "logs").exists()
