"""The self-contained HTML report of a result package (works offline, prints on A4).

Everything is inline: CSS in a ``<style>`` block, maps as SVG drawn by matplotlib from
``new_units.gpkg``; no script, font or stylesheet is fetched from anywhere. Estimated figures
carry the CSS class ``est`` (shaded, marked "est.") and the data-quality section counts them.
"""

from __future__ import annotations

import base64
import io
import logging
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import shape

from atr_model._atomic import atomic_file
from atr_model.criteria import CONCEPT_ATTRIBUTION, CONCEPT_CRITERIA, TRANSLATION_NOTE
from atr_model.presentation.html_parts import escape as _e
from atr_model.presentation.html_parts import table as _table
from atr_model.presentation.i18n import (
    DEFAULT_LANGUAGE,
    STRINGS,
    dataset_label,
    decision_text,
    display_name,
    estimate_note,
    field_label,
    format_number,
    localized,
    option_label,
    rule_labels,
    status_label,
    t,
    translit_note,
    travel_model_label,
)
from atr_model.presentation.report_robustness import robustness_section_for
from atr_model.scenarios import (
    NEW_UNIT_COLUMNS,
    Comparison,
    ResultFiles,
    as_result_files,
    flatten_mapping,
    kpi_table,
    town_mask,
)

__all__ = [
    "render_report",
    "write_report",
    "render_comparison",
    "write_comparison_report",
    "map_svg",
    "write_sweep_outputs",
    "REPORT_NAME",
]

logger = logging.getLogger(__name__)

REPORT_NAME = "report.html"

_CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;font-size:10.5pt;color:#111;margin:1.5em auto;max-width:60em;
 padding:0 1em;line-height:1.35}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;border-bottom:2px solid #345;margin-top:1.6em}
