"""Presentation: the short printable summary of a result for a Coordination Council meeting.

``summary.html`` sits beside the full ``report.html`` in a result folder: a few A4 pages with
the map of the proposal, the key figures, the decisions raion by raion, the manual decisions
(locks and exemptions set by hand) that shaped the plan and the notes on estimates, in one of
the three interface languages. Like the report it is self-contained (inline CSS and SVG, no
script) and prints as it shows (``@page { size: A4 }``). :func:`map_png` draws the same map as
a PNG for the app's "map image" download.

The map colours each new unit by its status category, as every map does
(:mod:`~atr_model.presentation.report.plan_map`). When a robustness run of the plan exists
(:func:`atr_model.scenarios.merger_confidence`), each merger in the decisions shows its
confidence, the share of draws in which its new unit appears exactly, and the map can colour
the mergers by it (``colour_by="confidence"``).
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

from atr_model.presentation.i18n import (
    DEFAULT_LANGUAGE,
    dataset_label,
    display_name,
    format_number,
    localized,
    result_terms,
    t,
    use_terms,
)

# the summary is the report's short form: its tables, cells and map come from there
from atr_model.presentation.report.html_parts import escape, table, td
from atr_model.presentation.report.plan_map import KIND, ColourBy, confidence_text, plan_map_frame
from atr_model.presentation.report.quality import quality_section
from atr_model.presentation.report.svg_map import map_svg, map_texts, unplaced_land
from atr_model.presentation.territory_text import unit_name_in
from atr_model.presentation.view import figure_rows, figures_table_html, unit_names
from atr_model.scenarios import ResultSource, merger_confidence, robustness_draws, robustness_package_of
from atr_model.scenarios.package_files import ResultFiles, as_result_files

__all__ = ["SUMMARY_NAME", "render_summary", "write_summary", "map_png", "in_view", "manual_decisions", "raion_names"]

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
.conf{white-space:nowrap}.code{color:#555;font-size:.9em}
figcaption{font-size:.88em;color:#333}
tr{break-inside:avoid;page-break-inside:avoid}
ul{margin:.2em 0;padding-left:1.3em}
@page{size:A4;margin:12mm}
@media print{body{max-width:none;margin:0;font-size:9pt}h2{break-after:avoid}
 .est,th{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""


def raion_names(raions: pd.DataFrame | None, lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """Raion code -> name in ``lang`` from a dataset's ``raions`` table (empty when None)."""
    if raions is None or raions.empty:
        return {}
    rows = pd.DataFrame(raions.drop(columns="geometry", errors="ignore")).to_dict("records")
    return {str(r["raion_code"]): display_name(r, lang, code_column="raion_code") for r in rows}


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


def _map(
    files: ResultFiles,
    lang: str,
    png_dpi: int | None = None,
    bounds: Bounds | None = None,
    *,
    colour_by: ColourBy = "category",
    confidence: Mapping[str, float] | None = None,
) -> str:
    """The summary's map: the new units by status category (or mergers by confidence), with
    header, scale bar and legend; SVG, or base64 PNG with ``png_dpi``."""
    units, colours = plan_map_frame(files, lang, colour_by=colour_by, confidence=confidence)
    unplaced = unplaced_land(files)
    if bounds is not None:
        units = in_view(units, bounds)
        unplaced = _clip(unplaced, bounds)  # raion land held by no unit, cut at the view as the units are
    subject = t("robustness.report.map_title" if colour_by == "confidence" else "report.map_new_units", lang)
    return map_svg(units, column=KIND, categorical=True, colours=colours, png_dpi=png_dpi, unplaced=unplaced,
                   title=subject, texts=map_texts(files, lang))


def _map_caption(files: ResultFiles, lang: str, colour_by: ColourBy = "category") -> str:
    """The map's caption; it names the grey dotted land when the map draws raion land no unit holds."""
    caption = t("summary.map_caption_confidence" if colour_by == "confidence" else "summary.map_caption", lang)
    if len(unplaced_land(files)):
        caption = f"{caption} {t('summary.caption_unplaced', lang)}"
    return caption


