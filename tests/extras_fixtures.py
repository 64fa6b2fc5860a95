"""Hand-built result packages for the report/compare/export tests (fictional grid territory).

A 3 x 4 grid of square units (0.1 degree, placed in an empty box so nobody mistakes it for real
data); columns 0-1 form raion R1, columns 2-3 raion R2. ``write_package`` turns a partition
(unit -> centre unit) into a complete folder in the agreed result-package format.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import yaml
from shapely.geometry import box
from shapely.ops import unary_union

ROWS, COLS = 3, 4
FLOOR = 5000.0


def unit_code(r: int, c: int) -> str:
    return f"U{r}{c}"


def grid_units() -> gpd.GeoDataFrame:
    rows = []
    for r in range(ROWS):
        for c in range(COLS):
            rows.append(
                {
                    "unit_code": unit_code(r, c),
                    "unit_name": f"Demo unit {r}-{c}",
                    "raion_code": "R1" if c < 2 else "R2",
                    "oblast_code": "O1",
                    # populations chosen so some units sit below the 5,000 floor
                    "population": float(1500 + 900 * r + 1300 * c),
                    "population_is_estimate": (r, c) == (2, 3),
                    "geometry": box(74 + 0.1 * c, 41 + 0.1 * r, 74 + 0.1 * (c + 1), 41 + 0.1 * (r + 1)),
                }
            )
    return gpd.GeoDataFrame(rows, crs="EPSG:4326")


def identity_partition() -> dict[str, str]:
    return {unit_code(r, c): unit_code(r, c) for r in range(ROWS) for c in range(COLS)}


def merged_partition() -> dict[str, str]:
    """Columns paired within each raion, centre in the right column (eastern unit)."""
    part = {}
    for r in range(ROWS):
        for c in range(COLS):
            centre_col = 1 if c < 2 else 3
            part[unit_code(r, c)] = unit_code(r, centre_col)
    return part


def write_package(
    folder: Path,
    partition: dict[str, str],
    *,
    name: str = "fixture",
    exempt: dict[str, str] | None = None,
    floor: float = FLOOR,
) -> Path:
    """Write a result package for ``partition`` (unit code -> centre unit code) into ``folder``."""
    exempt = exempt or {}
    units = grid_units().set_index("unit_code")
    folder.mkdir(parents=True, exist_ok=True)
    centres = sorted(set(partition.values()))
    ids: dict[str, str] = {}
    for raion in sorted(units["raion_code"].unique()):
        mine = [c for c in centres if units.loc[c, "raion_code"] == raion]
        for k, c in enumerate(mine, start=1):
            ids[c] = f"{raion}-N{k}"
    rows = []
    for code in units.index:
        centre = partition[code]
        members = [u for u, ce in partition.items() if ce == centre]
        if code in exempt:
            status = "kept_exempt"
            reason = f"kept: exempt ({exempt[code]})"
        elif len(members) == 1:
            status = "kept" if units.loc[code, "population"] >= floor else "below_floor_no_partner"
            reason = f"kept: population {units.loc[code, 'population']:,.0f}"
        elif code == centre:
            status, reason = "centre", "centre of the new unit"
        else:
            status, reason = "merged", f"merged into {ids[centre]} with centre {centre}"
        r, c = int(code[1]), int(code[2])
        rc, cc = int(centre[1]), int(centre[2])
        rows.append(
            {
                "unit_code": code,
                "unit_name": units.loc[code, "unit_name"],
                "raion_code": units.loc[code, "raion_code"],
                "new_unit_id": ids[centre],
                "centre_code": centre,
                "status": status,
                "reason": reason,
                "population": units.loc[code, "population"],
                "population_is_estimate": bool(units.loc[code, "population_is_estimate"]),
                "exempt": code in exempt,
                "exempt_reason": exempt.get(code, ""),
                "travel_time_to_centre_min": 12.0 * (abs(r - rc) + abs(c - cc)) + 5.0,
                "travel_time_is_modelled": True,
            }
        )
    assignments = pd.DataFrame(rows)
    assignments.to_csv(folder / "assignments.csv", index=False)
    new_rows = []
    for centre in centres:
        part = assignments[assignments["centre_code"] == centre]
        geom = unary_union([units.loc[u, "geometry"] for u in part["unit_code"]])
        pop = float(part["population"].sum())
        new_rows.append(
            {
                "new_unit_id": ids[centre],
                "centre_code": centre,
                "centre_name": units.loc[centre, "unit_name"],
                "raion_code": units.loc[centre, "raion_code"],
                "oblast_code": "O1",
                "members": ";".join(sorted(part["unit_code"])),
                "n_members": len(part),
                "population": pop,
                "population_has_estimates": bool(part["population_is_estimate"].any()),
                "area_km2": 100.0 * len(part),
                "travel_time_mean_min": float(
                    (part["travel_time_to_centre_min"] * part["population"]).sum() / pop
                ),
                "travel_time_max_min": float(part["travel_time_to_centre_min"].max()),
                "exempt_members": ";".join(sorted(u for u in part["unit_code"] if u in exempt)),
                "below_floor": pop < floor and not all(u in exempt for u in part["unit_code"]),
                "estimated_inputs": "population" if part["population_is_estimate"].any() else "",
                "geometry": geom,
            }
        )
    new_units = gpd.GeoDataFrame(new_rows, crs="EPSG:4326").sort_values("new_unit_id")
    new_units.to_file(folder / "new_units.gpkg", layer="new_units", driver="GPKG", engine="pyogrio")
    settlements = assignments[["unit_code", "new_unit_id", "centre_code", "population"]].copy()
    settlements.insert(0, "settlement_code", settlements["unit_code"] + "-S1")
    settlements.insert(1, "settlement_name", "Village " + settlements["unit_code"])
    settlements["population_is_estimate"] = assignments["population_is_estimate"]
    settlements["travel_time_to_centre_min"] = assignments["travel_time_to_centre_min"]
    settlements["is_located"] = True
    settlements.to_csv(folder / "settlements.csv", index=False)
    pops = new_units["population"]
    kpis = {
        "units_before": len(units),
        "units_after": len(new_units),
        "below_floor_before": int((units["population"] < floor).sum()),
        "below_floor_after": int(new_units["below_floor"].sum()),
        "population_weighted_mean_travel_min": float(
            (assignments["travel_time_to_centre_min"] * assignments["population"]).sum()
            / assignments["population"].sum()
        ),
        "worst_travel_min": float(assignments["travel_time_to_centre_min"].max()),
        "exempt_by_reason": {r: sum(1 for v in exempt.values() if v == r) for r in sorted(set(exempt.values()))},
        "new_unit_population": {"min": float(pops.min()), "median": float(pops.median()), "max": float(pops.max())},
        "solver": {"status": "optimal", "proven_optimal": True, "objective": 1.0, "bound": 1.0, "gap": 0.0,
                   "seconds": 0.1, "cut_rounds": 0, "contiguity_method": "cuts", "solver": "highs"},
        "estimated_share": {"population": float(
            assignments.loc[assignments["population_is_estimate"], "population"].sum()
            / assignments["population"].sum())},
        "provenance": {"dataset_kind": "demo"},
    }
    (folder / "kpis.json").write_text(json.dumps(kpis, indent=2, sort_keys=True), encoding="utf-8")
    scenario = {
        "name": name,
        "title": f"Fixture scenario {name}",
        "description": "hand-built test package",
        "dataset": "demo",
        "level": "aiyl_aimak",
        "criteria": {"population_floor": floor, "max_travel_time_min": 90.0, "nesting": "raion"},
    }
    (folder / "scenario.yaml").write_text(yaml.safe_dump(scenario, sort_keys=True), encoding="utf-8")
    provenance = {
        "scenario_name": name,
        "scenario_hash": "0" * 64,
        "dataset_name": "demo",
        "dataset_build_id": "fixture",
        "dataset_kind": "demo",
        "travel_model": "straight-line fixture",
        "package_version": "0.1.0",
        "created_utc": "2026-01-01T00:00:00Z",
        "seconds": 0.1,
    }
    (folder / "provenance.json").write_text(json.dumps(provenance, indent=2, sort_keys=True), encoding="utf-8")
    return folder
