"""Robustness on the Kyrgyz build: a separately started Dask cluster gives the process pool's tables.

The scheduler and a ``dask worker --nworkers 2`` run as subprocesses on 127.0.0.1, as a user
with a real cluster would start them (issue 14; the one fixture of ``tests/dask_cluster.py``).
The warm start from the nominal plan changes no table, and the report's robustness section in
Kyrgyz and Russian has no English.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from dask_cluster import dask_cluster  # noqa: F401 (the module-scoped fixture; fails on CI without dask)

from atr_model.scenarios import load_scenario
from atr_model.scenarios.robustness import ROBUSTNESS_FILES, make_draws, run_robustness, write_robustness

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


@pytest.fixture(scope="module")
def concept(kg_dataset):
    return load_scenario(SCENARIOS / "concept-2013.yaml"), kg_dataset


def test_separate_dask_cluster_gives_the_process_pool_tables(concept, dask_cluster, tmp_path) -> None:
    scenario, dataset = concept
    pool = run_robustness(scenario, draws=4, seed=7, dataset=dataset, workers=2)
    dask = run_robustness(scenario, draws=4, seed=7, dataset=dataset, travel_model=pool.nominal.travel_model,
                          scheduler_address=dask_cluster)
    assert dask.executor.startswith("dask") and pool.executor.startswith("process pool")
    assert dask.summary["draws_failed"] == 0
    a = write_robustness(pool, tmp_path / "pool")
    b = write_robustness(dask, tmp_path / "dask")
    for name in ROBUSTNESS_FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    # the draws moved something: estimates were drawn and some decision changed in some draw
    assert pool.basis.summary()["units_population_drawn"] > 300
    assert (pool.units["share_same_unit"] < 1).any()


def test_census_figures_are_never_drawn_and_raion_totals_hold(concept) -> None:
    from atr_model.scenarios import build_instance, resolve_travel_model
    from atr_model.scenarios.uncertainty import build_basis

    scenario, dataset = concept
    travel = resolve_travel_model(scenario, dataset)
    bundle = build_instance(dataset, travel, scenario.criteria)
    basis = build_basis(bundle, dataset, travel, scenario.uncertainty)
    real = ~bundle.units["population_is_estimate"].to_numpy(dtype=bool)
    assert real.sum() > 50
    raion = bundle.units["raion_code"].astype(str).to_numpy()
    drawn = basis.log_sd > 0
    # raions whose estimates are all shares of the real raion total (no village-count or town estimate)
    share_only = [r for r in sorted(set(raion))
                  if (basis.method[(raion == r) & drawn] == "raion_share").all() and ((raion == r) & drawn).any()]
    assert len(share_only) > 10
    draws = make_draws(basis, 30, seed=2)
    for draw in draws:
        assert np.array_equal(draw.population[real], basis.population[real])
        for r in share_only:
            inside = raion == r
            assert draw.population[inside].sum() == pytest.approx(basis.population[inside].sum(), rel=1e-9)
    # every estimate moves, and modelled travel times move per raion
    moved = np.array([d.population != basis.population for d in draws]).any(axis=0)
    assert moved[basis.log_sd > 0].all()
    assert basis.travel_kind == "modelled" and len({round(float(f), 12) for f in draws[0].travel_factor}) > 1


def test_links_between_approximate_territories_may_drop_out(concept) -> None:
    from atr_model.scenarios import apply_overrides, build_instance, resolve_travel_model
    from atr_model.scenarios.uncertainty import apply_draw, build_basis

    scenario, dataset = concept
    scenario = apply_overrides(scenario, **{"uncertainty.adjacency.approximate_drop_probability": 0.3})
    travel = resolve_travel_model(scenario, dataset)
    bundle = build_instance(dataset, travel, scenario.criteria)
    basis = build_basis(bundle, dataset, travel, scenario.uncertainty)
    assert basis.drop_candidates.size > 100  # every aiyl-aimak territory of the build is approximate
    shares = []
    for draw in make_draws(basis, 10, seed=5):
        dropped = np.flatnonzero(draw.dropped)
        assert set(dropped.tolist()) <= set(basis.drop_candidates.tolist())
        drawn = apply_draw(bundle.instance, basis, draw)
        assert len(drawn.adjacency) == len(bundle.instance.adjacency) - dropped.size
        shares.append(dropped.size / basis.drop_candidates.size)
    assert 0.2 < float(np.mean(shares)) < 0.4


def test_warm_start_changes_no_table_and_the_kyrgyz_report_has_no_english(concept, tmp_path) -> None:
    import re

    from test_report_i18n import english_catalogue_hits, visible_text

    from atr_model.presentation.report import robustness_section

    scenario, dataset = concept
    warm = run_robustness(scenario, draws=4, seed=7, dataset=dataset, warm_start=True)
    cold = run_robustness(scenario, draws=4, seed=7, dataset=dataset, travel_model=warm.nominal.travel_model,
                          warm_start=False)
    assert warm.timings["starts_used"] > 100 and cold.timings["starts_used"] == 0
    a, b = write_robustness(warm, tmp_path / "warm"), write_robustness(cold, tmp_path / "cold")
    for name in ROBUSTNESS_FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert not warm.fragile.empty
    for lang in ("ky", "ru"):
        section = robustness_section(a, language=lang)
        text = visible_text(re.sub(r"<code>.*?</code>", " ", section, flags=re.S))
        assert english_catalogue_hits(text, lang) == []
        assert "hinges on" not in text and "of draws" not in text
        assert not re.search(r"\b(?!GeoNames\b|seed\b)[A-Za-z]{4,}\b", text), re.findall(r"\b[A-Za-z]{4,}\b", text)
        # the stability map shows the raion land no unit holds, as the plan's own maps do
        from test_report_territory_notes import unplaced_patches

        assert unplaced_patches(section) == len(warm.nominal.territory_notes["unplaced_pieces"]) > 0
