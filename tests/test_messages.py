"""The engine's messages in every language: a unit's reason, a plan-check violation, an infeasibility.

The engine writes each message in English and records its code and raw values; the interface
renders it from the catalogue (``atr_model.presentation.messages``). Held here, on hand-made
instances (every code), on the demo run and on the Kyrgyz concept-2013 run: every code has a
catalogue text in each language, the English rendering IS the engine's sentence (so the two
cannot drift), and the Kyrgyz and Russian renderings hold no English.
"""

from __future__ import annotations

import html
import pickle
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from atr_model.errors import InfeasibleError
from atr_model.optimisation import EngineSettings, MergerInstance, MergerModel, check_plan, explain_units
from atr_model.presentation.i18n import LANGUAGES, STRINGS
from atr_model.presentation.messages import (
    decision_text,
    exemption_text,
    message_keys,
    reason_params,
    render_infeasibility,
    render_reason,
    render_violation,
    result_unit_names,
)
from atr_model.presentation.report.html_parts import escape

ROOT = Path(__file__).resolve().parents[1]

#: Phrases of the engine's English sentences (reasons, exemption texts) that must not reach a
#: Kyrgyz or Russian page.
ENGINE_ENGLISH = (
    "residents", "joins the new unit", "below the floor", "min from the centre", "exempt from the floor",
    "stays as it is", "meets the floor", "hosts the centre", "stays alone", "high-mountain:", "remote:",
    "border:", "hard-to-reach:", "town: keeps", "nearest settlement", "travel time to the raion centre",
)
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
#: Unit codes of the demo and of the hand-made instances (Latin, but codes, not English).
CODE = re.compile(r"DEMO(?:-\d+)+|\bU\d+\b")

# Units of the hand-made instances: Latin names for English, Cyrillic ones for Kyrgyz and Russian.
LATIN = ["Ak-Suu", "Boz-Ata", "Kara-Dobo", "Kok-Bulak", "Sary-Kol", "Chon-Ata"]
CYRILLIC = ["Ак-Суу", "Боз-Ата", "Кара-Дөбө", "Көк-Булак", "Сары-Көл", "Чоң-Ата"]


def _names(inst: MergerInstance, lang: str) -> dict[str, str]:
    source = inst.names if lang == "en" else CYRILLIC
    return dict(zip(inst.unit_codes, source))


def _instance(pop: list[float], edges: list[tuple[int, int]], **kw: object) -> MergerInstance:
    """Units on a line (distance |i - j|, 10 min per step), named, with ``pop`` residents each."""
    n = len(pop)
    idx = np.arange(n)
    dist = np.abs(idx[:, None] - idx[None]).astype(float)
    pop_arr = np.asarray(pop, dtype=float)
    return MergerInstance(unit_codes=[f"U{i}" for i in range(n)], names=LATIN[:n], population=pop_arr,
                          cost=pop_arr[:, None] * dist, adjacency=edges, travel_time_min=10.0 * dist, **kw)


def _line(n: int = 4, **kw: object) -> MergerInstance:
    return _instance([3000.0] * n, [(i, i + 1) for i in range(n - 1)], **kw)


