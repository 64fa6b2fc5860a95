"""Input: engine settings: one frozen, validated object with every knob of the merger MILP.

Defaults live here and only here; the model, the checker and the explanations read them from
the same :class:`EngineSettings` instance.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from atr_model.criteria import DEFAULT_POPULATION_FLOOR
from atr_model.errors import CriteriaError

__all__ = ["EngineSettings"]

FloorMode = Literal["soft", "hard"]
ExemptMode = Literal["keep", "no_floor"]
ContiguityMode = Literal["auto", "cuts", "flow", "none"]
SolverName = Literal["highs", "cbc"]
HeuristicsMode = Literal["auto", "on", "off"]
FirstCentres = Literal["auto", "lp", "greedy"]
ExactPath = Literal["auto", "cut_loop", "scip"]

_CHOICES: dict[str, tuple[str, ...]] = {
    "floor_mode": ("soft", "hard"),
    "cap_mode": ("soft", "hard"),
    "exempt_mode": ("keep", "no_floor"),
    "contiguity": ("auto", "cuts", "flow", "none"),
    "solver": ("highs", "cbc"),
    "solver_heuristics": ("auto", "on", "off"),
    "first_centres": ("auto", "lp", "greedy"),
    "exact_path": ("auto", "cut_loop", "scip"),
}


def _default_processes() -> int:
    return max(1, min(2, os.cpu_count() or 1))


@dataclass(frozen=True)
class EngineSettings:
    """Everything the merger engine needs besides the instance.

    Parameters
    ----------
    population_floor : float or None
        Minimum residents of a new unit (Concept: 5,000 for an aiyl aimak). ``None`` drops the floor.
    floor_mode : {"soft", "hard"}
        ``"soft"``: a new unit may fall short; each missing resident costs
        ``slack_penalty_per_person`` in the objective and the shortfall is reported per unit.
        ``"hard"``: every new unit containing a non-exempt unit reaches the floor.
    population_cap : float or None
        Optional maximum residents of a new unit (upper end of a population band).
    cap_mode : {"soft", "hard"}
        As ``floor_mode``, for the cap (penalty ``cap_penalty_per_person``).
    slack_penalty_per_person : float
        Objective cost of one resident missing from the floor (soft mode). Default 1000: with a
        person-minute cost this means a unit merges whenever the extra travel is below
        1000 person-minutes per missing resident.
    cap_penalty_per_person : float
        Objective cost of one resident above the cap (soft mode).
    admin_cost_per_unit : float
        Objective cost of every new unit (its centre); 0 by default, so units merge only to
        reach the floor.
    exempt_mode : {"keep", "no_floor"}
        ``"keep"``: exempt units stay as they are (own centre, nobody joins).
        ``"no_floor"``: exempt units may merge, but need not reach the floor; a new unit made only
        of exempt units has no floor.
    max_travel_time_min : float or None
        Assignment pairs with ``travel_time_min[i, j]`` above this limit are not created.
    n_units : None, int or dict
        Number of new units: ``None`` (free), an int (total over all groups; couples the
        groups into one model) or ``{group: count}`` (per group; groups not named are free).
    contiguity : {"auto", "cuts", "flow", "none"}
        ``"cuts"``: solve, find disconnected pieces, add minimal vertex-separator inequalities
        (Validi, Buchanan & Lykhovyd 2022), re-solve until connected (exact).
        ``"flow"``: compact single-commodity flow per centre (SHIR-style, exact).
        ``"none"``: no contiguity. ``"auto"``: picks per instance (see :mod:`.model`).
    solver : {"highs", "cbc"}
        ``"highs"`` runs HiGHS in-process through ``pulp.HiGHS``; ``"cbc"`` the CBC bundled with PuLP.
    time_limit_s : float
        Wall-clock budget of one solve (all cut rounds together), per group when decomposed.
    gap_rel : float
        Relative MIP gap at which the solver stops; 0 for proven optima.
    threads : int
        Solver threads (the engine resets HiGHS's per-process scheduler before every solve).
    exact_threads : int or None
        Threads for the exact solves of the final cut loop (the heuristics, LPs and fixing keep
        ``threads``). ``None`` chooses: 2 on a machine with at least 2 CPUs when the model is
        solved as one sub-problem (no worker pool) and the matheuristic met no disconnected plan
        (contiguity hardly binds, so the proof is most of the work); otherwise ``threads``.
        Where contiguity binds, one thread: the single-threaded search passes more of the plans
        the cut loop feeds on (county benchmark OK: 27.9 s on one thread, 37.4 s on two; LA,
        where it does not bind: 34.5 s against 26.7 s).
    highs_options : mapping
        Extra HiGHS options (for example ``{"presolve": "off"}``), passed verbatim.
    solver_heuristics : {"auto", "on", "off"}
        HiGHS's own primal heuristics (RINS, RENS, feasibility jump, reduced-cost and sub-MIP
        searches). ``"auto"`` turns them off for a solve that starts from the engine's plan,
        where they mostly re-find what the start already gives: on the county benchmark LA the
        proof took 35 s without them against 51 s with. Options in ``highs_options`` win.
    cuts_from_all_solutions : bool
        In the separator-cut loop, cut off every disconnected plan HiGHS finds during a solve
        (read through its solution callback), not only the last one, and keep any connected
        plan it passes on the way; fewer re-solve rounds. The centre sets of those plans also
        seed the fixed-centre matheuristic after a disconnected round.
    stop_at_disconnected : bool
        End a cut-loop solve (HiGHS) as soon as it finds a disconnected plan better than the best
        known one, and cut it off at once, instead of first proving that plan optimal for a model
        that is about to change. HiGHS cannot take lazy constraints; this is the nearest thing.
        Off by default: on the county benchmark OK the better disconnected plans turn up late in
        the search, and the restarts cost more than the proofs they save (43 s against 37 s).
    decompose : bool
        Solve independent groups separately (in a process pool when ``processes > 1``).
    processes : int
        Worker processes for decomposed groups (default: min(2, CPU count)).
    fixing : bool
        Remove assignment variables that cannot be in a feasible (or optimal) plan.
    lagrangian_fixing : bool
        Also fix pairs by Lagrangian penalties against the best known plan (exact; see
        :mod:`.lagrangian`); needs ``fixing``.
    warm_start : bool
        Start the solver from a heuristic plan. A plan given to ``MergerModel.solve(start=...)``
        is used whatever this says.
    seed_neighbour_cuts : bool
        Start the separator-cut loop with every pair's neighbour separator (if unit ``i`` joins
        a centre it does not border, one of its neighbours joins too). Fewer re-solve rounds
        for a larger model: on the county benchmark (1 thread) the seven states took 111 s with
        the seeds and 114 s without (LA 34.5 s -> 30.6 s, OK 27.9 s -> 34.4 s).
    branching_priority : bool
        Ask the solver to branch on centre variables first, where it supports it.
    indicator_floor : float or None
        Economic base: every new unit must reach ``sum_i indicator_i`` of this value (soft or
        hard like the population floor); needs ``instance.indicator``.
    indicator_penalty_per_unit : float
        Objective cost of one indicator unit missing (soft mode).
    max_cut_rounds : int
        Safety bound on separator-cut rounds.
    first_centres : {"auto", "lp", "greedy"}
        Where the fixed-centre matheuristic starts: the LP relaxation's centres (``"lp"``), or the
        centres of the greedy merging plan (:mod:`.greedy`, ``"greedy"``). ``"auto"`` takes the
        greedy ones when the LP leans to more centres than the population can carry over the
        floor (there the fixed-centre MIP from the LP's centres is both hard and hopeless:
        measured on the hardest group of ``benchmarks/bench_scale.py``, 34 centres for 60 units,
        226 s without a connected plan), or when the group has at least
        :data:`.search.GREEDY_MIN_UNITS` units (150; the cross-district region R01, 178 units:
        85 % gap after 150 s from the LP's centres, 17 % after 90 s from the greedy ones), or
        when the greedy plan gets its local search (a floor, no ``n_units``,
        ``first_plan_search``: :mod:`.recombine` brings it to or near the optimum) and the LP
        leaves two or more centres fractional (the scale benchmark's districts: 85 -> 25 CPU s in
        total; see :data:`.search.SEARCH_MIN_FRACTIONAL_CENTRES`), else the LP's (and the greedy
        plan is not built). A
        greedy plan that is built is also offered as a first plan. The proven optimum does not
        depend on this.
    heuristic_gap_rel : float or None
        Relative gap at which a fixed-centre matheuristic solve stops (it only looks for plans;
        the exact phase proves). ``None`` chooses: 1 % when the matheuristic starts from the
        greedy plan's centres, else 0 (every one proven optimal, as before, so the Kyrgyz runs,
        where the LP's centres fit, take the same path). Measured on the scale benchmark's
        district D0012 (60 units): 31 CPU s from the LP's centres, 73 s from the greedy centres
        with exact fixed-centre solves, 19-23 s from the greedy centres at 1 %.
    exact_path : {"auto", "cut_loop", "scip"}
        How the exact phase enforces contiguity with separator cuts. ``"cut_loop"``: HiGHS,
        re-solving after each round of cuts (:mod:`.cutloop`). ``"scip"``: one branch-and-cut in
        SCIP that adds the cuts as lazy constraints during the search (:mod:`.scip`; needs the
        optional PySCIPOpt, ``pip install 'atr-model[scip]'``). ``"auto"`` is the cut loop, the
        faster of the two wherever both were measured (the Kyrgyz runs, the county benchmark and
        the scale benchmark's groups; see ``benchmarks/bench_exact_paths.py``). Both prove the
        same optimum.
    floor_cuts : bool
        Lift the LP bound with lifted cover cuts on the population floor rows before fixing and
        the exact phase (:mod:`.floorcuts`), on groups of 150 units or more whose first plan is
        more than 0.5 % above the LP bound. The optimum does not depend on this.
    first_plan_search : bool
        Improve the greedy first plan (no ``n_units``) by splitting and dissolving new units
        (:mod:`.localsearch`), growing new units and re-partitioning two or three neighbouring
        ones exactly (:mod:`.recombine`) before the matheuristic starts from its centres. The
        optimum does not depend on this.
    """

    population_floor: float | None = DEFAULT_POPULATION_FLOOR
    floor_mode: FloorMode = "soft"
    population_cap: float | None = None
    cap_mode: FloorMode = "soft"
    slack_penalty_per_person: float = 1000.0
    cap_penalty_per_person: float = 1000.0
    admin_cost_per_unit: float = 0.0
    exempt_mode: ExemptMode = "keep"
    max_travel_time_min: float | None = None
    n_units: int | Mapping[str, int] | None = None
    contiguity: ContiguityMode = "auto"
    solver: SolverName = "highs"
    time_limit_s: float = 60.0
    gap_rel: float = 0.0
    threads: int = 1
    exact_threads: int | None = None
    highs_options: Mapping[str, Any] = field(default_factory=dict)
    solver_heuristics: HeuristicsMode = "auto"
    cuts_from_all_solutions: bool = True
    stop_at_disconnected: bool = False
    decompose: bool = True
    processes: int = field(default_factory=_default_processes)
    fixing: bool = True
    lagrangian_fixing: bool = True
    warm_start: bool = True
    seed_neighbour_cuts: bool = True
    branching_priority: bool = True
    indicator_floor: float | None = None
    indicator_penalty_per_unit: float = 1.0
    max_cut_rounds: int = 500
    first_centres: FirstCentres = "auto"
    heuristic_gap_rel: float | None = None
    exact_path: ExactPath = "auto"
    floor_cuts: bool = True
    first_plan_search: bool = True

    def __post_init__(self) -> None:
        for name, allowed in _CHOICES.items():
            value = getattr(self, name)
            if value not in allowed:
                raise CriteriaError(f"EngineSettings.{name}={value!r}; expected one of {', '.join(allowed)}")
        for name in ("population_floor", "population_cap", "max_travel_time_min", "indicator_floor"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, (int, float)) or value != value or value < 0):
                raise CriteriaError(f"EngineSettings.{name}={value!r}; expected a non-negative number or None")
        for name in ("slack_penalty_per_person", "cap_penalty_per_person", "admin_cost_per_unit",
                     "indicator_penalty_per_unit", "time_limit_s", "gap_rel"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value != value or value < 0:
                raise CriteriaError(f"EngineSettings.{name}={value!r}; expected a non-negative number")
        gap = self.heuristic_gap_rel
        if gap is not None and (not isinstance(gap, (int, float)) or gap != gap or gap < 0):
            raise CriteriaError(f"EngineSettings.heuristic_gap_rel={gap!r}; expected a non-negative number or None")
        if self.threads < 1 or self.processes < 1 or self.max_cut_rounds < 1:
            raise CriteriaError("EngineSettings: threads, processes and max_cut_rounds must be >= 1")
        if self.exact_threads is not None and self.exact_threads < 1:
            raise CriteriaError("EngineSettings: exact_threads must be >= 1 (or None to choose)")
        n_units = self.n_units
        if isinstance(n_units, Mapping):
            n_units = {str(k): int(v) for k, v in sorted(n_units.items())}
            object.__setattr__(self, "n_units", n_units)
            bad = [g for g, v in n_units.items() if v < 1]
            if bad:
                raise CriteriaError(f"EngineSettings.n_units: group {bad[0]!r} asks for {n_units[bad[0]]} units; need >= 1")
        elif n_units is not None:
            if isinstance(n_units, bool) or int(n_units) != n_units or n_units < 1:
                raise CriteriaError(f"EngineSettings.n_units={n_units!r}; expected an int >= 1, a dict or None")
            object.__setattr__(self, "n_units", int(n_units))
        object.__setattr__(self, "highs_options", dict(sorted(dict(self.highs_options).items())))

    def replace(self, **changes: Any) -> EngineSettings:
        """A copy with some fields changed (validated again)."""
        data = asdict(self)
        data.update(changes)
        return EngineSettings(**data)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict of all fields."""
        data = asdict(self)
        data["highs_options"] = dict(self.highs_options)
        if isinstance(self.n_units, Mapping):
            data["n_units"] = dict(self.n_units)
        return data
