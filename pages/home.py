"""Home: what the lab is, the compression levels with their byte cost, and a way into each view.

Kept free of torch and of the models, so the dashboard's first paint is quick.
"""

import pandas as pd
import streamlit as st

from core.levels import N_PIXELS, STUDY_LEVELS_PCT, latent_bytes, latent_dim_for
from ui.navigation import pages_in

st.title("Autoencoder Compression Lab")
st.markdown(
    "What happens to a handwritten digit when an auto-encoder squeezes it through a small code "
    "and rebuilds it? This lab answers with real MNIST digits and a convolutional auto-encoder "
    "trained for each code size. It reproduces the four views of the study *Image compression with "
    "Auto-Encoders* (Ready Tensor, CC BY-SA) and checks each of its claims against the data, with "
    "PCA, the classic linear method, beside the auto-encoder wherever a comparison is fair."
)

st.subheader("The study's four compression levels")
rows = []
for pct in STUDY_LEVELS_PCT:
    d = latent_dim_for(pct)
    rows.append(
        {
            "compression %": pct,
            "latent dims": d,
            "bytes as float32": latent_bytes(d, "float32"),
            "bytes as float16": latent_bytes(d, "float16"),
            "bytes as 8-bit": latent_bytes(d, "uint8"),
            "raw digit (bytes)": N_PIXELS,
        }
    )
st.table(pd.DataFrame(rows).set_index("compression %"))  # a static table: the first page paints at once
st.caption(
    "“Compression” here is the study's measure: the share of the 784 pixel values that the code does "
    "not keep (1 − latent dims / 784). It counts numbers, not bytes: stored as float32, the 50 % code "
    "(392 numbers) takes 1,568 bytes, twice the 784 bytes of the raw 8-bit digit."
)


def page_map(title: str, group: str) -> None:
    """Links to one group of pages, two columns, each with its line of what it shows."""
    st.subheader(title)
    columns = st.columns(2)
    for i, p in enumerate(pages_in(group)):
        with columns[i % 2]:
            st.page_link(p.script, label=p.title, icon=p.icon)
            st.caption(p.blurb)


page_map("The study's four views", "study")
page_map("Beyond the study", "beyond")
page_map("Teaching with it", "teach")
