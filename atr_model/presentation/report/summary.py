"""Presentation: the short printable summary of a result for a Coordination Council meeting.

``summary.html`` sits beside the full ``report.html`` in a result folder: a few A4 pages with
the map of the proposal, the key figures, the decisions raion by raion and the notes on
estimates, in one of the three interface languages. Like the report it is self-contained
(inline CSS and SVG, no script) and prints as it shows (``@page { size: A4 }``).
:func:`map_png` draws the same map as a PNG for the app's "map image" download.
"""

from __future__ import annotations

import base64
import logging
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from atr_model.presentation.i18n import DEFAULT_LANGUAGE, dataset_label, display_name, format_number, localized, t

# the summary is the report's short form: its tables, cells and map come from there
from atr_model.presentation.report.html_parts import escape, table, td
from atr_model.presentation.report.quality import quality_section
from atr_model.presentation.report.svg_map import map_svg, unplaced_land
from atr_model.presentation.territory_text import unit_name_in
from atr_model.presentation.view import figure_rows, figures_table_html
from atr_model.scenarios.package_files import ResultFiles, as_result_files

__all__ = ["SUMMARY_NAME", "render_summary", "write_summary", "map_png", "in_view", "raion_names"]

logger = logging.getLogger(__name__)

SUMMARY_NAME = "summary.html"

_CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;font-size:10pt;color:#111;margin:1.2em auto;max-width:52em;
 padding:0 1em;line-height:1.3}
