"""Streamlit helpers shared by the pages: cached calls into `core` and common widgets."""
