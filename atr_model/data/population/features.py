"""Population estimator: the unit table, its predictors and the columns read from it.

:data:`PREDICTORS` are the predictors of the fitted model, available for every unit;
:func:`predictor_table` derives them from the contract layers and :func:`check_unit_table`
checks a unit table before any method runs. :func:`feature_matrix` transforms them for the
regression.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from atr_model.data.geo import haversine_km
from atr_model.errors import DataError

__all__ = [
    "BASE_COLUMNS",
    "PREDICTORS",
    "Predictor",
    "check_unit_table",
    "feature_matrix",
    "predictor_table",
    "regional_centre_mask",
    "target_year_figures",
    "urban_mask",
]


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


def predictor_table(units: pd.DataFrame, settlements: pd.DataFrame, raions: pd.DataFrame) -> pd.DataFrame:
    """The unit table of :func:`~atr_model.data.population.estimate_unit_populations` from contract layers.

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
    out["raion_centre_distance_km"] = np.round(haversine_km(lon, lat, lon[centre_row], lat[centre_row]), 3)
    out["holds_raion_centre"] = out["unit_code"].isin({c for c in centre_of.values() if isinstance(c, str)})
    estimated = out["population_is_estimate"].astype(bool)
    out["population"] = pd.to_numeric(out["population"]).where(~estimated)
    out["town_figure"] = np.nan
    out["urban"] = out["level"] == "town"
    return cast("pd.DataFrame", out)


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


def _transform(values: np.ndarray, predictor: Predictor, codes: pd.Series) -> np.ndarray:
    if predictor.transform == "log":
        bad = ~(values > 0)
        if bad.any():
            raise DataError(
                f"unit {codes.iloc[int(np.flatnonzero(bad)[0])]}: predictor {predictor.name} must be "
                f"positive for a log, got {values[bad][0]}")
        return cast("np.ndarray", np.log(values))
    if predictor.transform == "log1p":
        bad = ~(values >= 0)
        if bad.any():
            raise DataError(
                f"unit {codes.iloc[int(np.flatnonzero(bad)[0])]}: predictor {predictor.name} must not be "
                f"negative, got {values[bad][0]}")
        return cast("np.ndarray", np.log1p(values))
    if predictor.transform == "per_km":
        return values / 1000.0
    if predictor.transform == "flag":
        return cast("np.ndarray", (values != 0).astype(float))
    raise ValueError(f"predictor {predictor.name}: unknown transform {predictor.transform!r}")


def feature_matrix(units: pd.DataFrame, oblasts: tuple[str, ...]) -> np.ndarray:
    """Transformed predictors and oblast dummies, one row per unit."""
    codes = units["unit_code"].reset_index(drop=True)
    cols = [_transform(pd.to_numeric(units[p.name]).to_numpy(dtype=float), p, codes) for p in PREDICTORS]
    oblast = units["oblast_code"].astype(str).to_numpy()
    cols += [(oblast == o).astype(float) for o in oblasts]
    return np.column_stack(cols) if cols else np.zeros((len(units), 0))


def target_year_figures(units: pd.DataFrame, growth_factors: Mapping[int, float]) -> np.ndarray:
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


def urban_mask(units: pd.DataFrame) -> np.ndarray:
    """Towns proper (True) as opposed to aiyl aimaks and village-like units filed as towns."""
    town = units["level"].to_numpy() == "town"
    if "urban" not in units:
        return cast("np.ndarray", town)
    return cast("np.ndarray", town & units["urban"].fillna(True).astype(bool).to_numpy())


def regional_centre_mask(units: pd.DataFrame) -> np.ndarray:
    """The optional ``regional_centre`` column as booleans (False where absent or missing)."""
    if "regional_centre" not in units:
        return np.zeros(len(units), dtype=bool)
    return units["regional_centre"].fillna(False).astype(bool).to_numpy()
