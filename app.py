"""Entry point: only declares the pages (Streamlit's st.navigation) and routes to them."""

import streamlit as st

st.set_page_config(page_title="Autoencoder Compression Lab", page_icon="🗜️", layout="wide")

pages = [
    st.Page("pages/home.py", title="Home", icon="🏠", default=True),
]
st.navigation(pages).run()
