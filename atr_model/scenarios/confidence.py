"""Scenario layer: the confidence of each proposed merger, read from a robustness package.

A robustness package (:func:`atr_model.scenarios.robustness.write_robustness`) holds the
nominal plan's result package in ``nominal/`` beside ``new_unit_stability.csv``, whose
``share_exact`` is the share of draws in which a nominal new unit appears exactly (same
members). That share is a merger's *confidence*: every surface that shows it (the Council
summary, the report's passports, their maps) reads it here, through :func:`merger_confidence`.

A share applies to a result only when the result *is* the package's nominal plan: the result
folder is the package's ``nominal/``, or a robustness package given explicitly whose nominal
plan assigns every unit to the same new unit with the same centre (the app's robustness run
of the scenario on screen). A package of another plan gives nothing rather than shares of
other new units.
"""

from __future__ import annotations

import json
import logging
import math
import os
from pathlib import Path
from typing import cast

import pandas as pd

from atr_model.scenarios.cells import read_tool_csv

__all__ = ["STABILITY_TABLE", "merger_confidence", "robustness_draws", "robustness_package_of"]

logger = logging.getLogger(__name__)

#: The robustness package's table of nominal new units (``share_exact`` per ``new_unit_id``).
STABILITY_TABLE = "new_unit_stability.csv"

#: The nominal plan's result package inside a robustness package.
NOMINAL = "nominal"

_PLAN_COLUMNS = ["unit_code", "new_unit_id", "centre_code"]


def _plan(folder: Path) -> pd.DataFrame | None:
    """``unit_code, new_unit_id, centre_code`` of a result package, sorted (None when unreadable)."""
    path = folder / "assignments.csv"
    try:
        frame = read_tool_csv(path, dtype=str, keep_default_na=False, usecols=_PLAN_COLUMNS)
    except (OSError, ValueError) as exc:
        logger.warning("merger confidence: cannot read %s: %s", path, exc)
        return None
    return cast("pd.DataFrame", frame[_PLAN_COLUMNS].sort_values("unit_code", kind="stable").reset_index(drop=True))


def robustness_package_of(
    result_folder: str | os.PathLike[str], robustness: str | os.PathLike[str] | None = None
) -> Path | None:
    """The robustness package whose nominal plan is the result in ``result_folder``.

    Parameters
    ----------
    result_folder : path-like
        A result package folder.
    robustness : path-like, optional
        A robustness package to use. Without it, the package the result sits in (a result
        folder named ``nominal`` beside ``new_unit_stability.csv``).

    Returns
    -------
    pathlib.Path or None
        The package folder; None when there is none, or when the given package's nominal plan
        is not the result's plan (another scenario or dataset: its shares are of other units).
    """
    result = Path(result_folder)
    if robustness is None:
        parent = result.parent
        if result.name == NOMINAL and (parent / STABILITY_TABLE).is_file():
            return parent
        return None
    package = Path(robustness)
    if not (package / STABILITY_TABLE).is_file():
        logger.warning("merger confidence: %s has no %s (not a robustness package)", package, STABILITY_TABLE)
        return None
    if result.resolve() == (package / NOMINAL).resolve():
        return package
    mine, nominal = _plan(result), _plan(package / NOMINAL)
    if mine is None or nominal is None or not mine.equals(nominal):
        logger.info("merger confidence: the robustness package %s is of another plan than %s", package, result)
        return None
    return package


def merger_confidence(
    result_folder: str | os.PathLike[str], robustness: str | os.PathLike[str] | None = None
) -> dict[str, float] | None:
    """Each proposed merger's confidence: the share of draws in which its new unit appears exactly.

    Parameters
    ----------
    result_folder : path-like
        A result package folder.
    robustness : path-like, optional
        The robustness package to read (see :func:`robustness_package_of`); by default the
        one the result belongs to (``<package>/nominal``).

    Returns
    -------
    dict or None
        New unit id -> ``share_exact`` (0 to 1, an estimate: it follows from assumed spreads)
        for every new unit of several units with a share (none when no draw gave a plan);
        None when no robustness package belongs to the result.

    Raises
    ------
    ValueError
        When the package's ``new_unit_stability.csv`` lacks ``new_unit_id``, ``n_members`` or
        ``share_exact`` (the file named).

    Examples
    --------
    >>> merger_confidence("results/demo") is None  # a plain run has no robustness package
    True
    """
    package = robustness_package_of(result_folder, robustness)
    if package is None:
        return None
    path = package / STABILITY_TABLE
    table = read_tool_csv(path, dtype={"new_unit_id": str})
    missing = sorted({"new_unit_id", "n_members", "share_exact"} - set(table.columns))
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
    shares = pd.to_numeric(table["share_exact"], errors="coerce")
    merged = pd.to_numeric(table["n_members"], errors="coerce") > 1
    return {
        str(uid): float(share)
        for uid, share, is_merger in zip(table["new_unit_id"], shares, merged)
        if is_merger and math.isfinite(share)
    }


def robustness_draws(package: str | os.PathLike[str]) -> int | None:
    """The number of draws that gave a plan in a robustness package (``robustness.json``; None unreadable)."""
    path = Path(package) / "robustness.json"
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        return int(meta["summary"]["draws_with_plan"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("robustness draws: cannot read %s: %s", path, exc)
        return None
