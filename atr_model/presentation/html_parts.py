"""Presentation: the small HTML pieces the reports share (the full report, its robustness
section, the Council summary): escaping and a table."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["escape", "table"]


def escape(value: Any) -> str:
    """``value`` as HTML text (None as empty)."""
    return html.escape("" if value is None else str(value))


def table(header: Sequence[str], rows: Iterable[str], caption: str = "") -> str:
    """A ``<table>`` with escaped ``header`` cells over ready-made ``<tr>`` ``rows``."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    cap = f"<caption class='muted'>{escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
