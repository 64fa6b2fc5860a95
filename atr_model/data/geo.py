"""Projections for metric work on the Kyrgyz territory (distances and areas).

Layers are stored in WGS 84; distances use an azimuthal equidistant projection and areas a
Lambert azimuthal equal-area projection, both centred on Kyrgyzstan (41.5 N, 74.5 E). Over the
country's extent (about 900 x 450 km) the distance error stays well under 1 %.
"""

from __future__ import annotations

from pyproj import CRS as ProjCRS

__all__ = ["metric_crs", "equal_area_crs"]

_LAT0 = 41.5
_LON0 = 74.5


def metric_crs(lat0: float = _LAT0, lon0: float = _LON0) -> ProjCRS:
    """Azimuthal equidistant CRS (metres) centred on ``(lat0, lon0)``."""
    return ProjCRS.from_proj4(f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m +no_defs")


def equal_area_crs(lat0: float = _LAT0, lon0: float = _LON0) -> ProjCRS:
    """Lambert azimuthal equal-area CRS (metres) centred on ``(lat0, lon0)``."""
    return ProjCRS.from_proj4(f"+proj=laea +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m +no_defs")
