"""Loaders and validation: each kind of bad input gives a clear error naming file, row or unit.

All inputs here are small files written into ``tmp_path``; nothing is cut from real data.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon

from atr_model.data import (
    check_points_in_polygons,
    read_admin_layer,
    read_coate,
    read_population_table,
    read_settlement_points,
    sample_elevation,
)
from atr_model.data.cache import default_cache_dir
from atr_model.errors import DataError

# --- COATE -----------------------------------------------------------------------------------

_COATE_HEADER = "id,coate,name_ru,level,type,parent_id"
_COATE_ROWS = [
    "1,41799000000000,Тестовая область,1,RegionAndCity,",
    "2,41799201000000,Тестовый район,2,District,1",
    "3,41799201801000,Первый айылный аймак,3,Countryside,2",
    "4,41799201801010,Первое,4,Village,3",
    "5,41799201801020,Второе,4,Village,3",
]


def _write_coate(tmp_path: Path, rows: list[str], header: str = _COATE_HEADER) -> Path:
    path = tmp_path / "coate.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_coate_resolves_the_tree(tmp_path: Path) -> None:
    frame = read_coate(_write_coate(tmp_path, _COATE_ROWS))
    village = frame.loc[frame["coate"] == "41799201801020"].iloc[0]
    assert village["unit_coate"] == "41799201801000"
    assert village["raion_coate"] == "41799201000000"
    assert village["oblast_coate"] == "41799000000000"
    assert frame.loc[frame["level"] == 2, "unit_coate"].isna().all()


def test_coate_missing_column(tmp_path: Path) -> None:
    path = _write_coate(tmp_path, [r.rsplit(",", 1)[0] for r in _COATE_ROWS], header="id,coate,name_ru,level,type")
    with pytest.raises(DataError, match=r"coate\.csv: missing column\(s\) parent_id"):
        read_coate(path)


def test_coate_duplicate_code(tmp_path: Path) -> None:
    rows = [*_COATE_ROWS, "6,41799201801020,Третье,4,Village,3"]
    with pytest.raises(DataError, match=r"row 7: duplicate code '41799201801020'"):
        read_coate(_write_coate(tmp_path, rows))


def test_coate_malformed_code(tmp_path: Path) -> None:
    rows = [*_COATE_ROWS, "6,4179920180103,Третье,4,Village,3"]
    with pytest.raises(DataError, match=r"row 7: malformed code '4179920180103'"):
        read_coate(_write_coate(tmp_path, rows))


def test_coate_village_whose_unit_is_missing(tmp_path: Path) -> None:
    rows = [*_COATE_ROWS, "6,41799201802010,Сирота,4,Village,99"]
    with pytest.raises(DataError, match=r"village 41799201802010 \(Сирота\) has parent_id '99', which is not in the file"):
        read_coate(_write_coate(tmp_path, rows))


def test_coate_village_directly_under_a_raion(tmp_path: Path) -> None:
    rows = [*_COATE_ROWS, "6,41799201000030,Без аймака,4,Village,2"]
    with pytest.raises(DataError, match=r"village 41799201000030 \(Без аймака\) belongs to no aiyl aimak or town"):
        read_coate(_write_coate(tmp_path, rows))


# --- admin layers ----------------------------------------------------------------------------

_SQUARE = Polygon([(74, 41), (75, 41), (75, 42), (74, 42)])
_BOWTIE = Polygon([(74, 41), (75, 42), (75, 41), (74, 42)])


def _admin(tmp_path: Path, geoms: list, codes: list[str], *, crs: str | None = "EPSG:4326",
           name: str = "adm2.gpkg", code_column: str = "ADM2_PCODE") -> Path:
    frame = gpd.GeoDataFrame({code_column: codes, "ADM2_EN": [f"R{i}" for i in range(len(codes))]},
                             geometry=geoms, crs=crs)
    path = tmp_path / name
    frame.to_file(path, engine="pyogrio")
    return path


def test_admin_layer_reads_and_reprojects(tmp_path: Path) -> None:
    metric = gpd.GeoSeries([_SQUARE], crs="EPSG:4326").to_crs("EPSG:32643")
    path = _admin(tmp_path, list(metric), ["KG99201000000"], crs="EPSG:32643", name="adm2.shp")
    frame = read_admin_layer(path, 2)
    assert frame.crs.equals("EPSG:4326")
    assert frame["pcode"].tolist() == ["KG99201000000"]
    assert frame.geometry.iloc[0].centroid.distance(_SQUARE.centroid) < 0.01


def test_admin_layer_missing_code_column(tmp_path: Path) -> None:
    path = _admin(tmp_path, [_SQUARE], ["KG99201000000"], code_column="PCODE")
    with pytest.raises(DataError, match=r"adm2\.gpkg: missing column\(s\) ADM2_PCODE"):
        read_admin_layer(path, 2)


def test_admin_layer_invalid_geometry(tmp_path: Path) -> None:
    path = _admin(tmp_path, [_SQUARE, _BOWTIE], ["KG99201000000", "KG99202000000"])
    with pytest.raises(DataError, match=r"'KG99202000000' has an invalid geometry \(Self-intersection"):
        read_admin_layer(path, 2)


def test_admin_layer_empty_geometry(tmp_path: Path) -> None:
    path = _admin(tmp_path, [_SQUARE, Polygon()], ["KG99201000000", "KG99202000000"])
    with pytest.raises(DataError, match=r"'KG99202000000' \(row 3\) has an empty geometry"):
        read_admin_layer(path, 2)


@pytest.mark.filterwarnings("ignore:.crs. was not provided")
def test_admin_layer_missing_crs(tmp_path: Path) -> None:
    path = _admin(tmp_path, [_SQUARE], ["KG99201000000"], crs=None)
    with pytest.raises(DataError, match=r"adm2\.gpkg: has no CRS"):
        read_admin_layer(path, 2)


def test_admin_layer_duplicate_and_malformed_codes(tmp_path: Path) -> None:
    path = _admin(tmp_path, [_SQUARE, _SQUARE], ["KG99201000000", "KG99201000000"])
    with pytest.raises(DataError, match=r"duplicate code 'KG99201000000' in column 'ADM2_PCODE'"):
        read_admin_layer(path, 2)
    path = _admin(tmp_path, [_SQUARE], ["99201000000"], name="bad.gpkg")
    with pytest.raises(DataError, match=r"malformed code '99201000000' in column 'ADM2_PCODE'"):
        read_admin_layer(path, 2)


# --- population tables -----------------------------------------------------------------------

def _pop_csv(tmp_path: Path, rows: list[str], header: str = "coate,population,year") -> Path:
    path = tmp_path / "population.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_population_table_by_code_csv_and_xlsx(tmp_path: Path) -> None:
    frame = read_population_table(_pop_csv(tmp_path, ["41799201801000,1200,2021", "41799201802000,800,2021"]))
    assert frame["population"].tolist() == [1200.0, 800.0]
    xlsx = tmp_path / "population.xlsx"
    pd.DataFrame({"unit_code": ["41799201801000"], "population": [1500], "year": [2021]}).to_excel(xlsx, index=False)
    frame = read_population_table(xlsx)
    assert frame.iloc[0]["unit_code"] == "41799201801000"
    assert frame.iloc[0]["population"] == 1500.0


def test_population_table_negative(tmp_path: Path) -> None:
    path = _pop_csv(tmp_path, ["41799201801000,1200,2021", "41799201802000,-5,2021"])
    with pytest.raises(DataError, match=r"population\.csv: row 3: unit 41799201802000: population -5 is negative"):
        read_population_table(path)


def test_population_table_nan(tmp_path: Path) -> None:
    path = _pop_csv(tmp_path, ["41799201801000,,2021"])
    with pytest.raises(DataError, match=r"row 2: unit 41799201801000: population .* is missing or not a number"):
        read_population_table(path)


def test_population_table_duplicate_and_malformed(tmp_path: Path) -> None:
    path = _pop_csv(tmp_path, ["41799201801000,1,2021", "41799201801000,2,2021"])
    with pytest.raises(DataError, match=r"row 3: duplicate unit 41799201801000 for year 2021"):
        read_population_table(path)
    path = _pop_csv(tmp_path, ["4179920180100X,1,2021"])
    with pytest.raises(DataError, match=r"row 2: malformed code '4179920180100X'"):
        read_population_table(path)


def test_population_table_missing_column(tmp_path: Path) -> None:
    path = _pop_csv(tmp_path, ["41799201801000,1200"], header="coate,residents")
    with pytest.raises(DataError, match=r"missing column\(s\) population"):
        read_population_table(path)


def test_population_table_by_name(tmp_path: Path) -> None:
    units = pd.DataFrame({
        "unit_code": ["41799201801000", "41799201802000"],
        "name_ru": ["Ак-Булунский айылный аймак", "Кара-Джалский айылный аймак"],
    })
    path = _pop_csv(tmp_path, ["Ак-Булун,1000", "Кара-Джал,2000"], header="name,population")
    frame = read_population_table(path, name_column="name", units=units)
    assert dict(zip(frame["unit_code"], frame["population"])) == {"41799201801000": 1000.0, "41799201802000": 2000.0}
    # without a code column the name column is found by itself
    frame = read_population_table(path, units=units)
    assert frame["unit_code"].tolist() == ["41799201801000", "41799201802000"]
    path = _pop_csv(tmp_path, ["Нет-Такого,10"], header="name,population")
    with pytest.raises(DataError, match=r"row 2: unit name 'Нет-Такого' in column 'name' matches no unit"):
        read_population_table(path, name_column="name", units=units)


# --- settlement points -----------------------------------------------------------------------

def test_points_outside_their_raion(tmp_path: Path) -> None:
    path = tmp_path / "villages.csv"
    path.write_text(
        "settlement_code,lon,lat\n41799201801010,74.5,41.5\n41799201801020,76.0,41.5\n", encoding="utf-8")
    points = read_settlement_points(path)
    points["raion_code"] = "R1"
    raions = gpd.GeoDataFrame({"raion_code": ["R1"]}, geometry=[_SQUARE], crs="EPSG:4326")
    with pytest.raises(DataError, match=r"point '41799201801020' lies outside its raion 'R1' \(8[0-9]\.\d km away\)"):
        check_points_in_polygons(points, raions, point_key="settlement_code",
                                 point_polygon_column="raion_code", polygon_key="raion_code")
    check_points_in_polygons(points.iloc[:1], raions, point_key="settlement_code",
                             point_polygon_column="raion_code", polygon_key="raion_code")


def test_settlement_points_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "villages.csv"
    path.write_text("settlement_code,lon,lat\n41799201801010,,41.5\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"row 2: settlement '41799201801010' has no valid lon/lat"):
        read_settlement_points(path)
    gpkg = tmp_path / "villages.gpkg"
    gpd.GeoDataFrame({"settlement_code": ["41799201801010", "41799201801020"]},
                     geometry=[Point(74.5, 41.5), Point()], crs="EPSG:4326").to_file(gpkg, engine="pyogrio")
    with pytest.raises(DataError, match=r"'41799201801020' \(row 3\) has an empty geometry"):
        read_settlement_points(gpkg)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nope\.csv: COATE classifier file not found"):
        read_coate(tmp_path / "nope.csv")


# --- elevation ------------------------------------------------------------------------------

def test_sample_elevation(tmp_path: Path) -> None:
    import rasterio
    from rasterio.transform import from_origin

    grid = np.arange(12, dtype="int16").reshape(3, 4) * 100
    path = tmp_path / "dem.tif"
    with rasterio.open(path, "w", driver="GTiff", width=4, height=3, count=1, dtype="int16",
                       crs="EPSG:4326", transform=from_origin(70.0, 43.0, 1.0, 1.0)) as ds:
        ds.write(grid, 1)
    values = sample_elevation(path, [70.5, 73.5, 80.0], [42.5, 40.5, 42.0])
    assert values[0] == 0.0
    assert values[1] == 1100.0
    assert np.isnan(values[2])


def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ATR_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv("ATR_CACHE_DIR")
    assert default_cache_dir() == Path.home() / ".cache" / "atr-model"


def test_population_table_ambiguous_name(tmp_path: Path) -> None:
    units = pd.DataFrame({
        "unit_code": ["41799201801000", "41799202801000"],
        "name_ru": ["Ак-Булунский айылный аймак", "Ак-Булунский айылный аймак"],
    })
    path = _pop_csv(tmp_path, ["Ак-Булун,1000"], header="name,population")
    with pytest.raises(DataError, match=r"row 2: unit name 'Ак-Булун' is ambiguous \(41799201801000, 41799202801000\)"):
        read_population_table(path, name_column="name", units=units)
