"""Presentation: a dataset's layers prepared once for display (simplified, rounded, with relief).

The dataset's polygons are simplified in a metric CRS with a shared-edge coverage
simplification (neighbouring units keep a common border and dissolved new units have no
slivers), coordinates rounded to about ten metres, and the relief background
(:mod:`atr_model.presentation.maps.basemap`) computed from the dataset's elevation grid. The
app caches one :class:`DisplayLayers` per dataset build, in memory and in the cache folder
(:func:`stored_display_layers`, so a fresh server skips the preparation); every map reads from it.

The layers also carry the land the maps must explain (:attr:`DisplayLayers.land_notes`, from
the build report's ``territories``, data README section 2.4): raion land that no unit holds in
the open data (*unplaced*), and the pieces of units that hold a real exclave of their raion.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely

from atr_model.data import equal_area_crs, part_at
from atr_model.data.cache import default_cache_dir
from atr_model.data.dataset import Dataset
from atr_model.presentation.maps import basemap
from atr_model.presentation.maps.basemap import Hillshade, resolve_hillshade
from atr_model.presentation.maps.store import kept, source_digest

__all__ = ["DisplayLayers", "LAND_NOTE_COLUMNS", "display_layers", "stored_display_layers"]

logger = logging.getLogger(__name__)

_ROUND_DEG = 4  # ~10 m: invisible at the zooms a country map is read at, and a far smaller payload
#: Where an exclave's land is measured: an equal-area projection, so its area is the same
#: whatever the map shows (the whole country, its oblast or its raion), unlike the display's UTM zone.
_AREA_CRS = equal_area_crs()

#: Columns of :attr:`DisplayLayers.land_notes` (besides ``geometry``).
LAND_NOTE_COLUMNS = (
    "kind", "raion_code", "unit_code", "name_ky", "name_ru", "name_en", "area_km2", "cut_off_by", "gap_km",
    "unit_pieces",
)


@dataclass(frozen=True, eq=False)
class DisplayLayers:
    """A dataset's layers simplified for display (EPSG:4326, rounded coordinates).

    Attributes
    ----------
    units, raions, oblasts, country : geopandas.GeoDataFrame
        Polygons with the dataset's attribute columns (units indexed by ``unit_code``).
    settlements : geopandas.GeoDataFrame
        Points with code, names, unit, population and estimate flags.
    tolerance_m : float
        Simplification tolerance used, in metres.
    build_id : str
        Build id of the source dataset (cache key).
    hillshade : Hillshade or None
        The relief background, when the dataset has an elevation grid.
    land_notes : geopandas.GeoDataFrame
        Land the maps explain (:data:`LAND_NOTE_COLUMNS`), one row per piece: ``kind="unplaced"``,
        a detached raion piece held by no unit in the open data (raion code and names, its
        area in km2); ``kind="exclave"``, the piece of a raion-exclave unit that lies in a
        detached piece of its raion (unit code and names, the area of the unit's land there,
        ``cut_off_by`` a key of :data:`atr_model.data.borders.CUT_OFF_KINDS`, ``gap_km``, and
        ``unit_pieces``, the unit's number of pieces). Empty for datasets whose build recorded
        no raion pieces (the demo, a Voronoi build).
    """

    units: gpd.GeoDataFrame
    raions: gpd.GeoDataFrame
    oblasts: gpd.GeoDataFrame
    country: gpd.GeoDataFrame
    settlements: gpd.GeoDataFrame
    tolerance_m: float
    build_id: str
    hillshade: Hillshade | None = None
    land_notes: gpd.GeoDataFrame = field(default_factory=lambda: _empty_land_notes("EPSG:4326"))

    @property
    def bounds(self) -> list[list[float]]:
        """``[[south, west], [north, east]]`` of the units, for ``fit_bounds``."""
        minx, miny, maxx, maxy = self.units.total_bounds
        return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


def _default_tolerance_m(frame: gpd.GeoDataFrame, metric_crs: Any) -> float:
    minx, miny, maxx, maxy = frame.to_crs(metric_crs).total_bounds
    extent_m = max(maxx - minx, maxy - miny, 1.0)
    # About 1/4000 of the extent: ~250 m for a country of 900 km, invisible at national zoom.
    return float(min(max(extent_m / 4000.0, 10.0), 500.0))


def _simplify(frame: gpd.GeoDataFrame, metric_crs: Any, tolerance_m: float) -> gpd.GeoDataFrame:
    """Simplify polygons in a metric CRS, keeping shared borders shared where possible."""
    out = frame.copy()
    metric = out.geometry.to_crs(metric_crs)
    geoms = metric.to_numpy()
    try:
        simplified = shapely.coverage_simplify(geoms, tolerance_m)
        if not shapely.is_valid(simplified).all() or shapely.is_empty(simplified).any():
            raise ValueError("coverage simplification produced invalid or empty polygons")
    except Exception as exc:  # overlapping (approximate) territories are not a clean coverage
        logger.info("coverage simplification not possible (%s); simplifying polygons one by one", exc)
        simplified = shapely.simplify(geoms, tolerance_m, preserve_topology=True)
    back = gpd.GeoSeries(simplified, crs=metric_crs, index=out.index).to_crs(frame.crs)
    out = out.set_geometry(shapely.set_precision(back.to_numpy(), 10**-_ROUND_DEG))
    out = out.set_crs(frame.crs, allow_override=True)
    return out


def _empty_land_notes(crs: Any) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: [] for c in LAND_NOTE_COLUMNS}, geometry=[], crs=crs)


def _unplaced_row(piece: Mapping[str, Any], raion: Mapping[str, Any]) -> dict[str, Any]:
    """A raion piece held by no unit: the displayed raion piece, with the build's area."""
    return {"kind": "unplaced", "raion_code": str(piece["raion_code"]), "unit_code": "", **_names(raion),
            "area_km2": float(piece["area_km2"]), "cut_off_by": piece.get("cut_off_by", ""),
            "gap_km": piece.get("gap_km"), "unit_pieces": 0,
            "geometry": part_at(raion["geometry"], piece["lon"], piece["lat"])}


def _exclave_row(piece: Mapping[str, Any], shown_piece: Any, unit: Mapping[str, Any],
                 full: tuple[Any, Any], crs: Any) -> dict[str, Any]:
    """A unit's land in a detached piece of its raion.

    The geometry is the displayed parts of the unit that lie mostly in the piece (``shown_piece``,
    the displayed raion piece; so the outline follows the unit's fill); the area, in km2, that
    of the unit's full-resolution territory inside the piece (``full``: the unit's
    full-resolution geometry and the full-resolution raion piece), measured in an equal-area
    projection.
    """
    unit_parts = shapely.get_parts(unit["geometry"])
    inside = unit_parts[shapely.area(shapely.intersection(unit_parts, shown_piece)) > 0.5 * shapely.area(unit_parts)]
    shape = shapely.union_all(inside) if len(inside) else shapely.intersection(unit["geometry"], shown_piece)
    unit_full, piece_full = full
    land = gpd.GeoSeries([shapely.intersection(unit_full, piece_full)], crs=crs).to_crs(_AREA_CRS)
    return {"kind": "exclave", "raion_code": str(piece["raion_code"]), "unit_code": str(unit["unit_code"]),
            **_names(unit), "area_km2": float(land.area.iloc[0]) / 1e6, "cut_off_by": piece.get("cut_off_by", ""),
            "gap_km": piece.get("gap_km"), "unit_pieces": int(shapely.get_num_geometries(unit_full)),
            "geometry": shape}


def _names(row: Mapping[str, Any]) -> dict[str, Any]:
    return {c: row.get(c) for c in ("name_ky", "name_ru", "name_en")}


def _land_notes(dataset: Dataset, units: gpd.GeoDataFrame, raions: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Rows of :attr:`DisplayLayers.land_notes` from the build report's ``territories``.

    ``units`` and ``raions`` are the simplified layers; a piece's geometry is the displayed
    raion piece holding the build's point inside it (``lon``/``lat``), or for an exclave the
    displayed parts of the unit in that piece. Only units the build lists as raion exclaves
    (``raion_exclave_units``: in several pieces because their raion is) get exclave rows.
    """
    territories = (dataset.metadata.get("report") or {}).get("territories") or {}
    pieces = territories.get("raion_pieces") or []
    exclave_units = {str(u["unit_code"]) for u in territories.get("raion_exclave_units") or []}
    shown = {str(r["raion_code"]): r for r in raions.to_dict("records")}
    full_raions = dataset.raions.set_index("raion_code").geometry
    full_units = dataset.units.set_index("unit_code").geometry
    missing = sorted({str(p["raion_code"]) for p in pieces} - set(shown)) + sorted(exclave_units - set(units.index))
    if missing:
        raise ValueError(f"build report territories (raion_pieces, raion_exclave_units) names {missing[0]}, "
                         f"which the dataset {dataset.build_id} does not have")
    rows = []
    for piece in pieces:
        code = str(piece["raion_code"])
        if piece.get("unplaced"):
            rows.append(_unplaced_row(piece, shown[code]))
        elif not piece["largest"]:
            held = sorted(str(u) for u in piece.get("units", []) if str(u) in exclave_units)
            if not held:
                continue
            # the piece, displayed and at full resolution, once for all the units holding land in it
            at = (piece["lon"], piece["lat"])
            shown_piece, piece_full = part_at(shown[code]["geometry"], *at), part_at(full_raions[code], *at)
            for unit_code in held:
                unit = units.loc[unit_code].to_dict()
                rows.append(_exclave_row(piece, shown_piece, unit, (full_units[unit_code], piece_full), units.crs))
    if not rows:
        return _empty_land_notes(units.crs)
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=units.crs)
    return frame.set_geometry(shapely.set_precision(frame.geometry.to_numpy(), 10**-_ROUND_DEG)).set_crs(
        units.crs, allow_override=True)


_SETTLEMENT_COLUMNS = (
    "settlement_code", "name_ky", "name_ru", "name_en", "unit_code", "raion_code", "population",
    "population_is_estimate", "population_source", "is_located", "is_unit_centre", "elevation_m",
)


def display_layers(
    dataset: Dataset,
    *,
    tolerance_m: float | None = None,
    elevation: str | os.PathLike[str] | None = "auto",
) -> DisplayLayers:
    """Simplify a dataset's polygons once for display and compute its relief background.

    Parameters
    ----------
    dataset
        The territory.
    tolerance_m
        Simplification tolerance in metres; by default 1/4000 of the territory's extent
        (bounded to 10-500 m).
    elevation
        Elevation raster for the relief: ``"auto"`` (the dataset's own grid: the demo DEM, the
        shared GEBCO grid for a Kyrgyz build), a path, or None for no relief.

    Returns
    -------
    DisplayLayers
        New frames; the dataset is not modified.
    """
    units = dataset.units
    metric_crs = units.estimate_utm_crs()
    tol = _default_tolerance_m(units, metric_crs) if tolerance_m is None else float(tolerance_m)
    simple_units = _simplify(units, metric_crs, tol).set_index("unit_code", drop=False)
    simple_units.index.name = None
    # Outlines are drawn over the units, so a coarser tolerance does not show.
    raions = _simplify(dataset.raions, metric_crs, tol * 1.5)
    oblasts = _simplify(dataset.oblasts, metric_crs, tol * 3)
    country = _simplify(dataset.country, metric_crs, tol * 3)
    keep = [c for c in _SETTLEMENT_COLUMNS if c in dataset.settlements.columns]
    settlements = dataset.settlements[[*keep, "geometry"]].copy()
    settlements = settlements.set_geometry(shapely.set_precision(settlements.geometry.to_numpy(), 10**-_ROUND_DEG))
    settlements = settlements.set_crs(dataset.settlements.crs, allow_override=True)
    outline = country.to_crs("EPSG:4326").geometry.union_all() if len(country) else None
    land_notes = _land_notes(dataset, simple_units, raions)
    return DisplayLayers(
        units=simple_units,
        raions=raions,
        oblasts=oblasts,
        country=country,
        settlements=settlements,
        tolerance_m=tol,
        build_id=dataset.build_id,
        hillshade=resolve_hillshade(elevation, dict(dataset.metadata), outline, dataset.build_id),
        land_notes=land_notes,
    )


#: Bump when the layers' recipe changes in a way the source hash below would not see.
_STORE_VERSION = 2  # 2: land_notes (unplaced raion land, exclave pieces)


def _store_path(dataset: Dataset, cache_dir: Path) -> Path:
    """File of a dataset's stored layers: build id, this module's and the relief's code, libraries."""
    code = source_digest([Path(__file__), Path(basemap.__file__)])
    key = [dataset.build_id, _STORE_VERSION, code, gpd.__version__, shapely.__version__]
    digest = hashlib.sha256(json.dumps(key).encode("utf-8")).hexdigest()[:16]
    return cache_dir / "display" / f"layers-{digest}.pickle"


def stored_display_layers(dataset: Dataset, *, cache_dir: str | os.PathLike[str] | None = None) -> DisplayLayers:
    """:func:`display_layers` with the defaults, kept in the cache folder for the next process.

    A fresh app server then draws its first map without simplifying the territory again
    (about a second for the Kyrgyz build). The file is keyed by the dataset's build id and the
    code that prepares the layers, so a rebuild or a code change prepares them anew; it is a
    cache the app itself wrote (pickle), never a file from elsewhere. A cache that cannot be
    read or written only costs the preparation.
    """
    def load(path: Path) -> DisplayLayers | None:
        with path.open("rb") as handle:
            layers = pickle.load(handle)
        return layers if isinstance(layers, DisplayLayers) and layers.build_id == dataset.build_id else None

    return kept(
        _store_path(dataset, Path(cache_dir) if cache_dir is not None else default_cache_dir()),
        load=load,
        dump=lambda layers, tmp: tmp.write_bytes(pickle.dumps(layers, protocol=pickle.HIGHEST_PROTOCOL)),
        build=lambda: display_layers(dataset),
        what="display layers",
    )
