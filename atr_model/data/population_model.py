"""Data stage: estimate the populations of units without a real figure, with a measured error.

Pure functions on tables (no file I/O): the Kyrgyz build (``atr_model.data.kyrgyz``) gathers one
row per unit with its real figure (if any) and a few predictors available for every unit, and
this module turns that into a population, a source label and a per-unit spread.

Two methods, both evaluated the same way on the units that have a real figure:

``fitted`` (the default)
    A log-linear ridge regression of ``log(population)`` on the predictors of :data:`PREDICTORS`
    plus oblast dummies, fitted on the aiyl aimaks with a real figure. Figures older than the
    target year are moved to it with a growth factor (``growth_factors``) before fitting. Within
    a raion whose total is real, the predictions only set the *shares*: the raion total minus
    the known units is split over the estimated units in proportion to the predictions
    (:func:`scale_to_total`, exact to the person).
``village_split`` (the former method)
    The same residual split in proportion to the number of COATE villages; without a usable
    raion total, residents per COATE village of the units with a real target-year figure times
    the unit's villages.

Towns are handled explicitly: a town with an outside figure (``town_figure``, e.g. an old
GeoNames population) keeps it, fixed, as before; a town without one gets the aiyl aimak model's
prediction times a town factor, the median ratio of figure to prediction over the towns that have
a figure (:func:`town_log_offset`), **regional centres left out** (the optional column
``regional_centre``: oblast centres and cities of republican status, large regional cities whose
ratio to an aiyl-aimak-style prediction is far above a small town's). The factor's error is
measured by leave-one-out over the towns it is fitted on (:func:`fit_town_factor`: each town's
figure hidden, the factor refitted on the others); that leave-one-out log RMS is the spread of a
town estimated with the factor.

The error is measured by **leave-one-raion-out** cross-validation (:func:`cross_validate`): the
real figures of one raion at a time are hidden, the method is rerun without them, and the hidden
figures are compared with the estimates. This reproduces the situation of the raions that have no
real unit figure at all (most of them). The folds are the raions in code order: no random
numbers. The cross-validated errors give the per-unit spread ``population_log_sd`` (the SD of the
natural log of the estimate): for an unscaled estimate, the root mean square of the unscaled
log residuals; for an estimate scaled to a real raion total, the share error that the scaling
leaves (:func:`normalisation_factor`, 0 for the only estimated unit of a raion) plus a floor
calibrated on the scaled cross-validation (:class:`SpreadModel`). ``population_p5`` /
``population_p95`` are ``population * exp(-/+ 1.645 * log_sd)``; a real figure has spread 0 and
``p5 == population == p95``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from atr_model.data._markdown import markdown_table
from atr_model.data.contract import ESTIMATE_PREFIX
from atr_model.errors import DataError

__all__ = [
    "PREDICTORS",
    "Predictor",
    "LogLinearFit",
    "CrossValidation",
    "PopulationEstimate",
    "GEONAMES_TOWN_LOG_SD",
    "DEFAULT_RIDGE_LAMBDA",
    "MIN_ESTIMATE_LOG_SD",
    "SpreadModel",
    "Z_90",
    "calibrate_spread",
    "normalisation_factor",
    "fit_log_linear",
    "predictor_table",
    "check_unit_table",
    "town_log_offset",
    "TownFactor",
    "fit_town_factor",
    "scale_to_total",
    "estimate_unit_populations",
    "cross_validate",
    "largest_changes",
    "estimator_markdown",
    "spread_interval",
]

logger = logging.getLogger(__name__)

#: Standard-normal quantile of the 5 % / 95 % bounds of the spread interval.
Z_90 = 1.6448536269514722

#: Spread (SD of the natural log) assumed for an outside town figure (old GeoNames figure of an
#: unstated year). Only two towns of the shared data have both that and a census figure
#: (Cholpon-Ata and Nookat: GeoNames off by +5 % and -11 % against the 2021 figures), too few
#: to measure a spread; 0.3 is a cautious assumption (90 % interval 0.61x to 1.64x the figure).
GEONAMES_TOWN_LOG_SD = 0.3

#: Default ridge penalty (on standardised predictors, in units of "observations"): small enough
#: to leave well-determined effects alone, large enough to tame the oblast dummies of oblasts
#: with few real figures. Chosen by the leave-one-raion-out error on the Kyrgyz data (see
#: data/README.md); the fit is not sensitive between 1 and 10.
DEFAULT_RIDGE_LAMBDA = 3.0

#: Smallest spread (log SD) of any estimate: even the only estimated unit of a raion, which
#: takes the raion total minus the known units, inherits the rounding and definitions of those
#: figures. 0.05 is about +/-8 % at 90 %.
MIN_ESTIMATE_LOG_SD = 0.05

#: Smallest residual per estimated unit for the raion total to be used (as the former method).
DEFAULT_MIN_RESIDUAL_PER_UNIT = 300.0


@dataclass(frozen=True)
class Predictor:
    """One predictor column of the unit table.

    Parameters
    ----------
    name : str
        Column of the unit table.
    transform : str
        ``"log"`` (natural log; the value must be positive), ``"log1p"`` (log of 1 + value;
        non-negative), ``"per_km"`` (value / 1000, for metres) or ``"flag"`` (0/1).
    description : str
        What the value is, with its unit.
    source : str
        Where the value comes from in the Kyrgyz build.
    """

    name: str
    transform: str
    description: str
    source: str


#: Predictors of the fitted model (besides the oblast dummies), all available for every unit.
PREDICTORS: tuple[Predictor, ...] = (
    Predictor("n_villages", "log", "number of COATE villages of the unit (at least 1)",
              "COATE 2021 classifier (classifier/coate_2021.csv)"),
    Predictor("n_located_villages", "log1p", "number of its villages located on the map",
              "name matches of COATE villages to Who's On First and GeoNames places"),
    Predictor("area_km2", "log", "area of the unit's territory, km2",
              "territories stage of the build (approximate territories unless official polygons are given)"),
    Predictor("centre_elevation_m", "per_km", "elevation of the unit centre, km",
              "GEBCO 2023 grid sampled at the unit centre"),
    Predictor("mean_village_elevation_m", "per_km", "mean elevation of the unit's settlements, km",
              "GEBCO 2023 grid sampled at the settlements (stand-in points at the unit centre)"),
    Predictor("raion_centre_distance_km", "log1p", "straight-line distance from the unit centre to "
              "the raion centre's unit centre, km", "unit centres and the reference table of raion centres"),
    Predictor("border_distance_km", "log1p", "distance of the nearest settlement to the state border, km",
              "national outline (WFP prism) and the located settlements"),
    Predictor("holds_raion_centre", "flag", "1 when the unit hosts the raion administration",
              "reference table of raion centres (atr_model/data/reference/raion_centres.csv)"),
)

#: Columns the unit table must have besides the predictors.
BASE_COLUMNS = ("unit_code", "raion_code", "oblast_code", "level", "population", "population_year")


def _haversine_km(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def predictor_table(units: pd.DataFrame, settlements: pd.DataFrame, raions: pd.DataFrame) -> pd.DataFrame:
    """The unit table of :func:`estimate_unit_populations` from contract layers.

    Parameters
    ----------
    units : pandas.DataFrame
        Units with ``unit_code``, ``raion_code``, ``oblast_code``, ``level``, ``population``,
        ``population_year``, ``population_is_estimate``, ``centre_lon``, ``centre_lat``,
        ``area_km2``, ``centre_elevation_m``, ``border_distance_km``.
    settlements : pandas.DataFrame
        Settlements with ``unit_code``, ``elevation_m``, ``is_located`` and optionally
        ``settlement_kind`` (only ``village`` rows count as villages).
    raions : pandas.DataFrame
        Raions with ``raion_code`` and ``centre_unit_code``.

    Returns
    -------
    pandas.DataFrame
        A copy of ``units`` (same order) with ``population`` set to NaN where it is an
        estimate, ``town_figure`` (NaN), ``urban`` (towns) and every column of
        :data:`PREDICTORS` (``n_villages`` at least 1; a raion without a known centre gives
        distance 0 and no unit holding it).
    """
    out = pd.DataFrame(units.drop(columns="geometry", errors="ignore")).reset_index(drop=True).copy()
    kind = settlements["settlement_kind"].fillna("village") if "settlement_kind" in settlements else None
    villages = settlements if kind is None else settlements.loc[kind == "village"]
    count = villages.groupby("unit_code").size()
    located = villages.loc[villages["is_located"].astype(bool)].groupby("unit_code").size()
    out["n_villages"] = out["unit_code"].map(count).fillna(0).clip(lower=1).astype(float)
    out["n_located_villages"] = out["unit_code"].map(located).fillna(0).astype(float)
    elev = pd.to_numeric(settlements["elevation_m"], errors="coerce").groupby(settlements["unit_code"]).mean()
    out["mean_village_elevation_m"] = out["unit_code"].map(elev).fillna(out["centre_elevation_m"])
    centre_of = dict(zip(raions["raion_code"], raions["centre_unit_code"]))
    pos = {code: i for i, code in enumerate(out["unit_code"])}
    centre_row = np.array([pos.get(centre_of.get(r), i) for i, r in enumerate(out["raion_code"])])
    lon, lat = out["centre_lon"].to_numpy(float), out["centre_lat"].to_numpy(float)
    out["raion_centre_distance_km"] = np.round(_haversine_km(lon, lat, lon[centre_row], lat[centre_row]), 3)
    out["holds_raion_centre"] = out["unit_code"].isin({c for c in centre_of.values() if isinstance(c, str)})
    estimated = out["population_is_estimate"].astype(bool)
    out["population"] = pd.to_numeric(out["population"]).where(~estimated)
    out["town_figure"] = np.nan
    out["urban"] = out["level"] == "town"
    return out


# --------------------------------------------------------------------------------------------
# the regression


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
        return self.intercept + (x - self.feature_mean) @ self.coefficients

    def coefficient_table(self) -> dict[str, float]:
        """Feature -> coefficient (per unit of the transformed predictor), plus the intercept."""
        out = {"intercept (at the mean of the fitting units)": round(self.intercept, 4)}
        out.update({n: round(float(c), 4) for n, c in zip(self.feature_names, self.coefficients)})
        return out


def _transform(values: np.ndarray, predictor: Predictor, codes: pd.Series) -> np.ndarray:
    if predictor.transform == "log":
        bad = ~(values > 0)
        if bad.any():
            raise DataError(
                f"unit {codes.iloc[int(np.flatnonzero(bad)[0])]}: predictor {predictor.name} must be "
                f"positive for a log, got {values[bad][0]}")
        return np.log(values)
    if predictor.transform == "log1p":
        bad = ~(values >= 0)
        if bad.any():
            raise DataError(
                f"unit {codes.iloc[int(np.flatnonzero(bad)[0])]}: predictor {predictor.name} must not be "
                f"negative, got {values[bad][0]}")
        return np.log1p(values)
    if predictor.transform == "per_km":
        return values / 1000.0
    if predictor.transform == "flag":
        return (values != 0).astype(float)
    raise ValueError(f"predictor {predictor.name}: unknown transform {predictor.transform!r}")


def check_unit_table(units: pd.DataFrame) -> None:
    """Raise :class:`DataError` when a column or a predictor value is missing.

    Parameters
    ----------
    units : pandas.DataFrame
        One row per unit with :data:`BASE_COLUMNS` and the columns of :data:`PREDICTORS`.
    """
    needed = [*BASE_COLUMNS, *(p.name for p in PREDICTORS), "town_figure"]
    missing = [c for c in needed if c not in units.columns]
    if missing:
        raise DataError(f"population model: unit table lacks column(s) {', '.join(missing)}")
    if units["unit_code"].duplicated().any():
        raise DataError(f"population model: unit {units.loc[units['unit_code'].duplicated(), 'unit_code'].iloc[0]} "
                        "appears twice")
    for predictor in PREDICTORS:
        values = pd.to_numeric(units[predictor.name], errors="coerce")
        lost = values.isna() | ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
        if lost.any():
            code = units["unit_code"].iloc[int(np.flatnonzero(lost.to_numpy())[0])]
            raise DataError(
                f"unit {code}: predictor {predictor.name} ({predictor.description}) is missing; "
                f"every unit needs it (source: {predictor.source})")
    bad_level = ~units["level"].isin(("aiyl_aimak", "town"))
    if bad_level.any():
        raise DataError(f"unit {units.loc[bad_level, 'unit_code'].iloc[0]}: unknown level "
                        f"{units.loc[bad_level, 'level'].iloc[0]!r}")


def feature_matrix(units: pd.DataFrame, oblasts: tuple[str, ...]) -> np.ndarray:
    """Transformed predictors and oblast dummies, one row per unit."""
    codes = units["unit_code"].reset_index(drop=True)
    cols = [_transform(pd.to_numeric(units[p.name]).to_numpy(dtype=float), p, codes) for p in PREDICTORS]
    oblast = units["oblast_code"].astype(str).to_numpy()
    cols += [(oblast == o).astype(float) for o in oblasts]
    return np.column_stack(cols) if cols else np.zeros((len(units), 0))


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


def _fit(units: pd.DataFrame, target_log: np.ndarray, oblasts: tuple[str, ...], ridge_lambda: float) -> LogLinearFit:
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


# --------------------------------------------------------------------------------------------
# scaling and the two methods


def scale_to_total(weights: np.ndarray, total: int) -> np.ndarray:
    """Split ``total`` persons in proportion to ``weights``, in whole persons, exactly.

    Largest-remainder rounding; ties go to the earlier row, so the result is deterministic.

    Parameters
    ----------
    weights : numpy.ndarray
        Non-negative weights, not all zero.
    total : int
        Persons to split (non-negative).

    Returns
    -------
    numpy.ndarray
        Integers (as float) summing to ``total`` exactly.
    """
    weights = np.asarray(weights, dtype=float)
    if total < 0:
        raise ValueError(f"cannot split a negative total ({total})")
    if len(weights) == 0 or not (weights >= 0).all() or weights.sum() <= 0:
        raise ValueError("weights must be non-negative and not all zero")
    exact = weights / weights.sum() * total
    base = np.floor(exact)
    left = int(round(total - base.sum()))
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:left]] += 1.0
    return base


def _target_year_figures(units: pd.DataFrame, growth_factors: Mapping[int, float]) -> np.ndarray:
    """Real figures moved to the target year (NaN where the figure is missing)."""
    pop = pd.to_numeric(units["population"], errors="coerce").to_numpy(dtype=float)
    years = units["population_year"].to_numpy()
    out = np.full(len(units), np.nan)
    for i, (p, y) in enumerate(zip(pop, years)):
        if np.isnan(p):
            continue
        factor = growth_factors.get(int(y))
        if factor is None:
            raise DataError(f"unit {units['unit_code'].iloc[i]}: no growth factor from {int(y)} to the target year "
                            f"(known: {sorted(growth_factors)})")
        out[i] = round(p * factor)
    return out


@dataclass(frozen=True)
class _Split:
    """Internal result of one run of a method: estimates and how each was made."""

    population: np.ndarray
    kind: np.ndarray  # 'real', 'town_figure', 'scaled', 'unscaled'
    note: np.ndarray
    share_factor: np.ndarray  # scaled rows: sqrt(1 - 2 s_i + sum s_j^2) of their raion's shares; else NaN


def _run_method(
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
) -> tuple[_Split, LogLinearFit | None, float]:
    """Estimate every unit not in ``known`` (boolean mask of usable real figures).

    ``centres_in_town_factor=True`` fits the town factor on every town with a figure, regional
    centres included (the former rule, kept for the report's before/after comparison).
    """
    n = len(units)
    fig = _target_year_figures(units.assign(population=np.where(known, units["population"], np.nan)), growth_factors)
    level = units["level"].to_numpy()
    town_fig = pd.to_numeric(units["town_figure"], errors="coerce").to_numpy(dtype=float)
    has_town_fig = (level == "town") & (town_fig > 0) & ~known
    todo = ~known & ~has_town_fig
    raw = np.full(n, np.nan)
    fit: LogLinearFit | None = None
    offset = 0.0
    if method == "fitted":
        fit_rows = known & (level == "aiyl_aimak")
        fit = _fit(units.loc[fit_rows], np.log(fig[fit_rows]), _dummy_oblasts(units.loc[fit_rows]), ridge_lambda)
        pred = np.exp(fit.predict_log(units))
        urban = _urban(units)
        offset = town_log_offset(pred, np.where(known, fig, town_fig), np.where(urban, "town", "aiyl_aimak"),
                                 exclude=None if centres_in_town_factor else _regional_centre(units))
        raw = np.where(urban, pred * math.exp(offset), pred)
    elif method == "village_split":
        villages = pd.to_numeric(units["n_villages"]).to_numpy(dtype=float).clip(min=1)
        ref = known & (units["population_year"].to_numpy() == target_year)
        per_village = float(fig[ref].sum() / villages[ref].sum()) if ref.any() else 1000.0
        raw = per_village * villages
    else:
        raise ValueError(f"unknown population method {method!r} (use 'fitted' or 'village_split')")

    out = np.where(known, fig, np.where(has_town_fig, np.round(town_fig), np.nan))
    kind = np.where(known, "real", np.where(has_town_fig, "town_figure", "")).astype(object)
    note = np.full(n, "", dtype=object)
    share_factor = np.full(n, np.nan)
    raions = units["raion_code"].astype(str).to_numpy()
    for raion in sorted(set(raions[todo])):
        rows = np.flatnonzero((raions == raion) & todo)
        total = totals.get(raion)
        if total is not None and not np.isnan(total):
            fixed = np.flatnonzero((raions == raion) & ~todo)
            residual = int(round(total - float(np.nansum(out[fixed]))))
            if residual >= min_residual_per_unit * len(rows):
                out[rows] = scale_to_total(raw[rows], residual)
                kind[rows] = "scaled"
                share_factor[rows] = normalisation_factor(raw[rows])
                continue
            reason = (f"not scaled: the known units leave only {residual} residents of the raion's "
                      f"{target_year} total for {len(rows)} units" if residual >= 0 else
                      f"not scaled: the known units already exceed the raion's {target_year} total by "
                      f"{-residual} residents")
        else:
            reason = "not scaled: the raion has no real total"
        out[rows] = np.round(raw[rows])
        kind[rows] = "unscaled"
        note[rows] = reason
    return _Split(out, kind, note, share_factor), fit, offset


def normalisation_factor(weights: np.ndarray) -> np.ndarray:
    """How much of a unit's log error survives scaling its raion's estimates to a fixed total.

    With independent log errors of SD ``sigma`` on the unscaled predictions, scaling them so
    that they add up to a known residual leaves unit ``i`` a log error of about
    ``e_i - sum_j s_j e_j`` (``s`` = shares), of SD ``sigma * sqrt(1 - 2 s_i + sum_j s_j^2)``:
    0 for the only estimated unit of a raion, close to ``sigma`` for one of many, above it for a
    small unit beside a large one (the large one's error lands on it).

    Parameters
    ----------
    weights : numpy.ndarray
        Unscaled predictions of the raion's estimated units (positive).

    Returns
    -------
    numpy.ndarray
        The factor per unit, in [0, sqrt(2)).
    """
    shares = np.asarray(weights, dtype=float) / float(np.sum(weights))
    return np.sqrt(np.clip(1.0 - 2.0 * shares + float(np.sum(shares ** 2)), 0.0, None))


def _urban(units: pd.DataFrame) -> np.ndarray:
    """Towns proper (True) as opposed to aiyl aimaks and village-like units filed as towns."""
    town = units["level"].to_numpy() == "town"
    if "urban" not in units:
        return town
    return town & units["urban"].fillna(True).astype(bool).to_numpy()


#: An oblast gets a dummy only when its real figures come from at least this many raions; with
#: fewer, the "oblast effect" would be one raion's effect (and the leave-one-raion-out check
#: could not test it).
MIN_RAIONS_PER_OBLAST_DUMMY = 2


def _dummy_oblasts(fit_units: pd.DataFrame) -> tuple[str, ...]:
    per_oblast = fit_units.groupby(fit_units["oblast_code"].astype(str))["raion_code"].nunique()
    return tuple(sorted(str(o) for o, n in per_oblast.items() if n >= MIN_RAIONS_PER_OBLAST_DUMMY))


def _regional_centre(units: pd.DataFrame) -> np.ndarray:
    """The optional ``regional_centre`` column as booleans (False where absent or missing)."""
    if "regional_centre" not in units:
        return np.zeros(len(units), dtype=bool)
    return units["regional_centre"].fillna(False).astype(bool).to_numpy()


def _town_fit_rows(
    predicted: np.ndarray, figures: np.ndarray, level: np.ndarray, exclude: np.ndarray | None,
) -> np.ndarray:
    """Towns the factor is fitted on: a figure, a prediction, and not excluded."""
    use = (level == "town") & (figures > 0) & (predicted > 0)
    return use if exclude is None else use & ~np.asarray(exclude, dtype=bool)


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


# --------------------------------------------------------------------------------------------
# cross-validation


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
        return np.log(self.estimated / self.observed)

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
        The unit table (see :func:`estimate_unit_populations`).
    raion_totals : mapping
        Real raion totals (raion code -> residents in the target year).
    method : str
        ``"fitted"`` or ``"village_split"``.
    scaled : bool
        Scale to real raion totals as the build does (True), or judge the unscaled estimates.
    growth_factors, target_year, ridge_lambda, min_residual_per_unit
        As in :func:`estimate_unit_populations`.

    Returns
    -------
    CrossValidation
    """
    check_unit_table(units)
    units = units.reset_index(drop=True)
    growth = dict(growth_factors or {target_year: 1.0})
    real = units["population"].notna().to_numpy()
    figures = _target_year_figures(units, growth)
    totals = raion_totals if scaled else {}
    raions = units["raion_code"].astype(str).to_numpy()
    codes, observed, estimated, folds, factors = [], [], [], [], []
    for raion in sorted(set(raions[real])):
        hidden = real & (raions == raion)
        try:
            split, _, _ = _run_method(units, real & ~hidden, totals, method, growth, target_year, ridge_lambda,
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


# --------------------------------------------------------------------------------------------
# the public entry point


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
            "name": _METHOD_NAMES[self.method],
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


_METHOD_NAMES = {
    "fitted": "fitted log-linear model (ridge regression of log population on unit predictors)",
    "village_split": "raion total minus known units, split by number of COATE villages",
}


def spread_interval(population: np.ndarray, log_sd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """5 % and 95 % bounds ``population * exp(-/+ Z_90 * log_sd)``, rounded outwards to persons."""
    population = np.asarray(population, dtype=float)
    log_sd = np.asarray(log_sd, dtype=float)
    low = np.minimum(np.floor(population * np.exp(-Z_90 * log_sd)), population)
    high = np.maximum(np.ceil(population * np.exp(Z_90 * log_sd)), population)
    exact = log_sd == 0
    return np.where(exact, population, low), np.where(exact, population, high)


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
    if (pd.to_numeric(units["population"], errors="coerce") < 0).any():
        bad = units.loc[pd.to_numeric(units["population"], errors="coerce") < 0, "unit_code"].iloc[0]
        raise DataError(f"unit {bad}: population is negative")
    split, fit, offset = _run_method(units, real, raion_totals, method, growth, target_year, ridge_lambda,
                                     min_residual_per_unit)
    cv_scaled, cv_unscaled = (
        cross_validate(units, raion_totals, method=method, scaled=scaled, growth_factors=growth,
                       target_year=target_year, ridge_lambda=ridge_lambda,
                       min_residual_per_unit=min_residual_per_unit)
        for scaled in (True, False)
    )
    spread = calibrate_spread(cv_scaled, cv_unscaled)
    urban = _urban(units) if method == "fitted" else np.zeros(len(units), dtype=bool)
    town_factor = _town_factor(units, real, growth, fit) if fit is not None else None
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
    log_sd = np.where(estimated_rows, np.maximum(log_sd, MIN_ESTIMATE_LOG_SD), log_sd)
    n_fit = fit.n_units if fit is not None else 0
    population = np.where(real, pd.to_numeric(units["population"]).to_numpy(dtype=float), split.population)
    sources = []
    given = units["population_source"] if "population_source" in units else pd.Series([None] * len(units))
    for i, kind in enumerate(split.kind):
        if kind == "real":
            sources.append(given.iloc[i] if isinstance(given.iloc[i], str) else "real figure")
        elif kind == "town_figure":
            sources.append(ESTIMATE_PREFIX + town_figure_source)
        else:
            sources.append(_source_label(kind, method, str(split.note[i]), target_year, n_fit, bool(urban[i])))
    years = np.where(real, units["population_year"].to_numpy(), target_year).astype(int)
    p5, p95 = spread_interval(population, log_sd)
    table = pd.DataFrame({
        "unit_code": units["unit_code"].to_numpy(),
        "population": population,
        "population_year": years,
        "population_source": sources,
        "population_is_estimate": ~real,
        "population_log_sd": np.round(log_sd, 4),
        "population_p5": p5,
        "population_p95": p95,
        "estimate_kind": split.kind.astype(str),
    })
    logger.info("population method %s: leave-one-raion-out median error %.3f (log SD %.3f) on %d units",
                method, cv_scaled.median_abs_rel_error, cv_scaled.log_rmse, len(cv_scaled.unit_codes))
    notes = [
        f"Population method: {_METHOD_NAMES[method]}; leave-one-raion-out error on {len(cv_scaled.unit_codes)} "
        f"units with a real figure: median {100 * cv_scaled.median_abs_rel_error:.0f} % off when scaled to the "
        f"raion totals (log SD {cv_scaled.log_rmse:.2f}), {100 * cv_unscaled.median_abs_rel_error:.0f} % "
        f"without (log SD {cv_unscaled.log_rmse:.2f})."
    ]
    unscaled = int((split.kind == "unscaled").sum())
    if unscaled:
        notes.append(f"{unscaled} estimated units are not scaled to a raion total (no real total, or one that the "
                     "known units nearly exhaust); their sources say why.")
    former = None
    if town_factor is not None:
        notes.append(_town_factor_note(town_factor))
        if town_factor.centre_codes:
            before, _, _ = _run_method(units, real, raion_totals, method, growth, target_year, ridge_lambda,
                                       min_residual_per_unit, centres_in_town_factor=True)
            former = pd.DataFrame({"unit_code": units["unit_code"].to_numpy(),
                                   "population": np.where(real, population, before.population), "urban": urban})
    return PopulationEstimate(table, method, fit, offset, cv_scaled, cv_unscaled, spread, notes, town_factor, former)


def _town_factor(
    units: pd.DataFrame, real: np.ndarray, growth: Mapping[int, float], fit: LogLinearFit,
) -> TownFactor:
    """:func:`fit_town_factor` on the unit table: real figures moved to the target year, else town figures."""
    figures = np.where(real, _target_year_figures(units, growth),
                       pd.to_numeric(units["town_figure"], errors="coerce").to_numpy(dtype=float))
    return fit_town_factor(np.exp(fit.predict_log(units)), figures, _urban(units), _regional_centre(units),
                           units["unit_code"].to_numpy())


def _town_factor_note(factor: TownFactor) -> str:
    after, before = factor.errors(), factor.errors(with_centres=True)
    head = (f"Town factor x{math.exp(factor.log_offset):.2f} (median over {len(factor.fitted_codes)} towns with a "
            f"figure; {len(factor.centre_codes)} regional centres left out; with them x"
            f"{math.exp(factor.log_offset_with_centres):.2f})")
    if after["median_abs_rel_error"] is None or before["median_abs_rel_error"] is None:
        return head + "; too few towns to measure its error."
    return (head + f"; leave-one-out error on those towns: median {100 * after['median_abs_rel_error']:.0f} % "
            f"(log RMS {after['log_rmse']:.2f}), with the regional centres in the fit "
            f"{100 * before['median_abs_rel_error']:.0f} % (log RMS {before['log_rmse']:.2f}).")


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


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def _changes_table(changes: list[Mapping[str, Any]]) -> list[str]:
    """A Markdown table of :func:`largest_changes` rows."""
    return markdown_table(
        ["unit", "name", "before", "after", "change"],
        ([c["unit_code"], c["name"], f"{c['old']:,}", f"{c['new']:,}",
          f"{c['change']:+,}" + ("" if c["change_pct"] is None else f" ({c['change_pct']:+.0f} %)")]
         for c in changes),
    )


def _town_factor_markdown(fit: Mapping[str, Any]) -> list[str]:
    """Lines on the town factor: the rule, the regional centres left out, LOO error, changes."""
    if not fit:
        return []
    loo = fit.get("leave_one_out") or {}
    lines = [
        f"Town factor: x{fit['factor']} ({fit['rule']}; {fit['fitted_towns']} towns), x"
        f"{fit['factor_with_regional_centres']} with the regional centres. Leave-one-out error ({loo.get('on', '')}):",
        "",
        *markdown_table(
            ["town factor", "median abs. error", "log RMS", "log bias", "towns"],
            ([label, _pct(row.get("median_abs_rel_error")), row.get("log_rmse", "-"), row.get("log_bias", "-"),
              row.get("towns", "-")]
             for label, row in (("regional centres left out (used)", loo.get("after") or {}),
                                ("regional centres in the fit (former)", loo.get("before") or {}))),
        ),
    ]
    centres = fit.get("regional_centres_left_out") or []
    if centres:
        lines += ["Regional centres left out (ratio figure / aiyl aimak model prediction): " + ", ".join(
            f"{c.get('name') or c['unit_code']} x{c['ratio']}" + (f" ({c['why']})" if c.get("why") else "")
            for c in centres) + ".", ""]
    changes = fit.get("largest_changes") or {}
    if changes.get("towns"):
        lines += [
            "Towns whose estimate changed most (former town factor -> this one; "
            f"{changes.get('other_units_changed', 0)} other units of the same raions moved with them):",
            "",
            *_changes_table(changes["towns"]),
        ]
    return lines


def estimator_markdown(entry: Mapping[str, Any]) -> list[str]:
    """Markdown lines of a build report's ``population_estimator`` entry.

    Parameters
    ----------
    entry : mapping
        :meth:`PopulationEstimate.summary` plus ``comparison`` (method -> errors),
        ``compared_on`` and ``largest_changes`` as the Kyrgyz build records them.

    Returns
    -------
    list of str
        A section: method, cross-validated errors of both methods, predictors with their
        sources and coefficients, spread, and the largest changes between the methods.
    """
    lines = [
        "## Population estimator",
        "",
        f"Method used: **{entry.get('name', entry.get('method', '?'))}** (`{entry.get('method', '?')}`). "
        "All unit figures it gives are estimates and are labelled as such.",
        "",
    ]
    kinds = entry.get("estimate_kinds") or {}
    if kinds:
        lines += [
            f"Units: {kinds.get('real', 0)} real figures; {kinds.get('scaled', 0)} estimates scaled to a real raion "
            f"total; {kinds.get('unscaled', 0)} estimates not scaled (no real total, or one the known units nearly "
            f"exhaust; their sources say which); {kinds.get('town_figure', 0)} GeoNames town figures.",
            "",
        ]
    comparison = entry.get("comparison") or {}
    if comparison:
        lines += [
            f"Cross-validated error ({entry.get('compared_on', 'leave one raion out')}); the log SD is the root "
            "mean square of log(estimate / real figure):",
            "",
        ]
        lines += markdown_table(
            ["method", "median abs. error", "log SD", "median abs. error, unscaled", "log SD, unscaled", "units"],
            (
                [
                    row.get("name", method) + (" (used)" if method == entry.get("method") else ""),
                    _pct(row.get("median_abs_rel_error")), row.get("log_sd", "-"),
                    _pct(row.get("median_abs_rel_error_unscaled")), row.get("log_sd_unscaled", "-"),
                    row.get("units", "-"),
                ]
                for method, row in comparison.items()
            ),
        )
    coefficients = entry.get("coefficients") or {}
    if entry.get("predictors"):
        lines += markdown_table(
            ["predictor", "transform", "source"],
            ([f"{p['name']} ({p['description']})", p["transform"], p["source"]] for p in entry["predictors"]),
        )
    if coefficients:
        lines += [
            f"Coefficients (effect on log population per unit of the transformed predictor; ridge penalty "
            f"{entry.get('ridge_lambda')}, fitted on {entry.get('fitted_units')} aiyl aimaks; town factor "
            f"x{entry.get('town_factor')}):",
            "",
            *markdown_table(["term", "coefficient"], coefficients.items()),
        ]
    lines += _town_factor_markdown(entry.get("town_factor_fit") or {})
    spread = entry.get("spread_log_sd") or {}
    if spread:
        lines += [
            "Spread written per unit (`population_log_sd`, SD of the natural log; `population_p5`/`_p95` = "
            "population x exp(-/+1.645 x log SD)): " + ", ".join(f"{k} {v}" for k, v in spread.items())
            + "; a town without a figure takes the town factor's leave-one-out error in place of the aiyl "
            "aimak model's; real figures 0.",
            "",
        ]
    model = entry.get("spread_model") or {}
    if model:
        lines += [
            f"A scaled estimate's log SD is sqrt((w x f)^2 + floor^2): w = {model['within_raion_log_sd']} (error "
            f"within a raion, unscaled cross-validation), f = the share factor sqrt(1 - 2 s_i + sum s_j^2) of the "
            f"raion's estimated units, floor = {model['floor_log_sd']} (calibrated on the scaled cross-validation; "
            f"RMS of error / predicted SD there: {model['calibration_rms_z']}; share of real figures inside their "
            f"p5-p95 interval: {_pct(model.get('coverage_90'))}).",
            "",
        ]
    changes = entry.get("largest_changes") or {}
    if changes.get("units"):
        lines += [
            f"Largest changes in estimated population, {changes.get('from')} -> {changes.get('to')}:",
            "",
            *_changes_table(changes["units"]),
        ]
    return lines
