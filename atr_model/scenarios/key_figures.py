"""Scenario layer, the key figures: which figures of ``kpis.json`` are shown, in which order,
with which unit and precision, and what each one counts.

This module is the one owner of the figure set. The app, Compare, the HTML report, the Council
summary, the XLSX workbook, ``evaluate`` and the robustness report all list
:func:`key_figures` of a result and nothing else, so one figure has one value everywhere. The
texts (label and definition, per language) are catalogue entries ``fig.<key>`` and
``figdef.<key>`` of :mod:`atr_model.presentation.i18n`; the definitions take the parameters
:func:`figure_params` gives (the scenario's population floor is printed beside every count of
units below it).

Definitions (the issue of record: "one truth per figure"):

* *below the floor* counts non-exempt aiyl aimak new units under this scenario's floor
  (``below_floor_after_non_exempt``; the same units the maps paint red);
* *exempt* counts aiyl aimaks kept as they are by an exemption rule (``exempt_units``), and the
  by-reason rows count each unit once, under the first rule that exempts it, so they add up to
  it; towns are counted apart (the floor applies to aiyl aimaks);
* the headline travel figure is the worst travel time in merged new units
  (``worst_travel_min_in_merged_units``, where the travel limit applies); the worst overall
  (``worst_travel_min``) is shown as what it is, which includes remote units kept as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from atr_model.scenarios.figure_notes import EXEMPT_RULE_ORDER, estimate_notes, flatten_mapping

__all__ = [
    "FigureDef",
    "KeyFigure",
    "KEY_FIGURES",
    "HEADLINE_FIGURES",
    "FIGURE_KEYS",
    "figure_def",
    "figure_params",
    "key_figures",
]

#: What a figure counts or measures; decides its precision and the unit printed with it.
FigureUnit = Literal["units", "settlements", "people", "minutes", "som", "years", "objective", "positions"]



@dataclass(frozen=True)
class FigureDef:
    """One key figure: its ``kpis.json`` key and how it is shown.

    Attributes
    ----------
    key : str
        Flattened (dotted) ``kpis.json`` key, e.g. ``"new_unit_population.median"``.
    unit : str
        What the value counts or measures (:data:`FigureUnit`).
    digits : int
        Decimals shown.
    headline : bool
        Shown in the short lists (the app's metrics row, the summary's first lines).
    travel : bool
        Rests on travel times (an estimate when the times are modelled).
    population : bool
        Rests on unit populations (an estimate where populations are estimated).
    assumed : bool
        Rests on assumed unit costs (the savings cost model).
    lower_is_better : bool or None
        For a comparison: which direction is an improvement (None: neither).
    """

    key: str
    unit: FigureUnit
    digits: int = 0
    headline: bool = False
    travel: bool = False
    population: bool = False
    assumed: bool = False
    lower_is_better: bool | None = None


#: The key figures every surface shows, in the order they are shown.
KEY_FIGURES: tuple[FigureDef, ...] = (
    FigureDef("population_floor", "people"),
    FigureDef("units_before", "units", headline=True),
    FigureDef("units_after", "units", headline=True),
    FigureDef("aiyl_aimak_units_after", "units"),
    FigureDef("merged_units", "units"),
    FigureDef("below_floor_before_non_exempt", "units", population=True),
    FigureDef("below_floor_after_non_exempt", "units", headline=True, population=True, lower_is_better=True),
    FigureDef("exempt_units", "units", headline=True),
    *(FigureDef(f"exempt_by_reason.{rule}", "units") for rule in EXEMPT_RULE_ORDER),
    FigureDef("towns", "units"),
    FigureDef("worst_travel_min_in_merged_units", "minutes", digits=1, headline=True, travel=True,
              lower_is_better=True),
    FigureDef("population_weighted_mean_travel_min", "minutes", digits=1, travel=True, population=True,
              lower_is_better=True),
    FigureDef("worst_travel_min", "minutes", digits=1, travel=True, lower_is_better=True),
    FigureDef("settlements_without_route_to_centre", "settlements", travel=True, lower_is_better=True),
    FigureDef("new_unit_population.min", "people", population=True),
    FigureDef("new_unit_population.median", "people", population=True),
    FigureDef("new_unit_population.max", "people", population=True),
    FigureDef("admin_savings.abolished_offices", "units", assumed=True),
    FigureDef("admin_savings.staff_positions_saved", "positions", digits=1, assumed=True),
    FigureDef("admin_savings.annual_saving_som", "som", assumed=True, lower_is_better=False),
    FigureDef("admin_savings.one_off_cost_som", "som", assumed=True, lower_is_better=True),
    FigureDef("admin_savings.payback_years", "years", digits=1, assumed=True, lower_is_better=True),
    FigureDef("solver.objective", "objective", digits=0, travel=True, population=True, lower_is_better=True),
)

#: Keys of :data:`KEY_FIGURES`, in order.
FIGURE_KEYS: tuple[str, ...] = tuple(f.key for f in KEY_FIGURES)

#: The short list (metrics row, summary headline), in order.
HEADLINE_FIGURES: tuple[str, ...] = tuple(f.key for f in KEY_FIGURES if f.headline)

_BY_KEY = {f.key: f for f in KEY_FIGURES}


@dataclass(frozen=True)
class KeyFigure:
    """One key figure of one result: its definition and value.

    Attributes
    ----------
    spec : FigureDef
        What the figure is.
    value : float or None
        The value (None when the result does not have it, e.g. savings of a raion-level run).
    estimate_basis : str
        Why the value is an estimate (English, for files); empty when it rests on measured inputs.
    """

    spec: FigureDef
    value: float | None
    estimate_basis: str = ""

    @property
    def key(self) -> str:
        """The figure's dotted ``kpis.json`` key."""
        return self.spec.key

    @property
    def is_estimate(self) -> bool:
        """Whether the value rests on estimated or assumed inputs."""
        return bool(self.estimate_basis)


