"""The package version is set in one place, ``atr_model.__version__``: ``pyproject.toml`` reads it
(``[tool.setuptools.dynamic]``), and a result's provenance and a dataset's metadata record it."""

from __future__ import annotations

import sys
from pathlib import Path

import atr_model
from atr_model.data import make_demo_dataset
from atr_model.scenarios.kpis import package_version

if sys.version_info >= (3, 11):
    import tomllib
else:  # the test extra installs tomli there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def test_pyproject_reads_the_version_from_the_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in config["project"] and "version" in config["project"]["dynamic"]
    assert config["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "atr_model.__version__"}
    # the attribute is a literal, so setuptools reads it without importing the package
    assert f'__version__ = "{atr_model.__version__}"' in (ROOT / "atr_model" / "__init__.py").read_text(encoding="utf-8")


def test_provenance_and_dataset_record_the_package_version() -> None:
    assert package_version() == atr_model.__version__
    assert make_demo_dataset().metadata["package_version"] == atr_model.__version__
