"""Population estimator: the ridge regression of ``log(population)`` on the predictors.

The fitted method's model: :func:`fit_log_linear` solves a ridge regression on standardised
features with an unpenalised intercept; :func:`fit_unit_model` fits it on a unit table (the
predictors of :data:`~atr_model.data.population.features.PREDICTORS` plus oblast dummies) and
returns a :class:`LogLinearFit` that predicts any unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from atr_model.data.population.features import PREDICTORS, feature_matrix
from atr_model.errors import DataError

__all__ = [
    "DEFAULT_RIDGE_LAMBDA",
    "MIN_RAIONS_PER_OBLAST_DUMMY",
    "LogLinearFit",
    "dummy_oblasts",
    "fit_log_linear",
    "fit_unit_model",
]

#: Default ridge penalty (on standardised predictors, in units of "observations"): small enough
#: to leave well-determined effects alone, large enough to tame the oblast dummies of oblasts
#: with few real figures. Chosen by the leave-one-raion-out error on the Kyrgyz data (see
#: data/README.md); the fit is not sensitive between 1 and 10.
DEFAULT_RIDGE_LAMBDA = 3.0

#: An oblast gets a dummy only when its real figures come from at least this many raions; with
#: fewer, the "oblast effect" would be one raion's effect (and the leave-one-raion-out check
#: could not test it).
MIN_RAIONS_PER_OBLAST_DUMMY = 2


@dataclass(frozen=True)
class LogLinearFit:
    """A fitted ridge regression of ``log(population)`` on transformed predictors.

    Attributes
    ----------
    feature_names : tuple of str
        Transformed predictors, then ``oblast=<code>`` dummies.
    intercept : float
        Intercept on the log scale (mean of the fitted log populations).
    coefficients : numpy.ndarray
        Effect of one unit of each transformed predictor on ``log(population)``.
    feature_mean : numpy.ndarray
        Mean of each feature over the fitting units (the regression is centred there).
    ridge_lambda : float
        Penalty on the standardised coefficients.
    n_units : int
        Units fitted.
    oblasts : tuple of str
        Oblast codes with a dummy (every oblast of the unit table, sorted).
    """

    feature_names: tuple[str, ...]
    intercept: float
    coefficients: np.ndarray
    feature_mean: np.ndarray
    ridge_lambda: float
    n_units: int
    oblasts: tuple[str, ...]

    def predict_log(self, units: pd.DataFrame) -> np.ndarray:
        """Predicted ``log(population)`` of each row of ``units``."""
        x = feature_matrix(units, self.oblasts)
        return cast("np.ndarray", self.intercept + (x - self.feature_mean) @ self.coefficients)

    def coefficient_table(self) -> dict[str, float]:
        """Feature -> coefficient (per unit of the transformed predictor), plus the intercept."""
        out = {"intercept (at the mean of the fitting units)": round(self.intercept, 4)}
        out.update({n: round(float(c), 4) for n, c in zip(self.feature_names, self.coefficients)})
        return out


def fit_log_linear(
    x: np.ndarray, y_log: np.ndarray, *, ridge_lambda: float = DEFAULT_RIDGE_LAMBDA,
) -> tuple[float, np.ndarray, np.ndarray]:
    """Ridge regression with an unpenalised intercept, on standardised features.

    Parameters
    ----------
    x : numpy.ndarray
        Features, shape (n, k).
    y_log : numpy.ndarray
        Log populations, shape (n,).
    ridge_lambda : float
        Penalty on the standardised coefficients (0 = ordinary least squares).

    Returns
    -------
    tuple of (float, numpy.ndarray, numpy.ndarray)
        Intercept (the mean of ``y_log``), coefficients per unit of each raw feature, and the
        feature means (predictions are ``intercept + (x - mean) @ coefficients``).
    """
    if ridge_lambda < 0:
        raise ValueError(f"ridge_lambda must not be negative, got {ridge_lambda}")
    mean = x.mean(axis=0)
    centred = x - mean
    scale = centred.std(axis=0)
    # a constant column (an oblast absent from the fitting units) gets coefficient 0
    scale = np.where(scale > 1e-12, scale, 1.0)
    z = centred / scale
    y_mean = float(y_log.mean())
    gram = z.T @ z + ridge_lambda * np.eye(z.shape[1])
    beta_z = np.linalg.solve(gram, z.T @ (y_log - y_mean))
    return y_mean, beta_z / scale, mean


def fit_unit_model(
    units: pd.DataFrame, target_log: np.ndarray, oblasts: tuple[str, ...], ridge_lambda: float,
) -> LogLinearFit:
    """The regression fitted on ``units`` (their log populations ``target_log``).

    Parameters
    ----------
    units : pandas.DataFrame
        The fitting units (rows of the unit table).
    target_log : numpy.ndarray
        Their ``log(population)`` in the target year.
    oblasts : tuple of str
        Oblasts given a dummy (:func:`dummy_oblasts`).
    ridge_lambda : float
        Ridge penalty.

    Raises
    ------
    DataError
        When there are fewer than two fitting units per predictor.
    """
    n_features = len(PREDICTORS)
    if len(units) < 2 * n_features:
        raise DataError(
            f"population model: too few units with a real figure to fit ({len(units)}; at least "
            f"{2 * n_features} needed for {n_features} predictors); use population_method='village_split'")
    x = feature_matrix(units, oblasts)
    intercept, coef, mean = fit_log_linear(x, target_log, ridge_lambda=ridge_lambda)
    names = tuple(f"{p.transform}({p.name})" if p.transform in ("log", "log1p") else
                  (f"{p.name} / 1000" if p.transform == "per_km" else p.name) for p in PREDICTORS)
    names += tuple(f"oblast={o}" for o in oblasts)
    return LogLinearFit(names, intercept, coef, mean, float(ridge_lambda), len(units), oblasts)


def dummy_oblasts(fit_units: pd.DataFrame) -> tuple[str, ...]:
    """Oblasts whose fitting units come from at least :data:`MIN_RAIONS_PER_OBLAST_DUMMY` raions, sorted."""
    per_oblast = fit_units.groupby(fit_units["oblast_code"].astype(str))["raion_code"].nunique()
    return tuple(sorted(str(o) for o, n in per_oblast.items() if n >= MIN_RAIONS_PER_OBLAST_DUMMY))
