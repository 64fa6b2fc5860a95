"""The :class:`Dataset`: the territory as typed GeoDataFrames plus build metadata.

A dataset is stored as one GeoPackage with the layers of :mod:`atr_model.data.contract` and a
non-spatial ``metadata`` table (key, JSON value). Writing goes to a temporary file that is
renamed into place, so a failed write never leaves half a dataset.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from atr_model._atomic import atomic_file
from atr_model.data.checks import check_metadata_json
from atr_model.data.contract import CRS, LAYERS, UNIT_LEVELS, Column, check_population_spread
from atr_model.data.files import check_file
from atr_model.data.geo import bad_coordinate
from atr_model.data.header import MetadataIdentity, metadata_from_rows
from atr_model.errors import ContractError, DataError

__all__ = ["Dataset", "read_dataset", "validate_layer"]

logger = logging.getLogger(__name__)

_SPATIAL = ("units", "settlements", "raions", "oblasts", "country")


def _check_kind(values: pd.Series, col: Column, where: str) -> None:
    present = values.dropna()
    if col.kind in ("float", "int"):
        numeric = pd.to_numeric(present, errors="coerce")
        bad = present[numeric.isna()]
        if len(bad):
            raise ContractError(
                f"{where}: column '{col.name}' must be numeric; row {bad.index[0]!r} has {bad.iloc[0]!r}"
            )
    elif col.kind == "bool":
        bad = present[~present.isin([True, False, 0, 1])]
        if len(bad):
            raise ContractError(
                f"{where}: column '{col.name}' must be boolean; row {bad.index[0]!r} has {bad.iloc[0]!r}"
            )


def validate_layer(frame: pd.DataFrame, layer: str, *, where: str | None = None) -> None:
    """Check one layer against the data contract.

    Parameters
    ----------
    frame : pandas.DataFrame or geopandas.GeoDataFrame
        The layer.
    layer : str
        Layer name, a key of :data:`atr_model.data.contract.LAYERS`.
    where : str, optional
        Text naming the file or dataset, used in messages.

    Raises
    ------
    ContractError
        On a missing column, a null in a non-nullable column, a value of the wrong kind,
        a duplicate key, a missing or wrong CRS, or an empty or invalid geometry.
    """
    where = where or f"layer '{layer}'"
    columns = LAYERS[layer]
    missing = [c.name for c in columns if c.required and c.name not in frame.columns]
    if missing:
        raise ContractError(f"{where}: missing column(s) {', '.join(missing)}")
    for col in columns:
        if col.name not in frame.columns:
            continue
        values = frame[col.name]
        if not col.nullable and values.isna().any():
            row = values.index[values.isna()][0]
            raise ContractError(f"{where}: column '{col.name}' is empty in row {row!r}")
        _check_kind(values, col, where)
    key = columns[0].name
    if layer in ("units", "settlements", "raions", "oblasts"):
        dup = frame[key][frame[key].duplicated()]
        if len(dup):
            raise ContractError(f"{where}: duplicate {key} {dup.iloc[0]!r}")
    if layer == "units":
        bad = frame.loc[~frame["level"].isin(UNIT_LEVELS), "level"]
        if len(bad):
            raise ContractError(
                f"{where}: unit {frame.loc[bad.index[0], 'unit_code']!r} has level {bad.iloc[0]!r}; "
                f"expected one of {', '.join(UNIT_LEVELS)}"
            )
        neg = frame.loc[pd.to_numeric(frame["population"]) < 0, "unit_code"]
        if len(neg):
            raise ContractError(f"{where}: unit {neg.iloc[0]!r} has a negative population")
        spread_problem = check_population_spread(frame, where)
        if spread_problem:
            raise ContractError(spread_problem)
    if layer in _SPATIAL:
        _validate_geometry(frame, layer, key, where)


def _validate_coordinates(frame: gpd.GeoDataFrame, layer: str, key: str, where: str) -> None:
    """Longitudes and latitudes (geometry extents, and the lon/lat columns) on the globe."""
    bounds = frame.geometry.bounds
    pairs = [(bounds["minx"], bounds["miny"]), (bounds["maxx"], bounds["maxy"])]
    pairs += [(frame[x], frame[y]) for x, y in (("lon", "lat"), ("centre_lon", "centre_lat")) if x in frame and y in frame]
    for lon, lat in pairs:
        bad = bad_coordinate(pd.to_numeric(lon, errors="coerce"), pd.to_numeric(lat, errors="coerce"))
        if bad is not None:
            row, problem = bad
            label = frame[key].iloc[row] if key in frame else frame.index[row]
            raise ContractError(f"{where}: {layer} {label!r} (row {row + 1}): {problem}; check its coordinates")


def _validate_geometry(frame: pd.DataFrame, layer: str, key: str, where: str) -> None:
    if not isinstance(frame, gpd.GeoDataFrame):
        raise ContractError(f"{where}: layer '{layer}' has no geometry column")
    if frame.crs is None:
        raise ContractError(f"{where}: layer '{layer}' has no CRS; expected {CRS}")
    if not frame.crs.equals(CRS):
        raise ContractError(f"{where}: layer '{layer}' has CRS {frame.crs.to_string()}; expected {CRS}")
    geom = frame.geometry
    empty = geom.isna() | geom.is_empty
    if empty.any():
        label = frame[key].iloc[int(np.argmax(empty.to_numpy()))] if key in frame else empty.idxmax()
        raise ContractError(f"{where}: {layer} {label!r} has an empty geometry")
    _validate_coordinates(frame, layer, key, where)
    invalid = ~geom.is_valid
    if invalid.any():
        label = frame[key].iloc[int(np.argmax(invalid.to_numpy()))] if key in frame else invalid.idxmax()
        raise ContractError(
            f"{where}: {layer} {label!r} has an invalid geometry; repair it (e.g. shapely.make_valid)"
        )


@dataclass(frozen=True)
class Dataset(MetadataIdentity):
    """A territory: units, settlements, raions, oblasts, the country outline and metadata.

    Attributes
    ----------
    units : geopandas.GeoDataFrame
        Aiyl aimaks and towns (polygons), one row per ``unit_code``.
    settlements : geopandas.GeoDataFrame
        Villages and towns (points), one row per ``settlement_code``.
    raions, oblasts, country : geopandas.GeoDataFrame
        Higher levels (polygons).
    indicators : pandas.DataFrame
        Optional long table of unit indicators (economic base); may be empty.
    metadata : dict
        Build provenance: ``build_id``, ``kind`` ('demo' or a source name), ``sources``,
        ``package_version``, ``created_utc`` and anything the builder records.
    """

    units: gpd.GeoDataFrame
    settlements: gpd.GeoDataFrame
    raions: gpd.GeoDataFrame
    oblasts: gpd.GeoDataFrame
    country: gpd.GeoDataFrame
    indicators: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=[c.name for c in LAYERS["indicators"]]))
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def validate(self, *, where: str = "dataset") -> Dataset:
        """Check every layer and the links between them; return ``self``.

        Raises
        ------
        ContractError
            On the first problem found, naming layer, row and column.
        """
        for layer in (*_SPATIAL, "indicators"):
            frame = getattr(self, layer)
            if layer == "indicators" and frame.empty:
                continue
            validate_layer(frame, layer, where=f"{where}: {layer}")
        self._validate_links(where)
        return self

    def _validate_links(self, where: str) -> None:
        unit_codes = set(self.units["unit_code"])
        _check_links(self.settlements, "unit_code", unit_codes, "settlement", "settlement_code", where)
        _check_links(self.units, "raion_code", set(self.raions["raion_code"]), "unit", "unit_code", where)
        if not self.indicators.empty:
            _check_links(self.indicators, "unit_code", unit_codes, "indicator row", None, where)

    def replace(self, **changes: Any) -> Dataset:
        """Return a copy with some layers or metadata replaced."""
        return replace(self, **changes)

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the dataset to one GeoPackage, atomically.

        Parameters
        ----------
        path : path-like
            Target ``.gpkg`` file; replaced if it exists.

        Returns
        -------
        pathlib.Path
            The written path.
        """
        target = Path(path)
        problems = check_metadata_json(self.metadata, str(target))
        if problems:
            raise ContractError(problems[0])
        with atomic_file(target) as tmp:
            for layer in _SPATIAL:
                getattr(self, layer).to_file(tmp, layer=layer, driver="GPKG", engine="pyogrio")

            if not self.indicators.empty:
                pyogrio.write_dataframe(self.indicators.reset_index(drop=True), tmp, layer="indicators", driver="GPKG")
            meta = pd.DataFrame(
                {"key": list(self.metadata), "value": [json.dumps(v, sort_keys=True) for v in self.metadata.values()]}
            )
            pyogrio.write_dataframe(meta, tmp, layer="metadata", driver="GPKG")
        logger.info("wrote dataset %s to %s", self.build_id, target)
        return target


