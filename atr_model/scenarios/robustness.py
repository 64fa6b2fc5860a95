"""Scenario layer: robustness ensembles -- how sure is each proposal, given the estimates it rests on.

:func:`run_robustness` runs the scenario once on its nominal inputs, then ``N`` joint draws of
every estimated input (:mod:`atr_model.scenarios.uncertainty`), each solved exactly by the same
engine under the same criteria. Draws are made in this process from
``numpy.random.SeedSequence(seed).spawn(N)`` and only their arrays travel to the workers, so the
same seed gives the same tables in one process, in a process pool or on a Dask cluster. The
dataset, travel model and instance are built once; a worker receives the nominal instance once
and rebuilds only the drawn arrays per draw. Each draw is solved group by group (raions), with
groups whose drawn inputs are nominal, or whose "every unit alone" plan is provably optimal,
answered without the solver (:mod:`atr_model.scenarios.robustness_solve`).

With the warm start each draw's solves start from the nominal plan
(``MergerModel.solve(start=...)``), dropped per group where the draw makes it break a hard
constraint; the engine is exact, so this changes speed only, never a table. By default it is on
where draws are solved raion group by raion group and off for one coupled instance (a national
unit count), as measured (:data:`WARM_START`).

:func:`write_robustness` publishes the package atomically: ``unit_stability.csv``,
``pair_stability.csv``, ``new_unit_stability.csv``, ``kpi_intervals.json``, ``regret.csv``,
``fragile_decisions.csv``, ``hinges.json`` (the figures behind each ``hinges_on`` sentence),
``consensus/`` (assignments, KPIs, check), ``assumptions.csv``,
``robustness.json`` (settings, summary, notes) and ``nominal/`` (the nominal run's package).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from atr_model._atomic import atomic_directory
from atr_model._lifetime import worker_pool
from atr_model.data import Dataset
from atr_model.errors import ScenarioError
from atr_model.network import ROADS_KIND, TravelModel
from atr_model.optimisation import EngineSettings, MergerModel, decomposes
from atr_model.scenarios._dask import connect, gather_in_order
from atr_model.scenarios.cells import write_csv
from atr_model.scenarios.evaluate import evaluate_plan
from atr_model.scenarios.instance_builder import InstanceBundle
from atr_model.scenarios.limits import check_draws
from atr_model.scenarios.manifest import write_manifest
from atr_model.scenarios.package import write_result
from atr_model.scenarios.robustness_solve import (
    DrawContext,
    DrawOutcome,
    init_worker,
    solve_draw,
    solve_in_worker,
)
from atr_model.scenarios.robustness_tables import (
    STABLE_SHARE,
    PlanSet,
    fragile_decisions,
    hinge_parts,
    hinge_text,
    kpi_intervals,
    new_unit_stability,
    pair_stability,
    regret_table,
    unit_stability,
)
from atr_model.scenarios.run import ScenarioResult, run_scenario
from atr_model.scenarios.scenario import Scenario, apply_overrides
from atr_model.scenarios.uncertainty import Draw, DrawBasis, build_basis, draw_inputs

__all__ = [
    "ROBUSTNESS_FILES",
    "RobustnessResult",
    "consensus_plan",
    "make_draws",
    "run_robustness",
    "write_robustness",
]

logger = logging.getLogger(__name__)

#: Tables every robustness package has (compared byte for byte by the determinism tests).
ROBUSTNESS_FILES = (
    "unit_stability.csv", "pair_stability.csv", "new_unit_stability.csv", "kpi_intervals.json", "regret.csv",
    "fragile_decisions.csv", "consensus/assignments.csv", "consensus/kpis.json", "consensus/check.csv",
    "assumptions.csv", "hinges.json",
)

#: Default share of draws above which a flipping decision is fragile.
FRAGILE_SHARE = 0.2

#: Default of ``run_robustness(warm_start=...)``: ``None`` starts from the nominal plan only where a
#: draw is solved raion group by raion group. Measured with benchmarks/bench_robustness_warm_start.py
#: (Kyrgyz build, seed 1, same draws cold and warm, plans byte-identical in every draw): concept-2013
#: (raion groups), 20 draws, 0.553 -> 0.350 s per draw (x1.58; 0.637 -> 0.386 s in a second run);
#: national-231 (one coupled instance: a national unit count), 10 draws, 1.274 -> 1.502 s (x0.85:
#: the nominal plan broke the drawn travel limit in 5 of 10 draws and was dropped, and where it
#: held, the solve was slower than from the engine's own heuristic plan).
WARM_START: bool | None = None


@dataclass(frozen=True, eq=False)
class RobustnessResult:
    """A finished robustness run.

    Attributes
    ----------
    nominal : ScenarioResult
        The nominal run.
    basis : DrawBasis
        The compiled uncertainty model.
    outcomes : list of DrawOutcome
        One per draw, in draw order.
    units, pairs, new_units, regret, fragile : pandas.DataFrame
        The package's tables.
    kpi_intervals : dict
        ``kpi_intervals.json``.
    consensus : dict
        ``assignments`` (DataFrame), ``kpis`` (dict), ``check`` (DataFrame of violations),
        ``agreement`` (share of unit decisions the draws agree with).
    summary : dict
        Headline numbers (stable new units, fragile decisions, the five most fragile).
    seed, draws : int
    fragile_share : float
    seconds : float
        Wall time of the whole run (not in any table).
    executor : str
        ``"in-process"``, ``"process pool (K workers)"`` or ``"dask <address>"``.
    hinges : dict
        ``hinges.json``: unit code -> the figures behind its ``hinges_on`` sentence (status,
        shares, the estimated inputs named), from which reports compose it in their language.
    """

    nominal: ScenarioResult
    basis: DrawBasis
    outcomes: list[DrawOutcome]
    units: pd.DataFrame
    pairs: pd.DataFrame
    new_units: pd.DataFrame
    regret: pd.DataFrame
    fragile: pd.DataFrame
    kpi_intervals: dict[str, Any]
    consensus: dict[str, Any]
    summary: dict[str, Any]
    seed: int
    draws: int
    fragile_share: float
    seconds: float = 0.0
    executor: str = "in-process"
    timings: dict[str, Any] = field(default_factory=dict)
    hinges: dict[str, Any] = field(default_factory=dict)


def make_draws(basis: DrawBasis, draws: int, seed: int) -> list[Draw]:
    """The ``draws`` joint draws of a run, each from its own ``SeedSequence(seed).spawn`` child."""
    children = np.random.SeedSequence(int(seed)).spawn(int(draws))
    return [draw_inputs(basis, np.random.default_rng(child)) for child in children]


def _check_arguments(draws: int, seed: int, workers: int, fragile_share: float) -> None:
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or draws < 1:
        raise ScenarioError(f"robustness: --draws must be a whole number >= 1 (got {draws!r})")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ScenarioError(f"robustness: --seed must be a whole number >= 0 (got {seed!r})")
    if workers < 1:
        raise ScenarioError(f"robustness: --workers must be >= 1 (got {workers!r})")
    if not 0 < fragile_share < 1:
        raise ScenarioError(f"robustness: fragile share must be between 0 and 1 (got {fragile_share!r})")


def _run_local(ctx: DrawContext, draw_list: list[Draw], workers: int,
               progress: Callable[[int, int], None] | None) -> list[DrawOutcome]:
    total = len(draw_list)
    outcomes: list[DrawOutcome | None] = [None] * total
    if workers <= 1 or total == 1:
        for k, d in enumerate(draw_list):
            outcomes[k] = solve_draw(ctx, d, k)
            if progress:
                progress(k + 1, total)
        return [o for o in outcomes if o is not None]

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    # workers that end with this process: a killed run leaves no draw running for nobody
    with worker_pool(min(workers, total), mp_context=multiprocessing.get_context(method),
                     initializer=init_worker, initargs=(ctx,)) as pool:
        futures = {pool.submit(solve_in_worker, d, k): k for k, d in enumerate(draw_list)}
        try:
            for done, future in enumerate(as_completed(futures), start=1):
                outcomes[futures[future]] = future.result()
                if progress:
                    progress(done, total)
        except BaseException:
            for f in futures:
                f.cancel()
            raise
    return [o for o in outcomes if o is not None]


def _run_dask(ctx: DrawContext, draw_list: list[Draw], client: Any,
              progress: Callable[[int, int], None] | None) -> list[DrawOutcome]:
    shared = client.scatter(ctx, broadcast=True)
    futures = [client.submit(solve_draw, shared, d, k, pure=False) for k, d in enumerate(draw_list)]
    return gather_in_order(client, futures, progress)


def _draw_settings(settings: EngineSettings) -> EngineSettings:
    """One process and one thread per draw: parallelism is across draws, and results stay reproducible."""
    return settings.replace(processes=1, exact_threads=settings.threads)


def consensus_plan(bundle: InstanceBundle, settings: EngineSettings, ps: PlanSet) -> np.ndarray:
    """The plan every hard criterion allows that agrees most with the draws.

    The same exact engine on the nominal instance, with the cost of assigning unit ``i`` to
    centre ``j`` set to ``1 - share of draws in which i goes to j`` (plus the nominal cost scaled
    into ``[0, 0.001]`` to break ties), soft penalties and the cost per new unit set to zero;
    hard criteria (travel limit, contiguity, nesting, locks, unit count, a hard floor) stay.
    """
    inst = bundle.instance
    n = inst.n
    counts = np.zeros((n, n))
    for plan in ps.plans:
        counts[np.arange(n), plan] += 1.0
    share = counts / max(ps.n_ok, 1)
    finite = np.isfinite(inst.cost)
    scale = float(np.abs(inst.cost[finite]).max()) if finite.any() else 1.0
    tie = np.where(finite, inst.cost / (scale or 1.0), 0.0) * 1e-3
    cost = np.where(finite, (1.0 - share) + tie, np.inf)

    consensus_inst = dataclasses.replace(inst, cost=cost)
    relaxed = settings.replace(
        slack_penalty_per_person=0.0 if settings.floor_mode == "soft" else settings.slack_penalty_per_person,
        cap_penalty_per_person=0.0 if settings.cap_mode == "soft" else settings.cap_penalty_per_person,
        indicator_penalty_per_unit=0.0 if settings.floor_mode == "soft" else settings.indicator_penalty_per_unit,
        admin_cost_per_unit=0.0,
    )
    result = MergerModel(consensus_inst, relaxed).solve()
    if not result.has_plan:
        raise ScenarioError(f"consensus plan: the solver returned no plan (status {result.status})")
    return np.asarray(result.assignment, dtype=np.int64)


def _consensus(nominal: ScenarioResult, ps: PlanSet) -> dict[str, Any]:
    bundle = nominal.bundle
    assignment = consensus_plan(bundle, nominal.settings, ps)
    codes = np.asarray(bundle.instance.unit_codes, dtype=object)
    key = "oblast_code" if bundle.level == "raion" else "raion_code"
    prefix = bundle.units[key].astype(str).to_numpy()
    ids: dict[int, str] = {}
    counters: dict[str, int] = {}
    for c in sorted(set(assignment.tolist()), key=lambda c: (prefix[c], codes[c])):
        counters[prefix[c]] = counters.get(prefix[c], 0) + 1
        ids[c] = f"{prefix[c]}-C{counters[prefix[c]]:02d}"
    plan = pd.DataFrame({"unit_code": codes, "new_unit_id": [ids[int(c)] for c in assignment],
                         "centre_code": codes[assignment]})
    verdict = evaluate_plan(plan, nominal.scenario, dataset=nominal.dataset, travel_model=nominal.travel_model)
    agree_centre = (ps.plans == assignment[None, :]).mean() if ps.n_ok else float("nan")
    table = verdict.plan.copy()
    if ps.n_ok:
        table["share_same_centre"] = np.round((ps.plans == assignment[None, :]).mean(axis=0), 4)
    table["same_as_nominal"] = table["centre_code"].to_numpy() == codes[ps.nominal]
    table = table.sort_values("unit_code", kind="stable").reset_index(drop=True)
    return {
        "assignments": table,
        "kpis": verdict.kpis,
        "check": verdict.violations,
        "hard_valid": verdict.hard_valid,
        "agreement": round(float(agree_centre), 4),
        "units_after": int(np.unique(assignment).size),
        "units_changed_from_nominal": int((assignment != ps.nominal).sum()),
    }


def _summary(units: pd.DataFrame, new_units: pd.DataFrame, fragile: pd.DataFrame, outcomes: list[DrawOutcome],
             basis: DrawBasis) -> dict[str, Any]:
    failed = [o for o in outcomes if o.assignment is None]
    multi = new_units[new_units["n_members"] > 1]
    return {
        "draws": len(outcomes),
        "draws_with_plan": len(outcomes) - len(failed),
        "draws_failed": len(failed),
        "draw_errors": sorted({o.error for o in failed})[:5],
        "new_units_nominal": int(len(new_units)),
        "new_units_stable": int(new_units["stable"].sum()),
        "stable_share_threshold": STABLE_SHARE,
        "merged_new_units_nominal": int(len(multi)),
        "merged_new_units_stable": int(multi["stable"].sum()),
        "decisions": int(len(units)),
        "decisions_fragile": int(len(fragile)),
        # one line per nominal new unit: the members of one unstable unit flip together
        "most_fragile": [
            {"unit_code": r.unit_code, "unit_name": r.unit_name, "nominal_new_unit_id": r.nominal_new_unit_id,
             "share_same_unit": float(r.share_same_unit), "hinges_on": r.hinges_on}
            for r in fragile.drop_duplicates("nominal_new_unit_id").head(5).itertuples()
        ],
        "inputs": basis.summary(),
    }


def run_robustness(
    scenario: Scenario,
    draws: int = 100,
    seed: int = 0,
    *,
    data: str | None = None,
    dataset: Dataset | None = None,
    travel_model: TravelModel | None = None,
    workers: int = 1,
    scheduler_address: str | None = None,
    fragile_share: float = FRAGILE_SHARE,
    progress: Callable[[int, int], None] | None = None,
    step: Callable[[str], None] | None = None,
    warm_start: bool | None = WARM_START,
    max_draws: int | None = None,
) -> RobustnessResult:
    """Run the nominal scenario and ``draws`` joint draws of its estimated inputs.

    Parameters
    ----------
    scenario : Scenario
        What to run; its ``uncertainty`` block sets the spreads.
    draws : int
        Number of joint draws (>= 1).
    seed : int
        Seed of ``numpy.random.SeedSequence``; the same seed gives the same tables.
    data : str, optional
        Dataset override ('demo', 'kyrgyz' or a path).
    dataset, travel_model : optional
        Already loaded inputs (reused, not rebuilt).
    workers : int
        Worker processes for the draws (1: in this process).
    scheduler_address : str, optional
        ``tcp://host:port`` of a Dask scheduler; draws run there instead.
    fragile_share : float
        A decision flipping in more than this share of draws is fragile (default 0.2).
    progress : callable, optional
        ``progress(done, total)`` after each draw.
    step : callable, optional
        Called with a step name ("nominal", "draws", "tables", "consensus").
    warm_start : bool or None
        Start each draw's solves from the nominal plan where it meets the draw's hard constraints;
        ``None`` (default, :data:`WARM_START`): only where draws are solved group by group. The
        tables are the same either way (an exact engine); only the time changes.
    max_draws : int, optional
        Most draws allowed (default: the limit of :func:`~atr_model.scenarios.limits.limits`).

    Returns
    -------
    RobustnessResult

    Raises
    ------
    ScenarioError
        On bad arguments (``draws`` over ``max_draws`` too), an unreachable scheduler, or when
        nothing is uncertain (no estimate in the data and no spread given): "nothing to draw".
    """
    _check_arguments(draws, seed, workers, fragile_share)
    check_draws(int(draws), max_draws)  # before the nominal run and the draws' seeds
    started = time.perf_counter()
    say = step or (lambda _s: None)
    if data is not None:
        scenario = apply_overrides(scenario, dataset=data)
    client = connect(scheduler_address, "robustness") if scheduler_address else None
    try:
        return _run(scenario, draws, seed, dataset, travel_model, workers, client, scheduler_address,
                    fragile_share, progress, say, started, warm_start)
    finally:
        if client is not None:
            client.close()


def _run(scenario: Scenario, draws: int, seed: int, dataset: Dataset | None, travel_model: TravelModel | None,
         workers: int, client: Any, address: str | None, fragile_share: float,
         progress: Callable[[int, int], None] | None, say: Callable[[str], None], started: float,
         warm_start: bool | None = WARM_START) -> RobustnessResult:
    timings: dict[str, Any] = {}
    say("nominal")
    nominal = run_scenario(scenario, dataset=dataset, travel_model=travel_model)
    timings["nominal_s"] = round(time.perf_counter() - started, 3)
    basis = build_basis(nominal.bundle, nominal.dataset, nominal.travel_model, scenario.uncertainty)
    if basis.nothing_to_draw and not basis.data_has_estimates:
        raise ScenarioError(
            f"robustness {scenario.name!r}: nothing to draw -- every population is a real figure, travel times "
            f"are {'road-network' if basis.travel_kind == ROADS_KIND else 'modelled'} with no spread given, and no "
            "adjacency link may drop; give a spread under 'uncertainty:' (e.g. uncertainty.population.log_sd.census)"
        )
    if basis.nothing_to_draw:
        logger.warning("robustness %s: every spread is zero, so every draw is the nominal input", scenario.name)
    nominal_assignment = np.asarray(nominal.engine_result.assignment, dtype=np.int64)
    settings = _draw_settings(nominal.settings)
    if warm_start is None:
        warm_start = decomposes(nominal.bundle.instance, settings)
    ctx = DrawContext(instance=nominal.bundle.instance, settings=settings, basis=basis,
                      nominal_assignment=nominal_assignment, warm_start=bool(warm_start))
    draw_list = make_draws(basis, draws, seed)
    say("draws")
    t0 = time.perf_counter()
    if client is not None:
        outcomes = _run_dask(ctx, draw_list, client, progress)
        executor = f"dask {address}"
    else:
        outcomes = _run_local(ctx, draw_list, workers, progress)
        executor = "in-process" if workers <= 1 else f"process pool ({workers} workers)"
    timings["draws_s"] = round(time.perf_counter() - t0, 3)
    timings["per_draw_s"] = round(timings["draws_s"] / max(draws, 1), 4)
    timings["draw_solve_cpu_s"] = round(sum(o.seconds for o in outcomes), 3)
    timings["warm_start"] = bool(warm_start)
    timings["starts_used"] = sum(o.starts_used for o in outcomes)
    timings["starts_dropped"] = sum(o.starts_dropped for o in outcomes)
    say("tables")
    t0 = time.perf_counter()
    ids = dict(zip(nominal.assignments["unit_code"].astype(str), nominal.assignments["new_unit_id"].astype(str)))
    floor = nominal.settings.population_floor
    ps = PlanSet.build(nominal.bundle, basis, nominal_assignment, outcomes, ids, floor)
    same = ps.same_unit()
    share_same = same.mean(axis=0) if ps.n_ok else np.ones(ps.codes.size)
    # every decision that changes in some draw gets its hinges named (not only the fragile ones)
    parts = hinge_parts(ps, share_same < 1.0, same, basis.travel_log_sd > 0)
    texts = {i: hinge_text(p) for i, p in parts.items()}
    units = unit_stability(ps, texts, fragile_share)
    new_units = new_unit_stability(ps)
    pairs = pair_stability(ps)
    regret = regret_table(outcomes, nominal_assignment)
    intervals = kpi_intervals(ps, nominal.bundle.instance, basis, outcomes, ctx.settings,
                              float(scenario.criteria.travel_weight))
    fragile = fragile_decisions(units)
    timings["tables_s"] = round(time.perf_counter() - t0, 3)
    say("consensus")
    t0 = time.perf_counter()
    consensus = _consensus(nominal, ps) if ps.n_ok else {}
    timings["consensus_s"] = round(time.perf_counter() - t0, 3)
    summary = _summary(units, new_units, fragile, outcomes, basis)
    summary["draws_same_plan_as_nominal"] = int(regret["same_plan"].fillna(False).astype(bool).sum())
    if consensus:
        summary["consensus"] = {k: consensus[k] for k in ("hard_valid", "agreement", "units_after",
                                                          "units_changed_from_nominal")}
    seconds = time.perf_counter() - started
    logger.info("robustness %s: %d draws in %.1f s (%s)", scenario.name, draws, seconds, executor)
    return RobustnessResult(
        nominal=nominal, basis=basis, outcomes=outcomes, units=units, pairs=pairs, new_units=new_units,
        regret=regret, fragile=fragile, kpi_intervals=intervals, consensus=consensus, summary=summary,
        seed=int(seed), draws=int(draws), fragile_share=float(fragile_share), seconds=seconds,
        executor=executor, timings=timings,
        hinges={str(ps.codes[i]): p for i, p in sorted(parts.items(), key=lambda kv: str(ps.codes[kv[0]]))},
    )


def _json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False, default=_plain) + "\n",
                    encoding="utf-8")


def _plain(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _csv(frame: pd.DataFrame, path: Path) -> None:
    write_csv(frame, path)


def _clean_kpis(value: Any) -> Any:
    """NaN/inf -> None, so the JSON is strict."""
    if isinstance(value, dict):
        return {str(k): _clean_kpis(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean_kpis(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    return value


def write_robustness(result: RobustnessResult, out_dir: str | os.PathLike[str], *,
                     extra_writers: tuple[Callable[[RobustnessResult, Path], object], ...] = (),
                     force: bool = False) -> Path:
    """Write the robustness package atomically (an interrupt leaves no half folder).

    Parameters
    ----------
    result : RobustnessResult
    out_dir : path-like
        Target folder; an existing robustness package there is replaced.
    extra_writers : tuple of callables
        ``writer(result, staging_dir)`` run before the rename (the HTML report).
    force : bool, default False
        Replace ``out_dir`` whatever it holds (see :func:`atr_model._atomic.claim_output`).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    OutputError
        When ``out_dir`` exists and is neither empty nor a robustness package (unless ``force``),
        or the disk is full.
    """
    target = Path(out_dir).resolve()
    with atomic_directory(target, kind="robustness", force=force) as tmp:
        _csv(result.units, tmp / "unit_stability.csv")
        _csv(result.pairs, tmp / "pair_stability.csv")
        _csv(result.new_units, tmp / "new_unit_stability.csv")
        _csv(result.regret, tmp / "regret.csv")
        _csv(result.fragile, tmp / "fragile_decisions.csv")
        _json(tmp / "kpi_intervals.json", _clean_kpis(result.kpi_intervals))
        _json(tmp / "hinges.json", _clean_kpis(result.hinges))
        _csv(pd.DataFrame(result.nominal.scenario.uncertainty.assumptions()), tmp / "assumptions.csv")
        if result.consensus:
            (tmp / "consensus").mkdir()
            _csv(result.consensus["assignments"], tmp / "consensus" / "assignments.csv")
            _json(tmp / "consensus" / "kpis.json", _clean_kpis(result.consensus["kpis"]))
            _csv(result.consensus["check"], tmp / "consensus" / "check.csv")
        meta = {
            "scenario": result.nominal.scenario.name,
            "draws": result.draws,
            "seed": result.seed,
            "fragile_share": result.fragile_share,
            "executor": result.executor,
            "seconds": round(result.seconds, 3),
            "timings": result.timings,
            "summary": _clean_kpis(result.summary),
            "note": ("Every share and interval here is an estimate: it follows from assumed spreads of the "
                     "estimated inputs (assumptions.csv), not from measured errors."),
        }
        _json(tmp / "robustness.json", meta)
        write_result(result.nominal, tmp / "nominal")
        for writer in extra_writers:
            writer(result, tmp)
        write_manifest(tmp)  # last: the digests of every file, checked before the app reuses or shows it
    logger.info("wrote robustness package %s", target)
    return target
