"""Exports written next to a result package: an XLSX workbook and GeoJSON, plus the atomic
"write the package, then its extras, then publish" wrapper.

Extras are functions ``extra(folder) -> None`` that read the package files already in
``folder`` and add their own files. :func:`publish_package` runs them inside a staging folder
and renames it into place only when everything succeeded, so an interrupted or failed run never
leaves a result folder behind (old results at the target survive a failure).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, cast

import pandas as pd

from atr_model._atomic import atomic_directory, atomic_file
from atr_model.scenarios.extra_kpis import extra_kpis
from atr_model.scenarios.instance_builder import APPROXIMATE_TERRITORY
from atr_model.scenarios.key_figures import key_figures
from atr_model.scenarios.kpis import kpi_estimate_basis
from atr_model.scenarios.manifest import MANIFEST_NAME, record_files
from atr_model.scenarios.package_files import ResultFiles, flatten_mapping, load_result_files

__all__ = [
    "Extra",
    "write_xlsx",
    "write_geojson",
    "write_exports",
    "add_extra_kpis",
    "publish_package",
    "DEFAULT_EXTRAS",
    "XLSX_NAME",
    "GEOJSON_NAME",
]

logger = logging.getLogger(__name__)

#: An extra writer: gets the (staged) package folder, adds files to it.
Extra = Callable[[Path], Any]

XLSX_NAME = "tables.xlsx"
GEOJSON_NAME = "new_units.geojson"

_ESTIMATE_FILL = "FFF2CC"  # pale yellow, the report's estimate colour as well
_HEADER_FILL = "DDEBF7"


#: Flag columns of the workbook: value column -> the column saying it is an estimate.
_ROW_FLAGS = {"population": "population_is_estimate", "travel_time_to_centre_min": "travel_time_is_modelled"}
_NEW_UNIT_FLAGS = {
    "population": "population_has_estimates",
    "area_km2": "area_is_approximate",
    "travel_time_mean_min": "travel_time_is_modelled",
    "travel_time_max_min": "travel_time_is_modelled",
}
_SUMMARY_FLAGS = {"value": "is_estimate"}
_NOTE = (
    "Cells shaded yellow are estimates. The column beside each says so: "
    + "; ".join(sorted({f"{v} ({k})" for flags in (_ROW_FLAGS, _NEW_UNIT_FLAGS) for k, v in flags.items()}))
    + "; on this sheet, is_estimate and estimate_basis of every KPI."
)


#: The label name of the note on the summary sheet (see ``write_xlsx(labels=...)``).
_LABEL_NOTE = "text.note"


def _plain(name: str) -> str:
    """The workbook's own text for a label name (sheet, column and item names as they are,
    ``kpi: <name>`` for a KPI)."""
    if name == _LABEL_NOTE:
        return _NOTE
    kind, rest = name.split(".", 1)
    return f"kpi: {rest}" if kind in ("kpi", "fig") else rest


def _summary_rows(files: ResultFiles, label: Callable[[str], str] = _plain) -> pd.DataFrame:
    """Scenario, dataset and every KPI, each KPI with whether (and why) it rests on estimates."""
    rows: list[tuple[str, Any, bool, str]] = [
        (label("item.scenario"), files.name, False, ""),
        (label("item.title"), files.title, False, ""),
        (label("item.dataset"), files.provenance.get("dataset_name", files.scenario.get("dataset", "")), False, ""),
        (label("item.dataset kind"), files.provenance.get("dataset_kind", ""), False, ""),
        (label("item.created (UTC)"), files.provenance.get("created_utc", ""), False, ""),
        (label("item.note"), label(_LABEL_NOTE), False, ""),
    ]
    # the key figures first, as every other surface lists them; then the rest of kpis.json
    figures = key_figures(files.kpis)
    rows += [(label(f"fig.{f.key}"), f.value, f.is_estimate, f.estimate_basis) for f in figures]
    shown = {f.key for f in figures}
    basis = kpi_estimate_basis(files.kpis)
    rows += [
        (label(f"kpi.{k}"), v, k in basis, basis.get(k, ""))
        for k, v in flatten_mapping(files.kpis).items() if k not in shown
    ]
    return cast("pd.DataFrame", pd.DataFrame(rows, columns=["item", "value", "is_estimate", "estimate_basis"]))


def _new_unit_sheet(files: ResultFiles) -> pd.DataFrame:
    """The passports without geometry, with flags for modelled travel times and approximate areas."""
    units = pd.DataFrame(files.new_units.drop(columns=files.new_units.geometry.name))
    a = files.assignments
    if "travel_time_is_modelled" in a and "new_unit_id" in units:
        modelled = a.groupby("new_unit_id")["travel_time_is_modelled"].agg(lambda v: bool(v.astype(bool).any()))
        units["travel_time_is_modelled"] = units["new_unit_id"].map(modelled).fillna(False).astype(bool)
    if "estimated_inputs" in units:
        units["area_is_approximate"] = units["estimated_inputs"].fillna("").astype(str).str.contains(
            APPROXIMATE_TERRITORY, regex=False
        )
    return cast("pd.DataFrame", units)


def _settlement_sheet(files: ResultFiles) -> pd.DataFrame:
    """Settlements with their unit's travel-time flag (times are modelled per unit)."""
    sett = files.settlements.copy()
    a = files.assignments
    if "travel_time_is_modelled" in a and "unit_code" in sett and "travel_time_is_modelled" not in sett:
        flag = a.set_index("unit_code")["travel_time_is_modelled"].astype(bool)
        sett["travel_time_is_modelled"] = sett["unit_code"].map(flag).fillna(False).astype(bool)
    return cast("pd.DataFrame", sett)


