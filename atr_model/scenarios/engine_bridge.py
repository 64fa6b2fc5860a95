"""From criteria and solver options to the engine's :class:`EngineSettings`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from atr_model.criteria.model import Criteria

if TYPE_CHECKING:
    from atr_model.optimisation import EngineSettings

__all__ = ["engine_settings"]


def _option(solver_options: Any, name: str, default: Any) -> Any:
    if solver_options is None:
        return default
    if isinstance(solver_options, Mapping):
        return solver_options.get(name, default)
    return getattr(solver_options, name, default)


def engine_settings(criteria: Criteria, solver_options: Any = None) -> EngineSettings:
    """Engine settings encoding the criteria and the solver options.

    Parameters
    ----------
    criteria : Criteria
        The scenario's criteria.
    solver_options : SolverOptions or mapping, optional
        ``name``, ``time_limit_s``, ``gap_rel``, ``threads``, ``contiguity``, ``warm_start``; defaults as in
        :class:`~atr_model.scenarios.SolverOptions`.

    Returns
    -------
    EngineSettings
        Always with ``exempt_mode="no_floor"``: use it with an instance from
        :func:`~atr_model.scenarios.build_instance`, which turns ``exemptions.mode == "keep"``
        into ``keep_separate`` locks.
    """
    from atr_model.optimisation import EngineSettings

    floor = criteria.population_floor or None
    return EngineSettings(
        population_floor=floor,
        floor_mode=criteria.floor_mode,
        population_cap=criteria.population_cap,
        cap_mode=criteria.cap_mode,
        slack_penalty_per_person=criteria.slack_penalty_per_person,
        admin_cost_per_unit=criteria.admin_cost_per_unit,
        # build_instance encodes exemptions.mode == "keep" as keep_separate (a hosting town is
        # exempt from the floor yet may receive aiyl aimaks), so the engine never keeps exempt
        # units alone by itself.
        exempt_mode="no_floor",
        max_travel_time_min=criteria.max_travel_time_min,
        n_units=criteria.n_units,
        indicator_floor=criteria.economic_base.floor,
        solver=_option(solver_options, "name", "highs"),
        time_limit_s=float(_option(solver_options, "time_limit_s", 60.0)),
        gap_rel=float(_option(solver_options, "gap_rel", 0.0)),
        threads=int(_option(solver_options, "threads", 1)),
        contiguity=_option(solver_options, "contiguity", "auto"),
        warm_start=bool(_option(solver_options, "warm_start", False)),
    )
