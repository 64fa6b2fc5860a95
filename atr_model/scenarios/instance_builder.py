"""From a dataset, its travel model and the criteria to the engine's :class:`MergerInstance`.

Costs are person-minutes: ``cost[i, j] = sum over settlements s of unit i of w_s x t(s, centre
of j)``, where ``w_s`` are the settlement populations rescaled to sum to the unit population
(equal shares when a unit's settlements have no population figure), and
``travel_time_min[i, j]`` is the worst of those ``t``. A pair is ``inf`` when a settlement of
``i`` has no modelled route to the centre of ``j`` (the travel model lists candidate centres of
the settlement's raion and its neighbours only). At raion level (Concept stage 2.2) the units
are raions and both matrices use centre-to-centre travel times.
"""

from __future__ import annotations

import dataclasses as _dc
import logging
import re
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from atr_model.criteria.exemptions import compute_exemptions
from atr_model.criteria.model import Criteria
from atr_model.data.contract import is_estimate_source
from atr_model.data.dataset import Dataset
from atr_model.data.geo import haversine_km
from atr_model.data.translit import is_cyrillic, latin_unit_name
from atr_model.errors import CriteriaError, InfeasibleError
from atr_model.network import TravelModel
from atr_model.optimisation.instance import MergerInstance

__all__ = [
    "APPROXIMATE_TERRITORY",
    "InstanceBundle",
    "Level",
    "build_instance",
    "merge_estimate_notes",
    "unit_display_name",
]

#: The part of a unit's ``estimated_inputs`` text that says its territory (and area) is approximate.
APPROXIMATE_TERRITORY = "territory (approximate)"

logger = logging.getLogger(__name__)

Level = Literal["aiyl_aimak", "raion"]


@dataclass(frozen=True, eq=False)
class InstanceBundle:
    """The engine input plus the tables needed to explain and report a plan.

    Attributes
    ----------
    instance : MergerInstance
        Matrix-level engine input; position ``i`` is row ``i`` of ``units``.
    level : {"aiyl_aimak", "raion"}
        What the instance's units are.
    units : pandas.DataFrame
        One row per instance unit, in instance order: ``unit_code``, ``unit_name``, ``level``,
        ``raion_code``, ``oblast_code``, ``population``, ``population_is_estimate``,
        ``area_km2``, ``exempt``, ``exempt_rules``, ``exempt_reason``, ``indicator`` (NaN when
        off or unknown), ``centre_eligible``, ``estimated_inputs`` (text).
    settlements : pandas.DataFrame
        ``settlement_code``, ``settlement_name``, ``unit_code`` (instance unit),
        ``source_unit_code``, ``population``, ``population_is_estimate``, ``is_located``,
        ``weight`` (population share used in the costs).
    settlement_times : pandas.DataFrame
        ``settlement_code``, ``centre_code`` (instance unit whose centre is reached),
        ``travel_time_min``: every modelled settlement-to-candidate-centre time.
    exemptions : pandas.DataFrame
        Output of :func:`~atr_model.criteria.compute_exemptions` (aiyl aimak level).
    estimated_inputs : dict
        Counts of estimated inputs (population, settlement locations, travel model, territory).
    criteria : Criteria
        The criteria the instance encodes.
    barrier_pairs : tuple of (str, str)
        Unit pairs not adjacent because only a modelled barrier joins them (criterion 1).
    """

    instance: MergerInstance
    level: str
    units: pd.DataFrame
    settlements: pd.DataFrame
    settlement_times: pd.DataFrame
    exemptions: pd.DataFrame
    estimated_inputs: dict[str, Any] = field(default_factory=dict)
    criteria: Criteria = field(default_factory=Criteria)
    barrier_pairs: tuple[tuple[str, str], ...] = ()


#: one unit's (or settlement's, or raion's) attributes: a table row or its ``to_dict`` record
UnitRow = pd.Series | Mapping[str, Any] | Mapping[Hashable, Any]


def unit_display_name(row: UnitRow) -> str:
    """English name, else the Kyrgyz or Russian name transliterated to Latin, else the code.

    One script in English tables: a unit with only Cyrillic names is written with
    :func:`atr_model.data.translit.latin_unit_name` ("Ак-Шыйракский айылный аймак" ->
    "Ak-Shyirak"); ``unit_name_ky`` / ``unit_name_ru`` (:func:`unit_local_names`) keep the
    Cyrillic names for reports in those languages.
    """
    english = row.get("name_en")
    if isinstance(english, str) and english.strip() and not is_cyrillic(english):
        return english.strip()
    for key in ("name_ky", "name_ru", "name_en"):
        value = row.get(key)
        if isinstance(value, str) and value.strip():
            return latin_unit_name(value)
    return str(row.get("unit_code", row.get("raion_code", "")))


