"""Population estimator: the pipeline, from a unit table to a population, a source and a spread per unit.

:func:`estimate_unit_populations` runs the chosen method (:mod:`~atr_model.data.population.methods`),
cross-validates it leave one raion out (:mod:`~atr_model.data.population.validation`), sets each
estimate's spread and source label, and returns a :class:`PopulationEstimate` with the fit, the
town factor and sentences for the build report. Real figures are kept as they are.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from atr_model.data.contract import ESTIMATE_PREFIX
from atr_model.data.population.features import PREDICTORS, check_unit_table, urban_mask
from atr_model.data.population.methods import METHOD_NAMES, run_method
from atr_model.data.population.raking import DEFAULT_MIN_RESIDUAL_PER_UNIT, RaionSplit
from atr_model.data.population.regression import DEFAULT_RIDGE_LAMBDA, LogLinearFit
from atr_model.data.population.towns import GEONAMES_TOWN_LOG_SD, TownFactor, town_factor_note, town_factor_of_units
from atr_model.data.population.validation import (
    MIN_ESTIMATE_LOG_SD,
    CrossValidation,
    SpreadModel,
    calibrate_spread,
    cross_validate,
    spread_interval,
)
from atr_model.errors import DataError

__all__ = ["PopulationEstimate", "estimate_unit_populations", "largest_changes"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PopulationEstimate:
    """Estimates for every unit, with the method's fit and its cross-validated error.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per unit, in input order: ``unit_code``, ``population``, ``population_year``,
        ``population_source``, ``population_is_estimate``, ``population_log_sd``,
        ``population_p5``, ``population_p95``, ``estimate_kind`` (``real``, ``town_figure``,
        ``scaled``, ``unscaled``).
    method : str
        ``"fitted"`` or ``"village_split"``.
    fit : LogLinearFit or None
        The regression fitted on all real figures (``None`` for ``village_split``).
    town_log_offset : float
        Town factor on the log scale (fitted method).
    cv_scaled, cv_unscaled : CrossValidation
        Leave-one-raion-out errors with and without scaling to real raion totals.
    spread : SpreadModel
        How the spread of scaled estimates was set (calibrated on ``cv_scaled``).
    notes : list of str
        Sentences for the build report.
    town_factor : TownFactor or None
        The town factor's fit and leave-one-out error (fitted method).
    former_town_rule : pandas.DataFrame or None
        ``unit_code``, ``population`` (every unit's figure had the factor kept the regional
        centres, the former rule) and ``urban``; for the report's before/after comparison.
    """

    table: pd.DataFrame
    method: str
    fit: LogLinearFit | None
    town_log_offset: float
    cv_scaled: CrossValidation
    cv_unscaled: CrossValidation
    spread: SpreadModel | None = None
    notes: list[str] = field(default_factory=list)
    town_factor: TownFactor | None = None
    former_town_rule: pd.DataFrame | None = None

    def town_factor_changes(self, names: Mapping[str, str] | None = None, *, top: int = 10) -> dict[str, Any]:
        """The towns whose estimate changes most when the regional centres leave the factor's fit.

        Parameters
        ----------
        names : mapping, optional
            Unit code -> name.
        top : int, default 10
            Towns listed, largest absolute change first.

        Returns
        -------
        dict
            ``towns`` (as :func:`largest_changes`: ``old`` = former rule, ``new`` = this
            estimate) and ``other_units_changed`` (units that are not towns whose estimate
            moved: they share a raion total with a town estimated with the factor).
        """
        if self.former_town_rule is None:
            return {"towns": [], "other_units_changed": 0}
        old = self.former_town_rule
        urban = old["urban"].to_numpy(dtype=bool)
        moved = self.table["population"].to_numpy(float) != old["population"].to_numpy(float)
        return {"towns": largest_changes(old.loc[urban], self.table.loc[urban & moved], names, top=top),
                "other_units_changed": int((moved & ~urban).sum())}

    def summary(self) -> dict[str, Any]:
        """Plain-JSON description: name, predictors and their sources, coefficients, errors."""
        out: dict[str, Any] = {
            "method": self.method,
            "name": METHOD_NAMES[self.method],
            "cross_validation": {"scaled": self.cv_scaled.to_dict(), "unscaled": self.cv_unscaled.to_dict()},
            "median_abs_rel_error": round(self.cv_scaled.median_abs_rel_error, 4),
            "log_sd": round(self.cv_scaled.log_rmse, 4),
            "spread_log_sd": {"scaled (median over units)": round(float(self.table.loc[
                                  self.table["estimate_kind"] == "scaled", "population_log_sd"].median()), 4)
                              if (self.table["estimate_kind"] == "scaled").any() else None,
                              "unscaled": round(self.cv_unscaled.log_rmse, 4),
                              "town_figure": GEONAMES_TOWN_LOG_SD},
            "spread_model": self.spread.to_dict() if self.spread else None,
            "estimate_kinds": {str(k): int(v) for k, v in
                               self.table["estimate_kind"].value_counts().sort_index().items()},
        }
        if self.method == "fitted" and self.fit is not None:
            out["predictors"] = [
                {"name": p.name, "transform": p.transform, "description": p.description, "source": p.source}
                for p in PREDICTORS
            ] + [{"name": "oblast", "transform": "dummies (ridge-penalised)",
                  "description": "oblast of the unit", "source": "COATE 2021 classifier"}]
            out["coefficients"] = self.fit.coefficient_table()
            out["ridge_lambda"] = self.fit.ridge_lambda
            out["fitted_units"] = self.fit.n_units
            out["town_factor"] = round(math.exp(self.town_log_offset), 4)
            if self.town_factor is not None:
                out["town_factor_fit"] = self.town_factor.to_dict()
                out["spread_log_sd"]["town with the factor, unscaled (leave-one-out)"] = round(
                    self.town_factor.loo_log_rmse, 4)
        else:
            out["predictors"] = [{"name": "n_villages", "transform": "share",
                                  "description": PREDICTORS[0].description, "source": PREDICTORS[0].source}]
        return out


def largest_changes(
    old: pd.DataFrame, new: pd.DataFrame, names: Mapping[str, str] | None = None, *, top: int = 10,
) -> list[dict[str, Any]]:
    """The estimated units whose population changes most between two methods.

    Parameters
    ----------
    old, new : pandas.DataFrame
        Tables of :class:`PopulationEstimate` (``unit_code``, ``population``,
        ``population_is_estimate``).
    names : mapping, optional
        Unit code -> name, for the report.
    top : int, default 10
        Rows returned, largest absolute change first (ties by unit code).

    Returns
    -------
    list of dict
        ``unit_code``, ``name``, ``old``, ``new``, ``change``, ``change_pct``.
    """
    merged = old[["unit_code", "population"]].merge(
        new.loc[new["population_is_estimate"], ["unit_code", "population"]], on="unit_code", suffixes=("_old", "_new"))
    merged["change"] = merged["population_new"] - merged["population_old"]
    merged["abs_change"] = merged["change"].abs()
    merged = merged.sort_values(["abs_change", "unit_code"], ascending=[False, True]).head(top)
    names = names or {}
    return [
        {"unit_code": r.unit_code, "name": names.get(r.unit_code, ""), "old": int(r.population_old),
         "new": int(r.population_new), "change": int(r.change),
         "change_pct": round(100.0 * r.change / r.population_old, 1) if r.population_old else None}
        for r in merged.itertuples()
    ]


def _source_label(kind: str, method: str, note: str, target_year: int, n_fit: int, urban: bool) -> str:
    if method == "fitted":
        town = "aiyl aimak model times the town factor; " if urban else ""
        head = (f"fitted log-linear model ({town}ridge regression on villages, area, elevation, distances, "
                f"raion centre and oblast; fitted on {n_fit} aiyl aimaks with a real figure)")
    else:
        head = f"raion total {target_year} minus known units, split by number of COATE villages"
    if kind == "scaled":
        # "raion total" in the label marks a share of a real raion total (robustness draws keep it)
        tail = (f", scaled to the raion total {target_year} minus known units" if method == "fitted" else "")
        return ESTIMATE_PREFIX + head + tail
    if method == "village_split":
        return (ESTIMATE_PREFIX + f"residents per COATE village (mean of units with a real {target_year} figure) "
                f"x the unit's villages ({note})")
    return ESTIMATE_PREFIX + head + f" ({note})"


def estimate_unit_populations(
    units: pd.DataFrame,
    raion_totals: Mapping[str, float],
    *,
    method: str = "fitted",
    growth_factors: Mapping[int, float] | None = None,
    target_year: int = 2021,
    ridge_lambda: float = DEFAULT_RIDGE_LAMBDA,
    min_residual_per_unit: float = DEFAULT_MIN_RESIDUAL_PER_UNIT,
    town_figure_source: str = "GeoNames population of the town (old figure, year not stated)",
) -> PopulationEstimate:
    """Population, source and spread for every unit; real figures are kept as they are.

    Parameters
    ----------
    units : pandas.DataFrame
        One row per unit: ``unit_code``, ``raion_code``, ``oblast_code``, ``level``
        (``aiyl_aimak`` / ``town``), ``population`` (the real figure, NaN when unknown),
        ``population_year`` (its year), ``population_source`` (optional, kept for real figures),
        ``town_figure`` (an outside figure for a town, NaN when none), optionally ``urban``
        (towns proper) and ``regional_centre`` (left out of the town factor; False when
        absent) and every column of :data:`PREDICTORS`.
    raion_totals : mapping
        Real raion totals of the target year (raion code -> residents). Raions missing here
        are left unscaled (and their sources say so).
    method : str, default "fitted"
        ``"fitted"`` or ``"village_split"`` (the former method).
    growth_factors : mapping, optional
        Year -> factor moving a real figure of that year to the target year (e.g.
        ``{2009: 1.29, 2021: 1.0}``). Used for fitting, for the raion residual and for the
        cross-validation; the stored real figures keep their own year. Default: only the
        target year, factor 1.
    target_year : int, default 2021
        Year of the estimates and of the raion totals.
    ridge_lambda : float, default :data:`DEFAULT_RIDGE_LAMBDA`
        Ridge penalty of the fitted model.
    min_residual_per_unit : float, default 300
        A raion total is used only if it leaves at least this many residents per estimated unit.
    town_figure_source : str
        Label of the ``town_figure`` values.

    Returns
    -------
    PopulationEstimate

    Raises
    ------
    DataError
        When a column or a predictor value is missing, or too few real figures remain to fit.
    """
    check_unit_table(units)
    units = units.reset_index(drop=True)
    growth = dict(growth_factors or {target_year: 1.0})
    real = units["population"].notna().to_numpy()
    negative = pd.to_numeric(units["population"], errors="coerce") < 0
    if negative.any():
        raise DataError(f"unit {units.loc[negative, 'unit_code'].iloc[0]}: population is negative")
    split, fit, offset = run_method(units, real, raion_totals, method, growth, target_year, ridge_lambda,
                                    min_residual_per_unit)
    cv_scaled, cv_unscaled = (
        cross_validate(units, raion_totals, method=method, scaled=scaled, growth_factors=growth,
                       target_year=target_year, ridge_lambda=ridge_lambda,
                       min_residual_per_unit=min_residual_per_unit)
        for scaled in (True, False)
    )
    spread = calibrate_spread(cv_scaled, cv_unscaled)
    urban = urban_mask(units) if method == "fitted" else np.zeros(len(units), dtype=bool)
    town_factor = town_factor_of_units(units, real, growth, fit) if fit is not None else None
    log_sd = _log_sd(split, urban, town_factor, spread, cv_unscaled)
    population = np.where(real, pd.to_numeric(units["population"]).to_numpy(dtype=float), split.population)
    sources = _sources(units, split, method, target_year, fit.n_units if fit is not None else 0, urban,
                       town_figure_source)
    table = _estimate_table(units, real, population, sources, log_sd, split, target_year)
    logger.info("population method %s: leave-one-raion-out median error %.3f (log SD %.3f) on %d units",
                method, cv_scaled.median_abs_rel_error, cv_scaled.log_rmse, len(cv_scaled.unit_codes))
    notes = _notes(method, split, cv_scaled, cv_unscaled, town_factor)
    former = None
    if town_factor is not None and town_factor.centre_codes:
        # every unit's figure had the factor kept the regional centres (the former rule)
        before, _, _ = run_method(units, real, raion_totals, method, growth, target_year, ridge_lambda,
                                  min_residual_per_unit, centres_in_town_factor=True)
        former = pd.DataFrame({"unit_code": units["unit_code"].to_numpy(),
                               "population": np.where(real, population, before.population), "urban": urban})
    return PopulationEstimate(table, method, fit, offset, cv_scaled, cv_unscaled, spread, notes, town_factor, former)


def _estimate_table(
    units: pd.DataFrame, real: np.ndarray, population: np.ndarray, sources: list[str], log_sd: np.ndarray,
    split: RaionSplit, target_year: int,
) -> pd.DataFrame:
    """The table of :class:`PopulationEstimate`: one row per unit, in input order."""
    years = np.where(real, units["population_year"].to_numpy(), target_year).astype(int)
    p5, p95 = spread_interval(population, log_sd)
    return cast("pd.DataFrame", pd.DataFrame({
        "unit_code": units["unit_code"].to_numpy(),
        "population": population,
        "population_year": years,
        "population_source": sources,
        "population_is_estimate": ~real,
        "population_log_sd": np.round(log_sd, 4),
        "population_p5": p5,
        "population_p95": p95,
        "estimate_kind": split.kind.astype(str),
    }))


def _log_sd(
    split: RaionSplit, urban: np.ndarray, town_factor: TownFactor | None, spread: SpreadModel,
    cv_unscaled: CrossValidation,
) -> np.ndarray:
    """Spread (SD of the natural log) of each unit's figure or estimate."""
    # a town estimated with the factor: its leave-one-out residual is the whole error of its
    # unscaled estimate (the aiyl aimak model's error for the town included), so the LOO log RMS
    # replaces the aiyl aimak error, unscaled and before scaling alike
    unit_sd = np.where(urban, town_factor.loo_log_rmse if town_factor else 0.0, spread.within_raion_log_sd)
    log_sd = np.select(
        [split.kind == "real", split.kind == "town_figure", split.kind == "scaled"],
        [0.0, GEONAMES_TOWN_LOG_SD,
         np.sqrt((unit_sd * np.nan_to_num(split.share_factor)) ** 2 + spread.floor_log_sd ** 2)],
        np.where(urban, unit_sd, cv_unscaled.log_rmse))
    estimated_rows = split.kind != "real"
    return cast("np.ndarray", np.where(estimated_rows, np.maximum(log_sd, MIN_ESTIMATE_LOG_SD), log_sd))


