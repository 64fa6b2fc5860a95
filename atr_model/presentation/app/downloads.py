"""The app's downloads, without Streamlit: reports, summary, workbook, map image and the ZIP.

Reports, the Council summary and the labelled workbook are written into the result folder on
first request, one file per language (result folders are shared between sessions, so one user's
language never replaces another's); the ZIP holds the whole folder under the scenario's name.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from atr_model.presentation.app.results import ResultView, load_result, result_scenario
from atr_model.presentation.app.scenario_io import portable_scenario_yaml
from atr_model.presentation.i18n import localized
from atr_model.presentation.report import REPORT_NAME, SUMMARY_NAME, map_png, render_summary, write_report, write_summary
from atr_model.presentation.view import workbook_labels
from atr_model.scenarios import merger_confidence, record_files, write_xlsx

__all__ = [
    "zip_folder",
    "report_html",
    "summary_html",
    "tables_xlsx",
    "download_zip",
    "download_name",
    "result_scenario_yaml",
    "map_image",
]


def report_html(folder: Path | str, lang: str = "en") -> bytes:
    """The result's HTML report in ``lang``, rendered from the package on first request.

    English is the package's ``report.html`` (as the CLI writes it); Kyrgyz and Russian are
    ``report-ky.html`` / ``report-ru.html`` beside it (result folders are shared between
    sessions, so one user's language never replaces another's report).
    """
    target = Path(folder) / _language_file(REPORT_NAME, lang)
    if not target.exists():
        target = write_report(folder, target, lang=lang)
        record_files(folder, [target.name])  # part of the package from now on (checked before reuse)
    return target.read_bytes()


def _language_file(name: str, lang: str) -> str:
    """``report.html`` for English, ``report-ky.html`` for Kyrgyz..."""
    if lang in ("", "en"):
        return name
    stem, _, ext = name.rpartition(".")
    return f"{stem}-{lang}.{ext}"


def summary_html(
    folder: Path | str, lang: str = "en", raions: Mapping[str, str] | None = None, robustness: Path | str | None = None
) -> bytes:
    """The Council summary (``summary.html``, or ``summary-ky.html``...) in ``lang``, written on first request.

    With ``robustness`` (the session's robustness package) of this very plan, the summary shows
    each merger's confidence; it is then rendered for the request, not kept in the shared
    result folder (another session may have no robustness run).
    """
    if robustness is not None and merger_confidence(folder, robustness) is not None:
        return render_summary(folder, lang, raions=raions, robustness=robustness).encode("utf-8")
    target = Path(folder) / _language_file(SUMMARY_NAME, lang)
    if not target.exists():
        target = write_summary(folder, target, lang=lang, raions=raions)
        record_files(folder, [target.name])
    return target.read_bytes()


def download_zip(folder: Path | str, lang: str = "en", raions: Mapping[str, str] | None = None) -> bytes:
    """The whole result folder as a ZIP, with both reports (full and summary) in it.

    The English ``report.html`` and ``summary.html`` are always included; for another
    interface language its ``report-<lang>.html`` and ``summary-<lang>.html`` too. The
    archive's folder is named after the scenario (:func:`download_name`), not the folder's
    hash; its ``scenario.yaml`` holds the settings, locks included, the plan was made with.
    """
    for language in dict.fromkeys(("en", lang)):
        report_html(folder, language)
        summary_html(folder, language, raions if language == lang else None)
    return zip_folder(Path(folder), root=download_name(load_result(Path(folder)), lang))


#: Characters a file or folder name may not hold on a common system (Windows is the strictest).
_UNSAFE_IN_NAMES = '<>:"/\\|?*'


def _file_name(text: str, limit: int = 80) -> str:
    """``text`` as a file or folder name: unsafe characters become spaces, runs of spaces one."""
    cleaned = "".join(" " if ch in _UNSAFE_IN_NAMES or not ch.isprintable() else ch for ch in text)
    return " ".join(cleaned.split())[:limit].strip(" .") or "result"


def download_name(result: ResultView, lang: str = "en") -> str:
    """What a result's downloads are named: the scenario's name and its title in ``lang``
    ("demo - Demo: Concept 2013 ..." made file-safe); the folder name when the package has
    no scenario."""
    scenario = result_scenario(result)
    if scenario is None:
        return _file_name(result.folder.name)
    title = localized(scenario, "title", lang)
    return _file_name(f"{scenario.name} - {title}" if title else scenario.name)


def result_scenario_yaml(result: ResultView, dataset_key: str | None) -> str | None:
    """The YAML that reruns a result: the scenario as it was run (locks and manual exemptions
    included), with a portable ``dataset`` (:func:`portable_dataset`); None without one."""
    scenario = result_scenario(result)
    return None if scenario is None else portable_scenario_yaml(scenario, dataset_key)


def tables_xlsx(folder: Path | str, lang: str = "en") -> bytes:
    """The result's tables as a workbook labelled in ``lang`` (``tables-<lang>.xlsx``, written
    beside the package's own ``tables.xlsx`` on first request; sheets, headers and summary
    items from the catalogue)."""
    target = Path(folder) / f"tables-{lang}.xlsx"
    if not target.exists():
        kpis = json.loads((Path(folder) / "kpis.json").read_text(encoding="utf-8"))
        write_xlsx(folder, target, labels=workbook_labels(kpis, lang))
        record_files(folder, [target.name])
    return target.read_bytes()


def map_image(folder: Path | str, lang: str = "en", bounds: Any = None) -> bytes:
    """A PNG of the result's map (merged new units over the kept ones), drawn on the server:
    the whole territory, or what a map view ``((south, west), (north, east))`` shows."""
    return map_png(Path(folder), lang, bounds=bounds)


def zip_folder(folder: Path, root: str | None = None) -> bytes:
    """The result folder as a ZIP archive (files sorted, fixed timestamps: same bytes twice),
    its files under ``root`` (default: the folder's own name); staging files of atomic writes
    (names starting with a dot) are not part of it."""
    buffer = io.BytesIO()
    folder = Path(folder)
    top = root or folder.name
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
            info = zipfile.ZipInfo(f"{top}/{path.relative_to(folder).as_posix()}", date_time=(2013, 10, 28, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()
