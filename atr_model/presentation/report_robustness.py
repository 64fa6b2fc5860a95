"""Presentation: the robustness section of the HTML report (stability map, fragile decisions, KPI intervals).

A robustness package (:func:`atr_model.scenarios.robustness.write_robustness`) holds the
nominal run in ``nominal/``; its ``report.html`` is the nominal run's report with this section
added (:func:`robustness_section_for` is called by :func:`atr_model.presentation.report.render_report`
and returns ``""`` for a package that is not inside a robustness package). Every share and
interval is an estimate (it follows from assumed spreads) and is marked so.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

__all__ = ["ROBUSTNESS_REPORT_NAME", "robustness_section", "robustness_section_for", "write_robustness_report"]

logger = logging.getLogger(__name__)

ROBUSTNESS_REPORT_NAME = "report.html"

_TEXTS = {
    "en": {
        "title": "Robustness: how sure is each proposal",
        "intro": ("{draws} joint draws of every estimated input (seed {seed}), each solved exactly under the same "
                  "criteria. Shares and intervals are estimates: they follow from the assumed spreads listed "
                  "below, not from measured errors."),
        "stable": "Nominal new units appearing exactly in at least {pct}% of draws: {stable} of {total}.",
        "fragile": "Fragile decisions (the unit's new unit changes in more than {pct}% of draws): {n}.",
        "map": "Stability map: each nominal new unit coloured by the share of draws in which it appears exactly "
               "(estimate). Hatched red: below {pct}%.",
        "legend": "share of draws (estimate)",
        "fragile_h": "Fragile decisions",
        "kpi_h": "Key figures across draws (estimates)",
        "assume_h": "Assumptions (spreads of the estimated inputs)",
        "cols_fragile": ["#", "unit", "nominal", "same new unit", "hinges on"],
        "cols_kpi": ["figure", "nominal", "p5", "p50", "p95"],
        "cols_assume": ["key", "value", "meaning"],
        "none": "No decision flips in more than {pct}% of draws.",
        "consensus": ("Consensus plan (the plan every hard criterion allows that agrees most with the draws): "
                      "{units} units, {changed} units placed differently from the nominal plan, agreement "
                      "{agree}% (estimate)."),
    },
}


def _e(value: Any) -> str:
    import html

    return html.escape("" if value is None else str(value))


def _num(value: Any) -> str:
    if value is None:
        return "–"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return _e(value)
    return f"{v:,.0f}" if abs(v) >= 100 or v.is_integer() else f"{v:,.2f}"


def _stability_map(folder: Path, new_units: pd.DataFrame, threshold: float) -> str:
    from atr_model.presentation.report import map_svg

    gpkg = folder / "nominal" / "new_units.gpkg"
    if not gpkg.exists() or new_units.empty:
        return ""
    shapes = gpd.read_file(gpkg, layer="new_units", engine="pyogrio")[["new_unit_id", "geometry"]]
    frame = shapes.merge(new_units[["new_unit_id", "share_exact"]], on="new_unit_id", how="left")
    frame = frame.sort_values("new_unit_id").reset_index(drop=True)
    hatch = (pd.to_numeric(frame["share_exact"], errors="coerce") < threshold).tolist()
    return map_svg(frame, column="share_exact", hatch_mask=hatch, legend_label=_TEXTS["en"]["legend"],
                   title="Stability of the nominal new units (estimate)")


def robustness_section(folder: str | os.PathLike[str], *, language: str = "en") -> str:
    """The HTML section for a robustness package folder.

    Parameters
    ----------
    folder : path-like
        The robustness package (holding ``robustness.json``).
    language : str
        Only ``"en"`` for now (the app shows the same content in all three languages).

    Returns
    -------
    str
        An ``<h2 id='robustness'>`` section.
    """
    root = Path(folder)
    text = _TEXTS.get(language, _TEXTS["en"])
    meta = json.loads((root / "robustness.json").read_text(encoding="utf-8"))
    summary = meta.get("summary", {})
    new_units = pd.read_csv(root / "new_unit_stability.csv", dtype={"new_unit_id": str, "centre_code": str})
    fragile = pd.read_csv(root / "fragile_decisions.csv", dtype={"unit_code": str})
    intervals = json.loads((root / "kpi_intervals.json").read_text(encoding="utf-8"))
    assumptions = pd.read_csv(root / "assumptions.csv") if (root / "assumptions.csv").exists() else pd.DataFrame()
    threshold = float(summary.get("stable_share_threshold", 0.8))
    pct_stable = int(round(100 * threshold))
    pct_fragile = int(round(100 * float(meta.get("fragile_share", 0.2))))
    parts = [
        f"<h2 id='robustness'>{_e(text['title'])}</h2>",
        f"<p>{_e(text['intro'].format(draws=meta.get('draws'), seed=meta.get('seed')))}</p>",
        "<ul>",
        f"<li class='est'>{_e(text['stable'].format(pct=pct_stable, stable=summary.get('new_units_stable'), total=summary.get('new_units_nominal')))}</li>",
        f"<li class='est'>{_e(text['fragile'].format(pct=pct_fragile, n=summary.get('decisions_fragile')))}</li>",
    ]
    if "consensus" in summary:
        c = summary["consensus"]
        parts.append(f"<li class='est'>{_e(text['consensus'].format(units=c['units_after'], changed=c['units_changed_from_nominal'], agree=round(100 * c['agreement'], 1)))}</li>")
    parts.append("</ul>")
    svg = _stability_map(root, new_units, threshold)
    if svg:
        parts.append(f"<figure class='map'>{svg}<figcaption>{_e(text['map'].format(pct=pct_stable))}</figcaption></figure>")
    parts.append(f"<h3>{_e(text['fragile_h'])}</h3>")
    if fragile.empty:
        parts.append(f"<p>{_e(text['none'].format(pct=pct_fragile))}</p>")
    else:
        head = "".join(f"<th>{_e(h)}</th>" for h in text["cols_fragile"])
        rows = "".join(
            f"<tr><td class='num'>{int(r.rank)}</td><td>{_e(r.unit_name)} ({_e(r.unit_code)})</td>"
            f"<td>{_e(r.nominal_status)} · {_e(r.nominal_new_unit_id)}</td>"
            f"<td class='num est'>{100 * float(r.share_same_unit):.0f}%</td><td>{_e(r.hinges_on)}</td></tr>"
            for r in fragile.head(50).itertuples()
        )
        more = (f"<p class='muted'>{len(fragile) - 50} more in fragile_decisions.csv.</p>" if len(fragile) > 50 else "")
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{more}")
    parts.append(f"<h3>{_e(text['kpi_h'])}</h3>")
    head = "".join(f"<th>{_e(h)}</th>" for h in text["cols_kpi"])
    rows = "".join(
        f"<tr><td>{_e(k)}</td><td class='num'>{_num(v.get('nominal'))}</td>"
        + "".join(f"<td class='num est'>{_num(v.get(p))}</td>" for p in ("p5", "p50", "p95"))
        + "</tr>"
        for k, v in intervals.get("kpis", {}).items()
    )
    parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    if not assumptions.empty:
        parts.append(f"<h3>{_e(text['assume_h'])}</h3>")
        head = "".join(f"<th>{_e(h)}</th>" for h in text["cols_assume"])
        rows = "".join(f"<tr><td>{_e(r.key)}</td><td>{_e(r.value)}</td><td>{_e(r.description)}</td></tr>"
                       for r in assumptions.itertuples())
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    return "".join(parts)


def robustness_section_for(files: Any) -> str:
    """The section when ``files`` (a result package) is the nominal run inside a robustness package."""
    path = getattr(files, "path", None)
    if path is None:
        return ""
    root = Path(path).parent
    if not (root / "robustness.json").exists():
        return ""
    try:
        return robustness_section(root)
    except (OSError, ValueError, KeyError) as exc:  # a damaged package must not break the main report
        logger.warning("robustness section skipped: %s", exc)
        return ""


def write_robustness_report(folder: str | os.PathLike[str]) -> Path:
    """Write ``report.html`` of a robustness package: the nominal report with the robustness section."""
    from atr_model.presentation.report import render_report

    root = Path(folder)
    text = render_report(root / "nominal")
    if "id='robustness'" not in text:  # report.py without the hook: append the section ourselves
        text = text.replace("</body>", robustness_section(root) + "</body>")
    out = root / ROBUSTNESS_REPORT_NAME
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)
    return out