def _sources(
    units: pd.DataFrame, split: RaionSplit, method: str, target_year: int, n_fit: int, urban: np.ndarray,
    town_figure_source: str,
) -> list[str]:
    """The ``population_source`` of each unit: the given source of a real figure, else an estimate's label."""
    sources = []
    given = units["population_source"] if "population_source" in units else pd.Series([None] * len(units))
    for i, kind in enumerate(split.kind):
        if kind == "real":
            sources.append(given.iloc[i] if isinstance(given.iloc[i], str) else "real figure")
        elif kind == "town_figure":
            sources.append(ESTIMATE_PREFIX + town_figure_source)
        else:
            sources.append(_source_label(kind, method, str(split.note[i]), target_year, n_fit, bool(urban[i])))
    return sources


def _notes(
    method: str, split: RaionSplit, cv_scaled: CrossValidation, cv_unscaled: CrossValidation,
    town_factor: TownFactor | None,
) -> list[str]:
    """Sentences for the build report: the method's cross-validated error, unscaled units, the town factor."""
    notes = [
        f"Population method: {METHOD_NAMES[method]}; leave-one-raion-out error on {len(cv_scaled.unit_codes)} "
        f"units with a real figure: median {100 * cv_scaled.median_abs_rel_error:.0f} % off when scaled to the "
        f"raion totals (log SD {cv_scaled.log_rmse:.2f}), {100 * cv_unscaled.median_abs_rel_error:.0f} % "
        f"without (log SD {cv_unscaled.log_rmse:.2f})."
    ]
    unscaled = int((split.kind == "unscaled").sum())
    if unscaled:
        notes.append(f"{unscaled} estimated units are not scaled to a raion total (no real total, or one that the "
                     "known units nearly exhaust); their sources say why.")
    if town_factor is not None:
        notes.append(town_factor_note(town_factor))
    return notes
