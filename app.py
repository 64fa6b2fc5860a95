"""Streamlit entry point: ``streamlit run app.py`` (see README).

Kept thin on purpose: the app lives in :mod:`atr_model.presentation.app`. For offline use
(tests), start it with ``ATR_OFFLINE_ASSETS=1`` and ``--server.enableStaticServing true``
so maps load the vendored Leaflet from ``static/leaflet``.
"""

from atr_model.presentation.app import main

main()
