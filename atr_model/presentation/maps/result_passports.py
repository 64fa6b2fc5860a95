"""Presentation: what a result map says about its units: new-unit passports, tooltips and popups.

New units are named as :func:`atr_model.presentation.view.new_unit_names` names them ("Dostuk
+ 2"), the id secondary. Tooltips and popups are HTML: names in them are escaped. Estimated
figures carry their mark ("≈ … (estimate)"): populations flagged as estimates, areas of
approximate territories and travel times of a modelled travel network.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import pandas as pd

from atr_model.presentation.i18n import estimate_note, format_minutes, format_number, status_label, t
from atr_model.presentation.maps.base import exclave_rows
from atr_model.presentation.maps.display import DisplayLayers
from atr_model.presentation.maps.elements import popup_table, records, text
from atr_model.presentation.messages import render_reason
from atr_model.presentation.view import format_area

__all__ = ["new_unit_passports", "passport_rows", "unit_table"]

logger = logging.getLogger(__name__)


def new_unit_passports(
    assignments: pd.DataFrame,
    new_units: pd.DataFrame | None,
    names: Mapping[str, str],
    new_names: Mapping[str, str],
    approximate: Mapping[str, bool],
    travel_modelled: bool,
) -> dict[str, dict[str, Any]]:
    """Passport per new unit id (from the result's new_units table, else from assignments),
    with its display name in the map's language and the estimate flags of area and travel."""
    out: dict[str, dict[str, Any]] = {}
    if new_units is not None and len(new_units):
        for record in records(new_units):
            out[str(record["new_unit_id"])] = dict(record)
    groups = {str(uid): g for uid, g in assignments.groupby("new_unit_id", sort=True)}
    for uid, group in groups.items():
        members = sorted(group["unit_code"].astype(str))
        passport = out.setdefault(uid, {"new_unit_id": uid})
        if not passport.get("centre_code"):
            passport["centre_code"] = str(group["centre_code"].iloc[0])
        if "population" not in passport and "population" in group:
            passport["population"] = float(group["population"].sum())
            est = group.get("population_is_estimate", pd.Series(False, index=group.index)).astype(bool)
            passport["population_has_estimates"] = bool(est.any())
        centre = str(passport["centre_code"])
        passport["members_list"] = members
        passport["n_members"] = len(members)
        passport["centre_name"] = names.get(centre, text(passport.get("centre_name")) or centre)
        passport["members_text"] = ", ".join(names.get(m, m) for m in members)
        passport["display_name"] = new_names.get(uid, uid)
        passport["area_is_estimate"] = any(approximate.get(m, False) for m in members)
        flags = group.get("travel_time_is_modelled", pd.Series(False, index=group.index)).fillna(False).astype(bool)
        passport["travel_is_modelled"] = travel_modelled or bool(flags.any())
    return out


def passport_rows(passport: Mapping[str, Any], lang: str, *, short: bool = False) -> list[tuple[str, str]]:
    """Passport lines; ``short`` for the hover tooltip."""
    has_est = bool(passport.get("population_has_estimates", False))
    modelled = bool(passport.get("travel_is_modelled", False))
    rows = [
        (t("field.centre", lang), text(passport.get("centre_name") or passport.get("centre_code"))),
        (t("field.population", lang), format_number(passport.get("population"), lang, is_estimate=has_est)),
        (
            t("field.area", lang),
            format_area(passport.get("area_km2"), lang, is_estimate=bool(passport.get("area_is_estimate"))),
        ),
        (t("field.travel_mean", lang), format_minutes(passport.get("travel_time_mean_min"), lang, is_modelled=modelled)),
        (t("field.travel_max", lang), format_minutes(passport.get("travel_time_max_min"), lang, is_modelled=modelled)),
    ]
    if short:
        return [(t("field.members", lang), str(passport.get("n_members", ""))), *rows, *passport.get("extra_rows", ())]
    rows = [
        (t("field.new_unit", lang), text(passport.get("new_unit_id"))),
        (t("field.category", lang), text(passport.get("category_label"))),
        *rows[:1],
        (t("field.members", lang), text(passport.get("members_text"))),
        *rows[1:],
    ]
    exempt = passport.get("exempt_members")
    if isinstance(exempt, str) and exempt:
        rows.append((t("field.exempt", lang), exempt))
    estimated = passport.get("estimated_inputs")
    if isinstance(estimated, str) and estimated:
        rows.append((t("field.estimates", lang), "≈ " + estimate_note(estimated, lang)))
    if passport.get("territory_note"):
        rows.append((t("field.territory", lang), str(passport["territory_note"])))
    rows.extend(passport.get("extra_rows", ()))
    return rows


def _reason(a: Mapping[str, Any], names: Mapping[str, str], lang: str) -> str:
    """Why a unit ends where it does, in ``lang`` (:func:`~atr_model.presentation.messages.render_reason`)."""
    return render_reason(a, lang, names)


def _unit_rows(
    code: str, a: Mapping[str, Any], unit: Mapping[str, Any], names: Mapping[str, str], new_unit: str, rule: str,
    lang: str, *, modelled: bool, area_estimate: bool,
) -> list[tuple[str, str]]:
    est = bool(a.get("population_is_estimate", unit.get("population_is_estimate", False)))
    tt_modelled = modelled or bool(a.get("travel_time_is_modelled", False))
    return [
        (t("field.code", lang), code),
        (t("field.status", lang), status_label(str(a["status"]), lang)),
        (t("field.exempt_rule", lang), t(f"map.rule.{rule}", lang) if rule else ""),
        (t("field.reason", lang), _reason(a, names, lang)),
        (t("field.population", lang), format_number(a.get("population", unit.get("population")), lang, is_estimate=est)),
        (t("field.area", lang), format_area(unit.get("area_km2"), lang, is_estimate=area_estimate)),
        (t("field.new_unit", lang), new_unit),
        (t("field.centre", lang), names.get(text(a.get("centre_code")), text(a.get("centre_code")))),
        (t("field.travel_max", lang), format_minutes(a.get("travel_time_to_centre_min"), lang, is_modelled=tt_modelled)),
    ]


def _unit_frame(
    units: gpd.GeoDataFrame, codes: list[str], rows: list[dict[str, Any]]
) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry=units.loc[codes].geometry.to_numpy(), crs=units.crs, index=codes)


