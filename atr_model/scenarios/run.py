"""Run a scenario end to end: inputs, instance, exact solve, independent check, explanations,
passports and KPIs."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd

from atr_model.data import CRS, Dataset
from atr_model.errors import InfeasibleError, SolverError
from atr_model.network import TravelModel
from atr_model.optimisation import (
    EngineSettings,
    GroupExecutor,
    MergerModel,
    MergerResult,
    Violation,
    check_plan,
    explain_units,
)
from atr_model.scenarios.cluster_groups import dask_groups
from atr_model.scenarios.inputs import resolve_dataset, resolve_travel_model
from atr_model.scenarios.instance_builder import InstanceBundle, build_instance, merge_estimate_notes
from atr_model.scenarios.instance_cache import cached_instance
from atr_model.scenarios.kpis import compute_kpis, provenance
from atr_model.scenarios.naming import new_unit_display_names
from atr_model.scenarios.scenario import Scenario
from atr_model.scenarios.solver_settings import engine_settings
from atr_model.scenarios.territory_notes import territory_notes

__all__ = ["ScenarioResult", "package_plan", "run_scenario", "STATUSES"]

logger = logging.getLogger(__name__)

#: Allowed values of ``assignments.status``.
STATUSES = ("kept", "kept_exempt", "centre", "merged", "below_floor_no_partner")

ASSIGNMENT_COLUMNS = [
    "unit_code", "unit_name", "raion_code", "new_unit_id", "centre_code", "status", "reason",
    "population", "population_is_estimate", "exempt", "exempt_reason", "travel_time_to_centre_min",
    "travel_time_is_modelled", "level", "oblast_code", "exempt_rules", "unit_name_ky", "unit_name_ru",
    "unit_name_transliterated",
    # the reason's message code and parameters (JSON), for the interface's languages; after the
    # package's documented leading columns, which older packages share
    "reason_code", "reason_params",
]
SETTLEMENT_COLUMNS = [
    "settlement_code", "settlement_name", "unit_code", "new_unit_id", "centre_code", "population",
    "population_is_estimate", "travel_time_to_centre_min", "is_located",
]


@dataclass(frozen=True, eq=False)
class ScenarioResult:
    """Everything one run produced (the result package is written from it).

    Attributes
    ----------
    scenario : Scenario
        The resolved scenario as run.
    dataset : Dataset
        The territory used.
    travel_model : TravelModel
        The travel model used.
    bundle : InstanceBundle
        Engine input and unit tables.
    settings : EngineSettings
        Engine settings used.
    engine_result : MergerResult
        The solver's answer.
    assignments, settlements, explanations : pandas.DataFrame
        Tables of the result package (see ``result-package`` format).
    new_units : geopandas.GeoDataFrame
        One row per new unit with its passport.
    kpis, provenance : dict
        ``kpis.json`` and ``provenance.json``.
    territory_notes : dict or None
        ``territory_notes.json``: raion land held by no unit and new units drawn in several
        pieces (:func:`~atr_model.scenarios.territory_notes.territory_notes`); None when the
        dataset's build recorded no raion pieces (the demo).
    """

    scenario: Scenario
    dataset: Dataset
    travel_model: TravelModel
    bundle: InstanceBundle
    settings: EngineSettings
    engine_result: MergerResult
    assignments: pd.DataFrame
    new_units: gpd.GeoDataFrame
    settlements: pd.DataFrame
    explanations: pd.DataFrame
    kpis: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    territory_notes: dict[str, Any] | None = None


def _new_unit_ids(bundle: InstanceBundle, assignment: np.ndarray) -> dict[int, str]:
    """Readable, stable ids: '<raion>-N<k>' (oblast at raion level), k ordered by centre code."""
    units = bundle.units
    key = "oblast_code" if bundle.level == "raion" else "raion_code"
    centres = sorted({int(c) for c in assignment}, key=lambda c: (str(units.at[c, key]), units.at[c, "unit_code"]))
    ids: dict[int, str] = {}
    counters: dict[str, int] = {}
    for c in centres:
        prefix = str(units.at[c, key])
        counters[prefix] = counters.get(prefix, 0) + 1
        ids[c] = f"{prefix}-N{counters[prefix]:02d}"
    return ids


def _add_barrier_notes(rows: list[dict[str, Any]], bundle: InstanceBundle) -> None:
    """Name the neighbours a unit below the floor is cut off from by a landscape barrier.

    The sentence is the reason's part ``barrier`` (parameter ``barrier_units``: the codes).
    """
    if not bundle.barrier_pairs:
        return
    label = bundle.instance.label
    index = {code: i for i, code in enumerate(bundle.instance.unit_codes)}
    across: dict[str, list[str]] = {}
    for a, b in bundle.barrier_pairs:
        across.setdefault(a, []).append(b)
        across.setdefault(b, []).append(a)
    for row in rows:
        code = row["unit_code"]
        if row["status"] != "below_floor_no_partner" or code not in across:
            continue
        others = sorted(across[code])
        text = ", ".join(label(index[o]) if o in index else o for o in others)
        row["reason"] = (
            f"{row['reason']} Landscape (criterion 1): only a blocked or seasonal link joins it "
            f"to {text}, so they are not treated as neighbours."
        )
        row["reason_code"] += "+barrier"
        row["reason_params"]["barrier_units"] = others


def _explanations(bundle: InstanceBundle, result: MergerResult, settings: EngineSettings) -> pd.DataFrame:
    """The engine's explanations as ``unit_code, status, reason, reason_code, reason_params``
    (the parameters as compact JSON, the form ``assignments.csv`` keeps them in)."""
    items = explain_units(bundle.instance, result, settings)
    rows = [
        {
            "unit_code": str(item.unit_code),
            "status": str(item.status),
            "reason": str(item.reason),
            "reason_code": str(item.reason_code),
            "reason_params": dict(item.reason_params),
        }
        for item in items
    ]
    _add_barrier_notes(rows, bundle)
    for row in rows:
        row["reason_params"] = json.dumps(row["reason_params"], ensure_ascii=False, separators=(",", ":"))
    frame = pd.DataFrame(rows)
    bad = sorted(set(frame["status"]) - set(STATUSES))
    if bad:
        raise SolverError(f"engine explanation has unknown status(es) {', '.join(bad)}")
    return cast("pd.DataFrame", frame)


def _assignments(
    bundle: InstanceBundle, assignment: np.ndarray, ids: dict[int, str], explained: pd.DataFrame, modelled: bool
) -> pd.DataFrame:
    units = bundle.units
    inst = bundle.instance
    idx = np.arange(inst.n)
    ttm = inst.travel_time_min[idx, assignment]
    frame = pd.DataFrame(
        {
            "unit_code": units["unit_code"].astype(str),
            "unit_name": units["unit_name"],
            "raion_code": units["raion_code"].astype(str),
            "new_unit_id": [ids[int(c)] for c in assignment],
            "centre_code": [inst.unit_codes[int(c)] for c in assignment],
            "population": units["population"].astype(float),
            "population_is_estimate": units["population_is_estimate"].astype(bool),
            "exempt": units["exempt"].astype(bool),
            "exempt_reason": units["exempt_reason"],
            "travel_time_to_centre_min": np.round(ttm, 3),
            "travel_time_is_modelled": modelled,
            "level": units["level"],
            "oblast_code": units["oblast_code"].astype(str),
            "exempt_rules": units["exempt_rules"],
            # Cyrillic names for reports in Kyrgyz and Russian (unit_name is the Latin one)
            "unit_name_ky": units.get("unit_name_ky", ""),
            "unit_name_ru": units.get("unit_name_ru", ""),
            "unit_name_transliterated": units.get("unit_name_transliterated", False),
        }
    )
    frame = frame.merge(explained, on="unit_code", how="left", validate="one_to_one")
    return cast("pd.DataFrame", frame[ASSIGNMENT_COLUMNS].sort_values("unit_code").reset_index(drop=True))


def _settlements(bundle: InstanceBundle, assignments: pd.DataFrame) -> pd.DataFrame:
    s = bundle.settlements.copy()
    by_unit = assignments.set_index("unit_code")
    s["new_unit_id"] = s["unit_code"].map(by_unit["new_unit_id"])
    s["centre_code"] = s["unit_code"].map(by_unit["centre_code"])
    times = bundle.settlement_times.drop_duplicates(["settlement_code", "centre_code"])
    s = s.merge(times, on=["settlement_code", "centre_code"], how="left")
    s = s.rename(columns={"travel_time_min": "travel_time_to_centre_min"})
    s["travel_time_to_centre_min"] = s["travel_time_to_centre_min"].round(3)
    if bundle.level == "raion":
        s["unit_code"] = s["source_unit_code"]
    return cast("pd.DataFrame", s[SETTLEMENT_COLUMNS + ["weight"]].sort_values("settlement_code").reset_index(drop=True))


def _geometries(dataset: Dataset, bundle: InstanceBundle) -> pd.Series:
    if bundle.level == "raion":
        frame = dataset.raions.assign(_code=dataset.raions["raion_code"].astype(str))
    else:
        frame = dataset.units.assign(_code=dataset.units["unit_code"].astype(str))
    return cast("pd.Series", frame.set_index("_code").geometry)


def _indicator_sums(dataset: Dataset, bundle: InstanceBundle, assignments: pd.DataFrame) -> pd.DataFrame:
    table = dataset.indicators
    if bundle.level != "aiyl_aimak" or table is None or table.empty:
        return cast("pd.DataFrame", pd.DataFrame(index=pd.Index([], name="new_unit_id")))
    long = table[["unit_code", "indicator", "value"]].copy()
    long["unit_code"] = long["unit_code"].astype(str)
    long["value"] = pd.to_numeric(long["value"], errors="coerce")
    long["new_unit_id"] = long["unit_code"].map(assignments.set_index("unit_code")["new_unit_id"])
    wide = long.pivot_table(index="new_unit_id", columns="indicator", values="value", aggfunc="sum")
    wide.columns = [str(c) for c in wide.columns]
    return cast("pd.DataFrame", wide.sort_index(axis=1))


def _settlement_travel(settlements: pd.DataFrame) -> pd.DataFrame:
    """Population-weighted mean and worst settlement travel time per new unit."""
    t = settlements["travel_time_to_centre_min"].to_numpy(dtype=float)
    ok = np.isfinite(t)
    frame = pd.DataFrame(
        {
            "new_unit_id": settlements["new_unit_id"].to_numpy()[ok],
            "wt": settlements["weight"].to_numpy(dtype=float)[ok] * t[ok],
            "w": settlements["weight"].to_numpy(dtype=float)[ok],
            "t": t[ok],
        }
    )
    agg = frame.groupby("new_unit_id").agg(wt=("wt", "sum"), w=("w", "sum"), worst=("t", "max"))
    agg["mean"] = np.where(agg["w"] > 0, agg["wt"] / agg["w"].where(agg["w"] > 0, 1.0), np.nan)
    return cast("pd.DataFrame", agg[["mean", "worst"]])


def _join_sorted(values: pd.Series) -> str:
    return ";".join(sorted(str(v) for v in values))


def _passports(result_parts: dict[str, Any], *, geometry: bool = True) -> gpd.GeoDataFrame:
    dataset: Dataset = result_parts["dataset"]
    bundle: InstanceBundle = result_parts["bundle"]
    assignments: pd.DataFrame = result_parts["assignments"]
    settlements: pd.DataFrame = result_parts["settlements"]
    floor = bundle.criteria.population_floor
    units = bundle.units.set_index("unit_code")
    a = assignments.sort_values(["new_unit_id", "unit_code"]).copy()
    a["area_km2"] = a["unit_code"].map(units["area_km2"]).astype(float)
    a["exempt_code"] = a["unit_code"].where(a["exempt"], "")
    a["estimated"] = a["unit_code"].map(units["estimated_inputs"]).fillna("")
    a["non_exempt"] = ~a["exempt"].astype(bool)
    grouped = a.groupby("new_unit_id", sort=True)
    frame = pd.DataFrame(
        {
            "centre_code": grouped["centre_code"].first(),
            "members": grouped["unit_code"].agg(_join_sorted),
            "n_members": grouped.size(),
            "population": grouped["population"].sum(),
            "population_has_estimates": grouped["population_is_estimate"].any(),
            "area_km2": grouped["area_km2"].sum().round(3),
            "exempt_members": grouped["exempt_code"].agg(lambda v: ";".join(sorted(c for c in v if c))),
            "non_exempt": grouped["non_exempt"].any(),
            "estimated_inputs": grouped["estimated"].agg(merge_estimate_notes),
        }
    )
    travel = _settlement_travel(settlements).reindex(frame.index)
    frame["travel_time_mean_min"] = travel["mean"].round(3)
    frame["travel_time_max_min"] = travel["worst"].round(3)
    frame["centre_name"] = frame["centre_code"].map(units["unit_name"])
    frame["display_name"] = new_unit_display_names(frame["centre_name"], frame["n_members"], frame.index).to_numpy()
    frame["raion_code"] = frame["centre_code"].map(units["raion_code"]).astype(str)
    frame["oblast_code"] = frame["centre_code"].map(units["oblast_code"]).astype(str)
    frame["below_floor"] = (floor > 0) & (frame["population"] < floor) & frame["non_exempt"]
    frame = frame.reset_index()
    if geometry:
        geoms = _geometries(dataset, bundle)
        parts = gpd.GeoDataFrame(
            {"new_unit_id": a["new_unit_id"].to_numpy()},
            geometry=geoms.reindex(a["unit_code"]).to_numpy(),
            crs=CRS,
        )
        shapes = parts.dissolve(by="new_unit_id", sort=True).geometry
        frame["geometry"] = frame["new_unit_id"].map(shapes).to_numpy()
    else:
        # the plan editor measures a plan per click: its figures need no shapes (dissolving
        # the country's borders is most of a package's time)
        frame["geometry"] = None
    indicators = _indicator_sums(dataset, bundle, assignments)
    if not indicators.empty:
        frame = frame.join(indicators, on="new_unit_id")
    columns = [
        "new_unit_id", "centre_code", "centre_name", "display_name", "raion_code", "oblast_code", "members", "n_members",
        "population", "population_has_estimates", "area_km2", "travel_time_mean_min", "travel_time_max_min",
        "exempt_members", "below_floor",
        *[c for c in indicators.columns], "estimated_inputs", "geometry",
    ]
    return gpd.GeoDataFrame(frame[columns], geometry="geometry", crs=CRS)


def _check(bundle: InstanceBundle, assignment: np.ndarray, settings: EngineSettings) -> list[Violation]:
    """Run the independent checker; hard violations fail the run, soft ones are returned.

    Soft violations are what soft criteria allow (a unit below the floor with no partner),
    and are reported per unit in the explanations.
    """
    found = check_plan(bundle.instance, assignment, settings)
    violations = [v for v in found if v.hard]
    if violations:
        lines = "; ".join(f"{v.constraint}: {v.message}" for v in violations[:5])
        more = f" (and {len(violations) - 5} more)" if len(violations) > 5 else ""
        raise SolverError(f"the plan failed the independent check: {lines}{more}")
    return [v for v in found if not v.hard]


def run_scenario(
    scenario: Scenario,
    dataset: Dataset | None = None,
    travel_model: TravelModel | None = None,
    *,
    progress: Callable[[str], None] | None = None,
    instance_key: str | None = None,
    scheduler_address: str | None = None,
) -> ScenarioResult:
    """Run one scenario.

    Parameters
    ----------
    scenario : Scenario
        What to run.
    dataset : Dataset, optional
        Use this territory instead of resolving ``scenario.dataset``.
    travel_model : TravelModel, optional
        Use this travel model instead of building one from the scenario's roads/elevation.
    progress : callable, optional
        Called with a short step name ("dataset", "travel model", "instance", "solve",
        "check", "passports") as each step starts.
    instance_key : str, optional
        Digest of everything the engine input is built from (the scenario, the dataset's bytes,
        the travel model's inputs, the code: :func:`~atr_model.scenarios.run_inputs_key`); with
        it the input is read from, or stored in, the instance cache
        (:func:`~atr_model.scenarios.instance_cache.cached_instance`). Give it only when
        ``dataset`` and ``travel_model`` are the scenario's own (None, or resolved from it).
    scheduler_address : str, optional
        ``tcp://host:port`` of a dask.distributed scheduler (needs ``atr-model[dask]``): the
        groups of a decomposed solve run there as tasks, largest first, instead of in the
        engine's process pool; the same plan and tables. Connected before anything is built.

    Returns
    -------
    ScenarioResult

    Raises
    ------
    ScenarioError
        On a bad scenario or missing input file.
    InfeasibleError
        When no plan satisfies the hard constraints (naming units and constraints).
    SolverError
        When the solver fails, or the plan fails the independent checker.
    """
    started = time.perf_counter()
    # connected first: a bad address must not cost the dataset and the travel model
    cluster: AbstractContextManager[GroupExecutor | None] = (
        dask_groups(scheduler_address, "run") if scheduler_address else nullcontext())
    with cluster as groups:
        return _run(scenario, dataset, travel_model, progress or (lambda _name: None), started, groups,
                    instance_key)


def _run(scenario: Scenario, dataset: Dataset | None, travel_model: TravelModel | None,
         step: Callable[[str], None], started: float, groups: GroupExecutor | None,
         instance_key: str | None) -> ScenarioResult:
    """:func:`run_scenario` once connected (``groups``: where the groups run, None for the process pool;
    ``instance_key``: the instance cache's key, see :func:`run_scenario`)."""
    step("dataset")
    if dataset is None:
        dataset = resolve_dataset(scenario)
    step("travel model")
    if travel_model is None:
        travel_model = resolve_travel_model(scenario, dataset)
    step("instance")
    loaded, model = dataset, travel_model

    def build() -> InstanceBundle:
        return build_instance(loaded, model, scenario.criteria, level=scenario.level)

    bundle = build() if instance_key is None else cached_instance(instance_key, build)
    settings = engine_settings(scenario.criteria, scenario.solver, bundle=bundle)
    step("solve")
    result = MergerModel(bundle.instance, settings).solve(executor=groups)
    status = result.status
    if status == "infeasible":
        raise InfeasibleError(f"scenario {scenario.name!r}: no plan satisfies the hard constraints",
                              code="scenario", params={"scenario": scenario.name})
    if status not in ("optimal", "feasible"):
        raise SolverError(f"scenario {scenario.name!r}: solver {settings.solver} returned status {status!r}")
    assignment = np.asarray(result.assignment, dtype=np.int64)
    step("check")
    soft = _check(bundle, assignment, settings)
    step("passports")
    out = package_plan(scenario, dataset, travel_model, bundle, settings, result, soft, started=started)
    if groups is not None:
        # where the groups ran (the plan does not depend on it)
        out.provenance["groups_on"] = {"executor": "dask", "task_slots": groups.workers}
    if result.proven_optimal and not out.kpis["solver"]["proven_optimal"]:
        logger.warning("scenario %s: the solver claims optimality but its gap is %s", scenario.name,
                       out.kpis["solver"]["gap"])
    logger.info("scenario %s: %d -> %d units in %.1f s", scenario.name, out.kpis["units_before"],
                out.kpis["units_after"], time.perf_counter() - started)
    return out


def package_plan(
    scenario: Scenario,
    dataset: Dataset,
    travel_model: TravelModel,
    bundle: InstanceBundle,
    settings: EngineSettings,
    result: MergerResult,
    soft: list[Violation],
    *,
    started: float,
    ids: Mapping[int, str] | None = None,
    shapes: bool = True,
) -> ScenarioResult:
    """Everything a result package holds, for one plan: the optimiser's, or one drawn by hand.

    The one place that turns a plan into its assignments, settlements, passports and key
    figures, so ``evaluate`` measures a hand-drawn plan exactly as a run measures its own.

    Parameters
    ----------
    scenario, dataset, travel_model, bundle, settings
        What the plan was made or checked with.
    result : MergerResult
        The plan (from the engine, or :func:`atr_model.optimisation.plan_result` of a given
        assignment).
    soft : list of Violation
        The checker's soft violations of the plan (counted in the KPIs).
    started : float
        ``time.perf_counter()`` at the start of the run (the provenance's seconds).
    ids : mapping, optional
        New-unit id per centre index; default the run's ``<raion>-N<k>`` (a plan being edited
        keeps its own ids from click to click).
    shapes : bool
        False: no new-unit geometry and no territory notes (the plan editor's per-click
        measure; every figure is the same).
    """
    assignment = np.asarray(result.assignment, dtype=np.int64)
    explained = _explanations(bundle, result, settings)
    ids = dict(ids) if ids is not None else _new_unit_ids(bundle, assignment)
    modelled = travel_model.times_modelled
    assignments = _assignments(bundle, assignment, ids, explained, modelled)
    settlements = _settlements(bundle, assignments)
    new_units = _passports({"dataset": dataset, "bundle": bundle, "assignments": assignments, "settlements": settlements},
                           geometry=shapes)
    prov = provenance(scenario, dataset, travel_model, seconds=time.perf_counter() - started)
    # whether a time budget bound the search and the thread counts: what a rerun needs to match
    prov["determinism"] = result.determinism()
    # which groups are proven optimal, and the proven gap of the others
    prov["proof"] = result.proof()
    kpis = compute_kpis(bundle, assignments, settlements, new_units, result, prov, gap_rel=settings.gap_rel)
    kpis["soft_violations"] = {
        "count": len(soft),
        "by_constraint": dict(sorted(pd.Series([str(v.constraint) for v in soft], dtype=object).value_counts().items())),
    }
    explained_columns = ["unit_code", "status", "reason", "population", "exempt_reason", "travel_time_to_centre_min"]
    explanations = assignments[explained_columns].copy()
    explanations.insert(3, "population_floor", scenario.criteria.population_floor)
    explanations["max_travel_time_min"] = scenario.criteria.max_travel_time_min
    return ScenarioResult(
        scenario=scenario,
        dataset=dataset,
        travel_model=travel_model,
        bundle=bundle,
        settings=settings,
        engine_result=result,
        assignments=assignments,
        new_units=new_units,
        settlements=settlements.drop(columns="weight"),
        explanations=explanations,
        kpis=kpis,
        provenance=prov,
        territory_notes=territory_notes(dataset, assignments, new_units) if shapes else None,
    )
