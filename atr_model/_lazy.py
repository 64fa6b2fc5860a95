"""Lazy package exports (PEP 562): a sub-package's public names are imported on first use.

A package ``__init__`` lists its public names as ordinary imports inside ``if TYPE_CHECKING:``
(so type checkers and readers see every name and where it comes from) and ends with
``lazy_exports(__name__)``. At run time nothing is imported until a name is used: ``atr-model
run`` on a result that is up to date must not pay for pandas, geopandas, scipy and pulp
(seconds) only because ``atr_model.data`` re-exports a GeoPackage reader.

The names are read from the ``TYPE_CHECKING`` block itself (one list, not two that can drift).
A submodule named like one of the package's exports (``scenarios.agreement`` and the function
``agreement``) would, once imported, shadow the export as a package attribute; the package's
module class keeps the export, as the eager ``from ... import`` did.
"""

from __future__ import annotations

import ast
import importlib
import sys
import types
from pathlib import Path

__all__ = ["lazy_exports"]


def _exports_of(source: str) -> dict[str, tuple[str, str]]:
    """``{public name: (module, name in module)}`` of the ``from X import a as b`` lines inside
    the top-level ``if TYPE_CHECKING:`` blocks of a package's ``__init__`` source."""
    found: dict[str, tuple[str, str]] = {}
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
            continue
        for statement in node.body:
            if isinstance(statement, ast.ImportFrom) and statement.module and statement.level == 0:
                for alias in statement.names:
                    found[alias.asname or alias.name] = (statement.module, alias.name)
    return found


class _LazyPackage(types.ModuleType):
    """A package whose exports are imported when first read (see the module docstring)."""

    _lazy_sources: dict[str, tuple[str, str]]

    def __getattr__(self, name: str) -> object:
        # only called when the attribute is missing: an export not yet imported
        source = self.__dict__.get("_lazy_sources", {}).get(name)
        if source is None:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(source[0]), source[1])
        self.__dict__[name] = value  # later look-ups are plain attribute reads
        return value

    def __setattr__(self, name: str, value: object) -> None:
        # the import system sets ``package.<submodule>`` when a submodule loads; an export of the
        # same name (a function ``agreement`` of the module ``agreement``) keeps its place
        sources = self.__dict__.get("_lazy_sources", {})
        if isinstance(value, types.ModuleType) and name in sources and value.__name__ == f"{self.__name__}.{name}":
            return
        super().__setattr__(name, value)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.__dict__.get("_lazy_sources", {})))


def lazy_exports(package: str) -> None:
    """Make the exports listed in ``package``'s ``if TYPE_CHECKING:`` block load on first use.

    Parameters
    ----------
    package : str
        The package's ``__name__`` (called at the end of its ``__init__``).
    """
    module = sys.modules[package]
    init = module.__file__
    sources = _exports_of(Path(init).read_text(encoding="utf-8")) if init else {}
    module.__dict__["_lazy_sources"] = sources
    module.__class__ = _LazyPackage
