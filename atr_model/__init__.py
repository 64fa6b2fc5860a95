"""atr-model: territorial consolidation scenarios for the Kyrgyz administrative-territorial reform.

Layers run one way: :mod:`atr_model.data` -> :mod:`atr_model.network` ->
:mod:`atr_model.criteria` -> :mod:`atr_model.optimisation` -> :mod:`atr_model.scenarios` ->
:mod:`atr_model.presentation`. Nothing below ``presentation`` imports Streamlit, folium or typer.
"""

from __future__ import annotations

import logging

from atr_model.errors import ATRError

#: The package version, set here only: pyproject.toml reads it (``[tool.setuptools.dynamic]``), and
#: the provenance of a result and the metadata of a dataset record it.
__version__ = "0.1.0"
__all__ = ["__version__", "ATRError"]

logging.getLogger(__name__).addHandler(logging.NullHandler())
