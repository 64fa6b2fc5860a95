"""Kyrgyz build, stage 2: settlement places and the matching that locates them.

The settlements are the COATE villages plus one row per town unit (the town itself). They are
located by name matching within their raion against the Who's On First localities and the
GeoNames towns (:func:`atr_model.data.matching.match_villages`); official village points, when
the user gives them, win over a match. A settlement that stays unlocated gets its unit's centre
as a labelled stand-in (:func:`place_unlocated`, after the centres stage).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import cast

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from atr_model.data.contract import CRS, ESTIMATE_PREFIX
from atr_model.data.files import reading
from atr_model.data.geo import bad_coordinate, metric_crs
from atr_model.data.loaders import read_localities
from atr_model.data.matching import match_villages, place_keys
from atr_model.data.names import strict_key
from atr_model.errors import DataError

__all__ = [
    "PLACE_SNAP_DISTANCE_M",
    "locate_settlements",
    "place_unlocated",
    "read_places",
    "settlement_table",
    "town_place_populations",
]

#: A place outside every raion polygon (in the Issyk-Kul lake, or just over a digitised border)
#: is given to the nearest raion within this distance: the OCHA raion outlines and the place
#: points disagree by up to about 1-2 km along borders and shores; farther away it is dropped.
PLACE_SNAP_DISTANCE_M = 2000.0

#: Prefix written in front of a Russian town name in COATE ("г. Каракол"); dropped for matching.
_TOWN_PREFIX = r"^г\.\s*"


def _xy(geoms: gpd.GeoSeries) -> np.ndarray:
    if len(geoms) == 0:
        return np.zeros((0, 2))
    return np.column_stack([geoms.x.to_numpy(), geoms.y.to_numpy()])


def read_places(paths: dict[str, Path], raions: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Who's On First localities and GeoNames towns, tagged with the raion they fall in."""
    wof = read_localities(paths["localities"])
    wof = gpd.GeoDataFrame({
        "place_id": "wof:" + wof["place_id"],
        "name": wof["name"], "name_ru": wof.get("name_ru"), "name_ky": wof.get("name_ky"),
        "variants": wof.get("name_ru_variants", pd.Series("", index=wof.index)).fillna("") + "|"
        + wof.get("name_ky_variants", pd.Series("", index=wof.index)).fillna(""),
        "gn_population": pd.to_numeric(wof.get("gn_population"), errors="coerce"),
        "source": "Who's On First",
    }, geometry=wof.geometry.values, crs=CRS)
    with reading(paths["geonames"], "GeoNames table"):
        gn = pd.read_csv(paths["geonames"])
    for col in ("geonameid", "name", "latitude", "longitude"):
        if col not in gn:
            raise DataError(f"{paths['geonames']}: missing column {col}")
    bad = bad_coordinate(pd.to_numeric(gn["longitude"], errors="coerce"), pd.to_numeric(gn["latitude"], errors="coerce"))
    if bad is not None:
        raise DataError(f"{paths['geonames']}: row {bad[0] + 2}: place {gn['name'].iloc[bad[0]]!r}: {bad[1]}")
    gn = gpd.GeoDataFrame({
        "place_id": "gn:" + gn["geonameid"].astype(str), "name": gn["name"], "name_ru": None, "name_ky": None,
        "variants": gn.get("alternatenames", pd.Series("", index=gn.index)).fillna(""),
        "gn_population": pd.to_numeric(gn["population"], errors="coerce") if "population" in gn else np.nan,
        "source": "GeoNames",
    }, geometry=gpd.points_from_xy(gn["longitude"], gn["latitude"]), crs=CRS)
    places = pd.concat([wof, gn], ignore_index=True)
    places = gpd.GeoDataFrame(places, geometry="geometry", crs=CRS)
    joined = gpd.sjoin(places, raions[["raion_code", "geometry"]], how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    places["raion_code"] = joined["raion_code"]
    lost = places["raion_code"].isna()
    if lost.any():
        metric = metric_crs()
        r_m = raions.to_crs(metric)
        near = gpd.sjoin_nearest(
            places.loc[lost, ["geometry"]].to_crs(metric), r_m[["raion_code", "geometry"]],
            how="left", max_distance=PLACE_SNAP_DISTANCE_M,
        )
        near = near[~near.index.duplicated(keep="first")]
        places.loc[lost, "raion_code"] = near["raion_code"]
    places = places.dropna(subset=["raion_code"]).sort_values("place_id").reset_index(drop=True)
    return gpd.GeoDataFrame(
        place_keys(places, ("name", "name_ru", "name_ky", "variants")), geometry="geometry", crs=CRS
    )


def settlement_table(units: pd.DataFrame, villages: pd.DataFrame) -> pd.DataFrame:
    """The villages plus one row per town unit (the town itself), sorted by settlement code."""
    towns = units.loc[units["level"] == "town", ["unit_code", "name_ru", "raion_code", "oblast_code"]]
    town_rows = towns.assign(settlement_code=towns["unit_code"], settlement_kind="town")
    settl = pd.concat([villages, town_rows[villages.columns]], ignore_index=True)
    settl = settl.sort_values("settlement_code").reset_index(drop=True)
    if settl["settlement_code"].duplicated().any():
        twice = settl.loc[settl["settlement_code"].duplicated(), "settlement_code"].iloc[0]
        raise DataError(f"settlement code {twice} is used twice")
    return cast("pd.DataFrame", settl)


def locate_settlements(
    settl: pd.DataFrame,
    places: gpd.GeoDataFrame,
    unit_pt_m: dict[str, tuple[float, float]],
    official_pts: dict[str, Point],
    max_match_distance_km: float,
) -> pd.DataFrame:
    """Locate the settlements: official points first, else a name match, else unlocated.

    Adds ``place_index``, ``location_method`` (the matcher's outcome), ``candidates``, ``lon``,
    ``lat``, ``is_located`` and ``match_outcome`` (the method as written into the dataset).
    """
    out = settl.copy()
    place_xy_m = _xy(places.geometry.to_crs(metric_crs()))
    match_input = out.assign(name_ru=out["name_ru"].str.replace(_TOWN_PREFIX, "", regex=True))
    results = match_villages(match_input, places, place_xy_m, unit_pt_m, max_distance_km=max_match_distance_km)
    out["place_index"] = [r.place_index for r in results]
    out["location_method"] = [r.method for r in results]
    out["candidates"] = [r.candidates for r in results]

    lon = np.full(len(out), np.nan)
    lat = np.full(len(out), np.nan)
    located = np.zeros(len(out), dtype=bool)
    methods = []
    for i, row in enumerate(out.itertuples()):
        if row.settlement_code in official_pts:
            pt = official_pts[row.settlement_code]
            lon[i], lat[i], located[i] = pt.x, pt.y, True
            methods.append("official point")
        elif row.place_index is not None and not pd.isna(row.place_index):
            pt = places.geometry.iloc[int(row.place_index)]
            lon[i], lat[i], located[i] = pt.x, pt.y, True
            methods.append(f"name match ({row.location_method}): {places['place_id'].iloc[int(row.place_index)]}")
        else:
            methods.append(row.location_method)
    out["lon"], out["lat"], out["is_located"] = lon, lat, located
    out["match_outcome"] = methods
    return cast("pd.DataFrame", out)


def place_unlocated(settl: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Put each unlocated settlement at its unit's centre (a labelled stand-in); mark centres."""
    out = settl.copy()
    centre_of = units.set_index("unit_code")
    for i, row in enumerate(out.itertuples()):
        if not row.is_located:
            c = centre_of.loc[row.unit_code]
            out.at[i, "lon"], out.at[i, "lat"] = c["centre_lon"], c["centre_lat"]
            out.at[i, "match_outcome"] = (
                ESTIMATE_PREFIX + f"unit centre stands in (not located: {row.location_method})")
    out["is_unit_centre"] = out["settlement_code"].isin(set(units["centre_settlement_code"].dropna()))
    return cast("pd.DataFrame", out)


def town_place_populations(settl: pd.DataFrame, places: gpd.GeoDataFrame) -> dict[str, float]:
    """GeoNames population of the place each town was matched to, by unit code (when > 0).

    A town its raion's match did not find (:func:`locate_settlements`) takes the figure of the
    one place in its oblast that bears its exact name and has a population, if no settlement
    was matched to that place (:func:`_oblast_name_figures`). The OCHA polygon of Kara-Kul city
    is a 1.2 km2 patch 40 km from the town, so the GeoNames place of the town (Kara-Kul',
    26,901) lies in Toktogul raion; without its figure the town got a model estimate about
    twice as large. The town is not located there (its point would fall outside its raion);
    only its figure is used.
    """
    town_gn: dict[str, float] = {}
    for row in settl.loc[settl["settlement_kind"] == "town"].itertuples():
        if row.place_index is not None and not pd.isna(row.place_index):
            figure = places["gn_population"].iloc[int(row.place_index)]
            if pd.notna(figure) and figure > 0:
                town_gn[row.unit_code] = float(figure)
    town_gn.update(_oblast_name_figures(settl, places, set(town_gn)))
    return town_gn


def _oblast_name_figures(settl: pd.DataFrame, places: gpd.GeoDataFrame, done: set[str]) -> dict[str, float]:
    """Figures of towns without one, from the only place of their oblast with their exact name."""
    matched = {int(i) for i in settl["place_index"] if i is not None and not pd.isna(i)}
    with_figure = [
        (i, keys, str(raion)[:5]) for i, (keys, raion, figure) in
        enumerate(zip(places["strict_keys"], places["raion_code"], places["gn_population"]))
        if pd.notna(figure) and figure > 0 and i not in matched
    ]
    out: dict[str, float] = {}
    towns = settl.loc[(settl["settlement_kind"] == "town") & ~settl["unit_code"].isin(done)]
    for row in towns.itertuples():
        key = strict_key(re.sub(_TOWN_PREFIX, "", str(row.name_ru)))
        hits = [i for i, keys, oblast in with_figure if key and key in keys and oblast == str(row.raion_code)[:5]]
        if len(hits) == 1:
            out[row.unit_code] = float(places["gn_population"].iloc[hits[0]])
    return out
