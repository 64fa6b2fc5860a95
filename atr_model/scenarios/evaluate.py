"""Score a hand-drawn plan against a scenario's criteria with the independent checker.

A plan is a CSV with one row per unit: ``unit_code,new_unit_id`` (and optionally
``centre_code``). Without a centre, each new unit gets the member that minimises the
population-weighted travel time of the unit (the same cost the optimiser uses), ties broken by
unit code. The plan is then checked by :func:`atr_model.optimisation.check_plan` on the
scenario's instance, and measured with the same KPIs as an optimised run.
"""

from __future__ import annotations

import io
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from atr_model.errors import DataError
from atr_model.optimisation import Violation, check_plan, plan_measures
from atr_model.scenarios.extra_kpis import extra_kpis
from atr_model.scenarios.inputs import resolve_dataset, resolve_travel_model
from atr_model.scenarios.instance_builder import InstanceBundle, build_instance
from atr_model.scenarios.scenario import Scenario
from atr_model.scenarios.solver_settings import engine_settings

__all__ = ["PlanEvaluation", "read_plan_csv", "read_plan_text", "evaluate_plan", "assignment_from_plan"]

logger = logging.getLogger(__name__)

#: How many units missing from a plan are named in the error (the count is always given; a
#: plan for the wrong territory would otherwise list hundreds).
_ABSENT_SHOWN = 20


@dataclass(frozen=True)
class PlanEvaluation:
    """The verdict on a plan.

    Attributes
    ----------
    scenario_name : str
        Scenario whose criteria were applied.
    plan : pandas.DataFrame
        ``unit_code, unit_name, new_unit_id, centre_code, population, exempt,
        travel_time_to_centre_min`` (centres filled in).
    violations : pandas.DataFrame
        ``constraint, hard, units, message`` from the independent checker (``units``
        ";"-joined); empty when the plan honours every criterion.
    kpis : dict
        Same keys as a run's ``kpis.json`` (no solver block) plus the further KPIs.
    objective : float or None
        The plan's cost the way the optimiser counts it (travel cost, the cost per new unit
        and the penalties of soft criteria), comparable with ``kpis.json``'s
        ``solver.objective`` of a run of the same scenario on the same data.
    """

    scenario_name: str
    plan: pd.DataFrame
    violations: pd.DataFrame
    kpis: dict[str, Any] = field(default_factory=dict)
    objective: float | None = None

    def gap_to(self, optimum: float | None) -> float | None:
        """How far the plan's cost is above ``optimum``, as a fraction of it (0.05 = 5 %).

        None when either cost is unknown or the optimum is zero.
        """
        if optimum is None or self.objective is None or not np.isfinite(self.objective) or optimum == 0:
            return None
        return (self.objective - float(optimum)) / abs(float(optimum))

    @property
    def valid(self) -> bool:
        """True when no criterion is broken, soft ones included."""
        return self.violations.empty

    @property
    def hard_valid(self) -> bool:
        """True when every hard criterion holds (soft shortfalls allowed by the scenario)."""
        return not bool(self.violations["hard"].any()) if len(self.violations) else True

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "scenario": self.scenario_name,
            "valid": self.valid,
            "hard_valid": self.hard_valid,
            "violations": self.violations.to_dict(orient="records"),
            "kpis": self.kpis,
            "objective": self.objective,
        }


