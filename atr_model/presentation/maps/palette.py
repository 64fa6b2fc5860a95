"""Presentation: the one colour palette every map uses (dataset, result, comparison).

The result map is read as figure and ground: new units that merge are the figure, drawn in
distinct, harmonious mid-tone colours (:data:`FIGURE`); everything that stays as it is is
ground, in muted light tints (:data:`GROUND`), exempt units in one sand tint whatever the rule
(the rule is in the popups). Red is reserved for the new units below the population floor
(the ``below_floor`` category, merged or not). Each status category of
:mod:`atr_model.scenarios.categories` has one colour on every map (:data:`CATEGORY_COLOURS`).
Outlines and labels share the dark slate tones of :data:`LINES`; the robustness map's share of
draws has its own ramp (:data:`STABILITY`), far from red. Change a colour here and every map,
legend and test follows.
"""

from __future__ import annotations

__all__ = [
    "FIGURE", "GROUND", "LINES", "COMPARE", "DATASET", "CATEGORY_COLOURS", "AGREEMENT_COLOURS", "STABILITY",
    "STABILITY_LOWER", "stability_colour",
]

#: Colours of merging new units (Tableau 10 without its red and grey: red marks units below
#: the floor). Neighbouring new units get different colours (greedy colouring of the touch graph).
FIGURE: tuple[str, ...] = (
    "#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#edc948", "#76b7b2", "#ff9da7", "#9c755f",
)

#: Ground tints (units that stay as they are) and the one alarm colour.
GROUND: dict[str, str] = {
    "background": "#e9edf0",  # the sea of the map around the territory
    "country": "#f5f3ee",  # inside the country outline, under the units
    "kept": "#f3f0ea",  # meets the floor on its own, stays as it is
    "town": "#cdc3b3",  # a town keeps its status (not an exemption under the Concept)
    # exempt by a rule: one sand tint for every rule (the rule is in the tables and popups), far
    # from the figure's mid-tones so an exempt unit never reads as a merger
    "exempt": "#e9dcbf",
    "below_floor": "#e15759",  # a new unit below the floor, not exempt (merged or not)
    "changed": "#e1bee7",  # difference map: a unit whose group differs (a tint of LINES["differs"])
    "unchanged": "#f3f0ea",  # comparison: a unit whose group is the same
    "unplaced": "#b8bec6",  # raion land held by no unit in the open data (light grey, see-through)
}

#: Fill of each status category (:data:`atr_model.scenarios.categories.CATEGORIES`) on every map
#: and legend; merged new units take the :data:`FIGURE` colours (this entry is their legend swatch).
CATEGORY_COLOURS: dict[str, str] = {
    "merged": FIGURE[0],
    "below_floor": GROUND["below_floor"],
    "exempt": GROUND["exempt"],
    "town": GROUND["town"],
    "kept": GROUND["kept"],
}

#: Agreement with a reference plan (issue 24), per current unit: grouped as the reference groups
#: it (a figure colour), grouped differently (the difference map's tint), or not in the
#: reference (ground).
AGREEMENT_COLOURS: dict[str, str] = {
    "agree": FIGURE[2],
    "differ": "#e6862e",
    "not_covered": GROUND["unchanged"],
}

#: Line colours (outlines, centres, links) and label text.
LINES: dict[str, str] = {
    "country": "#5f6b7a",
    "oblast": "#2f3a46",
    "raion": "#5f6b7a",
    "new_unit": "#263238",
    "internal": "#ffffff",  # borders of the current units inside a new unit: faint
    "unit": "#9aa5b1",  # borders of units kept as they are
    "highlight": "#111111",
    "centre": "#263238",
    "settlement": "#455a64",
    "link": "#6d4c41",
    "barrier": "#c62828",
    "label": "#1f2d3d",
    "unplaced": "#6b7480",  # dotted outline of raion land held by no unit
    "exclave": "#1b1f24",  # thick dashed outline of a unit's exclave
    "violation": "#d32f2f",  # outline of a unit a violation of a criterion names (a checked plan)
    "differs": "#6a1b9a",  # thick dashed outline of a unit grouped differently in the other plan
}

#: The two scenarios of a comparison map.
COMPARE: dict[str, str] = {"a": "#1f5fa8", "b": "#b8420f"}

#: The dataset map: aiyl aimaks below / at or above the floor (towns: ``GROUND["town"]``).
DATASET: dict[str, str] = {"below": "#f2c48d", "above": "#cfdcb8"}

#: The robustness map: a merger's share of draws in which its new unit appears exactly, from
#: stable to fragile (teal to brown: neither red, kept for below the floor, nor a ground tint).
STABILITY: tuple[str, ...] = ("#01665e", "#5ab4ac", "#d8b365", "#8c510a")

#: Lower bound of the share of draws of each :data:`STABILITY` colour (the first is the
#: robustness tables' "stable" threshold, 80 %).
STABILITY_LOWER: tuple[float, ...] = (0.8, 0.5, 0.2, 0.0)


def stability_colour(share: float) -> str:
    """The :data:`STABILITY` colour of a merger appearing exactly in ``share`` of the draws.

    Examples
    --------
    >>> stability_colour(0.85) == STABILITY[0], stability_colour(0.5) == STABILITY[1], stability_colour(0.1) == STABILITY[3]
    (True, True, True)
    """
    for lower, colour in zip(STABILITY_LOWER, STABILITY):
        if share >= lower - 1e-12:
            return colour
    return STABILITY[-1]
