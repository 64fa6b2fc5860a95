"""The plan editor on the national plan of the Kyrgyz build (issue 23 items 1 and 2).

Moves are chosen from the real plan (aiyl aimaks of one raion, in code order), never written in:
every figure after a move must be what ``evaluate`` gives for the exported plan CSV.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from atr_model.presentation import i18n
from atr_model.scenarios import evaluate_plan, key_figures, load_scenario, resolve_travel_model, run_scenario
from atr_model.scenarios.plan_edit import REFUSAL_MESSAGES, PlanEditor, Refusal, Resolved
from atr_model.scenarios.run import ScenarioResult

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.kgdata


@pytest.fixture(scope="module")
def national(kg_dataset) -> ScenarioResult:
    scenario = load_scenario(ROOT / "scenarios" / "national-231.yaml")
    travel = resolve_travel_model(scenario, kg_dataset)
    return run_scenario(scenario, dataset=kg_dataset, travel_model=travel)


@pytest.fixture()
def editor(national: ScenarioResult) -> PlanEditor:
    return PlanEditor.from_result(national)


def _aimak_pairs(editor: PlanEditor) -> Iterator[tuple[str, str]]:
    """``(unit, neighbour)`` pairs of aiyl aimaks of one raion, in code order."""
    inst = editor.bundle.instance
    towns = set(editor.bundle.units.loc[editor.bundle.units["level"] == "town", "unit_code"].astype(str))
    pairs = sorted({(inst.unit_codes[int(a)], inst.unit_codes[int(b)]) for e in inst.adjacency for a, b in (e, e[::-1])})
    for u, v in pairs:
        if u not in towns and v not in towns and inst.group[inst.index(u)] == inst.group[inst.index(v)]:
            yield u, v


def _moves(editor: PlanEditor, *, refusal: str | None = None, sole: bool | None = None) -> Iterator[tuple[str, str]]:
    """Moves ``(unit, target new unit)`` the editor allows (or refuses with ``refusal``);
    ``sole``: only units alone in their new unit (True) or with partners (False)."""
    for u, v in _aimak_pairs(editor):
        target = editor.new_unit_of(v)
        if sole is not None and (len(editor.members(editor.new_unit_of(u))) == 1) != sole:
            continue
        found = editor.check_move(u, target)
        if (found is None and refusal is None) or (found is not None and found.code == refusal):
            yield u, target


def _figures(kpis: dict) -> dict[str, float | None]:
    return {f.key: f.value for f in key_figures(kpis)}


def _agrees_with_evaluate(editor: PlanEditor, tmp_path: Path, name: str) -> None:
    """The editor's verdict, figures and changes are those of ``evaluate`` on the exported CSV."""
    path = tmp_path / f"{name}.csv"
    path.write_text(editor.plan_csv(), encoding="utf-8")
    verdict = evaluate_plan(path, editor.scenario, dataset=editor.dataset, travel_model=editor.travel_model)
    state = editor.current
    seen = sorted(zip(state.violations["constraint"], state.violations["units"], state.violations["hard"]))
    assert seen == sorted(zip(verdict.violations["constraint"], verdict.violations["units"], verdict.violations["hard"]))
    assert list(state.violations["message"]) == list(verdict.violations["message"])
    assert state.objective == pytest.approx(verdict.objective, rel=1e-12)
    assert _figures(state.kpis) == _figures(verdict.kpis)
    changes = editor.figure_changes().set_index("kpi")
    base = _figures(editor.base.kpis)
    for key, value in _figures(verdict.kpis).items():
        if key in changes.index and value is not None and base[key] is not None:
            assert changes.loc[key, "delta"] == pytest.approx(value - base[key], abs=1e-9), key
    # the new units' populations and travel times are the evaluated plan's
    members = verdict.plan.groupby("new_unit_id")["population"].sum()
    mine = state.new_units.set_index("new_unit_id")["population"]
    assert mine.sort_index().to_dict() == pytest.approx(members.sort_index().to_dict())
    assert state.new_units["travel_time_mean_min"].notna().all()


