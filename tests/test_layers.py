"""Guards over the whole package, with no allow-list of modules.

- Layers run one way: no layer imports a later layer or a UI library, and the shared modules
  (``errors``, ``_atomic``) import no layer.
- Layers meet only through each other's public API (the names in a layer package's
  ``__all__``), and every name a module lists in ``__all__`` is bound in it.
- The package's own modules are imported at module top; inside a function only the heavy or
  optional libraries of :data:`LAZY_LIBRARIES` are imported, each for the reason given there.
  The one exception is a command of the command line (:data:`COMMAND_MODULES`), which may import
  the layers it runs when it runs (:data:`COMMAND_DEFERRED`).
- No import cycle: the graph of module-level and function-level imports between atr_model's
  modules has no cycle.

Imports are read from the source (``ast``), so every spelling counts: ``import atr_model.x``,
``from atr_model.x import y``, ``from atr_model import x`` and relative imports (resolved against
the importing module), at module level, under ``if TYPE_CHECKING:`` or inside a function.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "atr_model"
ORDER = ["data", "network", "criteria", "optimisation", "scenarios", "presentation"]
#: Modules below every layer: every layer may import them, they import no layer.
SHARED = ["errors.py", "_atomic.py"]
UI = ("streamlit", "folium", "typer", "streamlit_folium")
#: Modules of the app that hold no Streamlit code (the app's logic, testable without a server).
STREAMLIT_FREE = [
    "presentation/app/datasets.py",
    "presentation/app/scenario_io.py",
    "presentation/app/edits.py",
    "presentation/app/results.py",
    "presentation/app/downloads.py",
    "presentation/app/plans.py",
    "presentation/app/unit_search.py",
    "presentation/app/auth.py",
]
#: Libraries imported inside a function, on first use (with their sub-modules), and why. Every
#: other import, and every import of atr_model's own modules, stands at module top.
LAZY_LIBRARIES = {
    "matplotlib": "about 1 s to import, and its back end (Agg) is chosen before pyplot loads: "
                  "only the report's maps and a sweep's chart draw with it",
    "rasterio": "GDAL bindings (about 0.5 s): only elevation grids and the territory allocation read rasters",
    "scipy.ndimage": "only the terrain's crossing search and the territory allocation label grid cells "
                     "(scipy.sparse and scipy.spatial load with the network anyway)",
    "osmium": "only OpenStreetMap .pbf road files are read with it",
    "openpyxl": "only a workbook export needs it (about 0.3 s to import)",
    "distributed": "the optional dask extra (atr-model[dask]): only a sweep, a robustness run or a run's groups "
                   "on a cluster",
    "pyscipopt": "the optional scip extra (atr-model[scip]): only the exact phase with exact_path='scip'",
    "folium": "about 1.5 s with branca and its templates: only the maps draw with it (the maps package loads "
              "its modules on first use, so a run that reads the palette does not pay for it)",
}


#: The command line's command modules (``atr_model.presentation.cli`` imports only the one whose
#: command runs). Inside a command they may also import what :data:`COMMAND_DEFERRED` names.
COMMAND_MODULES = "presentation/cli_*.py"
#: What a command may import when it runs, and why: ``atr-model run`` on an up-to-date result
#: reads the scenario, the dataset's header and two JSON files of the package, and must not wait
#: for the engine, the layers' libraries and the report it then does not use.
COMMAND_DEFERRED = {
    "atr_model": "the layers a command runs only once it knows it must (a reused result solves nothing)",
    "rich": "the progress display of a run that solves",
}


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _module_parts(path: Path) -> list[str]:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _module_name(path: Path) -> str:
    return ".".join(_module_parts(path))


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


def _function_imports(path: Path) -> Iterator[tuple[str, str, ast.stmt]]:
    """(module, enclosing function, node) for every import inside a function or method."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    seen: set[int] = set()
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(function):
            if id(node) in seen:  # a nested function's imports are met once, in the outer one
                continue
            seen.add(id(node))
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield alias.name, function.name, node
            elif isinstance(node, ast.ImportFrom):
                yield _resolve(path, node), function.name, node


def _layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "atr_model" and parts[1] in ORDER else None


def _public_names(layer: str) -> set[str]:
    """The layer package's ``__all__``, read from its ``__init__.py``."""
    return _declared_all(PACKAGE / layer / "__init__.py") or set()


