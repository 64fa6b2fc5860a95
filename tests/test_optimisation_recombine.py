"""Re-drawing a few neighbouring new units at a time (issue 25, :mod:`atr_model.optimisation.recombine`):
the re-partition is exact (it equals every partition tried one by one, on Kyrgyz raions and on
districts of the scale benchmark), the searched first plan is valid, connected, deterministic and
well below the plan of splitting and dissolving alone, and the engine proves the same optimum
from it as from the LP's centres."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from atr_model.optimisation import MergerInstance, MergerModel, check_plan
from atr_model.optimisation.contiguity import reachable, separator_cuts
from atr_model.optimisation.formulation import Formulation, choose_method
from atr_model.optimisation.greedy import _Units, greedy_plan
from atr_model.optimisation.heuristics import given_plan
from atr_model.optimisation.localsearch import dissolve_units, searched_greedy_plan
from atr_model.optimisation.prepare import prepare
from atr_model.optimisation.recombine import _PartValues, best_partition
from atr_model.optimisation.settings import EngineSettings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_scale import engine_settings, group_instance, scale_country  # noqa: E402


@pytest.fixture(scope="module")
def country():  # type: ignore[no-untyped-def]
    return scale_country(1000, 0)


def _form(inst: MergerInstance, settings: EngineSettings) -> Formulation:
    prep = prepare(inst, settings)
    return Formulation(prep, choose_method(prep))


def _set_partitions(items: list[int]) -> Iterator[list[list[int]]]:
    """Every partition of ``items`` (Bell(7) = 877 for seven units)."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for part in _set_partitions(rest):
        yield [[first], *part]
        for k in range(len(part)):
            yield [*part[:k], [first, *part[k]], *part[k + 1:]]


def _brute_force(units: _Units, union: list[int]) -> float:
    nbrs = units.form.prep.nbrs
    best = np.inf
    for partition in _set_partitions(sorted(union)):
        if any(len(reachable(p[0], set(p), nbrs)) != len(p) for p in partition):
            continue
        best = min(best, sum(units.evaluate(sorted(p))[1] for p in partition))
    return best


def _unions(units: _Units, size: int, count: int) -> list[list[int]]:
    """Connected sets of ``size`` units grown breadth-first from the first units (distinct sets)."""
    nbrs, alone = units.form.prep.nbrs, units.form.prep.alone
    out: list[list[int]] = []
    for seed in range(units.inst.n):
        if alone[seed]:
            continue
        grown = [seed]
        for u in grown:
            grown += [v for v in nbrs[u] if v not in grown and not alone[v]][: size - len(grown)]
            if len(grown) >= size:
                break
        if len(grown) == size and sorted(grown) not in out:
            out.append(sorted(grown))
        if len(out) == count:
            break
    return out


def _check_exact(inst: MergerInstance, settings: EngineSettings, size: int = 7, count: int = 6) -> int:
    units = _Units(_form(inst, settings))
    values = _PartValues(units)
    checked = 0
    for union in _unions(units, size, count):
        value, parts = best_partition(frozenset(union), values, units.form.prep.nbrs)
        expected = _brute_force(units, union)
        assert value == pytest.approx(expected, rel=1e-12), union
        if np.isfinite(expected):
            assert sorted(i for p in parts for i in p) == union
            assert sum(units.evaluate(sorted(p))[1] for p in parts) == pytest.approx(value, rel=1e-12)
            checked += 1
    return checked


def test_re_partition_is_exact_on_kyrgyz_raions(kg_dataset) -> None:  # type: ignore[no-untyped-def]
    from atr_model.scenarios import build_instance, load_scenario, resolve_travel_model
    from atr_model.scenarios import engine_settings as scenario_settings

    scenario = load_scenario(ROOT / "scenarios" / "concept-2013.yaml")
    bundle = build_instance(kg_dataset, resolve_travel_model(scenario, kg_dataset), scenario.criteria,
                            level=scenario.level)
    settings = scenario_settings(scenario.criteria, scenario.solver, bundle=bundle)
    raions = bundle.units.reset_index(drop=True)["raion_code"].astype(str).to_numpy()
    counts = {r: int((raions == r).sum()) for r in sorted(set(raions))}
    checked = 0
    for raion in sorted(counts, key=lambda r: (-counts[r], r))[:4]:  # the four largest raions
        checked += _check_exact(bundle.instance.subset(np.flatnonzero(raions == raion)), settings)
    assert checked >= 8


