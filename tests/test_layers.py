"""Layers run one way: no core layer imports a later layer or a UI library, and layers meet only
through each other's public API (the names in a layer package's ``__all__``).

Imports are read from the source (``ast``), so every spelling counts: ``import atr_model.x``,
``from atr_model.x import y``, ``from atr_model import x`` and relative imports (resolved against
the importing module), at module level or inside a function.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "atr_model"
ORDER = ["data", "network", "criteria", "optimisation", "scenarios", "presentation"]
UI = ("streamlit", "folium", "typer", "streamlit_folium")
#: Modules of the app that hold no Streamlit code (the app's logic, testable without a server).
STREAMLIT_FREE = ["presentation/app/backend.py"]
#: Where the package's own modules are imported at module top level, not inside functions.
TOP_LEVEL_ONLY = ["scenarios", "criteria", "network", "data", "presentation/report", "presentation/territory_text.py", "presentation/cli*.py"]
#: Owned by other work (split or rewritten separately); checked once those land.
TOP_LEVEL_EXCEPT = ["data/kyrgyz*"]
#: Scaffolding in the app that its own rewrite removes (``_scenario_api()``, ``concept._module()``);
#: delete these entries when it lands.
PUBLIC_NAMES_PENDING = {
    ("presentation/app/backend.py", "atr_model.scenarios"),
    ("presentation/app/concept.py", "atr_model.criteria.concept"),
}


def _module_parts(path: Path) -> list[str]:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _resolve(path: Path, node: ast.ImportFrom) -> str:
    """The absolute module of ``from ... import``, relative ones resolved against ``path``."""
    if node.level == 0:
        return node.module or ""
    package = _module_parts(path) if path.name == "__init__.py" else _module_parts(path)[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _imports(path: Path) -> Iterator[tuple[str, str | None, ast.stmt]]:
    """(module, imported name or None, node) for every import in ``path``.

    ``from atr_model import data`` yields ``("atr_model.data", None, node)``: a layer imported as
    a module; ``from atr_model.data import Dataset`` yields ``("atr_model.data", "Dataset", node)``.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, node
        elif isinstance(node, ast.ImportFrom):
            module = _resolve(path, node)
            for alias in node.names:
                if module == "atr_model":
                    yield f"atr_model.{alias.name}", None, node
                else:
                    yield module, alias.name, node


def _layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "atr_model" and parts[1] in ORDER else None


def _public_names(layer: str) -> set[str]:
    """The layer package's ``__all__``, read from its ``__init__.py``."""
    tree = ast.parse((PACKAGE / layer / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return set(ast.literal_eval(node.value))
    return set()


def _sources(pattern: str) -> list[Path]:
    target = PACKAGE / pattern
    if target.is_dir():
        return sorted(target.rglob("*.py"))
    return sorted(PACKAGE.glob(pattern))


@pytest.mark.parametrize("layer", ORDER[:-1])
def test_core_layer_imports_no_later_layer_and_no_ui(layer: str) -> None:
    later = set(ORDER[ORDER.index(layer) + 1 :])
    offenders = []
    for path in _sources(layer):
        for module, _name, node in _imports(path):
            if _layer_of(module) in later or module.split(".")[0] in UI:
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno} imports {module}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("relative", STREAMLIT_FREE)
def test_app_logic_imports_no_streamlit(relative: str) -> None:
    path = PACKAGE / relative
    offenders = [f"{relative}:{node.lineno} imports {module}" for module, _n, node in _imports(path)
                 if module.split(".")[0] in UI]
    assert not offenders, "\n".join(offenders)


def test_layers_use_only_each_others_public_names() -> None:
    """A name taken from another layer must be in that layer package's ``__all__``."""
    public = {layer: _public_names(layer) for layer in ORDER}
    offenders = []
    for layer in ORDER:
        for path in _sources(layer):
            for module, name, node in _imports(path):
                other = _layer_of(module)
                if other is None or other == layer:
                    continue
                # a layer (or its module) imported whole hides which of its names are used
                shown = f"{module}.{name}" if name else module
                if (name is None or name not in public[other]) and (
                    str(path.relative_to(PACKAGE)), shown) not in PUBLIC_NAMES_PENDING:
                    offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno} uses {shown}")
    assert not offenders, (
        "cross-layer use of names outside the layer's __all__ (export them there, or use the public API):\n"
        + "\n".join(offenders)
    )


def test_own_modules_are_imported_at_module_top_level() -> None:
    """Function-level imports of atr_model's own modules hide the dependency graph (and cycles);
    lazy imports stay only for heavy optional libraries (spopt, dask, playwright, streamlit)."""
    skip = {path for pattern in TOP_LEVEL_EXCEPT for path in PACKAGE.glob(pattern)}
    skip |= {p for d in skip if d.is_dir() for p in d.rglob("*.py")}
    offenders = []
    for pattern in TOP_LEVEL_ONLY:
        for path in _sources(pattern):
            if path in skip:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for function in ast.walk(tree):
                if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                for node in ast.walk(function):
                    if isinstance(node, ast.Import):
                        modules = [a.name for a in node.names]
                    elif isinstance(node, ast.ImportFrom):
                        modules = [_resolve(path, node)]
                    else:
                        continue
                    own = [m for m in modules if m == "atr_model" or m.startswith("atr_model.")]
                    if own:
                        offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno} ({function.name}) imports {own[0]}")
    assert not offenders, "\n".join(offenders)


def test_checker_sees_every_spelling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The readers above resolve ``from atr_model import x`` and relative imports."""
    folder = tmp_path / "atr_model" / "network"
    folder.mkdir(parents=True)
    source = folder / "probe.py"
    source.write_text(
        "from atr_model import scenarios\nfrom ..optimisation.model import X\nfrom . import graph\n"
        "import streamlit as st\n",
        encoding="utf-8",
    )
    monkeypatch.setitem(globals(), "PACKAGE", tmp_path / "atr_model")
    seen = [(module, name) for module, name, _node in _imports(source)]
    assert seen == [("atr_model.scenarios", None), ("atr_model.optimisation.model", "X"),
                    ("atr_model.network", "graph"), ("streamlit", None)]
    assert [_layer_of(m) for m, _n in seen] == ["scenarios", "optimisation", "network", None]
