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