def _declared_all(path: Path) -> set[str] | None:
    """The names of a module's ``__all__`` (None when it has none)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return set(ast.literal_eval(node.value))
    return None


def _bound_names(path: Path) -> set[str]:
    """Names bound at a module's top level: definitions, assignments and imports (also those
    under ``if``/``try`` at top level)."""
    names: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    statements = list(tree.body)
    while statements:
        node = statements.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.If, ast.Try)):
            statements.extend([*node.body, *node.orelse, *getattr(node, "finalbody", []),
                               *(s for h in getattr(node, "handlers", []) for s in h.body)])
    return names


def _is_lazy_library(module: str) -> bool:
    return any(module == lib or module.startswith(f"{lib}.") for lib in LAZY_LIBRARIES)


def _misplaced_function_imports(paths: list[Path]) -> list[str]:
    """Imports inside functions that are neither of :data:`LAZY_LIBRARIES` (own modules never are)."""
    offenders = []
    for path in paths:
        command = path.relative_to(PACKAGE).match(COMMAND_MODULES)
        for module, function, node in _function_imports(path):
            if command and module.split(".")[0] in COMMAND_DEFERRED:
                continue
            if module.split(".")[0] == "atr_model" or not _is_lazy_library(module):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno} ({function}) imports {module}")
    return offenders


def _import_graph(paths: list[Path]) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (module level and inside functions).

    ``from a.b import c`` is an arrow to the module ``a.b.c`` when there is one, else to ``a.b``.
    """
    modules = {_module_name(p) for p in paths}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for path in paths:
        source = _module_name(path)
        for module, name, _node in _imports(path):
            target = f"{module}.{name}" if name and f"{module}.{name}" in modules else module
            if target in modules and target != source:
                graph[source].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (``[a, b, ..., a]``) per strongly connected group of modules that has one."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(start: str) -> None:
        # iterative Tarjan: the package's import chains are deeper than a comfortable recursion
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return [_cycle_in(graph, set(group)) for group in groups]


def _cycle_in(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """A shortest cycle through the group's first module, staying inside the group."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph[node] & group):
                if target == start:
                    return [*paths[node], start]
                if target not in paths:
                    paths[target] = [*paths[node], target]
                    following.append(target)
        frontier = following
    raise AssertionError(f"no cycle through {start} in {sorted(group)}")  # a strongly connected group has one


@pytest.mark.parametrize("layer", ORDER[:-1])
def test_core_layer_imports_no_later_layer_and_no_ui(layer: str) -> None:
    later = set(ORDER[ORDER.index(layer) + 1 :])
    offenders = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for module, _name, node in _imports(path):
            if _layer_of(module) in later or module.split(".")[0] in UI:
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno} imports {module}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("relative", SHARED)
def test_shared_modules_import_no_layer(relative: str) -> None:
    path = PACKAGE / relative
    offenders = [f"{relative}:{node.lineno} imports {module}" for module, _n, node in _imports(path)
                 if _layer_of(module) is not None or module.split(".")[0] in UI]
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
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            for module, name, node in _imports(path):
                other = _layer_of(module)
                if other is None or other == layer:
                    continue
                # a layer (or its module) imported whole hides which of its names are used
                if name is None or name not in public[other]:
                    shown = f"{module}.{name}" if name else module
                    offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno} uses {shown}")
    assert not offenders, (
        "cross-layer use of names outside the layer's __all__ (export them there, or use the public API):\n"
        + "\n".join(offenders)
    )


def test_every_name_in_all_is_bound() -> None:
    """A module's ``__all__`` lists only names the module defines or imports."""
    offenders = []
    for path in _sources():
        declared = _declared_all(path)
        if declared is None:
            continue
        missing = sorted(declared - _bound_names(path))
        if missing:
            offenders.append(f"{path.relative_to(PACKAGE)}: {', '.join(missing)}")
    assert not offenders, "names in __all__ that the module does not bind:\n" + "\n".join(offenders)


def test_imports_inside_functions_are_only_lazy_libraries() -> None:
    """Function-level imports of atr_model's own modules hide the dependency graph (and cycles);
    other libraries are imported lazily only when :data:`LAZY_LIBRARIES` says why."""
    offenders = _misplaced_function_imports(_sources())
    assert not offenders, (
        "move these imports to the module top (or, for a heavy optional library, add it to LAZY_LIBRARIES "
        "with the reason):\n" + "\n".join(offenders)
    )


def test_no_import_cycle() -> None:
    """The package's modules import each other without a cycle (module level and inside functions)."""
    cycles = _cycles(_import_graph(_sources()))
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in cycles)


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


def test_checkers_catch_a_cycle_a_lazy_own_import_and_an_unbound_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a small package of their own the guards fail where they should: a cycle closed by an
    import inside a function, an own module or a light library imported there, a stale ``__all__``."""
    root = tmp_path / "atr_model"
    (root / "report").mkdir(parents=True)
    files = {
        "__init__.py": "",
        "maps.py": "from atr_model.report import render\n__all__ = ['draw', 'gone']\ndef draw():\n    return render\n",
        "report/__init__.py": "from atr_model.report.render import render\n",
        "report/render.py": (
            "import json\n__all__ = ['render']\ndef render():\n    from atr_model.maps import draw\n"
            "    import matplotlib.pyplot\n    import shapely\n    return draw, json\n"
        ),
    }
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    monkeypatch.setitem(globals(), "PACKAGE", root)
    paths = sorted(root.rglob("*.py"))
    assert _cycles(_import_graph(paths)) == [["atr_model.maps", "atr_model.report.render", "atr_model.maps"]]
    assert _misplaced_function_imports(paths) == [
        "report/render.py:4 (render) imports atr_model.maps",
        "report/render.py:6 (render) imports shapely",
    ]
    assert _declared_all(root / "maps.py") - _bound_names(root / "maps.py") == {"gone"}
