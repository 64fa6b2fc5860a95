"""Criteria layer: the Concept's criteria as parameters, their text, and exemptions.

The matrix-level engine input is built from these in :mod:`atr_model.scenarios`
(``build_instance``, ``engine_settings``), since the optimisation layer comes after this one.
"""

from typing import TYPE_CHECKING

from atr_model._lazy import lazy_exports

if TYPE_CHECKING:
    from atr_model.criteria.concept import (
        CONCEPT_ATTRIBUTION,
        CONCEPT_CRITERIA,
        TRANSLATION_NOTE,
        ConceptCriterion,
        concept_criterion,
    )
    from atr_model.criteria.exemptions import EXEMPTION_RULES, compute_exemptions
    from atr_model.criteria.model import (
        DEFAULT_POPULATION_FLOOR,
        Centres,
        Criteria,
        EconomicBase,
        Exemptions,
        Locks,
        ManualExemption,
        criteria_from_dict,
        describe_criteria,
    )
    from atr_model.criteria.validation import describe_validation_error

__all__ = [
    "CONCEPT_ATTRIBUTION",
    "CONCEPT_CRITERIA",
    "DEFAULT_POPULATION_FLOOR",
    "EXEMPTION_RULES",
    "TRANSLATION_NOTE",
    "Centres",
    "ConceptCriterion",
    "Criteria",
    "EconomicBase",
    "Exemptions",
    "Locks",
    "ManualExemption",
    "compute_exemptions",
    "concept_criterion",
    "criteria_from_dict",
    "describe_criteria",
    "describe_validation_error",
]

# imported when first used (atr_model._lazy): the names above, no module at package import
lazy_exports(__name__)