def test_three_moves_are_measured_as_evaluate_measures_the_plan(editor: PlanEditor, tmp_path: Path) -> None:
    _agrees_with_evaluate(editor, tmp_path, "base")
    for step in range(3):
        unit, target = next(_moves(editor, sole=False))
        before = editor.current
        assert editor.move(unit, target) is None
        assert editor.new_unit_of(unit) == target
        assert editor.current.moves[-1].unit == unit and len(editor.current.moves) == step + 1
        assert editor.current.objective != before.objective
        _agrees_with_evaluate(editor, tmp_path, f"move{step}")
        # only the two new units concerned change their members; every other keeps its centre
        changed = {before.new_unit[i] for i in np.flatnonzero(before.assignment != editor.current.assignment)}
        assert changed <= {editor.current.moves[-1].source, target}


def test_a_move_that_empties_a_new_unit_changes_the_verdict(editor: PlanEditor, tmp_path: Path) -> None:
    assert editor.current.hard_count == 0
    unit, target = next(_moves(editor, sole=True))
    assert editor.move(unit, target) is None
    # 231 aiyl aimaks asked: one fewer new unit breaks the count, a hard criterion
    assert "n_units" in set(editor.current.violations.loc[editor.current.violations["hard"], "constraint"])
    changes = editor.figure_changes().set_index("kpi")["delta"]
    assert changes["aiyl_aimak_units_after"] == -1
    assert changes["units_after"] == -1
    _agrees_with_evaluate(editor, tmp_path, "emptied")


@pytest.mark.parametrize("refusal", ["would_split", "not_adjacent", "same_unit"])
def test_refused_moves_say_why_and_change_nothing(editor: PlanEditor, refusal: str) -> None:
    if refusal == "not_adjacent":
        inst = editor.bundle.instance
        unit = inst.unit_codes[0]
        near = {inst.unit_codes[int(b)] for a, b in inst.adjacency if int(a) == 0} | {
            inst.unit_codes[int(a)] for a, b in inst.adjacency if int(b) == 0}
        target = next(u for u in sorted(set(editor.current.new_unit))
                      if u != editor.new_unit_of(unit) and not set(editor.members(u)) & near)
    else:
        unit, target = next(_moves(editor, refusal=refusal))
    before = editor.current
    got = editor.move(unit, target)
    assert isinstance(got, Refusal) and got.code == refusal
    assert unit in got.message
    assert editor.current is before and not editor.can_undo
    if refusal == "would_split":
        assert int(got.params["pieces"]) >= 2


def test_refusals_are_interface_texts_in_every_language() -> None:
    for code, template in REFUSAL_MESSAGES.items():
        # the catalogue's text, its term placeholders filled with the Kyrgyz words
        assert i18n.t(f"planedit.refuse.{code}", "en") == template, code
        for lang in ("ky", "ru"):
            assert i18n.t(f"planedit.refuse.{code}", lang) != template, (code, lang)


def test_undo_and_redo_step_through_the_moves(editor: PlanEditor) -> None:
    first = next(_moves(editor, sole=False))
    editor.move(*first)
    after_first = editor.current
    second = next(_moves(editor, sole=False))
    editor.move(*second)
    after_second = editor.current
    assert editor.undo() and editor.current is after_first
    assert editor.undo() and editor.current is editor.base
    assert not editor.undo()
    assert editor.redo() and editor.current is after_first
    assert editor.redo() and editor.current is after_second
    assert not editor.redo()
    editor.undo()
    third = next(m for m in _moves(editor, sole=False) if m != second)
    editor.move(*third)
    assert not editor.can_redo  # a move after an undo drops what was undone
    assert [m.unit for m in editor.current.moves] == [first[0], third[0]]


def test_the_same_moves_give_the_same_plan(national: ScenarioResult) -> None:
    plans, figures = [], []
    for _ in range(2):
        editor = PlanEditor.from_result(national)
        for _ in range(2):
            editor.move(*next(_moves(editor, sole=False)))
        plans.append(editor.plan_csv())
        figures.append(_figures(editor.current.kpis))
    assert plans[0] == plans[1] and figures[0] == figures[1]


def test_a_move_on_the_national_plan_takes_about_a_second(editor: PlanEditor) -> None:
    started = time.perf_counter()
    editor.move(*next(_moves(editor, sole=False)))
    # the target is 1 s; a shared test machine gets three times that
    assert time.perf_counter() - started < 3.0