def read_dataset(path: str | os.PathLike[str], *, validate: bool = True) -> Dataset:
    """Read a dataset GeoPackage written by :meth:`Dataset.write`.

    Parameters
    ----------
    path : path-like
        The ``.gpkg`` file.
    validate : bool, default True
        Check the contract after reading.

    Returns
    -------
    Dataset

    Raises
    ------
    DataError
        When the file is missing or lacks a layer.
    ContractError
        When a layer breaks the contract.
    """
    source = Path(path)
    check_file(source, "dataset file")  # stat only: a folder or a FIFO is refused unopened
    try:
        available = {name for name, _ in pyogrio.list_layers(source)}
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise DataError(f"{source}: not a readable GeoPackage ({exc})") from exc
    missing = [layer for layer in (*_SPATIAL, "metadata") if layer not in available]
    if missing:
        raise DataError(f"{source}: not an atr-model dataset; missing layer(s) {', '.join(missing)}")
    layers = {layer: gpd.read_file(source, layer=layer, engine="pyogrio") for layer in _SPATIAL}
    for layer, frame in layers.items():
        for col in LAYERS[layer]:
            if col.kind == "str" and col.name in frame:
                frame[col.name] = frame[col.name].astype(object).where(frame[col.name].notna(), None)
            if col.kind == "bool" and col.name in frame:
                frame[col.name] = frame[col.name].astype(bool)
    indicators = (
        pyogrio.read_dataframe(source, layer="indicators")
        if "indicators" in available
        else pd.DataFrame(columns=[c.name for c in LAYERS["indicators"]])
    )
    metadata = _read_metadata(source)
    dataset = Dataset(**layers, indicators=indicators, metadata=metadata)
    if validate:
        dataset.validate(where=str(source))
    return dataset


