"""Presentation layer: CLI, reports, maps and the Streamlit app. Only this layer imports
typer, folium or streamlit."""