def unit_name_transliterated(row: UnitRow) -> bool:
    """Whether :func:`unit_display_name` writes this unit's name by transliteration."""
    english = row.get("name_en")
    if isinstance(english, str) and english.strip() and not is_cyrillic(english):
        return False
    return any(isinstance(v := row.get(k), str) and v.strip() for k in ("name_ky", "name_ru", "name_en"))


def unit_local_names(row: UnitRow, lang: str) -> str:
    """The unit's name in Kyrgyz (``lang`` "ky") or Russian ("ru"), the other as a fallback ("" if none)."""
    order = ("name_ky", "name_ru") if lang == "ky" else ("name_ru", "name_ky")
    for key in order:
        value = row.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    return cast("pd.DataFrame", pd.DataFrame(frame.drop(columns="geometry", errors="ignore")).copy())


def _settlement_weights(settlements: pd.DataFrame, unit_population: pd.Series) -> np.ndarray:
    """Settlement populations rescaled so that each unit's weights sum to its population."""
    pop = pd.to_numeric(settlements["population"], errors="coerce").fillna(0.0).clip(lower=0.0)
    unit = settlements["unit_code"]
    total = pop.groupby(unit).transform("sum")
    count = unit.groupby(unit).transform("size")
    share = np.where(total > 0, pop / total.where(total > 0, 1.0), 1.0 / count)
    return cast("np.ndarray", share * unit.map(unit_population).fillna(0.0).to_numpy(dtype=float))


def _travel_times(travel_model: TravelModel) -> pd.DataFrame:
    frame = pd.DataFrame(travel_model.settlement_centre_times)[["settlement_code", "centre_unit_code", "travel_time_min"]].copy()
    frame["travel_time_min"] = pd.to_numeric(frame["travel_time_min"], errors="coerce").fillna(np.inf)
    return cast("pd.DataFrame", frame)


def _pair_matrices(
    times: pd.DataFrame, codes: list[str], n_settlements: pd.Series, centre_xy: pd.DataFrame | None
) -> tuple[np.ndarray, np.ndarray]:
    """Cost and worst-time matrices from a (settlement, unit, centre, time, weight) table."""
    n = len(codes)
    pos = {c: k for k, c in enumerate(codes)}
    cost = np.full((n, n), np.inf)
    worst = np.full((n, n), np.inf)
    if times.empty:
        return cost, worst
    t = times["travel_time_min"].to_numpy(dtype=float)
    w = times["weight"].to_numpy(dtype=float)
    if centre_xy is not None:
        d = haversine_km(times["lon"], times["lat"], times["centre_lon"], times["centre_lat"])
        person = np.where(np.isinf(t), np.inf, w * d * d)
    else:
        person = np.where(np.isinf(t), np.inf, w * np.where(np.isinf(t), 0.0, t))
    frame = times.assign(person=person)
    agg = frame.groupby(["unit_code", "centre_code"], sort=True).agg(
        cost=("person", "sum"), worst=("travel_time_min", "max"), count=("settlement_code", "nunique")
    ).reset_index()
    agg = agg[agg["count"].to_numpy() == agg["unit_code"].map(n_settlements).to_numpy()]
    rows = agg["unit_code"].map(pos).to_numpy(dtype=np.int64)
    cols = agg["centre_code"].map(pos).to_numpy(dtype=np.int64)
    cost[rows, cols] = agg["cost"].to_numpy(dtype=float)
    worst[rows, cols] = agg["worst"].to_numpy(dtype=float)
    cost[~np.isfinite(worst)] = np.inf
    return cost, worst


def _own_centre_fallback(
    cost: np.ndarray, worst: np.ndarray, times: pd.DataFrame, codes: list[str]
) -> list[str]:
    """Keep the status quo possible: a unit can always remain its own centre.

    A unit whose settlements lack a route to its own centre (or that has no settlements) gets
    the finite part of its own cost; the returned codes are reported as estimated inputs.
    """
    patched = []
    own = times[times["unit_code"] == times["centre_code"]]
    finite = own[np.isfinite(own["travel_time_min"].to_numpy(dtype=float))]
    part_cost = (finite["weight"] * finite["travel_time_min"]).groupby(finite["unit_code"]).sum()
    part_worst = finite["travel_time_min"].groupby(finite["unit_code"]).max()
    for k, code in enumerate(codes):
        if np.isfinite(cost[k, k]):
            continue
        cost[k, k] = float(part_cost.get(code, 0.0))
        worst[k, k] = float(part_worst.get(code, 0.0))
        patched.append(code)
    if patched:
        logger.warning("units without a full route to their own centre (kept possible): %s", ", ".join(patched))
    return patched


