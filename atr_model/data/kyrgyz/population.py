"""Kyrgyz build, stage 4 (and 6b): populations of units, settlements and raions.

Real figures come from the census table (2021 preferred, else the latest year) and a user's
population table (which wins). A town without one takes the GeoNames figure of its matched
place (old, labelled). Stage 4 (:func:`assign_population`) gives the rest a provisional
figure: the raion's 2021 total minus the known units, split by the number of COATE villages
(where no usable residual is left, a flat figure per COATE village); the raion centres are
chosen with it. Once the territories, elevations and distances are known (stage 6b,
:func:`estimate_populations`), the chosen estimator replaces the provisional figures: by default
the fitted log-linear model of :mod:`atr_model.data.population` (the raion residual split
in proportion to the model's predictions), or the village split itself (``village_split``). Both
are cross-validated on the census units and every estimate gets a spread
(``population_log_sd``, ``population_p5``, ``population_p95``). The regional centres (the
oblast centres of ``reference/oblast_centres.csv`` and the cities of republican status) are left
out of the model's town factor (:func:`regional_centres`). Settlements share their unit's
figure equally. Raions take the WFP prism 2021 totals; cities the sum of their units. Every
estimate is labelled (``estimate: <method>``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd

from atr_model.data.contract import ESTIMATE_PREFIX
from atr_model.data.csv_input import read_text_csv
from atr_model.data.files import reading
from atr_model.data.kyrgyz.population_method import (
    OBLAST_CENTRES_FILE,
    POPULATION_METHODS,
    check_population_method,
)
from atr_model.data.names import strict_key
from atr_model.data.population import estimate_unit_populations, largest_changes, predictor_table
from atr_model.errors import DataError

__all__ = [
    "CENSUS_YEAR",
    "DEFAULT_RESIDENTS_PER_VILLAGE",
    "MIN_RESIDUAL_PER_UNIT",
    "OBLAST_CENTRES_FILE",
    "POPULATION_METHODS",
    "PopulationInputs",
    "TARGET_YEAR",
    "assign_population",
    "check_population_method",
    "estimate_populations",
    "urban_flags",
    "census_figures",
    "raion_population",
    "raion_totals",
    "read_oblast_centres",
    "regional_centres",
    "settlement_population",
]

#: Reference year of the build: the raion totals and every estimate are for this year.
TARGET_YEAR = 2021

#: Year of the census whose figures are grown to :data:`TARGET_YEAR` when computing residuals
#: (the census table's undated figures are taken as this census's).
CENSUS_YEAR = 2009

#: A raion residual is split over the units without a figure only when it leaves at least this
#: many residents per unit; less means the known figures (some from 2009, some off the raion
#: total's definition) already use up the total, and the split would give absurdly small units.
#: 300 is about the smallest aiyl aimak population in the census table.
MIN_RESIDUAL_PER_UNIT = 300.0

#: Residents per COATE village used when no unit has a real :data:`TARGET_YEAR` figure (only
#: reached on inputs without any census figure); the order of magnitude of a Kyrgyz village.
DEFAULT_RESIDENTS_PER_VILLAGE = 1000.0


@dataclass(frozen=True)
class PopulationInputs:
    """What stage 4 read and stage 6b needs again.

    Attributes
    ----------
    growth : float
        2009 -> 2021 growth factor of the census units with both figures.
    totals : dict
        Real 2021 raion totals (raion code -> residents).
    town_figures : dict
        Town unit code -> GeoNames population of its matched place (old figure).
    """

    growth: float
    totals: dict[str, float]
    town_figures: dict[str, float]


def census_figures(path: Path) -> tuple[pd.DataFrame, float, list[str]]:
    """Census table -> one figure per unit (2021 preferred, else the latest) and growth factor.

    Returns the figures (``unit_code``, ``population``, ``year``, ``source``), the 2009 -> 2021
    growth factor of the units having both years, and notes for the report.
    """
    with reading(path, "census table"):
        table = pd.read_csv(path, dtype={"coate_match": str})
    for col in ("coate_match", "population", "year"):
        if col not in table:
            raise DataError(f"{path}: missing column {col}")
    if table.empty:
        raise DataError(f"{path}: the census table has a header but no rows")
    table["year_num"] = pd.to_numeric(table["year"], errors="coerce")
    table["population"] = pd.to_numeric(table["population"], errors="coerce")
    bad = table["population"].isna() | (table["population"] < 0)
    if bad.any():
        raise DataError(f"{path}: row {int(table.index[bad][0]) + 2}: population is missing or negative")
    both = table.pivot_table(index="coate_match", columns="year_num", values="population", aggfunc="first")
    growth = 1.0
    if CENSUS_YEAR in both and TARGET_YEAR in both:
        pair = both[[CENSUS_YEAR, TARGET_YEAR]].dropna()
        if len(pair) and pair[CENSUS_YEAR].sum() > 0:
            growth = float(pair[TARGET_YEAR].sum() / pair[CENSUS_YEAR].sum())
    rows = []
    for code, group in table.groupby("coate_match", sort=True):
        dated = group.dropna(subset=["year_num"]).sort_values("year_num")
        if len(dated):
            pick = dated.iloc[-1]
            year = int(pick["year_num"])
            note = f"census table ({year} figure; Wikipedia citing the National Statistical Committee)"
        else:
            pick = group.iloc[0]
            year = CENSUS_YEAR
            note = "census table (year not stated in the source; taken as the 2009 census)"
        rows.append({"unit_code": code, "population": float(pick["population"]), "year": year, "source": note})
    notes = [
        f"2009 -> 2021 growth of the units with both figures: x{growth:.3f}; used only to compare "
        "2009 figures with 2021 raion totals when computing residuals"
    ]
    return pd.DataFrame(rows), growth, notes


def census_coverage(census: pd.DataFrame, units: pd.DataFrame, totals: dict[str, float]) -> tuple[int, list[str]]:
    """How many units the census table covers, and a warning per raion it covers only in part.

    The shared table lists raions unit by unit; a raion of which it holds some units but not
    all is where a table cut short (or edited) shows first. Each warning names the raion, how
    many of its units the table covers, and what its 2021 total leaves for the others.

    Returns
    -------
    tuple of (int, list of str)
        Units of ``units`` with a census figure, and the warnings.
    """
    covered = units["unit_code"].isin(set(census["unit_code"]))
    warnings = []
    for raion, flags in covered.groupby(units["raion_code"], sort=True):
        k, n = int(flags.sum()), len(flags)
        if 0 < k < n:
            total = totals.get(str(raion))
            known = float(census.loc[census["unit_code"].isin(units.loc[flags.index[flags], "unit_code"]),
                                     "population"].sum())
            tail = (f"; its {TARGET_YEAR} total {total:,.0f} leaves {total - known:,.0f} for the other {n - k}"
                    if total is not None else "")
            warnings.append(f"census table covers {k} of the {n} units of raion {raion}{tail}")
    return int(covered.sum()), warnings


def raion_totals(path: Path) -> dict[str, float]:
    """WFP prism ``Population_2021`` by raion COATE code (raions without a figure left out)."""
    with reading(path, "raion statistics table"):
        table = pd.read_csv(path, dtype={"Adm2_Code": str})
    for col in ("Adm2_Code", "Population_2021"):
        if col not in table:
            raise DataError(f"{path}: missing column {col}")
    codes = table["Adm2_Code"].str.strip().str.ljust(14, "0")
    return {c: float(p) for c, p in zip(codes, pd.to_numeric(table["Population_2021"], errors="coerce")) if p == p}


def assign_population(
    units: pd.DataFrame,
    villages: pd.DataFrame,
    raions: pd.DataFrame,
    census: pd.DataFrame,
    growth: float,
    totals: dict[str, float],
    town_geonames: dict[str, float],
    user_table: pd.DataFrame | None,
    user_name: str,
) -> tuple[pd.DataFrame, list[str]]:
    """Population, year, source and estimate flag for every unit (see data/README.md)."""
    out = units.copy()
    out["population"] = np.nan
    out["population_year"] = TARGET_YEAR
    out["population_source"] = None
    tables = [census.assign(rank=0)]
    if user_table is not None:
        latest = user_table.sort_values(["unit_code", "year"], na_position="first").groupby("unit_code").tail(1)
        tables.append(pd.DataFrame({
            "unit_code": latest["unit_code"], "population": latest["population"],
            "year": latest["year"].fillna(TARGET_YEAR).astype(int), "source": f"user table {user_name}", "rank": 1,
        }))
    # a user's figure wins over the shared table
    known = pd.concat(tables, ignore_index=True).sort_values(["unit_code", "rank"]).groupby("unit_code").tail(1)
    known = known.set_index("unit_code")
    has = out["unit_code"].isin(known.index)
    codes = out.loc[has, "unit_code"]
    out.loc[has, "population"] = codes.map(known["population"]).astype(float).to_numpy()
    out.loc[has, "population_year"] = codes.map(known["year"]).astype(int).to_numpy()
    out.loc[has, "population_source"] = codes.map(known["source"]).to_numpy()
    out["population_is_estimate"] = out["population"].isna()
    n_villages = villages.groupby("unit_code").size()
    out["n_villages"] = out["unit_code"].map(n_villages).fillna(0).astype(int).clip(lower=1)

    real = out.loc[~out["population_is_estimate"] & (out["population_year"] == TARGET_YEAR)]
    per_village = (float(real["population"].sum() / real["n_villages"].sum()) if len(real)
                   else DEFAULT_RESIDENTS_PER_VILLAGE)
    notes = [f"population per COATE village in units with a real {TARGET_YEAR} figure: {per_village:.0f}"]

    # towns: GeoNames figure of the matched place (old figure, labelled)
    for code, figure in town_geonames.items():
        mask = (out["unit_code"] == code) & out["population"].isna()
        if mask.any() and figure > 0:
            out.loc[mask, "population"] = float(round(figure))
            out.loc[mask, "population_source"] = (
                ESTIMATE_PREFIX + "GeoNames population of the town (old figure, year not stated)")

    fallback_src = (
        ESTIMATE_PREFIX + f"{per_village:.0f} residents per COATE village (mean of units with a real "
        f"{TARGET_YEAR} figure) x the unit's villages")
    for raion in raions.itertuples():
        in_raion = out["raion_code"] == raion.raion_code
        todo = in_raion & out["population"].isna()
        if not todo.any():
            continue
        total = totals.get(str(raion.raion_code))
        if total is not None:
            # residual of the 2021 raion total after the units already known (2009 figures grown)
            done = out.loc[in_raion & out["population"].notna()]
            scale = np.where(done["population_year"] == CENSUS_YEAR, growth, 1.0)
            residual = total - float((done["population"] * scale).sum())
            weights = out.loc[todo, "n_villages"].astype(float)
            if residual >= MIN_RESIDUAL_PER_UNIT * len(weights):
                out.loc[todo, "population"] = np.round(residual * weights / weights.sum())
                out.loc[todo, "population_source"] = (
                    ESTIMATE_PREFIX + f"raion total {TARGET_YEAR} minus known units, split by number of "
                    "COATE villages")
                continue
        out.loc[todo, "population"] = np.round(per_village * out.loc[todo, "n_villages"])
        out.loc[todo, "population_source"] = fallback_src
    out.loc[out["population_is_estimate"], "population_year"] = TARGET_YEAR
    out["population_is_estimate"] = out["population_source"].str.startswith(ESTIMATE_PREFIX)
    return out.drop(columns=["n_villages"]), notes


def urban_flags(units: pd.DataFrame) -> np.ndarray:
    """Towns proper among the units filed as towns (COATE code rule, see data/README.md).

    A COATE unit code is ``417`` + oblast (2) + raion (3) + type (3) + number (3). Towns proper
    are the cities themselves (type 0xx), cities of raion significance (4xx) and towns (6xx),
    numbered below 800. Urban-type settlements (5xx) and villages subordinate to a town or city
    (7xx, 8xx, or numbered 800 and above), filed as towns because their name lacks "aiyl
    aimak", are the size of large villages and are estimated like aiyl aimaks.
    """
    codes = units["unit_code"].astype(str)
    kind = codes.str[8:11]
    number = pd.to_numeric(codes.str[11:14], errors="coerce").fillna(0)
    village_like = ~kind.str[0].isin(["0", "4", "6"]) | (number >= 800)
    return ((units["level"] == "town") & ~village_like).to_numpy()


def read_oblast_centres(path: Path = OBLAST_CENTRES_FILE) -> pd.DataFrame:
    """The reference table of oblast centres (``oblast_code``, ``centre_name_ru``, ...), checked.

    Raises
    ------
    DataError
        When a column is missing, a cell is empty or an oblast is listed twice (naming the row).
    """
    table = read_text_csv(path, ["oblast_code", "centre_name_ru"], what="reference table of oblast centres")
    for i, row in enumerate(table.itertuples(), start=2):
        if not row.oblast_code or not row.centre_name_ru:
            raise DataError(f"{path}: row {i}: oblast_code and centre_name_ru must not be empty")
    twice = table["oblast_code"].duplicated()
    if twice.any():
        first = int(np.flatnonzero(twice.to_numpy())[0])
        raise DataError(f"{path}: row {first + 2}: oblast {table['oblast_code'].iloc[first]} is listed twice")
    return table


def regional_centres(units: pd.DataFrame, urban: np.ndarray, centres: pd.DataFrame) -> tuple[pd.Series, list[str]]:
    """Why each unit is a regional centre ("" when it is not), and notes on centres not found.

    A city of republican status is a town proper that is an oblast of its own in the COATE tree
    (``raion_code == oblast_code``: Bishkek, Osh). An oblast centre is the town proper named in
    ``centres`` (the ``г.`` prefix ignored: :func:`~atr_model.data.names.strict_key` drops it),
    looked up among the oblast's towns and the cities of republican status (Chui oblast is run
    from Bishkek, Osh oblast from Osh city); a name found 0 or 2+ times marks nothing and gives a
    note.

    Parameters
    ----------
    units : pandas.DataFrame
        Units with ``unit_code``, ``raion_code``, ``oblast_code``, ``name_ru``.
    urban : numpy.ndarray
        Towns proper (:func:`urban_flags`).
    centres : pandas.DataFrame
        :func:`read_oblast_centres`.

    Returns
    -------
    tuple of (pandas.Series, list of str)
        Reason per unit (index of ``units``) and notes for the build report.
    """
    urban = np.asarray(urban, dtype=bool)
    republican = urban & (units["raion_code"] == units["oblast_code"]).to_numpy()
    why = pd.Series(np.where(republican, "city of republican status", ""), index=units.index, dtype=object)
    keys = np.array([strict_key(str(n)) for n in units["name_ru"]])
    notes = []
    for row in centres.itertuples():
        where = urban & ((units["oblast_code"] == row.oblast_code).to_numpy() | republican)
        hits = np.flatnonzero(where & (keys == strict_key(row.centre_name_ru)))
        if len(hits) != 1:
            notes.append(f"oblast centre {row.centre_name_ru} ({row.oblast_code}) matches {len(hits)} towns; "
                         "not left out of the town factor")
            continue
        label = f"oblast centre ({row.oblast_code}, reference table)"
        why.iloc[hits[0]] = f"{why.iloc[hits[0]]}; {label}" if why.iloc[hits[0]] else label
    return why, notes


def estimate_populations(
    units: pd.DataFrame,
    settlements: pd.DataFrame,
    raions: pd.DataFrame,
    inputs: PopulationInputs,
    *,
    method: str = "fitted",
) -> tuple[pd.DataFrame, dict[str, Any], list[str]]:
    """Stage 6b: replace the provisional unit estimates by the chosen method's, with their spread.

    Both methods run (each cross-validated leave one raion out on the same census units) so
    that the report can set them side by side; the chosen one gives the figures.

    Parameters
    ----------
    units : pandas.DataFrame
        Units after the attributes stage (``area_km2``, ``centre_elevation_m``,
        ``border_distance_km``) with the provisional populations of :func:`assign_population`.
    settlements : pandas.DataFrame
        Settlements with ``elevation_m`` and ``is_located``.
    raions : pandas.DataFrame
        Raions with ``centre_unit_code``.
    inputs : PopulationInputs
        Growth factor, real raion totals and town figures read in stage 4.
    method : {"fitted", "village_split"}
        The estimator whose figures are kept.

    Returns
    -------
    tuple of (pandas.DataFrame, dict, list of str)
        The units (population columns replaced, spread columns added), the report entry
        ``population_estimator`` and notes for the build report.
    """
    check_population_method(method)
    table = predictor_table(units, settlements, raions)
    table["town_figure"] = table["unit_code"].map(inputs.town_figures).astype(float)
    table["urban"] = urban_flags(table)
    why, centre_notes = regional_centres(table, table["urban"].to_numpy(), read_oblast_centres())
    table["regional_centre"] = why != ""
    runs = {
        m: estimate_unit_populations(
            table, inputs.totals, method=m, growth_factors={CENSUS_YEAR: inputs.growth, TARGET_YEAR: 1.0},
            target_year=TARGET_YEAR, min_residual_per_unit=MIN_RESIDUAL_PER_UNIT)
        for m in POPULATION_METHODS
    }
    chosen = runs[method]
    names = dict(zip(units["unit_code"], units["name_ru"]))
    entry = chosen.summary()
    entry["comparison"] = {
        m: {"name": r.summary()["name"], "median_abs_rel_error": round(r.cv_scaled.median_abs_rel_error, 4),
            "log_sd": round(r.cv_scaled.log_rmse, 4),
            "median_abs_rel_error_unscaled": round(r.cv_unscaled.median_abs_rel_error, 4),
            "log_sd_unscaled": round(r.cv_unscaled.log_rmse, 4), "units": len(r.cv_scaled.unit_codes)}
        for m, r in runs.items()
    }
    entry["compared_on"] = (f"the same {len(chosen.cv_scaled.unit_codes)} units with a real figure, leave one "
                            "raion out, estimates scaled to the real raion totals as in the build")
    other = next(m for m in POPULATION_METHODS if m != method)
    entry["largest_changes"] = {"from": other, "to": method,
                                "units": largest_changes(runs[other].table, chosen.table, names)}
    entry["growth_2009_to_2021"] = inputs.growth
    if "town_factor_fit" in entry:
        _name_regional_centres(entry["town_factor_fit"], dict(zip(table["unit_code"], why)), names)
        entry["town_factor_fit"]["largest_changes"] = chosen.town_factor_changes(names)
    out = units.copy()
    result = chosen.table.set_index("unit_code")
    for col in ("population", "population_year", "population_source", "population_is_estimate",
                "population_log_sd", "population_p5", "population_p95"):
        out[col] = out["unit_code"].map(result[col]).to_numpy()
    out["population_year"] = out["population_year"].astype(int)
    out["population_is_estimate"] = out["population_is_estimate"].astype(bool)
    return out, entry, [*chosen.notes, *centre_notes]


def _name_regional_centres(fit: dict[str, Any], why: dict[str, str], names: dict[str, str]) -> None:
    """Add names and reasons to the report's regional centres, and list those without a figure."""
    listed = set()
    for centre in fit["regional_centres_left_out"]:
        centre["name"] = names.get(centre["unit_code"], "")
        centre["why"] = why.get(centre["unit_code"], "")
        listed.add(centre["unit_code"])
    fit["regional_centres_without_figure"] = [
        {"unit_code": code, "name": names.get(code, ""), "why": reason}
        for code, reason in why.items() if reason and code not in listed
    ]