def map_png(
    result: ResultSource,
    lang: str = DEFAULT_LANGUAGE,
    *,
    dpi: int = 150,
    bounds: Bounds | None = None,
    colour_by: ColourBy = "category",
    robustness: str | os.PathLike[str] | None = None,
) -> bytes:
    """The summary's map (new units by status category) as PNG bytes.

    Drawn on the server from the result package with matplotlib, so it works offline. It
    shows the result's whole territory (the dataset or the raion worked on), or with
    ``bounds`` only what a map view shows (``((south, west), (north, east))``, the app's
    current view; see :func:`in_view` for the errors). Like every map image it carries the
    scenario's title, name, dataset and date, a scale bar and a legend of what it draws; the
    PNG's ``Title`` and ``Description`` hold the same texts. ``colour_by="confidence"``
    colours the mergers by their confidence (:func:`render_summary`; ValueError when the
    result has no robustness run).
    """
    files = as_result_files(result)
    if files.new_units.empty:
        raise ValueError(f"{files.path}: the result has no new units to draw")
    confidence = _confidence(files, robustness) if colour_by == "confidence" else None
    return base64.b64decode(_map(files, lang, png_dpi=dpi, bounds=bounds, colour_by=colour_by, confidence=confidence))


def _confidence(files: ResultFiles, robustness: str | os.PathLike[str] | None) -> dict[str, float] | None:
    """The mergers' confidence when a robustness run of this plan exists (see :func:`merger_confidence`)."""
    return merger_confidence(files.path, robustness)


def _key_figures(files: ResultFiles, lang: str) -> str:
    """The key figures of the result view (the same rows as the report, the app and Compare)."""
    return figures_table_html(figure_rows(files.kpis, lang), [t("report.indicator", lang), t("report.value", lang)])