def _adjacency_pairs(
    travel_model: TravelModel, codes: list[str], landscape_barriers: bool, mapper: dict[str, str] | None = None
) -> tuple[list[tuple[int, int]], list[tuple[str, str]]]:
    """Index pairs from the travel model's adjacency; barrier pairs dropped when asked."""
    adjacency = travel_model.adjacency
    if len(adjacency) == 0:
        return [], []
    frame = pd.DataFrame(adjacency)
    pos = {c: k for k, c in enumerate(codes)}
    a = frame["unit_a"].astype(str)
    b = frame["unit_b"].astype(str)
    if mapper is not None:
        a, b = a.map(mapper), b.map(mapper)
    barrier = frame["barrier"].astype(bool) if "barrier" in frame else pd.Series(False, index=frame.index)
    pairs: set[tuple[int, int]] = set()
    dropped: set[tuple[str, str]] = set()
    for ua, ub, is_barrier in zip(a, b, barrier):
        if ua not in pos or ub not in pos or ua == ub:
            continue
        i, j = sorted((pos[ua], pos[ub]))
        if is_barrier and landscape_barriers:
            dropped.add((codes[i], codes[j]))
            continue
        pairs.add((i, j))
    dropped -= {(codes[i], codes[j]) for i, j in pairs}
    return sorted(pairs), sorted(dropped)


def _lock_pairs(
    pairs: tuple[tuple[str, str], ...], pos: dict[str, int], key: str
) -> np.ndarray:
    out = []
    for a, b in pairs:
        for code in (a, b):
            if code not in pos:
                raise CriteriaError(f"criteria.locks.{key}: unknown unit code {code!r}")
        if a == b:
            raise CriteriaError(f"criteria.locks.{key}: pair ({a!r}, {b!r}) names one unit twice")
        out.append((pos[a], pos[b]))
    return np.asarray(out, dtype=np.int64).reshape(-1, 2)


def _check_locks(units: pd.DataFrame, must: np.ndarray, cannot: np.ndarray, keep: np.ndarray, criteria: Criteria) -> None:
    """Fail before the solver on locks that contradict nesting or each other."""
    codes = units["unit_code"].tolist()
    labels = [c if n == c else f"{n} ({c})" for n, c in zip(units["unit_name"], codes)]  # as MergerInstance.label
    group = units["group"].tolist()
    for i, j in must:
        if group[i] != group[j]:
            raise InfeasibleError(
                f"together-lock {labels[i]} + {labels[j]} crosses the nesting boundary "
                f"(nesting '{criteria.nesting}': {group[i]} vs {group[j]}); relax the lock or the nesting",
                [{"constraint": "together/nesting", "units": [codes[i], codes[j]]}],
                code="together.nesting",
                params={"unit": codes[i], "other": codes[j], "nesting": str(criteria.nesting),
                        "group": str(group[i]), "other_group": str(group[j])},
            )
        for k in (i, j):
            if keep[k]:
                other = j if k == i else i
                raise InfeasibleError(
                    f"together-lock {labels[i]} + {labels[j]} contradicts keep_separate on {labels[k]}"
                    f" (it may not merge with {labels[other]})",
                    [{"constraint": "together/keep_separate", "units": [codes[i], codes[j]]}],
                    code="together.keep_separate",
                    params={"unit": codes[i], "other": codes[j], "locked": codes[k], "partner": codes[other]},
                )
    together = {tuple(sorted((int(i), int(j)))) for i, j in must}
    for i, j in cannot:
        if tuple(sorted((int(i), int(j)))) in together:
            raise InfeasibleError(
                f"units {labels[i]} and {labels[j]} are locked both together and apart",
                [{"constraint": "together/apart", "units": [codes[i], codes[j]]}],
                code="together.apart", params={"unit": codes[i], "other": codes[j]},
            )


