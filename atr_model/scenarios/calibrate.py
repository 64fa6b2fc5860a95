"""Calibrate a scenario to a reference plan: which criteria, applied consistently, reproduce it.

The user marks some scenario parameters free, each with a list or range of values (the sweep's
syntax: ``population_floor=3000:15000:1000``, ``objective=travel,admin_cost``; see
:func:`atr_model.scenarios.sweep.parse_param`). Every point of their grid is solved exactly by
the same engine (:func:`~atr_model.scenarios.run.run_scenario`) on the raions the reference
covers fully, and scored by its agreement with the reference: the mean adjusted Rand index over
those raions, each raion counting once (:mod:`atr_model.scenarios.agreement`).

Reported: the best parameters and their agreement (in-sample), and leave-one-raion-out, the
honest figure: for each covered raion, the parameters that score best on the *other* raions,
and the agreement they reach on the held-out one. Also, per raion, the best agreement any grid
point reaches: a raion that no tested parameter set reproduces is where the reference departs
from the criteria searched.

Only the fully covered raions are solved (:func:`atr_model.data.subset_dataset`). With raion
nesting each raion's plan does not depend on the others, so this is the same plan the whole
country's run gives there; a scenario that couples raions (a national unit count, oblast
nesting) is solved on those raions alone, which the report says.

Points run in a :class:`concurrent.futures.ProcessPoolExecutor` like the sweep's (each worker
receives the territory and the travel model once, at start-up).
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, cast

import pandas as pd

from atr_model._atomic import atomic_directory
from atr_model.data import Dataset, subset_dataset
from atr_model.errors import ATRError, ScenarioError
from atr_model.network import TravelModel
from atr_model.scenarios.agreement import Reference, agreement, reference_from_table
from atr_model.scenarios.inputs import resolve_dataset, resolve_travel_model
from atr_model.scenarios.limits import check_calibration_points
from atr_model.scenarios.run import run_scenario
from atr_model.scenarios.scenario import Scenario, apply_overrides, dump_scenario
from atr_model.scenarios.sweep import grid_size, sweep_grid

__all__ = [
    "Calibration",
    "calibrate",
    "calibrated_yaml",
    "covered_raions",
    "summary",
    "write_calibration",
]

logger = logging.getLogger(__name__)

#: Scenario keys that change the inputs rather than the criteria: not searchable.
_NOT_FREE = ("name", "dataset", "roads", "elevation", "level")


@dataclass(frozen=True)
class Calibration:
    """A finished calibration.

    Attributes
    ----------
    base : Scenario
        The scenario searched.
    scenario : Scenario
        The calibrated scenario: ``base`` with the best parameters.
    free : tuple of (str, tuple)
        The free parameters (dotted keys) and their grid values, in the order given.
    table : pandas.DataFrame
        One row per grid point in grid order: ``point``, the parameters (dotted keys),
        ``score`` (mean ARI over the raions), ``ari`` (over all their units), ``precision``,
        ``recall``, ``units_after``, ``ari_<raion>`` per raion, ``error`` (empty when solved).
    best_point : int
        The best point (the middle one in grid order among equal scores: :func:`_middle`).
    tied_points : tuple of int
        Every point with the best score (parameters that give the same agreement).
    held_out : pandas.DataFrame
        Leave-one-raion-out: ``raion_code``, ``point`` and the parameters chosen on the other
        raions, ``trained_score`` (their mean ARI there), ``held_out_ari`` (the honest figure)
        and ``best_reachable_ari`` (the best ARI any point reaches on this raion). Empty when
        the reference covers one raion only.
    raions : tuple of str
        The fully covered raions solved and scored.
    reference : str
        The reference's file.
    digest : str
        The reference's SHA-256.
    seconds : float
        Wall time.
    """

    base: Scenario
    scenario: Scenario
    free: tuple[tuple[str, tuple[Any, ...]], ...]
    table: pd.DataFrame
    best_point: int
    tied_points: tuple[int, ...]
    held_out: pd.DataFrame
    raions: tuple[str, ...]
    reference: str
    digest: str
    seconds: float

    @property
    def best(self) -> dict[str, Any]:
        """The best parameters (dotted key -> value)."""
        row = self.table.iloc[self.best_point]
        return {key: _native(row[key]) for key, _ in self.free}

    @property
    def best_score(self) -> float:
        """The mean ARI the best parameters reach over the raions (in-sample)."""
        return float(self.table.iloc[self.best_point]["score"])

    @property
    def held_out_mean(self) -> float | None:
        """Mean leave-one-raion-out ARI (None without held-out raions)."""
        return float(self.held_out["held_out_ari"].mean()) if len(self.held_out) else None


def _native(value: Any) -> Any:
    """A plain Python value (pandas hands numpy scalars back)."""
    return value.item() if hasattr(value, "item") else value


# --------------------------------------------------------------------------- one point (in a worker)

#: The territory, travel model and reference of this process (set once per worker).
_STATE: dict[str, Any] = {}


def _init(dataset: Dataset, travel: TravelModel, reference: Reference) -> None:
    _STATE.update(dataset=dataset, travel=travel, reference=reference)


def _score_point(base: Scenario, overrides: Mapping[str, Any], point: int, raions: Sequence[str]) -> dict[str, Any]:
    """Solve one grid point and score its plan against the reference (the function workers run)."""
    row: dict[str, Any] = {"point": point, **overrides}
    started = time.perf_counter()
    try:
        scenario = apply_overrides(base, **dict(overrides), name=f"{base.name}-c{point:03d}")
        result = run_scenario(scenario, dataset=_STATE["dataset"], travel_model=_STATE["travel"])
        found = agreement(result.assignments, _STATE["reference"], where=scenario.name)
        o = found.overall
        row.update(score=o["mean_raion_ari"], ari=o["ari"], precision=o["precision"], recall=o["recall"],
                   units_after=result.kpis.get("units_after"), error="")
        per = found.raion_ari()
        row.update({f"ari_{r}": per.get(r, math.nan) for r in raions})
    except ATRError as exc:
        row.update(score=math.nan, error=str(exc))
    row["seconds"] = round(time.perf_counter() - started, 3)
    return row


# --------------------------------------------------------------------------- the search


def _check_free(free: Sequence[tuple[str, Sequence[Any]]], max_points: int | None = None) -> list[dict[str, Any]]:
    for key, _ in free:
        if key.split(".")[0] in _NOT_FREE:
            raise ScenarioError(f"calibrate: {key!r} changes the inputs, not the criteria; it cannot be free")
    if not free:
        raise ScenarioError("calibrate: no free parameter given (e.g. --free population_floor=3000:15000:1000)")
    # the size is checked before the grid is built: a huge product never exists
    check_calibration_points(grid_size(free), max_points)
    grid = sweep_grid(free)
    if not grid:
        raise ScenarioError("calibrate: no free parameter given (e.g. --free population_floor=3000:15000:1000)")
    return grid


def _territory_plan(dataset: Dataset) -> pd.DataFrame:
    """Every unit of the territory as its own unit (only its codes, raions and levels are used)."""
    units = dataset.units
    name_col = "name_en" if "name_en" in units else "unit_code"
    return cast("pd.DataFrame", pd.DataFrame({
        "unit_code": units["unit_code"].astype(str), "new_unit_id": units["unit_code"].astype(str),
        "raion_code": units["raion_code"].astype(str), "level": units["level"].astype(str),
        "unit_name": units[name_col].astype(str),
    }))


def covered_raions(dataset: Dataset, reference: Reference) -> list[str]:
    """The raions of ``dataset`` the reference covers fully.

    Raises
    ------
    DataError
        On unknown unit codes (all named) or when no raion is covered fully.
    """
    found = agreement(_territory_plan(dataset), reference, where=f"dataset {dataset.name!r}")
    return [str(r) for r in found.overall["raions_full"]]  # type: ignore[union-attr]


def _restrict(reference: Reference, units: set[str]) -> Reference:
    kept = reference.groups[reference.groups["unit_code"].isin(units)]
    return reference_from_table(kept, where=reference.where, digest=reference.digest)


def calibrate(
    scenario: Scenario,
    reference: Reference,
    free: Sequence[tuple[str, Sequence[Any]]],
    *,
    dataset: Dataset | None = None,
    workers: int = 1,
    progress: Callable[[int, int], object] | None = None,
    max_points: int | None = None,
) -> Calibration:
    """Search the free parameters of a scenario for the best agreement with a reference plan.

    Parameters
    ----------
    scenario : Scenario
        The scenario whose parameters are searched (the others stay as they are).
    reference : Reference
        The reference plan (:func:`atr_model.scenarios.agreement.read_reference`).
    free : sequence of (str, values)
        Dotted scenario keys and their values (:func:`atr_model.scenarios.sweep.parse_param`).
    dataset : Dataset, optional
        The territory; by default the scenario's.
    workers : int, default 1
        Worker processes (1 solves in this process, in grid order).
    progress : callable, optional
        ``progress(done, total)`` after each solved point.
    max_points : int, optional
        Most grid points (default: :func:`atr_model.scenarios.limits.limits`).

    Returns
    -------
    Calibration

    Raises
    ------
    ScenarioError
        On no free parameter, an input key marked free, a too large grid, a value the scenario
        does not accept, or when no grid point gives a plan (naming the first error).
    DataError
        When the reference names unknown units or covers no raion fully.
    """
    started = time.perf_counter()
    grid = _check_free(free, max_points)
    for k, point in enumerate(grid):  # a bad value fails here, before any solve
        apply_overrides(scenario, **point, name=f"{scenario.name}-c{k:03d}")
    whole = dataset if dataset is not None else resolve_dataset(scenario)
    raions = covered_raions(whole, reference)
    territory = subset_dataset(whole, raions)
    travel = resolve_travel_model(scenario, territory)
    ref = _restrict(reference, set(territory.units["unit_code"].astype(str)))
    logger.info("calibrating %s on %d raion(s), %d grid point(s)", scenario.name, len(raions), len(grid))
    rows = _solve_grid(scenario, grid, raions, territory, travel, ref, workers, progress)
    table = pd.DataFrame(rows).sort_values("point").reset_index(drop=True)
    keys = [k for k, _ in free]
    table = table[["point", *keys, "score", *[c for c in table.columns if c not in ("point", "score", *keys)]]]
    solved = table[table["score"].notna()]
    if solved.empty:
        raise ScenarioError(f"calibrate: no grid point gave a plan; the first error: {table['error'].iloc[0]}")
    best_score = solved["score"].max()
    tied = tuple(int(p) for p in solved.loc[solved["score"] >= best_score - 1e-12, "point"])
    best = _middle(tied)
    chosen = {key: _native(table.iloc[best][key]) for key in keys}
    calibrated = apply_overrides(scenario, **chosen, name=f"{scenario.name}-calibrated")
    return Calibration(
        base=scenario, scenario=calibrated, free=tuple((k, tuple(v)) for k, v in free), table=table,
        best_point=best, tied_points=tied, held_out=_leave_one_out(solved, raions, keys), raions=tuple(raions),
        reference=reference.where, digest=reference.digest, seconds=round(time.perf_counter() - started, 2),
    )


def _solve_grid(
    base: Scenario, grid: list[dict[str, Any]], raions: list[str], territory: Dataset, travel: TravelModel,
    reference: Reference, workers: int, progress: Callable[[int, int], object] | None,
) -> list[dict[str, Any]]:
    total = len(grid)
    if workers <= 1:
        _init(territory, travel, reference)
        rows = []
        for k, point in enumerate(grid):
            rows.append(_score_point(base, point, k, raions))
            if progress:
                progress(k + 1, total)
        return rows
    out: list[dict[str, Any]] = []
    with ProcessPoolExecutor(max_workers=workers, initializer=_init, initargs=(territory, travel, reference)) as pool:
        futures = [pool.submit(_score_point, base, point, k, raions) for k, point in enumerate(grid)]
        for done, future in enumerate(as_completed(futures), start=1):
            out.append(future.result())
            if progress:
                progress(done, total)
    return out


def _middle(points: Sequence[int]) -> int:
    """The middle of equally good grid points (the lower of the two middles for an even count).

    Points that score the same are what the reference cannot tell apart; on a one-parameter
    grid they are usually a run of neighbouring values, and its centre is the estimate least
    tied to the grid's ends (the first one would lean towards the grid's start).
    """
    return points[(len(points) - 1) // 2]


def _leave_one_out(solved: pd.DataFrame, raions: Sequence[str], keys: Sequence[str]) -> pd.DataFrame:
    """For each raion: the best point on the other raions and its ARI on this one."""
    columns = ["raion_code", "point", *keys, "trained_score", "trained_ties", "held_out_ari", "best_reachable_ari"]
    if len(raions) < 2:
        return cast("pd.DataFrame", pd.DataFrame(columns=columns))
    rows = []
    for raion in raions:
        others = [f"ari_{r}" for r in raions if r != raion]
        trained = solved[others].mean(axis=1)
        values = trained.to_numpy()
        ties = [k for k, v in enumerate(values) if v >= values.max() - 1e-12]
        pick = ties[(len(ties) - 1) // 2]  # the middle of the equals, as for the best point
        chosen = solved.iloc[pick]
        rows.append({"raion_code": raion, "point": int(chosen["point"]), **{k: _native(chosen[k]) for k in keys},
                     "trained_score": float(values[pick]), "trained_ties": int((values >= values[pick] - 1e-12).sum()),
                     "held_out_ari": float(chosen[f"ari_{raion}"]),
                     "best_reachable_ari": float(solved[f"ari_{raion}"].max())})
    return cast("pd.DataFrame", pd.DataFrame(rows, columns=columns))


# --------------------------------------------------------------------------- output


def _grid_text(values: Sequence[Any]) -> str:
    return ", ".join("null" if v is None else str(v) for v in values)


def calibrated_yaml(result: Calibration) -> str:
    """The calibrated scenario as YAML, with a comment header saying what it was fitted to."""
    held = result.held_out_mean
    lines = [
        f"# {result.scenario.name}: {result.base.name} calibrated to a reference plan (atr-model calibrate)",
        f"# reference: {Path(result.reference).name} (sha256 {result.digest})",
        f"# raions scored (fully covered by the reference): {', '.join(result.raions)}",
        "# free parameters and grid searched:",
        *(f"#   {key}: {_grid_text(values)}" for key, values in result.free),
        "# best: " + ", ".join(f"{k} = {v}" for k, v in result.best.items())
        + f" (grid point {result.best_point}; {len(result.tied_points)} point(s) score the same)",
        f"# in-sample agreement: mean adjusted Rand index {result.best_score:.3f} over {len(result.raions)} raion(s)",
        "# leave-one-raion-out agreement (parameters fitted on the other raions): "
        + ("n/a (one raion)" if held is None else f"mean adjusted Rand index {held:.3f}"),
        f"# written {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
    ]
    return "\n".join(lines) + "\n" + dump_scenario(result.scenario)


def summary(result: Calibration) -> dict[str, Any]:
    """The calibration's figures as plain data (``calibration.json``)."""
    return {
        "scenario": result.base.name,
        "calibrated": result.scenario.name,
        "reference": result.reference,
        "reference_sha256": result.digest,
        "raions": list(result.raions),
        "free": {k: list(v) for k, v in result.free},
        "best": result.best,
        "best_point": result.best_point,
        "tied_points": list(result.tied_points),
        "in_sample_mean_raion_ari": round(result.best_score, 6),
        "held_out_mean_raion_ari": None if result.held_out_mean is None else round(result.held_out_mean, 6),
        "held_out": result.held_out.to_dict(orient="records"),
        "points": len(result.table),
        "points_failed": int(result.table["score"].isna().sum()),
        "seconds": result.seconds,
    }


def write_calibration(result: Calibration, target: str | Path, *, force: bool = False,
                      extra: Callable[[Path], object] | None = None) -> Path:
    """Write the calibration folder atomically: ``<name>.yaml`` (the calibrated scenario with its
    header), ``calibration.json``, ``grid.csv`` (every point) and ``held_out.csv``, as a
    ``calibration`` output (``force``: replace whatever ``target`` holds; ``extra``: called with
    the staging folder to add files).

    Returns
    -------
    pathlib.Path
        The calibrated scenario file inside the folder.
    """
    final = Path(target)
    with atomic_directory(final, kind="calibration", force=force) as staging:
        (staging / f"{result.scenario.name}.yaml").write_text(calibrated_yaml(result), encoding="utf-8")
        (staging / "calibration.json").write_text(
            json.dumps(summary(result), indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
        result.table.drop(columns=["seconds"], errors="ignore").to_csv(staging / "grid.csv", index=False)
        result.held_out.to_csv(staging / "held_out.csv", index=False)
        if extra is not None:  # the CLI's report.html (presentation, which this layer does not import)
            extra(staging)
    return final / f"{result.scenario.name}.yaml"
