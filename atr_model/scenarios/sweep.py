"""Parameter sweeps: run one scenario over a grid of criteria values, in parallel.

``threshold=3000:8000:500`` expands to 3000, 3500, ..., 8000 (inclusive); several ``--param``
options form a cartesian grid, enumerated in the order given (first parameter slowest). Points
run in a :class:`concurrent.futures.ProcessPoolExecutor` by default, or on a dask.distributed
cluster when a scheduler address is given (dask is an optional extra, imported only then; the
scheduler and workers must be able to import ``atr_model``). The summary table is sorted by
grid position and holds no timing, so the same sweep gives the same table twice; run times go
to a separate ``timings`` frame.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import as_completed
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from atr_model._lifetime import worker_pool
from atr_model.data import Dataset
from atr_model.errors import ATRError, ScenarioError
from atr_model.network import TravelModel
from atr_model.scenarios._dask import connect, gather_in_order
from atr_model.scenarios.extra_kpis import savings_for_level
from atr_model.scenarios.inputs import resolve_dataset, resolve_travel_model
from atr_model.scenarios.limits import check_sweep_points
from atr_model.scenarios.run import ScenarioResult, run_scenario
from atr_model.scenarios.scenario import Scenario, apply_overrides

__all__ = [
    "PARAM_ALIASES",
    "SweepResult",
    "parse_param",
    "sweep_grid",
    "grid_size",
    "pareto_front",
    "run_sweep",
    "run_point",
]

logger = logging.getLogger(__name__)

#: Short parameter names accepted on the command line, and the scenario key each one sets.
PARAM_ALIASES: dict[str, str] = {
    "threshold": "criteria.population_floor",
    "floor": "criteria.population_floor",
    "population_floor": "criteria.population_floor",
    "tmax": "criteria.max_travel_time_min",
    "max_travel_time_min": "criteria.max_travel_time_min",
    "cap": "criteria.population_cap",
    "admin_cost": "criteria.admin_cost_per_unit",
    "nesting": "criteria.nesting",
    "objective": "criteria.objective",
    "exempt_mode": "criteria.exemptions.mode",
    "high_mountain_m": "criteria.exemptions.high_mountain_m",
    "remote_min": "criteria.exemptions.remote_travel_time_min",
    "border_km": "criteria.exemptions.border_km",
}

#: Columns of the summary table after the parameter columns.
SUMMARY_COLUMNS = (
    "status",
    "proven_optimal",
    "units_before",
    "units_after",
    "below_floor_before_non_exempt",
    "below_floor_after_non_exempt",
    "worst_travel_min_in_merged_units",
    "population_weighted_mean_travel_min",
    "worst_travel_min",
    "new_unit_population_min",
    "new_unit_population_median",
    "exempt_units",
    "annual_saving_som_estimate",
    "error",
)


def _number(text: str) -> float | int:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value


def _scalar(text: str) -> Any:
    low = text.strip().lower()
    if low in ("null", "none", "off"):
        return None
    if low in ("true", "false"):
        return low == "true"
    try:
        return _number(text.strip())
    except ValueError:
        return text.strip()


def parse_param(text: str, max_points: int | None = None) -> tuple[str, list[Any]]:
    """Parse one ``--param`` value.

    Parameters
    ----------
    text : str
        ``name=start:stop:step`` (inclusive numeric range), ``name=a,b,c`` (list) or
        ``name=value``. ``name`` is an alias from :data:`PARAM_ALIASES` or a dotted scenario key
        (``criteria.exemptions.border_km``). ``null`` switches a setting off.
    max_points : int, optional
        Most values the parameter may take (default: the sweep-point limit of
        :func:`~atr_model.scenarios.limits.limits`); checked before any value is made.

    Returns
    -------
    (str, list)
        The dotted scenario key and its values in order.

    Raises
    ------
    ScenarioError
        On a malformed range (missing parts, step <= 0, start > stop), an empty name, or more
        values than ``max_points``.
    """
    if "=" not in text:
        raise ScenarioError(f"--param {text!r}: expected NAME=START:STOP:STEP or NAME=A,B,C")
    name, spec = (part.strip() for part in text.split("=", 1))
    if not name or not spec:
        raise ScenarioError(f"--param {text!r}: name and values are required")
    key = PARAM_ALIASES.get(name, name)
    if ":" in spec:
        parts = spec.split(":")
        if len(parts) != 3:
            raise ScenarioError(f"--param {text!r}: a range needs START:STOP:STEP")
        try:
            start, stop, step = (float(p) for p in parts)
        except ValueError:
            raise ScenarioError(f"--param {text!r}: range bounds must be numbers") from None
        if step <= 0 or start > stop:
            raise ScenarioError(f"--param {text!r}: need step > 0 and start <= stop")
        if not all(math.isfinite(v) for v in (start, stop, step)):
            raise ScenarioError(f"--param {text!r}: range bounds must be finite numbers")
        count = int(math.floor((stop - start) / step + 1e-9)) + 1
        check_sweep_points(count, max_points)  # before the values exist: a billion never gets built
        values = [start + k * step for k in range(count)]
        as_int = all(float(p).is_integer() for p in (start, step))
        return key, [int(round(v)) if as_int else round(v, 10) for v in values]
    items = spec.split(",")
    check_sweep_points(len(items), max_points)
    return key, [_scalar(v) for v in items]


def grid_size(params: Mapping[str, Sequence[Any]] | Sequence[tuple[str, Sequence[Any]]]) -> int:
    """Number of points of the grid of ``params`` (the product of their value counts), without
    building it."""
    items = list(params.items()) if isinstance(params, Mapping) else list(params)
    return math.prod(len(v) for _, v in items)


def sweep_grid(params: Mapping[str, Sequence[Any]] | Sequence[tuple[str, Sequence[Any]]]) -> list[dict[str, Any]]:
    """Cartesian product of parameter values, first parameter varying slowest.

    Parameters
    ----------
    params : mapping or sequence of (key, values)
        Dotted scenario keys and their values.

    Returns
    -------
    list of dict
        One ``{key: value}`` per grid point, in a fixed order.
    """
    items = list(params.items()) if isinstance(params, Mapping) else list(params)
    keys = [k for k, _ in items]
    if len(set(keys)) != len(keys):
        raise ScenarioError(f"sweep parameters repeat a key: {', '.join(keys)}")
    return [dict(zip(keys, combo)) for combo in itertools.product(*(list(v) for _, v in items))]


# --------------------------------------------------------------------------- one point


def run_point(scenario: Scenario, overrides: Mapping[str, Any], data: str | None = None, point: int = 0) -> dict[str, Any]:
    """Run one grid point and return its summary row (the function workers execute).

    Parameters
    ----------
    scenario : Scenario
        The base scenario.
    overrides : mapping
        Dotted key -> value for this point.
    data : str, optional
        Dataset override ('demo', 'kyrgyz' or a path).
    point : int, default 0
        Grid position (names the point's run ``<name>-p<point>``).

    Returns
    -------
    dict
        Parameter values, KPIs and ``seconds``; ``error`` holds the one-line message when the
        point fails with an atr-model error (for example an infeasible combination).
    """

    row: dict[str, Any] = dict(overrides)
    started = time.perf_counter()
    try:
        scen = _point_scenario(scenario, overrides, data, point)
        dataset, travel = _inputs(scen)
        result = _run(scen, dataset, travel)
        kpis = dict(result.kpis)
        solver = kpis.get("solver") or {}
        pops = kpis.get("new_unit_population") or {}
        row.update(
            status=solver.get("status", ""),
            proven_optimal=bool(solver.get("proven_optimal", False)),
            units_before=kpis.get("units_before"),
            units_after=kpis.get("units_after"),
            below_floor_before_non_exempt=kpis.get("below_floor_before_non_exempt"),
            below_floor_after_non_exempt=kpis.get("below_floor_after_non_exempt"),
            worst_travel_min_in_merged_units=kpis.get("worst_travel_min_in_merged_units"),
            population_weighted_mean_travel_min=kpis.get("population_weighted_mean_travel_min"),
            worst_travel_min=kpis.get("worst_travel_min"),
            new_unit_population_min=pops.get("min"),
            new_unit_population_median=pops.get("median"),
            exempt_units=kpis.get("exempt_units"),
            annual_saving_som_estimate=(kpis.get("admin_savings") or savings_for_level(result.assignments, scen.level))[
                "annual_saving_som"
            ],
            error="",
        )
    except ATRError as exc:
        row.update(status="error", error=str(exc))
    row["seconds"] = round(time.perf_counter() - started, 3)
    return row


def _point_scenario(scenario: Scenario, overrides: Mapping[str, Any], data: str | None, point: int) -> Scenario:
    return apply_overrides(scenario, **dict(overrides), dataset=data, name=f"{scenario.name}-p{point:03d}")


#: Per-process cache of (dataset, travel model) keyed by the inputs that define them.
_INPUT_CACHE: dict[tuple[Any, ...], tuple[Dataset, TravelModel]] = {}


def _inputs(scenario: Scenario) -> tuple[Dataset, TravelModel]:
    """Dataset and travel model, built once per worker process and reused by its points."""
    key = (scenario.dataset, scenario.roads, scenario.elevation, scenario.travel, str(scenario.source_path), scenario.level)
    if key not in _INPUT_CACHE:
        _INPUT_CACHE.clear()
        _INPUT_CACHE[key] = _prepare(scenario)
    return _INPUT_CACHE[key]


def _prepare(scenario: Scenario) -> tuple[Dataset, TravelModel]:
    dataset = resolve_dataset(scenario)
    return dataset, resolve_travel_model(scenario, dataset)


def _run(scenario: Scenario, dataset: Dataset, travel: TravelModel) -> ScenarioResult:
    return run_scenario(scenario, dataset=dataset, travel_model=travel)


# --------------------------------------------------------------------------- the sweep


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per grid point in grid order: ``point``, the parameter columns (short names),
        the KPI columns of :data:`SUMMARY_COLUMNS` and ``pareto`` (on the front of new units
        vs population-weighted travel time). Deterministic: no timing.
    timings : pandas.DataFrame
        ``point, seconds`` (run time of each point; varies between runs).
    parameters : tuple of str
        Dotted scenario keys swept.
    """

    table: pd.DataFrame
    timings: pd.DataFrame
    parameters: tuple[str, ...]


def pareto_front(x: Sequence[float], y: Sequence[float]) -> np.ndarray:
    """Points not dominated when both ``x`` and ``y`` are to be minimised.

    Parameters
    ----------
    x, y : sequences of float
        For example new units and population-weighted mean travel time. NaN never dominates
        and is never on the front.

    Returns
    -------
    numpy.ndarray of bool
    """
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(xs) & np.isfinite(ys)
    front = np.zeros(len(xs), dtype=bool)
    for i in np.flatnonzero(ok):
        dominated = ok & (xs <= xs[i]) & (ys <= ys[i]) & ((xs < xs[i]) | (ys < ys[i]))
        front[i] = not dominated.any()
    return front


def _short(key: str, keys: Sequence[str]) -> str:
    leaf = key.rsplit(".", maxsplit=1)[-1]
    return leaf if sum(k.split(".")[-1] == leaf for k in keys) == 1 else key


def run_sweep(
    scenario: Scenario,
    params: Mapping[str, Sequence[Any]] | Sequence[tuple[str, Sequence[Any]]],
    *,
    data: str | None = None,
    workers: int = 1,
    scheduler_address: str | None = None,
    progress: Callable[[int, int], object] | None = None,
    max_points: int | None = None,
) -> SweepResult:
    """Run a scenario over a parameter grid.

    Parameters
    ----------
    scenario : Scenario
        The base scenario (:class:`atr_model.scenarios.Scenario`).
    params : mapping or sequence of (key, values)
        Dotted scenario keys (see :func:`parse_param`) and values.
    data : str, optional
        Dataset override for every point.
    workers : int, default 1
        Worker processes (1 runs in this process, in order).
    scheduler_address : str, optional
        ``tcp://host:port`` of a dask.distributed scheduler; needs the ``dask`` extra.
    progress : callable, optional
        Called as ``progress(done, total)`` after each finished point.
    max_points : int, optional
        Most grid points (default: the limit of :func:`~atr_model.scenarios.limits.limits`).

    Returns
    -------
    SweepResult

    Raises
    ------
    ScenarioError
        On an empty grid, a grid over ``max_points``, or a bad parameter; a point that fails with an atr-model error is
        recorded in its row instead (column ``error``).
    """
    base = scenario
    check_sweep_points(grid_size(params), max_points)  # before the grid is built
    grid = sweep_grid(params)
    if not grid:
        raise ScenarioError("the sweep grid is empty")
    # fail early on a key or value the scenario does not accept (before starting workers)
    for k, point in enumerate(grid):
        _point_scenario(base, point, data, k)
    total = len(grid)
    rows: list[dict[str, Any] | None] = [None] * total
    if scheduler_address:
        rows = _run_dask(base, grid, data, scheduler_address, progress)
    elif workers <= 1:
        for k, point in enumerate(grid):
            rows[k] = run_point(base, point, data, k)
            if progress:
                progress(k + 1, total)
    else:
        with worker_pool(workers) as pool:  # its workers end with this process, even a killed one
            futures = {pool.submit(run_point, base, point, data, k): k for k, point in enumerate(grid)}
            for done, future in enumerate(as_completed(futures), start=1):
                rows[futures[future]] = future.result()
                if progress:
                    progress(done, total)
    keys = list(grid[0])
    table = pd.DataFrame([r for r in rows if r is not None])
    table.insert(0, "point", range(total))
    timings = table[["point", "seconds"]].copy()
    table = table.drop(columns=["seconds"])
    for col in SUMMARY_COLUMNS:
        if col not in table:
            table[col] = None
    table = table[["point", *keys, *SUMMARY_COLUMNS]]
    table["pareto"] = pareto_front(
        pd.to_numeric(table["units_after"], errors="coerce"),
        pd.to_numeric(table["population_weighted_mean_travel_min"], errors="coerce"),
    )
    table = table.rename(columns={k: _short(k, keys) for k in keys})
    return SweepResult(table=table.reset_index(drop=True), timings=timings, parameters=tuple(keys))


def _run_dask(
    base: Scenario,
    grid: list[dict[str, Any]],
    data: str | None,
    address: str,
    progress: Callable[[int, int], object] | None,
) -> list[dict[str, Any] | None]:
    with connect(address, "sweep") as client:
        futures = [client.submit(run_point, base, point, data, k, pure=False) for k, point in enumerate(grid)]
        return gather_in_order(client, futures, progress)
