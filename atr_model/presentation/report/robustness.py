"""Presentation: the robustness section of the HTML report (stability map, fragile decisions, KPI intervals).

A robustness package (:func:`atr_model.scenarios.robustness.write_robustness`) holds the
nominal run in ``nominal/``; its ``report.html`` is the nominal run's report with this section
added (:func:`robustness_section_for` is called by :func:`atr_model.presentation.report.render_report`
and returns ``""`` for a package that is not inside a robustness package;
:func:`atr_model.presentation.report.write_robustness_report` writes it). Every share and
interval is an estimate (it follows from assumed spreads) and is marked so.

The section is written in the report's language (English, Russian, Kyrgyz) from the catalogue
(``robustness.*`` keys); the sentence saying what a fragile decision hinges on is composed from
the figures in ``hinges.json`` (:func:`hinge_sentence`), as :func:`atr_model.presentation.messages.decision_text`
composes decisions, and unit names come in the language's script. :func:`fragile_rows` and
:func:`kpi_rows` give the same rows to the app's Robustness view.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from atr_model.errors import DataError
from atr_model.presentation.i18n import DEFAULT_LANGUAGE, STRINGS, format_number, kpi_label, status_label, t
from atr_model.presentation.report.html_parts import escape as _e
from atr_model.presentation.report.html_parts import table as _table
from atr_model.presentation.report.plan_map import KIND, plan_map_frame
from atr_model.presentation.report.svg_map import map_svg, map_texts, unplaced_land_of
from atr_model.presentation.territory_text import unit_name_in
from atr_model.scenarios import (
    ResultFiles,
    load_result_files,
    merger_confidence,
    read_territory_notes,
    read_tool_csv,
    share_text,
)

__all__ = [
    "ROBUSTNESS_REPORT_NAME",
    "fragile_rows",
    "hinge_sentence",
    "kpi_rows",
    "robustness_section",
    "robustness_section_for",
    "unit_names",
]

logger = logging.getLogger(__name__)

ROBUSTNESS_REPORT_NAME = "report.html"

#: KPI names of ``kpi_intervals.json`` -> catalogue keys (others go through :func:`kpi_label`).
_KPI_KEYS = {
    "objective": "kpi.objective",
    "new_unit_population_min": "kpi.pop_min",
    "new_unit_population_median": "kpi.pop_median",
    "regret": "robustness.kpi.regret",
    "regret_rel": "robustness.kpi.regret_rel",
}


def _interval_cell(value: Any, lang: str) -> str:
    """A KPI interval figure in ``lang``: whole from 100 up (and when whole), else two decimals."""
    large = isinstance(value, (int, float)) and abs(value) >= 100
    return _e(format_number(value, lang, digits=0 if large else 2, trim_whole=True))


def _input_sentence(part: dict[str, Any], lang: str, names: dict[str, str]) -> str:
    if part.get("kind") == "travel":
        return t("robustness.hinge.travel", lang, raion=part["raion"], p5=format_number(part["p5"], lang, digits=2),
                 p95=format_number(part["p95"], lang, digits=2))
    code = str(part["unit_code"])
    name = names.get(code) or part.get("unit_label") or code
    unit = f"{name} ({code})" if name != code else code
    text = t("robustness.hinge.population", lang, unit=unit, nominal=format_number(part["nominal"], lang),
             p5=format_number(part["p5"], lang), p95=format_number(part["p95"], lang))
    if part.get("above") is not None:
        text += ": " + t("robustness.hinge.above", lang, floor=format_number(part["floor"], lang),
                         share=share_text(float(part["above"])))
    return text


def hinge_sentence(parts: dict[str, Any], lang: str, names: dict[str, str] | None = None) -> str:
    """What a decision hinges on, in ``lang``, composed from the figures of ``hinges.json``.

    ``names`` maps unit codes to their names in ``lang``'s script (the package's Latin label otherwise).
    """
    names = names or {}
    head = t("robustness.hinge.head", lang, status=status_label(str(parts["status"]), lang),
             share=share_text(float(parts["share_status"])), same=share_text(float(parts["share_same"])))
    if parts.get("knife_edge"):
        head += ": " + t("robustness.hinge.knife_edge", lang)
    inputs = parts.get("inputs") or []
    if not inputs:
        return head + "; " + t("robustness.hinge.none", lang)
    joined = t("robustness.hinge.and", lang).join(_input_sentence(p, lang, names) for p in inputs)
    return head + "; " + t("robustness.hinge.on", lang, inputs=joined)


def unit_names(folder: str | os.PathLike[str], lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """Unit code -> name in ``lang``'s script, from the nominal run's ``assignments.csv`` of a robustness package."""
    path = Path(folder) / "nominal" / "assignments.csv"
    if not path.exists():
        return {}
    frame = read_tool_csv(path, dtype=str, keep_default_na=False)
    return {str(r["unit_code"]): unit_name_in(r, lang) for r in frame.to_dict("records")}


def fragile_rows(folder: str | os.PathLike[str], lang: str = DEFAULT_LANGUAGE) -> list[dict[str, Any]]:
    """The fragile decisions of a robustness package in ``lang``: ``rank``, ``unit`` (name and code),
    ``status``, ``new_unit_id``, ``share`` (text, estimate) and ``hinges`` (sentence), most fragile first.

    Without ``hinges.json`` (an older package) the English ``hinges_on`` text is shown.
    """
    root = Path(folder)
    fragile = read_tool_csv(root / "fragile_decisions.csv", dtype={"unit_code": str, "nominal_new_unit_id": str})
    path = root / "hinges.json"
    parts = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    names = unit_names(root, lang)
    rows = []
    ranks, shares = fragile["rank"].astype(int).tolist(), fragile["share_same_unit"].astype(float).tolist()
    for r, rank, share in zip(fragile.itertuples(), ranks, shares):
        code = str(r.unit_code)
        name = names.get(code) or str(r.unit_name)
        rows.append({
            "rank": rank, "unit": f"{name} ({code})", "status": status_label(str(r.nominal_status), lang),
            "new_unit_id": str(r.nominal_new_unit_id), "share": share_text(share),
            "hinges": hinge_sentence(parts[code], lang, names) if code in parts else str(r.hinges_on),
        })
    return rows


def kpi_rows(intervals: dict[str, Any], lang: str = DEFAULT_LANGUAGE) -> list[dict[str, Any]]:
    """``kpi_intervals.json`` KPIs as rows (``figure`` in ``lang``, ``nominal``, ``p5``, ``p50``, ``p95``)."""
    return [{"figure": t(_KPI_KEYS[k], lang) if k in _KPI_KEYS else kpi_label(k, lang), "nominal": v.get("nominal"),
             "p5": v.get("p5"), "p50": v.get("p50"), "p95": v.get("p95")}
            for k, v in intervals.get("kpis", {}).items()]


def _assumption_meaning(key: str, description: str, lang: str) -> str:
    label = f"robustness.assume.{key}"
    return t(label, lang) if label in STRINGS else description


def _stability_map(folder: Path, lang: str) -> str:
    """The nominal plan's map with each merger coloured by its confidence (the summary's map
    with ``colour_by="confidence"``); the other units keep their status category's colour."""
    nominal = folder / "nominal"
    if not (nominal / "new_units.gpkg").exists():
        return ""
    files = load_result_files(nominal)
    confidence = merger_confidence(nominal)
    if files.new_units.empty or confidence is None:
        return ""
    units, colours = plan_map_frame(files, lang, colour_by="confidence", confidence=confidence)
    return map_svg(units, column=KIND, categorical=True, colours=colours, title=t("robustness.report.map_title", lang),
                   unplaced=_nominal_unplaced_land(folder), texts=map_texts(files, lang))


