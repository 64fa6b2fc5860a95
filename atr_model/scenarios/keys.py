"""Every key a scenario file may hold, read from the scenario schema (never written by hand).

``docs/tutorial-other-country.md`` lists them; regenerate its table with::

    python -m atr_model.scenarios.keys

The list walks :class:`~atr_model.scenarios.scenario.Scenario` and its sub-models (criteria,
solver, uncertainty), so a key added to the schema appears here with its type, default and
description.
"""

from __future__ import annotations

import json
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from atr_model.scenarios.scenario import Scenario

__all__ = ["ScenarioKey", "scenario_keys", "scenario_keys_markdown"]


@dataclass(frozen=True)
class ScenarioKey:
    """One key of a scenario file.

    Attributes
    ----------
    path : str
        Dotted key, e.g. ``criteria.exemptions.border_km``.
    kind : str
        What it takes ("number or null", "'soft' or 'hard'", "mapping", ...).
    default : str
        The default as YAML would show it ("(required)" when there is none).
    description : str
        The schema's description (may be empty).
    """

    path: str
    kind: str
    default: str
    description: str


def _kind(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Literal:
        return " or ".join(repr(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        parts = [_kind(a) for a in args if a is not type(None)]
        return " or ".join(parts) + (" or null" if type(None) in args else "")
    if origin in (list, tuple, set, frozenset):
        return f"list of {_kind(args[0])}" if args else "list"
    if origin is dict or annotation is dict:
        return "mapping"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "mapping"
    names = {bool: "true/false", int: "integer", float: "number", str: "text"}
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _default(info: Any) -> str:
    if info.is_required():
        return "(required)"
    value = info.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "(see below)"
    if value is PydanticUndefined:
        return ""
    return json.dumps(value, ensure_ascii=False, default=str)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    for candidate in typing.get_args(annotation) or (annotation,):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def scenario_keys(model: type[BaseModel] = Scenario, prefix: str = "") -> list[ScenarioKey]:
    """Every key of ``model`` and its sub-models, depth first in schema order."""
    out: list[ScenarioKey] = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        description = " ".join((info.description or "").split())
        out.append(ScenarioKey(path, _kind(info.annotation), _default(info), description))
        sub = _model_of(info.annotation)
        if sub is not None:
            out.extend(scenario_keys(sub, prefix=f"{path}."))
    return out


def scenario_keys_markdown() -> str:
    """The keys as a Markdown table (key, takes, default, meaning)."""
    lines = ["| key | takes | default | meaning |", "|---|---|---|---|"]
    for key in scenario_keys():
        cells = (f"`{key.path}`", key.kind, f"`{key.default}`" if key.default else "", key.description)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - a documentation helper
    import sys

    sys.stdout.write(scenario_keys_markdown())
