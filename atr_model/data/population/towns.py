"""Population estimator: the town factor, with the regional centres left out and a leave-one-out error.

A town without a figure gets the aiyl aimak model's prediction times a town factor, the median
ratio of figure to prediction over the towns that have a figure (:func:`town_log_offset`),
**regional centres left out** (oblast centres and cities of republican status, large regional
cities whose ratio to an aiyl-aimak-style prediction is far above a small town's). The factor's
error is measured by leave-one-out over the towns it is fitted on (:func:`fit_town_factor`: each
town's figure hidden, the factor refitted on the others); that leave-one-out log RMS is the
spread of a town estimated with the factor.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from atr_model.data.population.features import regional_centre_mask, target_year_figures, urban_mask
from atr_model.data.population.regression import LogLinearFit

__all__ = [
    "GEONAMES_TOWN_LOG_SD",
    "TownFactor",
    "fit_town_factor",
    "town_factor_note",
    "town_factor_of_units",
    "town_log_offset",
]

#: Spread (SD of the natural log) assumed for an outside town figure (old GeoNames figure of an
#: unstated year). Only two towns of the shared data have both that and a census figure
#: (Cholpon-Ata and Nookat: GeoNames off by +5 % and -11 % against the 2021 figures), too few
#: to measure a spread; 0.3 is a cautious assumption (90 % interval 0.61x to 1.64x the figure).
GEONAMES_TOWN_LOG_SD = 0.3


def _town_fit_rows(
    predicted: np.ndarray, figures: np.ndarray, level: np.ndarray, exclude: np.ndarray | None,
) -> np.ndarray:
    """Towns the factor is fitted on: a figure, a prediction, and not excluded."""
    use = (level == "town") & (figures > 0) & (predicted > 0)
    return cast("np.ndarray", use if exclude is None else use & ~np.asarray(exclude, dtype=bool))


def town_log_offset(
    predicted: np.ndarray, figures: np.ndarray, level: np.ndarray, *, exclude: np.ndarray | None = None,
) -> float:
    """Median log ratio of figure to prediction over the towns that have a figure (0 if none).

    Parameters
    ----------
    predicted : numpy.ndarray
        Aiyl aimak model predictions for every unit.
    figures : numpy.ndarray
        A figure per unit (real or outside), NaN where none.
    level : numpy.ndarray
        ``"town"`` or ``"aiyl_aimak"`` per unit.
    exclude : numpy.ndarray, optional
        Boolean mask of towns left out of the fit (the regional centres).

    Returns
    -------
    float
        The town factor on the log scale.
    """
    use = _town_fit_rows(predicted, figures, level, exclude)
    if not use.any():
        return 0.0
    return float(np.median(np.log(figures[use] / predicted[use])))


def _loo_median_residuals(log_ratio: np.ndarray, evaluated: np.ndarray, fitted: np.ndarray) -> np.ndarray:
    """``log_ratio[i]`` minus the median over ``fitted`` without ``i``, for each ``i`` in ``evaluated``.

    Empty when fewer than 2 towns are evaluated (leaving one out would leave nothing to fit on).
    """
    if len(evaluated) < 2:
        return np.zeros(0)
    out = []
    for i in evaluated:
        others = fitted[fitted != i]
        out.append(log_ratio[i] - float(np.median(log_ratio[others])))
    return np.asarray(out, dtype=float)


@dataclass(frozen=True)
class TownFactor:
    """The town factor, the regional centres left out of it, and its leave-one-out error.

    Attributes
    ----------
    log_offset : float
        The factor used (log scale): median log ratio figure / prediction over ``fitted_codes``.
    log_offset_with_centres : float
        The former factor: the same median with the regional centres included.
    fitted_codes : tuple of str
        Towns with a figure the factor is fitted on (unit order).
    centre_codes : tuple of str
        Regional centres with a figure, left out of the fit.
    centre_log_ratios : numpy.ndarray
        Their log ratio figure / prediction (why they are left out).
    loo_log_residuals : numpy.ndarray
        Per fitted town, ``log(figure / (prediction x factor))`` with the factor refitted on the
        other fitted towns (leave one out).
    loo_log_residuals_with_centres : numpy.ndarray
        The same towns under the former rule: the factor refitted on every other town with a
        figure, regional centres included.
    """

    log_offset: float
    log_offset_with_centres: float
    fitted_codes: tuple[str, ...]
    centre_codes: tuple[str, ...]
    centre_log_ratios: np.ndarray
    loo_log_residuals: np.ndarray
    loo_log_residuals_with_centres: np.ndarray

    @property
    def measured(self) -> bool:
        """Whether a leave-one-out error exists (at least 2 fitted towns)."""
        return len(self.loo_log_residuals) >= 2

    @property
    def loo_log_rmse(self) -> float:
        """Root mean square of the leave-one-out log residuals (the spread of a town estimate).

        :data:`GEONAMES_TOWN_LOG_SD` when fewer than 2 towns have a figure (nothing to measure).
        """
        return _rms(self.loo_log_residuals) if self.measured else GEONAMES_TOWN_LOG_SD

    def errors(self, with_centres: bool = False) -> dict[str, float | int | None]:
        """Leave-one-out median abs. relative error, log RMS and log bias on the fitted towns."""
        res = self.loo_log_residuals_with_centres if with_centres else self.loo_log_residuals
        if len(res) < 2:
            return {"towns": len(res), "median_abs_rel_error": None, "log_rmse": None, "log_bias": None}
        # residual = log(figure / estimate), so the relative error of the estimate is exp(-res) - 1
        return {"towns": len(res), "median_abs_rel_error": round(float(np.median(np.abs(np.expm1(-res)))), 4),
                "log_rmse": round(_rms(res), 4), "log_bias": round(float(-res.mean()), 4)}

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON summary (before = regional centres in the fit, after = left out)."""
        return {
            "rule": "median ratio figure / aiyl aimak model prediction over the towns with a figure, "
                    "regional centres (oblast centres, cities of republican status) left out",
            "factor": round(math.exp(self.log_offset), 4),
            "factor_with_regional_centres": round(math.exp(self.log_offset_with_centres), 4),
            "fitted_towns": len(self.fitted_codes),
            "regional_centres_left_out": [
                {"unit_code": c, "ratio": round(math.exp(r), 2)}
                for c, r in zip(self.centre_codes, self.centre_log_ratios)
            ],
            "leave_one_out": {
                "on": f"the same {len(self.fitted_codes)} towns with a figure (regional centres excluded), each "
                      "figure hidden and the factor refitted on the others; log bias = mean log(estimate / figure)",
                "after": self.errors(),
                "before": self.errors(with_centres=True),
            },
            "spread_log_sd": round(self.loo_log_rmse, 4),
        }


