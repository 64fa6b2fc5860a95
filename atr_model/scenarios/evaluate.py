"""Score a hand-drawn plan against a scenario's criteria with the independent checker.

A plan is a CSV with one row per unit: ``unit_code,new_unit_id`` (and optionally
``centre_code``). Without a centre, each new unit gets the centre the optimiser would give it
(:func:`atr_model.optimisation.plan_centres`: the member the model allows as centre of all the
others, travel limit included, at least cost), so the optimiser's own plan read back without its
centres passes at the optimum's cost. The plan is then checked by
:func:`atr_model.optimisation.check_plan` on the scenario's instance, and measured with the same
KPIs as an optimised run.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from atr_model.data import Dataset
from atr_model.network import TravelModel
from atr_model.optimisation import EngineSettings, MergerInstance, Violation, check_plan, plan_centres, plan_result
from atr_model.scenarios.inputs import resolve_dataset, resolve_travel_model
from atr_model.scenarios.instance_builder import InstanceBundle, build_instance
from atr_model.scenarios.plan_file import plan_error, read_plan_csv, read_plan_text
from atr_model.scenarios.run import ScenarioResult, package_plan
from atr_model.scenarios.scenario import Scenario
from atr_model.scenarios.solver_settings import engine_settings

__all__ = ["PlanEvaluation", "read_plan_csv", "read_plan_text", "evaluate_plan", "assignment_from_plan",
           "plan_violations", "violations_frame"]

logger = logging.getLogger(__name__)

#: Relative difference of two costs taken as equal (float rounding of the same sum).
SAME_COST_REL = 1e-9

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
        ``constraint, hard, units, message, code, params`` from the independent checker
        (``units`` ";"-joined; ``message`` in English, ``code`` and ``params`` the message's code
        and raw values for the interface's languages); empty when the plan honours every
        criterion.
    kpis : dict
        The key figures measured exactly as a run measures its own (:func:`~atr_model.scenarios.run.package_plan`):
        the same keys as ``kpis.json``; its ``solver`` block describes the given plan (not proven).
    objective : float or None
        The plan's cost the way the optimiser counts it (travel cost, the cost per new unit
        and the penalties of soft criteria), comparable with ``kpis.json``'s
        ``solver.objective`` of a run of the same scenario on the same data.
    package : ScenarioResult or None
        The plan measured as a result package (what ``kpis`` come from): Compare and the
        downloads read a checked plan through it (:mod:`atr_model.scenarios.plan_versions`).
    """

    scenario_name: str
    plan: pd.DataFrame
    violations: pd.DataFrame
    kpis: dict[str, Any] = field(default_factory=dict)
    objective: float | None = None
    package: ScenarioResult | None = field(default=None, repr=False, compare=False)

    def gap_to(self, optimum: float | None) -> float | None:
        """How far the plan's cost is above ``optimum``, as a fraction of it (0.05 = 5 %).

        None when either cost is unknown or the optimum is zero. A difference within the
        rounding of summing the same costs in another order (:data:`SAME_COST_REL`) is 0: the
        optimiser's own plan is 0 % above its optimum, never "-0.0 %".
        """
        if optimum is None or self.objective is None or not np.isfinite(self.objective) or optimum == 0:
            return None
        gap = (self.objective - float(optimum)) / abs(float(optimum))
        return 0.0 if abs(gap) <= SAME_COST_REL else gap

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


