"""What the key figures share with the KPI code: why a figure is an estimate
(:func:`estimate_notes`), the order of the exemption rules (:data:`EXEMPT_RULE_ORDER`) and the
dotted keys of a nested ``kpis.json`` (:func:`flatten_mapping`, re-exported by
:mod:`.package_files`).

Plain Python, apart from the KPI computation (:mod:`.kpis`, :mod:`.extra_kpis`, which use them
too): :mod:`.key_figures` reads them to print a result's headline, and the reuse check of
``atr-model run`` prints that headline without pandas or the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["EXEMPT_RULE_ORDER", "estimate_notes", "flatten_mapping"]

#: The exemption rules in the order the criteria test them (:mod:`atr_model.criteria.exemptions`);
#: a unit's *first* rule is the one it is counted and drawn under.
EXEMPT_RULE_ORDER = ("high_mountain", "remote", "hard_to_reach", "border", "manual", "other")


def estimate_notes(kpis: Mapping[str, Any]) -> dict[str, str]:
    """Why a result's figures are estimates, by kind (``travel``, ``population``, ``savings``;
    empty text when that kind rests on measured inputs): the one wording of the estimate basis
    (:func:`atr_model.scenarios.kpis.kpi_estimate_basis`, :func:`atr_model.scenarios.key_figures.key_figures`)."""
    share = kpis.get("estimated_share")
    share = share if isinstance(share, Mapping) else {}
    pop_share = float(share.get("population") or 0.0)
    connectors = float(share.get("modelled_connectors") or 0.0)
    savings = kpis.get("admin_savings")
    travel = ""
    if float(share.get("travel_times_modelled") or 0.0):
        travel = "modelled travel times (no road network)"
    elif connectors > 0:
        travel = f"modelled connectors ({100.0 * connectors:.1f}% of settlements off the mapped roads)"
    return {
        "travel": travel,
        "population": f"estimated populations ({100.0 * pop_share:.1f}% of residents)" if pop_share > 0 else "",
        "savings": "assumed unit costs (editable cost model)"
        if not isinstance(savings, Mapping) or savings.get("is_estimate", True) else "",
    }


def flatten_mapping(mapping: Mapping[str, object], prefix: str = "") -> dict[str, Any]:
    """Flatten nested dicts to dotted keys (``{"a": {"b": 1}} -> {"a.b": 1}``), keys sorted.

    Parameters
    ----------
    mapping : dict
        Nested mapping (for example ``kpis.json``).
    prefix : str, optional
        Prefix for every key.

    Returns
    -------
    dict
        Flat mapping; lists are kept as values.
    """
    flat: dict[str, Any] = {}
    for key in sorted(mapping, key=str):
        value = mapping[key]
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten_mapping(value, prefix=f"{name}."))
        else:
            flat[name] = value
    return flat
