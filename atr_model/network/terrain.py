"""Elevation sampling from a GeoTIFF (GEBCO or the demo DEM) for terrain penalties.

The terrain cost itself (:func:`terrain_time_min`, :func:`altitude_factor`) lives in the data
layer, :mod:`atr_model.data.terrain`, because the terrain-cost territories of the data build use
it too; it is re-exported here for the network layer.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from atr_model.data.terrain import altitude_factor, terrain_time_min
from atr_model.errors import NetworkError

__all__ = ["ElevationRaster", "SegmentProfile", "altitude_factor", "terrain_time_min"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SegmentProfile:
    """Terrain along straight links.

    Attributes
    ----------
    max_elevation_m : numpy.ndarray
        Highest sampled point of each link (NaN when the raster has no data there).
    ascent_forward_m, ascent_backward_m : numpy.ndarray
        Total climb going from the first to the second end, and back.
    """

    max_elevation_m: np.ndarray
    ascent_forward_m: np.ndarray
    ascent_backward_m: np.ndarray


class ElevationRaster:
    """An elevation grid held in memory, sampled at longitude/latitude points.

    Parameters
    ----------
    path : path-like
        A single-band raster readable by rasterio (GeoTIFF), elevation in metres.

    Raises
    ------
    NetworkError
        When the file is missing, unreadable or has no CRS.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        import rasterio
        from pyproj import CRS, Transformer

        self.path = Path(path)
        if not self.path.exists():
            raise NetworkError(f"{self.path}: elevation file not found")
        try:
            with rasterio.open(self.path) as src:
                band = src.read(1, masked=True)
                self._transform = src.transform
                crs = src.crs
        except rasterio.errors.RasterioError as exc:
            raise NetworkError(f"{self.path}: not a readable elevation raster ({exc})") from exc
        if crs is None:
            raise NetworkError(f"{self.path}: elevation raster has no CRS; expected EPSG:4326 or a projected CRS")
        self._grid = np.ma.filled(band.astype("float64"), np.nan)
        self._inverse = ~self._transform
        raster_crs = CRS.from_user_input(crs.to_wkt())
        self._to_raster = (
            None
            if raster_crs.equals(CRS.from_epsg(4326))
            else Transformer.from_crs("EPSG:4326", raster_crs, always_xy=True)
        )

    @property
    def name(self) -> str:
        """File name, for labels."""
        return self.path.name

    def sample(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Elevation (m) at points; NaN outside the grid or on nodata."""
        x = np.asarray(lon, dtype=float)
        y = np.asarray(lat, dtype=float)
        if self._to_raster is not None:
            x, y = self._to_raster.transform(x, y)
        inv = self._inverse
        col = np.floor(inv.a * x + inv.b * y + inv.c).astype(np.int64)
        row = np.floor(inv.d * x + inv.e * y + inv.f).astype(np.int64)
        h, w = self._grid.shape
        inside = (row >= 0) & (row < h) & (col >= 0) & (col < w)
        out = np.full(x.shape, np.nan)
        out[inside] = self._grid[row[inside], col[inside]]
        return out

    def check_covers(self, lon: np.ndarray, lat: np.ndarray, what: str) -> None:
        """Raise :class:`NetworkError` when no point of ``what`` falls on the grid."""
        values = self.sample(lon, lat)
        if len(values) and np.isnan(values).all():
            raise NetworkError(
                f"{self.path}: elevation raster does not cover {what} "
                "(check that it is the right area and that its CRS is declared correctly)"
            )
        missing = int(np.isnan(values).sum())
        if missing:
            logger.warning("%s: no elevation for %d of %d points of %s", self.path, missing, len(values), what)

    def profile(
        self,
        lon_a: np.ndarray,
        lat_a: np.ndarray,
        lon_b: np.ndarray,
        lat_b: np.ndarray,
        length_m: np.ndarray,
        spacing_m: float,
    ) -> SegmentProfile:
        """Sample straight links every ``spacing_m`` metres (2 to 400 samples per link)."""
        n = np.clip(np.ceil(np.asarray(length_m) / spacing_m).astype(np.int64) + 1, 2, 400)
        starts = np.concatenate([[0], np.cumsum(n)[:-1]])
        seg = np.repeat(np.arange(len(n)), n)
        frac = (np.arange(int(n.sum())) - starts[seg]) / (n[seg] - 1)
        lon = lon_a[seg] + frac * (lon_b[seg] - lon_a[seg])
        lat = lat_a[seg] + frac * (lat_b[seg] - lat_a[seg])
        elev = self.sample(lon, lat)
        filled = np.where(np.isnan(elev), -np.inf, elev)
        max_elev = np.maximum.reduceat(filled, starts) if len(n) else np.zeros(0)
        max_elev = np.where(np.isinf(max_elev), np.nan, max_elev)
        diff = np.diff(elev, append=np.nan)
        diff[starts + n - 1] = 0.0  # no step across link boundaries
        diff = np.nan_to_num(diff, nan=0.0)  # a gap in the grid adds no climb
        up = np.add.reduceat(np.clip(diff, 0, None), starts) if len(n) else np.zeros(0)
        down = np.add.reduceat(np.clip(-diff, 0, None), starts) if len(n) else np.zeros(0)
        return SegmentProfile(max_elevation_m=max_elev, ascent_forward_m=up, ascent_backward_m=down)
