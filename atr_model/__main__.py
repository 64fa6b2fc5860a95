"""``python -m atr_model`` runs the CLI."""

from atr_model.presentation.cli import main

main()
