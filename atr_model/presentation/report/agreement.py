"""Presentation: the agreement of a plan with a reference plan (issue 24), for the report and the app.

One owner of the agreement's texts: :func:`agreement_lines` (the overall figures and what the
reference did in effect, in plain sentences), :func:`raion_table` and :func:`differences_table`
(the tables with their headers in the language) are what the HTML page
(:func:`render_agreement`, written by ``atr-model agree --out``) and the app show. Every figure
is one of :func:`atr_model.scenarios.agreement.agreement_payload`'s (what ``agree --json``
prints), formatted by :func:`atr_model.presentation.i18n.format_number`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import cast

import pandas as pd

from atr_model.presentation.i18n import DEFAULT_LANGUAGE, format_number, t
from atr_model.presentation.report.html_parts import escape as _e
from atr_model.presentation.report.html_parts import page as _page
from atr_model.presentation.report.html_parts import table as _table
from atr_model.presentation.report.html_parts import td as _td
from atr_model.scenarios.agreement import Agreement

__all__ = ["REPORT_FILE", "agreement_lines", "differences_table", "raion_table", "render_agreement",
           "write_agreement_report"]

#: The report's file name inside ``agree --out``.
REPORT_FILE = "report.html"
#: Decimals of the adjusted Rand index and of the shares (in percent).
ARI_DIGITS = 3
SHARE_DIGITS = 1


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def ari_text(value: object, lang: str) -> str:
    """An adjusted Rand index as shown (three decimals; "–" when none)."""
    return format_number(None if _missing(value) else float(value), lang, digits=ARI_DIGITS)  # type: ignore[arg-type]


def share_text(value: object, lang: str) -> str:
    """A share (0 to 1) as a percentage with one decimal ("–" when none)."""
    if _missing(value):
        return format_number(None, lang)
    return t("map.percent", lang, n=format_number(100.0 * float(value), lang, digits=SHARE_DIGITS))  # type: ignore[arg-type]


def agreement_lines(result: Agreement, lang: str = DEFAULT_LANGUAGE) -> list[str]:
    """The overall agreement and what the reference did in effect, in plain sentences."""
    o = result.overall
    full = list(o["raions_full"])  # type: ignore[arg-type]
    n = format_number
    lines = [
        t("agree.ari", lang, n=n(len(full), lang), ari=ari_text(o["ari"], lang), mean=ari_text(o["mean_raion_ari"], lang))
        if full else t("agree.no_ari", lang),
        t("agree.recall", lang, share=share_text(o["recall"], lang), both=n(o["pairs_both"], lang),
          total=n(o["pairs_reference"], lang)),
        t("agree.precision", lang, share=share_text(o["precision"], lang), both=n(o["pairs_both"], lang),
          total=n(o["pairs_plan"], lang)),
        t("agree.units", lang, covered=n(o["units_covered"], lang), differ=n(o["units_differ"], lang)),
    ]
    return lines + in_effect_lines(result, lang)


def in_effect_lines(result: Agreement, lang: str = DEFAULT_LANGUAGE) -> list[str]:
    """What the reference did in effect: the size of its merged units, and the exemptions it did
    not apply (members the plan keeps by an exemption), in the plan's own figures."""
    groups = result.groups
    if groups.empty:
        return [t("agree.no_merged", lang)]
    pops = groups["population"].dropna()
    lines = []
    if len(pops):
        lines.append(t("agree.merged_sizes", lang, groups=format_number(len(groups), lang),
                       low=format_number(pops.min(), lang, digits=0), high=format_number(pops.max(), lang, digits=0),
                       median=format_number(pops.median(), lang, digits=0)))
    exempt, members = int(groups["exempt_in_plan"].sum()), int(groups["units"].sum())
    key = "agree.exempt_not_applied" if exempt else "agree.exempt_none"
    lines.append(t(key, lang, n=format_number(exempt, lang), total=format_number(members, lang)))
    return lines


