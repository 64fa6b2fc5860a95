"""Streamlit entry point: ``streamlit run app.py`` (see README).

Kept thin on purpose: the app lives in :mod:`atr_model.presentation.app`. ``streamlit run``
finds the :class:`streamlit.App` below and serves the page script
(:mod:`atr_model.presentation.app.page`) with a start-up hook that imports the app's heavy
modules before the first visitor arrives (:mod:`atr_model.presentation.app.server`).
Maps work offline as they are: Leaflet is inlined from the package
(:mod:`atr_model.presentation.maps.assets`), whatever the working directory, with no
environment variable or static file serving.
"""

import streamlit as st

from atr_model.presentation.app.server import PAGE_SCRIPT, lifespan

app = st.App(PAGE_SCRIPT, lifespan=lifespan)