def _estimate_text(row: pd.Series, travel_modelled: bool) -> str:
    parts = []
    if row.get("population_is_estimate"):
        parts.append("population (estimate)")
    if row.get("settlements_estimated_population", 0):
        parts.append(f"village populations ({int(row['settlements_estimated_population'])} estimated)")
    if row.get("settlements_not_located", 0):
        parts.append(f"village locations ({int(row['settlements_not_located'])} stand-ins)")
    if row.get("geometry_is_approximate"):
        parts.append(APPROXIMATE_TERRITORY)
    if travel_modelled:
        parts.append("travel times (modelled: no road data)")
    if row.get("own_route_patched"):
        parts.append("travel to own centre (incomplete routes)")
    if row.get("settlements_modelled_connector", 0):
        parts.append(f"road connectors ({int(row['settlements_modelled_connector'])} modelled)")
    return "; ".join(parts)


_COUNTED_PART = re.compile(r"^(?P<what>.+) \((?P<n>\d+) (?P<word>[^()]+)\)$")


def merge_estimate_notes(notes: Iterable[str]) -> str:
    """The ``estimated_inputs`` note of several units together (a new unit's members).

    Parts that count something ("village populations (4 estimated)") are added up across the
    notes, so a new unit says "village populations (10 estimated)" once, not one part per
    member; the other parts appear once. Parts are sorted, so the note does not depend on the
    members' order.

    Parameters
    ----------
    notes : iterable of str
        Unit notes as :func:`build_instance` writes them ("; "-separated parts); empty ones are
        skipped.

    Returns
    -------
    str
    """
    counts: dict[tuple[str, str], int] = {}
    plain: set[str] = set()
    for note in notes:
        for part in str(note or "").split("; "):
            counted = _COUNTED_PART.match(part)
            if counted:
                key = (counted["what"], counted["word"])
                counts[key] = counts.get(key, 0) + int(counted["n"])
            elif part:
                plain.add(part)
    parts = plain | {f"{what} ({n} {word})" for (what, word), n in counts.items()}
    return "; ".join(sorted(parts))


def _groups(units: pd.DataFrame, nesting: str) -> list[str]:
    if nesting == "raion":
        return units["raion_code"].astype(str).tolist()
    if nesting == "oblast":
        return units["oblast_code"].astype(str).tolist()
    return ["all"] * len(units)


def _indicator_values(dataset: Dataset, codes: list[str], name: str | None) -> np.ndarray:
    if not name:
        return np.full(len(codes), np.nan)
    table = dataset.indicators
    if table is None or table.empty or name not in set(table["indicator"]):
        known = sorted(set(table["indicator"])) if table is not None and not table.empty else []
        raise CriteriaError(
            f"criteria.economic_base.indicator: dataset has no indicator {name!r}"
            + (f"; available: {', '.join(known)}" if known else "; the dataset has no indicators")
        )
    rows = table[table["indicator"] == name]
    values = pd.to_numeric(rows["value"], errors="coerce").groupby(rows["unit_code"].astype(str)).sum(min_count=1)
    return cast("np.ndarray", values.reindex(codes).to_numpy(dtype=float))


def _make_instance(**kwargs: Any) -> MergerInstance:
    """Pass ``indicator`` only when the engine's MergerInstance knows it."""
    names = {f.name for f in _dc.fields(MergerInstance)}
    return MergerInstance(**{k: v for k, v in kwargs.items() if k in names})


def build_instance(
    dataset: Dataset, travel_model: TravelModel, criteria: Criteria, level: Level = "aiyl_aimak"
) -> InstanceBundle:
    """Build the engine input for one scenario.

    Parameters
    ----------
    dataset : Dataset
        The territory.
    travel_model : TravelModel
        From :func:`atr_model.network.build_travel_model`.
    criteria : Criteria
        The scenario's criteria.
    level : {"aiyl_aimak", "raion"}
        ``"aiyl_aimak"`` (stage 2.1: units are aiyl aimaks and towns) or ``"raion"``
        (stage 2.2: units are raions, groups are oblasts).

    Returns
    -------
    InstanceBundle

    Raises
    ------
    CriteriaError
        On an unknown unit code in a lock or exemption, or an unknown indicator.
    InfeasibleError
        On locks that contradict the nesting or each other.
    """
    if level == "aiyl_aimak":
        return _build_unit_level(dataset, travel_model, criteria)
    if level == "raion":
        return _build_raion_level(dataset, travel_model, criteria)
    raise CriteriaError(f"level {level!r}; expected 'aiyl_aimak' or 'raion'")


