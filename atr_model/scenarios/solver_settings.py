"""Scenario layer, solver settings: from criteria and solver options to the engine's
:class:`~atr_model.optimisation.EngineSettings` (solver defaults are the engine's, read through
:class:`~atr_model.scenarios.SolverOptions`; none is restated here)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import networkx as nx
import numpy as np
from pydantic import ValidationError

from atr_model.criteria import Criteria, describe_validation_error
from atr_model.errors import CriteriaError, InfeasibleError, ScenarioError
from atr_model.optimisation import EngineSettings
from atr_model.scenarios.instance_builder import InstanceBundle
from atr_model.scenarios.scenario import SolverOptions

__all__ = ["engine_n_units", "engine_settings"]


def _solver_options(solver_options: SolverOptions | Mapping[str, Any] | None) -> SolverOptions:
    """Validated options; ``None`` or a partial mapping take :class:`SolverOptions` defaults."""
    if isinstance(solver_options, SolverOptions):
        return solver_options
    try:
        return SolverOptions.model_validate(dict(solver_options or {}))
    except ValidationError as exc:
        raise ScenarioError(describe_validation_error(exc, SolverOptions, where="solver")) from None


def _free_pieces(free: np.ndarray, bundle: InstanceBundle) -> int:
    """Connected pieces of the ``free`` units inside their groups: a contiguous plan needs at
    least one new unit per piece (units that must stay alone cut the adjacency graph)."""
    inst = bundle.instance
    graph = nx.Graph()
    graph.add_nodes_from(int(i) for i in np.flatnonzero(free))
    for a, b in np.asarray(inst.adjacency, dtype=np.int64).reshape(-1, 2):
        if free[a] and free[b] and inst.group[a] == inst.group[b]:
            graph.add_edge(int(a), int(b))
    return cast("int", nx.number_connected_components(graph))


def _count_scope_check(k: int, where: str, aimaks: np.ndarray, bundle: InstanceBundle, contiguous: bool,
                       group: str | None = None) -> None:
    """Clear errors, in aiyl-aimak terms, for a count no plan can meet (``where`` says the
    ``group`` in English: "in group 'x'", or "in total" for None)."""
    inst = bundle.instance
    scope = {} if group is None else {"group": group}
    eligible = int((aimaks & inst.centre_eligible).sum())
    if k > eligible:
        raise CriteriaError(
            f"criteria.n_units: {k} new aiyl-aimak units asked {where}, but only {int(aimaks.sum())} aiyl "
            f"aimaks are there ({eligible} of them may host a centre)"
        )
    alone = aimaks & inst.keep_separate
    free = int((aimaks & ~inst.keep_separate).sum())
    if bundle.criteria.centres.towns == "host":
        pieces = 0  # free aiyl aimaks may all join units centred on towns
    else:
        pieces = _free_pieces(aimaks & ~inst.keep_separate, bundle) if contiguous else (1 if free else 0)
    if k < int(alone.sum()) + pieces:
        exempt_alone = int((alone & inst.exempt).sum())
        codes = [inst.unit_codes[i] for i in np.flatnonzero(alone)]
        more = bool(free and pieces)
        code = "n_units.keep" + ("_more_contiguous" if more and contiguous else "_more" if more else "")
        raise InfeasibleError(
            f"criteria.n_units: {k} new aiyl-aimak units asked {where}, but {int(alone.sum())} aiyl aimaks must "
            f"stay as they are ({exempt_alone} exempt with exemptions.mode 'keep', the rest locks.keep_separate)"
            + (f" and the other {free} need at least {pieces} more unit(s)"
               + (" (one per piece they form within their groups between the kept units: new units are "
                  "contiguous)" if contiguous else "") if more else "")
            + "; ask for more units, or let exempt units merge (exemptions.mode 'no_floor')",
            [{"constraint": "n_units/keep", "units": codes, "message": "aiyl aimaks that must stay alone"}],
            code=code,
            params={**scope, "asked": k, "alone": int(alone.sum()), "exempt": exempt_alone, "free": free,
                    "needed": pieces},
        )


def engine_n_units(criteria: Criteria, bundle: InstanceBundle | None = None, *,
                   contiguous: bool = True) -> int | dict[str, int] | None:
    """The engine's ``n_units`` (a count of all centres) for the criteria's ``n_units``.

    With ``n_units_counts == "aiyl_aimak"`` the criteria count only new units centred on an aiyl
    aimak; towns are never absorbed (``centres.towns`` 'keep' or 'host'), so each is a centre of
    its own and the engine's total is the criteria's count plus the towns (per group for a
    per-group count). ``contiguous`` (new units must be connected) tightens the least count
    checked in advance.

    Raises
    ------
    CriteriaError
        When the count needs the instance (``bundle``) and none is given, at raion level, or when
        more units are asked than there are aiyl aimaks.
    InfeasibleError
        When fewer units are asked than aiyl aimaks must stay alone (exemptions, locks).
    """
    n_units = criteria.n_units
    if n_units is None or criteria.n_units_counts == "all":
        return n_units
    if bundle is None:
        raise CriteriaError("criteria.n_units_counts 'aiyl_aimak' needs the instance to count the towns; "
                            "pass bundle= (from build_instance)")
    if bundle.level != "aiyl_aimak":
        raise CriteriaError("criteria.n_units_counts 'aiyl_aimak' applies to level aiyl_aimak only; "
                            f"this run is at level {bundle.level!r} (use n_units_counts 'all')")
    inst = bundle.instance
    towns = bundle.units["level"].astype(str).to_numpy() == "town"
    group = np.asarray(inst.group, dtype=object)
    if isinstance(n_units, dict):
        known = set(group.tolist())
        unknown = sorted(set(n_units) - known)
        if unknown:
            raise CriteriaError(f"criteria.n_units names unknown group(s) {', '.join(map(repr, unknown))}")
        out = {}
        for g, k in sorted(n_units.items()):
            in_g = group == g
            _count_scope_check(int(k), f"in group {g!r}", ~towns & in_g, bundle, contiguous, group=str(g))
            out[g] = int(k) + int((towns & in_g).sum())
        return out
    _count_scope_check(int(n_units), "in total", ~towns, bundle, contiguous)
    return int(n_units) + int(towns.sum())


def engine_settings(criteria: Criteria, solver_options: SolverOptions | Mapping[str, Any] | None = None, *,
                    bundle: InstanceBundle | None = None) -> EngineSettings:
    """Engine settings encoding the criteria and the solver options.

    Parameters
    ----------
    criteria : Criteria
        The scenario's criteria.
    solver_options : SolverOptions or mapping, optional
        ``name``, ``time_limit_s``, ``gap_rel``, ``threads``, ``contiguity``, ``warm_start``; defaults as in
        :class:`~atr_model.scenarios.SolverOptions`.
    bundle : InstanceBundle, optional
        The instance the settings are for; needed when ``criteria.n_units_counts`` is
        ``"aiyl_aimak"`` (see :func:`engine_n_units`).

    Returns
    -------
    EngineSettings
        Always with ``exempt_mode="no_floor"``: use it with an instance from
        :func:`~atr_model.scenarios.build_instance`, which turns ``exemptions.mode == "keep"``
        into ``keep_separate`` locks.
    """
    solver = _solver_options(solver_options)
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
        n_units=engine_n_units(criteria, bundle, contiguous=solver.contiguity != "none"),
        indicator_floor=criteria.economic_base.floor,
        solver=solver.name,
        time_limit_s=solver.time_limit_s,
        gap_rel=solver.gap_rel,
        threads=solver.threads,
        contiguity=solver.contiguity,
        warm_start=solver.warm_start,
    )