def read_plan_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a plan CSV (``unit_code,new_unit_id[,centre_code]``).

    Raises
    ------
    DataError
        When the file is missing, lacks a column, has an empty cell or lists a unit twice
        (naming the file and the row).
    """
    source = Path(path)
    if not source.exists():
        raise DataError(f"{source}: plan file not found")
    return read_plan_text(source.read_bytes(), where=str(source))


def read_plan_text(text: str | bytes, *, where: str = "plan") -> pd.DataFrame:
    """Read plan CSV text (an uploaded file): ``unit_code,new_unit_id[,centre_code]``.

    Raises
    ------
    DataError
        When the text is empty, is not CSV, lacks a column, has an empty cell or lists a unit
        twice (naming ``where`` and the row).
    """
    raw = text.decode("utf-8-sig", errors="replace") if isinstance(text, bytes) else text
    if not raw.strip():
        raise DataError(f"{where}: the file is empty (expected a header unit_code,new_unit_id and one row per unit)")
    try:
        plan = pd.read_csv(io.StringIO(raw), dtype=str, keep_default_na=False)
    except Exception as exc:  # pandas parser errors
        raise DataError(f"{where}: not a readable CSV ({exc})") from exc
    plan.columns = [c.strip() for c in plan.columns]
    missing = [c for c in ("unit_code", "new_unit_id") if c not in plan.columns]
    if missing:
        raise DataError(f"{where}: missing column(s) {', '.join(missing)} (expected unit_code,new_unit_id)")
    for col in ("unit_code", "new_unit_id"):
        plan[col] = plan[col].str.strip()
        blank = plan.index[plan[col] == ""]
        if len(blank):
            raise DataError(f"{where}: row {int(blank[0]) + 2}: empty {col}")
    dup = plan.index[plan["unit_code"].duplicated()]
    if len(dup):
        raise DataError(f"{where}: row {int(dup[0]) + 2}: unit {plan.loc[dup[0], 'unit_code']!r} is listed twice")
    keep = [c for c in ("unit_code", "new_unit_id", "centre_code") if c in plan.columns]
    return cast("pd.DataFrame", plan[keep].reset_index(drop=True))


def _choose_centre(members: list[int], cost: np.ndarray, eligible: np.ndarray, codes: tuple[str, ...]) -> int:
    candidates = [j for j in members if eligible[j]] or list(members)
    totals = [(float(cost[np.asarray(members), j].sum()), codes[j], j) for j in candidates]
    finite = [t for t in totals if np.isfinite(t[0])]
    return min(finite or totals)[2]


def assignment_from_plan(plan: pd.DataFrame, instance: Any, *, where: str = "plan") -> np.ndarray:
    """Turn a ``unit_code,new_unit_id[,centre_code]`` table into the engine's centre-index array.

    Raises
    ------
    DataError
        When the plan lists a unit twice, misses units of the instance, names unknown units,
        or gives a centre that is not a member of its new unit.
    """
    codes = tuple(instance.unit_codes)
    pos = {c: i for i, c in enumerate(codes)}
    dup = plan["unit_code"][plan["unit_code"].duplicated()]
    if len(dup):
        raise DataError(f"{where}: unit {dup.iloc[0]!r} is listed twice")
    unknown = sorted(set(plan["unit_code"]) - set(pos))
    if unknown:
        # Every unknown code is named: a plan drawn elsewhere usually has several typos at once.
        raise DataError(f"{where}: {len(unknown)} unit(s) not in the scenario's dataset: {', '.join(unknown)}")
    listed = set(plan["unit_code"])
    absent = [c for c in codes if c not in listed]
    if absent:
        more = f" and {len(absent) - _ABSENT_SHOWN} more" if len(absent) > _ABSENT_SHOWN else ""
        shown = ", ".join(absent[:_ABSENT_SHOWN]) + more
        raise DataError(f"{where}: {len(absent)} unit(s) of the dataset have no new_unit_id: {shown}")
    assignment = np.full(len(codes), -1, dtype=np.int64)
    for nid, part in plan.groupby("new_unit_id", sort=True):
        members = sorted(pos[c] for c in part["unit_code"])
        given = sorted({c for c in part.get("centre_code", pd.Series(dtype=str)) if c})
        if len(given) > 1:
            raise DataError(f"{where}: new unit {nid!r} names several centres: {', '.join(given)}")
        if given:
            if given[0] not in set(part["unit_code"]):
                raise DataError(f"{where}: new unit {nid!r}: centre {given[0]!r} is not one of its members")
            centre = pos[given[0]]
        else:
            centre = _choose_centre(members, instance.cost, instance.centre_eligible, codes)
        assignment[members] = centre
    return assignment


def _settlement_travel(bundle: Any, centre_of: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Each settlement's travel time to its new centre and its population weight."""
    sett = bundle.settlements[["settlement_code", "unit_code", "weight"]].copy()
    sett["centre_code"] = sett["unit_code"].map(centre_of)
    times = bundle.settlement_times.drop_duplicates(["settlement_code", "centre_code"])
    sett = sett.merge(times, on=["settlement_code", "centre_code"], how="left")
    return sett["travel_time_min"].to_numpy(dtype=float), sett["weight"].to_numpy(dtype=float)