def unit_table(
    layers: DisplayLayers, assign: pd.DataFrame, categories: pd.DataFrame, passports: Mapping[str, Mapping[str, Any]],
    names: Mapping[str, str], approximate: Mapping[str, bool], lang: str, modelled: bool,
) -> gpd.GeoDataFrame:
    """One row per current unit: its ground class (``member`` inside a new unit of several
    units, else its category), category, tooltip, popup and new unit."""
    units = layers.units
    codes = [c for c in units.index if c in assign.index]
    missing = units.index.difference(assign.index)
    if len(missing):
        logger.warning("%d units have no assignment (e.g. %s); they are drawn without a new unit", len(missing), missing[0])
    unit_records = {str(r["unit_code"]): r for r in records(units.loc[codes])}
    exclaves = exclave_rows(layers, lang)
    rows = []
    for code in codes:
        a = assign.loc[code].to_dict()
        unit = unit_records[code]
        uid = str(a["new_unit_id"])
        passport = passports.get(uid, {})
        category, rule = str(categories.at[code, "category"]), str(categories.at[code, "exempt_rule"])
        merging = int(passport.get("n_members", 1)) > 1
        name = names.get(code, code)
        status = status_label(str(a["status"]), lang)
        tip = f"{name} — {status}: {t(f'map.rule.{rule}', lang)}" if rule else f"{name} — {status}"
        new_unit = f"{passport.get('display_name', uid)} ({uid})" if passport.get("display_name", uid) != uid else uid
        detail = _unit_rows(code, a, unit, names, new_unit, rule, lang, modelled=modelled,
                            area_estimate=approximate.get(code, False))
        detail += exclaves.get(code, [])
        if merging:
            detail += [(t("field.new_unit", lang) + " · " + k, v) for k, v in passport_rows(passport, lang, short=True)]
        rows.append({
            "tip": tip,
            "passport": popup_table(passport_rows(passport, lang, short=True), passport["display_name"]) if merging else "",
            "popup": popup_table(detail, name),
            "ground": "member" if merging else category,
            "category": category,
            "group": uid if merging else None,
            "new_unit_id": uid,  # every unit feature names its new unit (the app looks it up)
            "rule": rule,
        })
    return _unit_frame(units, codes, rows)