def _decisions(
    files: ResultFiles, lang: str, raions: Mapping[str, str], confidence: Mapping[str, float] | None = None
) -> str:
    """One row per raion: units before and after, and each merger "centre ← members" (with its
    confidence when a robustness run of the plan gave one)."""
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
            share = (confidence or {}).get(str(uid))
            # an estimate (it follows from assumed spreads): shaded as every estimate is
            sure = (f"; <span class='conf est' data-unit='{escape(str(uid))}'>{escape(confidence_text(share, lang))}</span>"
                    if share is not None else "")
            mergers.append(
                f"<b>{escape(names.get(centre, centre))}</b> ← {escape(', '.join(joined))} "
                f"<span class='muted'>({escape(t('summary.people', lang, n=format_number(people, lang)))}{sure})</span>"
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


def _confidence_note(files: ResultFiles, robustness: str | os.PathLike[str] | None, lang: str) -> str:
    """What the confidence of a merger is, and how many draws it rests on."""
    package = robustness_package_of(files.path, robustness)
    draws = robustness_draws(package) if package is not None else None
    note = t("summary.confidence_note", lang, draws=format_number(draws, lang) if draws is not None else "–")
    return f"<p class='muted'>{escape(note)}</p>"


def _unit(code: str, names: Mapping[str, str]) -> str:
    """A unit as the summary names it: its name in the language, the code after it, smaller."""
    name = names.get(code, code)
    return escape(code) if name == code else f"{escape(name)} <span class='code'>({escape(code)})</span>"


def _pairs(value: Any) -> list[tuple[str, str]]:
    return [(str(p[0]), str(p[1])) for p in (value or []) if isinstance(p, (list, tuple)) and len(p) == 2]


def manual_decisions(files: ResultFiles, lang: str = DEFAULT_LANGUAGE) -> list[str]:
    """The decisions set by hand in the scenario that shaped the plan, one HTML line each.

    Units kept on their own (``criteria.locks.keep_separate``), pairs merged together
    (``locks.together``) and kept apart (``locks.apart``), and units exempted by hand
    (``criteria.exemptions.manual``, with the reason given), named in ``lang`` with the code
    after; empty when the scenario has none.
    """
    criteria = files.criteria
    locks = criteria.get("locks") or {}
    exemptions = criteria.get("exemptions") or {}
    names = unit_names(files.assignments, lang)
    lines = []
    separate = [str(c) for c in locks.get("keep_separate") or []]
    if separate:
        units = ", ".join(_unit(c, names) for c in separate)
        lines.append(f"{escape(t('summary.manual.keep_separate', lang))}: {units}")
    for key in ("together", "apart"):
        for a, b in _pairs(locks.get(key)):
            lines.append(f"{escape(t(f'summary.manual.{key}', lang))}: {_unit(a, names)} — {_unit(b, names)}")
    for item in exemptions.get("manual") or []:
        if isinstance(item, Mapping) and item.get("unit_code"):
            reason = str(item.get("reason") or "").strip()
            lines.append(f"{escape(t('summary.manual.exempt', lang))}: {_unit(str(item['unit_code']), names)}"
                         + (f" — «{escape(reason)}»" if reason else ""))
    return lines


def _manual_section(files: ResultFiles, lang: str) -> str:
    """The "Manual decisions" section ("" when the scenario has none)."""
    lines = manual_decisions(files, lang)
    if not lines:
        return ""
    return (f"<h2 id='manual'>{escape(t('summary.manual.title', lang))}</h2>"
            f"<p class='muted'>{escape(t('summary.manual.intro', lang))}</p>"
            "<ul>" + "".join(f"<li>{line}</li>" for line in lines) + "</ul>")


def render_summary(
    result: ResultSource,
    lang: str = DEFAULT_LANGUAGE,
    *,
    raions: Mapping[str, str] | None = None,
    robustness: str | os.PathLike[str] | None = None,
    colour_by: ColourBy = "category",
) -> str:
    """Render the Council summary of a result package.

    Parameters
    ----------
    result : ResultFiles, path-like, ResultPackage or ScenarioResult
        The package, its folder, or an in-memory run.
    lang : str, default "en"
        "ky", "ru" or "en".
    raions : mapping, optional
        Raion code -> name (:func:`raion_names`); codes are shown without it.
    robustness : path-like, optional
        A robustness package of this plan (:func:`atr_model.scenarios.merger_confidence`); by
        default the one the result sits in (its ``nominal/``). With one, each merger shows its
        confidence.
    colour_by : {"category", "confidence"}, default "category"
        Colour the map's new units by status category, or the mergers by their confidence.

    Returns
    -------
    str
        A self-contained HTML document for A4 printing.

    Raises
    ------
    ValueError
        ``colour_by="confidence"`` for a result without a robustness run.
    """
    files = as_result_files(result)
    with use_terms(result_terms(files.provenance)):  # the dataset's words (unit, district, currency...)
        return _render(files, lang, raions or {}, robustness, colour_by)


def _render(
    files: ResultFiles, lang: str, raions: Mapping[str, str], robustness: str | os.PathLike[str] | None,
    colour_by: ColourBy,
) -> str:
    confidence = _confidence(files, robustness)
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
        drawn = _map(files, lang, colour_by=colour_by, confidence=confidence)
        figure = f"<figure>{drawn}<figcaption>{escape(_map_caption(files, lang, colour_by))}</figcaption></figure>"
    decisions = _decisions(files, lang, raions, confidence)
    if confidence is not None:
        decisions += _confidence_note(files, robustness, lang)
    quality = quality_section(files, lang).replace(" id='quality'", "")
    body = (
        f"<p class='muted'>{escape(t('summary.kicker', lang))}</p><h1>{escape(title)}</h1>"
        f"<p class='muted'>{meta}</p>{banner}<p>{escape(localized(files.scenario, 'description', lang))}</p>"
        f"<h2>{escape(t('report.nav.kpis', lang))}</h2>{_key_figures(files, lang)}"
        f"<h2>{escape(t('report.nav.maps', lang))}</h2>{figure}"
        f"<h2>{escape(t('summary.decisions', lang))}</h2>{decisions}"
        f"{_manual_section(files, lang)}"
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
    robustness: str | os.PathLike[str] | None = None,
    colour_by: ColourBy = "category",
) -> Path:
    """Write ``summary.html`` for a result package (usable as a result-package extra).

    Parameters
    ----------
    folder : path-like
        The result package folder (while a run is being written: its staging folder, so the
        summary is published with the package in one rename).
    target : path-like, optional
        Output file; defaults to ``folder / "summary.html"``.
    lang, raions, robustness, colour_by
        As :func:`render_summary`.

    Returns
    -------
    pathlib.Path
    """
    out = Path(target) if target is not None else Path(folder) / SUMMARY_NAME
    text = render_summary(folder, lang, raions=raions, robustness=robustness, colour_by=colour_by)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)
    logger.info("wrote %s", out)
    return out
