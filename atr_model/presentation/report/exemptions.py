"""Presentation: the report's section on exempt aiyl aimaks (with their rules) and on towns."""

from __future__ import annotations

from atr_model.presentation.i18n import DEFAULT_LANGUAGE, rule_labels, status_label, t
from atr_model.presentation.messages import exemption_text
from atr_model.presentation.report.html_parts import escape as _e
from atr_model.presentation.report.html_parts import table as _table
from atr_model.presentation.report.html_parts import td as _td
from atr_model.presentation.territory_text import unit_name_in
from atr_model.scenarios import ResultFiles, town_mask

__all__ = ["exempt_section"]


def exempt_section(files: ResultFiles, lang: str = DEFAULT_LANGUAGE) -> str:
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
            [f"<tr><td>{_e(rule_labels(k, lang) if local else k)}</td>{_td(v, lang)}</tr>" for k, v in sorted(by_reason.items())],
        ))
    if exempt.empty:
        parts.append(f"<p>{_e(t('report.no_exempt', lang))}</p>")
    else:
        rows = [
            f"<tr><td>{_e(r['unit_code'])}</td><td>{_e(unit_name_in(r, lang))}</td><td>{_e(r['raion_code'])}</td>"
            f"<td>{_e(exemption_text(r['exempt_reason'], lang))}</td>"
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