def _cell(value: Any) -> Any:
    if isinstance(value, (list, tuple, dict)):
        return str(value)
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return str(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _as_text(cells: Iterable[Any]) -> None:
    """Text cells stay text: openpyxl stores a string that begins with ``=`` as a formula, so a
    name such as ``=HYPERLINK(...)`` from a dataset or scenario would run when the workbook is
    opened; it is stored as a text cell instead (marked as typed with a quote, so editing it in
    Excel keeps it text). Cells beginning with ``+``, ``-``, ``@``, a tab or a carriage return
    are text cells already; numbers are untouched."""
    for cell in cells:
        if cell.data_type == "f":
            cell.data_type = "s"
            cell.quotePrefix = True


def _row(ws: Any, row_idx: int, width_cols: int) -> tuple[Any, ...]:
    """The cells of one row, with the width given: ``ws[row]`` recomputes the sheet's widest row
    over every cell on each call, which made a 3,000-row workbook take 16 s."""
    return next(ws.iter_rows(min_row=row_idx, max_row=row_idx, max_col=width_cols))


def _write_frame(
    ws: Any, frame: pd.DataFrame, estimate_flags: dict[str, str] | None = None, label: Callable[[str], str] = _plain
) -> None:
    from openpyxl.styles import Font, PatternFill

    estimate_flags = estimate_flags or {}
    width_cols = max(len(frame.columns), 1)
    ws.append([label(f"col.{c}") for c in frame.columns])
    for cell in _row(ws, 1, width_cols):
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=_HEADER_FILL)
    for record in frame.itertuples(index=False, name=None):
        ws.append([_cell(v) for v in record])
    for row_idx in range(1, len(frame) + 2):
        _as_text(_row(ws, row_idx, width_cols))
    fill = PatternFill("solid", fgColor=_ESTIMATE_FILL)
    columns = list(frame.columns)
    for value_col, flag_col in estimate_flags.items():
        if value_col not in columns or flag_col not in columns:
            continue
        col_idx = columns.index(value_col) + 1
        for row_idx, flag in enumerate(frame[flag_col].tolist(), start=2):
            if bool(flag):
                ws.cell(row=row_idx, column=col_idx).fill = fill
    ws.freeze_panes = "A2"
    for idx, name in enumerate(columns, start=1):
        header = str(ws.cell(row=1, column=idx).value)
        width = max([len(header)] + [len(str(v)) for v in frame[name].head(200).tolist()])
        ws.column_dimensions[ws.cell(row=1, column=idx).column_letter].width = min(max(width + 2, 8), 60)


def write_xlsx(
    folder: str | os.PathLike[str],
    target: str | os.PathLike[str] | None = None,
    *,
    labels: Callable[[str], str] | None = None,
) -> Path:
    """Write every table of a result package as one workbook (one sheet per table).

    Sheets: ``summary`` (scenario, dataset, every KPI), ``assignments``, ``new_units`` (no
    geometry), ``settlements``, ``explanations`` (when present), ``scenario`` (the resolved
    scenario, flattened) and ``provenance``. Estimated figures are shaded yellow, each beside a
    flag column saying so: estimated populations, modelled travel times (columns and KPI rows),
    approximate areas and every KPI that rests on estimates (``is_estimate``, ``estimate_basis``).

    Parameters
    ----------
    folder : path-like
        The result package folder.
    target : path-like, optional
        Output file; defaults to ``folder / "tables.xlsx"``. Written atomically.
    labels : callable, optional
        Texts of the sheet names, column headers and summary items in a reader's language
        (the app passes its catalogue's), called with ``sheet.<name>``, ``col.<name>``,
        ``item.<name>``, ``kpi.<name>`` and ``text.note`` (the note on estimates). By default
        the workbook keeps the package's own names (``unit_code``...), as the CLI writes it.

    Returns
    -------
    pathlib.Path
        The written workbook.
    """
    from openpyxl import Workbook

    label = labels or _plain
    files = load_result_files(folder)
    out = Path(target) if target is not None else Path(folder) / XLSX_NAME
    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_title(label("sheet.summary"))
    _write_frame(ws, _summary_rows(files, label), _SUMMARY_FLAGS, label)
    sheets: list[tuple[str, pd.DataFrame, dict[str, str] | None]] = [
        ("assignments", files.assignments, _ROW_FLAGS), ("new_units", _new_unit_sheet(files), _NEW_UNIT_FLAGS),
    ]
    if not files.settlements.empty:
        sheets.append(("settlements", _settlement_sheet(files), _ROW_FLAGS))
    if files.explanations is not None:
        sheets.append(("explanations", files.explanations, None))
    for name, table in (("scenario", files.scenario), ("provenance", files.provenance)):
        sheets.append((name, pd.DataFrame(list(flatten_mapping(table).items()), columns=["key", "value"]), None))
    for name, frame, flags in sheets:
        _write_frame(wb.create_sheet(_sheet_title(label(f"sheet.{name}"))), frame, flags, label)
    _atomic_save(out, wb.save)
    logger.info("wrote %s", out)
    return out


