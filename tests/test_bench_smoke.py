"""Smoke tests of benchmarks/bench_optimise.py: the synthetic generator and the plan measures."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from atr_model.optimisation import EngineSettings

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_optimise.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_optimise", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_synthetic_instance_is_deterministic_and_raion_like(bench):
    a, xy_a = bench.synthetic_instance(300, seed=3)
    b, xy_b = bench.synthetic_instance(300, seed=3)
    c, _ = bench.synthetic_instance(300, seed=4)
    assert np.array_equal(xy_a, xy_b) and np.array_equal(a.population, b.population)
    assert np.array_equal(a.adjacency, b.adjacency) and a.group == b.group
    assert not np.array_equal(a.population, c.population)
    assert (a.population < 5000).mean() > 0.5
    sizes = np.unique(a.group, return_counts=True)[1]
    assert 15 <= sizes.mean() <= 60
    assert np.allclose(a.travel_time_min, a.travel_time_min.T)


def test_evaluate_labels_counts_floor_travel_and_contiguity(bench):
    inst, _ = bench.synthetic_instance(60, seed=1)
    everyone_alone = np.arange(inst.n)
    alone = bench.evaluate_labels(inst, everyone_alone, 5000.0, 90.0, centres=everyone_alone)
    assert alone["new_units"] == inst.n
    assert alone["below_floor"] == int((inst.population < 5000).sum())
    assert alone["travel_violations"] == 0 and alone["disconnected"] == 0 and alone["mean_travel_min"] == 0.0
    # two far-apart units sharing a label, nobody else: a disconnected region over the limit
    far = np.unravel_index(np.argmax(inst.travel_time_min), inst.travel_time_min.shape)
    labels = np.arange(inst.n)
    labels[far[1]] = labels[far[0]]
    joined = bench.evaluate_labels(inst, labels, 5000.0, 90.0)
    assert joined["new_units"] == inst.n - 1
    assert joined["disconnected"] == 1 and joined["travel_violations"] == 1


def test_compare_returns_both_plans_on_a_tiny_instance(bench):
    inst, xy = bench.synthetic_instance(40, seed=2)
    rows = bench.compare(inst, EngineSettings(population_floor=5000.0, max_travel_time_min=90.0), coords=xy)
    keys = {"new_units", "below_floor", "travel_violations", "disconnected", "mean_travel_min", "seconds"}
    assert keys <= set(rows["ours"]) and keys <= set(rows["maxp"])
    assert rows["ours"]["check_hard"] == 0 and rows["ours"]["travel_violations"] == 0
    assert rows["maxp"]["disconnected"] == 0 and rows["maxp"]["cross_group"] == 0
