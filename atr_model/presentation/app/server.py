"""Presentation: the app's server start. The app's heavy imports happen once, when the server
starts, instead of during the first visitor's page load.

``app.py`` serves :mod:`atr_model.presentation.app.page` through :class:`streamlit.App` with
:func:`lifespan`; the first page then finds the package imported.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

__all__ = ["PAGE_SCRIPT", "lifespan"]

logger = logging.getLogger(__name__)

#: What the warm-up imports: everything heavy the first page needs except the page modules
#: themselves. Those import the map component (streamlit-folium), which must register itself
#: from a script run: registered from this thread, its frame is not served (404).
_WARM_MODULES = (
    "atr_model.presentation.app.datasets",
    "atr_model.presentation.app.scenario_io",
    "atr_model.presentation.app.edits",
    "atr_model.presentation.app.results",
    "atr_model.presentation.app.downloads",
    "atr_model.presentation.app.plans",
    "atr_model.presentation.app.unit_search",
    # the maps package loads its modules on first use (the CLI must not pay for folium): the
    # app's map modules are named one by one so that the server, not the first visitor, loads them
    *(f"atr_model.presentation.maps.{name}" for name in (
        "assets", "base", "basemap", "compare", "dataset", "diff", "display", "elements", "palette",
        "result", "result_colours", "store")),
    "folium",
    "branca",
)

#: The page script Streamlit runs per session.
PAGE_SCRIPT = Path(__file__).with_name("page.py")


def _warm() -> None:
    """Import the app's plain-Python part (datasets, scenarios, maps, folium) once the server
    runs, so the first page does not wait for those imports."""
    try:
        for module in _WARM_MODULES:
            importlib.import_module(module)
    except Exception:  # a failed warm-up only costs the first visitor the time it would have saved
        logger.warning("warming the app's imports failed; the first page will do it", exc_info=True)


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """Start the warm-up beside the server (it never delays the server's start)."""
    threading.Thread(target=_warm, name="atr-model-warm-up", daemon=True).start()
    yield
