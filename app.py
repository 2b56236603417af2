"""Entry point: declares the pages (Streamlit's st.navigation), the presenter switch, and routes."""

import streamlit as st

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

pages = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/lesson.py", title="Lesson", icon=":material/school:", url_path="lesson"),
    st.Page(
        "pages/reconstructions.py", title="Reconstructions", icon=":material/grid_view:", url_path="reconstructions"
    ),
    st.Page("pages/error_curve.py", title="Error vs compression", icon=":material/show_chart:", url_path="error-curve"),
    st.Page("pages/per_digit.py", title="Per-digit error", icon=":material/bar_chart:", url_path="per-digit"),
    st.Page("pages/your_digit.py", title="Your digit", icon=":material/draw:", url_path="your-digit"),
    st.Page("pages/embedding.py", title="Embedding overlay", icon=":material/scatter_plot:", url_path="embedding"),
    st.Page(
        "pages/rate_distortion.py", title="Rate–distortion", icon=":material/compress:", url_path="rate-distortion"
    ),
    st.Page(
        "pages/recognisability.py", title="Recognisability", icon=":material/visibility:", url_path="recognisability"
    ),
    st.Page("pages/model_lab.py", title="Model lab", icon=":material/model_training:", url_path="model-lab"),
    st.Page("pages/latent_explorer.py", title="Latent explorer", icon=":material/explore:", url_path="latent-explorer"),
]
page = st.navigation(pages)
presenter_toggle()
start_warmup()
with timed_run(page.title):
    page.run()
