"""Population estimator: one run of a method over the unit table.

:func:`run_method` estimates every unit without a usable figure with ``fitted`` (the ridge
regression, towns times the town factor) or ``village_split`` (the former split by villages),
then scales each raion's estimates to its real total where there is one. Both the estimate and
its cross-validation run through here, so they cannot drift apart.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from atr_model.data.population.features import regional_centre_mask, target_year_figures, urban_mask
from atr_model.data.population.raking import RaionSplit, rake_to_raion_totals
from atr_model.data.population.regression import LogLinearFit, dummy_oblasts, fit_unit_model
from atr_model.data.population.towns import town_log_offset
from atr_model.data.population.villages import village_split_weights

__all__ = ["METHOD_NAMES", "run_method"]

#: The methods, with the name the build report gives them.
METHOD_NAMES = {
    "fitted": "fitted log-linear model (ridge regression of log population on unit predictors)",
    "village_split": "raion total minus known units, split by number of COATE villages",
}


def _fitted_weights(
    units: pd.DataFrame, known: np.ndarray, figures: np.ndarray, town_figures: np.ndarray, ridge_lambda: float,
    centres_in_town_factor: bool,
) -> tuple[np.ndarray, LogLinearFit, float]:
    """The regression's prediction per unit (towns times the town factor), the fit and the log factor."""
    level = units["level"].to_numpy()
    fit_rows = known & (level == "aiyl_aimak")
    fit = fit_unit_model(units.loc[fit_rows], np.log(figures[fit_rows]), dummy_oblasts(units.loc[fit_rows]),
                         ridge_lambda)
    pred = np.exp(fit.predict_log(units))
    urban = urban_mask(units)
    offset = town_log_offset(pred, np.where(known, figures, town_figures), np.where(urban, "town", "aiyl_aimak"),
                             exclude=None if centres_in_town_factor else regional_centre_mask(units))
    return np.where(urban, pred * math.exp(offset), pred), fit, offset


def run_method(
    units: pd.DataFrame,
    known: np.ndarray,
    totals: Mapping[str, float],
    method: str,
    growth_factors: Mapping[int, float],
    target_year: int,
    ridge_lambda: float,
    min_residual_per_unit: float,
    *,
    centres_in_town_factor: bool = False,
) -> tuple[RaionSplit, LogLinearFit | None, float]:
    """Estimate every unit not in ``known`` (boolean mask of usable real figures).

    A town with an outside figure (``town_figure``) and no usable real one keeps it.
    ``centres_in_town_factor=True`` fits the town factor on every town with a figure, regional
    centres included (the former rule, kept for the report's before/after comparison).

    Returns
    -------
    tuple of (RaionSplit, LogLinearFit or None, float)
        The estimates, the regression (``None`` for ``village_split``) and the town factor on
        the log scale (0 for ``village_split``).
    """
    fig = target_year_figures(units.assign(population=np.where(known, units["population"], np.nan)), growth_factors)
    level = units["level"].to_numpy()
    town_fig = pd.to_numeric(units["town_figure"], errors="coerce").to_numpy(dtype=float)
    has_town_fig = (level == "town") & (town_fig > 0) & ~known
    fit: LogLinearFit | None = None
    offset = 0.0
    if method == "fitted":
        raw, fit, offset = _fitted_weights(units, known, fig, town_fig, ridge_lambda, centres_in_town_factor)
    elif method == "village_split":
        raw = village_split_weights(units, known, fig, target_year)
    else:
        raise ValueError(f"unknown population method {method!r} (use 'fitted' or 'village_split')")
    fixed = np.where(known, fig, np.where(has_town_fig, np.round(town_fig), np.nan))
    kind = np.where(known, "real", np.where(has_town_fig, "town_figure", "")).astype(object)
    split = rake_to_raion_totals(units["raion_code"].astype(str).to_numpy(), fixed, kind, raw, totals, target_year,
                                 min_residual_per_unit)
    return split, fit, offset
