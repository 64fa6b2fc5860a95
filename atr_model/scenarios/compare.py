"""Compare two result packages: KPI deltas, units assigned differently, changed centres.

Two plans are compared as *partitions*: a unit differs when the set of units it shares a new
unit with changes. New-unit ids are labels (``R1-N2``) that may shift between plans without
anything changing on the ground, so they are never compared directly.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any, cast

import pandas as pd

from atr_model.errors import DataError
from atr_model.scenarios.key_figures import FIGURE_KEYS, key_figures
from atr_model.scenarios.package_files import ResultFiles, ResultSource, as_result_files

__all__ = ["Comparison", "compare_results", "figure_deltas"]

logger = logging.getLogger(__name__)

def _figure_values(kpis: dict[str, Any]) -> dict[str, float]:
    """Key figure -> value (NaN when the result lacks it), over every key figure."""
    return {f.key: (float("nan") if f.value is None else f.value) for f in key_figures(kpis, keep_missing=True)}


@dataclass(frozen=True)
class Comparison:
    """The differences between plan A and plan B.

    Attributes
    ----------
    name_a, name_b : str
        Scenario names.
    kpis : pandas.DataFrame
        The key figures of both plans: columns ``kpi, a, b, delta`` (``b - a``; NaN when a side
        lacks the figure), in display order; ``population_floor`` says what each plan's
        "below the floor" counts refer to.
    changed_units : pandas.DataFrame
        One row per unit whose co-members differ: ``unit_code, unit_name, raion_code,
        new_unit_id_a, new_unit_id_b, centre_a, centre_b, joined, left`` where ``joined`` /
        ``left`` list (";"-joined) the units that share its new unit only in B / only in A.
        Units present in only one plan appear with an empty id on the other side.
    changed_centres : pandas.DataFrame
        New units with the same members in both plans but a different centre:
        ``members, new_unit_id_a, new_unit_id_b, centre_a, centre_b``.
    n_units : int
        Units compared (union of both plans).
    """

    name_a: str
    name_b: str
    kpis: pd.DataFrame
    changed_units: pd.DataFrame
    changed_centres: pd.DataFrame
    n_units: int

    @property
    def identical(self) -> bool:
        """True when both plans group the units the same way with the same centres."""
        return self.changed_units.empty and self.changed_centres.empty

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (NaN becomes ``None``)."""

        def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            out = []
            for rec in frame.to_dict(orient="records"):
                out.append({str(k): (None if isinstance(v, float) and math.isnan(v) else v) for k, v in rec.items()})
            return out

        return {
            "a": self.name_a,
            "b": self.name_b,
            "n_units": self.n_units,
            "n_changed_units": int(len(self.changed_units)),
            "n_changed_centres": int(len(self.changed_centres)),
            "kpis": _records(self.kpis),
            "changed_units": _records(self.changed_units),
            "changed_centres": _records(self.changed_centres),
        }


def figure_deltas(kpis_a: dict[str, Any], kpis_b: dict[str, Any]) -> pd.DataFrame:
    """The key figures of two results (:func:`~atr_model.scenarios.key_figures.key_figures`), in
    display order, as ``kpi, a, b, delta`` (``delta = b - a``); figures neither has are left out.

    Compare's table, and the plan check's (an uploaded plan against the optimum).
    """
    ka, kb = _figure_values(kpis_a), _figure_values(kpis_b)
    rows = [
        {"kpi": k, "a": ka[k], "b": kb[k], "delta": kb[k] - ka[k]}
        for k in FIGURE_KEYS
        if not (math.isnan(ka[k]) and math.isnan(kb[k]))
        and not (k.startswith("exempt_by_reason.") and not ka[k] and not kb[k])
    ]
    return cast("pd.DataFrame", pd.DataFrame(rows, columns=["kpi", "a", "b", "delta"]))


def compare_results(a: ResultSource, b: ResultSource) -> Comparison:
    """Compare two plans.

    Parameters
    ----------
    a, b : ResultFiles, path-like, ResultPackage or ScenarioResult
        Result folders, read packages or in-memory runs (see
        :func:`atr_model.scenarios.package_files.as_result_files`).

    Returns
    -------
    Comparison

    Raises
    ------
    DataError
        When the plans share no unit (for example a raion-level and an aiyl-aimak-level run).
    """
    return _compare(as_result_files(a), as_result_files(b))


def _compare(a: ResultFiles, b: ResultFiles) -> Comparison:
    codes_a, codes_b = set(a.assignments["unit_code"]), set(b.assignments["unit_code"])
    if not codes_a & codes_b:
        raise DataError(
            f"{a.path} and {b.path}: the two results share no unit code; "
            "they cannot be compared (different level or dataset?)"
        )
    if codes_a != codes_b:
        logger.warning(
            "%d unit(s) only in %s, %d only in %s", len(codes_a - codes_b), a.name, len(codes_b - codes_a), b.name
        )
    mem_a, mem_b = a.members(), b.members()
    info = pd.concat([b.assignments, a.assignments]).drop_duplicates("unit_code").set_index("unit_code")
    ids_a = dict(zip(a.assignments["unit_code"], a.assignments["new_unit_id"]))
    ids_b = dict(zip(b.assignments["unit_code"], b.assignments["new_unit_id"]))
    cen_a = dict(zip(a.assignments["unit_code"], a.assignments["centre_code"]))
    cen_b = dict(zip(b.assignments["unit_code"], b.assignments["centre_code"]))
    rows = []
    for code in sorted(codes_a | codes_b):
        ma, mb = mem_a.get(code, frozenset()), mem_b.get(code, frozenset())
        if ma == mb:
            continue
        rows.append(
            {
                "unit_code": code,
                "unit_name": str(info.loc[code, "unit_name"]),
                "raion_code": str(info.loc[code, "raion_code"]),
                "new_unit_id_a": ids_a.get(code, ""),
                "new_unit_id_b": ids_b.get(code, ""),
                "centre_a": cen_a.get(code, ""),
                "centre_b": cen_b.get(code, ""),
                "joined": ";".join(sorted(mb - ma - {code})),
                "left": ";".join(sorted(ma - mb - {code})),
            }
        )
    changed_units = pd.DataFrame(
        rows,
        columns=["unit_code", "unit_name", "raion_code", "new_unit_id_a", "new_unit_id_b",
                 "centre_a", "centre_b", "joined", "left"],
    )
    centre_rows = []
    blocks_a: dict[frozenset[str], str] = {}
    for code in sorted(codes_a & codes_b):
        if mem_a[code] == mem_b[code]:
            blocks_a.setdefault(mem_a[code], code)
    for members, code in sorted(blocks_a.items(), key=lambda kv: kv[1]):
        if cen_a[code] != cen_b[code]:
            centre_rows.append(
                {
                    "members": ";".join(sorted(members)),
                    "new_unit_id_a": ids_a[code],
                    "new_unit_id_b": ids_b[code],
                    "centre_a": cen_a[code],
                    "centre_b": cen_b[code],
                }
            )
    changed_centres = pd.DataFrame(
        centre_rows, columns=["members", "new_unit_id_a", "new_unit_id_b", "centre_a", "centre_b"]
    )
    return Comparison(
        name_a=a.name,
        name_b=b.name,
        kpis=figure_deltas(a.kpis, b.kpis),
        changed_units=changed_units,
        changed_centres=changed_centres,
        n_units=len(codes_a | codes_b),
    )