def _nominal_unplaced_land(folder: Path) -> gpd.GeoDataFrame | None:
    """Raion land held by no unit, from the nominal plan's ``territory_notes.json`` alone (None
    when it has none or it cannot be read: the plan is then drawn alone)."""
    try:
        notes = read_territory_notes(folder / "nominal")
    except DataError:
        return None
    return None if notes is None else unplaced_land_of(notes)


def _summary_items(meta: dict[str, Any], lang: str, pct_stable: int, pct_fragile: int) -> list[str]:
    summary = meta.get("summary", {})
    items = [
        t("robustness.report.stable", lang, pct=pct_stable, stable=summary.get("new_units_stable"),
          total=summary.get("new_units_nominal")),
        t("robustness.report.fragile", lang, pct=pct_fragile, n=summary.get("decisions_fragile")),
    ]
    if "consensus" in summary:
        c = summary["consensus"]
        items.append(t("robustness.report.consensus", lang, units=c["units_after"],
                       changed=c["units_changed_from_nominal"],
                       agree=format_number(round(100 * c["agreement"], 1), lang, digits=1)))
    return ["<ul>", *(f"<li class='est'>{_e(item)}</li>" for item in items), "</ul>"]


def _fragile_table(root: Path, lang: str, pct_fragile: int) -> list[str]:
    rows = fragile_rows(root, lang)
    if not rows:
        return [f"<p>{_e(t('robustness.no_fragile', lang, pct=pct_fragile))}</p>"]
    head = ["#", t("robustness.col.unit", lang), t("robustness.col.status", lang), t("robustness.col.share", lang),
            t("robustness.col.hinges", lang)]
    body = [f"<tr><td class='num'>{r['rank']}</td><td>{_e(r['unit'])}</td>"
            f"<td>{_e(r['status'])} · {_e(r['new_unit_id'])}</td><td class='num est'>{_e(r['share'])}</td>"
            f"<td>{_e(r['hinges'])}</td></tr>" for r in rows[:50]]
    more = [f"<p class='muted'>{_e(t('robustness.report.more', lang, n=len(rows) - 50))}</p>"] if len(rows) > 50 else []
    return [_table(head, body), *more]


