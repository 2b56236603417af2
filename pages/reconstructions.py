"""Reconstructions: originals on top, one row per compression level, each image with its MSE."""

import numpy as np
import streamlit as st

from core.data import load_split
from core.figures import level_label, reconstruction_grid
from core.metrics import per_image_mse
from core.samples import MAX_SHOWN, parse_indices, per_class_indices, random_indices
from ui.widgets import level_picker, page_guard, reconstructions

st.title("Original vs reconstructed digits")
st.caption(
    "Each row squeezes the same test digits through a smaller code. The number under each "
    "image is its reconstruction MSE (pixels in [0, 1])."
)
dims = page_guard()

with st.sidebar:
    st.header("Digits")
    levels = level_picker(dims, key="recon_levels")
    mode = st.radio("Which digits", ["random sample", "N per class", "specific test indices"], key="recon_mode")
    seed = st.number_input("seed", min_value=0, max_value=2**31 - 1, value=0, step=1, key="recon_seed")
    if mode == "random sample":
        n = st.slider("how many", 1, 20, 10, key="recon_n")
        indices = random_indices(n, int(seed))
    elif mode == "N per class":
        per_class = st.slider("per class", 1, MAX_SHOWN // 10 // 3, 1, key="recon_per_class")
        indices = per_class_indices(per_class, int(seed))
    else:
        text = st.text_input("test indices (0-9999)", "0, 1, 2, 3, 4, 7, 42, 100-102", key="recon_indices")
        try:
            indices = parse_indices(text)
        except ValueError as exc:
            st.error(str(exc))
            st.stop()
    show_error = st.toggle("show absolute error map instead", key="recon_error_map")

if not levels:
    st.info("Pick at least one compression level in the sidebar.")
    st.stop()

test = load_split("test")
originals = test.float_images()[indices]
labels = np.asarray(test.labels)[indices]
rows = []
for d in sorted(levels, reverse=True):
    recon = reconstructions(d, indices)
    mse = per_image_mse(originals, recon)
    rows.append(
        (f"{level_label(d)}<br>mean MSE {mse.mean():.4f}", np.abs(originals - recon) if show_error else recon, mse)
    )

what = "absolute error |original − reconstruction|" if show_error else "reconstructions"
fig = reconstruction_grid(
    originals, rows, indices.tolist(), labels.tolist(), title=f"{len(indices)} test digits and their {what}"
)
st.plotly_chart(
    fig,
    width="stretch",
    key="recon_grid",
    config={"toImageButtonOptions": {"filename": "reconstructions", "scale": 2}},
)
if show_error:
    st.caption("Error maps: white = the reconstruction is off by the full pixel range, black = exact.")