def _sheet_title(text: str) -> str:
    """A valid Excel sheet name: at most 31 characters, none of ``[]:*?/\\``."""
    return "".join(" " if ch in "[]:*?/\\" else ch for ch in text)[:31]


def write_geojson(folder: str | os.PathLike[str], target: str | os.PathLike[str] | None = None) -> Path:
    """Write the new units with their passport columns as GeoJSON (RFC 7946, EPSG:4326).

    ``folder`` and ``target`` as for :func:`write_xlsx` (here the default target is
    ``folder / "new_units.geojson"``); returns the written file.
    """
    files = load_result_files(folder)
    out = Path(target) if target is not None else Path(folder) / GEOJSON_NAME
    frame = files.new_units.to_crs("EPSG:4326")

    def _save(tmp: str) -> None:
        # the layer name is the file's "name" member; by default it would be the staging file's name
        frame.to_file(tmp, driver="GeoJSON", engine="pyogrio", layer=out.stem, RFC7946="YES", COORDINATE_PRECISION=6)

    _atomic_save(out, _save)
    logger.info("wrote %s", out)
    return out


def write_exports(folder: str | os.PathLike[str]) -> list[Path]:
    """Write all exports of a result package into its folder (XLSX and GeoJSON).

    Parameters
    ----------
    folder : path-like
        The result package folder (possibly still staged).

    Returns
    -------
    list of pathlib.Path
        The files written. In a published package (one with a digest manifest) they are added
        to the manifest, so the package still verifies.
    """
    written = [write_xlsx(folder), write_geojson(folder)]
    if (Path(folder) / MANIFEST_NAME).exists():
        record_files(folder, [path.name for path in written])
    return written


def add_extra_kpis(folder: str | os.PathLike[str]) -> Path:
    """Add the further KPIs (:func:`atr_model.scenarios.extra_kpis.extra_kpis`) to ``kpis.json``.

    Keys the run already wrote are kept; ``estimated_share`` gains ``admin_savings`` (1.0: the
    cost model is an assumption).

    Parameters
    ----------
    folder : path-like
        The result package folder.

    Returns
    -------
    pathlib.Path
        The rewritten ``kpis.json``.
    """
    files = load_result_files(folder)
    kpis = dict(files.kpis)
    level = str(files.scenario.get("level", "aiyl_aimak"))
    extra = extra_kpis(files.assignments, files.new_units, files.settlements, level=level)
    for key, value in extra.items():
        if key == "estimated_share" and isinstance(kpis.get(key), dict):
            # the run already measured its inputs; add only what it cannot know (the cost model)
            kpis[key] = {**kpis[key], "admin_savings": value["admin_savings"]}
        else:
            kpis.setdefault(key, value)
    out = Path(folder) / "kpis.json"
    _atomic_save(out, lambda tmp: Path(tmp).write_text(json.dumps(kpis, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"))
    return out


def _atomic_save(target: Path, save: Callable[[str], Any]) -> None:
    """``save(path)`` into a temporary file, flushed and renamed onto ``target`` (see :mod:`atr_model._atomic`)."""
    with atomic_file(target) as tmp:
        save(str(tmp))


#: Extras run by default when publishing a package (the report is added by the presentation layer).
#: A fresh run already carries the further KPIs; :func:`add_extra_kpis` upgrades older folders.
DEFAULT_EXTRAS: tuple[Extra, ...] = (write_exports,)


def publish_package(
    out_dir: str | os.PathLike[str],
    write: Callable[[Path], Any],
    extras: Sequence[Extra] | Iterable[Extra] = DEFAULT_EXTRAS,
) -> Path:
    """Write a result package and its extras into a staging folder, then rename it into place.

    Parameters
    ----------
    out_dir : path-like
        The final result folder. An existing folder there is replaced only after everything
        succeeded.
    write : callable
        ``write(folder)`` writes the package files into a folder that does not exist yet
        (for example ``lambda d: write_result(result, d)``).
    extras : sequence of callables, default DEFAULT_EXTRAS
        Each called as ``extra(folder)`` on the staged package, in order.

    Returns
    -------
    pathlib.Path
        ``out_dir``.

    Notes
    -----
    Any exception (including ``KeyboardInterrupt``) removes the staging folder and leaves
    ``out_dir`` as it was.
    """
    target = Path(out_dir)
    with atomic_directory(target) as staging:
        staging.rmdir()  # ``write`` expects a folder that does not exist yet
        write(staging)
        for extra in extras:
            extra(staging)
    logger.info("published result package %s", target)
    return target
