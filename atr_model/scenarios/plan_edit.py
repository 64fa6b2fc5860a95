"""Editing a plan by hand, move by move, with the verdict and the key figures after each move.

An analyst takes a solved plan and moves units from one new unit into a neighbouring one, as in
redistricting tools. :class:`PlanEditor` refuses a move that cannot give a sound new unit (the
unit does not touch the target, or leaving would split the new unit it leaves) with a reason
(:class:`Refusal`: a catalogue code and its values), and after every accepted move gives

* the independent checker's verdict, hard and soft, exempt units named by their rule, exactly as
  ``atr-model evaluate`` gives it (:func:`~atr_model.scenarios.evaluate.plan_violations`);
* the new units' populations and travel times, and every key figure, measured by the one
  measure of a plan (:func:`~atr_model.scenarios.run.package_plan`) so the figures are those
  ``evaluate`` gives for the exported plan CSV (:meth:`PlanEditor.plan_frame`);
* the change of each key figure against the plan before the edits
  (:func:`~atr_model.scenarios.compare.figure_deltas`).

Why it is fast enough per click: ``evaluate`` builds the instance (travel costs, exemptions)
and chooses every centre again, then dissolves the country's borders for the new units'
shapes. The editor builds the instance once, chooses centres only for the two new units a move
changes (with the centres the model allows computed once), and measures without shapes
(``package_plan(..., shapes=False)``): every figure is the same, the shapes are not needed to
count or to draw (maps dissolve the current units themselves).

"Re-solve around my edits" (:meth:`PlanEditor.resolve_around_edits`): every moved unit is
locked with its new unit (a ``together`` pair with a member the analyst did not move, the lock a
scenario file holds as ``criteria.locks.together``), and the engine re-optimises only the raions
of the moved units, keeping their number of new units; the other raions keep their plan. The
same sub-problem is solved without the locks too, so the cost of the hand edits against the free
optimum (same objective, same raions) is stated.

Undo and redo step through the moves (and re-solves) one at a time.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from atr_model.data import Dataset
from atr_model.errors import DataError, InfeasibleError
from atr_model.network import TravelModel
from atr_model.optimisation import (
    EngineSettings,
    MergerInstance,
    MergerModel,
    allowed_centres,
    plan_centres,
    plan_result,
)
from atr_model.scenarios.compare import figure_deltas
from atr_model.scenarios.evaluate import SAME_COST_REL, assignment_from_plan, plan_violations, violations_frame
from atr_model.scenarios.instance_builder import InstanceBundle, build_instance
from atr_model.scenarios.run import ScenarioResult, package_plan
from atr_model.scenarios.scenario import Scenario
from atr_model.scenarios.solver_settings import engine_settings

__all__ = ["REFUSAL_MESSAGES", "Move", "PlanEditor", "PlanState", "Refusal", "Resolved"]

logger = logging.getLogger(__name__)

#: The English text of each refusal (code -> template); the app's catalogue holds the same
#: template under ``planedit.refuse.<code>`` in every language.
REFUSAL_MESSAGES: dict[str, str] = {
    "unknown_unit": "{unit}: no such unit in the plan",
    "unknown_target": "{target}: no such new unit in the plan",
    "same_unit": "{unit} is already in the new unit {target}",
    "not_adjacent": "{unit} does not border the new unit {target} (no neighbour of it is a member)",
    "would_split": "moving {unit} would split the new unit {source} into {pieces} parts that do not touch",
    "nothing_moved": "no unit has been moved: there is nothing to re-solve around",
    "resolve_infeasible": "the raions {raions} have no plan that keeps the moved units where they are "
                          "(solver status {status})",
}


@dataclass(frozen=True)
class Refusal:
    """Why a move (or a re-solve) was refused.

    Attributes
    ----------
    code : str
        Key of :data:`REFUSAL_MESSAGES` (catalogue text ``planedit.refuse.<code>``).
    params : dict
        The values the sentence names (unit codes, new-unit ids, counts).
    """

    code: str
    params: Mapping[str, str | int] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The reason in English."""
        return REFUSAL_MESSAGES[self.code].format(**self.params)


@dataclass(frozen=True)
class Move:
    """One accepted move: ``unit`` left new unit ``source`` for new unit ``target``."""

    unit: str
    source: str
    target: str


