"""The data contract: a dataset that breaks it is refused with a ContractError naming the file (or
layer), the row or unit, the column and what is wrong, both in memory and when read from disk."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Polygon

from atr_model.data import Dataset, read_dataset, validate_layer
from atr_model.errors import ContractError, DataError


def _units(demo_dataset: Dataset) -> gpd.GeoDataFrame:
    return demo_dataset.units.copy()


def test_the_demo_meets_the_contract(demo_dataset: Dataset) -> None:
    assert demo_dataset.validate() is demo_dataset


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda u: u.drop(columns=["population"]), r"dataset: units: missing column\(s\) population"),
        (lambda u: u.assign(level=u["level"].where(u.index != 3, "village")),
         r"unit 'DEMO-[0-9-]+' has level 'village'; expected one of aiyl_aimak, town"),
        (lambda u: u.assign(population=u["population"].where(u.index != 2, -10.0)),
         r"unit 'DEMO-[0-9-]+' has a negative population"),
        (lambda u: u.assign(population=u["population"].astype(object).where(u.index != 4, "many")),
         r"column 'population' must be numeric; row 4 has 'many'"),
        (lambda u: u.assign(unit_code=u["unit_code"].where(u.index != 1, u["unit_code"].iloc[0])),
         r"duplicate unit_code 'DEMO-01-01-001'"),
        (lambda u: u.assign(unit_code=u["unit_code"].where(u.index != 5, None)),
         r"column 'unit_code' is empty in row 5"),
        (lambda u: u.to_crs("EPSG:32643"), r"layer 'units' has CRS EPSG:32643; expected EPSG:4326"),
    ],
)
def test_a_broken_units_layer_is_named(demo_dataset: Dataset, change, match: str) -> None:
    broken = demo_dataset.replace(units=change(_units(demo_dataset)))
    with pytest.raises(ContractError, match=match):
        broken.validate()


def test_a_self_crossing_polygon_is_refused_with_the_fix(demo_dataset: Dataset) -> None:
    units = _units(demo_dataset)
    code = units["unit_code"].iloc[7]
    units.loc[units.index[7], "geometry"] = Polygon([(74.0, 41.0), (74.1, 41.1), (74.1, 41.0), (74.0, 41.1)])
    with pytest.raises(ContractError, match=rf"units '{code}' has an invalid geometry; repair it"):
        validate_layer(units, "units", where="my_units.gpkg")


def test_links_between_layers_are_checked(demo_dataset: Dataset) -> None:
    settlements = demo_dataset.settlements.copy()
    code = settlements["settlement_code"].iloc[0]
    settlements.loc[settlements.index[0], "unit_code"] = "NOWHERE"
    with pytest.raises(ContractError, match=rf"settlement '{code}' names unit 'NOWHERE', which is not in the units"):
        demo_dataset.replace(settlements=settlements).validate()
    units = _units(demo_dataset)
    units.loc[units.index[0], "raion_code"] = "R-404"
    with pytest.raises(ContractError, match=r"names raion 'R-404', which is not in the raions layer"):
        demo_dataset.replace(units=units).validate()


def test_reading_a_broken_file_names_the_file(demo_dataset: Dataset, tmp_path: Path) -> None:
    units = _units(demo_dataset)
    units.loc[units.index[2], "population"] = -1.0
    path = demo_dataset.replace(units=units).write(tmp_path / "broken.gpkg")
    with pytest.raises(ContractError, match=r"broken\.gpkg: units: unit 'DEMO-[0-9-]+' has a negative population"):
        read_dataset(path)
    assert issubclass(ContractError, DataError)  # callers catching DataError see contract breaches too
    assert read_dataset(path, validate=False).units["population"].min() == -1.0
