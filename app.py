"""Streamlit entry point: ``streamlit run app.py`` (see README).

Kept thin on purpose: the app lives in :mod:`atr_model.presentation.app`.
"""

from atr_model.presentation.app.main import main

main()
