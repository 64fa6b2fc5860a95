"""Population estimator: scaling the estimates of a raion to its real total.

Within a raion whose total is real, a method's predictions only set the *shares*: the raion
total minus the known units is split over the estimated units in proportion to the predictions
(:func:`scale_to_total`, exact to the person; :func:`rake_to_raion_totals`).
:func:`normalisation_factor` says how much of a unit's error survives that scaling.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

import numpy as np

__all__ = [
    "DEFAULT_MIN_RESIDUAL_PER_UNIT",
    "RaionSplit",
    "normalisation_factor",
    "rake_to_raion_totals",
    "scale_to_total",
]

#: Smallest residual per estimated unit for the raion total to be used (as the former method).
DEFAULT_MIN_RESIDUAL_PER_UNIT = 300.0


@dataclass(frozen=True)
class RaionSplit:
    """One run of a method: estimates and how each was made.

    Attributes
    ----------
    population : numpy.ndarray
        Figure or estimate per unit.
    kind : numpy.ndarray
        ``"real"``, ``"town_figure"``, ``"scaled"`` or ``"unscaled"`` per unit.
    note : numpy.ndarray
        Why an unscaled estimate was not scaled ("" elsewhere).
    share_factor : numpy.ndarray
        Scaled rows: :func:`normalisation_factor` of their raion's shares; NaN elsewhere.
    """

    population: np.ndarray
    kind: np.ndarray
    note: np.ndarray
    share_factor: np.ndarray


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
    return cast("np.ndarray", base)


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


def rake_to_raion_totals(
    raions: np.ndarray,
    fixed: np.ndarray,
    kind: np.ndarray,
    raw: np.ndarray,
    totals: Mapping[str, float],
    target_year: int,
    min_residual_per_unit: float,
) -> RaionSplit:
    """Estimate the units without a figure: their raion's residual split by ``raw``, else ``raw``.

    Parameters
    ----------
    raions : numpy.ndarray
        Raion code (str) per unit.
    fixed : numpy.ndarray
        Figures kept as they are (real figures, outside town figures); NaN for the units to estimate.
    kind : numpy.ndarray
        ``"real"`` / ``"town_figure"`` for the fixed units, ``""`` for the units to estimate.
    raw : numpy.ndarray
        The method's unscaled prediction per unit.
    totals : mapping
        Real raion totals of the target year; a raion missing here is left unscaled.
    target_year : int
        Year of the totals (for the notes).
    min_residual_per_unit : float
        A raion total is used only if it leaves at least this many residents per estimated unit.

    Returns
    -------
    RaionSplit
        Raions taken in code order; the notes of unscaled rows say why.
    """
    out = np.array(fixed, dtype=float)
    kind = np.array(kind, dtype=object)
    todo = kind == ""
    note = np.full(len(out), "", dtype=object)
    share_factor = np.full(len(out), np.nan)
    for raion in sorted(set(raions[todo])):
        rows = np.flatnonzero((raions == raion) & todo)
        total = totals.get(raion)
        if total is not None and not np.isnan(total):
            known = np.flatnonzero((raions == raion) & ~todo)
            residual = int(round(total - float(np.nansum(out[known]))))
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
    return RaionSplit(out, kind, note, share_factor)
