"""Streamlit entry point: ``streamlit run app.py`` (see README).

Kept thin on purpose: the app lives in :mod:`atr_model.presentation.app`. Maps work offline
as they are: Leaflet is inlined from the package (:mod:`atr_model.presentation.maps.assets`),
whatever the working directory, with no environment variable or static file serving.
"""

from atr_model.presentation.app.main import main

main()
