"""Population estimator: the former method, a split by number of COATE villages.

``village_split`` gives every unit a weight of residents per COATE village times its villages;
within a raion with a usable real total only the shares count (the residual is split by them,
see :mod:`atr_model.data.population.raking`), elsewhere the weight is the estimate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["DEFAULT_RESIDENTS_PER_VILLAGE", "village_split_weights"]

#: Residents per village when no unit has a real figure of the target year to measure it on.
DEFAULT_RESIDENTS_PER_VILLAGE = 1000.0


def village_split_weights(units: pd.DataFrame, known: np.ndarray, figures: np.ndarray, target_year: int) -> np.ndarray:
    """Residents per COATE village of the known target-year units, times each unit's villages.

    Parameters
    ----------
    units : pandas.DataFrame
        The unit table (``n_villages``, ``population_year``).
    known : numpy.ndarray
        Boolean mask of the usable real figures.
    figures : numpy.ndarray
        Real figures moved to the target year (NaN where unknown).
    target_year : int
        Only units whose figure is of this year measure the residents per village.

    Returns
    -------
    numpy.ndarray
        The unscaled estimate per unit.
    """
    villages = pd.to_numeric(units["n_villages"]).to_numpy(dtype=float).clip(min=1)
    ref = known & (units["population_year"].to_numpy() == target_year)
    per_village = float(figures[ref].sum() / villages[ref].sum()) if ref.any() else DEFAULT_RESIDENTS_PER_VILLAGE
    return per_village * villages
