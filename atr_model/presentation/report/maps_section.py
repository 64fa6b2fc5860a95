"""Presentation: the report's maps section (the new units, their travel times) and the land
notes under it (raion land held by no unit, new units drawn in several pieces).

The new-unit map colours each unit by its status category, as the summary's map and every
interactive map do (:func:`~atr_model.presentation.report.plan_map.plan_map_frame`); both maps
carry the scenario's header, a scale bar and a legend of what they draw.
"""

from __future__ import annotations

from typing import Any

from atr_model.presentation.i18n import DEFAULT_LANGUAGE, display_name, format_number, t
from atr_model.presentation.report.html_parts import escape as _e
from atr_model.presentation.report.html_parts import table as _table
from atr_model.presentation.report.plan_map import KIND, plan_map_frame
from atr_model.presentation.report.svg_map import is_numbered, map_svg, map_texts, unplaced_land
from atr_model.presentation.territory_text import cut_off_text, unit_name_in
from atr_model.presentation.view import format_area
from atr_model.scenarios import ResultFiles

__all__ = ["maps_section"]


def maps_section(files: ResultFiles, lang: str = DEFAULT_LANGUAGE) -> str:
    units = files.new_units
    title = f"<h2 id='maps'>{_e(t('report.nav.maps', lang))}</h2>"
    if units.empty:
        return f"{title}<p>{_e(t('report.no_new_units', lang))}</p>"
    est = units["population_has_estimates"].tolist() if "population_has_estimates" in units else None
    numbered = is_numbered(len(units))
    unplaced = unplaced_land(files)
    coloured, colours = plan_map_frame(files, lang)
    part = map_svg(
        coloured, column=KIND, categorical=True, colours=colours,
        labels=[str(k) for k in range(1, len(units) + 1)] if numbered else None,
        title=t("report.map_new_units", lang), unplaced=unplaced, texts=map_texts(files, lang),
    )
    travel = map_svg(
        units, column="travel_time_mean_min", hatch_mask=est, legend_label=t("report.minutes", lang),
        title=t("report.map_travel", lang), texts=map_texts(files, lang, hatch=t("map.hatch_estimate", lang)),
    )
    # the caption promises numbers only when the map draws them
    caption = t("report.caption_numbered", lang) if numbered else t("report.caption_unnumbered", lang, n=len(units))
    if len(unplaced):
        caption = f"{caption} {t('report.caption_unplaced', lang)}"
    return (
        title
        + f"<figure class='map'>{part}<figcaption>{_e(caption)}</figcaption></figure>"
        f"<figure class='map'>{travel}<figcaption>{_e(t('report.caption_travel', lang))}</figcaption></figure>"
        + _land_notes_block(files, lang)
    )


def _unplaced_table(pieces: list[dict[str, Any]], area_km2: float, lang: str) -> str:
    rows = [
        f"<tr><td>{_e(display_name(p, lang, code_column='raion_code'))} ({_e(p['raion_code'])})</td>"
        f"<td class='num'>{_e(format_area(p['area_km2'], lang))}</td>"
        f"<td>{_e(format_number(p['lat'], lang, digits=3))}° / {_e(format_number(p['lon'], lang, digits=3))}°</td></tr>"
        for p in pieces
    ]
    intro = t("report.land.unplaced_intro", lang, n=len(pieces), area=format_area(area_km2, lang))
    return (f"<p>{_e(intro)}</p>"
            + _table([t("field.raion", lang), t("field.area", lang), t("report.land.point", lang)], rows,
                     caption=t("map.unplaced", lang)))


def _member_why(member: dict[str, Any], lang: str) -> str:
    reasons = [cut_off_text(d, lang) for d in member.get("detached_pieces") or []]
    if member.get("listed_exclave"):
        reasons.append(t("report.land.listed", lang))
    return "; ".join(r for r in reasons if r)


def _split_table(split: list[dict[str, Any]], files: ResultFiles, lang: str) -> str:
    """New units drawn in several pieces: one row per member holding an exclave."""
    assignments = files.assignments.set_index("unit_code")
    names = {code: unit_name_in(row, lang) for code, row in zip(assignments.index, assignments.to_dict("records"))}
    ids = [str(i) for i in files.new_units["new_unit_id"]]
    numbered = is_numbered(len(ids))
    rows = []
    for unit in split:
        new_id = str(unit["new_unit_id"])
        label = f"<a href='#nu-{_e(new_id)}'>{_e(new_id)}</a>"
        if numbered and new_id in ids:
            label += f" <span class='muted'>({_e(t('report.map_no', lang, n=ids.index(new_id) + 1))})</span>"
        head = f"<td>{label}</td><td class='num'>{int(unit['pieces'])}</td>"
        members = unit.get("exclave_members") or []
        if not members:
            rows.append(f"<tr>{head}<td colspan='3'>{_e(t('report.land.unexplained', lang))}</td></tr>")
        for member in members:
            code = str(member["unit_code"])
            name = names.get(code) or display_name(member, lang)
            areas = " + ".join(format_number(a, lang, digits=1) for a in member.get("pieces_km2") or [])
            # the pieces' areas are those of the unit's approximate territory: estimates
            rows.append(f"<tr>{head}<td>{_e(name)} ({_e(code)})</td><td class='num est'>{_e(areas)}</td>"
                        f"<td>{_e(_member_why(member, lang))}</td></tr>")
    intro = t("report.land.split_intro", lang, n=len(split))
    header = [t("field.new_unit", lang), t("report.land.pieces", lang), t("report.land.member", lang),
              t("report.land.member_pieces", lang), t("report.land.why", lang)]
    return f"<p>{_e(intro)}</p>" + _table(header, rows)


def _land_notes_block(files: ResultFiles, lang: str) -> str:
    """Under the maps: raion land held by no unit and new units drawn in several pieces, from
    the package's ``territory_notes.json`` ("" when the package has no notes or nothing to say)."""
    notes = files.territory_notes or {}
    pieces = notes.get("unplaced_pieces") or []
    split = notes.get("split_new_units") or []
    if not pieces and not split:
        return ""
    area = float(notes.get("unplaced_area_km2", sum(float(p["area_km2"]) for p in pieces)))
    return (
        f"<section class='land-notes'><h3>{_e(t('report.land.title', lang))}</h3>"
        + (_unplaced_table(pieces, area, lang) if pieces else "")
        + (_split_table(split, files, lang) if split else "")
        + "</section>"
    )

