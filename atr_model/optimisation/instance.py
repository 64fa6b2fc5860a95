"""Input: the matrix-level input of the merger engine: :class:`MergerInstance`.

The criteria layer turns a dataset, its travel model and a scenario's criteria into a
``MergerInstance``; researchers can build one directly from plain arrays (for example the
published county benchmarks). Nothing here knows about geometry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from atr_model.errors import CriteriaError

__all__ = ["MergerInstance"]


def _as_pairs(pairs: Sequence[tuple[int, int]] | np.ndarray, n: int, name: str) -> np.ndarray:
    arr = np.asarray(pairs, dtype=np.int64).reshape(-1, 2) if len(pairs) else np.zeros((0, 2), dtype=np.int64)
    if arr.size and (arr.min() < 0 or arr.max() >= n):
        raise CriteriaError(f"{name}: index out of range 0..{n - 1}")
    if arr.size and (arr[:, 0] == arr[:, 1]).any():
        i = int(arr[arr[:, 0] == arr[:, 1]][0, 0])
        raise CriteriaError(f"{name}: pair ({i}, {i}) joins a unit to itself")
    return arr


@dataclass(frozen=True, eq=False, init=False)
class MergerInstance:
    """Units, costs and adjacency of one merger problem (``n`` units).

    Every unit may become a centre (if ``centre_eligible``); assigning unit ``i`` to the new
    unit centred on ``j`` costs ``cost[i, j]``. A unit assigned to itself is a centre.

    Parameters
    ----------
    unit_codes : sequence of str
        Identifiers, length ``n``; position ``i`` is unit ``i`` everywhere below.
    population : array of float, shape (n,)
        Residents of each unit (non-negative, finite).
    cost : array of float, shape (n, n)
        Objective cost of serving unit ``i`` from centre ``j`` (for example the
        population-weighted travel time in person-minutes, or population x squared distance).
        ``inf`` forbids the pair. ``cost[j, j]`` is the cost of ``j`` as its own centre.
    adjacency : array of int, shape (m, 2)
        Undirected edges between units that may share a new unit (contiguity graph).
    travel_time_min : array of float, shape (n, n), optional
        Worst settlement travel time in minutes from unit ``i`` to centre ``j`` (``inf`` when
        unreachable). Used by the travel-time limit, the checker and explanations. Defaults to
        all zeros (no limit can bind).
    group : sequence of str, optional
        Nesting group (raion or oblast code). Units of different groups never merge.
        Defaults to one group for all.
    centre_eligible : array of bool, shape (n,), optional
        Which units may host a centre. Defaults to all.
    exempt : array of bool, shape (n,), optional
        Units exempt from the population floor (high-mountain, remote, border, manual).
    exempt_reason : sequence of str, optional
        Human-readable reason per unit ('' when not exempt).
    keep_separate : array of bool, shape (n,), optional
        Units locked to stay on their own.
    must_link : array of int, shape (p, 2), optional
        Pairs that must end in the same new unit.
    cannot_link : array of int, shape (q, 2), optional
        Pairs that must end in different new units.
    names : sequence of str, optional
        Display names for messages; defaults to ``unit_codes``.
    indicator : array of float, shape (n,), optional
        Economic-base value per unit (for ``EngineSettings.indicator_floor``). ``NaN`` means
        unknown: the engine counts it as 0 and reports it.
    """

    # The attributes after construction: optional inputs are filled in, sequences become tuples
    # and arrays are validated copies, so code reading an instance never meets a None.
    unit_codes: tuple[str, ...]
    population: np.ndarray
    cost: np.ndarray
    adjacency: np.ndarray
    travel_time_min: np.ndarray
    group: tuple[str, ...]
    centre_eligible: np.ndarray
    exempt: np.ndarray
    exempt_reason: tuple[str, ...]
    keep_separate: np.ndarray
    must_link: np.ndarray
    cannot_link: np.ndarray
    names: tuple[str, ...]
    indicator: np.ndarray | None

    def __init__(
        self,
        unit_codes: Sequence[str],
        population: Sequence[float] | np.ndarray,
        cost: np.ndarray,
        adjacency: Sequence[tuple[int, int]] | np.ndarray,
        travel_time_min: np.ndarray | None = None,
        group: Sequence[str] | None = None,
        centre_eligible: Sequence[bool] | np.ndarray | None = None,
        exempt: Sequence[bool] | np.ndarray | None = None,
        exempt_reason: Sequence[str] | None = None,
        keep_separate: Sequence[bool] | np.ndarray | None = None,
        must_link: Sequence[tuple[int, int]] | np.ndarray = (),
        cannot_link: Sequence[tuple[int, int]] | np.ndarray = (),
        names: Sequence[str] | None = None,
        indicator: Sequence[float] | np.ndarray | None = None,
    ) -> None:
        set_ = object.__setattr__
        codes = tuple(str(c) for c in unit_codes)
        n = len(codes)
        set_(self, "unit_codes", codes)
        if len(set(codes)) != n:
            raise CriteriaError("unit_codes must be unique")
        pop = np.asarray(population, dtype=float)
        if pop.shape != (n,):
            raise CriteriaError(f"population has shape {pop.shape}; expected ({n},)")
        if not np.isfinite(pop).all() or (pop < 0).any():
            i = int(np.flatnonzero(~np.isfinite(pop) | (pop < 0))[0])
            raise CriteriaError(f"unit {codes[i]!r}: population {pop[i]!r} is not a non-negative number")
        set_(self, "population", pop)
        cost_arr = np.asarray(cost, dtype=float)
        if cost_arr.shape != (n, n):
            raise CriteriaError(f"cost has shape {cost_arr.shape}; expected ({n}, {n})")
        if np.isnan(cost_arr).any():
            raise CriteriaError("cost contains NaN; use inf to forbid a pair")
        set_(self, "cost", cost_arr)
        ttm = np.zeros((n, n)) if travel_time_min is None else np.asarray(travel_time_min, dtype=float)
        if ttm.shape != (n, n):
            raise CriteriaError(f"travel_time_min has shape {ttm.shape}; expected ({n}, {n})")
        set_(self, "travel_time_min", ttm)
        set_(self, "adjacency", _as_pairs(adjacency, n, "adjacency"))
        set_(self, "must_link", _as_pairs(must_link, n, "must_link"))
        set_(self, "cannot_link", _as_pairs(cannot_link, n, "cannot_link"))
        set_(self, "group", tuple(["all"] * n if group is None else [str(g) for g in group]))
        flags = (("centre_eligible", centre_eligible, True), ("exempt", exempt, False),
                 ("keep_separate", keep_separate, False))
        for name, value, default in flags:
            arr = np.full(n, default, dtype=bool) if value is None else np.asarray(value, dtype=bool)
            if arr.shape != (n,):
                raise CriteriaError(f"{name} has shape {arr.shape}; expected ({n},)")
            set_(self, name, arr)
        set_(self, "exempt_reason", tuple([""] * n if exempt_reason is None else [str(r) for r in exempt_reason]))
        set_(self, "names", tuple(codes if names is None else [str(x) for x in names]))
        ind: np.ndarray | None = None
        if indicator is not None:
            ind = np.array(indicator, dtype=float)
            if ind.shape != (n,):
                raise CriteriaError(f"indicator has shape {ind.shape}; expected ({n},)")
            if np.isinf(ind).any():
                i = int(np.flatnonzero(np.isinf(ind))[0])
                raise CriteriaError(f"unit {codes[i]!r}: indicator is infinite")
        set_(self, "indicator", ind)
        for attr in ("group", "exempt_reason", "names"):
            if len(getattr(self, attr)) != n:
                raise CriteriaError(f"{attr} has length {len(getattr(self, attr))}; expected {n}")

    @property
    def n(self) -> int:
        """Number of units."""
        return len(self.unit_codes)

    def label(self, i: int) -> str:
        """Readable label of unit ``i`` for messages: ``name (code)``."""
        code, name = self.unit_codes[i], self.names[i]
        return code if name == code else f"{name} ({code})"

    def index(self, code: str) -> int:
        """Position of the unit with this code."""
        try:
            return self.unit_codes.index(code)
        except ValueError:
            raise CriteriaError(f"unknown unit code {code!r}") from None

    def subset(self, indices: Sequence[int] | np.ndarray) -> MergerInstance:
        """The instance restricted to some units (for example one raion), same order.

        Pairs with an end outside the subset are dropped.
        """
        idx = np.asarray(indices, dtype=np.int64)
        pos = {int(old): new for new, old in enumerate(idx)}

        def _pairs(arr: np.ndarray) -> np.ndarray:
            kept = [(pos[int(a)], pos[int(b)]) for a, b in arr if int(a) in pos and int(b) in pos]
            return np.asarray(kept, dtype=np.int64).reshape(-1, 2)

        return MergerInstance(
            unit_codes=[self.unit_codes[i] for i in idx],
            population=self.population[idx],
            cost=self.cost[np.ix_(idx, idx)],
            adjacency=_pairs(self.adjacency),
            travel_time_min=self.travel_time_min[np.ix_(idx, idx)],
            group=[self.group[i] for i in idx],
            centre_eligible=self.centre_eligible[idx],
            exempt=self.exempt[idx],
            exempt_reason=[self.exempt_reason[i] for i in idx],
            keep_separate=self.keep_separate[idx],
            must_link=_pairs(self.must_link),
            cannot_link=_pairs(self.cannot_link),
            names=[self.names[i] for i in idx],
            indicator=None if self.indicator is None else self.indicator[idx],
        )
