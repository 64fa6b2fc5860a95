"""One place per default: the population floor and the solver options are written once."""

from __future__ import annotations

import ast
import dataclasses
import inspect
from pathlib import Path

import pytest

from atr_model.criteria import DEFAULT_POPULATION_FLOOR, Criteria
from atr_model.errors import ScenarioError
from atr_model.optimisation import EngineSettings
from atr_model.presentation import maps
from atr_model.scenarios import SolverOptions, engine_settings

PACKAGE = Path(__file__).resolve().parents[1] / "atr_model"
#: SolverOptions field -> EngineSettings field
SOLVER_FIELDS = {"name": "solver", "time_limit_s": "time_limit_s", "gap_rel": "gap_rel", "threads": "threads",
                 "contiguity": "contiguity", "warm_start": "warm_start"}


def test_population_floor_default_is_the_concepts_everywhere() -> None:
    assert DEFAULT_POPULATION_FLOOR == 5000.0  # criterion 2: "with a population of up to 5,000"
    assert Criteria().population_floor == DEFAULT_POPULATION_FLOOR
    assert EngineSettings().population_floor == DEFAULT_POPULATION_FLOOR
    assert inspect.signature(maps.dataset_map).parameters["population_floor"].default == DEFAULT_POPULATION_FLOOR


def _literal_floor_defaults(path: Path) -> list[str]:
    """``population_floor`` given a number literal as a default (argument, field or keyword)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        pairs: list[tuple[str, ast.AST | None]] = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            positional = args.posonlyargs + args.args
            pairs += list(zip([a.arg for a in positional[len(positional) - len(args.defaults):]], args.defaults))
            pairs += [(a.arg, d) for a, d in zip(args.kwonlyargs, args.kw_defaults)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            pairs.append((node.target.id, node.value))
        elif isinstance(node, ast.Call):
            pairs += [(k.arg or "", k.value) for k in node.keywords]
            if getattr(node.func, "id", "") == "getattr" and len(node.args) == 3:
                pairs.append((getattr(node.args[1], "value", ""), node.args[2]))
        for name, value in pairs:
            if name == "population_floor" and isinstance(value, ast.Constant) and isinstance(value.value, (int, float)):
                found.append(f"{path.relative_to(PACKAGE)}:{value.lineno}")
    return found


def test_no_module_restates_the_floor_as_a_number() -> None:
    found = [hit for path in sorted(PACKAGE.rglob("*.py")) for hit in _literal_floor_defaults(path)]
    assert not found, f"population_floor defaults written as numbers (read DEFAULT_POPULATION_FLOOR): {found}"


def test_solver_options_default_to_the_engines() -> None:
    engine = EngineSettings()
    options = SolverOptions()
    for option, setting in SOLVER_FIELDS.items():
        assert getattr(options, option) == getattr(engine, setting), option
    # every field of SolverOptions is one of the engine's
    assert set(SolverOptions.model_fields) == set(SOLVER_FIELDS)
    assert {f.name for f in dataclasses.fields(EngineSettings)} >= set(SOLVER_FIELDS.values())


def test_engine_settings_take_options_or_defaults() -> None:
    criteria = Criteria(population_floor=3000)
    default = engine_settings(criteria)
    assert default == engine_settings(criteria, SolverOptions())
    assert default.population_floor == 3000 and default.warm_start == EngineSettings().warm_start
    partial = engine_settings(criteria, {"threads": 2, "warm_start": False})
    assert (partial.threads, partial.warm_start, partial.time_limit_s) == (2, False, EngineSettings().time_limit_s)
    with pytest.raises(ScenarioError, match=r"solver.*thread"):
        engine_settings(criteria, {"thread": 2})
