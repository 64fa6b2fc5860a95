"""The :class:`Criteria`: the Concept's criteria as one validated, frozen settings object.

Every field documents its default and the Concept criterion (numbered 1-6 as in
:data:`~atr_model.criteria.concept.CONCEPT_CRITERIA`) it implements. Thresholds the Concept
does not fix (elevation, travel times, border distance) are analytical assumptions: their
defaults are explained here and every scenario file may change them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from atr_model.criteria.concept import CONCEPT_CRITERIA
from atr_model.criteria.validation import describe_validation_error
from atr_model.errors import CriteriaError

__all__ = [
    "DEFAULT_POPULATION_FLOOR",
    "Centres",
    "Criteria",
    "EconomicBase",
    "Exemptions",
    "Locks",
    "ManualExemption",
    "criteria_from_dict",
    "describe_criteria",
]

_STRICT = ConfigDict(frozen=True, extra="forbid")

#: Criterion 2's population floor: the Concept merges aiyl aimaks "with a population of up to
#: 5,000". The one place this default is written; the engine, maps and app read it from here.
DEFAULT_POPULATION_FLOOR: float = 5000.0


class ManualExemption(BaseModel):
    """A unit exempted by hand (Concept criterion 2), with the reason shown in reports."""

    model_config = _STRICT

    unit_code: str = Field(min_length=1, description="Code of the exempt unit.")
    reason: str = Field(min_length=1, description="Why it is exempt (quoted in explanations).")


class Exemptions(BaseModel):
    """Units exempt from the population floor (Concept criterion 2: "except high-mountain,
    remote, hard-to-reach and border settlements").

    Each rule is switched off by setting its threshold to ``null``.
    """

    model_config = _STRICT

    high_mountain_m: float | None = Field(
        2000.0, ge=0, le=8000,
        description=(
            "Default 2000 m. A unit is high-mountain when its elevation (see high_mountain_basis) is "
            "above this. The Concept names high-mountain settlements but sets no altitude; 2,000 m is "
            "an analytical assumption (roughly where permanent settlement thins out and winter "
            "access becomes the rule in the Tian Shan); change it per scenario."
        ),
    )
    high_mountain_basis: Literal["centre", "highest_settlement", "either"] = Field(
        "centre",
        description=(
            "Default 'centre': compare the unit centre's elevation; 'highest_settlement' uses its "
            "highest village; 'either' exempts when one of them is above the threshold."
        ),
    )
    remote_travel_time_min: float | None = Field(
        120.0, gt=0, le=10000,
        description=(
            "Default 120 min. A unit is remote when the population-weighted (remote_basis 'mean') or "
            "worst ('max') travel time of its settlements to the raion centre exceeds this. An "
            "assumption: two hours one way is a working day's trip to the raion administration."
        ),
    )
    remote_basis: Literal["mean", "max"] = Field(
        "mean", description="Default 'mean' (population-weighted); 'max' uses the worst settlement."
    )
    seasonal_access: bool = Field(
        True,
        description=(
            "Default true: a unit reachable only over a seasonal pass is hard-to-reach and exempt."
        ),
    )
    border_km: float | None = Field(
        5.0, ge=0, le=1000,
        description=(
            "Default 5 km. A unit is a border unit when its nearest settlement lies within this "
            "distance of the state border (an assumption approximating the border zone)."
        ),
    )
    manual: tuple[ManualExemption, ...] = Field(
        (), description="Default none. Units exempted by hand, each with a reason."
    )
    mode: Literal["keep", "no_floor"] = Field(
        "keep",
        description=(
            "Default 'keep': exempt units stay as they are. 'no_floor': they may merge with "
            "neighbours but need not reach the floor."
        ),
    )


class EconomicBase(BaseModel):
    """Economic base (Concept criterion 6), from the dataset's ``indicators`` layer."""

    model_config = _STRICT

    indicator: str | None = Field(
        None, description="Default none (criterion off). Indicator name, e.g. 'own_revenue_som'."
    )
    floor: float | None = Field(
        None, ge=0, description="Default none. The merged unit's summed indicator must reach this."
    )
    centre_min: float | None = Field(
        None, ge=0, description="Default none. A centre's own indicator must be at least this."
    )

    @model_validator(mode="after")
    def _needs_indicator(self) -> EconomicBase:
        if (self.floor is not None or self.centre_min is not None) and not self.indicator:
            raise ValueError("economic_base.floor/centre_min need economic_base.indicator")
        return self


class Centres(BaseModel):
    """Which units may host the centre of a new unit (Concept criterion 5)."""

    model_config = _STRICT

    towns: Literal["host", "keep", "merge"] = Field(
        "host",
        description=(
            "Default 'host': towns are kept as they are (never absorbed) but aiyl aimaks may join a "
            "town as their centre. 'keep': towns stay on their own. 'merge': towns are treated like "
            "aiyl aimaks."
        ),
    )
    min_centre_population: float = Field(
        0.0, ge=0,
        description="Default 0. A unit hosts a centre only with at least this many residents.",
    )


class Locks(BaseModel):
    """Decisions fixed by hand (for example after a public hearing)."""

    model_config = _STRICT

    keep_separate: tuple[str, ...] = Field((), description="Default none. Units that stay on their own.")
    together: tuple[tuple[str, str], ...] = Field((), description="Default none. Pairs that must merge.")
    apart: tuple[tuple[str, str], ...] = Field((), description="Default none. Pairs that must not merge.")


class Criteria(BaseModel):
    """The consolidation criteria of one scenario.

    Examples
    --------
    >>> Criteria(population_floor=3000).population_floor
    3000.0
    """

    model_config = _STRICT

    population_floor: float = Field(
        DEFAULT_POPULATION_FLOOR, ge=0, le=10_000_000,
        description=(
            "Criterion 2. Default 5000: the Concept merges aiyl aimaks 'with a population of up to "
            "5,000'. 0 switches the floor off."
        ),
    )
    floor_mode: Literal["soft", "hard"] = Field(
        "soft",
        description=(
            "Criterion 2. Default 'soft': a unit that cannot reach the floor within the other "
            "criteria stays below it and is reported; 'hard': the run fails instead."
        ),
    )
    population_cap: float | None = Field(
        None, gt=0, description="Criterion 4. Default none. Upper end of a population band."
    )
    cap_mode: Literal["soft", "hard"] = Field("soft", description="Default 'soft', as floor_mode.")
    exemptions: Exemptions = Field(default_factory=Exemptions, description="Criterion 2 exemptions.")
    max_travel_time_min: float | None = Field(
        90.0, gt=0, le=10_000,
        description=(
            "Criteria 3 and 5. Default 90 min: every settlement of a new unit must reach its centre "
            "within this (an assumption: a return trip in half a working day). null switches it off."
        ),
    )
    economic_base: EconomicBase = Field(default_factory=EconomicBase, description="Criterion 6.")
    nesting: Literal["raion", "oblast", "none"] = Field(
        "raion",
        description=(
            "Criterion 4. Default 'raion': new units stay inside one raion (stage 2.1 precedes raion "
            "consolidation); 'oblast' allows crossing raion lines; 'none' also oblast lines."
        ),
    )
    landscape_barriers: bool = Field(
        True,
        description=(
            "Criterion 1. Default true: no merger across a modelled barrier (units joined only by a "
            "blocked or seasonal link)."
        ),
    )
    centres: Centres = Field(default_factory=Centres, description="Criterion 5: centre eligibility.")
    locks: Locks = Field(default_factory=Locks, description="Manual decisions.")
    objective: Literal["travel", "inertia"] = Field(
        "travel",
        description=(
            "Criterion 5. Default 'travel': minimise person-minutes to the centres; 'inertia': "
            "population x squared distance (km^2) to the centres (compactness)."
        ),
    )
    travel_weight: float = Field(1.0, gt=0, description="Default 1. Multiplies the travel cost.")
    admin_cost_per_unit: float = Field(
        0.0, ge=0,
        description=(
            "Criterion 4. Default 0: cost of each new unit in objective units (person-minutes); "
            "above 0 the model merges beyond the floor when it saves administrations."
        ),
    )
    slack_penalty_per_person: float = Field(
        1000.0, ge=0,
        description="Default 1000: objective cost per resident missing from the floor (soft mode).",
    )
    n_units: int | dict[str, int] | None = Field(
        None, description="Criterion 4. Default none: number of new units, in total or per group."
    )
    n_units_counts: Literal["all", "aiyl_aimak"] = Field(
        "all",
        description=(
            "Criterion 4. Default 'all': n_units counts every new unit, towns included. "
            "'aiyl_aimak': it counts only new units made of aiyl aimaks (centred on an aiyl aimak), "
            "as in the 2024-25 reform's '231 aiyl aimaks'; towns stay units of their own (with the "
            "aiyl aimaks they host, centres.towns 'host') and are added on top. Needs "
            "centres.towns 'keep' or 'host' and level aiyl_aimak."
        ),
    )

    @model_validator(mode="after")
    def _band(self) -> Criteria:
        cap = self.population_cap
        if cap is not None and self.population_floor and cap < self.population_floor:
            raise ValueError(
                f"population_cap {cap:g} is below population_floor {self.population_floor:g}"
            )
        if isinstance(self.n_units, int) and self.n_units < 1:
            raise ValueError("n_units must be at least 1")
        if isinstance(self.n_units, dict) and any(v < 1 for v in self.n_units.values()):
            raise ValueError("n_units per group must be at least 1")
        if self.n_units_counts == "aiyl_aimak" and self.n_units is not None and self.centres.towns == "merge":
            raise ValueError(
                "n_units_counts 'aiyl_aimak' needs towns kept apart (centres.towns 'keep' or 'host'); "
                "with 'merge' towns are counted like aiyl aimaks (use n_units_counts 'all')"
            )
        return self


def criteria_from_dict(values: Mapping[str, Any] | None, *, where: str = "criteria") -> Criteria:
    """Validate a mapping into :class:`Criteria`.

    Raises
    ------
    CriteriaError
        Naming ``where`` and each bad key (unknown key, value out of range).
    """
    try:
        return Criteria.model_validate(dict(values or {}))
    except ValidationError as exc:
        raise CriteriaError(describe_validation_error(exc, Criteria, where=where)) from None


def _criterion_numbers(path: str) -> list[int]:
    top = path.split(".", maxsplit=1)[0]
    return [c.number for c in CONCEPT_CRITERIA if any(name in (path, top) for name in c.implemented_by)]


def describe_criteria(criteria: Criteria | None = None) -> list[dict[str, Any]]:
    """One row per setting (nested keys dotted), for reports and the app.

    Parameters
    ----------
    criteria : Criteria, optional
        Values to show; defaults to :class:`Criteria` defaults.

    Returns
    -------
    list of dict
        ``key``, ``value``, ``default``, ``changed`` (bool), ``concept_criteria`` (numbers
        1-6 of the Concept criteria the key implements) and ``description``.
    """
    current = criteria or Criteria()
    defaults = Criteria()
    rows: list[dict[str, Any]] = []

    def walk(model: BaseModel, base: BaseModel, prefix: str) -> None:
        for name, info in type(model).model_fields.items():
            value, default = getattr(model, name), getattr(base, name)
            key = f"{prefix}{name}"
            if isinstance(value, BaseModel):
                walk(value, default, f"{key}.")
                continue
            plain = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
            rows.append(
                {
                    "key": key,
                    "value": plain,
                    "default": default,
                    "changed": value != default,
                    "concept_criteria": _criterion_numbers(key),
                    "description": info.description or "",
                }
            )

    walk(current, defaults, "")
    return rows
