"""Scenario layer, key figures: ``kpis.json`` and ``provenance.json`` of a run, and which
figures rest on estimates.

Towns are counted apart (``towns``) from the exempt aiyl aimaks (``exempt_units``,
``exempt_by_reason``): the Concept's floor applies to aiyl aimaks, so towns are not exempt units.
"""

from __future__ import annotations

import math
import platform
from collections.abc import Mapping
from datetime import datetime, timezone
from importlib import metadata
from typing import Any

import numpy as np
import pandas as pd

import atr_model
from atr_model.data import Dataset, dataset_terms
from atr_model.network import TravelModel
from atr_model.optimisation import MergerResult
from atr_model.scenarios.extra_kpis import (
    dataset_cost_model,
    exempt_by_reason,
    extra_kpis,
    kept_exempt_mask,
    not_estimated_savings,
    town_mask,
)
from atr_model.scenarios.figure_notes import estimate_notes
from atr_model.scenarios.instance_builder import InstanceBundle
from atr_model.scenarios.scenario import Scenario, scenario_hash

__all__ = ["compute_kpis", "estimate_notes", "kpi_estimate_basis", "provenance", "package_version"]


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def package_version() -> str:
    """atr-model's version: ``atr_model.__version__``, the one place it is set (``pyproject.toml`` reads it)."""
    return atr_model.__version__


def _number(value: Any) -> float | None:
    """JSON-safe float: None for NaN/inf/None."""
    if value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def _names(layer: pd.DataFrame, code: str) -> dict[str, dict[str, str]]:
    """Code -> its name columns (``name_en``, ``name_ru``, ``name_ky`` that are filled)."""
    columns = [c for c in ("name_en", "name_ru", "name_ky") if c in layer.columns]
    return {
        str(row[code]): {c: str(row[c]) for c in columns if isinstance(row[c], str) and row[c].strip()}
        for row in layer[[code, *columns]].to_dict("records")
    }


def provenance(scenario: Scenario, dataset: Dataset, travel_model: TravelModel, *, seconds: float) -> dict[str, Any]:
    """The ``provenance.json`` content; ``created_utc`` and ``seconds`` are the only run-dependent fields."""
    return {
        "scenario_name": scenario.name,
        "scenario_hash": scenario_hash(scenario),
        "dataset_name": dataset.name,
        "dataset_build_id": dataset.build_id,
        "dataset_kind": str(dataset.metadata.get("kind", "unknown")),
        # the words the reports print for this dataset (unit, district, currency, legal basis)
        "dataset_terms": dataset_terms(dataset).to_json(),
        # a dataset's own administrative cost model (the shipped one prices Kyrgyz offices in som)
        **({"dataset_cost_model": dataset.metadata["cost_model"]} if "cost_model" in dataset.metadata else {}),
        # district and region names: the reports name them, not their codes (the package has no layers)
        "district_names": _names(dataset.raions, "raion_code"),
        "region_names": _names(dataset.oblasts, "oblast_code"),
        "travel_model": travel_model.label,
        "package_version": package_version(),
        "python": platform.python_version(),
        "pulp": _version("pulp"),
        "highspy": _version("highspy"),
        "created_utc": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seconds": round(float(seconds), 3),
    }


def _proven(result: MergerResult, gap_rel: float) -> bool:
    """The engine's claim, checked against its own bound: a gap above the requested one is not
    a proof (seen with warm starts), whatever the status says."""
    gap = _number(result.gap)
    return bool(result.proven_optimal) and (gap is None or gap <= gap_rel + 1e-6)


def _solver(result: MergerResult, gap_rel: float = 0.0) -> dict[str, Any]:
    return {
        "status": str(result.status),
        "proven_optimal": _proven(result, gap_rel),
        "objective": _number(result.objective),
        "bound": _number(result.bound),
        "gap": _number(result.gap),
        "seconds": round(float(result.seconds), 3),
        "cut_rounds": int(result.cut_rounds),
        "contiguity_method": str(result.contiguity_method),
        "solver": str(result.solver),
        "notes": [str(n) for n in result.notes],
        # per group: proven, or the proven gap of its best plan (an answer under a time budget)
        "proof": result.proof(),
    }