def settlement_population(settl: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Each settlement's share of its unit's figure (equal split; a single settlement takes all)."""
    out = settl.copy()
    info = units.set_index("unit_code")
    n = out.groupby("unit_code")["settlement_code"].transform("size").astype(int)
    unit_pop = out["unit_code"].map(info["population"]).astype(float)
    unit_src = out["unit_code"].map(info["population_source"]).astype(str)
    single = n == 1
    split_src = [
        ESTIMATE_PREFIX + f"unit population split equally over its {k} settlements ({b.removeprefix(ESTIMATE_PREFIX)})"
        for k, b in zip(n, unit_src)
    ]
    out["population"] = np.where(single, unit_pop, np.round(unit_pop / n))
    out["population_source"] = np.where(single, unit_src, split_src)
    out["population_is_estimate"] = out["population_source"].str.startswith(ESTIMATE_PREFIX)
    return cast("pd.DataFrame", out)


def raion_population(raions: gpd.GeoDataFrame, units: pd.DataFrame, totals: dict[str, float]) -> gpd.GeoDataFrame:
    """Raion figures: the WFP prism 2021 total, else (cities) the sum of the unit figures."""
    out = raions.copy()
    sums = units.groupby("raion_code")["population"].sum()
    pop, year, src = [], [], []
    for row in out.itertuples():
        if row.raion_code in totals:
            pop.append(totals[row.raion_code])
            year.append(TARGET_YEAR)
            src.append("WFP prism raion indicators, Population_2021 (probably National Statistical Committee)")
        else:
            pop.append(float(sums.get(row.raion_code, np.nan)))
            year.append(TARGET_YEAR)
            src.append(ESTIMATE_PREFIX + "sum of the unit figures of the city")
    out["population"], out["population_year"], out["population_source"] = pop, year, src
    return out
