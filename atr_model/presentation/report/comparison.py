"""Presentation: the comparison of two plans as one self-contained HTML page with a diff map."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from atr_model._atomic import atomic_file
from atr_model.presentation.i18n import DEFAULT_LANGUAGE, format_number, t
from atr_model.presentation.report.html_parts import escape as _e
from atr_model.presentation.report.html_parts import page as _page
from atr_model.presentation.report.html_parts import table as _table
from atr_model.presentation.report.html_parts import td as _td
from atr_model.presentation.report.svg_map import map_svg, map_texts, unplaced_land
from atr_model.presentation.view import comparison_table_html
from atr_model.scenarios import Comparison, ResultFiles, ResultSource, as_result_files

__all__ = ["render_comparison", "write_comparison_report"]


def _frame_table(frame: pd.DataFrame) -> str:
    rows = ["<tr>" + "".join(_td(v, DEFAULT_LANGUAGE) for v in rec) + "</tr>"
            for rec in frame.itertuples(index=False, name=None)]
    return _table(list(frame.columns), rows)


def render_comparison(comparison: Comparison, a: ResultSource, b: ResultSource, lang: str = DEFAULT_LANGUAGE) -> str:
    """Render a comparison of two plans as one self-contained HTML page with a diff map.

    Parameters
    ----------
    comparison : Comparison
        From :func:`atr_model.scenarios.compare_results`.
    a, b : ResultFiles, path-like, ResultPackage or ScenarioResult
        The two plans compared.
    lang : str, default "en"
        Language of the key figures (the result view's labels and number format).

    Returns
    -------
    str
        HTML document.
    """
    return _render(comparison, as_result_files(a), as_result_files(b), lang)


def _render(comparison: Comparison, a: ResultFiles, b: ResultFiles, lang: str) -> str:
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
        # the page is in English: the header of plan B, whose units are drawn
        texts=map_texts(b, DEFAULT_LANGUAGE, outline=f"changed units of {a.name}"),
    )
    summary = (
        f"<p>{format_number(comparison.n_units)} units compared; "
        f"<b>{format_number(len(comparison.changed_units))}</b> assigned differently (their set of co-members "
        f"changed); <b>{format_number(len(comparison.changed_centres))}</b> new unit(s) with the same members but "
        "another centre.</p>"
    )
    body = (
        f"<h1>Comparison: {_e(a.title)} → {_e(b.title)}</h1>{summary}"
        f"<h2>{_e(t('kpi.table', lang))}</h2>"
        + comparison_table_html(comparison.kpis, a.kpis, b.kpis,
                                [t("kpi.metric", lang), f"A: {a.name}", f"B: {b.name}", f"{t('kpi.delta', lang)} (B − A)"],
                                lang)
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


def write_comparison_report(
    comparison: Comparison, a: ResultSource, b: ResultSource, target: str | os.PathLike[str], lang: str = DEFAULT_LANGUAGE
) -> Path:
    """Write :func:`render_comparison` to ``target`` (atomically); return the path."""
    out = Path(target)
    with atomic_file(out) as tmp:
        tmp.write_text(render_comparison(comparison, a, b, lang), encoding="utf-8")
    return out