def _kpis(bundle: Any, assignment: np.ndarray, floor: float | None, plan: pd.DataFrame) -> dict[str, Any]:
    """The run's headline KPIs for a given plan (settlement-level travel, as in ``kpis.json``)."""
    inst = bundle.instance
    codes = inst.unit_codes
    pop = inst.population
    centres = sorted({int(c) for c in assignment})
    members = {c: np.flatnonzero(assignment == c) for c in centres}
    unit_pop = {c: float(pop[m].sum()) for c, m in members.items()}
    all_exempt = {c: bool(inst.exempt[m].all()) for c, m in members.items()}
    t, w = _settlement_travel(bundle, {codes[i]: codes[int(assignment[i])] for i in range(inst.n)})
    ok = np.isfinite(t)
    floor = floor or 0.0
    pops = np.array([unit_pop[c] for c in centres])
    kpis: dict[str, Any] = {
        "units_before": int(inst.n),
        "units_after": len(centres),
        "below_floor_before": int(np.sum(pop < floor)) if floor > 0 else 0,
        "below_floor_after": int(sum(unit_pop[c] < floor for c in centres)) if floor > 0 else 0,
        "below_floor_after_non_exempt": int(sum(unit_pop[c] < floor and not all_exempt[c] for c in centres))
        if floor > 0 else 0,
        "population_weighted_mean_travel_min": float(np.sum(w[ok] * t[ok]) / np.sum(w[ok]))
        if ok.any() and np.sum(w[ok]) > 0 else None,
        "worst_travel_min": float(np.max(t[ok])) if ok.any() else None,
        "settlements_without_route_to_centre": int((~ok).sum()),
        "new_unit_population": {"min": float(pops.min()), "median": float(np.median(pops)), "max": float(pops.max())},
    }
    assignments = pd.DataFrame(
        {
            "unit_code": list(codes),
            "new_unit_id": plan.set_index("unit_code").loc[list(codes), "new_unit_id"].to_numpy(),
            "centre_code": [codes[int(a)] for a in assignment],
            "population": pop,
            "population_is_estimate": bundle.units["population_is_estimate"].to_numpy(dtype=bool),
            "exempt": inst.exempt,
            "exempt_reason": list(inst.exempt_reason),
            "exempt_rules": bundle.units["exempt_rules"].to_numpy() if "exempt_rules" in bundle.units else "",
        }
    )
    new_units = pd.DataFrame({"population": pops})
    kpis.update(extra_kpis(assignments, new_units, level=bundle.level))
    return kpis


