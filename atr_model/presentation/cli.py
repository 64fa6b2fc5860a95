"""The ``atr-model`` command line: one typer app assembled from per-topic modules.

Each topic module (``cli_data``, ``cli_optimisation``, ``cli_scenarios``) defines a
``register(app)`` function that adds its commands; :func:`main` imports only the module of the
command it runs (:data:`COMMAND_MODULES`), so a command does not wait for the libraries of the
others (``app``, every command, is built on first use). :func:`main` is the error boundary: an
:class:`~atr_model.errors.ATRError` becomes one readable line on stderr and exit code 1; any other
exception (a bug) becomes one line too, naming its type and message and the file its full
traceback was written to (``--log-file``, else ``<cache dir>/logs/``), never a traceback.

Every command starts by removing the scratch folders of killed runs
(:func:`atr_model._atomic.clean_stale_scratch`). ``--log-file`` appends only to a log this tool
wrote (recognised by its first line, :data:`LOG_HEADER`), never to another file.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, cast

import click
import typer

from atr_model._atomic import clean_stale_scratch, is_disk_full
from atr_model.data.cache import default_cache_dir
from atr_model.errors import ATRError, OutputError

__all__ = ["LOG_HEADER", "COMMAND_MODULES", "build_app", "command_of", "main"]  # and `app`, built on first use

#: The first line of every log file the CLI writes: ``--log-file`` appends only to such a file.
LOG_HEADER = "# atr-model log: full tracebacks of unexpected errors\n"

#: Which topic module (``atr_model.presentation.<module>``) registers each top-level command, in
#: the order of ``--help``. :func:`main` imports only the module of the command it runs: each
#: imports its layers (pandas, geopandas, the engine, the report) when imported, and ``atr-model
#: run`` on an up-to-date result must not pay for the others (tests check this table against
#: what the modules register).
COMMAND_MODULES: dict[str, str] = {
    "data": "cli_data",
    "quickstart": "cli_data",
    "network": "cli_network",
    "solve-instance": "cli_optimisation",
    "run": "cli_scenarios",
    "report": "cli_extras",
    "export": "cli_extras",
    "compare": "cli_extras",
    "sweep": "cli_extras",
    "evaluate": "cli_extras",
    "robustness": "cli_robustness",
    "users": "cli_users",
    "agree": "cli_agree",
    "calibrate": "cli_agree",
}

#: Options of the root command that take a value (the command name is the first other word).
_VALUE_OPTIONS = ("--log-file",)


# where main() writes the traceback of an unexpected error; set per run by the root callback
_run_options: dict[str, Path | None] = {"log_file": None}


def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress to stderr.")] = False,
    log_file: Annotated[
        Path | None,
        typer.Option("--log-file", help="Where an unexpected error's full traceback goes (default: <cache dir>/logs/); "
                     "an existing file must be an atr-model log."),
    ] = None,
) -> None:
    if log_file is not None and not _own_log(log_file):
        raise OutputError(f"--log-file {log_file}: exists and is not an atr-model log; refusing to append to it "
                          "(choose another file)")
    _run_options["log_file"] = log_file
    clean_stale_scratch()  # what a killed run left in the temporary folder
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


def build_app(command: str | None = None) -> typer.Typer:
    """The ``atr-model`` typer app: every command, or only the topic module of ``command``.

    Parameters
    ----------
    command : str, optional
        A top-level command name (a key of :data:`COMMAND_MODULES`); None or an unknown name
        registers every command (``--help`` lists them all; a mistyped name gets click's
        suggestions).
    """
    cli_app = typer.Typer(
        name="atr-model",
        help="Territorial consolidation scenarios for the Kyrgyz administrative-territorial reform.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    cli_app.callback()(_root)
    wanted = COMMAND_MODULES.get(command or "")
    for name in dict.fromkeys(COMMAND_MODULES.values()):  # each module once, in the order of --help
        if wanted is None or name == wanted:
            importlib.import_module(f"{__package__}.{name}").register(cli_app)
    return cli_app


def command_of(argv: list[str]) -> str | None:
    """The top-level command word of a command line (None when there is none: ``--help``)."""
    words = iter(argv)
    for word in words:
        if word in _VALUE_OPTIONS:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def __getattr__(name: str) -> typer.Typer:
    # ``app`` (every command) is built on first use: tests and typer's CliRunner take it
    if name == "app":
        built = build_app()
        globals()["app"] = built
        return built
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _usage_error_classes() -> tuple[type[click.ClickException], ...]:
    """Click's ``ClickException`` as this typer raises it.

    typer >= 0.29 ships its own copy of click (``typer._click``), whose exceptions are not the
    installed click's; the base class is found from ``typer.BadParameter`` so that both kinds of
    install print a usage message instead of an "unexpected error".
    """
    found = tuple(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
    return cast("tuple[type[click.ClickException], ...]", found)  # the same class, from either copy of click


_USAGE_ERRORS = _usage_error_classes()


def _own_log(path: Path) -> bool:
    """Whether the CLI may append to ``path``: missing, empty, or a log it wrote (first line :data:`LOG_HEADER`)."""
    if not (path.exists() or path.is_symlink()):
        return True
    if not path.is_file():
        return False
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(LOG_HEADER.encode("utf-8")))
    except OSError:
        return False
    return head in (b"", LOG_HEADER.encode("utf-8"))


def _write_traceback(exc: BaseException) -> Path | None:
    """Write ``exc``'s full traceback to ``--log-file`` or a new file under the cache dir.

    Returns the file, or ``None`` when it cannot be written (the one-line message then says so).
    """
    target = _run_options["log_file"]
    if target is None:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        target = default_cache_dir() / "logs" / f"error-{stamp}-{os.getpid()}.log"
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    if not _own_log(target):  # created since the start: still not ours to append to
        return None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "a", encoding="utf-8") as fh:
            if fh.tell() == 0:
                fh.write(LOG_HEADER)
            fh.write(f"atr-model {' '.join(sys.argv[1:])}\n{text}\n")
    except OSError:
        return None
    return target


def _unexpected(exc: BaseException) -> str:
    """One line for an unexpected error: its type, message and where the traceback went."""
    message = " ".join(str(exc).split()) or "(no message)"
    where = _write_traceback(exc)
    tail = f"full traceback written to {where}" if where is not None else "the traceback could not be written"
    return f"unexpected error: {type(exc).__name__}: {message} ({tail})"


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; turn every error into one line on stderr and exit code 1 (never a traceback).

    An :class:`~atr_model.errors.ATRError` prints its own message; anything else prints its type
    and message and where its full traceback was written.
    """
    _run_options["log_file"] = None
    try:
        args = sys.argv[1:] if argv is None else argv
        build_app(command_of(args))(args=args, prog_name="atr-model", standalone_mode=False)
    except ATRError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except (typer.Exit, SystemExit) as exc:
        sys.exit((exc.exit_code if isinstance(exc, typer.Exit) else exc.code) or 0)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("aborted", err=True)
        sys.exit(1)
    except _USAGE_ERRORS as exc:  # a mistyped command line: click's own usage message, exit 2
        exc.show()
        sys.exit(exc.exit_code)
    except Exception as exc:
        # a full disk outside an atomic write (which says so itself) is no bug: one line, no traceback
        text = f"error: disk full: {exc}" if is_disk_full(exc) else _unexpected(exc)
        typer.echo(text, err=True)
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