def _aimak_units_after(bundle: InstanceBundle, assignments: pd.DataFrame) -> int | None:
    if bundle.level != "aiyl_aimak" or "level" not in assignments:
        return None
    level = assignments.set_index("unit_code")["level"].astype(str)
    centred_on_aimak = assignments["centre_code"].map(level).ne("town")
    return int(assignments.loc[centred_on_aimak, "new_unit_id"].nunique())


def compute_kpis(
    bundle: InstanceBundle,
    assignments: pd.DataFrame,
    settlements: pd.DataFrame,
    new_units: pd.DataFrame,
    engine_result: MergerResult,
    prov: dict[str, Any],
    *,
    gap_rel: float = 0.0,
) -> dict[str, Any]:
    """The ``kpis.json`` content (deterministic except ``solver.seconds``).

    Travel figures are settlement-level: the population-weighted mean over settlements with a
    modelled route to their new centre, and the worst such time (over all units, which includes
    units kept as they are, and over merged units only, where the travel limit applies).
    """
    floor = float(bundle.criteria.population_floor)
    pop = assignments["population"].to_numpy(dtype=float)
    exempt = assignments["exempt"].to_numpy(dtype=bool)
    t = settlements["travel_time_to_centre_min"].to_numpy(dtype=float)
    w = settlements["weight"].to_numpy(dtype=float)
    ok = np.isfinite(t)
    mean = float(np.sum(w[ok] * t[ok]) / np.sum(w[ok])) if ok.any() and np.sum(w[ok]) > 0 else None
    worst = float(np.max(t[ok])) if ok.any() else None
    sizes = assignments.groupby("new_unit_id").size()
    in_merged = ok & settlements["new_unit_id"].map(sizes).fillna(1).gt(1).to_numpy()
    worst_merged = float(np.max(t[in_merged])) if in_merged.any() else None
    towns = town_mask(assignments)
    new_pop = new_units["population"].to_numpy(dtype=float)
    est = bundle.estimated_inputs
    total_settlements = max(int(est.get("settlements_total", 0)), 1)
    kpis: dict[str, Any] = {
        "units_before": int(len(assignments)),
        "units_after": int(len(new_units)),
        # the floor every "below the floor" count refers to (printed beside them)
        "population_floor": floor,
        # what criteria.n_units counts with n_units_counts 'aiyl_aimak': new units centred on an aiyl aimak
        "aiyl_aimak_units_after": _aimak_units_after(bundle, assignments),
        "below_floor_before_non_exempt": int(np.sum((pop < floor) & ~exempt)) if floor > 0 else 0,
        "below_floor_after_non_exempt": int(new_units["below_floor"].sum()),
        "merged_units": int((assignments["status"] == "merged").sum()),
        "status_counts": {k: int(v) for k, v in sorted(assignments["status"].value_counts().items())},
        "population_weighted_mean_travel_min": None if mean is None else round(mean, 3),
        "worst_travel_min": None if worst is None else round(worst, 3),
        "worst_travel_min_in_merged_units": None if worst_merged is None else round(worst_merged, 3),
        "settlements_without_route_to_centre": int((~ok).sum()),
        # aiyl aimaks kept as they are by an exemption rule: towns are outside the floor, not
        # exempt from it; each unit counted once, under its first rule, so the rows add up
        "exempt_units": int(kept_exempt_mask(assignments).sum()),
        "towns": int(towns.sum()),
        "exempt_by_reason": exempt_by_reason(assignments),
        "new_unit_population": {
            "min": float(np.min(new_pop)) if len(new_pop) else None,
            "median": float(np.median(new_pop)) if len(new_pop) else None,
            "max": float(np.max(new_pop)) if len(new_pop) else None,
        },
        "solver": _solver(engine_result, gap_rel),
        "estimated_share": {
            "population": est.get("population_share_estimated", 0.0),
            "units_population": round(est.get("units_population_estimated", 0) / max(len(assignments), 1), 6),
            "settlements_population": round(est.get("settlements_population_estimated", 0) / total_settlements, 6),
            "settlements_not_located": round(est.get("settlements_not_located", 0) / total_settlements, 6),
            "new_units_with_estimates": round(float(new_units["population_has_estimates"].mean()), 6) if len(new_units) else 0.0,
            "travel_times_modelled": 1.0 if est.get("travel_times_modelled", True) else 0.0,
            # on roads: settlements joined to them by a connector longer than connector_modelled_m
            **({} if est.get("travel_times_modelled", True) else {
                "modelled_connectors": round(est.get("settlements_modelled_connector", 0) / total_settlements, 6)}),
        },
        "provenance": {k: prov[k] for k in ("scenario_name", "scenario_hash", "dataset_build_id", "travel_model")},
    }
    return _with_extra_kpis(kpis, bundle, assignments, settlements, new_units, prov)


