"""Finding units on the app's map, without Streamlit: which unit was clicked, which units match a search."""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import shapely

__all__ = ["unit_at", "find_units"]


def unit_at(units: gpd.GeoDataFrame, lat: float, lon: float) -> str | None:
    """Code of the unit whose polygon holds the point (``units`` indexed by unit code, EPSG:4326).

    A click a few metres outside every simplified polygon (on a border, say) picks the
    nearest unit within about 2 km; farther away, None.
    """
    point = shapely.Point(float(lon), float(lat))
    hits = units.index[units.geometry.contains(point)]
    if len(hits):
        return str(sorted(str(h) for h in hits)[0])
    # Degrees, not metres: only "a click just off a border" needs deciding, so no reprojection.
    distances = shapely.distance(units.geometry.to_numpy(), point)
    if not len(distances) or float(distances.min()) > _CLICK_TOLERANCE_DEG:
        return None
    return str(units.index[int(distances.argmin())])


#: How far (in degrees, about 2 km) a click may fall outside a unit and still select it.
_CLICK_TOLERANCE_DEG = 0.02


def find_units(names: Mapping[str, str], query: str, limit: int = 20) -> list[str]:
    """Codes of units whose name or code contains ``query`` (case-insensitive), best first.

    Exact code matches come first, then names that start with the query, then the others,
    each group sorted by name.
    """
    needle = query.strip().casefold()
    if not needle:
        return []

    def rank(code: str) -> tuple[int, str]:
        name = names[code].casefold()
        if code.casefold() == needle:
            return (0, name)
        return (1 if name.startswith(needle) else 2, name)

    hits = [c for c, n in names.items() if needle in n.casefold() or needle in c.casefold()]
    return sorted(hits, key=rank)[:limit]
