"""Editing a plan by clicks on the map, in real Chromium, on the Kyrgyz build (issue 23).

One raion of the Kyrgyz build is opened by link and its plan shown; in edit mode three units
are moved by clicking (a target's unit, then the unit to move), and after each click the
verdict and the key figures change; a move that would split a new unit is refused with its
reason; undo and redo step back and forth; "Re-solve around my edits" finishes the raion.
Which units to click is decided from the app's own plan with the core editor (moves that change
the verdict), never written in.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import shapely
from browser_support import CHROMIUM_ARGS, MAP_FRAME, app_env, serve_streamlit

from atr_model.data import Dataset, subset_dataset
from atr_model.presentation.app.datasets import subset_travel_model
from atr_model.presentation.app.scenario_io import parse_scenario_text
from atr_model.scenarios import resolve_travel_model
from atr_model.scenarios.plan_edit import PlanEditor, Resolved

pytestmark = [pytest.mark.browser, pytest.mark.kgdata]

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'
TIMEOUT_MS = 120_000
KG_IN_CACHE = Path("kyrgyzstan") / "kyrgyzstan.gpkg"
#: Alamudun raion: 17 units, several joining another centre under concept-2013, so moves that
#: change the verdict, a move that would split a new unit and a re-solve are there to click.
RAION = "41708203000000"
VERDICT = ".st-key-planedit_verdict"
FIGURES = ".st-key-planedit_figures"
MESSAGE = ".st-key-planedit_message"


@pytest.fixture(scope="module")
def served(kg_dataset_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """An app server whose cache holds the Kyrgyz build, and its results folder."""
    cache = kg_dataset_path.parent.parent
    assert kg_dataset_path == cache / KG_IN_CACHE, f"the Kyrgyz build is not where the app looks: {kg_dataset_path}"
    base = tmp_path_factory.mktemp("app-plan-edit")
    env = app_env(ATR_APP_RESULTS=str(base / "results"), ATR_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    with serve_streamlit(Path("app.py"), cwd=ROOT, env=env, log_path=base / "streamlit.log",
                         extra_args=["--server.fileWatcherType", "none"]) as url:
        yield url, base / "results"


@pytest.fixture(scope="module")
def page(served: tuple[str, Path], chromium_path: Path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1500, "height": 1100})
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("http://127.0.0.1:")
                      else route.abort())
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        yield page
        browser.close()


def _idle(page) -> None:
    page.wait_for_selector(IDLE)


def _latest_result(results_dir: Path) -> Path:
    folders = [p.parent for p in results_dir.rglob("assignments.csv")]
    assert folders, "no result folder written"
    return max(folders, key=lambda p: p.stat().st_mtime)


def _editor(folder: Path, kg_dataset: Dataset) -> PlanEditor:
    """The core editor on the app's plan, with the app's inputs (the raion of the build)."""
    scenario = parse_scenario_text((folder / "scenario.yaml").read_text(encoding="utf-8"), "scenario.yaml")
    dataset = subset_dataset(kg_dataset, [RAION])
    travel = subset_travel_model(resolve_travel_model(scenario, kg_dataset), dataset.units["unit_code"])
    plan = pd.read_csv(folder / "assignments.csv", dtype=str)[["unit_code", "new_unit_id", "centre_code"]]
    return PlanEditor.from_plan(plan, scenario, dataset, travel)


def _pairs(editor: PlanEditor) -> list[tuple[str, str]]:
    """``(unit, neighbour)`` pairs of the raion's aiyl aimaks, in code order."""
    inst = editor.bundle.instance
    towns = set(editor.bundle.units.loc[editor.bundle.units["level"] == "town", "unit_code"].astype(str))
    pairs = {(inst.unit_codes[int(a)], inst.unit_codes[int(b)]) for e in inst.adjacency for a, b in (e, e[::-1])}
    return sorted((u, v) for u, v in pairs if u not in towns and v not in towns)


def _next_move(editor: PlanEditor, last_click: str | None) -> tuple[str, str]:
    """A move ``(unit, neighbour whose new unit is the target)`` of a unit not moved yet that
    changes the verdict and the mean travel time; made on ``editor`` too."""
    before = editor.current
    moved = {m.unit for m in before.moves}
    for unit, near in _pairs(editor):
        if unit in moved or near == last_click or editor.move(unit, editor.new_unit_of(near)) is not None:
            continue
        now = editor.current
        # a unit moved into one that must stay as it is could never be locked there: the
        # re-solve at the end would be refused (tested in test_scenarios_plan_edit.py)
        locked_out = now.violations["constraint"].isin(["exempt", "keep_separate"]).any()
        if (not locked_out and list(now.violations["message"]) != list(before.violations["message"])
                and now.kpis["population_weighted_mean_travel_min"] != before.kpis["population_weighted_mean_travel_min"]):
            return unit, near
        editor.undo()
    raise AssertionError("no move in the raion changes the verdict")


def _message(page) -> str:
    """The text of what the last click did ('' before any)."""
    return " ".join(page.locator(MESSAGE).all_inner_texts())


def _points(dataset: Dataset, code: str) -> list[tuple[float, float]]:
    """Points ``(lat, lon)`` well inside the unit: its representative point, then a grid."""
    shape = dataset.units.set_index("unit_code").geometry.loc[code]
    inner = shape.buffer(-0.2 * (shape.area ** 0.5) / 4) if shape.area > 0 else shape
    inner = inner if not inner.is_empty else shape
    points = [shape.representative_point()]
    west, south, east, north = inner.bounds
    grid = [shapely.Point(west + (east - west) * i / 6, south + (north - south) * j / 6)
            for i in range(1, 6) for j in range(1, 6)]
    points += [p for p in grid if inner.contains(p)]
    return [(p.y, p.x) for p in points]


