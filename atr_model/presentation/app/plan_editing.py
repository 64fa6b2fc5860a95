"""Editing a plan by clicks in the app, without Streamlit: the session's plan editor, what a
click on the map does in edit mode, and the edited plan for other views.

The editor itself is :class:`atr_model.scenarios.plan_edit.PlanEditor`; it lives in the
session (one per user, never shared), keyed by the result folder it edits. A click either
chooses the target new unit (the new unit of the unit clicked) or moves the unit clicked into
the target; a refused move comes back as its reason in the interface's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

import pandas as pd

from atr_model.data.dataset import Dataset
from atr_model.network import TravelModel
from atr_model.presentation.app.state import Session
from atr_model.presentation.i18n import format_number, t
from atr_model.scenarios import PlanEditor, Refusal, Resolved, Scenario

__all__ = [
    "EDITOR_KEY", "TARGET_KEY", "CLICK_TARGET", "CLICK_MOVE", "ClickOutcome", "current_plan", "edited_plan", "editor",
    "open_editor", "on_click", "refusal_text", "resolved_text", "close_editor",
]

#: Session keys: ``(result folder, PlanEditor)`` and the target new unit's id.
EDITOR_KEY = "plan_editor"
TARGET_KEY = "plan_edit_target"
#: What a click on the map does in edit mode.
CLICK_TARGET = "target"
CLICK_MOVE = "move"


@dataclass(frozen=True)
class ClickOutcome:
    """What one click did: ``kind`` is ``target``, ``moved`` or ``refused``; ``text`` says it
    in the interface's language."""

    kind: str
    text: str


def open_editor(session: Session, folder: str, plan: pd.DataFrame, scenario: Scenario, dataset: Dataset,
                travel_model: TravelModel) -> PlanEditor:
    """The session's editor of the plan in ``folder`` (made from its ``assignments`` table the
    first time, then kept: the moves and their undo history stay while the user looks elsewhere)."""
    kept = session.get(EDITOR_KEY)
    if kept is not None and kept[0] == folder:
        return cast("PlanEditor", kept[1])
    made = PlanEditor.from_plan(plan[["unit_code", "new_unit_id", "centre_code"]].astype(str), scenario, dataset,
                                travel_model, where=folder)
    session[EDITOR_KEY] = (folder, made)
    session[TARGET_KEY] = None
    return made


def editor(session: Session) -> PlanEditor | None:
    """The session's plan editor (None before edit mode was opened)."""
    kept = session.get(EDITOR_KEY)
    return None if kept is None else kept[1]


def close_editor(session: Session) -> None:
    """Forget the edits (another dataset, territory or result)."""
    session[EDITOR_KEY] = None
    session[TARGET_KEY] = None


def current_plan(session: Session) -> pd.DataFrame | None:
    """The plan being edited, as ``atr-model evaluate`` reads it (``unit_code, new_unit_id,
    centre_code``); None when the session edits no plan. The one way other views (saved
    versions, downloads) take the edited plan."""
    made = editor(session)
    return None if made is None else made.plan_frame()


def edited_plan(session: Session, folder: str | None) -> pd.DataFrame | None:
    """The edited plan of the result in ``folder`` (None when the session edits no plan, or
    another result's): what the Versions view saves as "the plan shown" after moves."""
    kept = session.get(EDITOR_KEY)
    if kept is None or folder is None or kept[0] != str(folder):
        return None
    return cast("pd.DataFrame | None", kept[1].plan_frame())


def refusal_text(refusal: Refusal, lang: str, names: Mapping[str, str]) -> str:
    """A refusal in ``lang``, units and new units by name (code in brackets)."""
    params = {k: (f"{names[str(v)]} ({v})" if str(v) in names else str(v)) for k, v in refusal.params.items()}
    return t(f"planedit.refuse.{refusal.code}", lang, **params)


def on_click(session: Session, made: PlanEditor, code: str, mode: str, lang: str, names: Mapping[str, str]) -> ClickOutcome:
    """Do what a click on unit ``code`` does in edit mode.

    ``mode`` :data:`CLICK_TARGET`: the unit's new unit becomes the target. :data:`CLICK_MOVE`:
    the unit moves into the target (or the refusal's reason); without a target yet, the click
    chooses it.
    """
    target = session.get(TARGET_KEY)
    if mode == CLICK_TARGET or target is None or target not in set(made.current.new_unit):
        chosen = made.new_unit_of(code)
        session[TARGET_KEY] = chosen
        return ClickOutcome("target", t("planedit.target", lang, name=names.get(chosen, chosen)))
    refusal = made.move(code, str(target))
    if refusal is not None:
        return ClickOutcome("refused", t("planedit.refused", lang, reason=refusal_text(refusal, lang, names)))
    return ClickOutcome("moved", t("planedit.moved", lang, unit=names.get(code, code), target=names.get(target, target)))


def resolved_text(out: Resolved, lang: str, names: Mapping[str, str]) -> str:
    """What a re-solve around the edits did, in ``lang``."""
    return t(
        "planedit.resolved", lang, raions=", ".join(names.get(r, r) for r in out.raions), n=len(out.locks),
        seconds=format_number(out.seconds, lang, digits=1), cost=format_number(out.cost, lang),
        locked=format_number(out.objective_locked, lang), free=format_number(out.objective_free, lang),
    )
