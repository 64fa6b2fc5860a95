"""A copy of the demo territory with hostile names, its run and its maps (tests/test_safety_injection.py).

The first demo unit is named like a script, two others like spreadsheet formulas (on units a
floor of 3,000 groups differently, so Compare lists them), the first settlement like a script;
the scenario's title is a formula and its description Markdown with an outside image and link.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = "<img src=x onerror=alert(2)>"
FORMULA = '=HYPERLINK("http://evil.example/x","click")'
CMD = "@SUM(1+1)*cmd|' /C calc'!A0"
#: Row of the demo's unit table -> the name it gets in every language.
HOSTILE = {0: SCRIPT, 3: FORMULA, 4: CMD}
TITLE = "=cmd|' /C calc'!A0"
MARKDOWN = "Plan ![x](http://evil.example/pixel.png) [see](http://evil.example/) www.evil.example **bold**"
#: A scenario label (Compare's A and B) that is HTML.
LABEL = "<img src=y onerror=alert(3)>"


def hostile_dataset():
    """The demo dataset with the hostile names."""
    from atr_model.data.demo import make_demo_dataset

    dataset = make_demo_dataset()
    units, settlements = dataset.units.copy(), dataset.settlements.copy()
    for row, name in HOSTILE.items():
        for column in ("name_en", "name_ru", "name_ky"):
            units.loc[units.index[row], column] = name
    for column in ("name_en", "name_ru", "name_ky"):
        if column in settlements:
            settlements.loc[settlements.index[0], column] = SCRIPT
    return dataset.replace(units=units, settlements=settlements)


def hostile_run(floor: float | None = None) -> tuple[Any, Any, Any, Any]:
    """``(dataset, scenario, travel model, result)`` of the demo scenario on the hostile dataset
    (title a formula, description Markdown), optionally with another population floor."""
    from atr_model.scenarios import apply_overrides, load_scenario, resolve_travel_model, run_scenario

    dataset = hostile_dataset()
    scenario = load_scenario(ROOT / "scenarios" / "demo.yaml").model_copy(
        update={"title": TITLE, "description": MARKDOWN}
    )
    if floor is not None:
        scenario = apply_overrides(scenario, **{"criteria.population_floor": floor})
    travel = resolve_travel_model(scenario, dataset)
    return dataset, scenario, travel, run_scenario(scenario, dataset=dataset, travel_model=travel)


def hostile_folium_maps(lang: str = "en") -> dict[str, Any]:
    """The dataset, result, compare (two maps side by side) and diff maps of the hostile run."""
    from atr_model.presentation import maps
    from atr_model.scenarios import compare_results

    dataset, _scenario, _travel, a = hostile_run()
    b = hostile_run(3000)[3]
    layers = maps.display_layers(dataset)
    changed = compare_results(a, b).changed_units["unit_code"].astype(str)
    left, right = maps.compare_maps(layers, a.assignments, b.assignments, changed, new_units_a=a.new_units,
                                    new_units_b=b.new_units, lang=lang)
    return {
        "dataset": maps.dataset_map(layers, lang=lang),
        "result": maps.result_map(layers, a.assignments, new_units=a.new_units, lang=lang),
        "compare": maps.side_by_side(left, right),
        "diff": maps.diff_map(layers, a.assignments, b.assignments, changed, label_a=LABEL, label_b=SCRIPT, lang=lang),
    }


def hostile_maps() -> dict[str, Any]:
    """:func:`hostile_folium_maps` rendered as the app shows them (``RenderedMap``)."""
    from atr_model.presentation.app.folium_view import render_map

    return {name: render_map(fmap) for name, fmap in hostile_folium_maps().items()}
