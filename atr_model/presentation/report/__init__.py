"""Presentation: the printable HTML pages of a result, self-contained and offline.

One module per concept: the full report (:mod:`.render`, assembled from :mod:`.criteria_section`,
:mod:`.kpi_table`, :mod:`.maps_section`, :mod:`.exemptions`, :mod:`.quality`, :mod:`.passports`
and, for a robustness package's nominal run, :mod:`.robustness`), the Council summary
(:mod:`.summary`), the comparison of two plans (:mod:`.comparison`) and a sweep's Pareto chart
(:mod:`.sweep`); the maps are SVG drawn by :mod:`.svg_map`, the shared HTML pieces are in
:mod:`.html_parts`. Nothing here loads folium: the report's maps are drawn by matplotlib.
"""

from __future__ import annotations

from atr_model.presentation.report.comparison import render_comparison, write_comparison_report
from atr_model.presentation.report.render import REPORT_NAME, render_report, write_report, write_robustness_report
from atr_model.presentation.report.robustness import fragile_rows, kpi_rows, robustness_section, unit_names
from atr_model.presentation.report.summary import (
    SUMMARY_NAME,
    in_view,
    map_png,
    raion_names,
    render_summary,
    write_summary,
)
from atr_model.presentation.report.svg_map import map_svg
from atr_model.presentation.report.sweep import write_sweep_outputs

__all__ = [
    "REPORT_NAME",
    "SUMMARY_NAME",
    "fragile_rows",
    "in_view",
    "kpi_rows",
    "map_png",
    "map_svg",
    "raion_names",
    "render_comparison",
    "render_report",
    "render_summary",
    "robustness_section",
    "unit_names",
    "write_comparison_report",
    "write_report",
    "write_robustness_report",
    "write_summary",
    "write_sweep_outputs",
]
