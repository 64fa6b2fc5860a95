"""``atr-model data import`` on the fictional fixture country, and its refusals of bad input.

The fixture (``examples/fixture-country``, invented by ``make_fixture.py``) is in OCHA COD-AB
format: 40 communes in 4 districts of 2 counties, settlements (two communes without any), a
population CSV and a terms YAML. Derived values are checked against independent computations
(geodesic areas with ``pyproj.Geod``, distances in a UTM zone), not against the importer's own
projections. Every bad input must give one line naming the file, the row and the problem.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from pyproj import Geod
from typer.testing import CliRunner

from atr_model.data import read_dataset
from atr_model.data.checks import check_areas, check_centre_settlements, check_centres_inside
from atr_model.data.dataset import Dataset
from atr_model.data.generic_import import ImportColumns, ImportInputs, import_dataset, write_import
from atr_model.errors import DataError, OutputError
from atr_model.presentation.cli import app

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "examples" / "fixture-country"
EMPTY_UNITS = ("FX0102007", "FX0202004")  # make_fixture.EMPTY_UNITS: communes without a settlement


def _inputs(folder: Path = FIXTURE, **changes: Path | None) -> ImportInputs:
    base = {
        "units": folder / "units.geojson", "population": folder / "population.csv",
        "settlements": folder / "settlements.geojson", "terms": folder / "terms.yaml", "mapping": folder / "mapping.yaml",
    }
    base.update(changes)
    return ImportInputs(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture imported through the writer; the GeoPackage path."""
    path, _ = write_import(_inputs(), tmp_path_factory.mktemp("import") / "fixture")
    return path


@pytest.fixture(scope="module")
def imported(written: Path) -> Dataset:
    return read_dataset(written)  # validates the contract on reading


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A writable copy of the fixture's files."""
    folder = tmp_path / "fx"
    shutil.copytree(FIXTURE, folder)
    return folder


def _one_line(exc: pytest.ExceptionInfo[DataError], *parts: str) -> str:
    text = str(exc.value)
    assert "\n" not in text, text
    for part in parts:
        assert part in text, text
    return text


# ----------------------------------------------------------------------------- the import


def test_import_writes_a_contract_dataset(written: Path, imported: Dataset) -> None:
    units = gpd.read_file(FIXTURE / "units.geojson")
    assert sorted(imported.units["unit_code"]) == sorted(units["ADM3_PCODE"])
    assert sorted(imported.raions["raion_code"]) == sorted(units["ADM2_PCODE"].unique())
    assert sorted(imported.oblasts["oblast_code"]) == ["FX01", "FX02"]
    assert imported.metadata["kind"] == "import"
    assert imported.metadata["terms"]["currency"] == "EUR"
    assert imported.metadata["terms"]["unit_term"] == {"en": "commune"}
    assert imported.metadata["licence"] == "CC0: invented data"  # the mapping's extra metadata
    report = json.loads((written.parent / "import_report.json").read_text(encoding="utf-8"))
    assert report["units"] == 40 and report["settlements_stand_in"] == len(EMPTY_UNITS)
    towns = units.loc[units["ADM3_TYPE"] == "town", "ADM3_PCODE"]
    assert set(imported.units.loc[imported.units["level"] == "town", "unit_code"]) == set(towns)


def test_population_is_the_table(imported: Dataset) -> None:
    table = pd.read_csv(FIXTURE / "population.csv", dtype={"ADM3_PCODE": str}).set_index("ADM3_PCODE")
    units = imported.units.set_index("unit_code")
    assert np.array_equal(units.loc[table.index, "population"].to_numpy(), table["population"].to_numpy(float))
    assert set(units["population_year"]) == {2025}
    assert not units["population_is_estimate"].any()
    # settlements add up to their unit (known figures kept, the blanks share the rest)
    sums = imported.settlements.groupby("unit_code")["population"].sum()
    assert np.allclose(sums[units.index].to_numpy(), units["population"].to_numpy(), rtol=1e-3)
    raion_pop = imported.raions.set_index("raion_code")["population"]
    assert np.allclose(raion_pop.to_numpy(), units.groupby("raion_code")["population"].sum()[raion_pop.index].to_numpy())


def test_area_is_the_geodesic_area(imported: Dataset) -> None:
    geod = Geod(ellps="WGS84")
    geodesic = np.array([abs(geod.geometry_area_perimeter(g)[0]) / 1e6 for g in imported.units.geometry])
    assert np.allclose(imported.units["area_km2"].to_numpy(), geodesic, rtol=2e-3)
    assert geodesic.min() > 20 and geodesic.max() < 400  # communes of tens of km², not m² or ha


