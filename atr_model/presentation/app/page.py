"""The app's page script: what Streamlit runs for every session (see ``app.py``)."""

from atr_model.presentation.app.main import main

main()
