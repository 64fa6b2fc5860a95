"""Projections for metric work on the Kyrgyz territory (distances and areas).

Layers are stored in WGS 84; distances use an azimuthal equidistant projection and areas a
Lambert azimuthal equal-area projection, both centred on Kyrgyzstan (41.5 N, 74.5 E). Over the
country's extent (about 900 x 450 km) the distance error stays well under 1 %.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import numpy.typing as npt
from pyproj import CRS as ProjCRS

__all__ = ["EARTH_RADIUS_KM", "metric_crs", "equal_area_crs", "haversine_km", "bad_coordinate"]

_LAT0 = 41.5
_LON0 = 74.5

#: Mean Earth radius (IUGG), km.
EARTH_RADIUS_KM = 6371.0088


def bad_coordinate(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[int, str] | None:
    """The first point whose longitude or latitude is off the globe, and what is wrong with it.

    Checked before anything samples a grid with the point, so that a longitude of 500 is told
    as a coordinate problem and not as a grid that "does not cover" the point.

    Returns
    -------
    tuple of (int, str) or None
        Position of the point and e.g. "longitude 500 is outside -180..180"; None when all fit.
        A missing value (NaN) is not judged here.
    """
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    for values, name, limit in ((x, "longitude", 180.0), (y, "latitude", 90.0)):
        off = np.flatnonzero(np.abs(values) > limit)
        if off.size:
            i = int(off[0])
            return i, f"{name} {values[i]:g} is outside -{limit:g}..{limit:g}"
    return None


def metric_crs(lat0: float = _LAT0, lon0: float = _LON0) -> ProjCRS:
    """Azimuthal equidistant CRS (metres) centred on ``(lat0, lon0)``."""
    return ProjCRS.from_proj4(f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m +no_defs")


def equal_area_crs(lat0: float = _LAT0, lon0: float = _LON0) -> ProjCRS:
    """Lambert azimuthal equal-area CRS (metres) centred on ``(lat0, lon0)``."""
    return ProjCRS.from_proj4(f"+proj=laea +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m +no_defs")


def haversine_km(lon1: npt.ArrayLike, lat1: npt.ArrayLike, lon2: npt.ArrayLike, lat2: npt.ArrayLike) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (WGS 84 on a sphere).

    Parameters
    ----------
    lon1, lat1, lon2, lat2 : array_like
        Longitudes and latitudes of the two ends; broadcast against each other.

    Returns
    -------
    numpy.ndarray
        Distances in km (radius :data:`EARTH_RADIUS_KM`).
    """
    x1, y1, x2, y2 = (np.radians(np.asarray(a, dtype=float)) for a in (lon1, lat1, lon2, lat2))
    a = np.sin((y2 - y1) / 2) ** 2 + np.cos(y1) * np.cos(y2) * np.sin((x2 - x1) / 2) ** 2
    return cast("np.ndarray", 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))