def test_border_distance_against_utm(imported: Dataset) -> None:
    utm = imported.units.estimate_utm_crs()
    border = shapely.union_all(imported.country.to_crs(utm).geometry.to_numpy()).boundary
    located = imported.settlements.loc[imported.settlements["is_located"]].to_crs(utm)
    nearest = pd.Series(shapely.distance(located.geometry.to_numpy(), border) / 1000, index=located.index)
    by_unit = nearest.groupby(located["unit_code"]).min()
    units = imported.units.set_index("unit_code")
    centres = gpd.GeoSeries(gpd.points_from_xy(units["centre_lon"], units["centre_lat"]), crs=4326).to_crs(utm)
    expected = np.minimum(by_unit.reindex(units.index).fillna(np.inf).to_numpy(),
                          shapely.distance(centres.to_numpy(), border) / 1000)
    assert np.allclose(units["border_distance_km"].to_numpy(), expected, atol=0.05, rtol=0.01)
    assert (units["border_distance_km"] == 0).sum() == 0 and units["border_distance_km"].max() > 5


def test_centres_are_inside_and_labelled(imported: Dataset) -> None:
    units = imported.units.set_index("unit_code")
    sett = imported.settlements
    for code, row in units.iterrows():
        assert row.geometry.buffer(1e-9).contains(shapely.Point(row["centre_lon"], row["centre_lat"])), code
    centre = sett.loc[sett["is_unit_centre"]].set_index("unit_code")
    assert sorted(centre.index) == sorted(units.index)  # every unit, exactly one centre settlement
    assert (centre.loc[units.index, "settlement_code"] == units["centre_settlement_code"]).all()
    sources = units["centre_source"]
    flagged = set(gpd.read_file(FIXTURE / "settlements.geojson").query("is_seat == 'yes'")["code"].str[:-3])
    assert set(sources.index[sources == "settlement file: flagged as the unit centre"]) == flagged
    stand_in = set(sources.index[sources.str.contains("representative point")])
    assert stand_in == set(EMPTY_UNITS)
    assert sources.drop(list(flagged | stand_in)).str.startswith("estimate: population-weighted medoid").all()
    # stand-ins are labelled as not located, with an estimate
    stand = sett.loc[~sett["is_located"]]
    assert set(stand["unit_code"]) == set(EMPTY_UNITS)
    assert stand["location_method"].str.startswith("estimate: ").all()


def test_medoid_centre_is_the_least_people_distance(imported: Dataset) -> None:
    """Recomputed with great-circle distances: the centre settlement has the least people-km."""
    sett = imported.settlements
    medoid_units = imported.units.loc[imported.units["centre_source"].str.contains("medoid"), "unit_code"]
    checked = 0
    for code in medoid_units:
        group = sett.loc[sett["unit_code"] == code]
        if len(group) < 2:
            continue
        lon, lat, w = group.geometry.x.to_numpy(), group.geometry.y.to_numpy(), group["population"].to_numpy()
        geod = Geod(ellps="WGS84")
        cost = [sum(wj * geod.inv(lon[i], lat[i], lon[j], lat[j])[2] for j, wj in enumerate(w)) for i in range(len(group))]
        assert group["is_unit_centre"].to_numpy()[int(np.argmin(cost))], code
        checked += 1
    assert checked >= 10


def test_estimates_are_labelled(imported: Dataset) -> None:
    sett = imported.settlements
    blank = gpd.read_file(FIXTURE / "settlements.geojson")
    blank_codes = set(blank.loc[blank["population"].isna(), "code"])
    assert blank_codes  # the fixture has villages without a figure
    est = sett.set_index("settlement_code").loc[sorted(blank_codes)]
    assert est["population_is_estimate"].all()
    assert est["population_source"].str.startswith("estimate: ").all()
    known = sett.loc[sett["settlement_code"].isin(set(blank["code"]) - blank_codes)]
    assert not known["population_is_estimate"].any()
    assert imported.metadata["derived"]["area_km2"].startswith("equal-area projection")