def _settlement_table(dataset: Dataset) -> pd.DataFrame:
    raw = dataset.settlements
    frame = _plain(raw)
    frame["settlement_code"] = frame["settlement_code"].astype(str)
    frame["unit_code"] = frame["unit_code"].astype(str)
    frame["settlement_name"] = [unit_display_name(r) for r in frame.to_dict("records")]
    frame["lon"] = raw.geometry.x.to_numpy()
    frame["lat"] = raw.geometry.y.to_numpy()
    frame["population_is_estimate"] = frame["population_is_estimate"].astype(bool)
    frame["is_located"] = frame["is_located"].astype(bool)
    return cast("pd.DataFrame", frame.sort_values("settlement_code").reset_index(drop=True))


def _in_code_order(frame: pd.DataFrame, key: str) -> tuple[pd.DataFrame, list[str], dict[str, int]]:
    """The rows (without geometry) sorted by the code column ``key`` as text: the instance's order,
    with the codes and each code's position in it."""
    table = _plain(frame)
    table[key] = table[key].astype(str)
    table = table.sort_values(key).reset_index(drop=True)
    codes = table[key].tolist()
    return table, codes, {c: k for k, c in enumerate(codes)}


def _build_unit_level(dataset: Dataset, travel_model: TravelModel, criteria: Criteria) -> InstanceBundle:
    units, codes, pos = _in_code_order(dataset.units, "unit_code")
    n = len(codes)
    records = units.to_dict("records")
    units["unit_name"] = [unit_display_name(r) for r in records]
    units["unit_name_ky"] = [unit_local_names(r, "ky") for r in records]
    units["unit_name_ru"] = [unit_local_names(r, "ru") for r in records]
    units["unit_name_transliterated"] = [unit_name_transliterated(r) for r in records]
    units["population"] = pd.to_numeric(units["population"], errors="coerce").fillna(0.0)
    units["population_is_estimate"] = units["population_is_estimate"].astype(bool)
    units["group"] = _groups(units, criteria.nesting)

    exemptions = compute_exemptions(dataset, travel_model, criteria).set_index("unit_code").reindex(codes)
    units["exempt"] = exemptions["exempt"].fillna(False).astype(bool).to_numpy()
    units["exempt_rules"] = exemptions["rules"].fillna("").to_numpy()
    units["exempt_reason"] = exemptions["reason"].fillna("").to_numpy()

    settlements = _settlement_table(dataset)
    settlements["source_unit_code"] = settlements["unit_code"]
    settlements["weight"] = _settlement_weights(settlements, units.set_index("unit_code")["population"])
    n_settlements = settlements.groupby("unit_code").size()

    times = _travel_times(travel_model)
    times = times.merge(settlements[["settlement_code", "unit_code", "weight", "lon", "lat"]], on="settlement_code")
    times = times.rename(columns={"centre_unit_code": "centre_code"})
    times["centre_code"] = times["centre_code"].astype(str)
    times = times[times["centre_code"].isin(pos)]
    centre_xy = None
    if criteria.objective == "inertia":
        centre_xy = units.set_index("unit_code")[["centre_lon", "centre_lat"]]
        times = times.join(centre_xy, on="centre_code")
    cost, worst = _pair_matrices(times, codes, n_settlements, centre_xy)
    patched = _own_centre_fallback(cost, worst, times, codes)
    cost = cost * criteria.travel_weight

    level = units["level"].astype(str).to_numpy()
    is_town = level == "town"
    keep = np.zeros(n, dtype=bool)
    if criteria.centres.towns == "keep":
        keep |= is_town
    elif criteria.centres.towns == "host":
        # A hosting town is never absorbed: it can only be assigned to itself.
        for k in np.flatnonzero(is_town):
            own = cost[k, k]
            cost[k, :] = np.inf
            cost[k, k] = own
    for code in criteria.locks.keep_separate:
        if code not in pos:
            raise CriteriaError(f"criteria.locks.keep_separate: unknown unit code {code!r}")
        keep[pos[code]] = True
    must = _lock_pairs(criteria.locks.together, pos, "together")
    cannot = _lock_pairs(criteria.locks.apart, pos, "apart")
    _check_locks(units, must, cannot, keep, criteria)

    indicator = _indicator_values(dataset, codes, criteria.economic_base.indicator)
    units["indicator"] = indicator
    eligible = units["population"].to_numpy() >= criteria.centres.min_centre_population
    if criteria.economic_base.centre_min is not None:
        eligible &= np.nan_to_num(indicator, nan=-np.inf) >= criteria.economic_base.centre_min
    forced = keep | (is_town & (criteria.centres.towns != "merge"))
    exempt = units["exempt"].to_numpy(dtype=bool)
    if criteria.exemptions.mode == "keep":
        # Exempt aiyl aimaks stay as they are; a hosting town stays too but may receive others,
        # so "keep" is encoded as keep_separate and the engine runs with exempt_mode="no_floor".
        # A together-lock is a decision by hand and overrides the exemption.
        locked_together = np.zeros(n, dtype=bool)
        locked_together[must.reshape(-1)] = True
        keep |= exempt & ~(is_town & (criteria.centres.towns == "host")) & ~locked_together
    forced |= keep
    eligible |= forced
    units["centre_eligible"] = eligible

    pairs, dropped = _adjacency_pairs(travel_model, codes, criteria.landscape_barriers)
    if dropped:
        logger.info("landscape: %d unit pair(s) joined only across a barrier are not adjacent", len(dropped))

    units["area_km2"] = pd.to_numeric(units["area_km2"], errors="coerce")
    est_pop = settlements.groupby("unit_code")["population_is_estimate"].sum()
    not_located = settlements.groupby("unit_code")["is_located"].apply(lambda s: int((~s).sum()))
    units["settlements_estimated_population"] = units["unit_code"].map(est_pop).fillna(0).astype(int)
    units["settlements_not_located"] = units["unit_code"].map(not_located).fillna(0).astype(int)
    units["geometry_is_approximate"] = units["geometry_source"].map(is_estimate_source).astype(bool)
    units["own_route_patched"] = units["unit_code"].isin(patched)
    modelled_connector = _modelled_connectors(travel_model).groupby("unit_code")["connector_modelled"].sum()
    units["settlements_modelled_connector"] = units["unit_code"].map(modelled_connector).fillna(0).astype(int)
    units["estimated_inputs"] = [_estimate_text(r, travel_model.times_modelled) for _, r in units.iterrows()]

    instance = _make_instance(
        unit_codes=codes,
        population=units["population"].to_numpy(dtype=float),
        cost=cost,
        adjacency=np.asarray(pairs, dtype=np.int64).reshape(-1, 2),
        travel_time_min=worst,
        group=units["group"].tolist(),
        centre_eligible=eligible,
        exempt=units["exempt"].to_numpy(),
        exempt_reason=units["exempt_reason"].tolist(),
        keep_separate=keep,
        must_link=must,
        cannot_link=cannot,
        names=units["unit_name"].tolist(),
        indicator=indicator if criteria.economic_base.indicator else None,
    )
    estimated = _estimated_summary(units, settlements, travel_model, patched)
    estimated["barrier_pairs_dropped"] = len(dropped)
    return InstanceBundle(
        instance=instance,
        level="aiyl_aimak",
        units=units,
        settlements=settlements.drop(columns=["lon", "lat"]),
        settlement_times=times[["settlement_code", "centre_code", "travel_time_min"]].reset_index(drop=True),
        exemptions=exemptions.reset_index(),
        estimated_inputs=estimated,
        criteria=criteria,
        barrier_pairs=tuple(dropped),
    )


