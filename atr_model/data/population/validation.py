"""Population estimator: leave-one-raion-out cross-validation and the spread it calibrates.

The error is measured by **leave-one-raion-out** cross-validation (:func:`cross_validate`): the
real figures of one raion at a time are hidden, the method is rerun without them, and the hidden
figures are compared with the estimates. This reproduces the situation of the raions that have no
real unit figure at all (most of them). The folds are the raions in code order: no random
numbers. The cross-validated errors give the per-unit spread ``population_log_sd`` (the SD of the
natural log of the estimate): for an unscaled estimate, the root mean square of the unscaled
log residuals; for an estimate scaled to a real raion total, the share error that the scaling
leaves (:func:`~atr_model.data.population.raking.normalisation_factor`, 0 for the only estimated
unit of a raion) plus a floor calibrated on the scaled cross-validation (:class:`SpreadModel`).
``population_p5`` / ``population_p95`` are ``population * exp(-/+ 1.645 * log_sd)``
(:func:`spread_interval`); a real figure has spread 0 and ``p5 == population == p95``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from atr_model.data.population.features import check_unit_table, target_year_figures
from atr_model.data.population.methods import run_method
from atr_model.data.population.raking import DEFAULT_MIN_RESIDUAL_PER_UNIT
from atr_model.data.population.regression import DEFAULT_RIDGE_LAMBDA
from atr_model.errors import DataError

__all__ = [
    "MIN_ESTIMATE_LOG_SD",
    "Z_90",
    "CrossValidation",
    "SpreadModel",
    "calibrate_spread",
    "cross_validate",
    "spread_interval",
]

#: Standard-normal quantile of the 5 % / 95 % bounds of the spread interval.
Z_90 = 1.6448536269514722

#: Smallest spread (log SD) of any estimate: even the only estimated unit of a raion, which
#: takes the raion total minus the known units, inherits the rounding and definitions of those
#: figures. 0.05 is about +/-8 % at 90 %.
MIN_ESTIMATE_LOG_SD = 0.05


@dataclass(frozen=True)
class CrossValidation:
    """Leave-one-raion-out errors of one method on the units with a real figure.

    Attributes
    ----------
    method : str
        ``"fitted"`` or ``"village_split"``.
    scaled : bool
        Whether estimates were scaled to real raion totals (as in the build) or not.
    unit_codes : tuple of str
        Units evaluated (real figure, hidden in their fold).
    observed, estimated : numpy.ndarray
        Real figure (moved to the target year) and the cross-validated estimate.
    raion_codes : tuple of str
        Raion (= fold) of each unit.
    share_factor : numpy.ndarray
        :func:`normalisation_factor` of each unit in its fold (NaN where it was not scaled).
    """

    method: str
    scaled: bool
    unit_codes: tuple[str, ...]
    observed: np.ndarray
    estimated: np.ndarray
    raion_codes: tuple[str, ...] = ()
    share_factor: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def log_residuals(self) -> np.ndarray:
        """``log(estimate / observed)`` per unit."""
        return cast("np.ndarray", np.log(self.estimated / self.observed))

    @property
    def median_abs_rel_error(self) -> float:
        """Median of ``|estimate - observed| / observed``."""
        return float(np.median(np.abs(self.estimated - self.observed) / self.observed))

    @property
    def log_rmse(self) -> float:
        """Root mean square of the log residuals (the SD of the log error about 0, bias included)."""
        return float(np.sqrt(np.mean(self.log_residuals ** 2)))

    @property
    def log_sd(self) -> float:
        """Standard deviation of the log residuals about their mean."""
        return float(np.std(self.log_residuals))

    @property
    def within_raion_log_sd(self) -> float:
        """Pooled SD of the log residuals about their raion's mean (what scaling cannot remove)."""
        res = pd.Series(self.log_residuals)
        groups = pd.Series(self.raion_codes, dtype=object)
        centred = res - res.groupby(groups).transform("mean")
        dof = len(res) - groups.nunique()
        return float(np.sqrt((centred ** 2).sum() / dof)) if dof > 0 else float(np.sqrt(np.mean(res ** 2)))

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON summary."""
        res = self.log_residuals
        return {
            "method": self.method,
            "scaled_to_raion_totals": self.scaled,
            "folds": "leave one raion out",
            "units": len(self.unit_codes),
            "median_abs_rel_error": round(self.median_abs_rel_error, 4),
            "log_rmse": round(self.log_rmse, 4),
            "log_sd": round(self.log_sd, 4),
            "log_bias": round(float(res.mean()), 4),
            "within_25pct_share": round(float(np.mean(np.abs(self.estimated / self.observed - 1) <= 0.25)), 4),
        }


def cross_validate(
    units: pd.DataFrame,
    raion_totals: Mapping[str, float],
    *,
    method: str = "fitted",
    scaled: bool = True,
    growth_factors: Mapping[int, float] | None = None,
    target_year: int = 2021,
    ridge_lambda: float = DEFAULT_RIDGE_LAMBDA,
    min_residual_per_unit: float = DEFAULT_MIN_RESIDUAL_PER_UNIT,
) -> CrossValidation:
    """Leave-one-raion-out error of ``method`` on the units with a real figure.

    For each raion with real figures (in code order), those figures are hidden; the method is
    rerun on the others (the fitted model refitted without them) and the hidden units' estimates
    are compared with their figures moved to the target year. No random numbers are involved.

    Parameters
    ----------
    units : pandas.DataFrame
        The unit table (see :func:`~atr_model.data.population.estimate_unit_populations`).
    raion_totals : mapping
        Real raion totals (raion code -> residents in the target year).
    method : str
        ``"fitted"`` or ``"village_split"``.
    scaled : bool
        Scale to real raion totals as the build does (True), or judge the unscaled estimates.
    growth_factors, target_year, ridge_lambda, min_residual_per_unit
        As in :func:`~atr_model.data.population.estimate_unit_populations`.

    Returns
    -------
    CrossValidation
    """
    check_unit_table(units)
    units = units.reset_index(drop=True)
    growth = dict(growth_factors or {target_year: 1.0})
    real = units["population"].notna().to_numpy()
    figures = target_year_figures(units, growth)
    totals = raion_totals if scaled else {}
    raions = units["raion_code"].astype(str).to_numpy()
    codes, observed, estimated, folds, factors = [], [], [], [], []
    for raion in sorted(set(raions[real])):
        hidden = real & (raions == raion)
        try:
            split, _, _ = run_method(units, real & ~hidden, totals, method, growth, target_year, ridge_lambda,
                                     min_residual_per_unit)
        except DataError as exc:
            raise DataError(f"cross-validation, leaving out raion {raion}: {exc}") from exc
        rows = np.flatnonzero(hidden)
        codes += list(units["unit_code"].to_numpy()[rows])
        folds += [raion] * len(rows)
        observed.append(figures[rows])
        estimated.append(np.maximum(split.population[rows], 1.0))
        factors.append(split.share_factor[rows])
    return CrossValidation(method, scaled, tuple(codes), np.concatenate(observed), np.concatenate(estimated),
                           tuple(folds), np.concatenate(factors))


@dataclass(frozen=True)
class SpreadModel:
    """Per-unit spread of scaled estimates, calibrated on the cross-validation.

    A scaled estimate's log SD is ``sqrt((within_raion_log_sd * f_i)^2 + floor_log_sd^2)`` with
    ``f_i`` its :func:`normalisation_factor`: the share error that scaling leaves, plus a floor
    for what the raion total itself gets wrong (known figures of other years or definitions).
    ``within_raion_log_sd`` comes from the unscaled cross-validation (residuals about their
    raion's mean); ``floor_log_sd`` is set so that, over the scaled cross-validation, the mean
    squared log error equals the mean predicted variance (method of moments).

    Attributes
    ----------
    within_raion_log_sd, floor_log_sd : float
        The two components.
    calibration_rms_z : float
        Root mean square of ``log error / predicted log SD`` over the scaled cross-validation
        (about 1 when the spread is neither too narrow nor too wide).
    coverage_90 : float
        Share of the scaled cross-validation's real figures inside their estimate's
        ``population_p5``..``population_p95`` interval (0.9 would be exact).
    """

    within_raion_log_sd: float
    floor_log_sd: float
    calibration_rms_z: float
    coverage_90: float = float("nan")

    def log_sd(self, share_factor: np.ndarray) -> np.ndarray:
        """Predicted log SD of scaled estimates with these normalisation factors."""
        f = np.asarray(share_factor, dtype=float)
        return np.sqrt((self.within_raion_log_sd * f) ** 2 + self.floor_log_sd ** 2)

    def to_dict(self) -> dict[str, float]:
        """Plain-JSON form."""
        return {"within_raion_log_sd": round(self.within_raion_log_sd, 4),
                "floor_log_sd": round(self.floor_log_sd, 4),
                "calibration_rms_z": round(self.calibration_rms_z, 4),
                "coverage_90": round(self.coverage_90, 4)}


def calibrate_spread(cv_scaled: CrossValidation, cv_unscaled: CrossValidation) -> SpreadModel:
    """The :class:`SpreadModel` of a method from its two cross-validations."""
    sigma_w = cv_unscaled.within_raion_log_sd
    use = np.isfinite(cv_scaled.share_factor)
    if not use.any():
        return SpreadModel(sigma_w, cv_scaled.log_rmse, 1.0)
    res2 = cv_scaled.log_residuals[use] ** 2
    share2 = (sigma_w * cv_scaled.share_factor[use]) ** 2
    floor = float(np.sqrt(max(float(np.mean(res2 - share2)), 0.0)))
    model = SpreadModel(sigma_w, floor, 1.0)
    predicted = np.maximum(model.log_sd(cv_scaled.share_factor[use]), MIN_ESTIMATE_LOG_SD)
    z = np.sqrt(res2) / predicted
    return SpreadModel(sigma_w, floor, float(np.sqrt(np.mean(z ** 2))), float(np.mean(z <= Z_90)))


def spread_interval(population: np.ndarray, log_sd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """5 % and 95 % bounds ``population * exp(-/+ Z_90 * log_sd)``, rounded outwards to persons."""
    population = np.asarray(population, dtype=float)
    log_sd = np.asarray(log_sd, dtype=float)
    low = np.minimum(np.floor(population * np.exp(-Z_90 * log_sd)), population)
    high = np.maximum(np.ceil(population * np.exp(Z_90 * log_sd)), population)
    exact = log_sd == 0
    return np.where(exact, population, low), np.where(exact, population, high)
