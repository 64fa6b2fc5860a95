"""The Concept's criteria wording, as the app quotes it.

The text itself lives in :mod:`atr_model.criteria.concept` (Kyrgyz original verbatim and an
unofficial English translation, with the attribution line). This module only adapts it for
the page and maps each scenario criterion to the Concept criterion it implements.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ConceptCriterion", "concept_criteria", "attribution", "criterion_for_field"]


@dataclass(frozen=True)
class ConceptCriterion:
    """One numbered criterion of the Concept (section III, 2.1)."""

    number: int
    text_en: str
    text_ky: str


def _module() -> Any:
    try:
        from atr_model.criteria import concept
    except ImportError:
        return None
    return concept


def _get(obj: Any, *names: str) -> Any:
    for name in names:
        if isinstance(obj, Mapping) and name in obj:
            return obj[name]
        if hasattr(obj, name):
            return getattr(obj, name)
    return None


def concept_criteria() -> list[ConceptCriterion]:
    """The Concept's six criteria (empty when the text module is not available)."""
    module = _module()
    if module is None:
        return []
    raw = _get(module, "CRITERIA", "CONCEPT_CRITERIA", "criteria")
    if callable(raw):
        raw = raw()
    if raw is None:
        return []
    items = list(raw.values()) if isinstance(raw, Mapping) else list(raw)
    out = []
    for index, item in enumerate(items, start=1):
        number = _get(item, "number", "n", "id") or index
        text_en = _get(item, "english", "text_en", "en", "translation") or ""
        text_ky = _get(item, "kyrgyz", "text_ky", "ky", "original") or ""
        out.append(ConceptCriterion(int(number), str(text_en), str(text_ky)))
    return sorted(out, key=lambda c: c.number)


def attribution() -> str:
    """The attribution line to show with any quote."""
    module = _module()
    text = _get(module, "CONCEPT_ATTRIBUTION", "ATTRIBUTION") if module is not None else None
    if callable(text):
        text = text()
    return str(text) if text else (
        "Government of the Kyrgyz Republic, resolution No. 198 of 23 March 2012, as revised by "
        "resolution No. 581 of 28 October 2013."
    )


#: Fallback mapping of criteria field names to Concept criteria, used when a field's own
#: description does not say which criterion it implements.
_FIELD_CRITERION = {
    "landscape": 1,
    "barrier": 1,
    "population_floor": 2,
    "floor_mode": 2,
    "exempt": 2,
    "exemptions": 2,
    "high_mountain": 2,
    "remote": 2,
    "border": 2,
    "max_travel_time_min": 5,
    "accessibility": 5,
    "centre": 5,
    "admin_cost": 4,
    "weights": 4,
    "objective": 4,
    "nesting": 4,
    "n_units": 4,
    "population_cap": 4,
    "economic": 6,
    "indicator": 6,
}


def _implemented_by() -> dict[str, int]:
    module = _module()
    out: dict[str, int] = {}
    for item in _get(module, "CONCEPT_CRITERIA") or () if module is not None else ():
        for field_name in getattr(item, "implemented_by", ()):
            out.setdefault(str(field_name), int(item.number))
    return out


def criterion_for_field(name: str, description: str | None = None) -> int | None:
    """Which Concept criterion (1-6) a scenario criterion implements, if any.

    Looks at the Concept text module's ``implemented_by`` lists first, then at the field's
    description ("Criterion 2. ..."), then at a fallback table of field names.
    """
    declared = _implemented_by()
    if name in declared:
        return declared[name]
    if description:
        match = re.search(r"[Cc]riterion\s+(\d)", description)
        if match:
            return int(match.group(1))
    for fragment, number in _FIELD_CRITERION.items():
        if fragment in name:
            return number
    return None