def _with_extra_kpis(
    kpis: dict[str, Any],
    bundle: InstanceBundle,
    assignments: pd.DataFrame,
    settlements: pd.DataFrame,
    new_units: pd.DataFrame,
    prov: dict[str, Any],
) -> dict[str, Any]:
    """Add the further KPIs (population distribution, estimated savings) without overriding any.

    Savings rest on the dataset's cost model (:func:`dataset_cost_model`); without one that
    applies they are "not estimated" with the reason.
    """
    model, reason = dataset_cost_model(prov)
    extra = extra_kpis(assignments, new_units, settlements, level=bundle.level, cost_model=model)
    if reason:
        extra["admin_savings"] = not_estimated_savings(assignments, reason)
    for key, value in extra.items():
        if key == "estimated_share":
            kpis[key] = {**kpis[key], "admin_savings": value["admin_savings"]}
        else:
            kpis.setdefault(key, value)
    return kpis


#: KPIs measured on travel times: estimates when the times are modelled (no road data).
_TRAVEL_KPIS = (
    "population_weighted_mean_travel_min",
    "worst_travel_min",
    "worst_travel_min_in_merged_units",
    "settlements_without_route_to_centre",
)
#: KPIs (dotted keys or prefixes ending in ".") built on unit populations.
_POPULATION_KPIS = (
    "below_floor_before_non_exempt",
    "below_floor_after_non_exempt",
    "population_weighted_mean_travel_min",
    "new_unit_population.",
    "new_unit_population_distribution.",
)
#: Parts of ``admin_savings`` that describe the estimate rather than being one.
_SAVINGS_TEXT = ("admin_savings.basis", "admin_savings.is_estimate", "admin_savings.abolished_offices")


def _flat_keys(mapping: Mapping[str, Any], prefix: str = "") -> list[str]:
    keys = []
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        keys += _flat_keys(value, f"{name}.") if isinstance(value, Mapping) else [name]
    return keys


def kpi_estimate_basis(kpis: Mapping[str, Any]) -> dict[str, str]:
    """Which KPIs rest on estimated data, and why, keyed as flattened (``"a.b"``) KPI names.

    Parameters
    ----------
    kpis : mapping
        The content of ``kpis.json``.

    Returns
    -------
    dict
        Flat KPI key -> reason (for example ``"modelled travel times (no road network)"``), for
        every figure that rests on estimates; figures from measured inputs only are absent.
    """
    notes = estimate_notes(kpis)
    basis: dict[str, str] = {}
    for key in _flat_keys(kpis):
        reasons = []
        if key in _TRAVEL_KPIS:
            reasons.append(notes["travel"])
        if any(key == p or (p.endswith(".") and key.startswith(p)) for p in _POPULATION_KPIS):
            reasons.append(notes["population"])
        if key.startswith("admin_savings.") and key not in _SAVINGS_TEXT:
            reasons.append(notes["savings"])
        text = "; ".join(r for r in reasons if r)
        if text:
            basis[key] = text
    return basis
