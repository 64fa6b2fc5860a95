"""Kyrgyz build, the build report: what each stage did, for people and for ``data info``.

:class:`BuildReport` collects counts, village match methods, population and centre sources,
territory methods, unlocated villages and timing; :func:`fill_report` reads them off the
assembled dataset. The report is written next to the dataset as ``build_report.md``/``.json``;
its population estimator section is written by :mod:`atr_model.data.kyrgyz.estimator_report`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from atr_model.data._markdown import markdown_table
from atr_model.data.borders import CUT_OFF_KINDS
from atr_model.data.dataset import Dataset
from atr_model.data.kyrgyz.estimator_report import estimator_markdown

__all__ = ["BuildReport", "fill_report", "match_method_counts"]

#: The matcher's outcome as written in ``location_method``: "name match (<method>): <place id>"
#: where <method> may hold spaces ("exact cross-raion"), or "official point".
_METHOD_PATTERN = r"^(?:name match \(([^)]+)\)|(official point))"


@dataclass
class BuildReport:
    """What a build did: counts, match methods, population sources, unmatched villages, timing."""

    build_id: str = ""
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    villages_total: int = 0
    villages_located: int = 0
    match_methods: dict[str, int] = field(default_factory=dict)
    unmatched: list[dict[str, Any]] = field(default_factory=list)
    centre_sources: dict[str, int] = field(default_factory=dict)
    geometry_sources: dict[str, int] = field(default_factory=dict)
    population_sources: dict[str, int] = field(default_factory=dict)
    population_real_units: int = 0
    population_estimated_units: int = 0
    raion_centre_sources: dict[str, int] = field(default_factory=dict)
    population_estimator: dict[str, Any] = field(default_factory=dict)
    territories: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    census_units: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def located_share(self) -> float:
        """Share of COATE villages located by a name match (0..1)."""
        return self.villages_located / self.villages_total if self.villages_total else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        out = asdict(self)
        out["located_share"] = round(self.located_share, 4)
        return out

    def to_markdown(self) -> str:
        """Human-readable report."""
        lines = [
            "# Kyrgyz dataset build report",
            "",
            f"- build id: `{self.build_id}`",
            f"- build time: {self.seconds:.1f} s",
            *[f"- {k}: {v}" for k, v in self.counts.items()],
            "",
            *(["## Warnings", "", *[f"- {w}" for w in self.warnings], ""] if self.warnings else []),
            "## Villages",
            "",
            f"Located {self.villages_located} of {self.villages_total} COATE villages "
            f"({100 * self.located_share:.1f} %) by name matching within their raion.",
            "",
            "| method | villages |",
            "|---|---|",
            *[f"| {k} | {v} |" for k, v in sorted(self.match_methods.items())],
            "",
            "## Population",
            "",
            f"Units with a real figure: {self.population_real_units}; "
            f"with a labelled estimate: {self.population_estimated_units}.",
            "",
            "| source | units |",
            "|---|---|",
            *[f"| {k} | {v} |" for k, v in sorted(self.population_sources.items())],
            "",
            *(estimator_markdown(self.population_estimator) if self.population_estimator else []),
            "## Unit centres",
            "",
            *[f"- {k}: {v}" for k, v in sorted(self.centre_sources.items())],
            "",
            "## Territories",
            "",
            *[f"- {k}: {v}" for k, v in sorted(self.geometry_sources.items())],
            "",
            *self._territory_lines(),
            "## Raion centres",
            "",
            *[f"- {k}: {v}" for k, v in sorted(self.raion_centre_sources.items())],
            "",
            "## Notes",
            "",
            *[f"- {n}" for n in self.notes],
            "",
            "## Unlocated villages",
            "",
            "| settlement_code | name_ru | unit | reason | candidates |",
            "|---|---|---|---|---|",
            *[
                f"| {u['settlement_code']} | {u['name_ru']} | {u['unit_name']} | {u['reason']} | {u['candidates']} |"
                for u in self.unmatched
            ],
        ]
        return "\n".join(lines) + "\n"

    def _raion_piece_lines(self) -> list[str]:
        """The pieces of the raions drawn in several pieces, and what became of each."""
        pieces = self.territories.get("raion_pieces") or []
        if not pieces:
            return []
        return [
            "",
            "Raions drawn in several pieces (OCHA polygons). A detached piece with no settlement and no "
            "unit centre is held by no unit: the open data does not say which aiyl aimak holds it, so it "
            "stays unplaced raion land (inside the raion's outline, outside every unit's territory and "
            f"area_km2); one smaller than {self.territories.get('min_detached_piece_km2', 0):g} km2 may be "
            "a digitisation sliver. Unplaced: "
            f"{self.territories.get('unplaced_raion_pieces', 0)} pieces, "
            f"{self.territories.get('unplaced_raion_land_km2', 0):g} km2.",
            "",
            *markdown_table(
                ["raion", "piece", "area (km2)", "seed points", "units", "touches raions", "point inside (lon, lat)"],
                ([p["raion_code"], "largest" if p["largest"] else "detached", f"{p['area_km2']:g}", p["seed_points"],
                  _holders(p), ", ".join(p.get("touches_raions", [])) or "-", f"{p['lon']:.4f}, {p['lat']:.4f}"]
                 for p in pieces),
            ),
        ]

    def _territory_lines(self) -> list[str]:
        """The territory method against Voronoi cells: pieces and neighbours."""
        t = self.territories
        if not t:
            return []
        lines = [
            f"Method: {t['method']} (built in {t.get('seconds', 0):.1f} s). Compared with Voronoi cells of the "
            "same seed points:",
            "",
            "| | Voronoi | this build |",
            "|---|---|---|",
            f"| units in several pieces | {t['units_multipart_voronoi']} | {t['units_multipart_total']} |",
            f"| adjacent pairs (border >= {t['min_shared_border_m']:g} m) | {t['adjacent_pairs_voronoi']} | "
            f"{t['adjacent_pairs']} |",
            "",
            f"Units split by the allocation itself (in several pieces, yet neither listed exclaves nor "
            f"raion exclaves): {t['units_multipart']}.",
            f"Raion exclaves, units in several pieces because their raion's polygon is (each piece of "
            f"the unit lies in another piece of the raion): {t.get('units_multipart_raion_exclave', 0)}"
            + ("." if not t.get("raion_exclave_units") else ":"),
            "",
            *[f"- {u['unit_code']} {u['name_ru']}: pieces of {', '.join(f'{a:g}' for a in u['pieces_km2'])} km2"
              + "".join(_cut_off_text(p) for p in u.get("detached_pieces", []))
              for u in t.get("raion_exclave_units", [])],
            *self._raion_piece_lines(),
            f"Listed exclaves: {', '.join(t['listed_exclaves']) or 'none'}.",
            f"Units without a seed cell of their own (given the free cell nearest their centre): "
            f"{', '.join(t['no_seed_cell']) or 'none'}.",
            "",
            f"Neighbour pairs added ({len(t['pairs_added'])}) and removed ({len(t['pairs_removed'])}) "
            "against Voronoi cells:",
            "",
            "| change | unit_a | unit_b | shared border (m) |",
            "|---|---|---|---|",
            *[f"| added | {a} | {b} | {m:.0f} |" for a, b, m in t["pairs_added"]],
            *[f"| removed | {a} | {b} | {m:.0f} |" for a, b, m in t["pairs_removed"]],
            "",
            *[f"- {n}" for n in t.get("notes", [])],
        ]
        return lines


def _cut_off_text(piece: dict[str, Any]) -> str:
    """What cuts off the detached raion piece a raion exclave holds, as a clause of its report line."""
    if "cut_off_by" not in piece:
        return ""
    return (f"; its raion's detached piece of {piece['area_km2']:g} km2 ({piece['seed_points']} settlement or "
            f"centre points) is cut off from the rest of the raion: {CUT_OFF_KINDS[piece['cut_off_by']]} "
            f"(gap {piece['gap_km']:g} km, {piece['gap_outside_raions_km']:g} km of it outside every raion)")


def _holders(piece: dict[str, Any]) -> str:
    """Who holds a raion piece, for the report's table (a count past four units)."""
    if piece["unplaced"]:
        return "unplaced (sliver?)" if piece["sliver"] else "unplaced (holder not known)"
    units = piece["units"]
    return ", ".join(units) if len(units) <= 4 else f"{len(units)} units"


