"""Kyrgyz build, stage 3: unit centres and raion centres.

A unit's centre is its official open-admin-data point, else the interior point of a user's
official polygon, else the town's own located place or a located village named like the unit,
else the located village nearest to the mean of the unit's located villages, else an interior
point of the raion; every fallback is labelled as an estimate. A raion's centre is the unit
named in the documented table ``reference/raion_centres.csv``; a name-and-population rule is
the labelled fallback.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from atr_model.data.contract import ESTIMATE_PREFIX
from atr_model.data.geo import metric_crs
from atr_model.data.kyrgyz.sources import RAION_CENTRES_FILE
from atr_model.data.loaders import read_unit_points
from atr_model.data.names import strict_key, unit_stem

__all__ = ["UnitPoints", "raion_centres", "read_official_unit_points", "unit_centres"]

logger = logging.getLogger(__name__)

#: Prefix written in front of a Russian town name in COATE ("г. Каракол").
_TOWN_PREFIX = r"^г\.\s*"


@dataclass(frozen=True)
class UnitPoints:
    """The open-admin-data unit points of the tree's units.

    Attributes
    ----------
    lonlat : dict
        Point (EPSG:4326) by unit code.
    metric : dict
        ``(x, y)`` in the metric CRS by unit code (for the matcher's distance guard).
    names : pandas.DataFrame
        ``name_ky``, ``name_en`` indexed by unit code.
    """

    lonlat: dict[str, Point]
    metric: dict[str, tuple[float, float]]
    names: pd.DataFrame


def read_official_unit_points(path: Path, units: pd.DataFrame) -> UnitPoints:
    """The official unit points (open-admin-data adm3 points) of units in the tree."""
    upoints = read_unit_points(path)
    upoints = upoints.loc[upoints["unit_code"].isin(set(units["unit_code"]))]
    lonlat = dict(zip(upoints["unit_code"], upoints.geometry))
    metric = {c: (g.x, g.y) for c, g in zip(upoints["unit_code"], upoints.geometry.to_crs(metric_crs()))}
    return UnitPoints(lonlat, metric, upoints.set_index("unit_code")[["name_ky", "name_en"]])


def _is_namesake(stem: str, other: str) -> bool:
    # "Ак-Булунский" -> "akbulun"; Russian adjectives sometimes add or drop a final n
    return bool(stem) and other in (stem, stem + "n", stem[:-1])


def unit_centres(
    units: pd.DataFrame,
    settl: pd.DataFrame,
    unit_pt: dict[str, Point],
    raions: gpd.GeoDataFrame,
    official_polys: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """A centre for every unit: official point, else the town's own place, else a namesake village.

    Adds ``centre_lon``, ``centre_lat``, ``centre_source`` and ``centre_settlement_code``.
    """
    official_polys = official_polys or {}
    out = units.copy()
    raion_geom = raions.set_index("raion_code").geometry
    records: dict[str, list[dict[str, Any]]] = {}
    stems = [unit_stem(n) for n in settl["name_ru"]]
    for rec, stem in zip(settl[["settlement_code", "unit_code", "is_located", "lon", "lat"]].to_dict("records"), stems):
        rec["stem"] = stem
        records.setdefault(rec["unit_code"], []).append(rec)
    lon, lat, src, centre_settlement = [], [], [], []
    for code, level, name, raion in zip(out["unit_code"], out["level"], out["name_ru"], out["raion_code"]):
        group = records.get(code, [])
        located = [r for r in group if r["is_located"]]
        if level == "town":
            hits = [r for r in group if r["settlement_code"] == code]
        else:
            stem = unit_stem(name)
            hits = [r for r in group if _is_namesake(stem, r["stem"])]
        namesake = hits[0] if hits else None
        chosen = namesake["settlement_code"] if namesake else None
        if code in unit_pt:
            x, y = unit_pt[code].x, unit_pt[code].y
            how = "official unit point (open-admin-data adm3 points)"
        elif code in official_polys:
            pt = official_polys[code].representative_point()
            x, y = pt.x, pt.y
            how = ESTIMATE_PREFIX + "interior point of the official unit polygon"
        elif namesake is not None and namesake["is_located"]:
            x, y = namesake["lon"], namesake["lat"]
            how = ESTIMATE_PREFIX + ("the town's own located place" if level == "town"
                                     else "located village named like the unit")
        elif located:
            xy = np.array([[r["lon"], r["lat"]] for r in located])
            pick = located[int(np.argmin(((xy - xy.mean(axis=0)) ** 2).sum(axis=1)))]
            x, y = pick["lon"], pick["lat"]
            how = ESTIMATE_PREFIX + "located village nearest to the mean of the unit's located villages"
            chosen = chosen or pick["settlement_code"]
        else:
            pt = raion_geom[raion].representative_point()
            x, y = pt.x, pt.y
            how = ESTIMATE_PREFIX + "interior point of the raion (no located place)"
        lon.append(float(x))
        lat.append(float(y))
        src.append(how)
        centre_settlement.append(chosen)
    out["centre_lon"], out["centre_lat"], out["centre_source"] = lon, lat, src
    out["centre_settlement_code"] = centre_settlement
    return cast("pd.DataFrame", out)


def _documented_raion_centres() -> dict[str, tuple[str, str]]:
    """Raion code -> (centre name as spelt in COATE, unit-name hint for namesakes)."""
    table = pd.read_csv(RAION_CENTRES_FILE, dtype=str, keep_default_na=False)
    return {str(r.raion_code): (str(r.centre_name_ru), str(r.centre_unit_hint_ru)) for r in table.itertuples()}


def _find_documented_centre(
    centre: tuple[str, str], raion_code: str, oblast_code: str, units: pd.DataFrame, settl: pd.DataFrame
) -> str | None:
    """Unit holding the named centre: a settlement of the raion, else a town of the oblast.

    Namesake villages in one raion are told apart by the table's unit-name hint; without one
    the centre counts as not found (no guessing).
    """
    centre_name_ru, unit_hint = centre
    key = strict_key(centre_name_ru)
    local = settl.loc[settl["raion_code"] == raion_code].sort_values("settlement_code")
    hits = local.loc[[strict_key(n) == key for n in local["name_ru"].str.replace(_TOWN_PREFIX, "", regex=True)]]
    if unit_hint and len(hits):
        names = units.set_index("unit_code").loc[hits["unit_code"], "name_ru"]
        hits = hits.loc[[unit_hint in n for n in names]]
    if len(hits["unit_code"].unique()) == 1:
        return str(hits["unit_code"].iloc[0])
    towns = units.loc[(units["oblast_code"] == oblast_code) & (units["level"] == "town")].sort_values("unit_code")
    hits = towns.loc[[strict_key(n) == key for n in towns["name_ru"].str.replace(_TOWN_PREFIX, "", regex=True)]]
    return str(hits["unit_code"].iloc[0]) if len(hits) == 1 else None


def raion_centres(raions: gpd.GeoDataFrame, units: pd.DataFrame, settl: pd.DataFrame) -> gpd.GeoDataFrame:
    """The unit hosting the raion administration (documented rule, see data/README.md).

    The documented table of raion centres comes first; the name-and-population rule is the
    labelled fallback for a raion the table does not cover or whose centre is not found.
    Needs the units' populations (the fallback picks the most populous town or unit).
    """
    documented = _documented_raion_centres()
    out = raions.copy()
    codes, srcs = [], []
    for row in out.itertuples():
        group = units.loc[units["raion_code"] == row.raion_code].sort_values("unit_code")
        if row.kind == "city":
            own = group.loc[group["is_city_itself"]]
            codes.append(own["unit_code"].iloc[0])
            srcs.append("the city itself")
            continue
        if row.raion_code in documented:
            found = _find_documented_centre(documented[row.raion_code], row.raion_code, row.oblast_code, units, settl)
            if found is not None:
                codes.append(found)
                srcs.append(f"raion centre {documented[row.raion_code][0]} (reference table)")
                continue
            logger.warning("raion %s: documented centre %s not found; using the fallback rule",
                           row.raion_code, documented[row.raion_code][0])
        pick, src = _fallback_raion_centre(row, group)
        codes.append(pick["unit_code"])
        srcs.append(ESTIMATE_PREFIX + src)
    out["centre_unit_code"], out["centre_source"] = codes, srcs
    return out


def _fallback_raion_centre(row: Any, group: pd.DataFrame) -> tuple[pd.Series, str]:
    stem = unit_stem(row.name_ru)
    named = group.loc[[bool(stem) and unit_stem(n) in (stem, stem + "n", stem[:-1]) for n in group["name_ru"]]]
    towns = group.loc[group["level"] == "town"]
    named_towns = named.loc[named["level"] == "town"]
    if len(named_towns):
        return named_towns.iloc[0], "town named like the raion"
    if len(towns) == 1:
        return towns.iloc[0], "the only town of the raion"
    if len(towns):
        return towns.sort_values(["population", "unit_code"], ascending=[False, True]).iloc[0], \
            "most populous town of the raion"
    if len(named):
        return named.iloc[0], "unit named like the raion"
    return group.sort_values(["population", "unit_code"], ascending=[False, True]).iloc[0], \
        "most populous unit of the raion"
