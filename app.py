"""Entry point: declares the pages (Streamlit's st.navigation), the presenter switch, and routes."""

import streamlit as st

from ui.navigation import GROUP_TITLES, PAGES, PageInfo
from ui.presenter import presenter_toggle
from ui.state import url_flag
from ui.timing import timed_run
from ui.warmup import start_warmup

# Presenter mode starts with the sidebar collapsed; the switch itself sits in the sidebar.
st.set_page_config(
    page_title="Autoencoder Compression Lab",
    page_icon="🗜️",
    layout="wide",
    initial_sidebar_state="collapsed" if url_flag("present") else "auto",
)


def declared(p: PageInfo) -> st.Page:
    if p.group == "home":
        return st.Page(p.script, title=p.title, icon=p.icon, default=True)
    return st.Page(p.script, title=p.title, icon=p.icon, url_path=p.url_path)


# One sidebar section per group of pages, every page in view (Streamlit hides all but 10 unless expanded).
sections: dict[str, list[st.Page]] = {}
for info in PAGES:
    sections.setdefault(GROUP_TITLES[info.group], []).append(declared(info))
page = st.navigation(sections, expanded=True)
presenter_toggle()
try:
    with timed_run(page.title):
        page.run()
finally:  # after the first page has run, so the warm-up never competes with it (a shared link's page included)
    start_warmup()