def _estimated_summary(
    units: pd.DataFrame, settlements: pd.DataFrame, travel_model: TravelModel, patched: list[str]
) -> dict[str, Any]:
    pop = units["population"].to_numpy(dtype=float)
    est = units["population_is_estimate"].to_numpy(dtype=bool)
    total = float(pop.sum()) or 1.0
    return {
        "units_population_estimated": int(est.sum()),
        "population_share_estimated": round(float(pop[est].sum()) / total, 6),
        "settlements_population_estimated": int(settlements["population_is_estimate"].sum()),
        "settlements_not_located": int((~settlements["is_located"]).sum()),
        "settlements_total": int(len(settlements)),
        "units_geometry_approximate": int(units.get("geometry_is_approximate", pd.Series(dtype=bool)).sum()),
        "travel_model": travel_model.label,
        "travel_times_modelled": travel_model.times_modelled,
        "settlements_modelled_connector": int(_modelled_connectors(travel_model)["connector_modelled"].sum()),
        "units_own_route_incomplete": list(patched),
    }


def _modelled_connectors(travel_model: TravelModel) -> pd.DataFrame:
    """``unit_code, connector_modelled`` per settlement: joined to the roads by a connector longer
    than ``TravelSettings.connector_modelled_m`` (none without roads, or in a model from before)."""
    access = travel_model.settlement_access
    if "unit_code" not in access:  # a model made from matrices alone has no settlement table
        empty: pd.DataFrame = pd.DataFrame({"unit_code": pd.Series(dtype=str), "connector_modelled": pd.Series(dtype=bool)})
        return empty
    flag = access["connector_modelled"] if "connector_modelled" in access else pd.Series(False, index=access.index)
    frame: pd.DataFrame = pd.DataFrame({"unit_code": access["unit_code"].to_numpy(),
                                        "connector_modelled": flag.fillna(False).astype(bool).to_numpy()})
    return frame


