"""Data layer: Markdown tables for the build reports (``build_report.md``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["markdown_table"]


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    """Lines of a Markdown table with ``header`` and one line per row, then a blank line.

    Parameters
    ----------
    header
        Column titles.
    rows
        Cells of each row, already formatted (anything else is shown with ``str``).
    """
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return [*lines, ""]