def raion_table(result: Agreement, lang: str = DEFAULT_LANGUAGE, raion_names: dict[str, str] | None = None) -> pd.DataFrame:
    """The per-raion agreement with headers and cells as shown (text in the language)."""
    names = raion_names or {}
    rows = []
    for rec in result.raions.to_dict(orient="records"):
        code = str(rec["raion_code"])
        rows.append({
            t("agree.col.raion", lang): f"{names[code]} ({code})" if code in names else code,
            t("agree.col.units", lang): format_number(rec["units"], lang),
            t("agree.col.covered", lang): format_number(rec["units_covered"], lang),
            t("agree.col.ari", lang): ari_text(rec["ari"], lang) if rec["full"] else t("agree.partial", lang),
            t("agree.col.precision", lang): share_text(rec["precision"], lang),
            t("agree.col.recall", lang): share_text(rec["recall"], lang),
            t("agree.col.differ", lang): format_number(rec["units_differ"], lang),
        })
    return cast("pd.DataFrame", pd.DataFrame(rows))


def differences_table(result: Agreement, lang: str = DEFAULT_LANGUAGE,
                      names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The units grouped differently, partners by name, headers in the language.

    ``names`` (code -> name in the language, e.g. :func:`atr_model.presentation.view.unit_names`)
    overrides the plan's own ``unit_name``.
    """
    known = {**result.names, **(names or {})}

    def named(codes: str) -> str:
        return ", ".join(str(known.get(c, c)) for c in codes.split()) if codes else ""

    return cast("pd.DataFrame", pd.DataFrame({
        t("agree.col.unit", lang): [f"{known.get(str(c), n)} ({c})" for n, c in zip(result.differences["unit_name"],
                                                                                     result.differences["unit_code"])],
        t("agree.col.group", lang): result.differences["group"].astype(str),
        t("agree.col.new_unit", lang): result.differences["new_unit_id"].astype(str),
        t("agree.col.missing", lang): [named(c) for c in result.differences["missing_partners"]],
        t("agree.col.extra", lang): [named(c) for c in result.differences["extra_partners"]],
    }))


def _html_table(frame: pd.DataFrame, lang: str) -> str:
    if frame.empty:
        return f"<p>{_e(t('agree.none', lang))}</p>"
    rows = ["<tr>" + "".join(_td(v, lang) for v in rec) + "</tr>" for rec in frame.itertuples(index=False, name=None)]
    return _table(list(frame.columns), rows)


def agreement_section(result: Agreement, lang: str = DEFAULT_LANGUAGE, raion_names: dict[str, str] | None = None,
                      heading: str = "h2") -> str:
    """The agreement as an HTML section (for a report page)."""
    lines = "".join(f"<li>{_e(line)}</li>" for line in agreement_lines(result, lang)[:4])
    effect = "".join(f"<li>{_e(line)}</li>" for line in in_effect_lines(result, lang))
    return (
        f"<{heading}>{_e(t('agree.title', lang))}</{heading}>"
        f"<p class='muted'>{_e(t('agree.reference', lang, file=result.reference, sha=result.digest[:12]))}</p>"
        f"<ul>{lines}</ul><h3>{_e(t('agree.in_effect', lang))}</h3><ul>{effect}</ul>"
        f"<h3>{_e(t('agree.per_raion', lang))}</h3>{_html_table(raion_table(result, lang, raion_names), lang)}"
        f"<h3>{_e(t('agree.differences', lang))}</h3>{_html_table(differences_table(result, lang), lang)}"
    )


def render_agreement(result: Agreement, plan: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """The agreement of ``plan`` with the reference as one self-contained HTML page."""
    body = f"<h1>{_e(t('agree.title', lang))}: {_e(plan)}</h1>" + agreement_section(result, lang)
    return _page(f"atr-model: {t('agree.title', lang)}: {plan}", body, lang)


def write_agreement_report(result: Agreement, plan: str, folder: str | os.PathLike[str],
                           lang: str = DEFAULT_LANGUAGE) -> Path:
    """Write :func:`render_agreement` as ``report.html`` into ``folder`` (a staging folder)."""
    path = Path(folder) / REPORT_FILE
    path.write_text(render_agreement(result, plan, lang), encoding="utf-8")
    return path