def robustness_section(folder: str | os.PathLike[str], *, language: str = DEFAULT_LANGUAGE) -> str:
    """The HTML section for a robustness package folder.

    Parameters
    ----------
    folder : path-like
        The robustness package (holding ``robustness.json``).
    language : str
        ``"en"``, ``"ru"`` or ``"ky"``: every text, the fragile decisions' sentences (composed
        from ``hinges.json``) and unit names in that language.

    Returns
    -------
    str
        An ``<h2 id='robustness'>`` section.
    """
    root, lang = Path(folder), language
    meta = json.loads((root / "robustness.json").read_text(encoding="utf-8"))
    intervals = json.loads((root / "kpi_intervals.json").read_text(encoding="utf-8"))
    assumptions = read_tool_csv(root / "assumptions.csv") if (root / "assumptions.csv").exists() else pd.DataFrame()
    threshold = float(meta.get("summary", {}).get("stable_share_threshold", 0.8))
    pct_stable = int(round(100 * threshold))
    pct_fragile = int(round(100 * float(meta.get("fragile_share", 0.2))))
    parts = [
        f"<h2 id='robustness'>{_e(t('robustness.title', lang))}</h2>",
        f"<p>{_e(t('robustness.report.intro', lang, draws=meta.get('draws'), seed=meta.get('seed')))}</p>",
        *_summary_items(meta, lang, pct_stable, pct_fragile),
    ]
    svg = _stability_map(root, lang)
    if svg:
        caption = _e(t("robustness.report.map", lang, pct=pct_stable))
        parts.append(f"<figure class='map'>{svg}<figcaption>{caption}</figcaption></figure>")
    parts.append(f"<h3>{_e(t('robustness.fragile', lang))}</h3>")
    parts.extend(_fragile_table(root, lang, pct_fragile))
    parts.append(f"<h3>{_e(t('robustness.kpis', lang))}</h3>")
    head = [t("robustness.col.figure", lang), t("robustness.col.nominal", lang), "p5", "p50", "p95"]
    parts.append(_table(head, [
        f"<tr><td>{_e(r['figure'])}</td><td class='num'>{_interval_cell(r['nominal'], lang)}</td>"
        + "".join(f"<td class='num est'>{_interval_cell(r[q], lang)}</td>" for q in ("p5", "p50", "p95")) + "</tr>"
        for r in kpi_rows(intervals, lang)
    ]))
    if not assumptions.empty:
        parts.append(f"<h3>{_e(t('robustness.report.assumptions', lang))}</h3>")
        head = [t("robustness.col.key", lang), t("robustness.col.value", lang), t("robustness.col.meaning", lang)]
        parts.append(_table(head, [
            # key and value as typed in the scenario file's uncertainty: block (identifiers, not prose)
            f"<tr><td><code>{_e(r.key)}</code></td><td><code>{_e(r.value)}</code></td>"
            f"<td>{_e(_assumption_meaning(str(r.key), str(r.description), lang))}</td></tr>"
            for r in assumptions.itertuples()
        ]))
    return "".join(parts)


def robustness_section_for(files: ResultFiles, lang: str = DEFAULT_LANGUAGE) -> str:
    """The section (in ``lang``) when ``files`` (a result package) is the nominal run inside a robustness package."""
    root = files.path.parent
    if not (root / "robustness.json").exists():
        return ""
    try:
        return robustness_section(root, language=lang)
    except (OSError, ValueError, KeyError) as exc:  # a damaged package must not break the main report
        logger.warning("robustness section skipped: %s", exc)
        return ""

