"""The Streamlit app (``streamlit run app.py``): datasets, scenarios, maps, comparison, edits.

Modules: :mod:`.backend` (plain Python: datasets, scenarios, edits, runs, result folders),
:mod:`.cache` (Streamlit caches), :mod:`.state` (per-user session state),
:mod:`.criteria_editor`, :mod:`.views` and :mod:`.main` (the page).
"""

from __future__ import annotations

from atr_model.presentation.app.main import main

__all__ = ["main"]