def figure_def(key: str) -> FigureDef:
    """The definition of key figure ``key``.

    Raises
    ------
    KeyError
        When ``key`` is not a key figure.
    """
    return _BY_KEY[key]


def figure_params(kpis: Mapping[str, object]) -> dict[str, float]:
    """Parameters the figure definitions print: the scenario's population ``floor``."""
    floor = kpis.get("population_floor")
    return {"floor": float(floor) if isinstance(floor, (int, float)) and not isinstance(floor, bool) else 0.0}


def _value(flat: Mapping[str, object], spec: FigureDef) -> float | None:
    value = flat.get(spec.key)
    if value is None and spec.key.startswith("exempt_by_reason.") and "exempt_units" in flat:
        return 0.0  # a rule that exempts no unit is absent from the counts
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _basis(kpis: Mapping[str, object], spec: FigureDef) -> str:
    notes = estimate_notes(kpis)
    kinds = (("travel", spec.travel), ("population", spec.population), ("savings", spec.assumed))
    return "; ".join(notes[kind] for kind, applies in kinds if applies and notes[kind])


def key_figures(kpis: Mapping[str, object], *, keep_missing: bool = False) -> list[KeyFigure]:
    """The key figures of one result (``kpis.json``), in display order.

    Parameters
    ----------
    kpis : mapping
        The content of ``kpis.json`` (or the KPIs ``evaluate`` computes, which are the same).
    keep_missing : bool, default False
        Keep figures the result does not have (value None), e.g. to align two results.

    Returns
    -------
    list of KeyFigure
        One per figure of :data:`KEY_FIGURES` the result has.
    """
    flat = flatten_mapping(kpis)
    out = [KeyFigure(spec, _value(flat, spec), _basis(kpis, spec)) for spec in KEY_FIGURES]
    return out if keep_missing else [f for f in out if f.value is not None]
