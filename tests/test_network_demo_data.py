"""The generated demo territory: contract, features it promises, determinism, files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import osmium
import pandas as pd
import rasterio

from atr_model.data import make_demo_dataset, read_dataset
from atr_model.data.demo import (
    DEMO_REMOTE_UNIT,
    DEMO_SINGLE_VILLAGE_UNIT,
    demo_elevation_m,
    write_demo_elevation,
    write_demo_roads,
)


def test_demo_is_valid_fictional_and_sized(demo_dataset) -> None:
    ds = demo_dataset.validate()
    assert ds.metadata["kind"] == "demo"
    assert ds.metadata["name"] == "Demo Republic (fictional)"
    assert len(ds.oblasts) == 2 and 4 <= len(ds.raions) <= 5
    levels = ds.units["level"].value_counts()
    assert 35 <= levels["aiyl_aimak"] <= 45 and 3 <= levels["town"] <= 4
    assert 150 <= len(ds.settlements) <= 200
    assert ds.units["unit_code"].str.match(r"^DEMO-\d{2}-\d{2}-\d{3}$").all()
    assert ds.country["name_en"].iloc[0].endswith("(fictional)")


def test_demo_features(demo_dataset) -> None:
    units = demo_dataset.units.set_index("unit_code")
    sett = demo_dataset.settlements
    assert (units["population"] < 5000).any() and (units["population"] > 5000).any()
    assert (sett.groupby("unit_code").size().loc[DEMO_SINGLE_VILLAGE_UNIT]) == 1
    assert units.loc[DEMO_REMOTE_UNIT, "max_settlement_elevation_m"] > 2000
    assert (sett["elevation_m"] > 2000).sum() >= 3
    assert (units["border_distance_km"] < 5).sum() >= 3
    # Unit populations are the sums of their settlements.
    sums = sett.groupby("unit_code")["population"].sum()
    assert np.allclose(sums.loc[units.index], units["population"])
    # Every raion centre is a unit of that raion; unit polygons stay inside their raion.
    raions = demo_dataset.raions.set_index("raion_code")
    assert (units.loc[raions["centre_unit_code"], "raion_code"].to_numpy() == raions.index.to_numpy()).all()
    for code, geom in zip(demo_dataset.units["unit_code"], demo_dataset.units.geometry):
        raion_geom = raions.loc[units.loc[code, "raion_code"], "geometry"]
        assert geom.difference(raion_geom.buffer(1e-6)).area < 1e-9
    # Settlements lie inside their unit.
    joined = sett.sjoin(demo_dataset.units[["unit_code", "geometry"]], predicate="within")
    assert (joined["unit_code_left"] == joined["unit_code_right"]).all() and len(joined) == len(sett)
    assert set(demo_dataset.indicators["indicator"]) >= {"own_revenue_som"}


def test_demo_is_deterministic_and_seeded() -> None:
    a, b = make_demo_dataset(0), make_demo_dataset(0)
    pd.testing.assert_frame_equal(a.settlements, b.settlements)
    a.units.loc[0, "population"] = -1.0  # callers get copies
    assert make_demo_dataset(0).units.loc[0, "population"] > 0
    c = make_demo_dataset(1)
    assert not np.allclose(c.settlements.geometry.x[:5], b.settlements.geometry.x[:5])


def test_demo_roundtrip_and_files(tmp_path: Path, demo_dataset) -> None:
    path = demo_dataset.write(tmp_path / "demo.gpkg")
    back = read_dataset(path)
    assert back.metadata["kind"] == "demo" and len(back.settlements) == len(demo_dataset.settlements)

    tif = write_demo_elevation(tmp_path / "dem.tif")
    with rasterio.open(tif) as src:
        assert src.crs.to_epsg() == 4326
        pts = demo_dataset.settlements.geometry
        sampled = np.array([v[0] for v in src.sample(zip(pts.x, pts.y))])
    assert np.allclose(sampled, demo_dataset.settlements["elevation_m"], atol=150)
    assert np.allclose(demo_elevation_m(pts.x, pts.y), demo_dataset.settlements["elevation_m"], atol=0.1)

    osm = write_demo_roads(tmp_path / "roads.osm")
    kinds = [w.tags.get("highway") for w in osmium.FileProcessor(str(osm), osmium.osm.WAY)]
    assert {"primary", "secondary", "tertiary", "track"} <= set(kinds)
    assert osm.read_bytes() == write_demo_roads(tmp_path / "again.osm").read_bytes()