def visible_text(page: str) -> str:
    """The text a reader sees: no style block, no drawn maps, no tags."""
    page = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    page = re.sub(r"<svg.*?</svg>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _assert_catalogued(prefix: str, code: str) -> None:
    keys = message_keys(prefix, code)
    assert keys, code
    for key in keys:
        assert key in STRINGS and set(STRINGS[key]) == set(LANGUAGES), f"{key} (code {code!r}) lacks a language"


def _assert_no_english(text: str, where: str) -> None:
    assert not [p for p in ENGINE_ENGLISH if p in text], f"{where}: {text}"
    assert not LATIN_WORD.findall(CODE.sub("", text)), f"{where}: {text}"


# --------------------------------------------------------------------------- hand-made instances

HARD = EngineSettings(population_floor=5000, floor_mode="hard")
GOOD = [0, 0, 2, 2]
CHECK_CASES = [
    ({}, HARD, [0, 0, 0, 1], "assignment.not_centre"),
    ({}, HARD, [0, 0, 0, 0, 0], "assignment.shape"),
    ({}, HARD, [0, 0, 9, 9], "assignment.index"),
    ({}, HARD, [0, 2, 2, 0], "contiguity"),
    ({}, HARD, [0, 1, 2, 2], "floor"),
    ({}, HARD.replace(population_cap=8000, cap_mode="hard"), [0, 0, 0, 3], "cap"),
    ({}, HARD.replace(max_travel_time_min=15), [1, 1, 1, 1], "travel_time"),
    ({"group": ["A", "A", "B", "B"]}, HARD, [1, 1, 1, 1], "nesting"),
    ({"keep_separate": [False, True, False, False]}, HARD.replace(floor_mode="soft"), [0, 0, 2, 2], "keep_separate"),
    ({"exempt": [True, False, False, False]}, HARD.replace(exempt_mode="keep"), [0, 0, 2, 2], "exempt"),
    ({"must_link": [(1, 2)]}, HARD, GOOD, "must_link"),
    ({"cannot_link": [(0, 1)]}, HARD, GOOD, "cannot_link"),
    ({"centre_eligible": [False, True, True, True]}, HARD, GOOD, "centre_eligible"),
    ({}, HARD.replace(n_units=3), GOOD, "n_units"),
    ({"group": ["A", "A", "B", "B"]}, HARD.replace(n_units={"A": 2, "B": 1}), GOOD, "n_units.group"),
    ({"indicator": [1.0, 0.0, 5.0, 5.0]}, HARD.replace(indicator_floor=2.5), GOOD, "indicator_floor"),
]


@pytest.mark.parametrize(("inst_kw", "settings", "plan", "code"), CHECK_CASES, ids=[c[-1] for c in CHECK_CASES])
def test_every_check_code_renders_the_checkers_sentence(inst_kw: dict, settings: EngineSettings, plan: list[int],
                                                        code: str) -> None:
    inst = _line(**inst_kw)
    found = check_plan(inst, np.asarray(plan), settings)
    assert code in {v.code for v in found}, [(v.code, v.message) for v in found]
    for v in found:
        _assert_catalogued("check", v.code)
        assert render_violation(v, "en", _names(inst, "en")) == v.message
        for lang in ("ky", "ru"):
            _assert_no_english(render_violation(v, lang, _names(inst, lang)), f"{lang} {v.code}")


def test_cost_violation_and_a_fractional_time() -> None:
    inst = _line()
    cost = inst.cost.copy()
    cost[1, 0] = np.inf
    ttm = inst.travel_time_min.copy()
    ttm[3, 2] = 17.25
    inst2 = MergerInstance(unit_codes=inst.unit_codes, names=inst.names, population=inst.population, cost=cost,
                           adjacency=inst.adjacency, travel_time_min=ttm)
    found = check_plan(inst2, np.asarray(GOOD), HARD.replace(max_travel_time_min=15.5))
    assert {v.code for v in found} == {"cost", "travel_time"}
    travel = next(v for v in found if v.code == "travel_time")
    # the sentence states the time to one decimal and the limit as given
    assert travel.message == "Kok-Bulak (U3) is 17.2 min from its centre Kara-Dobo (U2), above the limit 15.5 min"
    assert travel.params["minutes"] == 17.2 and travel.params["limit"] == 15.5
    for v in found:
        assert render_violation(v, "en", _names(inst2, "en")) == v.message
    assert render_violation(travel, "ru", _names(inst2, "ru")) == (
        "единица Көк-Булак (U3): до своего центра (Кара-Дөбө (U2)) 17,2 мин, больше лимита 15,5 мин")


EXPLAIN_CASES = [
    # (population, edges, instance options, settings, code the first unit gets)
    ([3000, 3000, 3000, 3000], [(0, 1), (1, 2), (2, 3)], {}, HARD, {"centre", "merged"}),
    ([1000, 4500, 600], [(0, 1), (1, 2)], {"exempt": [True, False, False],
                                             "exempt_reason": ["high-mountain: centre at 2,450 m > 2,000 m", "", ""]},
     HARD.replace(exempt_mode="keep"), {"kept_exempt"}),
    ([1000, 4500, 600], [(0, 1), (1, 2)], {"exempt": [True, False, False]}, HARD.replace(exempt_mode="keep"),
     {"kept_exempt"}),
    ([6000, 6000], [(0, 1)], {}, HARD, {"kept_meets_floor"}),
    ([3000, 3000, 3000], [(0, 1), (1, 2)], {"keep_separate": [True, False, False]}, HARD.replace(floor_mode="soft"),
     {"kept_locked"}),
    ([3000, 9000], [], {}, HARD.replace(floor_mode="soft"), {"below_floor.no_neighbours"}),
    ([3000, 9000], [(0, 1)], {"group": ["A", "B"]}, HARD.replace(floor_mode="soft"), {"below_floor.across_nesting"}),
    ([3000, 9000], [(0, 1)], {"keep_separate": [False, True]}, HARD.replace(floor_mode="soft"),
     {"below_floor.neighbours_locked"}),
    ([3000, 9000, 9000], [(0, 1), (1, 2)], {}, HARD.replace(floor_mode="soft", max_travel_time_min=7.5),
     {"below_floor.travel_limit"}),
    ([3000, 9000], [(0, 1)], {}, HARD.replace(floor_mode="soft", population_cap=10000, cap_mode="hard"),
     {"below_floor.cap"}),
    ([3000, 9000], [(0, 1)], {}, HARD.replace(floor_mode="soft", slack_penalty_per_person=0.25),
     {"below_floor.soft_penalty"}),
    ([1000, 1000], [(0, 1)], {}, HARD.replace(floor_mode="soft", slack_penalty_per_person=1e6),
     {"centre+shortfall", "merged+shortfall"}),
]


@pytest.mark.parametrize(("pop", "edges", "inst_kw", "settings", "codes"), EXPLAIN_CASES,
                         ids=[f"{sorted(c[-1])[0]}-{k}" for k, c in enumerate(EXPLAIN_CASES)])
def test_every_reason_code_renders_the_engines_sentence(pop: list[float], edges: list[tuple[int, int]], inst_kw: dict,
                                                        settings: EngineSettings, codes: set[str]) -> None:
    inst = _instance(pop, edges, **inst_kw)
    result = MergerModel(inst, settings).solve()
    items = explain_units(inst, result, settings)
    assert codes <= {e.reason_code for e in items}, [(e.reason_code, e.reason) for e in items]
    for e in items:
        _assert_catalogued("reason", e.reason_code)
        row = {"reason_code": e.reason_code, "reason_params": e.reason_params, "reason": e.reason}
        assert render_reason(row, "en", _names(inst, "en")) == e.reason
        for lang in ("ky", "ru"):
            _assert_no_english(render_reason(row, lang, _names(inst, lang)), f"{lang} {e.reason_code}")


def test_no_plan_reason_names_the_status_in_the_language() -> None:
    import dataclasses

    inst = _line()
    settings = HARD.replace(floor_mode="soft")
    result = MergerModel(inst, settings).solve()
    unplanned = dataclasses.replace(result, assignment=np.full(inst.n, -1), status="time_limit_no_solution")
    assert not unplanned.has_plan
    item = explain_units(inst, unplanned, settings)[0]
    row = {"reason_code": item.reason_code, "reason_params": item.reason_params}
    assert item.reason_code == "no_plan"
    assert render_reason(row, "en", {}) == item.reason
    assert STRINGS["solver_status.time_limit_no_solution"]["ru"] in render_reason(row, "ru", {})


INFEASIBLE_CASES = [
    # (population, edges, instance options, settings, reason code expected)
    ([3000, 3000, 9000], [(0, 1), (1, 2)], {}, EngineSettings(n_units=4), "n_units.centres"),
    ([3000, 3000, 9000], [(0, 1), (1, 2)], {}, EngineSettings(population_floor=5000, population_cap=4000), "band"),
    ([3000, 3000, 9000], [(0, 1), (1, 2)], {}, EngineSettings(population_floor=5000, population_cap=8000,
                                                             cap_mode="hard"), "cap"),
    ([3000, 3000, 9000], [(0, 1), (1, 2)], {}, EngineSettings(population_floor=6000, floor_mode="hard", n_units=3),
     "n_units.floor"),
    ([3000, 3000, 9000], [(0, 1), (1, 2)], {}, EngineSettings(population_floor=2000, population_cap=4000,
                                                             cap_mode="hard", n_units=1), "n_units.cap"),
    ([3000, 3000, 3000], [(0, 1), (1, 2)], {"keep_separate": [True, True, False]}, EngineSettings(n_units=1),
     "n_units.alone_and_more"),
    ([3000, 3000], [(0, 1)], {"keep_separate": [True, True]}, EngineSettings(n_units=1), "n_units.alone"),
    ([3000, 9000], [(0, 1)], {"keep_separate": [True, False]}, EngineSettings(population_floor=5000, floor_mode="hard"),
     "floor.keep_separate"),
    ([3000, 3000, 9000], [(0, 1)], {}, EngineSettings(population_floor=5000, floor_mode="hard",
                                                      max_travel_time_min=5), "floor"),
    ([3000, 3000], [(0, 1)], {"centre_eligible": [False, False]}, EngineSettings(), "centre_eligible"),
    ([3000, 3000], [(0, 1)], {"group": ["A", "B"], "must_link": [(0, 1)]}, EngineSettings(), "must_link.nesting"),
    ([3000, 3000], [(0, 1)], {"keep_separate": [True, False], "must_link": [(0, 1)]}, EngineSettings(),
     "must_link.keep_separate"),
    ([3000, 3000], [(0, 1)], {"exempt": [True, False], "must_link": [(0, 1)]}, EngineSettings(exempt_mode="keep"),
     "must_link.exempt"),
    ([3000, 3000, 3000], [(0, 1), (1, 2)], {"must_link": [(0, 1), (1, 2)], "cannot_link": [(0, 2)]}, EngineSettings(),
     "cannot_link.must_link"),
    ([3000, 3000, 3000], [(0, 1), (1, 2)], {"keep_separate": [False, True, False], "must_link": [(0, 2)]},
     EngineSettings(floor_mode="soft"), "must_link.blocked"),
    ([3000, 3000, 3000], [(0, 1)], {"must_link": [(0, 2)]}, EngineSettings(floor_mode="soft"),
     "must_link.disconnected"),
    ([3000, 3000, 3000], [(0, 1), (1, 2)], {"must_link": [(0, 2)]},
     EngineSettings(floor_mode="soft", max_travel_time_min=5, contiguity="none"), "must_link.centre"),
    ([3000] * 4, [(0, 1), (1, 2), (2, 3)], {"cannot_link": [(0, 1)]},
     EngineSettings(population_floor=5000, floor_mode="hard"), "solver.families"),
]


@pytest.mark.parametrize(("pop", "edges", "inst_kw", "settings", "code"), INFEASIBLE_CASES,
                         ids=[c[-1] for c in INFEASIBLE_CASES])
def test_every_infeasibility_code_renders_the_engines_message(pop: list[float], edges: list[tuple[int, int]],
                                                              inst_kw: dict, settings: EngineSettings, code: str) -> None:
    inst = _instance(pop, edges, **inst_kw)
    with pytest.raises(InfeasibleError) as err:
        MergerModel(inst, settings).solve()
    error = err.value
    assert error.code == "hard_constraints"
    assert code in [r.get("code") for r in error.reasons], error.reasons
    for reason in error.reasons:
        _assert_catalogued("infeasible", reason["code"])
    assert render_infeasibility(error, "en", _names(inst, "en")) == str(error)
    for lang in ("ky", "ru"):
        _assert_no_english(render_infeasibility(error, lang, _names(inst, lang)), f"{lang} {code}")
    # the error keeps its codes across processes (a group solved in a worker)
    again = pickle.loads(pickle.dumps(error))
    assert (again.code, again.reasons, str(again)) == (error.code, error.reasons, str(error))


def test_more_than_five_reasons_say_how_many_more() -> None:
    inst = _instance([3000.0] * 6, [])  # six units, no neighbours: none can reach a hard floor
    with pytest.raises(InfeasibleError) as err:
        MergerModel(inst, EngineSettings(population_floor=5000, floor_mode="hard")).solve()
    assert len(err.value.reasons) == 6 and str(err.value).endswith("(and 1 more)")
    assert render_infeasibility(err.value, "en", _names(inst, "en")) == str(err.value)
    assert render_infeasibility(err.value, "ru", _names(inst, "ru")).endswith("(и ещё 1)")


def test_a_landscape_barrier_note_is_part_of_the_reason() -> None:
    from scen_mini import mini_dataset, mini_travel_model

    from atr_model.scenarios import run_scenario, scenario_from_dict

    scenario = scenario_from_dict(
        {"name": "barrier", "criteria": {"exemptions": {"high_mountain_m": None, "border_km": None,
                                                        "remote_travel_time_min": None, "seasonal_access": False}}}
    )
    a = run_scenario(scenario, dataset=mini_dataset(), travel_model=mini_travel_model(barrier_bc=True)).assignments
    d = a.set_index("unit_code").loc["D"].to_dict()
    assert d["reason_code"].endswith("+barrier") and reason_params(d)["barrier_units"] == ["C"]
    assert render_reason(d, "en", result_unit_names(a, "en")) == d["reason"]
    cyrillic = {code: f"Бирдик {code}" for code in a["unit_code"]}
    ky = render_reason(d, "ky", cyrillic)
    assert "Ландшафт (1-критерий): аны Бирдик C (C) менен" in ky
    _assert_no_english(ky, "ky barrier")


# --------------------------------------------------------------------------- exemption texts


def test_exemption_texts_of_the_criteria_layer_are_translated(demo_dataset) -> None:
    from atr_model.criteria import compute_exemptions, criteria_from_dict
    from atr_model.network import build_travel_model

    criteria = criteria_from_dict({"exemptions": {
        "high_mountain_m": 1500, "high_mountain_basis": "either", "remote_travel_time_min": 30, "border_km": 20,
        "seasonal_access": True, "manual": [{"unit_code": demo_dataset.units["unit_code"].iloc[0], "reason": "hearing"}],
    }})
    table = compute_exemptions(demo_dataset, build_travel_model(demo_dataset), criteria)
    texts = [r for r in table["reason"] if r]
    rules = {rule for r in table["rules"] for rule in r.split(";") if rule}
    assert {"high_mountain", "remote", "border", "manual", "town"} <= rules, rules
    for text in texts:
        assert exemption_text(text, "en") == text
        for lang in ("ky", "ru"):
            shown = exemption_text(text, lang).replace("hearing", "")  # a manual reason is the user's own text
            _assert_no_english(shown, f"{lang} exemption")
    # the measured values are kept, in the language's number format
    sample = "high-mountain: centre at 2,778 m > 2,000 m; border: nearest settlement 3.2 km from the state border <= 5.0 km"
    assert exemption_text(sample, "ru") == (
        "высокогорная: центр на высоте 2\u00a0778 м > 2\u00a0000 м; "
        "приграничная: ближайшее село в 3,2 км от государственной границы ≤ 5,0 км")
    assert exemption_text("something new; border: nearest settlement 3.2 km from the state border <= 5.0 km", "ky") \
        .startswith("something new; чек ара жанындагы:")  # an unknown part is kept as it is


# --------------------------------------------------------------------------- runs and packages


def _check_result(assignments: pd.DataFrame) -> None:
    """Every unit's reason: catalogued, English = the engine's sentence, no English in ky/ru."""
    assert assignments["reason_code"].str.len().gt(0).all()
    for code in assignments["reason_code"].unique():
        _assert_catalogued("reason", code)
    names = {lang: result_unit_names(assignments, lang) for lang in LANGUAGES}
    for row in assignments.to_dict("records"):
        assert render_reason(row, "en", names["en"]) == row["reason"], row["unit_code"]
        for lang in ("ky", "ru"):
            _assert_no_english(render_reason(row, lang, names[lang]), f"{lang} {row['unit_code']}")


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from atr_model.data.demo import make_demo_dataset
    from atr_model.presentation.app import results
    from atr_model.scenarios import load_scenario

    return results.run_or_reuse(
        load_scenario(ROOT / "scenarios" / "demo.yaml"), make_demo_dataset(), out_root=tmp_path_factory.mktemp("res")
    )


def test_demo_package_keeps_codes_and_every_reason_renders(demo_folder: Path) -> None:
    from atr_model.scenarios import load_result_files

    raw = pd.read_csv(demo_folder / "assignments.csv", dtype=str, keep_default_na=False)
    assert {"reason_code", "reason_params"} <= set(raw.columns)
    assert all(isinstance(reason_params(r), dict) and reason_params(r) for r in raw.to_dict("records"))
    _check_result(load_result_files(demo_folder).assignments)


def test_old_packages_without_codes_still_render(demo_folder: Path, tmp_path: Path) -> None:
    import shutil

    from atr_model.presentation.report import render_report
    from atr_model.scenarios import load_result_files

    old = tmp_path / "old"
    shutil.copytree(demo_folder, old)
    table = pd.read_csv(old / "assignments.csv", dtype=str)
    table.drop(columns=["reason_code", "reason_params"]).to_csv(old / "assignments.csv", index=False)
    a = load_result_files(old).assignments
    assert "reason_code" not in a
    merged = a[a["status"] == "merged"].iloc[0].to_dict()
    names = result_unit_names(a, "ru")
    assert render_reason(merged, "en", {}) == merged["reason"]  # English: the engine's sentence
    assert render_reason(merged, "ru", names).startswith("к центру ")  # composed from the row, as before codes
    assert decision_text(merged, "ru", names).startswith(STRINGS["status.merged"]["ru"])
    assert "residents (floor" not in visible_text(render_report(old, "ru"))


def test_report_in_kyrgyz_and_russian_renders_every_reason(demo_folder: Path) -> None:
    from atr_model.presentation.report import render_report
    from atr_model.scenarios import load_result_files

    a = load_result_files(demo_folder).assignments
    for lang in ("ky", "ru"):
        page = render_report(demo_folder, lang)
        names = result_unit_names(a, lang)
        for row in a.to_dict("records"):  # each unit's line in its new unit's passport
            assert escape(decision_text(row, lang, names)) in page, row["unit_code"]
        assert not [p for p in ENGINE_ENGLISH if p in visible_text(page)], lang


def test_plan_check_map_rows_carry_the_messages_in_the_language(demo_dataset) -> None:
    from atr_model.presentation.app import plans
    from atr_model.scenarios import load_scenario

    codes = list(demo_dataset.units["unit_code"])
    text = "unit_code,new_unit_id\n" + "\n".join(f"{c},{c}" for c in codes)  # the status quo
    evaluation = plans.evaluate_plan_upload(text, "status-quo.csv", load_scenario(ROOT / "scenarios" / "demo.yaml"),
                                              demo_dataset)
    assert len(evaluation.violations) and "floor" in set(evaluation.violations["code"])
    units = demo_dataset.units
    names = {"en": dict(zip(units["unit_code"], evaluation.plan.set_index("unit_code").loc[units["unit_code"], "unit_name"])),
             "ru": dict(zip(units["unit_code"], units["name_ru"]))}
    for row in evaluation.violations.to_dict("records"):
        assert render_violation(row, "en", names["en"]) == row["message"]
    rows = plans.plan_assignments(evaluation, units, "ru", names["ru"])
    shown = rows.loc[rows["reason"] != "", "reason"]
    assert len(shown) and not [r for r in shown if LATIN_WORD.search(CODE.sub("", r))]
    assert (rows["reason_code"] == "").all()
    # the map shows these rows' texts as they are (no code to render again)
    first = rows[rows["reason"] != ""].iloc[0].to_dict()
    assert render_reason(first, "ru", names["ru"]) == first["reason"]


# --------------------------------------------------------------------------- the Kyrgyz build


@pytest.fixture(scope="module")
def kg_concept(kg_dataset, tmp_path_factory: pytest.TempPathFactory):
    from atr_model.presentation.runs import save_result
    from atr_model.scenarios import load_scenario, resolve_travel_model, run_scenario

    scenario = load_scenario(ROOT / "scenarios" / "concept-2013.yaml")
    travel = resolve_travel_model(scenario, kg_dataset)
    result = run_scenario(scenario, dataset=kg_dataset, travel_model=travel)
    folder = save_result(result, tmp_path_factory.mktemp("kg-messages") / "concept-2013")
    return result, travel, folder


@pytest.mark.kgdata
def test_kyrgyz_reasons_render_in_every_language(kg_concept) -> None:
    from atr_model.scenarios import load_result_files

    result, _travel, folder = kg_concept
    a = load_result_files(folder).assignments
    # the national run covers the statuses the Council sees: merged, centres, exempt, kept, below the floor
    assert {"merged", "centre", "kept_exempt", "kept_meets_floor"} <= set(a["reason_code"].str.split("+").str[0])
    assert a["reason_code"].str.startswith("below_floor.").any()
    _check_result(a)
    # every exemption text of the run, alone, also reads in Kyrgyz and Russian
    for text in a.loc[a["exempt_reason"] != "", "exempt_reason"].unique():
        assert exemption_text(text, "en") == text
        for lang in ("ky", "ru"):
            _assert_no_english(exemption_text(text, lang), f"{lang} exemption")


@pytest.mark.kgdata
@pytest.mark.parametrize("lang", ["ky", "ru"])
def test_kyrgyz_report_and_summary_hold_no_engine_english(kg_concept, lang: str) -> None:
    from atr_model.presentation.report import render_report, render_summary

    _result, _travel, folder = kg_concept
    for page in (render_report(folder, lang), render_summary(folder, lang)):
        assert not [p for p in ENGINE_ENGLISH if p in visible_text(page)]
    report = render_report(folder, lang)
    a = pd.read_csv(folder / "assignments.csv", dtype=str, keep_default_na=False)
    merged = a[a["status"] == "merged"].iloc[0]
    assert render_reason(merged.to_dict(), lang, result_unit_names(a, lang)) in report


def _bad_kyrgyz_plan(result) -> tuple[pd.DataFrame, dict[str, str]]:
    """The optimised plan broken three ways: a small unit alone (floor), an exempt aiyl aimak merged
    into a neighbour's new unit (exemption), the first unit moved into a new unit of another raion
    (nesting, contiguity, travel time). Also returns which exempt unit was merged."""
    a = result.assignments
    plan = a[["unit_code", "new_unit_id"]].copy()
    inst = result.bundle.instance
    floor = result.scenario.criteria.population_floor
    small = a[(a["status"] == "merged") & ~a["exempt"] & (a["population"] < floor)].iloc[0]
    plan.loc[plan["unit_code"] == small["unit_code"], "new_unit_id"] = "ALONE-1"
    exempt = a[(a["status"] == "kept_exempt") & a["level"].eq("aiyl_aimak")]["unit_code"]
    moved = {}
    for code in exempt:
        i = inst.index(code)
        partners = [int(b) if int(a_) == i else int(a_) for a_, b in inst.adjacency if i in (int(a_), int(b))]
        target = next((inst.unit_codes[j] for j in partners if inst.group[j] == inst.group[i]), None)
        if target is not None:
            plan.loc[plan["unit_code"] == code, "new_unit_id"] = plan.set_index("unit_code").loc[target, "new_unit_id"]
            moved["exempt"] = code
            break
    far = a[a["raion_code"] != small["raion_code"]].iloc[-1]
    plan.loc[plan["unit_code"] == a.iloc[0]["unit_code"], "new_unit_id"] = far["new_unit_id"]
    return plan, moved


@pytest.mark.kgdata
def test_kyrgyz_plan_check_messages_render_in_every_language(kg_concept, kg_dataset) -> None:
    from atr_model.scenarios import evaluate_plan

    result, travel, _folder = kg_concept
    plan, moved = _bad_kyrgyz_plan(result)
    assert moved, "no exempt aiyl aimak with a neighbour in its raion"
    verdict = evaluate_plan(plan, result.scenario, dataset=kg_dataset, travel_model=travel)
    codes = set(verdict.violations["code"])
    assert {"floor", "exempt.rule", "contiguity", "nesting"} <= codes, codes
    names = {lang: result_unit_names(result.assignments, lang) for lang in LANGUAGES}
    for row in verdict.violations.to_dict("records"):
        _assert_catalogued("check", row["code"])
        assert render_violation(row, "en", names["en"]) == row["message"]
        for lang in ("ky", "ru"):
            _assert_no_english(render_violation(row, lang, names[lang]), f"{lang} {row['code']}")


@pytest.mark.kgdata
@pytest.mark.parametrize("case", ["hard_floor", "n_units", "together_across_raions"])
def test_kyrgyz_infeasible_scenarios_render_in_every_language(kg_concept, kg_dataset, case: str) -> None:
    from atr_model.scenarios import load_scenario, run_scenario

    result, travel, _folder = kg_concept
    a = result.assignments
    if case == "hard_floor":
        name, overrides = "concept-2013.yaml", {"population_floor": 100000, "floor_mode": "hard"}
    elif case == "n_units":
        name, overrides = "national-231.yaml", {"n_units": 5}
    else:
        first, other = a.iloc[0], a[a["raion_code"] != a.iloc[0]["raion_code"]].iloc[0]
        name, overrides = "concept-2013.yaml", {"locks": {"together": [[first["unit_code"], other["unit_code"]]]}}
    base = load_scenario(ROOT / "scenarios" / name)
    criteria = base.criteria.model_copy(update={k: v for k, v in overrides.items() if k != "locks"})
    if "locks" in overrides:
        criteria = criteria.model_copy(update={"locks": criteria.locks.model_copy(
            update={"together": tuple(tuple(p) for p in overrides["locks"]["together"])})})
    scenario = base.model_copy(update={"criteria": criteria})
    with pytest.raises(InfeasibleError) as err:
        run_scenario(scenario, dataset=kg_dataset, travel_model=travel)
    error = err.value
    assert error.code
    for reason in error.reasons:
        if reason.get("code"):
            _assert_catalogued("infeasible", reason["code"])
    names = {lang: result_unit_names(a, lang) for lang in LANGUAGES}
    assert render_infeasibility(error, "en", names["en"]) == str(error)
    for lang in ("ky", "ru"):
        _assert_no_english(render_infeasibility(error, lang, names[lang]), f"{lang} {case}")


# --------------------------------------------------------------------------- the app


def test_app_shows_the_selected_units_reason_and_the_units_table_in_kyrgyz(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from streamlit.testing.v1 import AppTest

    from atr_model.presentation.app.server import PAGE_SCRIPT
    from atr_model.scenarios import load_result_files

    monkeypatch.setenv("ATR_APP_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("ATR_CACHE_DIR", str(tmp_path / "cache"))
    at = AppTest.from_file(str(PAGE_SCRIPT), default_timeout=180).run()
    at.selectbox(key="scenario_choice").set_value(str(ROOT / "scenarios" / "demo.yaml")).run()
    at.button(key="run").click().run()
    at.selectbox(key="lang").set_value("ky").run()
    assert not at.exception, at.exception
    a = load_result_files(at.session_state["result_folder"]).assignments
    merged = a[a["status"] == "merged"].iloc[0]
    at.session_state["selected_unit"] = merged["unit_code"]
    at.run()
    label = f"{STRINGS['field.reason']['ky']}: "
    # the page writes names as Markdown text (markdown_text.md_text): read the caption as shown
    shown = [re.sub(r"\\(.)", r"\1", c.value[len(label):]) for c in at.caption if c.value.startswith(label)]
    assert len(shown) == 1, [c.value for c in at.caption]
    centre = a.set_index("unit_code").loc[merged["centre_code"], "unit_name_ky"]
    assert f"борбору {centre} ({merged['centre_code']}) болгон жаңы бирдикке кошулат" in shown[0]
    _assert_no_english(shown[0], "selected unit")
    tables = [d.value for d in at.dataframe if STRINGS["field.reason"]["ky"] in d.value.columns]
    assert tables, "no units table with reasons"
    reasons = tables[0][STRINGS["field.reason"]["ky"]]
    assert reasons.str.len().gt(0).all()
    for text in reasons:
        _assert_no_english(text, "units table")