def assignment_from_plan(plan: pd.DataFrame, instance: MergerInstance, settings: EngineSettings, *,
                         where: str = "plan") -> np.ndarray:
    """Turn a ``unit_code,new_unit_id[,centre_code]`` table into the engine's centre-index array.

    A new unit without ``centre_code`` gets the centre the optimiser would choose under
    ``settings`` (:func:`atr_model.optimisation.plan_centres`).

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
        first = int(plan.index[plan["unit_code"] == dup.iloc[0]][0])
        raise plan_error("plan_duplicate", file=where, row=int(dup.index[0]) + 2, unit=dup.iloc[0], first=first + 2)
    unknown = sorted(set(plan["unit_code"]) - set(pos))
    if unknown:
        # Every unknown code is named: a plan drawn elsewhere usually has several typos at once.
        raise plan_error("plan_unknown_units", file=where, n=len(unknown), units=", ".join(unknown))
    listed = set(plan["unit_code"])
    absent = [c for c in codes if c not in listed]
    if absent:
        shown = ", ".join(absent[:_ABSENT_SHOWN]) + (", …" if len(absent) > _ABSENT_SHOWN else "")
        raise plan_error("plan_absent_units", file=where, n=len(absent), units=shown)
    assignment = np.full(len(codes), -1, dtype=np.int64)
    open_units: list[list[int]] = []
    for nid, part in plan.groupby("new_unit_id", sort=True):
        members = sorted(pos[c] for c in part["unit_code"])
        given = sorted({c for c in part.get("centre_code", pd.Series(dtype=str)) if c})
        if len(given) > 1:
            raise plan_error("plan_several_centres", file=where, unit=nid, centres=", ".join(given))
        if given:
            if given[0] not in set(part["unit_code"]):
                raise plan_error("plan_centre_not_member", file=where, unit=nid, centre=given[0])
            assignment[members] = pos[given[0]]
        else:
            open_units.append(members)
    for members, centre in zip(open_units, plan_centres(instance, settings, open_units)):
        assignment[members] = centre
    return assignment


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
    # the checker's "is merged into the new unit of <centre>" follows "but" in both sentences
    params = {"unit": subject, "centre": str(violation.params.get("centre", ""))}
    if "town" in rules.split(";"):
        towns = scenario.criteria.centres.towns
        text = (f"{inst.label(i)} is a town: towns keep their status (the population floor of criterion 2 "
                f"applies to aiyl aimaks; centres.towns {towns!r}), but {rest}")
        return Violation("exempt", violation.units, text, hard=violation.hard, code="exempt.town",
                         params={**params, "towns": str(towns)})
    text = (f"{inst.label(i)} is exempt from the population floor under rule {rules or 'exempt'} ({reason}); "
            f"with exemptions.mode 'keep' exempt units stay as they are, but {rest}")
    return Violation("exempt", violation.units, text, hard=violation.hard, code="exempt.rule",
                     params={**params, "rules": rules, "rule": reason})


def plan_violations(bundle: InstanceBundle, scenario: Scenario, settings: EngineSettings,
                    assignment: np.ndarray) -> list[Violation]:
    """The independent checker's verdict on an assignment, exempt units named by their rule.

    The one verdict of a plan: :func:`evaluate_plan` and the plan editor
    (:mod:`atr_model.scenarios.plan_edit`) both give this.
    """
    return [_as_exemption(v, bundle, scenario) for v in check_plan(bundle.instance, assignment, settings)]


def violations_frame(violations: list[Violation]) -> pd.DataFrame:
    """Violations as :attr:`PlanEvaluation.violations` holds them (``units`` ";"-joined)."""
    frame = pd.DataFrame(
        [
            {"constraint": v.constraint, "hard": bool(v.hard), "units": ";".join(v.units), "message": v.message,
             "code": v.code, "params": dict(v.params)}
            for v in violations
        ],
        columns=["constraint", "hard", "units", "message", "code", "params"],
    )
    return cast("pd.DataFrame", frame)


def evaluate_plan(
    plan: pd.DataFrame | str | os.PathLike[str],
    scenario: Scenario,
    *,
    dataset: Dataset | None = None,
    travel_model: TravelModel | None = None,
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
    table = read_plan_csv(plan) if not isinstance(plan, pd.DataFrame) else plan.fillna("").astype(str)
    if dataset is None:
        dataset = resolve_dataset(scenario)
    if travel_model is None:
        travel_model = resolve_travel_model(scenario, dataset)
    bundle = build_instance(dataset, travel_model, scenario.criteria, level=scenario.level)
    inst = bundle.instance
    settings = engine_settings(scenario.criteria, scenario.solver, bundle=bundle)
    assignment = assignment_from_plan(table, inst, settings, where=where)
    violations = plan_violations(bundle, scenario, settings, assignment)
    viol = violations_frame(violations)
    # the plan measured exactly as a run measures its own (one owner of every figure)
    engine = plan_result(inst, settings, assignment, proven=False, bound=float("nan"), seconds=0.0, cut_rounds=0,
                         contiguity_method="given plan")
    measured = package_plan(scenario, dataset, travel_model, bundle, settings, engine,
                            [v for v in violations if not v.hard], started=time.perf_counter())
    kpis = dict(measured.kpis)
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
    logger.info("plan %s: %d violation(s)", where, len(viol))
    objective = float(engine.objective)
    return PlanEvaluation(scenario_name=scenario.name, plan=out, violations=viol, kpis=kpis, objective=objective,
                          package=measured)