#: What lies under a point of the map (in the map frame): the units' canvas, or a label or marker.
_UNDER_JS = """(el, xy) => { const r = el.getBoundingClientRect();
    const e = document.elementFromPoint(r.x + xy[0], r.y + xy[1]);
    return e ? e.tagName + (e.tagName === 'CANVAS' ? '' : ' ' + e.getAttribute('class')) : ''; }"""


def _click_unit(page, dataset: Dataset, code: str) -> None:
    """Click the map inside the unit, until the page says what the click did.

    The point is one where the units' canvas is on top (not a name label or a centre marker).
    The rerun after a click redraws the selection on the map; a click while it is redrawn is
    lost (as in test_safety_injection), so it is repeated, at most three times.
    """
    before = _message(page)
    for attempt in range(3):
        leaflet = page.frame_locator(MAP_FRAME).first.locator(".leaflet-container")
        leaflet.wait_for()
        leaflet.scroll_into_view_if_needed()
        page.wait_for_timeout(1000)  # let the map settle after the last rerun
        leaflet.evaluate("el => window.map.closePopup()")  # the last click's popup may cover the unit
        at, seen = None, []
        for lat_lon in _points(dataset, code):
            xy = leaflet.evaluate("(el, ll) => { const p = window.map.latLngToContainerPoint(ll); return [p.x, p.y]; }",
                                  list(lat_lon))
            seen.append((xy, leaflet.evaluate(_UNDER_JS, xy)))
            if seen[-1][1] == "CANVAS":
                at = xy
                break
        assert at is not None, f"no point of {code} is free of labels on the map: {seen}"
        box = leaflet.bounding_box()
        assert box is not None
        # the mouse at the page's point (a click on the locator with a position missed the map
        # when the map reached below the window)
        page.mouse.click(box["x"] + at[0], box["y"] + at[1])
        for _ in range(20):
            page.wait_for_timeout(500)
            _idle(page)
            if _message(page) != before:
                return
        assert attempt < 2, f"three clicks on {code} were not seen"


def _choose_target(page, dataset: Dataset, code: str) -> None:
    from playwright.sync_api import expect

    page.get_by_test_id("stRadio").filter(has_text="A click on the map").get_by_text(
        "chooses the target new unit", exact=True).click()
    _idle(page)
    _click_unit(page, dataset, code)
    expect(page.get_by_text("Target new unit:").first).to_be_visible()


def _text(page, selector: str) -> str:
    return page.locator(selector).inner_text()


def test_move_units_by_click_refuse_undo_redo_and_resolve(page, served: tuple[str, Path], kg_dataset: Dataset) -> None:
    from playwright.sync_api import expect

    url, results_dir = served
    dataset = subset_dataset(kg_dataset, [RAION])
    page.goto(f"{url}/?territory={RAION}")
    _idle(page)
    page.get_by_role("button", name="Show the result of").click()
    expect(page.get_by_text("Scenario runs: 1")).to_be_visible()
    _idle(page)
    editor = _editor(_latest_result(results_dir), kg_dataset)
    page.get_by_text("Edit mode: move units by clicking").click()
    _idle(page)
    expect(page.locator(VERDICT)).to_be_visible()
    verdicts, figures = [_text(page, VERDICT)], [_text(page, FIGURES)]
    last: str | None = None
    for step in range(3):
        unit, near = _next_move(editor, last)
        _choose_target(page, dataset, near)
        _click_unit(page, dataset, unit)
        expect(page.get_by_test_id("stAlertContentSuccess").filter(has_text="Moved")).to_be_visible()
        # the page may still be drawing below the message: wait for the verdict and the figures
        expect(page.locator(VERDICT)).not_to_have_text(verdicts[-1])
        expect(page.locator(FIGURES)).not_to_have_text(figures[-1])
        _idle(page)
        verdicts.append(_text(page, VERDICT))
        figures.append(_text(page, FIGURES))
        assert verdicts[-1] != verdicts[-2], f"move {step + 1}: the verdict did not change"
        assert figures[-1] != figures[-2], f"move {step + 1}: no key figure changed"
        assert f"Moves: {step + 1}" in page.get_by_text("Moves:").first.inner_text()
        last = unit
    page.screenshot(path=str(ARTIFACTS / "app-plan-edit-three-moves.png"))
    # a move that would leave its new unit in two pieces is refused, with the reason
    split = next(((u, v) for u, v in _pairs(editor) if v not in (last, u)
                  and (r := editor.check_move(u, editor.new_unit_of(v))) is not None and r.code == "would_split"), None)
    assert split is not None, "no move in the raion would split a new unit"
    _choose_target(page, dataset, split[1])
    _click_unit(page, dataset, split[0])
    refused = page.get_by_test_id("stAlertContentWarning").filter(has_text="Move refused")
    expect(refused).to_contain_text("would split the new unit")
    assert _text(page, VERDICT) == verdicts[-1]  # nothing moved
    # undo and redo step through the moves
    page.get_by_role("button", name="Undo move").click()
    _idle(page)
    expect(page.locator(VERDICT)).to_have_text(verdicts[2])
    page.get_by_role("button", name="Redo move").click()
    _idle(page)
    expect(page.locator(VERDICT)).to_have_text(verdicts[3])
    # the engine finishes the raion with the moved units locked
    assert isinstance(editor.resolve_around_edits(), Resolved)
    page.get_by_role("button", name="Re-solve around my edits").click()
    _idle(page)
    done = page.get_by_test_id("stAlertContentSuccess").filter(has_text="Re-solved raion")
    expect(done).to_contain_text("The hand edits cost")
    assert page.get_by_test_id("stException").count() == 0
    page.screenshot(path=str(ARTIFACTS / "app-plan-edit-resolved.png"))
