"""The Streamlit app (``streamlit run app.py``): datasets, scenarios, maps, comparison, edits.

Modules: the app's logic in plain Python, no Streamlit (:mod:`.datasets`, :mod:`.scenario_io`,
:mod:`.edits`, :mod:`.results` (runs and result folders), :mod:`.downloads`, :mod:`.plans`
(plan checks), :mod:`.unit_search`, :mod:`.auth` (password hashes, the users file)),
:mod:`.signin` (the sign-in gate), :mod:`.cache` (Streamlit caches), :mod:`.state` (per-user
session state), :mod:`.context` (what a rerun knows, errors, running), :mod:`.mapping`
(cached maps, clicks, synced maps, the KPI table), :mod:`.criteria_editor`, the views
(one module each: :mod:`.map_view`, :mod:`.compare_view`, :mod:`.edits_view`, :mod:`.plan_view`,
:mod:`.downloads_view`, :mod:`.concept_view`, :mod:`.robustness_view`; :mod:`.views` gathers
them) and :mod:`.main` (the page).
The package itself imports nothing, so plain-Python users of those modules (tests,
``benchmarks/bench_app.py``) do not load Streamlit.
"""

__all__: list[str] = []
