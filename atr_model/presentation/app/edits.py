"""Manual edits of a plan in the app, without Streamlit: keep a unit on its own, force or forbid
two units together, exempt a unit from the population floor.

Edits are written into the scenario the way a scenario file holds them (locks and manual
exemptions), so an edited scenario downloads and reruns from the command line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from atr_model.errors import ScenarioError
from atr_model.presentation.app.scenario_io import scenario_from_dict, scenario_to_dict
from atr_model.scenarios import Scenario

__all__ = ["EDIT_ACTIONS", "Edit", "apply_edits"]

#: Manual edit actions, in the order the page offers them.
EDIT_ACTIONS = ("keep_separate", "together", "apart", "exempt")


@dataclass(frozen=True)
class Edit:
    """One manual edit of the plan.

    Attributes
    ----------
    action
        ``keep_separate`` (the unit stays on its own), ``together`` / ``apart`` (force or
        forbid ``unit`` and ``other`` in one new unit), ``exempt`` (exempt ``unit`` from the
        population floor, with ``reason``).
    unit, other
        Unit codes (``other`` only for pair actions).
    reason
        Why (kept in the scenario file for exemptions).
    """

    action: str
    unit: str
    other: str = ""
    reason: str = ""

    def __post_init__(self) -> None:
        if self.action not in EDIT_ACTIONS:
            raise ScenarioError(f"unknown edit action {self.action!r}; expected one of {', '.join(EDIT_ACTIONS)}")
        if self.action in ("together", "apart") and (not self.other or self.other == self.unit):
            raise ScenarioError(f"edit {self.action!r} needs two different units (got {self.unit!r}, {self.other!r})")


def _locks(criteria: dict[str, Any]) -> dict[str, Any]:
    """The criteria's locks block (``criteria.locks`` or the criteria themselves)."""
    locks = criteria.get("locks")
    if not isinstance(locks, dict):
        locks = criteria["locks"] = {}
    return locks


def _append_unique(items: list[Any], value: Any) -> None:
    if value not in items:
        items.append(value)


def apply_edits(scenario: Scenario, edits: Sequence[Edit]) -> Scenario:
    """Return a new scenario with the edits added to its locks and manual exemptions.

    The edits are stored the way a scenario file writes them, so the edited scenario can be
    downloaded and rerun from the CLI. The input scenario is not modified.
    """
    if not edits:
        return scenario
    data = scenario_to_dict(scenario)
    criteria = data.setdefault("criteria", {})
    locks = _locks(criteria)
    for edit in edits:
        if edit.action == "keep_separate":
            locks["keep_separate"] = list(locks.get("keep_separate") or [])
            _append_unique(locks["keep_separate"], edit.unit)
        elif edit.action in ("together", "apart"):
            pairs = [list(p) for p in locks.get(edit.action) or []]
            _append_unique(pairs, sorted([edit.unit, edit.other]))
            locks[edit.action] = pairs
        elif edit.action == "exempt":
            _add_manual_exemption(criteria, edit.unit, edit.reason or "manual exemption (app edit)")
    notes = str(data.get("notes") or "")
    summary = "; ".join(f"{e.action} {e.unit}{' ' + e.other if e.other else ''}" for e in edits)
    data["notes"] = (notes + "\n" if notes else "") + f"manual edits in the app: {summary}"
    return scenario_from_dict(data)


def _add_manual_exemption(criteria: dict[str, Any], unit: str, reason: str) -> None:
    """Add ``{unit_code, reason}`` to ``criteria.exemptions.manual`` (once per unit)."""
    exemptions = criteria.setdefault("exemptions", {})
    manual = list(exemptions.get("manual") or [])
    if not any(isinstance(m, dict) and m.get("unit_code") == unit for m in manual):
        manual.append({"unit_code": unit, "reason": reason})
    exemptions["manual"] = manual