def _read_metadata(source: Path) -> dict[str, Any]:
    """The ``metadata`` table (columns ``key``: text, ``value``: a JSON text) as a dict.

    A row whose value is not JSON is told naming the file, the table, the row and the key (a
    hand-written table with plain text in ``value`` otherwise fails deep inside ``json``).
    """
    frame = pyogrio.read_dataframe(source, layer="metadata")
    missing = [c for c in ("key", "value") if c not in frame]
    if missing:
        raise DataError(f"{source}: table 'metadata' lacks column(s) {', '.join(missing)}; expected key, value (JSON)")
    return metadata_from_rows(source, zip(frame["key"], frame["value"]))


def _check_links(
    frame: pd.DataFrame, column: str, known: set[Any], what: str, id_column: str | None, where: str
) -> None:
    """Raise :class:`ContractError` on the first row of ``frame`` whose ``column`` (``unit_code``,
    ``raion_code``) names a parent that is not in ``known``; the row is named by ``id_column``
    (else its index)."""
    orphans = frame.loc[~frame[column].isin(known)]
    if len(orphans) == 0:
        return
    row = orphans.iloc[0]
    child = row[id_column] if id_column else orphans.index[0]
    parent = column.removesuffix("_code")
    raise ContractError(
        f"{where}: {what} {child!r} names {parent} {row[column]!r}, which is not in the {parent}s layer"
    )
