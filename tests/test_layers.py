"""Layers run one way: no core layer imports a later layer or a UI library."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "atr_model"
ORDER = ["data", "network", "criteria", "optimisation", "scenarios", "presentation"]
UI = ("streamlit", "folium", "typer", "streamlit_folium")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("layer", ORDER[:-1])
def test_core_layer_imports_no_later_layer_and_no_ui(layer: str) -> None:
    later = {f"atr_model.{name}" for name in ORDER[ORDER.index(layer) + 1 :]}
    offenders = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for name in _imports(path):
            if any(name == m or name.startswith(m + ".") for m in later) or name.split(".")[0] in UI:
                offenders.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert not offenders, "\n".join(offenders)