def test_cli_import_and_out_folder_rules(tmp_path: Path) -> None:
    out = tmp_path / "fx"
    args = ["data", "import", "--units", str(FIXTURE / "units.geojson"), "--population", str(FIXTURE / "population.csv"),
            "--mapping", str(FIXTURE / "mapping.yaml"), "--out", str(out), "--json"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    # without settlement points every centre is a representative point, labelled as such
    assert report["settlements_stand_in"] == 40
    assert list(report["centre_sources"]) == ["estimate: representative point of the polygon (no settlement in the unit)"]
    assert CliRunner().invoke(app, args).exit_code == 0  # its own earlier import may be replaced
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me", encoding="utf-8")
    res = CliRunner().invoke(app, [*args[:-3], "--out", str(other)])
    assert res.exit_code != 0 and isinstance(res.exception, OutputError)
    assert (other / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_by_name_and_options_win_over_the_mapping(copy: Path) -> None:
    table = pd.read_csv(copy / "population.csv").drop(columns="ADM3_PCODE").rename(columns={"ADM3_EN": "commune"})
    table.to_csv(copy / "population.csv", index=False)
    dataset, _ = import_dataset(_inputs(copy), ImportColumns(population_name="commune", population_code=None))
    expected = pd.read_csv(FIXTURE / "population.csv", dtype={"ADM3_PCODE": str}).set_index("ADM3_PCODE")["population"]
    got = dataset.units.set_index("unit_code")["population"]
    assert np.array_equal(got[expected.index].to_numpy(), expected.to_numpy(float))


# ----------------------------------------------------------------------------- bad input


def _units(copy: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(copy / "units.geojson")


def test_missing_column(copy: Path) -> None:
    _units(copy).drop(columns="ADM2_PCODE").to_file(copy / "units.geojson")
    with pytest.raises(DataError) as exc:
        import_dataset(_inputs(copy))
    _one_line(exc, "units.geojson", "missing column(s) ADM2_PCODE (option parent_code)", "found ADM3_PCODE")


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_missing_crs(copy: Path) -> None:
    frame = _units(copy)
    frame = frame.set_crs(None, allow_override=True)
    frame.to_file(copy / "units.gpkg", driver="GPKG")
    with pytest.raises(DataError) as exc:
        import_dataset(_inputs(copy, units=copy / "units.gpkg"))
    _one_line(exc, "units.gpkg", "has no CRS")


def test_wrong_crs(copy: Path) -> None:
    """Metres (Web Mercator) declared as degrees: told as such, with the first feature."""
    frame = _units(copy).to_crs(3857).set_crs(4326, allow_override=True)
    frame.to_file(copy / "units.gpkg", driver="GPKG")
    with pytest.raises(DataError) as exc:
        import_dataset(_inputs(copy, units=copy / "units.gpkg"))
    _one_line(exc, "units.gpkg", "feature 1:", "outside -180..180", "declares EPSG:4326")


def test_projected_crs_is_reprojected(copy: Path) -> None:
    """A real projected CRS is fine: the same dataset as from degrees."""
    _units(copy).to_crs(3857).to_file(copy / "units.gpkg", driver="GPKG")
    dataset, _ = import_dataset(_inputs(copy, units=copy / "units.gpkg"))
    assert np.allclose(dataset.units["area_km2"].sum(), 2942.9, rtol=1e-3)


def test_duplicate_codes(copy: Path) -> None:
    frame = _units(copy)
    frame.loc[6, "ADM3_PCODE"] = frame.loc[2, "ADM3_PCODE"]
    frame.to_file(copy / "units.geojson")
    with pytest.raises(DataError) as exc:
        import_dataset(_inputs(copy))
    _one_line(exc, "units.geojson", "feature 7", f"duplicate code {frame.loc[2, 'ADM3_PCODE']!r}")


def test_population_row_for_an_unknown_unit(copy: Path) -> None:
    with (copy / "population.csv").open("a", encoding="utf-8") as fh:
        fh.write("FX0909009,Nowhere,1200,2025\n")
    with pytest.raises(DataError) as exc:
        import_dataset(_inputs(copy))
    _one_line(exc, "population.csv", "row 42", "'FX0909009' is not in the unit polygons")


def test_unit_without_population(copy: Path) -> None:
    table = pd.read_csv(copy / "population.csv", dtype=str)
    table.drop(index=5).to_csv(copy / "population.csv", index=False)
    with pytest.raises(DataError) as exc:
        import_dataset(_inputs(copy))
    _one_line(exc, "population.csv", f"no population row for unit {table.at[5, 'ADM3_PCODE']!r}", "feature 6")


def test_population_not_a_number(copy: Path) -> None:
    text = (copy / "population.csv").read_text(encoding="utf-8").splitlines()
    text[3] = text[3].rsplit(",", 2)[0] + ",about 900,2025"
    (copy / "population.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as exc:
        import_dataset(_inputs(copy))
    _one_line(exc, "population.csv", "row 4", "'about 900' is missing or not a number")


def test_unit_with_no_centre(copy: Path) -> None:
    """An empty polygon leaves nowhere to put the unit's centre."""
    frame = _units(copy)
    frame.loc[11, "geometry"] = shapely.Polygon()
    frame.to_file(copy / "units.geojson")
    with pytest.raises(DataError) as exc:
        import_dataset(_inputs(copy))
    _one_line(exc, "units.geojson", "feature 12", repr(frame.loc[11, "ADM3_PCODE"]), "no centre can be placed")


def test_two_flagged_centres(copy: Path) -> None:
    sett = gpd.read_file(copy / "settlements.geojson")
    unit = sett["code"].str[:-3]
    twin = sett.index[unit == unit.value_counts().index[0]][:2]
    sett.loc[twin, "is_seat"] = "yes"
    sett.to_file(copy / "settlements.geojson")
    with pytest.raises(DataError) as exc:
        import_dataset(_inputs(copy))
    _one_line(exc, "settlements.geojson", "settlements flagged as its centre")


def test_settlement_outside_every_unit(copy: Path) -> None:
    sett = gpd.read_file(copy / "settlements.geojson")
    sett.loc[3, "geometry"] = shapely.Point(-20.0, 40.0)
    sett.to_file(copy / "settlements.geojson")
    with pytest.raises(DataError) as exc:
        import_dataset(_inputs(copy))
    _one_line(exc, "settlements.geojson", "feature 4", "lies in no unit polygon")


def test_declared_area_checked_against_the_polygon(copy: Path) -> None:
    """An area column in hectares (x100) is refused, naming the unit and the ratio."""
    frame = _units(copy)
    geod = Geod(ellps="WGS84")
    frame["AREA_HA"] = [abs(geod.geometry_area_perimeter(g)[0]) / 1e4 for g in frame.geometry]
    frame.to_file(copy / "units.geojson")
    with pytest.raises(DataError) as exc:
        import_dataset(_inputs(copy), ImportColumns(area_km2="AREA_HA"))
    _one_line(exc, "units.geojson", "feature 1", "column 'AREA_HA'", "ratio 100")


def test_non_json_metadata_value_in_the_mapping(copy: Path) -> None:
    with (copy / "mapping.yaml").open("a", encoding="utf-8") as fh:
        fh.write("  surveyed: 2024-05-01\n")  # YAML reads a date, which JSON cannot store
    with pytest.raises(DataError) as exc:
        import_dataset(_inputs(copy))
    _one_line(exc, "mapping.yaml", "metadata 'surveyed' is not a JSON value")


def test_non_json_metadata_value_in_a_geopackage(written: Path, tmp_path: Path) -> None:
    """A hand-written metadata table with plain text: named by file, table, row and key."""
    target = tmp_path / "hand.gpkg"
    shutil.copy(written, target)
    meta = pyogrio.read_dataframe(target, layer="metadata")
    row = int(np.flatnonzero(meta["key"].to_numpy() == "name")[0])
    meta.loc[row, "value"] = "Fixturia"  # not JSON: a JSON text needs quotes
    pyogrio.write_dataframe(meta, target, layer="metadata", driver="GPKG")
    with pytest.raises(DataError) as exc:
        read_dataset(target)
    _one_line(exc, "hand.gpkg", "table 'metadata'", f"row {row + 1}", "key 'name'", "is not JSON")


def test_terms_refused(copy: Path) -> None:
    (copy / "terms.yaml").write_text("currency: euro\n", encoding="utf-8")
    with pytest.raises(DataError) as exc:
        import_dataset(_inputs(copy))
    _one_line(exc, "terms.yaml", "key 'currency'", "ISO 4217")
    (copy / "terms.yaml").write_text("unit_term: commune\nmayor_term: mayor\n", encoding="utf-8")
    with pytest.raises(DataError) as exc:
        import_dataset(_inputs(copy))
    _one_line(exc, "terms.yaml", "unknown terms key(s) mayor_term")


# ----------------------------------------------------------------------------- shared checks


def test_shared_checks_find_wrong_derived_values(imported: Dataset) -> None:
    """The checks the import (and the Kyrgyz build) run: area x100, a centre outside, no centre."""
    units = imported.units.copy()
    units.loc[3, "area_km2"] *= 100
    assert [p.split(": ", 1)[1] for p in check_areas(units, "x")] == [
        f"unit {units.at[3, 'unit_code']!r}: area_km2 {units.at[3, 'area_km2']:g} but its polygon measures "
        f"{units.at[3, 'area_km2'] / 100:.3f} km²"]
    far = imported.units.copy()
    far.loc[5, "centre_lon"] += 0.5
    problems = check_centres_inside(far, "x")
    assert len(problems) == 1 and repr(far.at[5, "unit_code"]) in problems[0] and "km outside" in problems[0]
    sett = imported.settlements.copy()
    code = imported.units.at[7, "unit_code"]
    sett.loc[sett["unit_code"] == code, "is_unit_centre"] = False
    assert check_centre_settlements(imported.units, sett, "x") == [f"x: unit {code!r} has no centre settlement (is_unit_centre)"]


def test_centre_outside_its_unit_is_refused(copy: Path) -> None:
    """A seat named for its commune but lying just outside it (within the 1 km digitising slack
    of settlement points): the centre-inside check refuses the import, naming the unit."""
    sett = gpd.read_file(copy / "settlements.geojson")
    sett["unit"] = sett["code"].str[:-3]
    seat = int(np.flatnonzero(sett["is_seat"].to_numpy() == "yes")[0])
    unit = sett.at[seat, "unit"]
    polygon = _units(copy).set_index("ADM3_PCODE").geometry[unit]
    utm = gpd.GeoSeries([polygon], crs=4326).estimate_utm_crs()
    ring = gpd.GeoSeries([polygon], crs=4326).to_crs(utm).boundary.iloc[0]
    outside = gpd.GeoSeries([polygon], crs=4326).to_crs(utm).buffer(300).boundary.iloc[0]
    point = outside.interpolate(outside.project(ring.interpolate(0.0)))
    sett.loc[seat, "geometry"] = gpd.GeoSeries([point], crs=utm).to_crs(4326).iloc[0]
    sett.to_file(copy / "settlements.geojson")
    with pytest.raises(DataError) as exc:
        import_dataset(_inputs(copy), ImportColumns(settlement_unit="unit"))
    _one_line(exc, f"unit {unit!r}: its centre lies 0.30 km outside the unit")


def test_dataset_write_refuses_non_json_metadata(imported: Dataset, tmp_path: Path) -> None:
    import datetime

    from atr_model.errors import ContractError

    with pytest.raises(ContractError) as exc:
        imported.replace(metadata={**imported.metadata, "surveyed": datetime.date(2024, 5, 1)}).write(tmp_path / "x.gpkg")
    _one_line(exc, "x.gpkg", "metadata 'surveyed' is not a JSON value")
    assert not (tmp_path / "x.gpkg").exists()


def test_shapefile_and_xlsx_inputs(copy: Path, imported: Dataset) -> None:
    """The same country from a Shapefile and an XLSX table: the same units, areas and populations."""
    _units(copy).to_file(copy / "units.shp")
    pd.read_csv(copy / "population.csv", dtype={"ADM3_PCODE": str}).to_excel(copy / "population.xlsx", index=False)
    dataset, _ = import_dataset(_inputs(copy, units=copy / "units.shp", population=copy / "population.xlsx"))
    got = dataset.units.set_index("unit_code")
    want = imported.units.set_index("unit_code")
    assert np.array_equal(got.loc[want.index, "population"].to_numpy(), want["population"].to_numpy())
    assert np.allclose(got.loc[want.index, "area_km2"].to_numpy(), want["area_km2"].to_numpy(), rtol=1e-4)


def test_cli_bad_input_is_one_line(copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Through the command line: exit 1, one line on stderr naming file, row and problem, no output."""
    from atr_model.presentation.cli import main

    with (copy / "population.csv").open("a", encoding="utf-8") as fh:
        fh.write("FX0909009,Nowhere,1200,2025\n")
    with pytest.raises(SystemExit) as stop:
        main(["data", "import", "--units", str(copy / "units.geojson"), "--population", str(copy / "population.csv"),
              "--out", str(tmp_path / "out")])
    assert stop.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("error: ") and "population.csv: row 42" in err, err
    assert not (tmp_path / "out").exists()
