"""The data contract: the layers of an atr-model dataset and their columns.

This module is the single source of truth for layer and column names; ``data/README.md``
documents the same contract for people. Every value that is not a sourced fact carries its
method in a ``*_source`` column starting with ``"estimate: "`` (or ``"approximate: "`` for
geometry), and a boolean ``*_is_estimate`` column where later layers need to label it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = [
    "Column",
    "LAYERS",
    "CRS",
    "UNIT_LEVELS",
    "ESTIMATE_PREFIX",
    "APPROXIMATE_PREFIX",
    "is_estimate_source",
    "SPREAD_COLUMNS",
    "check_population_spread",
]

#: Every layer is stored in geographic WGS 84; metric work reprojects on the fly.
CRS = "EPSG:4326"

#: Allowed values of ``units.level``.
UNIT_LEVELS = ("aiyl_aimak", "town")

#: Prefix of a ``*_source`` value that marks an estimated figure.
ESTIMATE_PREFIX = "estimate: "

#: Prefix of a ``geometry_source`` value that marks an approximate territory.
APPROXIMATE_PREFIX = "approximate: "

#: ``geometry_source`` of an approximate territory grown over the terrain (least-cost allocation
#: of an elevation grid): its borders follow ridges, so a shared border is a real crossing unless
#: it lies over a blocked pass (:mod:`atr_model.network.adjacency`).
TERRAIN_COST_SOURCE = APPROXIMATE_PREFIX + "terrain-cost allocation"


@dataclass(frozen=True)
class Column:
    """One column of a layer.

    Parameters
    ----------
    name : str
        Column name.
    kind : str
        One of ``"str"``, ``"int"``, ``"float"``, ``"bool"``.
    required : bool
        Whether the column must be present.
    nullable : bool
        Whether missing values are allowed.
    description : str
        Meaning, unit and allowed values.
    """

    name: str
    kind: str
    required: bool = True
    nullable: bool = False
    description: str = ""


def _names(prefix: str = "") -> list[Column]:
    return [
        Column("name_ru", "str", nullable=True, description="Russian name (as in COATE)"),
        Column("name_ky", "str", required=False, nullable=True, description="Kyrgyz name"),
        Column("name_en", "str", required=False, nullable=True, description="English name"),
    ]


def _population(*, year: bool) -> list[Column]:
    """The population figure, (its year,) its source and its estimate flag."""
    columns = [
        Column("population", "float", description="residents; never NaN (estimates are labelled)"),
        Column("population_year", "int", description="reference year of the population figure"),
        Column("population_source", "str", description="source of the figure, or 'estimate: <method>'"),
        Column("population_is_estimate", "bool", description="True when population is estimated"),
    ]
    return columns if year else [c for c in columns if c.name != "population_year"]


UNITS = [
    Column("unit_code", "str", description="COATE code (14 digits) or a demo code; unique"),
    *_names(),
    Column("level", "str", description="'aiyl_aimak' or 'town'"),
    Column("raion_code", "str", description="code of the parent raion or city of oblast significance"),
    Column("oblast_code", "str", description="code of the oblast (or Bishkek / Osh city)"),
    *_population(year=True),
    Column(
        "population_log_sd", "float", required=False, nullable=True,
        description="spread of an estimate: SD of the natural log of the figure (0 for a real figure; "
        "empty = not given)",
    ),
    Column(
        "population_p5", "float", required=False, nullable=True,
        description="5th percentile of the population (equals population for a real figure)",
    ),
    Column(
        "population_p95", "float", required=False, nullable=True,
        description="95th percentile of the population (equals population for a real figure)",
    ),
    Column("centre_lon", "float", description="longitude of the administrative centre"),
    Column("centre_lat", "float", description="latitude of the administrative centre"),
    Column("centre_source", "str", description="where the centre point comes from"),
    Column(
        "centre_settlement_code", "str", nullable=True,
        description="settlement that is the administrative centre, when known",
    ),
    Column("geometry_source", "str", description="'official' or 'approximate: <method>'"),
    Column("area_km2", "float", description="area of the territory (equal-area projection)"),
    Column("centre_elevation_m", "float", nullable=True, description="elevation of the centre"),
    Column(
        "max_settlement_elevation_m", "float", nullable=True,
        description="highest settlement of the unit",
    ),
    Column("border_distance_km", "float", description="distance of the nearest settlement to the state border"),
]

SETTLEMENTS = [
    Column("settlement_code", "str", description="COATE code or a demo code; unique"),
    *_names(),
    Column("unit_code", "str", description="the unit (aiyl aimak or town) it belongs to"),
    Column("raion_code", "str", description="the raion of its unit"),
    Column("oblast_code", "str", description="the oblast of its unit"),
    *_population(year=False),
    Column("elevation_m", "float", nullable=True, description="elevation of the point"),
    Column("location_method", "str", description="how the point was located (match method or estimate)"),
    Column("is_located", "bool", description="False when the point is a stand-in (e.g. the unit centre)"),
    Column("is_unit_centre", "bool", description="True for the administrative centre of its unit"),
    Column(
        "settlement_kind", "str", required=False, nullable=True,
        description="'village' (a COATE village) or 'town' (the town or city of a town unit itself)",
    ),
]

RAIONS = [
    Column("raion_code", "str", description="COATE code of the raion or city of oblast significance"),
    *_names(),
    Column("kind", "str", description="'raion' or 'city'"),
    Column("oblast_code", "str", description="code of the oblast"),
    Column("population", "float", nullable=True, description="residents (raion statistics)"),
    Column("population_year", "int", required=False, nullable=True, description="year"),
    Column("population_source", "str", nullable=True, description="source of the figure"),
    Column(
        "centre_unit_code", "str", nullable=True,
        description="unit (town or aiyl aimak) hosting the raion administration",
    ),
    Column("centre_source", "str", nullable=True, description="where the raion centre comes from"),
]

OBLASTS = [
    Column("oblast_code", "str", description="COATE code"),
    *_names(),
]

COUNTRY = [
    Column("name_en", "str", description="country name"),
]

INDICATORS = [
    Column("unit_code", "str", description="unit the value belongs to"),
    Column("indicator", "str", description="indicator name, e.g. 'own_revenue_som'"),
    Column("value", "float", description="value"),
    Column("source", "str", description="source, or 'estimate: <method>'"),
]

#: Layer name -> columns. ``indicators`` is optional and non-spatial.
LAYERS: dict[str, list[Column]] = {
    "units": UNITS,
    "settlements": SETTLEMENTS,
    "raions": RAIONS,
    "oblasts": OBLASTS,
    "country": COUNTRY,
    "indicators": INDICATORS,
}


#: Optional unit columns giving the uncertainty of ``population`` (see ``data/README.md``).
SPREAD_COLUMNS = ("population_log_sd", "population_p5", "population_p95")


def check_population_spread(frame: pd.DataFrame, where: str) -> str | None:
    """Check the optional population spread columns of a units layer.

    Parameters
    ----------
    frame : pandas.DataFrame
        The units layer (columns absent are not checked; empty values mean "not given").
    where : str
        Text naming the file or dataset, used in the message.

    Returns
    -------
    str or None
        A message naming the unit and what is wrong, or None when the columns are consistent:
        ``population_log_sd >= 0``, ``0 <= population_p5 <= population <= population_p95``.
    """
    pop = pd.to_numeric(frame["population"], errors="coerce")
    codes = frame["unit_code"] if "unit_code" in frame else pd.Series(frame.index, index=frame.index)
    checks = []
    if "population_log_sd" in frame:
        checks.append((pd.to_numeric(frame["population_log_sd"], errors="coerce") < 0,
                       "population_log_sd is negative"))
    if "population_p5" in frame:
        p5 = pd.to_numeric(frame["population_p5"], errors="coerce")
        checks.append((p5 < 0, "population_p5 is negative"))
        checks.append((p5 > pop + 1e-6, "population_p5 is above population"))
    if "population_p95" in frame:
        p95 = pd.to_numeric(frame["population_p95"], errors="coerce")
        checks.append((p95 < pop - 1e-6, "population_p95 is below population"))
    for bad, text in checks:
        if bad.fillna(False).any():
            row = bad.fillna(False).to_numpy().nonzero()[0][0]
            return f"{where}: unit {codes.iloc[row]!r}: {text}"
    return None


def is_estimate_source(source: object) -> bool:
    """Tell whether a ``*_source`` value marks an estimate or an approximation.

    Parameters
    ----------
    source : object
        A value from a ``*_source`` column.

    Returns
    -------
    bool
        True when the value starts with ``"estimate: "`` or ``"approximate: "``.
    """
    return isinstance(source, str) and source.startswith((ESTIMATE_PREFIX, APPROXIMATE_PREFIX))
