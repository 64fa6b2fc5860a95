"""Presentation: the calibration's report page (issue 24): the calibrated scenario beside the
Concept (``concept-2013``), what the reference did in effect, and where no tested parameter set
reproduces it.

Written by ``atr-model calibrate`` into its ``--out`` folder as ``report.html``. The figures are
those of ``calibration.json`` (:func:`atr_model.scenarios.calibrate.summary`), formatted by
:func:`atr_model.presentation.i18n.format_number`; the texts come from the catalogue.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from atr_model.presentation.i18n import DEFAULT_LANGUAGE, format_number, t
from atr_model.presentation.report.agreement import ari_text, in_effect_lines
from atr_model.presentation.report.html_parts import escape as _e
from atr_model.presentation.report.html_parts import page as _page
from atr_model.presentation.report.html_parts import table as _table
from atr_model.scenarios import Agreement, Calibration, Scenario

__all__ = ["render_calibration", "write_calibration_report", "scenario_value"]

#: The report's file name inside ``calibrate --out``.
REPORT_FILE = "report.html"


def scenario_value(scenario: Scenario, key: str) -> Any:
    """The value of a dotted key (``criteria.population_floor``) in a scenario; None when absent."""
    node: Any = scenario.model_dump(mode="json")
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _cell(value: Any, lang: str) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        text = "–" if value is None else str(value)
    elif isinstance(value, (int, float)):
        text = format_number(value, lang, digits=2, trim_whole=True)
    else:
        text = str(value)
    return f"<td>{_e(text)}</td>"


def render_calibration(result: Calibration, concept: Scenario, lang: str = DEFAULT_LANGUAGE,
                       in_effect: Agreement | None = None) -> str:
    """The calibration as one self-contained HTML page.

    Parameters
    ----------
    result : Calibration
    concept : Scenario
        The scenario the calibrated one is set beside (the shipped ``concept-2013``).
    lang : str
        Language of the page.
    in_effect : Agreement, optional
        The reference scored against the territory as it is (every unit alone): its merged
        groups give what the reference did in effect, in the dataset's population figures.
    """
    params = "".join(
        f"<tr><td>{_e(key)}</td>{_cell(scenario_value(result.base, key), lang)}"
        f"{_cell(scenario_value(result.scenario, key), lang)}{_cell(scenario_value(concept, key), lang)}</tr>"
        for key, _ in result.free)
    header = [t("calib.col.parameter", lang), result.base.name, result.scenario.name, concept.name]
    held = result.held_out_mean
    lines = [t("calib.in_sample", lang, ari=ari_text(result.best_score, lang), n=format_number(len(result.raions), lang)),
             t("calib.held_out", lang, ari=ari_text(held, lang)) if held is not None else t("calib.held_out_none", lang)]
    rows = []
    departs = []
    for rec in result.held_out.to_dict(orient="records"):
        reproduced = rec["best_reachable_ari"] >= 1 - 1e-9
        if not reproduced:
            departs.append(str(rec["raion_code"]))
        rows.append(f"<tr><td>{_e(rec['raion_code'])}</td><td class='num'>{_e(ari_text(rec['held_out_ari'], lang))}</td>"
                    f"<td class='num'>{_e(ari_text(rec['best_reachable_ari'], lang))}</td>"
                    f"<td>{_e(t('report.yes' if reproduced else 'report.no', lang))}</td></tr>")
    effect = in_effect_lines(in_effect, lang)[:1] if in_effect is not None and not in_effect.groups.empty else []
    if departs:
        effect.append(t("calib.departs", lang, raions=", ".join(departs)))
    body = (
        f"<h1>{_e(t('calib.title', lang))}: {_e(result.scenario.name)}</h1>"
        f"<p class='muted'>{_e(t('agree.reference', lang, file=result.reference, sha=result.digest[:12]))}</p>"
        f"<ul>{''.join(f'<li>{_e(x)}</li>' for x in lines)}</ul>"
        f"<h2>{_e(t('calib.beside', lang, concept=concept.name))}</h2>{_table(header, [params])}"
        f"<h2>{_e(t('agree.in_effect', lang))}</h2><ul>{''.join(f'<li>{_e(x)}</li>' for x in effect)}</ul>"
        f"<h2>{_e(t('calib.per_raion', lang))}</h2>"
        + (_table([t("agree.col.raion", lang), t("calib.col.held_out", lang), t("calib.col.best", lang),
                   t("calib.col.reproduced", lang)], rows) if rows else f"<p>{_e(t('calib.held_out_none', lang))}</p>")
    )
    return _page(f"atr-model: {t('calib.title', lang)}: {result.scenario.name}", body, lang)


def write_calibration_report(result: Calibration, concept: Scenario, folder: str | os.PathLike[str],
                             lang: str = DEFAULT_LANGUAGE, in_effect: Agreement | None = None) -> Path:
    """Write :func:`render_calibration` as ``report.html`` into ``folder`` (a staging folder)."""
    path = Path(folder) / REPORT_FILE
    path.write_text(render_calibration(result, concept, lang, in_effect), encoding="utf-8")
    return path
