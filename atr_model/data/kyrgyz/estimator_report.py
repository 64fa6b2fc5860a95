"""Kyrgyz build, the build report's population estimator section (``build_report.md``).

Written from the ``population_estimator`` entry the population stage records
(:func:`atr_model.data.kyrgyz.population.estimate_populations`): the method, the cross-validated
errors of both methods, the predictors and coefficients, the town factor with its leave-one-out
error, the spread written per unit and the largest changes between the methods.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from atr_model.data._markdown import markdown_table

__all__ = ["estimator_markdown"]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def _changes_table(changes: list[Mapping[str, Any]]) -> list[str]:
    """A Markdown table of :func:`~atr_model.data.population.largest_changes` rows."""
    return markdown_table(
        ["unit", "name", "before", "after", "change"],
        ([c["unit_code"], c["name"], f"{c['old']:,}", f"{c['new']:,}",
          f"{c['change']:+,}" + ("" if c["change_pct"] is None else f" ({c['change_pct']:+.0f} %)")]
         for c in changes),
    )


def _town_factor_markdown(fit: Mapping[str, Any]) -> list[str]:
    """Lines on the town factor: the rule, the regional centres left out, LOO error, changes."""
    if not fit:
        return []
    loo = fit.get("leave_one_out") or {}
    lines = [
        f"Town factor: x{fit['factor']} ({fit['rule']}; {fit['fitted_towns']} towns), x"
        f"{fit['factor_with_regional_centres']} with the regional centres. Leave-one-out error ({loo.get('on', '')}):",
        "",
        *markdown_table(
            ["town factor", "median abs. error", "log RMS", "log bias", "towns"],
            ([label, _pct(row.get("median_abs_rel_error")), row.get("log_rmse", "-"), row.get("log_bias", "-"),
              row.get("towns", "-")]
             for label, row in (("regional centres left out (used)", loo.get("after") or {}),
                                ("regional centres in the fit (former)", loo.get("before") or {}))),
        ),
    ]
    centres = fit.get("regional_centres_left_out") or []
    if centres:
        lines += ["Regional centres left out (ratio figure / aiyl aimak model prediction): " + ", ".join(
            f"{c.get('name') or c['unit_code']} x{c['ratio']}" + (f" ({c['why']})" if c.get("why") else "")
            for c in centres) + ".", ""]
    changes = fit.get("largest_changes") or {}
    if changes.get("towns"):
        lines += [
            "Towns whose estimate changed most (former town factor -> this one; "
            f"{changes.get('other_units_changed', 0)} other units of the same raions moved with them):",
            "",
            *_changes_table(changes["towns"]),
        ]
    return lines


def estimator_markdown(entry: Mapping[str, Any]) -> list[str]:
    """Markdown lines of a build report's ``population_estimator`` entry.

    Parameters
    ----------
    entry : mapping
        :meth:`~atr_model.data.population.PopulationEstimate.summary` plus ``comparison`` (method -> errors),
        ``compared_on`` and ``largest_changes`` as the Kyrgyz build records them.

    Returns
    -------
    list of str
        A section: method, cross-validated errors of both methods, predictors with their
        sources and coefficients, spread, and the largest changes between the methods.
    """
    lines = [
        "## Population estimator",
        "",
        f"Method used: **{entry.get('name', entry.get('method', '?'))}** (`{entry.get('method', '?')}`). "
        "All unit figures it gives are estimates and are labelled as such.",
        "",
    ]
    kinds = entry.get("estimate_kinds") or {}
    if kinds:
        lines += [
            f"Units: {kinds.get('real', 0)} real figures; {kinds.get('scaled', 0)} estimates scaled to a real raion "
            f"total; {kinds.get('unscaled', 0)} estimates not scaled (no real total, or one the known units nearly "
            f"exhaust; their sources say which); {kinds.get('town_figure', 0)} GeoNames town figures.",
            "",
        ]
    lines += _comparison_markdown(entry)
    lines += _model_markdown(entry)
    lines += _town_factor_markdown(entry.get("town_factor_fit") or {})
    lines += _spread_markdown(entry)
    changes = entry.get("largest_changes") or {}
    if changes.get("units"):
        lines += [
            f"Largest changes in estimated population, {changes.get('from')} -> {changes.get('to')}:",
            "",
            *_changes_table(changes["units"]),
        ]
    return lines


def _comparison_markdown(entry: Mapping[str, Any]) -> list[str]:
    """The cross-validated errors of both methods, side by side."""
    lines: list[str] = []
    comparison = entry.get("comparison") or {}
    if comparison:
        lines += [
            f"Cross-validated error ({entry.get('compared_on', 'leave one raion out')}); the log SD is the root "
            "mean square of log(estimate / real figure):",
            "",
        ]
        lines += markdown_table(
            ["method", "median abs. error", "log SD", "median abs. error, unscaled", "log SD, unscaled", "units"],
            (
                [
                    row.get("name", method) + (" (used)" if method == entry.get("method") else ""),
                    _pct(row.get("median_abs_rel_error")), row.get("log_sd", "-"),
                    _pct(row.get("median_abs_rel_error_unscaled")), row.get("log_sd_unscaled", "-"),
                    row.get("units", "-"),
                ]
                for method, row in comparison.items()
            ),
        )
    return lines


def _model_markdown(entry: Mapping[str, Any]) -> list[str]:
    """The predictors with their sources, and the fitted coefficients."""
    lines: list[str] = []
    coefficients = entry.get("coefficients") or {}
    if entry.get("predictors"):
        lines += markdown_table(
            ["predictor", "transform", "source"],
            ([f"{p['name']} ({p['description']})", p["transform"], p["source"]] for p in entry["predictors"]),
        )
    if coefficients:
        lines += [
            f"Coefficients (effect on log population per unit of the transformed predictor; ridge penalty "
            f"{entry.get('ridge_lambda')}, fitted on {entry.get('fitted_units')} aiyl aimaks; town factor "
            f"x{entry.get('town_factor')}):",
            "",
            *markdown_table(["term", "coefficient"], coefficients.items()),
        ]
    return lines


def _spread_markdown(entry: Mapping[str, Any]) -> list[str]:
    """The spread written per unit and how a scaled estimate's spread is set."""
    lines: list[str] = []
    spread = entry.get("spread_log_sd") or {}
    if spread:
        lines += [
            "Spread written per unit (`population_log_sd`, SD of the natural log; `population_p5`/`_p95` = "
            "population x exp(-/+1.645 x log SD)): " + ", ".join(f"{k} {v}" for k, v in spread.items())
            + "; a town without a figure takes the town factor's leave-one-out error in place of the aiyl "
            "aimak model's; real figures 0.",
            "",
        ]
    model = entry.get("spread_model") or {}
    if model:
        lines += [
            f"A scaled estimate's log SD is sqrt((w x f)^2 + floor^2): w = {model['within_raion_log_sd']} (error "
            f"within a raion, unscaled cross-validation), f = the share factor sqrt(1 - 2 s_i + sum s_j^2) of the "
            f"raion's estimated units, floor = {model['floor_log_sd']} (calibrated on the scaled cross-validation; "
            f"RMS of error / predicted SD there: {model['calibration_rms_z']}; share of real figures inside their "
            f"p5-p95 interval: {_pct(model.get('coverage_90'))}).",
            "",
        ]
    return lines
