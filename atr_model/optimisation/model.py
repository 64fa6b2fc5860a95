"""Stage: the public model. :class:`MergerModel` checks the instance in advance, solves it whole
or group by group, and verifies the plan with the independent checker.

The stages it drives, one module each:

- :mod:`.prepare` and :mod:`.presolve`: allowed pairs, and infeasibility knowable before the solver;
- :mod:`.formulation`: the MILP (its algebra is in that module's docstring);
- :mod:`.cutloop`: solve, cut off disconnected new units, re-solve;
- :mod:`.heuristics` and :mod:`.fixing`: first plans, and the pairs they rule out;
- :mod:`.search`: one sub-problem from the first plan to the proof;
- :mod:`.decomposition`: independent groups solved apart, in worker processes when it pays;
- :mod:`.measures`: the objective, shortfalls and gap of a plan, and the result built from them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

import numpy as np

from atr_model.errors import CriteriaError, SolverError
from atr_model.optimisation.check import check_plan
from atr_model.optimisation.decomposition import decomposes, per_group_stats, solve_groups
from atr_model.optimisation.executor import GroupExecutor
from atr_model.optimisation.formulation import inertia_cost
from atr_model.optimisation.instance import MergerInstance
from atr_model.optimisation.measures import plan_measures
from atr_model.optimisation.prepare import prepare
from atr_model.optimisation.presolve import check_in_advance
from atr_model.optimisation.result import MergerResult
from atr_model.optimisation.search import solve_one
from atr_model.optimisation.settings import EngineSettings

# inertia_cost and plan_measures live in their stage modules; they stay importable from here
__all__ = ["MergerModel", "inertia_cost", "plan_measures"]


class MergerModel:
    """The exact merger model of one instance.

    Parameters
    ----------
    instance : MergerInstance
        Units, costs, adjacency, locks.
    settings : EngineSettings, optional
        Criteria and solver options (defaults: soft 5,000 floor, HiGHS, contiguity ``"auto"``).

    Attributes
    ----------
    result_ : MergerResult or None
        The last result of :meth:`solve`.

    Examples
    --------
    >>> import numpy as np
    >>> m = MergerModel.from_matrices([3000, 4000], np.array([[0, 1.0], [1.0, 0]]), [(0, 1)],
    ...                               population_floor=5000, floor_mode="hard")
    >>> m.solve().n_units
    1
    """

    def __init__(self, instance: MergerInstance, settings: EngineSettings | None = None) -> None:
        if not isinstance(instance, MergerInstance):
            raise CriteriaError("MergerModel needs a MergerInstance")
        self.instance = instance
        self.settings = settings or EngineSettings()
        self.result_: MergerResult | None = None

    @classmethod
    def from_matrices(cls, population: Sequence[float] | np.ndarray, cost: np.ndarray,
                      edges: Sequence[tuple[int, int]] | np.ndarray, **kwargs: Any) -> MergerModel:
        """Build from plain arrays; keyword arguments go to :class:`MergerInstance` or :class:`EngineSettings`.

        ``unit_codes`` defaults to ``"0" .. "n-1"``; ``settings=`` may pass a whole settings object.
        """
        inst_names = {f.name for f in fields(MergerInstance)}
        set_names = {f.name for f in fields(EngineSettings)}
        unknown = sorted(set(kwargs) - inst_names - set_names - {"settings"})
        if unknown:
            raise CriteriaError(f"from_matrices: unknown argument(s) {', '.join(unknown)}")
        inst_kw = {k: v for k, v in kwargs.items() if k in inst_names}
        inst_kw.setdefault("unit_codes", [str(i) for i in range(len(population))])
        instance = MergerInstance(population=population, cost=cost, adjacency=edges, **inst_kw)
        settings = kwargs.get("settings") or EngineSettings()
        set_kw = {k: v for k, v in kwargs.items() if k in set_names}
        if set_kw:
            settings = settings.replace(**set_kw)
        return cls(instance, settings)

    def solve(self, start: Sequence[int] | np.ndarray | None = None, *,
              executor: GroupExecutor | None = None) -> MergerResult:
        """Solve to optimality (or the time limit), verify the plan with :func:`check_plan`.

        Parameters
        ----------
        start : sequence of int, optional
            A plan to start from (warm start): the centre index of every unit, as in
            :attr:`MergerResult.assignment`, for example the plan of a nearby instance. Where it
            meets every hard constraint (per group when the instance is solved group by group) it
            is the search's first plan: the MIP start and the bound that fixing works against.
            Where it breaks one (a pair beyond the travel limit, a new unit that is not contiguous,
            a hard floor) it is dropped there, never handed to the solver; ``result.start`` counts
            both and ``result.notes`` gives the reasons. The optimum does not depend on it.
        executor : GroupExecutor, optional
            Runs the groups of a decomposed solve instead of the engine's process pool (largest
            first), for example a Dask cluster (:func:`atr_model.scenarios.dask_groups`) or
            :class:`~atr_model.optimisation.executor.FuturesGroups` over a ``concurrent.futures``
            executor. The result is the same; ignored when the instance is solved whole.

        Raises
        ------
        CriteriaError
            When ``start`` is not a plan of this instance (length, indices, a centre not its own centre).
        InfeasibleError
            When no plan satisfies the hard constraints (before the solver when knowable).
        SolverError
            When the solver's plan fails the independent checker (a bug).
        """
        inst, s = self.instance, self.settings
        t0 = time.perf_counter()
        start_plan = self._start_plan(start)
        # whole-instance checks first so messages name every conflict at once
        check_in_advance(prepare(inst, s.replace(fixing=False)))
        if decomposes(inst, s):
            result = solve_groups(inst, s, t0, start_plan, executor)
        else:
            result = solve_one(inst, s, start_plan)
            result.seconds = time.perf_counter() - t0
            result.per_group = per_group_stats(inst, result)
        self._note_unknown_indicator(result)
        if result.has_plan:
            self._verify(result)
        self.result_ = result
        return result

    def _start_plan(self, start: Sequence[int] | np.ndarray | None) -> np.ndarray | None:
        """``start`` as an index array, checked to be a plan of this instance."""
        if start is None:
            return None
        n = self.instance.n
        plan = np.asarray(start)
        if plan.shape != (n,) or not (np.issubdtype(plan.dtype, np.integer) or plan.size == 0):
            raise CriteriaError(f"MergerModel.solve: start must be {n} whole-number centre indices "
                                f"(one per unit); got shape {plan.shape}, dtype {plan.dtype}")
        plan = plan.astype(np.int64)
        outside = (plan < 0) | (plan >= n)
        if outside.any():
            bad = int(np.argmax(outside))
            raise CriteriaError(f"MergerModel.solve: start gives unit {self.instance.unit_codes[bad]} "
                                f"the centre index {int(plan[bad])}, outside 0..{n - 1}")
        not_own = np.flatnonzero(plan[plan] != plan)
        if not_own.size:
            i = int(not_own[0])
            raise CriteriaError(f"MergerModel.solve: start puts unit {self.instance.unit_codes[i]} under "
                                f"{self.instance.unit_codes[int(plan[i])]}, which is not its own centre")
        return plan

    def _note_unknown_indicator(self, result: MergerResult) -> None:
        """Name the units whose indicator is unknown (counted as 0) in the result's notes."""
        inst, s = self.instance, self.settings
        if s.indicator_floor is not None and inst.indicator is not None and np.isnan(inst.indicator).any():
            unknown = [inst.unit_codes[i] for i in np.flatnonzero(np.isnan(inst.indicator)).tolist()]
            result.notes.append(f"indicator unknown for {len(unknown)} unit(s), counted as 0: "
                                + ", ".join(unknown[:20]) + (" ..." if len(unknown) > 20 else ""))

    def _verify(self, result: MergerResult) -> None:
        """Raise :class:`SolverError` when the plan fails the independent checker (a bug)."""
        hard = [v for v in check_plan(self.instance, result.assignment, self.settings) if v.hard]
        if hard:
            raise SolverError("the solver's plan fails the independent check: "
                              + "; ".join(v.message for v in hard[:5]))