h3{font-size:1.05em;margin:.6em 0 .3em}
table{border-collapse:collapse;margin:.4em 0 1em;font-size:.92em}
th,td{border:1px solid #bbb;padding:.2em .45em;text-align:left;vertical-align:top}
th{background:#dde8f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
.est{background:#fff2cc}.est::after{content:" est.";font-size:.75em;color:#7a5b00;font-weight:bold}
.banner{border:2px solid #b36b00;background:#fff4e0;padding:.5em .8em;margin:.8em 0}
.muted{color:#555;font-size:.9em}.ky{font-style:italic}
.passport{border:1px solid #99a;padding:.3em .8em;margin:.6em 0;break-inside:avoid;page-break-inside:avoid}
.passport table{margin:.2em 0}.flag{color:#a00;font-weight:bold}
figure{margin:.5em 0;break-inside:avoid;page-break-inside:avoid}figure svg{width:100%;max-height:24cm;height:auto}
figcaption{font-size:.9em;color:#333}
nav ul{columns:2;font-size:.95em}
@page{size:A4;margin:14mm}
@media print{body{max-width:none;margin:0;font-size:9.5pt}nav{display:none}h2{break-after:avoid}
 .est{-webkit-print-color-adjust:exact;print-color-adjust:exact}th{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""

#: Which Concept criterion (numbered 1-6) a scenario setting implements; matched by prefix.
_CRITERION_OF = (
    ("landscape", "1"),
    ("barrier", "1"),
    ("population_floor", "2"),
    ("floor_mode", "2"),
    ("exempt", "2"),
    ("high_mountain", "2"),
    ("remote", "2"),
    ("border", "2"),
    ("manual", "2"),
    ("max_travel_time_min", "3, 5"),
    ("accessibility", "3, 5"),
    ("centre", "3, 5"),
    ("min_centre_population", "3, 5"),
    ("admin_cost", "4"),
    ("weights", "4"),
    ("objective", "4"),
    ("n_units", "4"),
    ("population_cap", "4"),
    ("economic", "6"),
    ("indicator", "6"),
    ("nesting", "2.2 (stage)"),
    ("locks", "manual decision"),
    ("keep_separate", "manual decision"),
    ("together", "manual decision"),
    ("apart", "manual decision"),
)


def _fmt(value: Any, digits: int = 1, lang: str = DEFAULT_LANGUAGE) -> str:
    if value is None:
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return t("report.yes" if value else "report.no", lang)
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return "–"
        if math.isinf(value):
            return "∞"
        if float(value).is_integer():
            return f"{value:,.0f}"
        return f"{value:,.{digits}f}"
    return str(value)


def _td(value: Any, *, estimate: bool = False, digits: int = 1) -> str:
    numeric = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    classes = [c for c in ("num" if numeric else "", "est" if estimate else "") if c]
    cls = f' class="{" ".join(classes)}"' if classes else ""
    return f"<td{cls}>{_e(_fmt(value, digits))}</td>"


# --------------------------------------------------------------------------- maps

#: Raion land held by no unit: the interactive maps' light grey and dotted slate edge
#: (``presentation.maps.palette``, GROUND and LINES "unplaced"; not imported, which would load
#: folium with every report).
_UNPLACED_FILL, _UNPLACED_EDGE = "#b8bec6", "#6b7480"
_TAB20_GREYS = (14, 15)


def map_svg(
    frame: gpd.GeoDataFrame,
    *,
    column: str | None = None,
    categorical: bool = False,
    title: str = "",
    hatch_mask: Sequence[bool] | None = None,
    outline: gpd.GeoDataFrame | None = None,
    labels: Sequence[str] | None = None,
    legend_label: str = "",
    width_in: float = 8.0,
    colours: dict[str, str] | None = None,
    png_dpi: int | None = None,
    unplaced: gpd.GeoDataFrame | None = None,
) -> str:
    """Draw polygons with matplotlib and return the figure as an inline ``<svg>`` string.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Polygons in EPSG:4326 (drawn in lon/lat with the aspect corrected for latitude).
    column : str, optional
        Column to colour by; plain fill when None.
    categorical : bool, default False
        Treat ``column`` as categories (distinct colours) rather than a colour ramp.
    title : str, optional
        Axes title.
    hatch_mask : sequence of bool, optional
        Rows to hatch (used for estimated or below-floor units).
    outline : geopandas.GeoDataFrame, optional
        Extra boundaries drawn on top (dashed).
    labels : sequence of str, optional
        Text placed at each row's representative point (skipped above 80 rows).
    legend_label : str, optional
        Colour-bar label for a ramp.
    width_in : float, default 8.0
        Figure width in inches.
    colours : dict, optional
        Fixed colour per category (categorical maps); a legend lists them.
    png_dpi : int, optional
        Draw a PNG at this resolution instead and return it base64-encoded (the map image
        download of the app, :func:`atr_model.presentation.summary.map_png`).
    unplaced : geopandas.GeoDataFrame, optional
        Raion land held by no unit (the result package's territory notes), drawn light grey
        with a dotted edge, as on the interactive maps.

    Returns
    -------
    str
        An ``<svg>`` element (no XML prologue), deterministic for the same input; with
        ``png_dpi``, the PNG file's bytes in base64.
    """
    import matplotlib
    import matplotlib.pyplot as plt  # colour maps only; figures stay off pyplot
    from matplotlib.figure import Figure

    data = frame.to_crs("EPSG:4326").reset_index(drop=True)
    minx, miny, maxx, maxy = data.total_bounds
    span = max(maxx - minx, maxy - miny, 1e-6)
    # thin the outlines for display only: the GeoPackage keeps full detail
    data = data.set_geometry(data.geometry.simplify(span / 1500.0, preserve_topology=True))
    mid_lat = (miny + maxy) / 2.0
    aspect = 1.0 / max(math.cos(math.radians(mid_lat)), 0.2)
    height_in = max(2.5, min(width_in * (maxy - miny) * aspect / max(maxx - minx, 1e-6), 7.0))
    draw_unplaced = unplaced is not None and len(unplaced) > 0
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "atr-model", "font.size": 8}):
        # A bare Figure (no pyplot canvas): geopandas' draw_idle after each layer is then a no-op
        # instead of a full redraw, and nothing is left open in pyplot's registry.
        fig = Figure(figsize=(width_in, height_in))
        ax = fig.subplots()
        ax.set_axis_off()
        kwargs: dict[str, Any] = {"ax": ax, "edgecolor": "#222", "linewidth": 0.5}
        if column is None:
            data.plot(color="#cfdff0", **kwargs)
        elif categorical:
            cats = sorted(data[column].astype(str).unique())
            cmap = plt.get_cmap("tab20")
            # tab20's two greys would read as the grey of raion land held by no unit
            ramp = [cmap(i) for i in range(20) if not draw_unplaced or i not in _TAB20_GREYS]
            palette: dict[str, Any] = colours or {c: ramp[i % len(ramp)] for i, c in enumerate(cats)}
            data.plot(color=[palette[str(v)] for v in data[column]], **kwargs)
            if colours:
                from matplotlib.patches import Patch

                handles = [Patch(facecolor=colours[c], edgecolor="#222", label=c) for c in cats if c in colours]
                ax.legend(handles=handles, loc="lower left", fontsize=7, frameon=True)
        else:
            values = pd.to_numeric(data[column], errors="coerce")
            finite = data[np.isfinite(values.to_numpy(dtype=float))]
            if len(finite):
                finite.plot(column=column, cmap="viridis_r", legend=True,
                            legend_kwds={"label": legend_label, "shrink": 0.6}, **kwargs)
            missing = data[~np.isfinite(values.to_numpy(dtype=float))]
            if len(missing):
                missing.plot(color="#ddd", **kwargs)
        if draw_unplaced and unplaced is not None:
            # dotted edge and a fine dot hatch: told apart from the units in black-and-white print too
            unplaced.to_crs("EPSG:4326").plot(ax=ax, facecolor=_UNPLACED_FILL, edgecolor=_UNPLACED_EDGE,
                                              linewidth=0.7, linestyle=":", hatch="....")
        if hatch_mask is not None:
            mask = np.asarray(hatch_mask, dtype=bool)
            if mask.any():
                data[mask].plot(ax=ax, facecolor="none", edgecolor="#a00", hatch="///", linewidth=0.8)
        if outline is not None and len(outline):
            outline.to_crs("EPSG:4326").boundary.plot(ax=ax, color="#c00", linewidth=1.0, linestyle="--")
        if labels is not None and len(data) <= 80:
            for point, text in zip(data.geometry.representative_point(), labels):
                ax.annotate(str(text), (point.x, point.y), ha="center", va="center", fontsize=6.5,
                            color="#000")
        ax.set_aspect(aspect)
        ax.set_axis_off()
        if title:
            ax.set_title(title)
        if png_dpi is not None:
            raw = io.BytesIO()
            fig.savefig(raw, format="png", dpi=png_dpi, bbox_inches="tight", metadata={"Software": None})
            return base64.b64encode(raw.getvalue()).decode("ascii")
        buf = io.StringIO()
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    svg = buf.getvalue()
    return svg[svg.index("<svg"):]


# --------------------------------------------------------------------------- sections


def _concept() -> tuple[str, list[tuple[str, str, str]], dict[str, str]]:
    """Attribution, the Concept's criteria as (number, Kyrgyz, English), and setting -> numbers."""
    attribution = f"{CONCEPT_ATTRIBUTION} {TRANSLATION_NOTE}".strip()
    items: list[tuple[str, str, str]] = []
    implemented: dict[str, str] = {}
    for item in CONCEPT_CRITERIA:
        number = str(item.number)
        items.append((number, item.text_ky, item.text_en))
        for setting in item.implemented_by:
            implemented[setting] = ", ".join(x for x in (implemented.get(setting), number) if x)
    return attribution, items, implemented


def _criterion_for(key: str, implemented: dict[str, str]) -> str:
    parts = key.split(".")
    numbers: set[str] = set()
    # every declared prefix counts ("exemptions.high_mountain_m" is criterion 1 and, as an exemption, 2)
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in implemented:
            numbers.update(x.strip() for x in implemented[prefix].split(","))
    if numbers:
        return ", ".join(sorted(numbers))
    for prefix, number in _CRITERION_OF:
        if any(part.startswith(prefix) for part in parts):
            return number
    return ""


def _criterion_text(text: str, lang: str) -> str:
    """The Concept-criterion cell in ``lang`` (the numbers stay, the words are translated)."""
    words = {"manual decision": "report.manual_decision", "2.2 (stage)": "report.stage"}
    return t(words[text], lang) if text in words else text


def _setting_value(key: str, value: Any, lang: str) -> str:
    """A criteria setting's value as shown: choices in ``lang``, lists joined, numbers formatted."""
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if value is None or (isinstance(value, str) and lang in ("ky", "ru")):
        return option_label(key.rsplit(".", 1)[-1], value, lang)
    return _fmt(value, lang=lang)


def _criteria_section(files: ResultFiles, lang: str = DEFAULT_LANGUAGE) -> str:
    attribution, items, implemented = _concept()
    parts = [f"<h2 id='criteria'>{_e(t('report.nav.criteria', lang))}</h2>"]
    english = lang not in ("ky", "ru")
    if items:
        # the English translation is unofficial: Kyrgyz and Russian readers get the official text only
        rows = [
            f"<tr><td>{_e(n)}</td><td class='ky'>{_e(ky)}</td>" + (f"<td>{_e(en)}</td>" if english else "") + "</tr>"
            for n, ky, en in items
        ]
        parts.append(f"<p>{_e(t('report.concept_intro', lang))}</p>")
        header = ["#", t("report.concept_ky", lang)] + ([t("report.concept_en", lang)] if english else [])
        parts.append(_table(header, rows))
    else:
        parts.append(f"<p class='muted'>{_e(t('report.concept_missing', lang))}</p>")
    if attribution:
        source = attribution if english else t("report.concept_source", lang)
        parts.append(f"<p class='muted'>{_e(source)}</p>")
    settings = flatten_mapping(files.criteria)
    rows = [
        f"<tr><td>{_e(field_label('crit.' + k, lang, k) if not english else k)}</td>"
        f"<td>{_e(_setting_value(k, v, lang))}</td>"
        f"<td>{_e(_criterion_text(_criterion_for(k, implemented), lang))}</td></tr>"
        for k, v in settings.items()
    ]
    parts.append(f"<h3>{_e(t('report.applies', lang))}</h3>")
    parts.append(_table([t("report.setting", lang), t("report.value", lang), t("report.concept_criterion", lang)], rows))
    return "".join(parts)


#: Headline KPIs -> catalogue keys of their labels (:mod:`atr_model.presentation.i18n`).
_KPI_LABELS = {
    "units_before": "report.kpi.units_before",
    "units_after": "report.kpi.units_after",
    "below_floor_before": "report.kpi.below_floor_before",
    "below_floor_after": "report.kpi.below_floor_after",
    "population_weighted_mean_travel_min": "report.kpi.mean_travel",
    "worst_travel_min": "report.kpi.worst_travel",
    "new_unit_population.min": "report.kpi.pop_min",
    "new_unit_population.median": "report.kpi.pop_median",
    "new_unit_population.max": "report.kpi.pop_max",
}


#: KPIs of the headline table, beyond :data:`KPI_LABELS`' keys, with their labels' keys.
_MORE_KPIS = {
    "below_floor_before_non_exempt": "report.kpi.below_floor_before_ne",
    "below_floor_after_non_exempt": "report.kpi.below_floor_after_ne",
    "merged_units": "report.kpi.merged",
    "exempt_units": "report.kpi.exempt",
    "towns": "report.kpi.towns",
    "settlements_without_route_to_centre": "report.kpi.no_route",
}


def _kpi_basis(files: ResultFiles, lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """Which headline figures rest on estimates, and why (empty text: measured inputs only)."""
    share = files.kpis.get("estimated_share") or {}
    a = files.assignments
    travel_est = bool(share.get("travel_times_modelled", 0.0)) or (
        "travel_time_is_modelled" in a and bool(a["travel_time_is_modelled"].any())
    )
    pop_share = float(share.get("population", 0.0) or 0.0)
    pop_note = t("report.basis.population", lang, pct=f"{100.0 * pop_share:.1f}") if pop_share > 0 else ""
    travel_note = t("report.basis.travel", lang) if travel_est else ""
    basis: dict[str, str] = {}
    for key in ("population_weighted_mean_travel_min", "worst_travel_min"):
        basis[key] = "; ".join(x for x in (travel_note, pop_note if key.startswith("population") else "") if x)
    for key in ("below_floor_before", "below_floor_after", "below_floor_before_non_exempt",
                "below_floor_after_non_exempt", "new_unit_population.min", "new_unit_population.median",
                "new_unit_population.max"):
        basis[key] = pop_note
    return basis


def _kpi_section(files: ResultFiles, lang: str = DEFAULT_LANGUAGE) -> str:
    flat = dict(kpi_table(files.kpis))
    basis = _kpi_basis(files, lang)
    rows = []
    for key, label in (*_KPI_LABELS.items(), *_MORE_KPIS.items()):
        if key in flat:
            note = basis.get(key, "")
            rows.append(f"<tr><td>{_e(t(label, lang))}</td>{_td(flat[key], estimate=bool(note))}<td>{_e(note)}</td></tr>")
    solver = files.kpis.get("solver") or {}
    solver_line = ""
    if solver:
        solver_line = "<p class='muted'>" + _e(t(
            "report.solver_line", lang, solver=solver.get("solver", ""),
            status=t(f"solver_status.{solver.get('status', '')}", lang)
            if f"solver_status.{solver.get('status', '')}" in STRINGS else solver.get("status", ""),
            proven=_fmt(solver.get("proven_optimal"), lang=lang), gap=_fmt(solver.get("gap"), 4),
            seconds=_fmt(solver.get("seconds"), 2), method=solver.get("contiguity_method", ""),
        )) + "</p>"
    header = [t("report.indicator", lang), t("report.value", lang), t("report.rests_on_estimates", lang)]
    return (
        f"<h2 id='kpis'>{_e(t('report.nav.kpis', lang))}</h2>" + _table(header, rows) + solver_line
        + _distribution_block(files, lang) + _savings_block(files, lang)
    )


def _distribution_block(files: ResultFiles, lang: str = DEFAULT_LANGUAGE) -> str:
    dist = files.kpis.get("new_unit_population_distribution") or {}
    if not dist.get("brackets"):
        return ""
    rows = [f"<tr><td>{_e(k)}</td>{_td(v)}</tr>" for k, v in dist["brackets"].items()]
    quantiles = ", ".join(
        f"{t('report.median', lang) if name == 'median' else name} {_fmt(dist[name])}"
        for name in ("p10", "p25", "median", "p75", "p90") if dist.get(name) is not None
    )
    return (
        f"<h3>{_e(t('report.population_of_new', lang))}</h3>"
        + _table([t("report.residents", lang), t("report.new_units", lang)], rows)
        + f"<p class='muted'>{_e(t('report.quantiles', lang, text=quantiles))}</p>"
    )


def _savings_block(files: ResultFiles, lang: str = DEFAULT_LANGUAGE) -> str:
    sav = files.kpis.get("admin_savings") or {}
    if not sav:
        return ""
    title = f"<h3>{_e(t('report.savings', lang))}</h3>"
    basis = sav.get("basis", "") if lang not in ("ky", "ru") else t("report.cost_model", lang)
    if sav.get("annual_saving_som") is None:
        return f"{title}<p>{_e(basis or t('report.not_computed', lang))}</p>"
    rows = [
        ("report.savings.offices", sav.get("abolished_offices"), False),
        ("report.savings.staff", sav.get("staff_positions_saved"), True),
        ("report.savings.annual", sav.get("annual_saving_som"), True),
        ("report.savings.one_off", sav.get("one_off_cost_som"), True),
        ("report.savings.payback", sav.get("payback_years"), True),
    ]
    body = "".join(
        f"<tr><td>{_e(t(label, lang))}</td>{_td(value, estimate=est, digits=2)}</tr>" for label, value, est in rows
    )
    return (
        title
        + _table([t("report.item", lang), t("report.value", lang)], [body])
        # the cost model's own basis text is English: other languages name what it is instead
        + f"<p class='muted'>{t('report.savings_note', lang, basis=_e(basis))}</p>"
    )


#: The new-unit map numbers its units only up to this many (above, labels would not fit).
MAP_LABEL_LIMIT = 80


def _maps_section(files: ResultFiles, lang: str = DEFAULT_LANGUAGE) -> str:
    units = files.new_units
    title = f"<h2 id='maps'>{_e(t('report.nav.maps', lang))}</h2>"
    if units.empty:
        return f"{title}<p>{_e(t('report.no_new_units', lang))}</p>"
    below = units["below_floor"].tolist() if "below_floor" in units else None
    est = units["population_has_estimates"].tolist() if "population_has_estimates" in units else None
    numbered = len(units) <= MAP_LABEL_LIMIT
    unplaced = unplaced_land(files)
    part = map_svg(
        units, column="new_unit_id", categorical=True, hatch_mask=below,
        labels=[str(k) for k in range(1, len(units) + 1)] if numbered else None,
        title=t("report.map_new_units", lang), unplaced=unplaced,
    )
    travel = map_svg(
        units, column="travel_time_mean_min", hatch_mask=est, legend_label=t("report.minutes", lang),
        title=t("report.map_travel", lang),
    )
    # the caption promises numbers only when the map draws them
    caption = t("report.caption_numbered", lang) if numbered else t("report.caption_unnumbered", lang, n=len(units))
    if len(unplaced):
        caption = f"{caption} {t('report.caption_unplaced', lang)}"
    return (
        title
        + f"<figure class='map'>{part}<figcaption>{_e(caption)}</figcaption></figure>"
        f"<figure class='map'>{travel}<figcaption>{_e(t('report.caption_travel', lang))}</figcaption></figure>"
        + _land_notes_block(files, lang)
    )


def unplaced_land(files: ResultFiles) -> gpd.GeoDataFrame:
    """The raion pieces held by no unit, from the package's territory notes (empty without)."""
    return unplaced_land_of(files.territory_notes)


def unplaced_land_of(notes: dict[str, Any] | None) -> gpd.GeoDataFrame:
    """The raion pieces held by no unit, from territory notes (``territory_notes.json``; empty
    for None or notes without such land)."""
    pieces = (notes or {}).get("unplaced_pieces") or []
    return gpd.GeoDataFrame({"raion_code": [str(p["raion_code"]) for p in pieces]},
                            geometry=[shape(p["geometry"]) for p in pieces], crs="EPSG:4326")


def cut_off_text(piece: Mapping[str, Any], lang: str) -> str:
    """Why a detached raion piece is cut off (``cut_off_by``, a key of ``CUT_OFF_KINDS``,
    translated) and how far from the rest (``gap_km``): the report's and the maps' text."""
    kind = str(piece.get("cut_off_by") or "")
    parts = [t(f"map.cut_off.{kind}", lang)] if kind else []
    if not pd.isna(piece.get("gap_km")):  # None in the notes' JSON, NaN in the maps' land notes
        parts.append(t("map.exclave_gap", lang, gap=format_number(piece["gap_km"], lang, digits=1)))
    return "; ".join(parts)


def _unplaced_table(pieces: list[dict[str, Any]], area_km2: float, lang: str) -> str:
    rows = [
        f"<tr><td>{_e(display_name(p, lang, code_column='raion_code'))} ({_e(p['raion_code'])})</td>"
        f"<td class='num'>{_e(format_number(p['area_km2'], lang, digits=1))}</td>"
        f"<td>{_e(format_number(p['lat'], lang, digits=3))}° / {_e(format_number(p['lon'], lang, digits=3))}°</td></tr>"
        for p in pieces
    ]
    intro = t("report.land.unplaced_intro", lang, n=len(pieces), area=format_number(area_km2, lang, digits=1))
    return (f"<p>{_e(intro)}</p>"
            + _table([t("field.raion", lang), t("field.area", lang), t("report.land.point", lang)], rows,
                     caption=t("map.unplaced", lang)))


def _member_why(member: dict[str, Any], lang: str) -> str:
    reasons = [cut_off_text(d, lang) for d in member.get("detached_pieces") or []]
    if member.get("listed_exclave"):
        reasons.append(t("report.land.listed", lang))
    return "; ".join(r for r in reasons if r)


def _split_table(split: list[dict[str, Any]], files: ResultFiles, lang: str) -> str:
    """New units drawn in several pieces: one row per member holding an exclave."""
    assignments = files.assignments.set_index("unit_code")
    names = {code: unit_name_in(row, lang) for code, row in zip(assignments.index, assignments.to_dict("records"))}
    ids = [str(i) for i in files.new_units["new_unit_id"]]
    numbered = len(ids) <= MAP_LABEL_LIMIT
    rows = []
    for unit in split:
        new_id = str(unit["new_unit_id"])
        label = f"<a href='#nu-{_e(new_id)}'>{_e(new_id)}</a>"
        if numbered and new_id in ids:
            label += f" <span class='muted'>({_e(t('report.map_no', lang, n=ids.index(new_id) + 1))})</span>"
        head = f"<td>{label}</td><td class='num'>{int(unit['pieces'])}</td>"
        members = unit.get("exclave_members") or []
        if not members:
            rows.append(f"<tr>{head}<td colspan='3'>{_e(t('report.land.unexplained', lang))}</td></tr>")
        for member in members:
            code = str(member["unit_code"])
            name = names.get(code) or display_name(member, lang)
            areas = " + ".join(format_number(a, lang, digits=1) for a in member.get("pieces_km2") or [])
            # the pieces' areas are those of the unit's approximate territory: estimates
            rows.append(f"<tr>{head}<td>{_e(name)} ({_e(code)})</td><td class='num est'>{_e(areas)}</td>"
                        f"<td>{_e(_member_why(member, lang))}</td></tr>")
    intro = t("report.land.split_intro", lang, n=len(split))
    header = [t("field.new_unit", lang), t("report.land.pieces", lang), t("report.land.member", lang),
              t("report.land.member_pieces", lang), t("report.land.why", lang)]
    return f"<p>{_e(intro)}</p>" + _table(header, rows)


def _land_notes_block(files: ResultFiles, lang: str) -> str:
    """Under the maps: raion land held by no unit and new units drawn in several pieces, from
    the package's ``territory_notes.json`` ("" when the package has no notes or nothing to say)."""
    notes = files.territory_notes or {}
    pieces = notes.get("unplaced_pieces") or []
    split = notes.get("split_new_units") or []
    if not pieces and not split:
        return ""
    area = float(notes.get("unplaced_area_km2", sum(float(p["area_km2"]) for p in pieces)))
    return (
        f"<section class='land-notes'><h3>{_e(t('report.land.title', lang))}</h3>"
        + (_unplaced_table(pieces, area, lang) if pieces else "")
        + (_split_table(split, files, lang) if split else "")
        + "</section>"
    )


#: Part of a unit's ``estimated_inputs`` text saying its territory is approximate (scenarios
#: instance builder: "territory (approximate)").
_APPROXIMATE_TERRITORY = "territory (approximate)"


def _est_span(text: str, estimate: bool) -> str:
    """``text`` escaped, marked as an estimate (class ``est``: shaded, "est.") when it is one."""
    return f"<span class='est'>{_e(text)}</span>" if estimate else _e(text)


def _passport_estimates(rec: dict[str, Any], members: list[str], assignments: pd.DataFrame) -> tuple[bool, bool]:
    """Whether a new unit's travel times and its area rest on estimates.

    Travel: any member's time to the centre is modelled (no road data). Area: any member's
    territory is approximate (named in the unit's ``estimated_inputs``).
    """
    known = [m for m in members if m in assignments.index]
    travel = "travel_time_is_modelled" in assignments and bool(
        assignments.loc[known, "travel_time_is_modelled"].astype(bool).any()
    )
    area = _APPROXIMATE_TERRITORY in str(rec.get("estimated_inputs") or "")
    return travel, area


def unit_name_in(row: Any, lang: str) -> str:
    """A unit's name from a result row in ``lang``'s script (``unit_name_ky``/``_ru``, else ``unit_name``)."""
    if lang in ("ky", "ru"):
        for column in (f"unit_name_{lang}", "unit_name_ru" if lang == "ky" else "unit_name_ky"):
            value = row.get(column) if hasattr(row, "get") else None
            if isinstance(value, str) and value.strip():
                return value.strip()
    value = row.get("unit_name") if hasattr(row, "get") else None
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _unit_sizes(files: ResultFiles) -> dict[str, tuple[int, float]]:
    grouped = files.assignments.groupby("new_unit_id")["population"].agg(["size", "sum"])
    return {str(k): (int(r["size"]), float(r["sum"])) for k, r in grouped.iterrows()}


def _passports_section(files: ResultFiles, lang: str = DEFAULT_LANGUAGE) -> str:
    assignments = files.assignments.set_index("unit_code")
    extra_cols = [
        c for c in files.new_units.columns if c not in NEW_UNIT_COLUMNS and c != files.new_units.geometry.name
    ]
    parts = [f"<h2 id='passports'>{_e(t('report.passports', lang, n=len(files.new_units)))}</h2>"]
    names = {code: unit_name_in(row, lang) for code, row in zip(assignments.index, assignments.to_dict("records"))}
    sizes = _unit_sizes(files)
    town_codes = set(files.assignments.loc[town_mask(files.assignments), "unit_code"])
    records = files.new_units.drop(columns=files.new_units.geometry.name).to_dict(orient="records")
    numbered = len(records) <= MAP_LABEL_LIMIT  # map numbers exist only when the map draws them
    for number, rec in enumerate(records, start=1):
        est = bool(rec.get("population_has_estimates", False))
        members = [m for m in str(rec.get("members", "")).split(";") if m]
        member_rows = []
        for code in members:
            row = assignments.loc[code] if code in assignments.index else None
            if row is None:
                member_rows.append(f"<tr><td>{_e(code)}</td><td></td><td></td><td></td><td></td></tr>")
                continue
            member_rows.append(
                f"<tr><td>{_e(code)}</td><td>{_e(names.get(code, row['unit_name']))}</td>"
                f"{_td(row['population'], estimate=bool(row.get('population_is_estimate', False)))}"
                f"{_td(row.get('travel_time_to_centre_min'), estimate=bool(row.get('travel_time_is_modelled', False)))}"
                f"<td>{_e(decision_text(row, lang, names, sizes))}</td></tr>"
            )
        travel_est, area_est = _passport_estimates(rec, members, assignments)
        flags = []
        if rec.get("below_floor"):
            flags.append(f"<span class='flag'>{_e(t('report.flag_below', lang))}</span>")
        exempt_members = [m for m in str(rec.get("exempt_members") or "").split(";") if m]
        towns = [m for m in exempt_members if m in town_codes]
        aimaks = [m for m in exempt_members if m not in town_codes]
        if aimaks:
            flags.append(_e(t("report.exempt_members", lang, codes=";".join(aimaks))))
        if towns:
            flags.append(_e(t("report.town_members", lang, codes=";".join(towns))))
        centre_name = names.get(str(rec.get("centre_code", "")), rec.get("centre_name", ""))
        facts = [
            (t("report.fact.centre", lang), f"{_e(centre_name)} ({_e(rec.get('centre_code', ''))})"),
            (t("report.fact.raion_oblast", lang), f"{_e(rec.get('raion_code', ''))} / {_e(rec.get('oblast_code', ''))}"),
            (t("report.fact.population", lang), f"<span class='{'est' if est else ''}'>{_e(_fmt(rec.get('population')))}</span>"),
            (t("report.fact.area", lang), _est_span(_fmt(rec.get("area_km2")), area_est)),
            (t("report.fact.travel", lang),
             f"{_est_span(_fmt(rec.get('travel_time_mean_min')), travel_est)} / "
             f"{_est_span(_fmt(rec.get('travel_time_max_min')), travel_est)}"),
        ]
        facts += [(c, _e(_fmt(rec.get(c), lang=lang))) for c in extra_cols]
        if rec.get("estimated_inputs"):
            note = estimate_note(rec["estimated_inputs"], lang)
            facts.append((t("report.fact.estimates", lang), f"<span class='est'>{_e(note)}</span>"))
        fact_rows = "".join(f"<tr><th>{label}</th><td>{value}</td></tr>" for label, value in facts)
        parts.append(
            f"<section class='passport' id='nu-{_e(rec['new_unit_id'])}'>"
            f"<h3>{_e(rec['new_unit_id'])}: {_e(centre_name)} "
            + (f"<span class='muted'>({_e(t('report.map_no', lang, n=number))})</span>" if numbered else "")
            + "</h3>"
            f"<table>{fact_rows}</table>"
            + (f"<p>{'; '.join(flags)}</p>" if flags else "")
            + _table(
                [t(f"report.{k}", lang) for k in ("unit", "name", "population", "travel_min", "decision")], member_rows
            )
            + "</section>"
        )
    return "".join(parts)


def _exempt_section(files: ResultFiles, lang: str = DEFAULT_LANGUAGE) -> str:
    """Exempt aiyl aimaks with their rules, then the towns apart (they are not exempt units)."""
    a = files.assignments
    towns = town_mask(a)
    exempt = a[a["exempt"].astype(bool).to_numpy() & ~towns] if "exempt" in a else a.iloc[:0]
    parts = [f"<h2 id='exempt'>{_e(t('report.exempt_title', lang, n=len(exempt)))}</h2>"]
    by_reason = {k: v for k, v in (files.kpis.get("exempt_by_reason") or {}).items() if k != "town"}
    local = lang in ("ky", "ru")
    if by_reason:
        parts.append(_table(
            [t("report.rule", lang), t("report.units", lang)],
            [f"<tr><td>{_e(rule_labels(k, lang) if local else k)}</td>{_td(v)}</tr>" for k, v in sorted(by_reason.items())],
        ))
    if exempt.empty:
        parts.append(f"<p>{_e(t('report.no_exempt', lang))}</p>")
    else:
        rows = [
            f"<tr><td>{_e(r['unit_code'])}</td><td>{_e(unit_name_in(r, lang))}</td><td>{_e(r['raion_code'])}</td>"
            f"<td>{_e(rule_labels(r.get('exempt_rules', ''), lang) if local else r['exempt_reason'])}</td>"
            f"<td>{_e(status_label(r['status'], lang))}</td></tr>"
            for r in exempt.to_dict("records")
        ]
        parts.append(_table([t(f"report.{k}", lang) for k in ("unit", "name", "raion", "reason", "decision")], rows))
    if towns.any():
        town_rows = [
            f"<tr><td>{_e(r['unit_code'])}</td><td>{_e(unit_name_in(r, lang))}</td><td>{_e(r['raion_code'])}</td>"
            f"<td>{_e(status_label(r['status'], lang))}</td><td>{_e(r['new_unit_id'])}</td></tr>"
            for r in a[towns].to_dict("records")
        ]
        parts.append(
            f"<h3 id='towns'>{_e(t('report.towns_title', lang, n=int(towns.sum())))}</h3>"
            f"<p>{_e(t('report.towns_note', lang))}</p>"
            + _table([t(f"report.{k}", lang) for k in ("unit", "name", "raion", "decision", "new_unit")], town_rows)
        )
    return "".join(parts)


def _quality_section(files: ResultFiles, lang: str = DEFAULT_LANGUAGE) -> str:
    a = files.assignments
    total_pop = float(a["population"].sum()) or 1.0
    items = []
    if "population_is_estimate" in a:
        est = a[a["population_is_estimate"]]
        items.append(t(
            "report.q.population", lang, n=f"{len(est):,}", total=f"{len(a):,}",
            pct=f"{100.0 * float(est['population'].sum()) / total_pop:.1f}",
        ))
    if "travel_time_is_modelled" in a:
        n = int(a["travel_time_is_modelled"].sum())
        model = _e(travel_model_label(files.provenance.get("travel_model", ""), lang) or "–")
        if n:
            items.append(t("report.q.travel_modelled", lang, n=f"{n:,}", total=f"{len(a):,}", model=model))
        else:
            items.append(t("report.q.travel_roads", lang, model=model))
    if not files.settlements.empty and "is_located" in files.settlements:
        n = int((~files.settlements["is_located"]).sum())
        items.append(_e(t("report.q.not_located", lang, n=f"{n:,}", total=f"{len(files.settlements):,}")))
    if "population_has_estimates" in files.new_units:
        n = int(files.new_units["population_has_estimates"].sum())
        items.append(_e(t("report.q.new_units_est", lang, n=f"{n:,}", total=f"{len(files.new_units):,}")))
    share = files.kpis.get("estimated_share") or {}
    for key, value in sorted(flatten_mapping(share).items()):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            shown = t(f"share.{key}", lang) if f"share.{key}" in STRINGS else key
            items.append(t("report.q.share", lang, key=_e(shown), pct=f"{100.0 * value:.1f}"))
    savings = files.kpis.get("admin_savings") or {}
    if savings:
        items.append(t("report.q.savings", lang))
    if str(files.provenance.get("dataset_kind", "")).lower() == "demo":
        items.append(t("report.q.demo", lang))
    transliterated = files.assignments.get("unit_name_transliterated", pd.Series(False, index=a.index))
    note = translit_note(int(transliterated.astype(bool).sum()), lang)
    if note:
        items.append(_e(note))
    lis = "".join(f"<li>{item}</li>" for item in items)
    return f"<h2 id='quality'>{_e(t('report.quality_title', lang))}</h2><ul>{lis}</ul>"


def _provenance_section(files: ResultFiles, lang: str = DEFAULT_LANGUAGE) -> str:
    shown = dict(flatten_mapping(files.provenance))
    # keys are identifiers; the two values written in English are shown in the page's language
    if "dataset_name" in shown:
        shown["dataset_name"] = dataset_label(str(shown["dataset_name"]), str(shown.get("dataset_kind", "")), lang)
    if "travel_model" in shown:
        shown["travel_model"] = travel_model_label(str(shown["travel_model"]), lang)
    rows = [
        f"<tr><td>{_e(k)}</td><td>{_e(_fmt(v, lang=lang) if isinstance(v, bool) else v)}</td></tr>"
        for k, v in shown.items()
    ]
    return (
        f"<h2 id='provenance'>{_e(t('report.nav.provenance', lang))}</h2>"
        + _table([t("report.item", lang), t("report.value", lang)], rows)
    )


def _page(title: str, body: str, lang: str = DEFAULT_LANGUAGE) -> str:
    # the estimate mark drawn by CSS speaks the page's language too
    mark = t("report.est_mark", lang).replace('"', "")
    css = _CSS + f'.est::after{{content:" {mark}"}}' if lang != DEFAULT_LANGUAGE else _CSS
    return (
        f"<!DOCTYPE html><html lang='{_e(lang)}'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{_e(title)}</title>"
        f"<style>{css}</style></head><body>{body}</body></html>\n"
    )


def render_report(result: Any, lang: str = DEFAULT_LANGUAGE) -> str:
    """Render the HTML report of a result package.

    Parameters
    ----------
    result : ResultFiles, path-like, ResultPackage or ScenarioResult
        The package, its folder, or an in-memory run.
    lang : str, default "en"
        Language of the report ("ky", "ru", "en"): headings, labels, the scenario's title and
        description, unit names (Cyrillic for ky/ru, Latin for en) and estimate notes.

    Returns
    -------
    str
        A complete, self-contained HTML document.
    """
    files = as_result_files(result)
    demo = str(files.provenance.get("dataset_kind", "")).lower() == "demo"
    banner = f"<div class='banner'>{t('report.demo_banner', lang)}</div>" if demo else ""
    title = localized(files.scenario, "title", lang) or files.name
    description = localized(files.scenario, "description", lang)
    links = ("criteria", "kpis", "maps", "exempt", "quality", "passports", "provenance")
    nav = "<nav><ul>" + "".join(f"<li><a href='#{k}'>{_e(t(f'report.nav.{k}', lang))}</a></li>" for k in links) + "</ul></nav>"
    dataset = dataset_label(
        str(files.provenance.get("dataset_name", "")), str(files.provenance.get("dataset_kind", "")), lang
    )
    meta = t(
        "report.meta", lang, name=_e(files.name), dataset=_e(dataset), created=_e(files.provenance.get("created_utc", "")),
        version=_e(files.provenance.get("package_version", "")),
    )
    body = (
        f"<h1>{_e(title)}</h1><p class='muted'>{meta}</p>"
        f"{banner}<p>{_e(description)}</p>{nav}"
        + _criteria_section(files, lang)
        + _kpi_section(files, lang)
        + _maps_section(files, lang)
        + _exempt_section(files, lang)
        + _quality_section(files, lang)
        + _passports_section(files, lang)
        + _provenance_section(files, lang)
        + _robustness_section(files, lang)
    )
    return _page(t("report.title", lang, title=title), body, lang)


def _robustness_section(files: ResultFiles, lang: str) -> str:
    """The robustness section when this run is the nominal run of a robustness package."""
    return robustness_section_for(files, lang)


def write_report(
    folder: str | os.PathLike[str], target: str | os.PathLike[str] | None = None, *, lang: str = DEFAULT_LANGUAGE
) -> Path:
    """Write ``report.html`` for a result package (usable as a result-package extra).

    Parameters
    ----------
    folder : path-like
        The result package folder.
    target : path-like, optional
        Output file; defaults to ``folder / "report.html"``.
    lang : str, default "en"
        Language of the report (see :func:`render_report`).

    Returns
    -------
    pathlib.Path
    """
    out = Path(target) if target is not None else Path(folder) / REPORT_NAME
    text = render_report(folder, lang)
    with atomic_file(out) as tmp:
        tmp.write_text(text, encoding="utf-8")
    logger.info("wrote %s", out)
    return out


# --------------------------------------------------------------------------- comparison page


def _frame_table(frame: pd.DataFrame) -> str:
    rows = ["<tr>" + "".join(_td(v) for v in rec) + "</tr>" for rec in frame.itertuples(index=False, name=None)]
    return _table(list(frame.columns), rows)


def render_comparison(comparison: Comparison, a: Any, b: Any) -> str:
    """Render a comparison of two plans as one self-contained HTML page with a diff map.

    Parameters
    ----------
    comparison : Comparison
        From :func:`atr_model.scenarios.compare_results`.
    a, b : ResultFiles, path-like, ResultPackage or ScenarioResult
        The two plans compared.

    Returns
    -------
    str
        HTML document.
    """
    a, b = as_result_files(a), as_result_files(b)
    changed_b = set(comparison.changed_units["new_unit_id_b"]) - {""}
    changed_a = set(comparison.changed_units["new_unit_id_a"]) - {""}
    units_b = b.new_units.copy()
    changed = units_b["new_unit_id"].isin(changed_b)
    units_b["status"] = np.where(changed, "membership changed", "unchanged")
    outline = a.new_units[a.new_units["new_unit_id"].isin(changed_a)]
    diff = map_svg(
        units_b, column="status", categorical=True, outline=outline,
        labels=[nid if flag else "" for nid, flag in zip(units_b["new_unit_id"], changed)],
        title=f"{b.name} compared with {a.name}",
        colours={"membership changed": "#e6862e", "unchanged": "#e3ebf4"},
        unplaced=unplaced_land(b),
    )
    summary = (
        f"<p>{comparison.n_units:,} units compared; <b>{len(comparison.changed_units):,}</b> assigned differently "
        f"(their set of co-members changed); <b>{len(comparison.changed_centres):,}</b> new unit(s) with the same "
        "members but another centre.</p>"
    )
    body = (
        f"<h1>Comparison: {_e(a.title)} → {_e(b.title)}</h1>{summary}"
        "<h2>Key figures</h2>" + _frame_table(comparison.kpis.rename(columns={"a": a.name, "b": b.name}))
        + "<h2>Diff map</h2>"
        f"<figure class='map'>{diff}<figcaption>New units of <b>{_e(b.name)}</b>; orange (labelled): their "
        f"membership differs from <b>{_e(a.name)}</b>; red dashed: boundaries of the changed units of "
        f"{_e(a.name)}.</figcaption></figure>"
        "<h2>Units assigned differently</h2>"
        + (_frame_table(comparison.changed_units) if len(comparison.changed_units) else "<p>None.</p>")
        + "<h2>Changed centres</h2>"
        + (_frame_table(comparison.changed_centres) if len(comparison.changed_centres) else "<p>None.</p>")
    )
    return _page(f"atr-model comparison: {a.name} vs {b.name}", body)


def write_comparison_report(comparison: Comparison, a: Any, b: Any, target: str | os.PathLike[str]) -> Path:
    """Write :func:`render_comparison` to ``target`` (atomically); return the path."""
    out = Path(target)
    with atomic_file(out) as tmp:
        tmp.write_text(render_comparison(comparison, a, b), encoding="utf-8")
    return out


# --------------------------------------------------------------------------- sweep chart


def _sweep_figure(table: pd.DataFrame, parameters: Sequence[str], title: str):  # noqa: ANN202 - matplotlib Figure
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    data = table.copy()
    data["x"] = pd.to_numeric(data["units_after"], errors="coerce")
    data["y"] = pd.to_numeric(data["population_weighted_mean_travel_min"], errors="coerce")
    data = data[np.isfinite(data["x"]) & np.isfinite(data["y"])]
    fig, ax = plt.subplots(figsize=(8, 5.5))
    colour_by = parameters[0] if parameters else None
    if colour_by is not None and colour_by in data and pd.api.types.is_numeric_dtype(data[colour_by]):
        points = ax.scatter(data["x"], data["y"], c=data[colour_by], cmap="viridis", s=36, zorder=3)
        fig.colorbar(points, ax=ax, label=colour_by)
    else:
        ax.scatter(data["x"], data["y"], s=36, zorder=3, color="#3465a4")
    front = data[data["pareto"].astype(bool)].sort_values(["x", "y"])
    if len(front):
        ax.step(front["x"], front["y"], where="post", color="#c00", linewidth=1.2, zorder=2, label="Pareto front")
        ax.scatter(front["x"], front["y"], s=90, facecolors="none", edgecolors="#c00", zorder=4)
        ax.legend(loc="best")
    if len(data) <= 40:
        # one label per position: runs that land on the same point share it
        short = {"population_floor": "floor", "max_travel_time_min": "tmax"}
        for (x, y), group in data.groupby(["x", "y"], sort=True):
            label = " | ".join(
                ", ".join(f"{short.get(p, p)}={rec[p]}" for p in parameters if p in rec)
                for rec in group.to_dict(orient="records")
            )
            right_half = x > (data["x"].min() + data["x"].max()) / 2.0
            ax.annotate(label, (x, y), fontsize=6, xytext=(-5 if right_half else 5, 4), textcoords="offset points",
                        ha="right" if right_half else "left", clip_on=True)
    ax.set_xlabel("new units (fewer = more consolidation)")
    ax.set_ylabel("population-weighted mean travel time to the centre (min)")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    return fig


def write_sweep_outputs(
    table: pd.DataFrame, parameters: Sequence[str], out_dir: str | os.PathLike[str], *, title: str = "Sweep"
) -> list[Path]:
    """Write the Pareto chart of a sweep as ``pareto.png`` and ``pareto.html`` (inline SVG + table).

    Parameters
    ----------
    table : pandas.DataFrame
        :attr:`atr_model.scenarios.sweep.SweepResult.table`.
    parameters : sequence of str
        Parameter column names in the table (short names).
    out_dir : path-like
        Folder to write into (created).
    title : str, optional
        Chart title.

    Returns
    -------
    list of pathlib.Path
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "atr-model"}):
        fig = _sweep_figure(table, parameters, title)
        try:
            png = folder / "pareto.png"
            fig.savefig(png, dpi=130, bbox_inches="tight", metadata={"Software": None})
            buf = io.StringIO()
            fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
        finally:
            plt.close(fig)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    body = (
        f"<h1>{_e(title)}</h1><p>Each point is one run of the grid. Red: the Pareto front (no other run has "
        "both fewer new units and a shorter mean trip to the centre). Savings are estimates from the "
        "assumed cost model (<span class='est'>marked</span>).</p>"
        f"<figure class='map'>{svg}</figure><h2>Runs</h2>"
    )
    rows = []
    for rec in table.to_dict(orient="records"):
        cells = "".join(
            _td(v, estimate=(k == "annual_saving_som_estimate")) for k, v in rec.items()
        )
        rows.append(f"<tr>{cells}</tr>")
    body += _table(list(table.columns), rows)
    page = folder / "pareto.html"
    with atomic_file(page) as tmp:
        tmp.write_text(_page(title, body), encoding="utf-8")
    return [png, page]
