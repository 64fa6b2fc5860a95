"""The Concept's criteria wording, as the app quotes it.

The text itself lives in :mod:`atr_model.criteria.concept` (Kyrgyz original verbatim and an
unofficial English translation, with the attribution line). This module only adapts it for
the page and maps each scenario criterion to the Concept criterion it implements.
"""

from __future__ import annotations

import re

from atr_model.criteria import CONCEPT_ATTRIBUTION, CONCEPT_CRITERIA, ConceptCriterion

__all__ = ["ConceptCriterion", "concept_criteria", "attribution", "criterion_for_field"]


def concept_criteria() -> list[ConceptCriterion]:
    """The Concept's six criteria, in the Concept's order."""
    return sorted(CONCEPT_CRITERIA, key=lambda c: c.number)


def attribution() -> str:
    """The attribution line to show with any quote."""
    return CONCEPT_ATTRIBUTION


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
    out: dict[str, int] = {}
    for item in CONCEPT_CRITERIA:
        for field_name in item.implemented_by:
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
