"""Home: what the lab is, and the compression levels with their byte cost."""

import pandas as pd
import streamlit as st

from core.levels import STUDY_LEVELS_PCT, latent_bytes, latent_dim_for

st.title("Autoencoder Compression Lab")
st.write(
    "What does an auto-encoder do to a handwritten digit when it squeezes it through a "
    "small code? This lab trains a convolutional auto-encoder on MNIST for each latent size "
    "and lets you look at the result from every side."
)

rows = []
for pct in STUDY_LEVELS_PCT:
    d = latent_dim_for(pct)
    rows.append({
        "compression %": pct,
        "latent dims": d,
        "float32 bytes": latent_bytes(d, "float32"),
        "float16 bytes": latent_bytes(d, "float16"),
        "8-bit bytes": latent_bytes(d, "uint8"),
        "raw digit bytes": 784,
    })
st.subheader("The study's compression levels")
st.dataframe(pd.DataFrame(rows), hide_index=True)
st.caption("“Compression” counts latent numbers against 784 pixels, not bytes: "
           "a float32 code of 392 numbers is twice the size of the raw digit.")