def _as_exemption(violation: Violation, bundle: InstanceBundle, scenario: Scenario) -> Violation:
    """Say "exempt under rule X" where the checker saw only a ``keep_separate`` lock.

    With ``exemptions.mode 'keep'`` the instance builder encodes exempt units as
    ``keep_separate``, so the checker's message would name the lock, not the reason. A unit
    locked by hand (``criteria.locks.keep_separate``) keeps the checker's message.
    """
    if violation.constraint != "keep_separate":
        return violation
    inst = bundle.instance
    manual = set(scenario.criteria.locks.keep_separate)
    subject = next((c for c in violation.units if violation.message.startswith(inst.label(inst.index(c)))), None)
    if subject is None or subject in manual:
        return violation
    i = inst.index(subject)
    if not inst.exempt[i]:
        return violation
    units = bundle.units.set_index("unit_code")
    rules = str(units.loc[subject, "exempt_rules"]) if "exempt_rules" in units else ""
    reason = str(inst.exempt_reason[i])
    rest = violation.message[len(inst.label(i)):].split(" but ", 1)[-1]
    if "town" in rules.split(";"):
        text = (f"{inst.label(i)} is a town: towns keep their status (the population floor of criterion 2 "
                f"applies to aiyl aimaks; centres.towns {scenario.criteria.centres.towns!r}), but {rest}")
    else:
        text = (f"{inst.label(i)} is exempt from the population floor under rule {rules or 'exempt'} ({reason}); "
                f"with exemptions.mode 'keep' exempt units stay as they are, but {rest}")
    return Violation("exempt", violation.units, text, hard=violation.hard)


def evaluate_plan(
    plan: pd.DataFrame | str | os.PathLike[str],
    scenario: Any,
    *,
    dataset: Any = None,
    travel_model: Any = None,
    where: str | None = None,
) -> PlanEvaluation:
    """Check a hand-drawn plan against a scenario's criteria and measure it.

    Parameters
    ----------
    plan : pandas.DataFrame or path-like
        ``unit_code, new_unit_id`` (optionally ``centre_code``), or a CSV file of them.
    scenario : Scenario
        Whose criteria apply (level, nesting, floor, exemptions, travel limit, locks, ...).
    dataset : Dataset, optional
        Defaults to the scenario's dataset.
    travel_model : TravelModel, optional
        Defaults to the scenario's travel model.
    where : str, optional
        Name of the plan in error messages (an uploaded file's name); default the path, or
        "plan" for a table.

    Returns
    -------
    PlanEvaluation

    Raises
    ------
    DataError
        On a malformed plan (unknown or missing units, bad centre).
    """
    where = where or (str(plan) if not isinstance(plan, pd.DataFrame) else "plan")
    table = read_plan_csv(plan) if not isinstance(plan, pd.DataFrame) else plan.astype(str).copy()
    if dataset is None:
        dataset = resolve_dataset(scenario)
    if travel_model is None:
        travel_model = resolve_travel_model(scenario, dataset)
    bundle = build_instance(dataset, travel_model, scenario.criteria, level=scenario.level)
    inst = bundle.instance
    settings = engine_settings(scenario.criteria, scenario.solver, bundle=bundle)
    assignment = assignment_from_plan(table, inst, where=where)
    violations = [_as_exemption(v, bundle, scenario) for v in check_plan(inst, assignment, settings)]
    viol = pd.DataFrame(
        [
            {"constraint": v.constraint, "hard": bool(v.hard), "units": ";".join(v.units), "message": v.message}
            for v in violations
        ],
        columns=["constraint", "hard", "units", "message"],
    )
    codes = inst.unit_codes
    by_code = table.set_index("unit_code")
    out = pd.DataFrame(
        {
            "unit_code": list(codes),
            "unit_name": list(inst.names),
            "new_unit_id": [by_code.loc[c, "new_unit_id"] for c in codes],
            "centre_code": [codes[int(a)] for a in assignment],
            "population": inst.population,
            "exempt": inst.exempt,
            "travel_time_to_centre_min": [
                0.0 if i == int(a) else float(inst.travel_time_min[i, int(a)]) for i, a in enumerate(assignment)
            ],
        }
    )
    kpis = _kpis(bundle, assignment, settings.population_floor, out[["unit_code", "new_unit_id"]])
    logger.info("plan %s: %d violation(s)", where, len(viol))
    objective = float(plan_measures(inst, settings, assignment)["objective"])
    return PlanEvaluation(scenario_name=scenario.name, plan=out, violations=viol, kpis=kpis, objective=objective)
