"""The app's views, one module each, gathered so the page dispatches every view from one module.

:mod:`.map_view` (click to select, search, locks), :mod:`.compare_view`, :mod:`.edits_view`
(manual edits), :mod:`.plan_view` (the plan check), :mod:`.downloads_view`,
:mod:`.concept_view` (the Concept), :mod:`.robustness_view`, :mod:`.agree_view` (agreement
with a reference plan) and :mod:`.versions_view` (named plan versions).
"""

from __future__ import annotations

from atr_model.presentation.app.agree_view import view_agree
from atr_model.presentation.app.compare_view import view_compare
from atr_model.presentation.app.concept_view import view_concept
from atr_model.presentation.app.downloads_view import view_downloads
from atr_model.presentation.app.edits_view import view_edits
from atr_model.presentation.app.map_view import view_map
from atr_model.presentation.app.mapping import MAP_RETURNED_OBJECTS
from atr_model.presentation.app.plan_view import view_plan
from atr_model.presentation.app.robustness_view import view_robustness
from atr_model.presentation.app.versions_view import view_versions

__all__ = [
    "view_map",
    "view_compare",
    "view_edits",
    "view_plan",
    "view_downloads",
    "view_concept",
    "view_robustness",
    "view_agree",
    "view_versions",
    "MAP_RETURNED_OBJECTS",
]
