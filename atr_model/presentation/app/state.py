"""Per-user state of the app, kept in ``st.session_state`` only.

Two people using the app at once each have their own session: their language, dataset,
scenario edits, undo stack and results never mix. Shared caches (:mod:`.cache`) only hold
immutable things keyed by content (dataset build id, scenario hash).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from atr_model.presentation.app.edits import Edit
from atr_model.scenarios import PlanVersion

__all__ = [
    "defaults", "init", "push_edit", "undo_edit", "clear_edits", "edits", "remember_result", "forget_result",
    "result_matches", "plan_versions", "set_plan_versions",
]

#: ``st.session_state`` (its keys may be ``str`` or ``int``) or a plain dict (tests)
Session = MutableMapping[str, Any] | MutableMapping[str | int, Any]

_DEFAULTS: dict[str, Any] = {
    "edits": (),
    "criteria_gen": 0,
    "run_count": 0,
    "result_folder": None,
    "result_hash": None,
    "result_source": None,
    "previous_folder": None,
    "compare": None,
    "uploaded": None,
    "uploaded_name": None,
    "plan_versions": (),
}


def defaults() -> dict[str, Any]:
    """The initial session values (a fresh copy)."""
    return dict(_DEFAULTS)


def init(session: Session) -> None:
    """Fill missing session keys with their defaults."""
    for key, value in _DEFAULTS.items():
        session.setdefault(key, value)


def edits(session: Session) -> tuple[Edit, ...]:
    """The session's manual edits, oldest first."""
    return tuple(session.get("edits", ()))


def push_edit(session: Session, edit: Edit) -> None:
    """Add an edit (duplicates are ignored)."""
    current = edits(session)
    if edit not in current:
        session["edits"] = (*current, edit)


def undo_edit(session: Session) -> Edit | None:
    """Remove and return the newest edit (None when there is none)."""
    current = edits(session)
    if not current:
        return None
    session["edits"] = current[:-1]
    return current[-1]


def clear_edits(session: Session) -> None:
    """Drop every edit."""
    session["edits"] = ()


def remember_result(session: Session, folder: str, scenario_hash: str, source: str | None = None) -> None:
    """Make ``folder`` the current result, keeping the previous one for "what changed".

    ``scenario_hash`` and ``source`` (dataset and territory) are the settings it was computed
    with: :func:`result_matches` compares them with the page's.
    """
    if session.get("result_folder") and session.get("result_folder") != folder:
        session["previous_folder"] = session["result_folder"]
    session["result_folder"] = folder
    session["result_hash"] = scenario_hash
    session["result_source"] = source
    session["run_count"] = int(session.get("run_count", 0)) + 1


def forget_result(session: Session) -> None:
    """Show no result (another dataset or territory: the old plan is of other units)."""
    for key in ("result_folder", "result_hash", "result_source", "previous_folder", "compare"):
        session[key] = None


def result_matches(session: Session, scenario_hash: str | None, source: str | None) -> bool:
    """Whether the current result was computed with these settings (scenario, locks included,
    and territory). After an undo, a changed criterion or a failed run it is not: the page
    then says the result is out of date."""
    if not session.get("result_folder"):
        return True
    recorded = session.get("result_source")
    return session.get("result_hash") == scenario_hash and (recorded is None or recorded == source)


def plan_versions(session: Session) -> tuple[PlanVersion, ...]:
    """The session's named plan versions, oldest first (:mod:`atr_model.scenarios.plan_versions`)."""
    return tuple(session.get("plan_versions", ()))


def set_plan_versions(session: Session, versions: tuple[PlanVersion, ...]) -> None:
    """Replace the session's plan versions (the functions of ``plan_versions`` return new tuples)."""
    session["plan_versions"] = tuple(versions)
