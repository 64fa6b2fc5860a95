"""Presentation: a dataset's layers prepared once for display (simplified, rounded, with relief).

The dataset's polygons are simplified in a metric CRS with a shared-edge coverage
simplification (neighbouring units keep a common border and dissolved new units have no
slivers), coordinates rounded to about ten metres, and the relief background
(:mod:`atr_model.presentation.maps.basemap`) computed from the dataset's elevation grid. The
app caches one :class:`DisplayLayers` per dataset build, in memory and in the cache folder
(:func:`stored_display_layers`, so a fresh server skips the preparation); every map reads from it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely

from atr_model.data.cache import default_cache_dir
from atr_model.data.dataset import Dataset
from atr_model.presentation.maps import basemap
from atr_model.presentation.maps.basemap import Hillshade, resolve_hillshade
from atr_model.presentation.maps.store import kept, source_digest

__all__ = ["DisplayLayers", "display_layers", "stored_display_layers"]

logger = logging.getLogger(__name__)

_ROUND_DEG = 4  # ~10 m: invisible at the zooms a country map is read at, and a far smaller payload


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
    """

    units: gpd.GeoDataFrame
    raions: gpd.GeoDataFrame
    oblasts: gpd.GeoDataFrame
    country: gpd.GeoDataFrame
    settlements: gpd.GeoDataFrame
    tolerance_m: float
    build_id: str
    hillshade: Hillshade | None = None

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
    return DisplayLayers(
        units=simple_units,
        raions=raions,
        oblasts=oblasts,
        country=country,
        settlements=settlements,
        tolerance_m=tol,
        build_id=dataset.build_id,
        hillshade=resolve_hillshade(elevation, dict(dataset.metadata), outline, dataset.build_id),
    )


#: Bump when the layers' recipe changes in a way the source hash below would not see.
_STORE_VERSION = 1


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
