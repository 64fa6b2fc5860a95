"""Plans people bring, in the app, without Streamlit: an uploaded ``unit_code,new_unit_id`` CSV
checked against a scenario's criteria, and drawn as a result's assignment table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

import pandas as pd

from atr_model.data.dataset import Dataset
from atr_model.network import TravelModel
from atr_model.presentation.messages import render_violation
from atr_model.scenarios import PlanEvaluation, Scenario, evaluate_plan, read_plan_text

__all__ = ["evaluate_plan_upload", "plan_assignments"]


def evaluate_plan_upload(
    data: bytes | str,
    name: str,
    scenario: Scenario,
    dataset: Dataset,
    travel_model: TravelModel | None = None,
) -> PlanEvaluation:
    """Check an uploaded plan CSV (``unit_code,new_unit_id``) against a scenario's criteria.

    Runs the independent checker (:func:`atr_model.scenarios.evaluate_plan`) on ``dataset``.

    Raises
    ------
    DataError
        When the file is empty or malformed, or names units the dataset does not have
        (every unknown code is named), or leaves units out.
    """
    plan = read_plan_text(data, where=name)
    return evaluate_plan(plan, scenario, dataset=dataset, travel_model=travel_model, where=name)


def plan_assignments(
    evaluation: PlanEvaluation, units: pd.DataFrame, lang: str = "en", names: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """An evaluated plan as a result's assignment table, for :func:`maps.result_map`.

    Status: ``centre`` / ``merged`` for members of new units of several units, ``kept``
    for units on their own; ``reason`` lists the checker's messages about the unit in ``lang``
    (units named from ``names``, code -> name), with an empty ``reason_code`` (the text is
    shown as it is); ``population_is_estimate`` comes from the dataset's ``units`` (so
    estimates stay marked).
    """
    plan = evaluation.plan.copy()
    sizes = plan["new_unit_id"].map(plan["new_unit_id"].value_counts())
    is_centre = plan["unit_code"] == plan["centre_code"]
    plan["status"] = ["kept" if n == 1 else ("centre" if c else "merged") for n, c in zip(sizes, is_centre)]
    messages: dict[str, list[str]] = {}
    for violation in evaluation.violations.to_dict("records"):
        message = render_violation(violation, lang, names or {})
        for code in str(violation["units"]).split(";"):
            if code:
                messages.setdefault(code, []).append(message)
    plan["reason"] = ["; ".join(messages.get(str(c), [])) for c in plan["unit_code"]]
    plan["reason_code"] = ""
    flags = units.set_index(units["unit_code"].astype(str))["population_is_estimate"] if "population_is_estimate" in units else {}
    plan["population_is_estimate"] = [bool(flags.get(str(c), False)) for c in plan["unit_code"]]
    return cast("pd.DataFrame", plan)