@dataclass(frozen=True)
class PlanState:
    """The plan after some edits, measured.

    Attributes
    ----------
    new_unit : tuple of str
        New-unit id of each instance unit (instance order); ids stay from move to move.
    assignment : numpy.ndarray
        Centre index of each instance unit (the engine's form).
    moves : tuple of Move
        The moves that led here from the plan before the edits, oldest first.
    violations : pandas.DataFrame
        The checker's verdict (as :attr:`PlanEvaluation.violations`).
    kpis : dict
        Every key figure, as ``kpis.json`` holds them.
    objective : float
        The plan's cost the way the optimiser counts it.
    assignments : pandas.DataFrame
        One row per unit as ``assignments.csv`` (``new_unit_id``, ``centre_code``, ``status``,
        ``population``, ``travel_time_to_centre_min``...).
    new_units : pandas.DataFrame
        One row per new unit: ``population``, ``travel_time_mean_min``, ``travel_time_max_min``,
        ``below_floor``, ``members``... (no geometry).
    step : str
        ``"start"``, ``"move"`` or ``"resolve"``.
    seconds : float
        Time taken to make and measure this state.
    """

    new_unit: tuple[str, ...]
    assignment: np.ndarray
    moves: tuple[Move, ...]
    violations: pd.DataFrame
    kpis: dict[str, Any]
    objective: float
    assignments: pd.DataFrame
    new_units: pd.DataFrame
    step: str = "start"
    seconds: float = 0.0

    @property
    def hard_count(self) -> int:
        """Number of hard violations."""
        return int(self.violations["hard"].sum()) if len(self.violations) else 0

    @property
    def soft_count(self) -> int:
        """Number of soft shortfalls the scenario allows."""
        return len(self.violations) - self.hard_count


@dataclass(frozen=True)
class Resolved:
    """What a re-solve around the edits did.

    Attributes
    ----------
    raions : tuple of str
        The raions re-optimised (those of the moved units).
    locks : tuple of (str, str)
        The ``together`` pairs that kept each moved unit with its new unit.
    objective_locked, objective_free : float
        Optimum of those raions with and without the locks (same objective, same count of new
        units per raion).
    cost : float
        ``objective_locked - objective_free`` (>= 0): what the hand edits cost.
    changed_units : tuple of str
        Units whose new unit the re-solve changed.
    seconds : float
        Time of the two solves and the measure.
    """

    raions: tuple[str, ...]
    locks: tuple[tuple[str, str], ...]
    objective_locked: float
    objective_free: float
    cost: float
    changed_units: tuple[str, ...]
    seconds: float


def _neighbours(instance: MergerInstance) -> list[set[int]]:
    out: list[set[int]] = [set() for _ in range(instance.n)]
    for a, b in instance.adjacency:
        out[int(a)].add(int(b))
        out[int(b)].add(int(a))
    return out


def _pieces(members: set[int], neighbours: list[set[int]]) -> int:
    """Number of connected parts of ``members`` over the adjacency."""
    left, count = set(members), 0
    while left:
        count += 1
        stack = [left.pop()]
        while stack:
            for j in neighbours[stack.pop()] & left:
                left.discard(j)
                stack.append(j)
    return count


def _with_links(instance: MergerInstance, pairs: Sequence[tuple[int, int]]) -> MergerInstance:
    """``instance`` with more ``must_link`` pairs."""
    links = np.vstack([instance.must_link.reshape(-1, 2), np.asarray(pairs, dtype=np.int64).reshape(-1, 2)])
    return MergerInstance(
        unit_codes=instance.unit_codes, population=instance.population, cost=instance.cost,
        adjacency=instance.adjacency, travel_time_min=instance.travel_time_min, group=instance.group,
        centre_eligible=instance.centre_eligible, exempt=instance.exempt, exempt_reason=instance.exempt_reason,
        keep_separate=instance.keep_separate, must_link=links, cannot_link=instance.cannot_link,
        names=instance.names, indicator=instance.indicator,
    )


