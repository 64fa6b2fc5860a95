"""Output: what a solve returns: :class:`MergerResult`."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["MergerResult"]

STATUSES = ("optimal", "feasible", "infeasible", "time_limit_no_solution")


def _num(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


@dataclass
class MergerResult:
    """A merger plan and how it was found.

    Attributes
    ----------
    assignment : int array (n,)
        Index of the centre unit of each unit; a centre ``j`` has ``assignment[j] == j``.
        All ``-1`` when ``status == "time_limit_no_solution"``.
    status : str
        ``"optimal"`` (proven within ``gap_rel``), ``"feasible"`` (a plan, not proven),
        ``"infeasible"`` (only in ``per_group`` summaries; a solve raises InfeasibleError) or
        ``"time_limit_no_solution"``.
    proven_optimal : bool
        The solver proved the plan optimal (gap <= ``gap_rel``) with contiguity enforced.
    objective, bound, gap : float
        Objective of the plan, best lower bound, relative gap ``(objective - bound) / |objective|``.
    seconds : float
        Wall-clock time of the solve.
    cut_rounds : int
        Separator-cut rounds (0 when contiguity held at once or the flow model was used).
    contiguity_method : str
        ``"cuts"``, ``"flow"`` or ``"none"`` (after ``"auto"`` was resolved).
    solver : str
        ``"highs"`` or ``"cbc"``.
    floor_shortfall : float array (n,)
        Per original unit: residents missing from the floor in the new unit it belongs to
        (0 when reached, exempt or no floor).
    cap_excess : float array (n,)
        Per original unit: residents above the cap in its new unit.
    indicator_shortfall : float array (n,)
        Per original unit: indicator missing from ``indicator_floor`` in its new unit.
    per_group : dict
        Group code -> stats (``n``, ``n_units``, ``objective``, ``status``, ``seconds``, ``cut_rounds``).
    fixed_pairs : dict
        Assignment pairs removed before the solve, per reason.
    notes : list of str
        Things the caller should know (for example an option the solver ignores).
    time_bound : bool
        A time budget cut some step of the search short: the overall ``time_limit_s`` stopped a
        solve, or a heuristic step ran out of its share of it. The plan then depends on the
        machine's speed and load, and a rerun elsewhere may differ. When ``False`` the same
        inputs, settings and thread counts give the same plan.
    threads : dict
        Thread and process counts the solve used: ``solver`` (HiGHS threads of the cut rounds),
        ``final_solve`` (of the final exact solve, see ``EngineSettings.exact_threads``) and
        ``group_processes`` (worker processes that solved groups side by side; 1 in-process).
    trace : list of (float, float, float)
        Anytime record of one sub-problem's search: ``(seconds, best plan's objective, best
        bound)`` at every improvement of either (``inf`` / ``-inf`` while unknown). Empty for a
        result combined from groups (their traces are in ``per_group``'s ``first_plan_s``).
    start : dict
        With a plan given to ``MergerModel.solve(start=...)``: in how many (sub-)problems it was
        ``used`` as the first plan and in how many ``dropped`` (it broke a hard constraint there;
        the reason is in ``notes``). Empty without a start.
    """

    assignment: np.ndarray
    status: str
    proven_optimal: bool
    objective: float
    bound: float
    gap: float
    seconds: float
    cut_rounds: int
    contiguity_method: str
    solver: str
    floor_shortfall: np.ndarray
    cap_excess: np.ndarray
    indicator_shortfall: np.ndarray
    unit_codes: tuple[str, ...] = ()
    per_group: dict[str, dict[str, Any]] = field(default_factory=dict)
    fixed_pairs: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    time_bound: bool = False
    threads: dict[str, int] = field(default_factory=dict)
    start: dict[str, int] = field(default_factory=dict)
    trace: list[tuple[float, float, float]] = field(default_factory=list)

    @property
    def first_plan_s(self) -> float | None:
        """Seconds from the start of the search to its first plan (``None`` without a trace or plan)."""
        return next((t for t, obj, _ in self.trace if math.isfinite(obj)), None)

    @property
    def centres(self) -> np.ndarray:
        """Sorted indices of the centre units."""
        if (self.assignment < 0).any():
            return np.zeros(0, dtype=np.int64)
        return np.unique(self.assignment)

    @property
    def n_units(self) -> int:
        """Number of new units."""
        return int(self.centres.size)

    @property
    def has_plan(self) -> bool:
        """Whether the result carries a plan."""
        return bool(self.assignment.size) and not (self.assignment < 0).any()

    def members(self, centre: int) -> np.ndarray:
        """Units of the new unit centred on ``centre``."""
        return np.flatnonzero(self.assignment == centre)

    def determinism(self) -> dict[str, Any]:
        """What a rerun needs to give the same plan: whether a time budget bound the search, and
        the thread counts used (for ``provenance.json``)."""
        if self.time_bound:
            note = ("a time budget cut part of the search short: a rerun on another machine or under "
                    "another load may give a different plan")
        else:
            note = "no time budget bound the search: the same inputs, settings and thread counts give the same plan"
        return {"time_budget_bound": bool(self.time_bound), "threads": dict(self.threads),
                "cpu_count": os.cpu_count() or 1, "note": note}

    def proof(self) -> dict[str, Any]:
        """Which groups are proven optimal and which are not, with the proven gap of each
        unproven one (``None`` when no bound is known): what an answer under a time budget
        guarantees, for the KPIs and ``provenance.json``.

        A result solved as one model counts as one group (its own status and gap).
        """
        groups = self.per_group or {"all": {"status": self.status, "proven_optimal": self.proven_optimal,
                                            "gap": self.gap}}
        unproven = {}
        for code, entry in sorted(groups.items()):
            if not entry.get("proven_optimal", entry.get("status") == "optimal"):
                gap = entry.get("gap")
                unproven[code] = {"status": str(entry.get("status")),
                                  "gap": _num(gap) if isinstance(gap, (int, float)) else None}
        return {"groups": len(groups), "proven": len(groups) - len(unproven), "unproven": unproven,
                "all_proven": not unproven}

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly summary (assignment by unit code when codes are known)."""
        codes = self.unit_codes or tuple(str(i) for i in range(self.assignment.size))
        assign = {codes[i]: (codes[int(c)] if c >= 0 else None) for i, c in enumerate(self.assignment)}
        return {
            "status": self.status,
            "proven_optimal": self.proven_optimal,
            "objective": _num(self.objective),
            "bound": _num(self.bound),
            "gap": _num(self.gap),
            "seconds": round(float(self.seconds), 3),
            "n_units": self.n_units,
            "cut_rounds": self.cut_rounds,
            "contiguity_method": self.contiguity_method,
            "solver": self.solver,
            "centres": [codes[int(c)] for c in self.centres],
            "assignment": assign,
            "floor_shortfall": {codes[i]: float(v) for i, v in enumerate(self.floor_shortfall) if v > 0},
            "cap_excess": {codes[i]: float(v) for i, v in enumerate(self.cap_excess) if v > 0},
            "indicator_shortfall": {codes[i]: float(v) for i, v in enumerate(self.indicator_shortfall) if v > 0},
            "per_group": {g: {k: (_num(v) if isinstance(v, float) else v) for k, v in st.items()}
                          for g, st in self.per_group.items()},
            "fixed_pairs": dict(self.fixed_pairs),
            "notes": list(self.notes),
            "time_bound": bool(self.time_bound),
            "threads": dict(self.threads),
            "proof": self.proof(),
        }