def test_re_partition_is_exact_on_scale_districts(country) -> None:  # type: ignore[no-untyped-def]
    for code in ("D0007", "D0012"):
        assert _check_exact(group_instance(country, code), engine_settings(60.0)) >= 4


def _plan(form: Formulation, settings: EngineSettings, search: str) -> tuple[np.ndarray, float]:
    if search == "dissolve":
        plan = greedy_plan(form, dissolve_units)
    else:
        plan = searched_greedy_plan(form, 30.0)
    assert plan is not None
    rnd, problem = given_plan(form, settings, plan, float("inf"))
    assert rnd is not None, problem
    return plan, rnd.objective


def test_recombined_plan_is_valid_deterministic_and_near_the_optimum(country) -> None:  # type: ignore[no-untyped-def]
    # D0007 (53 units): split and dissolve alone stop at 1.38x the optimum with 20 new units where
    # the optimum has 24; growing and recombining reach it
    inst = group_instance(country, "D0007")
    settings = engine_settings(120.0)
    form = _form(inst, settings)
    _, dissolved = _plan(form, settings, "dissolve")
    plan, searched = _plan(form, settings, "recombine")
    again, _ = _plan(_form(inst, settings), settings, "recombine")
    assert np.array_equal(plan, again)  # deterministic
    assert separator_cuts(plan, form.prep.members, form.prep.nbrs) == []  # every new unit connected
    assert [v for v in check_plan(inst, plan, settings) if v.hard] == []
    optimum = MergerModel(inst, settings).solve()
    assert optimum.proven_optimal
    assert searched < 0.9 * dissolved, (dissolved, searched)
    assert optimum.objective <= searched + 1e-6 * searched
    assert searched <= 1.02 * optimum.objective, (searched, optimum.objective)


@pytest.mark.parametrize("code", ["D0002", "D0021"])
def test_same_optimum_from_the_searched_plan_and_from_the_lp_centres(country, code: str) -> None:  # type: ignore[no-untyped-def]
    inst = group_instance(country, code)
    settings = engine_settings(300.0)
    searched = MergerModel(inst, settings).solve()
    from_lp = MergerModel(inst, settings.replace(first_centres="lp", first_plan_search=False)).solve()
    assert searched.proven_optimal and from_lp.proven_optimal
    assert searched.objective == pytest.approx(from_lp.objective, rel=1e-9)
    assert searched.n_units == from_lp.n_units


def test_auto_starts_from_the_searched_plan_where_the_lp_leaves_centres_fractional(kg_dataset) -> None:  # type: ignore[no-untyped-def]
    # concept-2013's raions: most LPs are integral (their centres are the better start), a few leave
    # three or four centres fractional (there the searched plan is: 0.13 -> 0.08 CPU s)
    from atr_model.optimisation.search import FRACTIONAL, SEARCH_MIN_FRACTIONAL_CENTRES, Search
    from atr_model.scenarios import build_instance, load_scenario, resolve_travel_model
    from atr_model.scenarios import engine_settings as scenario_settings

    scenario = load_scenario(ROOT / "scenarios" / "concept-2013.yaml")
    bundle = build_instance(kg_dataset, resolve_travel_model(scenario, kg_dataset), scenario.criteria,
                            level=scenario.level)
    settings = scenario_settings(scenario.criteria, scenario.solver, bundle=bundle)
    groups = np.asarray(bundle.instance.group)
    paths = []
    for group in sorted(set(groups.tolist())):
        idx = np.flatnonzero(groups == group)
        if idx.size < 12:
            continue
        search = Search(bundle.instance.subset(idx), settings)
        lp = search._lp()
        assert lp is not None
        fractional = sum(1 for y in lp[2].values() if FRACTIONAL < y < 1 - FRACTIONAL)
        search._first_centres(lp)
        assert search.greedy_used == (fractional >= SEARCH_MIN_FRACTIONAL_CENTRES), group
        paths.append(search.greedy_used)
    assert any(paths) and not all(paths)
