"""The Streamlit app (``streamlit run app.py``): datasets, scenarios, maps, comparison, edits.

Modules: :mod:`.backend` (plain Python, no Streamlit: datasets, scenarios, edits, runs,
result folders, plan checks), :mod:`.cache` (Streamlit caches), :mod:`.state` (per-user
session state), :mod:`.context` (what a rerun knows, errors, running), :mod:`.mapping`
(cached maps, clicks, synced maps, the KPI table), :mod:`.criteria_editor`, the views
(:mod:`.views`, :mod:`.compare_view`, :mod:`.plan_view`) and :mod:`.main` (the page).
The package itself imports nothing, so plain-Python users of :mod:`.backend` (tests,
``benchmarks/bench_app.py``) do not load Streamlit.
"""

__all__: list[str] = []