def test_resolve_around_the_edits_keeps_the_moves_and_the_other_raions(editor: PlanEditor) -> None:
    assert editor.resolve_around_edits() == Refusal("nothing_moved", {})
    unit, target = next(_moves(editor, sole=False))
    editor.move(unit, target)
    hand = editor.current
    raion = editor.bundle.instance.group[editor.bundle.instance.index(unit)]
    started = time.perf_counter()
    out = editor.resolve_around_edits()
    seconds = time.perf_counter() - started
    assert isinstance(out, Resolved)
    assert out.raions == (raion,)
    assert seconds < 6.0  # the target is 2 s for one raion; a shared machine gets three times that
    # the moved unit stays with the member it was locked to
    (locked_unit, anchor), = out.locks
    assert locked_unit == unit and editor.new_unit_of(unit) == editor.new_unit_of(anchor)
    # the other raions keep their plan, unit by unit
    inst = editor.bundle.instance
    outside = [i for i in range(inst.n) if inst.group[i] != raion]
    assert all(editor.current.new_unit[i] == hand.new_unit[i] for i in outside)
    assert (editor.current.assignment[outside] == hand.assignment[outside]).all()
    assert set(out.changed_units) <= {inst.unit_codes[i] for i in range(inst.n) if inst.group[i] == raion}
    # the count of new units holds again, and the edits cost what the free optimum saves
    assert editor.current.hard_count == 0
    assert out.cost >= 0 and out.objective_locked >= out.objective_free
    assert out.cost == pytest.approx(out.objective_locked - out.objective_free, abs=1e-6)
    # the re-solved plan costs no more than the hand edit, and undo brings the hand edit back
    assert editor.current.objective <= hand.objective + 1e-6
    assert editor.undo() and editor.current is hand


def test_clicks_in_the_app_choose_a_target_move_and_refuse_in_the_language(national: ScenarioResult) -> None:
    from atr_model.presentation.app import plan_editing

    session: dict = {}
    plan = national.assignments[["unit_code", "new_unit_id", "centre_code"]]
    made = plan_editing.open_editor(session, "folder", plan, national.scenario, national.dataset,
                                    national.travel_model)
    assert plan_editing.open_editor(session, "folder", plan, national.scenario, national.dataset,
                                    national.travel_model) is made  # kept in the session
    assert plan_editing.current_plan(session).equals(made.plan_frame())
    unit, target = next(_moves(made, sole=False))
    near = next(c for c in made.members(target))
    got = plan_editing.on_click(session, made, near, plan_editing.CLICK_TARGET, "en", {})
    assert got.kind == "target" and session[plan_editing.TARGET_KEY] == target
    got = plan_editing.on_click(session, made, unit, plan_editing.CLICK_MOVE, "en", {})
    assert got.kind == "moved" and made.new_unit_of(unit) == target
    assert plan_editing.current_plan(session).set_index("unit_code").at[unit, "new_unit_id"] == target
    split, _ = next(_moves(made, refusal="would_split"))
    session[plan_editing.TARGET_KEY] = _
    got = plan_editing.on_click(session, made, split, plan_editing.CLICK_MOVE, "ru", {split: "Имя"})
    assert got.kind == "refused"
    assert got.text.startswith("Перенос отклонён: перенос Имя (" + split + ") разделил бы")


def test_resolve_refuses_a_lock_against_a_hard_criterion(editor: PlanEditor) -> None:
    """An aiyl aimak moved in with a town (towns stay as they are) cannot be locked there."""
    inst = editor.bundle.instance
    units = editor.bundle.units
    towns = set(units.loc[units["level"] == "town", "unit_code"].astype(str))
    pairs = sorted({(inst.unit_codes[int(a)], inst.unit_codes[int(b)]) for e in inst.adjacency for a, b in (e, e[::-1])})
    unit, town = next((u, v) for u, v in pairs if v in towns and u not in towns
                      and inst.group[inst.index(u)] == inst.group[inst.index(v)]
                      and editor.check_move(u, editor.new_unit_of(v)) is None)
    assert editor.move(unit, editor.new_unit_of(town)) is None
    assert editor.current.hard_count > 0
    hand = editor.current
    got = editor.resolve_around_edits()
    assert isinstance(got, Refusal) and got.code == "resolve_infeasible"
    assert inst.group[inst.index(unit)] in got.message
    assert editor.current is hand  # nothing changed
