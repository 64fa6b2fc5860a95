"""The modelled travel network on the shared Kyrgyz build (the ``kg_dataset`` fixture)."""

from __future__ import annotations

import numpy as np
import pytest

from atr_model.network import MODELLED_LABEL, build_travel_model

pytestmark = pytest.mark.kgdata


@pytest.fixture(scope="module")
def kg(kg_dataset):
    return kg_dataset


@pytest.fixture(scope="module")
def kg_model(kg, kg_source):
    dem = kg_source / "elevation" / "gebco2023_kgz_15arcsec.tif"
    return build_travel_model(kg, elevation=dem)


def test_every_kyrgyz_settlement_has_time_or_reason(kg, kg_model) -> None:
    access = kg_model.settlement_access
    assert kg_model.kind == "modelled" and kg_model.label == MODELLED_LABEL
    assert sorted(access["settlement_code"]) == sorted(kg.settlements["settlement_code"])
    finite = np.isfinite(access["raion_centre_time_min"])
    assert (access["reachable"] == finite).all()
    assert (access.loc[~finite, "unreachable_reason"].str.len() > 10).all()
    # The fallback must connect nearly everyone; cut-offs need a stated reason.
    assert finite.mean() > 0.9
    summary = kg_model.summary()
    assert summary["settlements_reachable"] == int(finite.sum())
    assert sum(summary["unreachable_reasons"].values()) == summary["settlements_unreachable"]


def test_kyrgyz_remoteness_and_adjacency(kg, kg_model) -> None:
    rem = kg_model.unit_remoteness
    assert sorted(rem["unit_code"]) == sorted(kg.units["unit_code"])
    assert rem["max_settlement_elevation_m"].max() > 2500  # high-mountain units exist
    assert rem["seasonal_access"].any()
    adj = kg_model.adjacency
    assert (adj["unit_a"] < adj["unit_b"]).all()
    linked = set(adj["unit_a"]) | set(adj["unit_b"])
    assert linked | set(kg_model.islands) == set(kg.units["unit_code"])


def test_kyrgyz_flat_fallback_reaches_everyone(kg) -> None:
    tm = build_travel_model(kg)
    assert "no elevation data" in tm.label
    assert tm.summary()["settlements_unreachable"] == 0


def test_kyrgyz_adjacency_is_every_shared_border_but_those_over_blocked_passes(kg, kg_model) -> None:
    """Terrain-cost territories follow the ridges, so every border of at least the minimum
    length counts unless it lies wholly above the blocking altitude (issue 13's rule); no unit
    is left without a neighbour (the Voronoi cells left one, a travel-link filter two)."""
    import shapely

    from atr_model.data import TERRAIN_COST_SOURCE, shared_borders
    from atr_model.data.geo import metric_crs
    from atr_model.network import TravelSettings

    units = kg.units
    minimum = TravelSettings().min_shared_border_m
    assert (units["geometry_source"] == TERRAIN_COST_SOURCE).all()
    geoms_m = units.geometry.to_crs(metric_crs()).to_numpy()
    # the model measures in its own projection: compare away from the minimum length
    borders = shared_borders(units["unit_code"].to_numpy(dtype=object), geoms_m,
                             tolerance_m=TravelSettings().boundary_tolerance_m, min_border_m=0.8 * minimum)
    length_m = dict(zip(zip(borders["unit_a"], borders["unit_b"]), borders["shared_border_m"]))
    blocked = {(a, b) for a, b, _low in kg_model.info["borders_over_blocked_passes"]}
    adj = kg_model.adjacency
    shared = set(zip(*adj.loc[adj["kind"] == "shared_boundary", ["unit_a", "unit_b"]].to_numpy().T))
    clear = {pair for pair, m in length_m.items() if m >= 1.2 * minimum} - blocked
    assert clear <= shared <= set(length_m) - blocked
    assert len(shared) > 0.95 * len(set(length_m) - blocked)
    assert blocked and not blocked & set(zip(adj["unit_a"], adj["unit_b"]))
    assert kg_model.islands == []
    assert shapely.get_num_geometries(geoms_m).max() <= 2
