"""CLI commands for the app's users file: ``users add``, ``users remove``, ``users list``.

The users file is how a team server on an offline LAN signs people in (docs/deploy.md): the app
reads it when ``.streamlit/secrets.toml`` names it (``[atr_model] users_file = "..."``).
Passwords are asked for at the prompt (never on the command line, where the shell history and
the process list would keep them) and stored as scrypt hashes (:mod:`.app.auth`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from atr_model.presentation.app import auth

__all__ = ["register"]

users_app = typer.Typer(help="Manage the users who may sign in to the app on a team server (docs/deploy.md).",
                        no_args_is_help=True)

_FILE = typer.Option("--file", "-f", help="The users file (TOML) the server's secrets.toml names.")


@users_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="User name (letters, digits and . _ @ -, up to 64).")],
    file: Annotated[Path, _FILE],
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                          help="Asked for at the prompt (twice); not shown.")
    ],
) -> None:
    """Add a user to the users file (created, mode 0600, when missing), or set a user's new password."""
    new = auth.add_user(file, name, password)
    typer.echo(f"{'added' if new else 'new password for'} {name} in {file}")


@users_app.command("remove")
def remove(
    name: Annotated[str, typer.Argument(help="User name.")],
    file: Annotated[Path, _FILE],
) -> None:
    """Remove a user from the users file (signed out at their next click in the app)."""
    auth.remove_user(file, name)
    typer.echo(f"removed {name} from {file}")


@users_app.command("list")
def list_users(file: Annotated[Path, _FILE]) -> None:
    """List the user names in the users file (never the hashes)."""
    for name in sorted(auth.read_users(file)):
        typer.echo(name)


def register(app: typer.Typer) -> None:
    """Add the ``users`` commands to ``app``."""
    app.add_typer(users_app, name="users")
