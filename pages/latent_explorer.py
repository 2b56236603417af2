"""Latent explorer: move a digit's code by hand, walk from one digit to another, and see a 2-d model's plane.

The sliders sit in an `st.fragment`: moving one reruns only that panel (encode is
skipped, one decode, one small figure), not the whole page with its interpolation strip
and 10,000-point map. The test codes behind the slider ranges are computed once per
checkpoint (`core.explore.latent`, disk-cached by weights digest).
"""

import hashlib

import numpy as np
import streamlit as st

from core.checkpoints.lab import latent_dim_of
from core.checkpoints.loaded import model_meta
from core.data.mnist import load_split
from core.explore.latent import code_stats, codes_of_test_digits, interpolate, manifold
from core.models.inference import ae_decode, ae_encode
from figures.lab import image_rows, manifold_figure
from figures.study import level_label
from ui.widgets import YOUR_DIGIT_KEY, level_picker, page_guard, picked_models, show_model_card, usable_lab_models

#: Up to this many latent dims, every one gets a slider; above, the user picks the top k by variance.
ALL_SLIDERS_UP_TO = 16
MAX_SLIDERS = 64
SLIDER_COLUMNS = 4

st.title("Latent explorer")
st.caption(
    "Open a trained model up: what does each number of the code do to the digit, what lies between a 3 "
    "and an 8, and (for the 2-number model) what does the whole code space look like?"
)
dims = page_guard()
# `model` is a shipped latent size or a lab model's name (core.checkpoints.lab); `latent_dim` is its size either way
model = level_picker(dims, label="Model", default=(8,), key="lx_level", multi=False, lab=usable_lab_models())
if not picked_models([model]):
    st.stop()
latent_dim = latent_dim_of(model)
show_model_card(model, key="lx_card")

test = load_split("test")
labels = np.asarray(test.labels)
with st.spinner(f"Encoding the 10,000 test digits at {level_label(model)} (once per model)…"):
    stats = code_stats(model)

st.subheader("Move the code")
sources = ["a test digit"] + (["your digit"] if YOUR_DIGIT_KEY in st.session_state else [])
c1, c2, c3 = st.columns([1.2, 1, 1])
source = c1.radio("start from", sources, horizontal=True, key="lx_source")
if source == "your digit":
    start = np.asarray(st.session_state[YOUR_DIGIT_KEY], np.float32)
    start_id = "yours" + hashlib.sha1(start.tobytes()).hexdigest()[:8]
else:
    index = int(c2.number_input("test digit (0-9999)", 0, len(test) - 1, 0, key="lx_index"))
    start, start_id = test.float_images(index), f"test{index}"
    if len(sources) == 1:
        c1.caption("Draw or upload a digit on the **Your digit** page to start from your own.")
if latent_dim <= ALL_SLIDERS_UP_TO:
    shown = np.arange(latent_dim)
else:
    k = int(
        c3.number_input(
            "sliders: the k most varied dims",
            1,
            min(latent_dim, MAX_SLIDERS),
            8,
            key="lx_k",
            help="Dimensions ranked by the variance of the 10,000 test digits' codes.",
        )
    )
    shown = stats.top_dims(k)


def move_code(model: int | str, start: np.ndarray, start_id: str, shown: np.ndarray) -> None:
    """One slider per shown dimension, and the moved code decoded beside the start digit."""
    code = ae_encode(model, start[None])[0]
    prefix = f"lx_z_{model}_{start_id}_"
    if st.button("Reset the sliders to the start digit", icon=":material/restart_alt:", key="lx_reset"):
        for name in [k for k in st.session_state if str(k).startswith(prefix)]:
            del st.session_state[name]
    moved = code.copy()
    cols = st.columns(SLIDER_COLUMNS)
    for n, dim in enumerate(shown):
        lo = float(min(stats.low[dim], code[dim]))
        hi = float(max(stats.high[dim], code[dim]))
        moved[dim] = cols[n % SLIDER_COLUMNS].slider(
            f"dim {dim}", lo, hi, float(code[dim]), step=(hi - lo) / 200 or 0.01, format="%.2f", key=f"{prefix}{dim}"
        )
    out = ae_decode(model, np.stack([code, moved]))
    st.plotly_chart(
        image_rows(
            [("", np.stack([start, out[0], out[1]]))],
            ["start digit", "its reconstruction", "moved code, decoded"],
            cell_px=190,
        ),
        width="content",
        key="lx_moved",
    )
    st.caption(
        f"Slider ranges cover the middle 98 % of the test digits' codes in each dimension. "
        f"{len(shown)} of {latent_dim_of(model)} dims shown; the others keep the start digit's values."
    )


st.fragment(move_code)(model, start, start_id, shown)

st.subheader("Between two digits")
first = {d: int(np.flatnonzero(labels == d)[0]) for d in (3, 8)}
c1, c2, c3 = st.columns(3)
a = int(c1.number_input("from test digit", 0, len(test) - 1, first[3], key="lx_from"))
b = int(c2.number_input("to test digit", 0, len(test) - 1, first[8], key="lx_to"))
steps = int(c3.slider("steps", 3, 15, 9, key="lx_steps"))


@st.cache_data(show_spinner=False, max_entries=32)
def cached_interpolation_figure(model: int | str, weights_sha256: str, a: int, b: int, steps: int):
    # cached so that other widgets' reruns (a model picked, a digit typed) don't decode the strip again
    latent_path, pixel_path = interpolate(model, test.float_images(a), test.float_images(b), steps)
    return image_rows(
        [("latent-linear", latent_path), ("pixel-linear", pixel_path)],
        [f"{t:.2f}" for t in np.linspace(0, 1, steps)],
        f"From test #{a} (a {labels[a]}) to test #{b} (a {labels[b]}): t from 0 to 1",
        cell_px=100,
    )


weights_sha256 = model_meta(model)["weights_sha256"]
st.plotly_chart(cached_interpolation_figure(model, weights_sha256, a, b, steps), width="stretch", key="lx_interp")
st.caption(
    "Top: the two codes mixed in proportion t, then decoded; every step is a digit the model can draw. "
    "Bottom: the two images cross-faded pixel by pixel; halfway it is two faint digits on top of each other."
)


@st.cache_data(show_spinner=False, max_entries=4)
def cached_manifold_figure(model: int | str, weights_sha256: str, n: int):
    # the decoded grid plus 10,000 scattered codes: built once per model and grid size
    xs, ys, grid = manifold(model, n)
    return manifold_figure(xs, ys, grid, codes_of_test_digits(model), labels)


st.subheader("The whole latent plane")
if latent_dim == 2:
    n = int(st.slider("grid size", 8, 25, 15, key="lx_grid"))
    st.plotly_chart(cached_manifold_figure(model, weights_sha256, n), width="stretch", key="lx_plane")
    st.caption(
        "Left: the decoder's digit at each point of a grid over the codes' range. Right: the codes of the "
        "10,000 test digits on the same axes, coloured by digit. Zoom one panel and the other follows."
    )
elif 2 in dims:
    st.info(f"A 2-number code can be drawn as a plane: pick **{level_label(2)}** as the model above.")
else:
    st.info("A 2-number code can be drawn as a plane: train one with latent size 2 in the Model lab.")
