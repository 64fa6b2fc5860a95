"""Presentation: the HTML pieces the reports share (the full report, its robustness section,
the comparison page, the sweep chart, the Council summary): escaping, a table, a figure's cell
and the page around a body (inline CSS, A4 print)."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from atr_model.presentation.i18n import DEFAULT_LANGUAGE, format_number, t

__all__ = ["escape", "table", "cell_text", "td", "page"]

def escape(value: Any) -> str:
    """``value`` as HTML text (None as empty)."""
    return html.escape("" if value is None else str(value))


def table(header: Sequence[str], rows: Iterable[str], caption: str = "") -> str:
    """A ``<table>`` with escaped ``header`` cells over ready-made ``<tr>`` ``rows``."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    cap = f"<caption class='muted'>{escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


#: The report pages' style sheet (inline: the page fetches nothing).
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


def cell_text(value: Any, lang: str, digits: int = 1) -> str:
    """A figure as a table cell shows it in ``lang``: yes/no for booleans, numbers by
    :func:`~atr_model.presentation.i18n.format_number` (``digits`` decimals unless whole; "–" for
    None and NaN, "∞"), text as it is."""
    if isinstance(value, (bool, np.bool_)):
        return t("report.yes" if value else "report.no", lang)
    if value is None or isinstance(value, (int, float, np.integer, np.floating)):
        return format_number(value, lang, digits=digits, trim_whole=True)
    return str(value)


def td(value: Any, lang: str, *, estimate: bool = False, digits: int = 1) -> str:
    """A ``<td>`` of :func:`cell_text`: right-aligned when numeric, shaded and marked when an estimate."""
    numeric = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    classes = [c for c in ("num" if numeric else "", "est" if estimate else "") if c]
    cls = f' class="{" ".join(classes)}"' if classes else ""
    return f"<td{cls}>{escape(cell_text(value, lang, digits))}</td>"


def page(title: str, body: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A complete, self-contained HTML document in ``lang`` around ``body`` (inline CSS, A4 print)."""
    # the estimate mark drawn by CSS speaks the page's language too
    mark = t("report.est_mark", lang).replace('"', "")
    css = _CSS + f'.est::after{{content:" {mark}"}}' if lang != DEFAULT_LANGUAGE else _CSS
    return (
        f"<!DOCTYPE html><html lang='{escape(lang)}'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{escape(title)}</title>"
        f"<style>{css}</style></head><body>{body}</body></html>\n"
    )