class PlanEditor:
    """A solved plan being edited by hand: moves, verdict, figures, undo/redo, re-solve.

    Parameters
    ----------
    scenario, dataset, travel_model
        What the plan is drawn for (its criteria are the verdict's).
    bundle, settings
        The scenario's instance and engine settings (:func:`build_instance`, :func:`engine_settings`).
    new_unit_ids : sequence of str
        New-unit id of each instance unit (instance order).
    assignment : array of int
        Centre index of each instance unit.
    """

    def __init__(self, scenario: Scenario, dataset: Dataset, travel_model: TravelModel, bundle: InstanceBundle,
                 settings: EngineSettings, new_unit_ids: Sequence[str], assignment: np.ndarray) -> None:
        self.scenario, self.dataset, self.travel_model = scenario, dataset, travel_model
        self.bundle, self.settings = bundle, settings
        inst = bundle.instance
        self._index = {c: i for i, c in enumerate(inst.unit_codes)}
        self._neighbours = _neighbours(inst)
        self._allowed = allowed_centres(inst, settings)
        started = time.perf_counter()
        self._history: list[PlanState] = [
            self._measure(tuple(str(u) for u in new_unit_ids), np.asarray(assignment, dtype=np.int64), (), "start",
                          started)
        ]
        self._at = 0

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def from_result(cls, result: ScenarioResult) -> PlanEditor:
        """Edit a run's plan (its instance, settings and assignment)."""
        by_code = result.assignments.set_index("unit_code")["new_unit_id"].astype(str)
        ids = [str(by_code[c]) for c in result.bundle.instance.unit_codes]
        return cls(result.scenario, result.dataset, result.travel_model, result.bundle, result.settings, ids,
                   np.asarray(result.engine_result.assignment, dtype=np.int64))

    @classmethod
    def from_plan(cls, plan: pd.DataFrame, scenario: Scenario, dataset: Dataset, travel_model: TravelModel, *,
                  bundle: InstanceBundle | None = None, where: str = "plan") -> PlanEditor:
        """Edit a plan table (``unit_code, new_unit_id[, centre_code]``) as ``evaluate`` reads it.

        Raises
        ------
        DataError
            On a malformed plan (unknown or missing units, bad centre).
        """
        if bundle is None:
            bundle = build_instance(dataset, travel_model, scenario.criteria, level=scenario.level)
        settings = engine_settings(scenario.criteria, scenario.solver, bundle=bundle)
        table = plan.fillna("").astype(str)
        assignment = assignment_from_plan(table, bundle.instance, settings, where=where)
        by_code = table.set_index("unit_code")["new_unit_id"]
        ids = [str(by_code[c]) for c in bundle.instance.unit_codes]
        return cls(scenario, dataset, travel_model, bundle, settings, ids, assignment)

    # -- the plan -------------------------------------------------------------------------------

    @property
    def base(self) -> PlanState:
        """The plan before the edits."""
        return self._history[0]

    @property
    def current(self) -> PlanState:
        """The plan after the edits (up to the last undo)."""
        return self._history[self._at]

    @property
    def can_undo(self) -> bool:
        """Whether there is a step to undo."""
        return self._at > 0

    @property
    def can_redo(self) -> bool:
        """Whether an undone step can be redone."""
        return self._at < len(self._history) - 1

    def new_unit_of(self, unit_code: str) -> str:
        """The id of the new unit ``unit_code`` is in now.

        Raises
        ------
        DataError
            When the plan has no such unit.
        """
        if unit_code not in self._index:
            raise DataError(REFUSAL_MESSAGES["unknown_unit"].format(unit=unit_code), key="unknown_unit",
                            params={"unit": unit_code})
        return self.current.new_unit[self._index[unit_code]]

    def members(self, new_unit_id: str) -> list[str]:
        """Codes of the units of a new unit now, sorted."""
        codes = self.bundle.instance.unit_codes
        return sorted(codes[i] for i, u in enumerate(self.current.new_unit) if u == new_unit_id)

    def figure_changes(self) -> pd.DataFrame:
        """Every key figure before the edits (``a``), now (``b``) and the change (``delta``)."""
        return figure_deltas(self.base.kpis, self.current.kpis)

    def plan_frame(self) -> pd.DataFrame:
        """The current plan as ``atr-model evaluate`` reads it: ``unit_code, new_unit_id, centre_code``."""
        codes = self.bundle.instance.unit_codes
        state = self.current
        frame = pd.DataFrame({
            "unit_code": list(codes),
            "new_unit_id": list(state.new_unit),
            "centre_code": [codes[int(a)] for a in state.assignment],
        })
        return cast("pd.DataFrame", frame.sort_values("unit_code").reset_index(drop=True))

    def plan_csv(self) -> str:
        """:meth:`plan_frame` as CSV text (comma separated, one header line)."""
        buffer = io.StringIO()
        self.plan_frame().to_csv(buffer, index=False, lineterminator="\n")
        return buffer.getvalue()

    # -- moves ----------------------------------------------------------------------------------

    def check_move(self, unit_code: str, target: str) -> Refusal | None:
        """Why moving ``unit_code`` into new unit ``target`` is refused (None: it is allowed)."""
        state = self.current
        i = self._index.get(unit_code)
        if i is None:
            return Refusal("unknown_unit", {"unit": unit_code})
        if target not in set(state.new_unit):
            return Refusal("unknown_target", {"target": target})
        source = state.new_unit[i]
        if source == target:
            return Refusal("same_unit", {"unit": unit_code, "target": target})
        inside = {j for j, u in enumerate(state.new_unit) if u == target}
        if not self._neighbours[i] & inside:
            return Refusal("not_adjacent", {"unit": unit_code, "target": target})
        rest = {j for j, u in enumerate(state.new_unit) if u == source and j != i}
        pieces = _pieces(rest, self._neighbours)
        if pieces > 1:
            return Refusal("would_split", {"unit": unit_code, "source": source, "pieces": pieces})
        return None

    def move(self, unit_code: str, target: str) -> Refusal | None:
        """Move ``unit_code`` into new unit ``target`` and measure the plan (None), or say why not.

        The two new units concerned get the centre the model would give them (as ``evaluate``
        chooses for a plan without centres); every other new unit keeps its centre. A move
        after an undo drops the steps that were undone.
        """
        refusal = self.check_move(unit_code, target)
        if refusal is not None:
            logger.info("move %s -> %s refused: %s", unit_code, target, refusal.message)
            return refusal
        started = time.perf_counter()
        state = self.current
        i = self._index[unit_code]
        source = state.new_unit[i]
        ids = list(state.new_unit)
        ids[i] = target
        assignment = state.assignment.copy()
        for uid in (source, target):
            members = [j for j, u in enumerate(ids) if u == uid]
            if members:
                (centre,) = plan_centres(self.bundle.instance, self.settings, [members], allowed=self._allowed)
                assignment[members] = centre
        moves = (*state.moves, Move(unit_code, source, target))
        self._push(self._measure(tuple(ids), assignment, moves, "move", started))
        logger.info("moved %s from %s to %s in %.3f s", unit_code, source, target, self.current.seconds)
        return None

    def undo(self) -> bool:
        """Go back one step (False when there is none)."""
        if not self.can_undo:
            return False
        self._at -= 1
        return True

    def redo(self) -> bool:
        """Redo the step last undone (False when there is none)."""
        if not self.can_redo:
            return False
        self._at += 1
        return True

    def _push(self, state: PlanState) -> None:
        del self._history[self._at + 1:]
        self._history.append(state)
        self._at += 1

    def _measure(self, ids: tuple[str, ...], assignment: np.ndarray, moves: tuple[Move, ...], step: str,
                 started: float) -> PlanState:
        """Check and measure a plan as ``evaluate`` does, without the shapes."""
        inst = self.bundle.instance
        violations = plan_violations(self.bundle, self.scenario, self.settings, assignment)
        engine = plan_result(inst, self.settings, assignment, proven=False, bound=float("nan"), seconds=0.0,
                             cut_rounds=0, contiguity_method="given plan")
        centre_ids = {int(a): ids[i] for i, a in enumerate(assignment)}
        measured = package_plan(self.scenario, self.dataset, self.travel_model, self.bundle, self.settings, engine,
                                [v for v in violations if not v.hard], started=started, ids=centre_ids, shapes=False)
        new_units = pd.DataFrame(measured.new_units.drop(columns="geometry"))
        return PlanState(new_unit=ids, assignment=assignment, moves=moves, violations=violations_frame(violations),
                         kpis=dict(measured.kpis), objective=float(engine.objective), assignments=measured.assignments,
                         new_units=new_units, step=step, seconds=time.perf_counter() - started)

    # -- re-solve around the edits ----------------------------------------------------------------

    def locks(self) -> list[tuple[str, str]]:
        """The ``together`` pairs that keep each moved unit where it is now: the unit and the
        first (by code) member of its new unit that was not moved, else another moved member."""
        state = self.current
        moved = sorted({m.unit for m in state.moves})
        moved_set = set(moved)
        pairs: list[tuple[str, str]] = []
        for code in moved:
            others = [c for c in self.members(self.new_unit_of(code)) if c != code]
            anchors = [c for c in others if c not in moved_set] or others
            if anchors:
                pairs.append((code, anchors[0]))
        return pairs

    def resolve_around_edits(self) -> Resolved | Refusal:
        """Re-optimise the raions of the moved units with each moved unit locked where it is.

        The other raions keep their plan; the re-solved raions keep their number of new units of
        the plan before the edits (so a scenario's total count still holds). The same raions are
        solved without the locks too: the difference of the two optima is the cost of the edits.
        The result is one step (undo brings the hand-edited plan back).
        """
        started = time.perf_counter()
        state = self.current
        if not state.moves:
            return Refusal("nothing_moved", {})
        inst = self.bundle.instance
        pairs = self.locks()
        moved = {m.unit for m in state.moves}
        raions = tuple(sorted({inst.group[self._index[c]] for c in moved}))
        idx = np.asarray([i for i in range(inst.n) if inst.group[i] in raions], dtype=np.int64)
        local = {int(g): k for k, g in enumerate(idx)}
        sub = inst.subset(idx)
        settings = self._sub_settings(raions, idx)
        links = [(local[self._index[a]], local[self._index[b]]) for a, b in pairs
                 if self._index[a] in local and self._index[b] in local]
        try:
            locked = MergerModel(_with_links(sub, links), settings).solve()
        except InfeasibleError as exc:  # found before the solver: a lock against a hard criterion
            logger.info("re-solve around the edits: %s", exc)
            return Refusal("resolve_infeasible", {"raions": ", ".join(raions), "status": "infeasible"})
        if not locked.has_plan:
            return Refusal("resolve_infeasible", {"raions": ", ".join(raions), "status": str(locked.status)})
        free = MergerModel(sub, settings).solve()
        assignment = state.assignment.copy()
        sub_assignment = np.asarray(locked.assignment, dtype=np.int64)
        assignment[idx] = idx[sub_assignment]
        ids = self._resolved_ids(state, idx, assignment)
        changed = tuple(sorted(inst.unit_codes[i] for i in idx if ids[i] != state.new_unit[i]
                               or assignment[i] != state.assignment[i]))
        self._push(self._measure(ids, assignment, state.moves, "resolve", started))
        cost = float(locked.objective) - float(free.objective)
        if abs(cost) <= SAME_COST_REL * max(abs(float(free.objective)), 1.0):
            cost = 0.0
        out = Resolved(raions=raions, locks=tuple(pairs), objective_locked=float(locked.objective),
                       objective_free=float(free.objective), cost=cost, changed_units=changed,
                       seconds=time.perf_counter() - started)
        logger.info("re-solved %s around %d moved unit(s) in %.2f s; edits cost %.1f", ", ".join(raions), len(moved),
                    out.seconds, cost)
        return out

    def _sub_settings(self, raions: tuple[str, ...], idx: np.ndarray) -> EngineSettings:
        """The scenario's settings for the re-solved raions: with a count of new units, the
        count each raion has in the plan before the edits."""
        if self.settings.n_units is None:
            return self.settings
        base = self.base.assignment
        group = self.bundle.instance.group
        counts = {g: len({int(base[i]) for i in idx if group[i] == g}) for g in raions}
        return self.settings.replace(n_units=counts)

    def _resolved_ids(self, state: PlanState, idx: np.ndarray, assignment: np.ndarray) -> tuple[str, ...]:
        """Ids after a re-solve: each re-solved new unit takes the id it shares most members with
        (in order of centre code), else a fresh ``<raion>-E<k>``."""
        inst = self.bundle.instance
        ids = list(state.new_unit)
        units: dict[int, list[int]] = {}
        for i in idx:
            units.setdefault(int(assignment[i]), []).append(int(i))
        used: set[str] = set()
        taken = {u for i, u in enumerate(state.new_unit) if i not in set(idx.tolist())}
        fresh = 0
        for centre in sorted(units, key=lambda c: inst.unit_codes[c]):
            members = units[centre]
            votes = pd.Series([state.new_unit[i] for i in members]).value_counts()
            choice = next((str(u) for u, _ in sorted(votes.items(), key=lambda kv: (-kv[1], str(kv[0])))
                           if u not in used and u not in taken), None)
            while choice is None:
                fresh += 1
                candidate = f"{inst.group[centre]}-E{fresh:02d}"
                if candidate not in used and candidate not in taken:
                    choice = candidate
            used.add(choice)
            for i in members:
                ids[i] = choice
        return tuple(ids)
