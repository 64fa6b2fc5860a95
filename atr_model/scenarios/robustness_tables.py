"""Scenario layer (robustness): the stability tables, KPI intervals, regret and fragile decisions.

Everything here is a pure function of the nominal plan and the draws' outcomes (in draw order),
so the same draws give byte-identical tables whichever executor solved them. Shares are over
the draws that gave a plan; drawn inputs (populations, travel factors) are over all draws.
Every figure computed from drawn inputs is an estimate and is labelled so where shown.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from atr_model.optimisation import EngineSettings, MergerInstance
from atr_model.scenarios.instance_builder import InstanceBundle
from atr_model.scenarios.robustness_solve import DrawOutcome, plan_objective
from atr_model.scenarios.uncertainty import Draw, DrawBasis, apply_draw

__all__ = [
    "PlanSet",
    "fragile_decisions",
    "hinge_parts",
    "hinge_text",
    "kpi_intervals",
    "new_unit_stability",
    "pair_stability",
    "regret_table",
    "share_text",
    "unit_stability",
    "unit_statuses",
]

#: A nominal new unit counts as stable when it appears exactly in at least this share of draws.
STABLE_SHARE = 0.8


def _members(assignment: np.ndarray) -> dict[int, tuple[int, ...]]:
    """Centre -> sorted member indices."""
    out: dict[int, list[int]] = {}
    for i, c in enumerate(assignment):
        out.setdefault(int(c), []).append(i)
    return {c: tuple(m) for c, m in out.items()}


def unit_statuses(assignment: np.ndarray) -> np.ndarray:
    """Per unit: ``"kept"`` (alone), ``"centre"`` (centre of a merged unit) or ``"merged"``."""
    a = np.asarray(assignment, dtype=np.int64)
    size = np.bincount(a, minlength=a.size)
    idx = np.arange(a.size)
    return np.where(a != idx, "merged", np.where(size[a] > 1, "centre", "kept")).astype(object)


@dataclass(frozen=True, eq=False)
class PlanSet:
    """The nominal plan and the draws' plans, with what the tables need about the units.

    Attributes
    ----------
    codes, names, raions : numpy.ndarray
        Per unit (instance order).
    nominal : numpy.ndarray
        Nominal assignment.
    plans : numpy.ndarray
        ``(draws that gave a plan, n)`` assignments, in draw order.
    populations : numpy.ndarray
        ``(all draws, n)`` drawn populations.
    factors : numpy.ndarray
        ``(all draws, n)`` travel factor of each unit.
    ok : numpy.ndarray of bool
        Per draw: it gave a plan.
    new_unit_id : numpy.ndarray
        Nominal new-unit id per unit.
    is_estimate : numpy.ndarray of bool
        Per unit: the population is drawn.
    floor : float or None
        Population floor.
    exempt : numpy.ndarray of bool
    nominal_population : numpy.ndarray
    """

    codes: np.ndarray
    names: np.ndarray
    raions: np.ndarray
    nominal: np.ndarray
    plans: np.ndarray
    populations: np.ndarray
    factors: np.ndarray
    ok: np.ndarray
    new_unit_id: np.ndarray
    is_estimate: np.ndarray
    floor: float | None
    exempt: np.ndarray
    nominal_population: np.ndarray

    @classmethod
    def build(cls, bundle: InstanceBundle, basis: DrawBasis, nominal: np.ndarray, outcomes: list[DrawOutcome],
              new_unit_id: dict[str, str], floor: float | None) -> PlanSet:
        """Collect the arrays (outcomes in draw order)."""
        codes = np.asarray(bundle.instance.unit_codes, dtype=object)
        n = codes.size
        ok = np.array([o.assignment is not None for o in outcomes], dtype=bool)
        plans = np.array([o.assignment for o in outcomes if o.assignment is not None], dtype=np.int64).reshape(-1, n)
        pops = np.array([o.population for o in outcomes], dtype=float).reshape(-1, n)
        factors = np.array([np.asarray(o.travel_factor)[basis.factor_of_unit] for o in outcomes],
                           dtype=float).reshape(-1, n)
        return cls(
            codes=codes,
            names=np.asarray(bundle.instance.names, dtype=object),
            raions=bundle.units["raion_code"].astype(str).to_numpy(dtype=object),
            nominal=np.asarray(nominal, dtype=np.int64),
            plans=plans,
            populations=pops,
            factors=factors,
            ok=ok,
            new_unit_id=np.array([new_unit_id[str(c)] for c in codes], dtype=object),
            is_estimate=basis.log_sd > 0,
            floor=floor,
            exempt=np.asarray(bundle.instance.exempt, dtype=bool),
            nominal_population=np.asarray(basis.population, dtype=float),
        )

    @property
    def n_ok(self) -> int:
        """Draws that gave a plan."""
        return int(self.plans.shape[0])

    def same_unit(self) -> np.ndarray:
        """``(draws, n)`` bool: unit ``i`` is in a new unit with exactly its nominal members."""
        nominal_members = _members(self.nominal)
        key0 = [nominal_members[int(c)] for c in self.nominal]
        out = np.zeros(self.plans.shape, dtype=bool)
        for d, plan in enumerate(self.plans):
            members = _members(plan)
            for i, c in enumerate(plan):
                out[d, i] = members[int(c)] == key0[i]
        return out

    def label(self, i: int) -> str:
        """``name (code)``."""
        return f"{self.names[i]} ({self.codes[i]})" if self.names[i] != self.codes[i] else str(self.codes[i])


def _share(count: np.ndarray | float, total: int) -> np.ndarray | float:
    return np.round(np.asarray(count, dtype=float) / total, 4) if total else np.nan


def share_text(x: float) -> str:
    """A share of draws as a percentage ("62%", "<1%", ">99%")."""
    if 0 < x < 0.005:
        return "<1%"
    if 0.995 < x < 1:
        return ">99%"
    return f"{100 * x:.0f}%"


def unit_stability(ps: PlanSet, hinges: dict[int, str], fragile_share: float) -> pd.DataFrame:
    """``unit_stability.csv``: per unit, its nominal decision and how often the draws agree.

    Columns: ``unit_code, unit_name, raion_code, nominal_new_unit_id, nominal_centre_code,
    nominal_status, share_same_unit, share_same_centre, share_kept, share_centre, share_merged,
    population_nominal, population_is_estimate, population_p5_estimate, population_p95_estimate,
    fragile, hinges_on``.
    """
    total = ps.n_ok
    same = ps.same_unit()
    status0 = unit_statuses(ps.nominal)
    statuses = np.array([unit_statuses(p) for p in ps.plans], dtype=object).reshape(-1, ps.codes.size)
    same_centre = (ps.plans == ps.nominal[None, :]).sum(axis=0) if total else np.zeros(ps.codes.size)
    share_same = _share(same.sum(axis=0), total)
    frame = pd.DataFrame({
        "unit_code": ps.codes,
        "unit_name": ps.names,
        "raion_code": ps.raions,
        "nominal_new_unit_id": ps.new_unit_id,
        "nominal_centre_code": ps.codes[ps.nominal],
        "nominal_status": status0,
        "share_same_unit": share_same,
        "share_same_centre": _share(same_centre, total),
        "share_kept": _share((statuses == "kept").sum(axis=0), total),
        "share_centre": _share((statuses == "centre").sum(axis=0), total),
        "share_merged": _share((statuses == "merged").sum(axis=0), total),
        "population_nominal": np.round(ps.nominal_population, 1),
        "population_is_estimate": ps.is_estimate,
        "population_p5_estimate": np.round(np.percentile(ps.populations, 5, axis=0), 1),
        "population_p95_estimate": np.round(np.percentile(ps.populations, 95, axis=0), 1),
    })
    frame["fragile"] = np.asarray(share_same, dtype=float) < 1.0 - fragile_share - 1e-12
    frame["hinges_on"] = [hinges.get(i, "") for i in range(ps.codes.size)]
    return cast("pd.DataFrame", frame.sort_values("unit_code", kind="stable").reset_index(drop=True))


def pair_stability(ps: PlanSet) -> pd.DataFrame:
    """``pair_stability.csv``: pairs together in the nominal plan or in any draw.

    Columns: ``unit_a, unit_b, unit_a_name, unit_b_name, together_nominal, share_together``.
    """
    counts: Counter[tuple[int, int]] = Counter()
    for plan in ps.plans:
        for members in _members(plan).values():
            for a_pos, a in enumerate(members):
                for b in members[a_pos + 1:]:
                    counts[(a, b)] += 1
    nominal_pairs = set()
    for members in _members(ps.nominal).values():
        for a_pos, a in enumerate(members):
            for b in members[a_pos + 1:]:
                nominal_pairs.add((a, b))
    keys = sorted(set(counts) | nominal_pairs, key=lambda ab: (ps.codes[ab[0]], ps.codes[ab[1]]))
    rows = []
    for a, b in keys:
        first, second = sorted((a, b), key=lambda k: ps.codes[k])
        rows.append({
            "unit_a": ps.codes[first], "unit_b": ps.codes[second],
            "unit_a_name": ps.names[first], "unit_b_name": ps.names[second],
            "together_nominal": (a, b) in nominal_pairs,
            "share_together": _share(counts.get((a, b), 0), ps.n_ok),
        })
    frame = pd.DataFrame(rows, columns=["unit_a", "unit_b", "unit_a_name", "unit_b_name", "together_nominal",
                                        "share_together"])
    return cast("pd.DataFrame", frame.sort_values(["unit_a", "unit_b"], kind="stable").reset_index(drop=True))


def new_unit_stability(ps: PlanSet) -> pd.DataFrame:
    """``new_unit_stability.csv``: per nominal new unit, how often it appears exactly.

    Columns: ``new_unit_id, centre_code, centre_name, members, n_members, share_exact,
    share_same_centre, stable, population_nominal, population_p5_estimate,
    population_p50_estimate, population_p95_estimate, share_below_floor``.
    """
    nominal = _members(ps.nominal)
    draw_sets = [{m: c for c, m in _members(p).items()} for p in ps.plans]
    rows = []
    for centre, members in nominal.items():
        idx = np.asarray(members, dtype=np.int64)
        exact = sum(members in sets for sets in draw_sets)
        same_centre = sum(sets.get(members) == centre for sets in draw_sets)
        pops = ps.populations[:, idx].sum(axis=1)
        non_exempt = bool((~ps.exempt[idx]).any())
        below = (float(np.mean(pops < ps.floor)) if ps.floor and non_exempt else 0.0)
        share_exact = _share(exact, ps.n_ok)
        rows.append({
            "new_unit_id": ps.new_unit_id[centre],
            "centre_code": ps.codes[centre],
            "centre_name": ps.names[centre],
            "members": ";".join(sorted(str(ps.codes[i]) for i in members)),
            "n_members": len(members),
            "share_exact": share_exact,
            "share_same_centre": _share(same_centre, ps.n_ok),
            "stable": bool(share_exact >= STABLE_SHARE - 1e-12),
            "population_nominal": round(float(ps.nominal_population[idx].sum()), 1),
            "population_p5_estimate": round(float(np.percentile(pops, 5)), 1),
            "population_p50_estimate": round(float(np.percentile(pops, 50)), 1),
            "population_p95_estimate": round(float(np.percentile(pops, 95)), 1),
            "share_below_floor": round(below, 4),
        })
    return cast("pd.DataFrame", pd.DataFrame(rows).sort_values("new_unit_id", kind="stable").reset_index(drop=True))


def _plan_kpis(inst: MergerInstance, assignment: np.ndarray, floor: float | None, travel_weight: float,
               travel_cost: bool) -> dict[str, float]:
    a = np.asarray(assignment, dtype=np.int64)
    idx = np.arange(a.size)
    centres = np.unique(a)
    pops = np.array([inst.population[a == c].sum() for c in centres])
    needs = np.array([(~inst.exempt[a == c]).any() for c in centres])
    out = {
        "units_after": float(centres.size),
        "below_floor_after": float(((pops < floor) & needs).sum()) if floor else 0.0,
        "new_unit_population_min": float(pops.min()),
        "new_unit_population_median": float(np.median(pops)),
        "worst_travel_min": float(inst.travel_time_min[idx, a].max()),
    }
    if travel_cost and travel_weight > 0:
        out["population_weighted_mean_travel_min"] = float(inst.cost[idx, a].sum() / travel_weight
                                                           / max(inst.population.sum(), 1e-9))
    return out


def kpi_intervals(ps: PlanSet, instance: MergerInstance, basis: DrawBasis, outcomes: list[DrawOutcome],
                  settings: EngineSettings,
                  travel_weight: float) -> dict[str, Any]:
    """``kpi_intervals.json``: p5 / p50 / p95 of every KPI of the draws' own plans.

    Also the nominal value (nominal plan, nominal inputs) and the regret's interval.
    """
    floor = ps.floor
    travel_cost = basis.scale_cost_by_travel
    nominal = _plan_kpis(instance, ps.nominal, floor, travel_weight, travel_cost)
    nominal["objective"] = plan_objective(instance, settings, ps.nominal)
    per_draw: list[dict[str, float]] = []
    for o in outcomes:
        if o.assignment is None:
            continue
        drawn = apply_draw(instance, basis, Draw(o.population, o.travel_factor,
                                                 np.asarray(o.travel_factor)[basis.factor_of_unit],
                                                 np.zeros(0, dtype=bool)))
        row = _plan_kpis(drawn, o.assignment, floor, travel_weight, travel_cost)
        row["objective"] = float(o.objective)
        row["regret"] = float(o.nominal_objective - o.objective)
        row["regret_rel"] = float((o.nominal_objective - o.objective) / abs(o.objective)) if o.objective else 0.0
        per_draw.append(row)
    kpis: dict[str, Any] = {}
    for key in sorted({k for row in per_draw for k in row} | set(nominal)):
        values = np.array([row[key] for row in per_draw if key in row and math.isfinite(row[key])], dtype=float)
        entry: dict[str, Any] = {"nominal": _round(nominal.get(key))}
        if values.size:
            entry.update(p5=_round(np.percentile(values, 5)), p50=_round(np.percentile(values, 50)),
                         p95=_round(np.percentile(values, 95)))
        else:
            entry.update(p5=None, p50=None, p95=None)
        entry["estimate"] = True
        kpis[key] = entry
    return {
        "draws": len(outcomes),
        "draws_with_plan": ps.n_ok,
        "note": "estimates: percentiles over the draws' own optimal plans under drawn inputs (assumed spreads)",
        "kpis": kpis,
    }


def _round(value: Any) -> Any:
    if value is None:
        return None
    value = float(value)
    return round(value, 4) if math.isfinite(value) else None


def regret_table(outcomes: list[DrawOutcome], nominal: np.ndarray) -> pd.DataFrame:
    """``regret.csv``: per draw, the nominal plan's objective under the draw against the draw's optimum.

    Columns: ``draw, status, objective_draw_optimum, objective_nominal_plan, regret, regret_rel,
    nominal_plan_feasible, nominal_plan_violations, same_plan, units_after, groups_solved,
    groups_reused, groups_alone, error``.
    """
    rows = []
    for o in outcomes:
        has = o.assignment is not None
        regret = o.nominal_objective - o.objective if has else math.nan
        rows.append({
            "draw": o.draw,
            "status": o.status,
            "objective_draw_optimum": _round(o.objective) if has else None,
            "objective_nominal_plan": _round(o.nominal_objective) if has else None,
            "regret": _round(regret) if has else None,
            "regret_rel": _round(regret / abs(o.objective)) if has and o.objective else (0.0 if has else None),
            "nominal_plan_feasible": bool(o.nominal_feasible) if has else None,
            "nominal_plan_violations": o.nominal_violations,
            "same_plan": bool(np.array_equal(o.assignment, nominal)) if o.assignment is not None else None,
            "units_after": int(np.unique(o.assignment).size) if o.assignment is not None else None,
            "groups_solved": o.groups_solved,
            "groups_reused": o.groups_reused,
            "groups_alone": o.groups_alone,
            "error": o.error,
        })
    return cast("pd.DataFrame", pd.DataFrame(rows))


def _corr(x: np.ndarray, y: np.ndarray) -> float:
    if x.size < 3 or np.std(x) == 0 or np.std(y) == 0:
        return 0.0
    return float(abs(np.corrcoef(x, y)[0, 1]))


def _population_part(ps: PlanSet, k: int) -> dict[str, Any]:
    """The drawn population of unit ``k`` as a hinge (figures only; texts are composed from them)."""
    pops = ps.populations[:, k]
    part: dict[str, Any] = {"kind": "population", "unit_code": str(ps.codes[k]), "unit_label": ps.label(k),
                            "nominal": float(ps.nominal_population[k]), "p5": float(np.percentile(pops, 5)),
                            "p95": float(np.percentile(pops, 95)), "floor": None, "above": None}
    if ps.floor:
        above = float(np.mean(pops >= ps.floor))
        if 0 < above < 1:
            part["floor"], part["above"] = float(ps.floor), above
    return part


def _travel_part(ps: PlanSet, i: int) -> dict[str, Any]:
    """The drawn travel factor of unit ``i``'s raion as a hinge."""
    f = ps.factors[:, i]
    return {"kind": "travel", "raion": str(ps.raions[i]), "p5": float(np.percentile(f, 5)),
            "p95": float(np.percentile(f, 95))}