def _touching_raions(dataset: Dataset) -> list[tuple[str, str]]:
    """Raion pairs whose polygons share a boundary line (not just a point)."""
    raions = dataset.raions[["raion_code", "geometry"]].copy()
    raions["raion_code"] = raions["raion_code"].astype(str)
    raions = raions.sort_values("raion_code").reset_index(drop=True)
    metric = raions.to_crs(raions.estimate_utm_crs())
    tree_pairs = metric.sindex.query(metric.geometry, predicate="intersects")
    out = set()
    geoms = metric.geometry.to_numpy()
    for a, b in zip(*tree_pairs):
        if a >= b:
            continue
        shared = geoms[a].boundary.intersection(geoms[b].boundary)
        if shared.length > 1.0:
            out.add((raions.at[a, "raion_code"], raions.at[b, "raion_code"]))
    return sorted(out)


def _build_raion_level(dataset: Dataset, travel_model: TravelModel, criteria: Criteria) -> InstanceBundle:
    units_all = _plain(dataset.units)
    units_all["unit_code"] = units_all["unit_code"].astype(str)
    units_all["population"] = pd.to_numeric(units_all["population"], errors="coerce").fillna(0.0)
    raions, codes, pos = _in_code_order(dataset.raions, "raion_code")
    n = len(codes)

    unit_sum = units_all.groupby("raion_code")["population"].sum()
    unit_est = units_all.groupby("raion_code")["population_is_estimate"].any()
    stated = pd.to_numeric(raions["population"], errors="coerce")
    population = stated.fillna(raions["raion_code"].map(unit_sum)).fillna(0.0)
    is_est = stated.isna() | raions["population_source"].map(is_estimate_source).astype(bool)
    is_est |= stated.isna() & raions["raion_code"].map(unit_est).fillna(False).astype(bool)
    most_populous = units_all.sort_values(["population", "unit_code"], ascending=[False, True]).drop_duplicates("raion_code")
    fallback_centre = most_populous.set_index("raion_code")["unit_code"]
    centre_unit = raions["centre_unit_code"].where(raions["centre_unit_code"].notna(), raions["raion_code"].map(fallback_centre))

    area = units_all.groupby("raion_code")["area_km2"].sum()
    table = pd.DataFrame(
        {
            "unit_code": codes,
            "unit_name": [unit_display_name(r) for r in raions.to_dict("records")],
            "unit_name_ky": [unit_local_names(r, "ky") for r in raions.to_dict("records")],
            "unit_name_ru": [unit_local_names(r, "ru") for r in raions.to_dict("records")],
            "unit_name_transliterated": [unit_name_transliterated(r) for r in raions.to_dict("records")],
            "level": "raion",
            "raion_code": codes,
            "oblast_code": raions["oblast_code"].astype(str).to_numpy(),
            "population": population.to_numpy(dtype=float),
            "population_is_estimate": is_est.to_numpy(dtype=bool),
            "centre_unit_code": centre_unit.astype(str).to_numpy(),
            "area_km2": raions["raion_code"].map(area).to_numpy(dtype=float),
        }
    )
    table["group"] = table["oblast_code"] if criteria.nesting != "none" else "all"
    manual = {m.unit_code: m.reason for m in criteria.exemptions.manual}
    unknown = sorted(set(manual) - set(codes))
    if unknown:
        raise CriteriaError(f"criteria.exemptions.manual: unknown raion code(s) {', '.join(map(repr, unknown))}")
    table["exempt"] = table["unit_code"].isin(manual)
    table["exempt_rules"] = np.where(table["exempt"], "manual", "")
    table["exempt_reason"] = [f"manual: {manual[c]}" if c in manual else "" for c in codes]

    settlements = _settlement_table(dataset)
    settlements["source_unit_code"] = settlements["unit_code"]
    settlements["unit_code"] = settlements["raion_code"].astype(str)
    weights = _settlement_weights(settlements, table.set_index("unit_code")["population"])
    settlements["weight"] = weights

    times = _travel_times(travel_model)
    centre_to_raion = dict(zip(table["centre_unit_code"], table["unit_code"]))
    times["centre_code"] = times["centre_unit_code"].astype(str).map(centre_to_raion)
    times = times.dropna(subset=["centre_code"])
    times = times.merge(settlements[["settlement_code", "unit_code", "source_unit_code", "weight", "is_unit_centre"]],
                        on="settlement_code")

    # Centre-to-centre: the centre settlement of raion i's centre unit to the centre unit of j.
    centre_units = set(table["centre_unit_code"])
    from_centre = times[times["source_unit_code"].isin(centre_units) & times["is_unit_centre"].astype(bool)]
    from_centre = from_centre[from_centre["source_unit_code"].map(centre_to_raion) == from_centre["unit_code"]]
    pair = from_centre.groupby(["unit_code", "centre_code"])["travel_time_min"].min().reset_index()
    worst = np.full((n, n), np.inf)
    worst[pair["unit_code"].map(pos).to_numpy(), pair["centre_code"].map(pos).to_numpy()] = pair["travel_time_min"].to_numpy()
    # Candidate lists differ by direction (a settlement lists its own and neighbouring raions'
    # centres), so a centre pair may be timed one way only: use the reverse trip for the other.
    worst = np.where(np.isfinite(worst), worst, worst.T)
    np.fill_diagonal(worst, 0.0)
    pop = table["population"].to_numpy(dtype=float)
    if criteria.objective == "inertia":
        xy = units_all.set_index("unit_code").loc[table["centre_unit_code"], ["centre_lon", "centre_lat"]].to_numpy(dtype=float)
        d = haversine_km(xy[:, None, 0], xy[:, None, 1], xy[None, :, 0], xy[None, :, 1])
        cost = np.where(np.isfinite(worst), pop[:, None] * d * d, np.inf) * criteria.travel_weight
    else:
        cost = np.where(np.isfinite(worst), pop[:, None] * worst, np.inf) * criteria.travel_weight

    keep = table["unit_code"].isin(criteria.locks.keep_separate).to_numpy()
    for code in criteria.locks.keep_separate:
        if code not in pos:
            raise CriteriaError(f"criteria.locks.keep_separate: unknown raion code {code!r}")
    must = _lock_pairs(criteria.locks.together, pos, "together")
    cannot = _lock_pairs(criteria.locks.apart, pos, "apart")
    _check_locks(table, must, cannot, keep, criteria)

    unit_to_raion = dict(zip(units_all["unit_code"], units_all["raion_code"].astype(str)))
    pairs_by_units, dropped = _adjacency_pairs(travel_model, codes, criteria.landscape_barriers, unit_to_raion)
    touching = {(pos[a], pos[b]) for a, b in _touching_raions(dataset)}
    barrier_only = {(pos[a], pos[b]) for a, b in dropped}
    pairs = sorted((touching - barrier_only) | set(pairs_by_units))

    if criteria.exemptions.mode == "keep":
        locked_together = np.zeros(n, dtype=bool)
        locked_together[must.reshape(-1)] = True
        keep = keep | (table["exempt"].to_numpy(dtype=bool) & ~locked_together)
    table["indicator"] = np.nan
    table["centre_eligible"] = table["population"].to_numpy() >= criteria.centres.min_centre_population
    table.loc[keep | table["exempt"].to_numpy(), "centre_eligible"] = True
    table["estimated_inputs"] = [
        "; ".join(
            p for p in (
                "population (estimate)" if e else "",
                "travel times (modelled: no road data)" if travel_model.times_modelled else "",
            ) if p
        )
        for e in table["population_is_estimate"]
    ]
    instance = _make_instance(
        unit_codes=codes,
        population=pop,
        cost=cost,
        adjacency=np.asarray(pairs, dtype=np.int64).reshape(-1, 2),
        travel_time_min=worst,
        group=table["group"].astype(str).tolist(),
        centre_eligible=table["centre_eligible"].to_numpy(dtype=bool),
        exempt=table["exempt"].to_numpy(dtype=bool),
        exempt_reason=table["exempt_reason"].tolist(),
        keep_separate=keep,
        must_link=must,
        cannot_link=cannot,
        names=table["unit_name"].tolist(),
    )
    settlement_times = times[["settlement_code", "centre_code", "travel_time_min"]].reset_index(drop=True)
    estimated = _estimated_summary(table.assign(geometry_is_approximate=False), settlements, travel_model, [])
    return InstanceBundle(
        instance=instance,
        level="raion",
        units=table,
        settlements=settlements.drop(columns=["lon", "lat"]),
        settlement_times=settlement_times,
        exemptions=table[["unit_code", "exempt", "exempt_rules", "exempt_reason"]].rename(
            columns={"exempt_rules": "rules", "exempt_reason": "reason"}
        ),
        estimated_inputs=estimated,
        criteria=criteria,
        barrier_pairs=tuple(sorted(dropped)),
    )
