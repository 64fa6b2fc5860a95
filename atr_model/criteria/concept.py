"""The Concept's criteria for consolidating aiyl aimaks, as text to quote.

The Kyrgyz wording is the official normative text of section III, stage 2.1 of the Concept of
the administrative-territorial reform (resolution No. 198 of 2012 as revised by No. 581 of
2013). The English wording is an unofficial translation made for this project and must be
labelled so wherever it is shown (:data:`TRANSLATION_NOTE`). Reports and the app quote
:data:`CONCEPT_CRITERIA` with :data:`CONCEPT_ATTRIBUTION`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CONCEPT_ATTRIBUTION",
    "CONCEPT_CRITERIA",
    "CONCEPT_INTRO_KY",
    "CONCEPT_REMOTE_NOTE_EN",
    "CONCEPT_REMOTE_NOTE_KY",
    "ConceptCriterion",
    "TRANSLATION_NOTE",
    "concept_criterion",
]

#: Where the text comes from; quote it with the criteria.
CONCEPT_ATTRIBUTION = (
    "Government of the Kyrgyz Republic, resolution No. 198 of 23 March 2012 \"On the Concept of the "
    "administrative-territorial reform in the Kyrgyz Republic\", as revised by resolution No. 581 of "
    "28 October 2013; Kyrgyz text as published in the journal \"Муниципалитет\" No. 12 (25), "
    "December 2013 (Development Policy Institute). Official normative text."
)

#: Label for the English wording.
TRANSLATION_NOTE = "English: unofficial translation made for the atr-model project."

#: The sentence introducing the criteria (Kyrgyz original, verbatim).
CONCEPT_INTRO_KY = (
    "Айылдык аймактарды оптималдаштыруу максатында төмөнкүдөй негизги критерийлер боюнча "
    "муниципалдык административдик-аймактык бирдиктерди ирилештирүү сунуш кылынат:"
)

#: The closing sentence on remote aiyl aimaks (Kyrgyz original, verbatim).
CONCEPT_REMOTE_NOTE_KY = (
    "Алыскы айылдык аймактарды ирилештирүүгө тийиштүү өбөлгөлөр боло турган болсо бул процессти "
    "тездик менен жүзөгө ашыруу керек."
)

#: The same sentence, unofficial English translation.
CONCEPT_REMOTE_NOTE_EN = (
    "Where remote aiyl aimaks have the preconditions for consolidation, it should proceed quickly."
)


@dataclass(frozen=True)
class ConceptCriterion:
    """One criterion of the Concept (section III, 2.1).

    Attributes
    ----------
    number : int
        1 to 6, in the Concept's order.
    text_ky : str
        Kyrgyz original, verbatim.
    text_en : str
        Unofficial English translation.
    implemented_by : tuple of str
        Names of the :class:`~atr_model.criteria.Criteria` fields that model it.
    """

    number: int
    text_ky: str
    text_en: str
    implemented_by: tuple[str, ...]


#: The six criteria, numbered as in the Concept.
CONCEPT_CRITERIA: tuple[ConceptCriterion, ...] = (
    ConceptCriterion(
        1,
        "жаратылыштык-ландшафтык шарттар;",
        "natural and landscape conditions;",
        ("landscape_barriers", "exemptions.high_mountain_m"),
    ),
    ConceptCriterion(
        2,
        "бийик тоолуу алыскы, кыйындык менен жетүүчү жана чек ара жанындагы калктуу конуштарды "
        "кошпогондо калкынын саны 5000 адамга чейинки айылдык аймактарды бириктирүү зарылдыгы;",
        "the need to merge aiyl aimaks with a population of up to 5,000, except high-mountain, "
        "remote, hard-to-reach and border settlements;",
        ("population_floor", "floor_mode", "exemptions"),
    ),
    ConceptCriterion(
        3,
        "муниципалдык кызматтарды көрсөтүүнүн сапатын жана жеткиликтүүлүгүн сактоо;",
        "preserving the quality and accessibility of municipal services;",
        ("max_travel_time_min",),
    ),
    ConceptCriterion(
        4,
        "муниципалдык башкарууну оптималдаштыруу;",
        "optimising municipal administration;",
        ("admin_cost_per_unit", "n_units", "n_units_counts", "population_cap", "nesting"),
    ),
    ConceptCriterion(
        5,
        "борборго жакындык (мамлекеттик жана муниципалдык кызмат көрсөтүүлөрдүн калк үчүн "
        "жеткиликтүүлүгү);",
        "proximity to the centre (accessibility of state and municipal services for the population);",
        ("objective", "travel_weight", "max_travel_time_min", "centres"),
    ),
    ConceptCriterion(
        6,
        "экономикалык базанын болушу.",
        "the presence of an economic base.",
        ("economic_base",),
    ),
)


def concept_criterion(number: int) -> ConceptCriterion:
    """Return criterion ``number`` (1-6).

    Raises
    ------
    KeyError
        When ``number`` is not 1 to 6.
    """
    for criterion in CONCEPT_CRITERIA:
        if criterion.number == number:
            return criterion
    raise KeyError(f"the Concept has criteria 1-6; got {number!r}")