def _rms(values: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.asarray(values, dtype=float) ** 2)))


def fit_town_factor(
    predicted: np.ndarray, figures: np.ndarray, urban: np.ndarray, regional_centre: np.ndarray,
    codes: np.ndarray,
) -> TownFactor:
    """The town factor without the regional centres, with its leave-one-out error before and after.

    The aiyl aimak regression does not use town figures, so leaving a town out only refits the
    factor (the median); the towns are taken in unit order and no random numbers are involved.

    Parameters
    ----------
    predicted : numpy.ndarray
        Aiyl aimak model prediction per unit.
    figures : numpy.ndarray
        Figure per unit (real figure moved to the target year, or the outside town figure), NaN
        where none.
    urban : numpy.ndarray
        Towns proper (the factor applies to them).
    regional_centre : numpy.ndarray
        Oblast centres and cities of republican status (left out of the fit).
    codes : numpy.ndarray
        Unit codes.

    Returns
    -------
    TownFactor
    """
    predicted = np.asarray(predicted, dtype=float)
    figures = np.asarray(figures, dtype=float)
    level = np.where(np.asarray(urban, dtype=bool), "town", "aiyl_aimak")
    centre = np.asarray(regional_centre, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.log(figures / predicted)
    every = np.flatnonzero(_town_fit_rows(predicted, figures, level, None))
    fitted = np.flatnonzero(_town_fit_rows(predicted, figures, level, centre))
    left_out = np.setdiff1d(every, fitted)
    codes = np.asarray(codes).astype(str)
    return TownFactor(
        log_offset=town_log_offset(predicted, figures, level, exclude=centre),
        log_offset_with_centres=town_log_offset(predicted, figures, level),
        fitted_codes=tuple(codes[fitted]),
        centre_codes=tuple(codes[left_out]),
        centre_log_ratios=log_ratio[left_out],
        loo_log_residuals=_loo_median_residuals(log_ratio, fitted, fitted),
        loo_log_residuals_with_centres=_loo_median_residuals(log_ratio, fitted, every),
    )


def town_factor_of_units(
    units: pd.DataFrame, real: np.ndarray, growth: Mapping[int, float], fit: LogLinearFit,
) -> TownFactor:
    """:func:`fit_town_factor` on the unit table: real figures moved to the target year, else town figures."""
    figures = np.where(real, target_year_figures(units, growth),
                       pd.to_numeric(units["town_figure"], errors="coerce").to_numpy(dtype=float))
    return fit_town_factor(np.exp(fit.predict_log(units)), figures, urban_mask(units), regional_centre_mask(units),
                           units["unit_code"].to_numpy())


def town_factor_note(factor: TownFactor) -> str:
    """A sentence for the build report: the factor, the centres left out, its leave-one-out error."""
    after, before = factor.errors(), factor.errors(with_centres=True)
    head = (f"Town factor x{math.exp(factor.log_offset):.2f} (median over {len(factor.fitted_codes)} towns with a "
            f"figure; {len(factor.centre_codes)} regional centres left out; with them x"
            f"{math.exp(factor.log_offset_with_centres):.2f})")
    if after["median_abs_rel_error"] is None or before["median_abs_rel_error"] is None:
        return head + "; too few towns to measure its error."
    return (head + f"; leave-one-out error on those towns: median {100 * after['median_abs_rel_error']:.0f} % "
            f"(log RMS {after['log_rmse']:.2f}), with the regional centres in the fit "
            f"{100 * before['median_abs_rel_error']:.0f} % (log RMS {before['log_rmse']:.2f}).")
