"""Presentation: the report's passports, one per new unit (its facts, flags and members with
what happens to each), estimates marked; with a robustness run of the plan, each merger's
confidence (the share of draws in which its new unit appears exactly, an estimate)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import pandas as pd

from atr_model.presentation.i18n import DEFAULT_LANGUAGE, display_name, estimate_note, t
from atr_model.presentation.messages import decision_text
from atr_model.presentation.report.html_parts import cell_text
from atr_model.presentation.report.html_parts import escape as _e
from atr_model.presentation.report.html_parts import table as _table
from atr_model.presentation.report.html_parts import td as _td
from atr_model.presentation.report.plan_map import percent_text
from atr_model.presentation.report.svg_map import is_numbered
from atr_model.presentation.territory_text import unit_name_in
from atr_model.presentation.view import format_area
from atr_model.scenarios import NEW_UNIT_COLUMNS, ResultFiles, town_mask

__all__ = ["passports_section"]


#: Part of a unit's ``estimated_inputs`` text saying its territory is approximate (scenarios
#: instance builder: "territory (approximate)").
_APPROXIMATE_TERRITORY = "territory (approximate)"


def _est_span(text: str, estimate: bool) -> str:
    """``text`` escaped, marked as an estimate (class ``est``: shaded, "est.") when it is one."""
    return f"<span class='est'>{_e(text)}</span>" if estimate else _e(text)


def _passport_estimates(rec: dict[str, Any], members: list[str], assignments: pd.DataFrame) -> tuple[bool, bool]:
    """Whether a new unit's travel times and its area rest on estimates.

    Travel: any member's time to the centre is modelled (no road data). Area: any member's
    territory is approximate (named in the unit's ``estimated_inputs``).
    """
    known = [m for m in members if m in assignments.index]
    travel = "travel_time_is_modelled" in assignments and bool(
        assignments.loc[known, "travel_time_is_modelled"].astype(bool).any()
    )
    area = _APPROXIMATE_TERRITORY in str(rec.get("estimated_inputs") or "")
    return travel, area


def _unit_sizes(files: ResultFiles) -> dict[str, tuple[int, float]]:
    grouped = files.assignments.groupby("new_unit_id")["population"].agg(["size", "sum"])
    return {str(k): (int(r["size"]), float(r["sum"])) for k, r in grouped.iterrows()}


def _member_rows(
    members: list[str], assignments: pd.DataFrame, names: dict[str, str], sizes: dict[str, tuple[int, float]], lang: str
) -> list[str]:
    """One row per member unit: code, name, population and travel time (estimates marked), decision."""
    rows = []
    for code in members:
        row = assignments.loc[code] if code in assignments.index else None
        if row is None:
            rows.append(f"<tr><td>{_e(code)}</td><td></td><td></td><td></td><td></td></tr>")
            continue
        rows.append(
            f"<tr><td>{_e(code)}</td><td>{_e(names.get(code, row['unit_name']))}</td>"
            f"{_td(row['population'], lang, estimate=bool(row.get('population_is_estimate', False)))}"
            f"{_td(row.get('travel_time_to_centre_min'), lang, estimate=bool(row.get('travel_time_is_modelled', False)))}"
            # the row Series reads as a mapping of column -> value (get, in, []), which is all decision_text asks
            f"<td>{_e(decision_text(cast('Mapping[str, Any]', row), lang, names, sizes))}</td></tr>"
        )
    return rows


def _flags(rec: dict[str, Any], town_codes: set[str], lang: str) -> list[str]:
    """Below the floor; exempt aiyl aimaks and towns among the members (HTML)."""
    flags = []
    if rec.get("below_floor"):
        flags.append(f"<span class='flag'>{_e(t('report.flag_below', lang))}</span>")
    exempt_members = [m for m in str(rec.get("exempt_members") or "").split(";") if m]
    towns = [m for m in exempt_members if m in town_codes]
    aimaks = [m for m in exempt_members if m not in town_codes]
    if aimaks:
        flags.append(_e(t("report.exempt_members", lang, codes=";".join(aimaks))))
    if towns:
        flags.append(_e(t("report.town_members", lang, codes=";".join(towns))))
    return flags


def _named(code: Any, names: Mapping[str, Any], lang: str) -> str:
    """"Name (code)" of a district or region from the provenance's names; the code alone without one."""
    code = "" if code is None else str(code)
    row = names.get(code)
    name = display_name(row, lang) if isinstance(row, Mapping) and row else ""
    return f"{name} ({code})" if name and name != code else code


def _fact_rows(
    rec: dict[str, Any], centre_name: str, extra_cols: list[str], estimates: tuple[bool, bool], lang: str,
    confidence: float | None = None, names: tuple[Mapping[str, Any], Mapping[str, Any]] = ({}, {}),
) -> str:
    """The new unit's facts as ``<tr>`` rows; ``estimates``: (travel, area) rest on estimates;
    ``confidence``: the merger's share of draws, when a robustness run gave one."""
    travel_est, area_est = estimates
    est = bool(rec.get("population_has_estimates", False))
    facts = [
        (t("report.fact.centre", lang), f"{_e(centre_name)} ({_e(rec.get('centre_code', ''))})"),
        (t("report.fact.raion_oblast", lang),
         f"{_e(_named(rec.get('raion_code', ''), names[0], lang))} / {_e(_named(rec.get('oblast_code', ''), names[1], lang))}"),
        (t("report.fact.population", lang),
         f"<span class='{'est' if est else ''}'>{_e(cell_text(rec.get('population'), lang))}</span>"),
        (t("report.fact.area", lang), _est_span(format_area(rec.get("area_km2"), lang, trim_whole=True), area_est)),
        (t("report.fact.travel", lang),
         f"{_est_span(cell_text(rec.get('travel_time_mean_min'), lang), travel_est)} / "
         f"{_est_span(cell_text(rec.get('travel_time_max_min'), lang), travel_est)}"),
    ]
    if confidence is not None:
        facts.append((t("report.fact.confidence", lang),
                      f"<span class='est conf' data-unit='{_e(rec['new_unit_id'])}'>{_e(percent_text(confidence, lang))}</span>"))
    facts += [(c, _e(cell_text(rec.get(c), lang))) for c in extra_cols]
    if rec.get("estimated_inputs"):
        note = estimate_note(rec["estimated_inputs"], lang)
        facts.append((t("report.fact.estimates", lang), f"<span class='est'>{_e(note)}</span>"))
    return "".join(f"<tr><th>{label}</th><td>{value}</td></tr>" for label, value in facts)


def _passport(
    rec: dict[str, Any], centre_name: str, map_number: int | None, facts: str, flags: list[str], members: list[str],
    lang: str,
) -> str:
    """One passport: heading (with the map's number when the map draws numbers), facts, flags, members."""
    number = ""
    if map_number is not None:
        number = f"<span class='muted'>({_e(t('report.map_no', lang, n=map_number))})</span>"
    header = [t(f"report.{k}", lang) for k in ("unit", "name", "population", "travel_min", "decision")]
    return (
        f"<section class='passport' id='nu-{_e(rec['new_unit_id'])}'>"
        f"<h3>{_e(rec['new_unit_id'])}: {_e(centre_name)} {number}</h3>"
        f"<table>{facts}</table>"
        + (f"<p>{'; '.join(flags)}</p>" if flags else "")
        + _table(header, members)
        + "</section>"
    )


def passports_section(
    files: ResultFiles, lang: str = DEFAULT_LANGUAGE, confidence: Mapping[str, float] | None = None
) -> str:
    """One passport per new unit (``<h2 id='passports'>``), in the order of ``new_units``;
    ``confidence`` (:func:`atr_model.scenarios.merger_confidence`) adds each merger's."""
    assignments = files.assignments.set_index("unit_code")
    extra_cols = [
        c for c in files.new_units.columns if c not in NEW_UNIT_COLUMNS and c != files.new_units.geometry.name
    ]
    names = {code: unit_name_in(row, lang) for code, row in zip(assignments.index, assignments.to_dict("records"))}
    sizes = _unit_sizes(files)
    town_codes = set(files.assignments.loc[town_mask(files.assignments), "unit_code"])
    records = files.new_units.drop(columns=files.new_units.geometry.name).to_dict(orient="records")
    numbered = is_numbered(len(records))  # map numbers exist only when the map draws them
    upper = (files.provenance.get("district_names") or {}, files.provenance.get("region_names") or {})
    parts = [f"<h2 id='passports'>{_e(t('report.passports', lang, n=len(records)))}</h2>"]
    for number, rec in enumerate(records, start=1):
        members = [m for m in str(rec.get("members", "")).split(";") if m]
        centre_name = names.get(str(rec.get("centre_code", "")), rec.get("centre_name", ""))
        facts = _fact_rows(rec, centre_name, extra_cols, _passport_estimates(rec, members, assignments), lang,
                           (confidence or {}).get(str(rec["new_unit_id"])), upper)
        parts.append(_passport(rec, centre_name, number if numbered else None, facts, _flags(rec, town_codes, lang),
                               _member_rows(members, assignments, names, sizes, lang), lang))
    return "".join(parts)
