"""The scale benchmark's synthetic country (issue 25) is what its docstring says: deterministic
by seed, connected districts of 20-80 units nesting the merger, one cross-district region, and
group instances whose travel times are road-graph shortest paths."""

from __future__ import annotations

import sys
from pathlib import Path

import networkx as nx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from bench_scale import DISTRICT_MAX, DISTRICT_MIN, REGION_DISTRICTS, group_instance, scale_country  # noqa: E402


def test_country_is_deterministic_with_nested_connected_districts() -> None:
    a, b = scale_country(1000, 0), scale_country(1000, 0)
    assert a.group == b.group and np.array_equal(a.edges, b.edges) and np.array_equal(a.population, b.population)
    assert scale_country(1000, 1).group != a.group
    graph = nx.Graph([tuple(e) for e in a.edges.tolist()])
    assert nx.is_connected(graph) and graph.number_of_nodes() == a.n
    sizes = np.bincount(a.district)
    assert sizes.min() >= DISTRICT_MIN and sizes.max() <= DISTRICT_MAX
    for d in range(sizes.size):
        assert nx.is_connected(graph.subgraph(np.flatnonzero(a.district == d).tolist())), d
    region = np.flatnonzero(np.asarray(a.group) == "R01")
    assert np.unique(a.district[region]).size == REGION_DISTRICTS
    # outside the region every group is one district
    for code in set(a.group) - {"R01"}:
        assert np.unique(a.district[np.asarray(a.group) == code]).size == 1


def test_group_instance_travel_times_are_road_paths() -> None:
    country = scale_country(1000, 0)
    inst = group_instance(country, "R01")
    tt = inst.travel_time_min
    assert np.allclose(np.diag(tt), 0) and np.array_equal(tt, tt.T)
    # a road between two units of the group is a path, so no route is longer than it
    nodes = np.flatnonzero(np.asarray(country.group) == "R01")
    pos = {int(u): k for k, u in enumerate(nodes)}
    for (u, v), minutes in zip(country.edges.tolist(), country.minutes.tolist()):
        if u in pos and v in pos:
            assert tt[pos[u], pos[v]] <= minutes + 1e-9
    assert len(inst.adjacency) > inst.n - 1  # connected and more than a tree (planar roads)


def test_hardest_group_gets_a_good_first_plan_within_its_budget() -> None:
    # the regression instance (issue 25): the cross-district region R01 of n = 1,000, seed 0
    # (178 units). From the LP's centres the matheuristic ended without a plan better than 7.4e6
    # and the search stopped at a proven gap of 85 % after 150 s; the greedy plan's centres
    # (groups of GREEDY_MIN_UNITS units or more) give a plan within 50 % of the bound in seconds
    from bench_scale import HARDEST, engine_settings

    from atr_model.optimisation import MergerModel, check_plan

    country = scale_country(1000, 0)
    inst = group_instance(country, HARDEST[1000])
    settings = engine_settings(time_limit_s=30.0)
    result = MergerModel(inst, settings).solve()
    assert result.has_plan and [v for v in check_plan(inst, result.assignment, settings) if v.hard] == []
    assert result.proof()["groups"] == 1
    assert np.isfinite(result.bound) and result.gap < 0.5, (result.objective, result.bound)
