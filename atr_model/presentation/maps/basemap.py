"""Presentation: the offline background of every map (a hillshade of the dataset's elevation).

The mountains decide which units are hard to reach or exempt, so the maps show them: a
classic hillshade (slope and aspect of the elevation grid, lit from the north-west) computed
with numpy on the grid reprojected to Web Mercator (so Leaflet places it exactly), encoded as a
PNG ``data:`` URL and drawn as an image overlay in its own pane above the unit fills with
``mix-blend-mode: multiply``: flat land leaves the fills as they are, shaded slopes darken them,
like a relief map. Nothing is fetched from the internet; an OpenStreetMap tile layer stays an
option (``basemap="osm"``) for machines that have it.

Which elevation grid belongs to a dataset (``elevation="auto"``): the demo's synthetic DEM
(generated), or for a Kyrgyz build the shared GEBCO grid in the Kyrgyz open data. The image is
computed once per build id and grid file (about two seconds for the Kyrgyz GEBCO grid) and kept
in memory and in the cache folder (``<cache>/display/``), so a fresh app process reuses it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import shapely
from affine import Affine
from PIL import Image
from pyproj import Transformer

from atr_model._atomic import atomic_directory, scratch_directory
from atr_model.data import write_demo_elevation
from atr_model.data.cache import default_cache_dir
from atr_model.scenarios import KYRGYZ, KYRGYZ_ELEVATION, kyrgyz_source_dir

__all__ = ["Hillshade", "hillshade_array", "hillshade_image", "dataset_elevation", "BASEMAPS"]

logger = logging.getLogger(__name__)

#: Background choices of the map functions: the offline hillshade, OpenStreetMap tiles
#: (needs the internet) or nothing.
BASEMAPS = ("hillshade", "osm", None)

_EARTH_RADIUS_M = 6378137.0
_MAX_WIDTH_PX = 1400  # about 800 m per pixel for Kyrgyzstan: sharp at national and oblast zoom
_OUTSIDE_ALPHA = 0.35  # relief beyond the territory stays faint context
_STRENGTH = 0.6  # how dark the darkest slope gets (multiply blend)
_Z_FACTOR = 1.5  # coarse grids (GEBCO 15", ~460 m) flatten the peaks; exaggerate a little

_GREY_STEP = 8.0  # grey levels of the image (see _png_data_url)

_DISK_VERSION = 2  # bump when the image recipe changes, so cached images are redrawn
_cache: dict[tuple[str, str, float, int], Hillshade] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Hillshade:
    """A hillshade image ready for an image overlay.

    Attributes
    ----------
    url : str
        ``data:image/png;base64,...`` (grey levels with alpha).
    bounds : list of list of float
        ``[[south, west], [north, east]]`` in degrees; the image is uniform in Web Mercator.
    width_px, height_px : int
        Image size.
    source : str
        File name of the elevation grid (shown in the layer's attribution).
    """

    url: str
    bounds: list[list[float]]
    width_px: int
    height_px: int
    source: str


def hillshade_array(
    elevation_m: np.ndarray,
    cell_x_m: np.ndarray | float,
    cell_y_m: np.ndarray | float,
    *,
    azimuth_deg: float = 315.0,
    altitude_deg: float = 45.0,
    z_factor: float = 1.0,
) -> np.ndarray:
    """Relative illumination of a grid: 1 on flat land, below 1 on slopes facing away.

    Parameters
    ----------
    elevation_m
        2-D grid, row 0 in the north; NaN where unknown.
    cell_x_m, cell_y_m
        Ground size of a cell in metres (scalars, or one value per row, shape ``(rows, 1)``).
    azimuth_deg, altitude_deg
        Direction of the light (clockwise from north) and its height above the horizon.
    z_factor
        Vertical exaggeration.

    Returns
    -------
    numpy.ndarray
        ``cos(angle between surface normal and light) / sin(altitude)``: 1 for flat land,
        above 1 on lit slopes, 0 in full shadow; NaN where the elevation is NaN.
    """
    z = np.asarray(elevation_m, dtype="float64") * z_factor
    d_row, d_col = np.gradient(z)
    dz_dx = d_col / cell_x_m  # east
    dz_dy = -d_row / cell_y_m  # north (rows run southwards)
    az, alt = np.radians(azimuth_deg), np.radians(altitude_deg)
    light = np.array([np.sin(az) * np.cos(alt), np.cos(az) * np.cos(alt), np.sin(alt)])
    norm = np.sqrt(dz_dx**2 + dz_dy**2 + 1.0)
    shade = (-dz_dx * light[0] - dz_dy * light[1] + light[2]) / norm
    return cast("np.ndarray", np.clip(shade, 0.0, None) / np.sin(alt))


def _png_data_url(grey: np.ndarray, alpha: np.ndarray) -> str:
    # Shades in steps of _GREY_STEP (about 20 from flat land to the darkest slope): the eye does
    # not tell them apart under the multiply blend, and the PNG is half the size (measured on the
    # Kyrgyz GEBCO grid: 568 kB -> 291 kB), which every map the browser loads carries.
    grey = 255.0 - np.round((255.0 - grey) / _GREY_STEP) * _GREY_STEP
    image = Image.fromarray(np.dstack([grey, alpha]).astype("uint8"), mode="LA")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=9)  # drawn once per build and kept on disk
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _to_mercator(path: Path, max_width_px: int) -> tuple[np.ndarray, Any, tuple[float, float, float, float]]:
    """Read band 1 and reproject it to a Web Mercator grid at most ``max_width_px`` wide."""
    import rasterio
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    with rasterio.open(path) as src:
        if src.crs is None:
            raise ValueError(f"{path}: elevation raster has no CRS")
        transform, width, height = calculate_default_transform(
            src.crs, "EPSG:3857", src.width, src.height, *src.bounds
        )
        step = max(1.0, width / max_width_px)
        out_w, out_h = max(2, int(width / step)), max(2, int(height / step))
        transform = transform @ Affine.scale(width / out_w, height / out_h)
        grid = np.full((out_h, out_w), np.nan, dtype="float32")
        reproject(
            source=rasterio.band(src, 1),
            destination=grid,
            src_transform=src.transform,
            src_crs=src.crs,
            src_nodata=src.nodata,
            dst_transform=transform,
            dst_crs="EPSG:3857",
            dst_nodata=np.nan,
            resampling=Resampling.bilinear,
        )
    west, north = transform.c, transform.f
    east, south = west + transform.a * out_w, north + transform.e * out_h
    return grid, transform, (west, south, east, north)


def _lat(y_m: np.ndarray | float) -> np.ndarray:
    return np.degrees(np.arctan(np.sinh(np.asarray(y_m) / _EARTH_RADIUS_M)))


def _lon(x_m: float) -> float:
    return float(np.degrees(x_m / _EARTH_RADIUS_M))


def hillshade_image(
    path: str | os.PathLike[str],
    *,
    outline: Any = None,
    key: str = "",
    max_width_px: int = _MAX_WIDTH_PX,
    persist: bool = True,
) -> Hillshade:
    """Hillshade of an elevation raster as a PNG for a Leaflet image overlay (cached).

    Parameters
    ----------
    path
        Single-band elevation raster (GeoTIFF, metres) in any CRS rasterio can reproject.
    outline
        Optional shapely (multi)polygon in EPSG:4326: outside it the relief is drawn faint.
    key
        Cache key part (the dataset build id): the outline belongs to the build.
    max_width_px
        Width limit of the image.
    persist
        Also keep the image in the cache folder (off for generated, temporary grids).

    Raises
    ------
    ValueError
        When the raster cannot be read or has no CRS (naming the file).
    """
    source = Path(path)
    try:
        stamp = source.stat().st_mtime
    except OSError as exc:
        raise ValueError(f"{source}: elevation raster not found ({exc})") from exc
    cache_key = (key, str(source.resolve()), stamp, max_width_px)
    with _lock:
        if cache_key in _cache:
            return _cache[cache_key]
    disk = _disk_folder(cache_key, source) if persist else None
    image = _read_disk(disk) if disk is not None else None
    if image is None:
        image = _draw(source, outline, max_width_px)
        if disk is not None:
            _write_disk(disk, image)
    with _lock:
        _cache[cache_key] = image
    return image


def _disk_folder(cache_key: tuple[str, str, float, int], source: Path) -> Path:
    """Cache folder of one image: build id, grid file (path, time, size), width and recipe."""
    size = source.stat().st_size
    digest = hashlib.sha256(json.dumps([*cache_key, size, _DISK_VERSION]).encode("utf-8")).hexdigest()[:16]
    return default_cache_dir() / "display" / f"hillshade-{digest}"


def _read_disk(folder: Path) -> Hillshade | None:
    try:
        meta = json.loads((folder / "hillshade.json").read_text(encoding="utf-8"))
        png = (folder / "hillshade.png").read_bytes()
    except (OSError, ValueError):
        return None
    return Hillshade(
        url="data:image/png;base64," + base64.b64encode(png).decode("ascii"),
        bounds=meta["bounds"], width_px=int(meta["width_px"]), height_px=int(meta["height_px"]), source=meta["source"],
    )


def _write_disk(folder: Path, image: Hillshade) -> None:
    """Keep the image for the next process (a read-only cache only costs a redraw)."""
    meta = {"bounds": image.bounds, "width_px": image.width_px, "height_px": image.height_px, "source": image.source}
    try:
        with atomic_directory(folder) as staging:
            (staging / "hillshade.png").write_bytes(base64.b64decode(image.url.split(",", 1)[1]))
            (staging / "hillshade.json").write_text(json.dumps(meta), encoding="utf-8")
    except OSError as exc:
        logger.info("could not cache the hillshade in %s: %s", folder, exc)


def _draw(source: Path, outline: Any, max_width_px: int) -> Hillshade:
    """Compute the hillshade image of ``source`` (see :func:`hillshade_image`)."""
    try:
        grid, transform, (west, south, east, north) = _to_mercator(source, max_width_px)
    except ValueError:
        raise
    except Exception as exc:  # rasterio raises its own error types for unreadable files
        raise ValueError(f"{source}: not a readable elevation raster ({exc})") from exc
    rows = north + transform.e * (np.arange(grid.shape[0]) + 0.5)
    scale = np.cos(np.radians(_lat(rows)))[:, None]  # Mercator metres -> ground metres
    shade = hillshade_array(grid, transform.a * scale, -transform.e * scale, z_factor=_Z_FACTOR)
    grey = np.clip(1.0 - _STRENGTH * (1.0 - np.nan_to_num(shade, nan=1.0)), 0.0, 1.0) * 255.0
    alpha = np.where(np.isnan(grid), 0.0, 255.0)
    if outline is not None:
        alpha = alpha * _outline_weight(outline, transform, grid.shape)
    image = Hillshade(
        url=_png_data_url(np.round(grey), np.round(alpha)),
        bounds=[[float(_lat(south)), _lon(west)], [float(_lat(north)), _lon(east)]],
        width_px=int(grid.shape[1]),
        height_px=int(grid.shape[0]),
        source=source.name,
    )
    logger.info("hillshade of %s: %dx%d px, %d kB", source.name, image.width_px, image.height_px, len(image.url) // 1024)
    return image


def _outline_weight(outline: Any, transform: Any, shape: tuple[int, int]) -> np.ndarray:
    """1 inside the outline, :data:`_OUTSIDE_ALPHA` outside (rasterised on the Mercator grid)."""
    from rasterio.features import geometry_mask

    project = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    mercator = shapely.transform(outline, lambda xy: np.column_stack(project.transform(xy[:, 0], xy[:, 1])))
    inside = geometry_mask([mercator], out_shape=shape, transform=transform, invert=True, all_touched=True)
    return np.where(inside, 1.0, _OUTSIDE_ALPHA)


def dataset_elevation(metadata: dict[str, Any], work_dir: str | os.PathLike[str]) -> Path | None:
    """The elevation grid that belongs to a dataset (``elevation="auto"``), or None.

    The demo's synthetic DEM is written into ``work_dir``; a Kyrgyz build uses the shared
    GEBCO grid of the Kyrgyz open data when it is there.
    """
    kind = str(metadata.get("kind", ""))
    if kind == "demo":
        return write_demo_elevation(Path(work_dir) / "demo-elevation.tif")
    if kind.startswith(KYRGYZ):
        path = kyrgyz_source_dir() / KYRGYZ_ELEVATION
        return path if path.exists() else None
    return None


def resolve_hillshade(
    elevation: str | os.PathLike[str] | None,
    metadata: dict[str, Any],
    outline: Any,
    build_id: str,
) -> Hillshade | None:
    """The hillshade of ``elevation`` ('auto': the dataset's own grid); None when there is none.

    A missing or unreadable grid is logged and gives None: the map is still drawn, without relief.
    """
    if elevation is None:
        return None
    try:
        if str(elevation) != "auto":
            return hillshade_image(elevation, outline=outline, key=build_id)
        demo_key = (build_id, "demo", 0.0, _MAX_WIDTH_PX)
        if str(metadata.get("kind")) == "demo":
            with _lock:
                if demo_key in _cache:  # the demo DEM is generated: key it by the build only
                    return _cache[demo_key]
        with scratch_directory("dem") as tmp:  # a killed app's is removed when a command next starts
            path = dataset_elevation(dict(metadata), tmp)
            if path is None:
                logger.info("dataset %s has no elevation grid of its own: no relief background", build_id)
                return None
            image = hillshade_image(path, outline=outline, key=build_id, persist=str(metadata.get("kind")) != "demo")
        if str(metadata.get("kind")) == "demo":
            with _lock:
                _cache[demo_key] = image
        return image
    except ValueError as exc:
        logger.warning("no relief background: %s", exc)
        return None
