"""Data stage: estimate the populations of units without a real figure, with a measured error.

Pure functions on tables (no file I/O): the Kyrgyz build (``atr_model.data.kyrgyz``) gathers one
row per unit with its real figure (if any) and a few predictors available for every unit, and
this package turns that into a population, a source label and a per-unit spread.

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

The error is measured by **leave-one-raion-out** cross-validation (:func:`cross_validate`), which
also calibrates the per-unit spread ``population_log_sd``: :mod:`atr_model.data.population.validation`
says how.

Modules, one concept each: :mod:`.features` (the unit table and its predictors),
:mod:`.regression` (the ridge fit), :mod:`.villages` (the split by villages), :mod:`.towns` (the
town factor and its leave-one-out error), :mod:`.raking` (scaling to raion totals),
:mod:`.methods` (one run of a method), :mod:`.validation` (cross-validation and the spread) and
:mod:`.estimate` (the pipeline). The build report's text on the estimator is written with the
rest of the report, in :mod:`atr_model.data.kyrgyz.report`.
"""

from atr_model.data.population.estimate import PopulationEstimate, estimate_unit_populations, largest_changes
from atr_model.data.population.features import PREDICTORS, Predictor, check_unit_table, predictor_table
from atr_model.data.population.raking import normalisation_factor, scale_to_total
from atr_model.data.population.regression import DEFAULT_RIDGE_LAMBDA, LogLinearFit, fit_log_linear
from atr_model.data.population.towns import GEONAMES_TOWN_LOG_SD, TownFactor, fit_town_factor, town_log_offset
from atr_model.data.population.validation import (
    MIN_ESTIMATE_LOG_SD,
    Z_90,
    CrossValidation,
    SpreadModel,
    calibrate_spread,
    cross_validate,
    spread_interval,
)

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
    "spread_interval",
]
