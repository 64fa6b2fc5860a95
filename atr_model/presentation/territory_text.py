"""Presentation: texts about a result's units and territory that the report and the maps share.

A unit's name from a result row in a language's script (:func:`unit_name_in`) and why a
detached raion piece is cut off (:func:`cut_off_text`). Kept apart from the report (which
loads matplotlib when it draws) and the maps (which load folium), so both import it and
neither imports the other.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from atr_model.presentation.i18n import format_number, t

__all__ = ["cut_off_text", "unit_name_in"]


def unit_name_in(row: Any, lang: str) -> str:
    """A unit's name from a result row in ``lang``'s script (``unit_name_ky``/``_ru``, else ``unit_name``)."""
    if lang in ("ky", "ru"):
        for column in (f"unit_name_{lang}", "unit_name_ru" if lang == "ky" else "unit_name_ky"):
            value = row.get(column) if hasattr(row, "get") else None
            if isinstance(value, str) and value.strip():
                return value.strip()
    value = row.get("unit_name") if hasattr(row, "get") else None
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def cut_off_text(piece: Mapping[str, Any], lang: str) -> str:
    """Why a detached raion piece is cut off (``cut_off_by``, a key of ``CUT_OFF_KINDS``,
    translated) and how far from the rest (``gap_km``): the report's and the maps' text."""
    kind = str(piece.get("cut_off_by") or "")
    parts = [t(f"map.cut_off.{kind}", lang)] if kind else []
    if not pd.isna(piece.get("gap_km")):  # None in the notes' JSON, NaN in the maps' land notes
        parts.append(t("map.exclave_gap", lang, gap=format_number(piece["gap_km"], lang, digits=1)))
    return "; ".join(parts)

