"""CLI commands: placeholder until its layer lands (see atr_model/presentation/cli.py)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