h1{font-size:1.45em;margin:.1em 0 .2em}h2{font-size:1.15em;border-bottom:2px solid #345;margin:1.1em 0 .4em}
table{border-collapse:collapse;margin:.3em 0 .8em;font-size:.9em;width:100%}
th,td{border:1px solid #bbb;padding:.15em .4em;text-align:left;vertical-align:top}
th{background:#dde8f3}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.est{background:#fff2cc}
.banner{border:2px solid #b36b00;background:#fff4e0;padding:.4em .7em;margin:.6em 0}
.muted{color:#555;font-size:.88em}
figure{margin:.3em 0;break-inside:avoid;page-break-inside:avoid}figure svg{width:100%;max-height:15cm;height:auto}
figcaption{font-size:.88em;color:#333}
tr{break-inside:avoid;page-break-inside:avoid}
ul{margin:.2em 0;padding-left:1.3em}
@page{size:A4;margin:12mm}
@media print{body{max-width:none;margin:0;font-size:9pt}h2{break-after:avoid}
 .est,th{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""

#: Fill of new units that merge (the figure) and of units kept as they are (the ground).
MERGED_COLOUR = "#e07b39"
KEPT_COLOUR = "#e6eaef"


def raion_names(raions: pd.DataFrame | None, lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """Raion code -> name in ``lang`` from a dataset's ``raions`` table (empty when None)."""
    if raions is None or raions.empty:
        return {}
    rows = pd.DataFrame(raions.drop(columns="geometry", errors="ignore")).to_dict("records")
    return {str(r["raion_code"]): display_name(r, lang, code_column="raion_code") for r in rows}


def _map_frame(files: ResultFiles, lang: str) -> gpd.GeoDataFrame:
    """New units with a ``kind`` column naming merged and kept units in ``lang``."""
    units = files.new_units.copy()
    n = units["n_members"] if "n_members" in units else pd.Series(1, index=units.index)
    units["kind"] = [t("summary.map_merged", lang) if int(k) > 1 else t("summary.map_kept", lang) for k in n]
    return units


#: A map view: ``((south, west), (north, east))`` in degrees, as Leaflet reports it.
Bounds = tuple[tuple[float, float], tuple[float, float]]


def _view_box(bounds: Bounds) -> tuple[float, float, float, float]:
    """``(west, south, east, north)`` of a map view, checked (ValueError as :func:`in_view`)."""
    try:
        (south, west), (north, east) = ((float(a), float(b)) for a, b in bounds)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"map view {bounds!r}: expected ((south, west), (north, east)) in degrees") from exc
    if not all(map(math.isfinite, (south, west, north, east))) or south >= north or west >= east:
        raise ValueError(f"map view {bounds!r}: south must be below north and west left of east (degrees)")
    return west, south, east, north


def _clip(frame: gpd.GeoDataFrame, bounds: Bounds) -> gpd.GeoDataFrame:
    """The part of ``frame`` inside a map view, in degrees (polygons cut at its edges; may be empty)."""
    frame = frame.to_crs("EPSG:4326")
    cut = frame.set_geometry(shapely.clip_by_rect(frame.geometry.to_numpy(), *_view_box(bounds)))
    return cut[~cut.geometry.is_empty]


def in_view(units: gpd.GeoDataFrame, bounds: Bounds) -> gpd.GeoDataFrame:
    """The part of ``units`` inside a map view (polygons cut at its edges).

    Raises
    ------
    ValueError
        When the bounds are not a view (not finite, south above north, west east of east) or
        the view shows none of the units.
    """
    cut = _clip(units, bounds)
    if cut.empty:
        raise ValueError(f"map view {bounds!r} shows none of the result's units")
    return cut


def _map(files: ResultFiles, lang: str, png_dpi: int | None = None, bounds: Bounds | None = None) -> str:
    units = _map_frame(files, lang)
    unplaced = unplaced_land(files)
    if bounds is not None:
        units = in_view(units, bounds)
        unplaced = _clip(unplaced, bounds)  # raion land held by no unit, cut at the view as the units are
    colours = {t("summary.map_merged", lang): MERGED_COLOUR, t("summary.map_kept", lang): KEPT_COLOUR}
    below = units["below_floor"].tolist() if "below_floor" in units else None
    return map_svg(units, column="kind", categorical=True, colours=colours, hatch_mask=below, png_dpi=png_dpi,
                   unplaced=unplaced)


def _map_caption(files: ResultFiles, lang: str) -> str:
    """The map's caption; it names the grey dotted land when the map draws raion land no unit holds."""
    caption = t("summary.map_caption", lang)
    if len(unplaced_land(files)):
        caption = f"{caption} {t('summary.caption_unplaced', lang)}"
    return caption


def map_png(result: Any, lang: str = DEFAULT_LANGUAGE, *, dpi: int = 150, bounds: Bounds | None = None) -> bytes:
    """The summary's map (merged new units over the kept ones) as PNG bytes.

    Drawn on the server from the result package with matplotlib, so it works offline. It
    shows the result's whole territory (the dataset or the raion worked on), or with
    ``bounds`` only what a map view shows (``((south, west), (north, east))``, the app's
    current view; see :func:`in_view` for the errors).
    """
    files = as_result_files(result)
    if files.new_units.empty:
        raise ValueError(f"{files.path}: the result has no new units to draw")
    return base64.b64decode(_map(files, lang, png_dpi=dpi, bounds=bounds))


def _key_figures(files: ResultFiles, lang: str) -> str:
    """The key figures of the result view (the same rows as the report, the app and Compare)."""
    return figures_table_html(figure_rows(files.kpis, lang), [t("report.indicator", lang), t("report.value", lang)])


def _decisions(files: ResultFiles, lang: str, raions: Mapping[str, str]) -> str:
    """One row per raion: units before and after, and each merger "centre ← members"."""
    a = files.assignments
    names = {str(r["unit_code"]): unit_name_in(r, lang) for r in a.to_dict("records")}
    rows = []
    unchanged = []
    for raion, group in a.groupby("raion_code", sort=True):
        before, after = len(group), group["new_unit_id"].nunique()
        mergers = []
        for uid, members in group.groupby("new_unit_id", sort=True):
            if len(members) < 2:
                continue
            centre = str(members["centre_code"].iloc[0])
            joined = [names.get(c, c) for c in members["unit_code"] if c != centre]
            people = float(members["population"].sum())
            mergers.append(
                f"<b>{escape(names.get(centre, centre))}</b> ← {escape(', '.join(joined))} "
                f"<span class='muted'>({escape(t('summary.people', lang, n=format_number(people, lang)))})</span>"
            )
        label = raions.get(str(raion), str(raion))
        if not mergers:
            unchanged.append(label)
            continue
        rows.append(
            f"<tr><td>{escape(label)}</td>{td(before, lang)}{td(after, lang)}<td>{'<br>'.join(mergers)}</td></tr>"
        )
    header = [t("report.raion", lang), t("summary.before", lang), t("summary.after", lang), t("summary.mergers", lang)]
    parts = [table(header, rows) if rows else f"<p>{escape(t('summary.no_mergers', lang))}</p>"]
    if unchanged:
        parts.append(f"<p class='muted'>{escape(t('summary.unchanged', lang, names=', '.join(unchanged)))}</p>")
    return "".join(parts)


def render_summary(result: Any, lang: str = DEFAULT_LANGUAGE, *, raions: Mapping[str, str] | None = None) -> str:
    """Render the Council summary of a result package.

    Parameters
    ----------
    result : ResultFiles, path-like, ResultPackage or ScenarioResult
        The package, its folder, or an in-memory run.
    lang : str, default "en"
        "ky", "ru" or "en".
    raions : mapping, optional
        Raion code -> name (:func:`raion_names`); codes are shown without it.

    Returns
    -------
    str
        A self-contained HTML document for A4 printing.
    """
    files = as_result_files(result)
    title = localized(files.scenario, "title", lang) or files.name
    demo = str(files.provenance.get("dataset_kind", "")).lower() == "demo"
    dataset = dataset_label(
        str(files.provenance.get("dataset_name", "")), str(files.provenance.get("dataset_kind", "")), lang
    )
    created, version = (files.provenance.get(k, "") for k in ("created_utc", "package_version"))
    meta = t("report.meta", lang, name=escape(files.name), dataset=escape(dataset),
             created=escape(created), version=escape(version))
    banner = f"<div class='banner'>{t('report.demo_banner', lang)}</div>" if demo else ""
    figure = ""
    if not files.new_units.empty:
        figure = (
            f"<figure>{_map(files, lang)}<figcaption>{escape(_map_caption(files, lang))}</figcaption></figure>"
        )
    quality = quality_section(files, lang).replace(" id='quality'", "")
    body = (
        f"<p class='muted'>{escape(t('summary.kicker', lang))}</p><h1>{escape(title)}</h1>"
        f"<p class='muted'>{meta}</p>{banner}<p>{escape(localized(files.scenario, 'description', lang))}</p>"
        f"<h2>{escape(t('report.nav.kpis', lang))}</h2>{_key_figures(files, lang)}"
        f"<h2>{escape(t('report.nav.maps', lang))}</h2>{figure}"
        f"<h2>{escape(t('summary.decisions', lang))}</h2>{_decisions(files, lang, raions or {})}"
        f"{quality}"
        f"<p class='muted'>{escape(t('summary.full_report', lang))}</p>"
    )
    return (
        f"<!DOCTYPE html><html lang='{escape(lang)}'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(t('summary.kicker', lang))}: {escape(title)}</title>"
        f"<style>{_CSS}</style></head><body>{body}</body></html>\n"
    )


def write_summary(
    folder: str | os.PathLike[str],
    target: str | os.PathLike[str] | None = None,
    *,
    lang: str = DEFAULT_LANGUAGE,
    raions: Mapping[str, str] | None = None,
) -> Path:
    """Write ``summary.html`` for a result package (usable as a result-package extra).

    Parameters
    ----------
    folder : path-like
        The result package folder (while a run is being written: its staging folder, so the
        summary is published with the package in one rename).
    target : path-like, optional
        Output file; defaults to ``folder / "summary.html"``.
    lang, raions
        As :func:`render_summary`.

    Returns
    -------
    pathlib.Path
    """
    out = Path(target) if target is not None else Path(folder) / SUMMARY_NAME
    text = render_summary(folder, lang, raions=raions)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)
    logger.info("wrote %s", out)
    return out
