"""Home: one digit through the study's levels, the levels with their byte cost, and a way into each view.

Kept free of torch: the digit's reconstructions come from the disk cache once computed
(`core.explore.showcase`), so the dashboard's first paint stays quick.
"""

import numpy as np
import pandas as pd
import streamlit as st

from core.data.mnist import load_split
from core.explore.showcase import FIRST_DIGIT, showcase
from core.levels import N_PIXELS, STUDY_LEVELS_PCT, compression_pct, latent_bytes, latent_dim_for
from ui.images import image_row
from ui.navigation import GROUP_TITLES, pages_in
from ui.prefetch import prefetch_chart_library
from ui.state import set_url, url_int

st.title("Autoencoder Compression Lab")
st.markdown(
    "What happens to a handwritten digit when an auto-encoder squeezes it through a small code "
    "and rebuilds it? This lab answers with real MNIST digits and a convolutional auto-encoder "
    "trained for each code size. It reproduces the four views of the study *Image compression with "
    "Auto-Encoders* (Ready Tensor, CC BY-SA) and checks each of its claims against the data, with "
    "PCA, the classic linear method, beside the auto-encoder wherever a comparison is fair."
)


def show_one_digit() -> None:
    """A test digit, then what each study level gives back, with the bytes of its code and its error."""
    n_test = len(load_split("test"))
    index = url_int("digit", FIRST_DIGIT, 0, n_test - 1)
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    left.subheader("One digit, squeezed through each level")
    if right.button("Another digit", icon=":material/casino:", key="home_another"):
        index = int(np.random.default_rng().integers(n_test))
    set_url(digit=index)
    try:
        with st.spinner("Reconstructing this digit at each level…"):
            shown = showcase(index)
    except Exception as exc:  # a missing or broken study model: the rest of the page still helps
        st.warning(f"The study's models can't show a digit right now ({exc}). The views below say more.")
        return
    items = [(shown.original, f"original · {shown.raw_bytes} B raw")]
    items += [
        (
            level.reconstruction,
            f"{compression_pct(level.latent_dim):.0f} % · {level.code_bytes} B code · MSE {level.mse:.4f}",
        )
        for level in shown.levels
    ]
    image_row(items, size_px=130)
    st.caption(
        f"Test digit #{shown.index} (a {shown.label}). Each level keeps a code of that many numbers, stored here "
        "at one byte each (8-bit); the decoder rebuilds the 784 pixels from it. MSE is the mean squared pixel "
        "error (pixels in [0, 1]). The link to this page keeps the digit."
    )


show_one_digit()

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


for group in ("study", "beyond", "teach"):
    page_map(GROUP_TITLES[group], group)

prefetch_chart_library()  # the views' first chart then draws without waiting for the chart library
