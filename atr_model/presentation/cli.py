"""The ``atr-model`` command line: one typer app assembled from per-topic modules.

Each topic module (``cli_data``, ``cli_engine``, ``cli_scenarios``) defines a
``register(app)`` function that adds its commands. :func:`main` is the error boundary: an
:class:`~atr_model.errors.ATRError` becomes one readable line on stderr and exit code 1.
"""

from __future__ import annotations

import logging
import sys

import typer

from atr_model.errors import ATRError
from atr_model.presentation import cli_data, cli_engine, cli_extras, cli_network, cli_scenarios

__all__ = ["app", "main"]

app = typer.Typer(
    name="atr-model",
    help="Territorial consolidation scenarios for the Kyrgyz administrative-territorial reform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress to stderr."),
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


for _module in (cli_data, cli_network, cli_engine, cli_scenarios, cli_extras):
    _module.register(app)

from atr_model.presentation import cli_robustness  # noqa: E402  (robustness ensembles, issue 14)

cli_robustness.register(app)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; turn atr-model errors into one line and exit code 1."""
    try:
        app(args=argv, standalone_mode=False)
    except ATRError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except (typer.Exit, SystemExit) as exc:
        code = getattr(exc, "exit_code", getattr(exc, "code", 0))
        sys.exit(code or 0)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    except Exception as exc:  # click usage errors carry their own message
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":  # pragma: no cover
    main()
