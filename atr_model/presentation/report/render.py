"""Presentation: the full HTML report of a result package, assembled from its sections.

Everything is inline: CSS in a ``<style>`` block, maps as SVG drawn by matplotlib from
``new_units.gpkg`` (:mod:`~atr_model.presentation.report.svg_map`); no script, font or
stylesheet is fetched from anywhere. Estimated figures carry the CSS class ``est`` (shaded,
marked "est.") and the data-quality section counts them. The report of a robustness package's
nominal run adds the robustness section (:mod:`~atr_model.presentation.report.robustness`).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from atr_model._atomic import atomic_file
from atr_model.presentation.i18n import DEFAULT_LANGUAGE, dataset_label, localized, result_terms, t, use_terms
from atr_model.presentation.report.criteria_section import criteria_section
from atr_model.presentation.report.exemptions import exempt_section
from atr_model.presentation.report.html_parts import escape as _e
from atr_model.presentation.report.html_parts import page as _page
from atr_model.presentation.report.kpi_table import kpi_section
from atr_model.presentation.report.maps_section import maps_section
from atr_model.presentation.report.passports import passports_section
from atr_model.presentation.report.quality import provenance_section, quality_section
from atr_model.presentation.report.robustness import ROBUSTNESS_REPORT_NAME, robustness_section, robustness_section_for
from atr_model.scenarios import ResultFiles, ResultSource, as_result_files, merger_confidence

__all__ = ["REPORT_NAME", "render_report", "write_report", "write_robustness_report"]

logger = logging.getLogger(__name__)

REPORT_NAME = "report.html"


def render_report(
    result: ResultSource, lang: str = DEFAULT_LANGUAGE, *, robustness: str | os.PathLike[str] | None = None
) -> str:
    """Render the HTML report of a result package.

    Parameters
    ----------
    result : ResultFiles, path-like, ResultPackage or ScenarioResult
        The package, its folder, or an in-memory run.
    lang : str, default "en"
        Language of the report ("ky", "ru", "en"): headings, labels, the scenario's title and
        description, unit names (Cyrillic for ky/ru, Latin for en) and estimate notes.
    robustness : path-like, optional
        A robustness package of this plan; by default the one the result sits in (its
        ``nominal/``). With one, each merger's passport shows its confidence
        (:func:`atr_model.scenarios.merger_confidence`).

    Returns
    -------
    str
        A complete, self-contained HTML document.
    """
    files = as_result_files(result)
    with use_terms(result_terms(files.provenance)):  # the dataset's words (unit, district, currency...)
        return _render(files, lang, robustness)


def _render(files: ResultFiles, lang: str, robustness: str | os.PathLike[str] | None) -> str:
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
        + criteria_section(files, lang)
        + kpi_section(files, lang)
        + maps_section(files, lang)
        + exempt_section(files, lang)
        + quality_section(files, lang)
        + passports_section(files, lang, merger_confidence(files.path, robustness))
        + provenance_section(files, lang)
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


def write_robustness_report(folder: str | os.PathLike[str], lang: str = DEFAULT_LANGUAGE) -> Path:
    """Write ``report.html`` of a robustness package in ``lang``: the nominal report with the robustness section."""
    root = Path(folder)
    text = render_report(root / "nominal", lang)
    if "id='robustness'" not in text:
        # the report's hook skips a section it cannot read; here the section is the point: its error shows
        with use_terms(result_terms(as_result_files(root / "nominal").provenance)):
            text = text.replace("</body>", robustness_section(root, language=lang) + "</body>")
    out = root / ROBUSTNESS_REPORT_NAME
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)
    return out

