"""The population estimator's identity (methods, version, oblast centres file): part of the
Kyrgyz build id, which the reuse check of ``atr-model run`` computes without the estimator's
libraries (:mod:`atr_model.data.kyrgyz.population` holds the estimator)."""

from __future__ import annotations

from pathlib import Path

from atr_model.errors import DataError

__all__ = ["ESTIMATOR_VERSION", "OBLAST_CENTRES_FILE", "POPULATION_METHODS", "check_population_method"]

#: Estimators of the unit populations without a real figure; the first is the default.
POPULATION_METHODS = ("fitted", "village_split")

#: Version of the estimator's output (part of the build id, with the method).
ESTIMATOR_VERSION = "population-model-2"

#: Administrative centres of the 7 oblasts (package data; source in data/README.md, section 2.6):
#: no field of the shared data marks them, so they are named here. Left out of the town factor.
OBLAST_CENTRES_FILE = Path(__file__).resolve().parents[1] / "reference" / "oblast_centres.csv"


def check_population_method(method: str) -> str:
    """Return ``method`` if it is one of :data:`POPULATION_METHODS`, else raise DataError."""
    if method not in POPULATION_METHODS:
        raise DataError(f"population_method {method!r} is not known; use one of {', '.join(POPULATION_METHODS)}")
    return method