def _input_text(part: dict[str, Any]) -> str:
    """One hinge in English (the table's text; the report composes other languages from the parts)."""
    if part["kind"] == "travel":
        return (f"the modelled travel times of raion {part['raion']} (detour/speed factor "
                f"{part['p5']:.2f}-{part['p95']:.2f}, estimate)")
    text = (f"the population estimate of {part['unit_label']}, {part['nominal']:,.0f} (estimate; drawn "
            f"{part['p5']:,.0f}-{part['p95']:,.0f})")
    if part["above"] is not None:
        text += f": above {part['floor']:,.0f} in {share_text(part['above'])} of draws"
    return text


def hinge_text(parts: dict[str, Any]) -> str:
    """The English sentence of :func:`hinge_parts` for one unit ("merged in 62% of draws ...")."""
    head = (f"{parts['status']} in {share_text(parts['share_status'])} of draws (same new unit in "
            f"{share_text(parts['share_same'])})")
    if parts["knife_edge"]:
        head += ": the nominal decision sits on a knife edge"
    if not parts["inputs"]:
        return head + "; no single estimated input explains it (several interact)"
    return head + "; hinges on " + " and ".join(_input_text(p) for p in parts["inputs"])


def hinge_parts(ps: PlanSet, fragile: np.ndarray, same: np.ndarray, travel_drawn: bool) -> dict[int, dict[str, Any]]:
    """For each unit marked in ``fragile``, the estimated inputs its decision hinges on.

    Candidates are the drawn populations of the units it shares a new unit with (nominally or in
    any draw) and its raion's travel factor; they are ranked by the absolute correlation of the
    drawn value (log) with the decision flipping, and the best one or two are named. Each entry
    holds figures only (``status``, ``share_status``, ``share_same``, ``knife_edge``, ``inputs``),
    so that the sentence can be composed in any language (:func:`hinge_text` for English).
    """
    out: dict[int, dict[str, Any]] = {}
    if ps.n_ok == 0:
        return out
    ok_pops = ps.populations[ps.ok]
    ok_factors = ps.factors[ps.ok]
    status0 = unit_statuses(ps.nominal)
    statuses = np.array([unit_statuses(p) for p in ps.plans], dtype=object).reshape(-1, ps.codes.size)
    for i in np.flatnonzero(fragile):
        flip = (~same[:, i]).astype(float)
        partners = set(np.flatnonzero(ps.nominal == ps.nominal[i]).tolist())
        for plan in ps.plans:
            partners |= set(np.flatnonzero(plan == plan[i]).tolist())
        # a decision that flips in every draw has no contrast to correlate with: rank the estimates
        # by how often they fall on either side of the floor instead (knife-edge inputs first)
        constant = bool(flip.min() == flip.max())
        scored: list[tuple[float, str, dict[str, Any]]] = []
        for k in sorted(partners):
            if ps.is_estimate[k]:
                if constant:
                    above = float(np.mean(ok_pops[:, k] >= ps.floor)) if ps.floor else 0.0
                    score = min(above, 1.0 - above) + 1e-3
                else:
                    score = _corr(np.log(ok_pops[:, k] / max(ps.nominal_population[k], 1e-9)), flip)
                scored.append((score, str(ps.codes[k]), _population_part(ps, k)))
        if travel_drawn:
            score = 5e-4 if constant else _corr(np.log(ok_factors[:, i]), flip)
            scored.append((score, "~travel", _travel_part(ps, int(i))))
        scored.sort(key=lambda s: (-s[0], s[1]))
        named = [s for s in scored if s[0] > 0]
        chosen = ([named[0]] + [s for s in named[1:2] if s[0] >= 0.5 * named[0][0]]) if named else []
        out[int(i)] = {"status": str(status0[i]), "share_status": float(np.mean(statuses[:, i] == status0[i])),
                       "share_same": float(np.mean(same[:, i])), "knife_edge": constant,
                       "inputs": [s[2] for s in chosen]}
    return out


def fragile_decisions(units: pd.DataFrame) -> pd.DataFrame:
    """``fragile_decisions.csv``: the fragile rows of the unit table, most fragile first.

    Columns: ``rank, unit_code, unit_name, raion_code, nominal_status, nominal_new_unit_id,
    share_same_unit, hinges_on``.
    """
    cols = ["unit_code", "unit_name", "raion_code", "nominal_status", "nominal_new_unit_id", "share_same_unit",
            "hinges_on"]
    frame = units.loc[units["fragile"].astype(bool), cols].sort_values(
        ["share_same_unit", "unit_code"], kind="stable").reset_index(drop=True)
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    return cast("pd.DataFrame", frame)
