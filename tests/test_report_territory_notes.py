"""The printed report explains raion land held by no unit and new units drawn in several pieces
(issue 13): the notes travel in the result package (``territory_notes.json``) and the report's
maps section draws and lists them. Kyrgyz tests skip locally without the shared open data."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from extras_runs import run_demo
from shapely.geometry import shape

from atr_model.errors import DataError
from atr_model.presentation.i18n import format_number, t
from atr_model.presentation.report import render_report
from atr_model.presentation.territory_text import unit_name_in
from atr_model.scenarios import (
    OPTIONAL_PACKAGE_FILES,
    as_result_files,
    load_result_files,
    load_scenario,
    read_result,
    resolve_travel_model,
    run_scenario,
    write_result,
)
from atr_model.scenarios.package_files import read_territory_notes
from atr_model.scenarios.territory_notes import TERRITORY_NOTES_NAME, territory_notes

ROOT = Path(__file__).resolve().parents[1]
#: Fill of raion land held by no unit on the report's maps (the interactive maps' grey).
UNPLACED_FILL = "#b8bec6"


def unplaced_patches(svg: str) -> int:
    """Patches of the SVG's maps filled with the hatch pattern whose ground is the unplaced grey
    (the legend's swatch of that land aside: one per map that draws it)."""
    ids = re.findall(rf'<pattern id="(\w+)"[^>]*>\s*<rect [^>]*fill="{UNPLACED_FILL}"', svg)
    drawn = re.sub(r'<g id="legend-unplaced">.*?</g>', "", svg, flags=re.S)
    return sum(drawn.count(f"url(#{i})") for i in ids)


def figures(html: str) -> list[str]:
    return re.findall(r"<figure class='map'>(.*?)</figure>", html, flags=re.S)


# --------------------------------------------------------------------------- Kyrgyz concept-2013


@pytest.fixture(scope="module")
def kg_concept(kg_dataset, tmp_path_factory: pytest.TempPathFactory):
    """The concept-2013 run on the Kyrgyz build, written twice (for determinism)."""
    scenario = load_scenario(ROOT / "scenarios" / "concept-2013.yaml")
    result = run_scenario(scenario, dataset=kg_dataset, travel_model=resolve_travel_model(scenario, kg_dataset))
    base = tmp_path_factory.mktemp("kg-notes")
    return result, write_result(result, base / "a"), write_result(result, base / "b")


@pytest.mark.kgdata
def test_kyrgyz_package_carries_the_unplaced_land_and_the_split_new_units(kg_concept) -> None:
    result, folder, _ = kg_concept
    territories = result.dataset.metadata["report"]["territories"]
    assert (folder / TERRITORY_NOTES_NAME).is_file() and TERRITORY_NOTES_NAME in OPTIONAL_PACKAGE_FILES
    notes = read_result(folder).territory_notes
    assert notes == load_result_files(folder).territory_notes == json.loads(json.dumps(result.territory_notes))
    # in memory, the report sees the same notes as from disk
    assert as_result_files(result).territory_notes is result.territory_notes
    # the unplaced pieces are the build's: 5 pieces, 4,837.5 km2 on the shared data
    built = [p for p in territories["raion_pieces"] if p["unplaced"]]
    pieces = notes["unplaced_pieces"]
    assert len(pieces) == len(built) == territories["unplaced_raion_pieces"] == 5
    assert sorted(p["raion_code"] for p in pieces) == sorted(p["raion_code"] for p in built)
    assert notes["unplaced_area_km2"] == pytest.approx(territories["unplaced_raion_land_km2"], abs=0.01)
    assert notes["unplaced_area_km2"] == pytest.approx(4837.5, abs=0.1)
    raions = result.dataset.raions.set_index("raion_code")
    metric = result.dataset.raions.estimate_utm_crs()
    for piece in pieces:
        outline = shape(piece["geometry"])
        assert outline.is_valid and outline.geom_type in ("Polygon", "MultiPolygon"), piece["raion_code"]
        # the outline is the raion's piece holding the build's point, simplified a few hundred metres
        assert outline.buffer(0.005).contains(shapely.Point(piece["lon"], piece["lat"]))
        assert raions.at[piece["raion_code"], "geometry"].buffer(0.01).contains(outline)
        area_km2 = float(gpd.GeoSeries([outline], crs="EPSG:4326").to_crs(metric).area.iloc[0]) / 1e6
        assert area_km2 == pytest.approx(piece["area_km2"], rel=0.08), piece["raion_code"]
        assert piece["name_en"] == raions.at[piece["raion_code"], "name_en"]
    # the split new units: exactly the new units drawn in several pieces, each explained by a
    # member that holds an exclave of its raion (Suu-Bashyn, Kyzyl-Kyshtak on the shared data)
    new_units = read_result(folder).new_units
    parts = shapely.get_num_geometries(new_units.geometry.to_numpy())
    split = {u["new_unit_id"]: u for u in notes["split_new_units"]}
    assert set(split) == set(new_units.loc[parts > 1, "new_unit_id"]) == {"41705214000000-N09", "41706226000000-N07"}
    exclave_units = {u["unit_code"] for u in territories["raion_exclave_units"]}
    held = {m["unit_code"] for u in split.values() for m in u["exclave_members"]}
    assert held == exclave_units == {"41705214852000", "41706226819000"}
    a = result.assignments.set_index("unit_code")
    for new_id, unit in split.items():
        assert unit["pieces"] == 2
        for member in unit["exclave_members"]:
            assert a.at[member["unit_code"], "new_unit_id"] == new_id
            assert [d["cut_off_by"] for d in member["detached_pieces"]] in (["foreign_land"], ["foreign_all_round"])
            assert all(d["gap_km"] > 0 for d in member["detached_pieces"])


@pytest.mark.kgdata
def test_territory_notes_are_written_the_same_twice(kg_concept) -> None:
    _, a, b = kg_concept
    assert (a / TERRITORY_NOTES_NAME).read_bytes() == (b / TERRITORY_NOTES_NAME).read_bytes()


@pytest.mark.kgdata
@pytest.mark.parametrize("lang", ["en", "ky"])
def test_kyrgyz_report_draws_and_names_the_land_notes(kg_concept, lang: str) -> None:
    result, folder, _ = kg_concept
    notes = result.territory_notes
    html = render_report(folder, lang)
    block = html[html.index("<section class='land-notes'>"):]
    block = block[: block.index("</section>")]
    area = format_number(notes["unplaced_area_km2"], lang, digits=1)
    intro = t("report.land.unplaced_intro", lang, n=5, area=area)
    assert intro.replace("'", "&#x27;") in block
    # each unplaced piece by its raion, and each split new unit with its member and why
    for piece in notes["unplaced_pieces"]:
        assert f"({piece['raion_code']})" in block
    assert block.count(t("map.cut_off.foreign_land", lang)) == block.count(t("map.cut_off.foreign_all_round", lang)) == 1
    members = result.assignments.set_index("unit_code")
    for new_id, code in (("41705214000000-N09", "41705214852000"), ("41706226000000-N07", "41706226819000")):
        assert f"href='#nu-{new_id}'" in block and f"id='nu-{new_id}'" in html
        assert f"{unit_name_in(members.loc[code], lang)} ({code})" in block
    # the new-unit map draws the 5 pieces grey (the travel map does not), and its caption says so
    new_map, travel_map = figures(html)
    assert unplaced_patches(new_map) == len(notes["unplaced_pieces"]) == 5
    assert unplaced_patches(travel_map) == 0
    assert t("report.caption_unplaced", lang).replace("'", "&#x27;") in new_map


@pytest.mark.kgdata
def test_a_package_written_before_the_notes_still_loads_and_reports(kg_concept, tmp_path: Path) -> None:
    _, folder, _ = kg_concept
    old = shutil.copytree(folder, tmp_path / "old")
    (old / TERRITORY_NOTES_NAME).unlink()
    assert read_result(old).territory_notes is None and load_result_files(old).territory_notes is None
    html = render_report(old, "en")
    assert "land-notes" not in html and UNPLACED_FILL not in html
    assert html.count("class='passport'") == len(read_result(old).new_units)


@pytest.mark.kgdata
def test_notes_naming_a_raion_the_dataset_lacks_are_refused(kg_concept) -> None:
    result, _, _ = kg_concept
    code = result.territory_notes["unplaced_pieces"][0]["raion_code"]
    dataset = dataclasses.replace(result.dataset, raions=result.dataset.raions[result.dataset.raions["raion_code"] != code])
    with pytest.raises(DataError, match=rf"raion_pieces name raion {code}, which its raions layer does not have"):
        territory_notes(dataset, result.assignments, result.new_units)


# --------------------------------------------------------------------------- demo


def test_demo_run_has_no_notes_file_and_no_paragraph(tmp_path: Path) -> None:
    result = run_demo("demo")
    assert result.territory_notes is None
    folder = write_result(result, tmp_path / "demo")
    assert not (folder / TERRITORY_NOTES_NAME).exists()
    assert load_result_files(folder).territory_notes is None
    for lang in ("en", "ru"):
        html = render_report(folder, lang)
        assert "land-notes" not in html and t("report.land.title", lang) not in html
        assert UNPLACED_FILL not in html and t("report.caption_unplaced", lang) not in html


@pytest.mark.kgdata
@pytest.mark.parametrize("lang", ["en", "ru"])
def test_council_summary_and_comparison_draw_the_unplaced_land_too(kg_concept, lang: str) -> None:
    """Every printed map of the plan shows the raion land no unit holds, not only the report's."""
    from atr_model.presentation.report import render_comparison, render_summary
    from atr_model.scenarios import compare_results

    _, folder, other = kg_concept
    summary = render_summary(folder, lang)
    pieces = len(read_territory_notes(folder)["unplaced_pieces"])
    assert unplaced_patches(summary) == pieces
    assert t("summary.caption_unplaced", lang) in summary.replace("&#x27;", "'")
    if lang == "en":  # the comparison report is in English
        comparison = compare_results(folder, other)
        assert unplaced_patches(render_comparison(comparison, folder, other)) == pieces