def match_method_counts(location_method: pd.Series) -> dict[str, int]:
    """Villages per location method: the match method ("exact", "exact cross-raion", ...),
    "official point", or "not located" (one row per method, not per matched place)."""
    methods = location_method.astype(str).str.extract(_METHOD_PATTERN)
    labels = methods[0].fillna(methods[1]).fillna("not located")
    return {str(k): int(v) for k, v in labels.value_counts().sort_index().items()}


def _counts(values: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in values.value_counts().sort_index().items()}


def fill_report(report: BuildReport, dataset: Dataset) -> None:
    """Fill the report's counts and tables from the assembled dataset (in place)."""
    units, settl, raions = dataset.units, dataset.settlements, dataset.raions
    villages = settl.loc[settl["settlement_kind"] == "village"]
    report.counts = {
        "oblasts (incl. Bishkek and Osh)": len(dataset.oblasts),
        "raions": int((raions["kind"] == "raion").sum()),
        "cities (raion level)": int((raions["kind"] == "city").sum()),
        "aiyl aimaks": int((units["level"] == "aiyl_aimak").sum()),
        "towns": int((units["level"] == "town").sum()),
        "settlements": len(settl),
    }
    report.villages_total = len(villages)
    report.villages_located = int(villages["is_located"].sum())
    report.match_methods = match_method_counts(villages["location_method"])
    names = units.set_index("unit_code")["name_ru"]
    unl = villages.loc[~villages["is_located"]]
    report.unmatched = [
        {"settlement_code": r.settlement_code, "name_ru": r.name_ru, "unit_name": names.get(r.unit_code, ""),
         "reason": str(r.location_method).split("not located: ")[-1].rstrip(")"), "candidates": 0}
        for r in unl.itertuples()
    ]
    report.centre_sources = _counts(units["centre_source"])
    report.geometry_sources = _counts(units["geometry_source"])
    report.population_sources = _counts(units["population_source"])
    report.population_estimated_units = int(units["population_is_estimate"].sum())
    report.population_real_units = len(units) - report.population_estimated_units
    report.raion_centre_sources = _counts(raions["centre_source"])
    report.notes.append(
        "Unit populations: real figures keep their own year (2021, or 2009 where only the census "
        "figure exists); estimates are for 2021.")
