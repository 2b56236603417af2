"""Your digit: draw or upload one, see it prepared like MNIST and reconstructed at every level."""

import numpy as np
import pandas as pd
import streamlit as st

from core.checkpoints.lab import latent_dim_of
from core.checkpoints.loaded import model_meta
from core.data.user_digit import InvalidImageError, prepare_digit_steps, split_digits
from core.explore.embedding import Placer
from core.explore.your_digit import mnist_likeness, reconstruct_everywhere, unlike_mnist
from figures.study import add_placed_points, embedding_scatter, latent_code_bars, level_label
from ui.codec import show_digit_codes
from ui.images import image_row, png_data_uri
from ui.measures import show_classifier_readings
from ui.widgets import (
    YOUR_DIGIT_KEY,
    level_picker,
    page_guard,
    picked_models,
    png_download,
    show_model_card,
    usable_lab_models,
)

UPLOAD_TYPES = ["png", "jpg", "jpeg", "bmp", "gif", "webp"]

st.title("Your digit")
st.caption(
    "Draw a digit or upload photos of digits on paper. Each is prepared the way MNIST's digits were "
    "(ink white on black, cropped, scaled into 20×20, centred by mass in 28×28), then squeezed "
    "through every trained level."
)
dims = page_guard()

draw_col, upload_col = st.columns(2)
with draw_col:
    st.subheader("Draw")
    from streamlit_drawable_canvas import st_canvas  # only importable inside a running Streamlit script

    canvas = st_canvas(
        stroke_width=22,
        stroke_color="#000000",
        background_color="#ffffff",
        height=280,
        width=280,
        drawing_mode="freedraw",
        return_image_data=True,
        key="canvas",
    )
with upload_col:
    st.subheader("…or upload")
    files = st.file_uploader(
        f"PNG, JPEG, BMP, GIF or WebP, up to {st.get_option('server.maxUploadSize')} MB each "
        "(a bigger file is marked in red and not read); several at once for a table",
        type=UPLOAD_TYPES,
        accept_multiple_files=True,
        key="uploads",
    )


def _prepare(source, name: str):
    try:
        return prepare_digit_steps(source), None
    except InvalidImageError as exc:
        return None, f"**{name}**: {exc}"


candidates = {}


def add_candidate(name: str, source, steps, drawing=None) -> None:
    """The digit for "Look closely at"; when the picture holds several, say so and offer each of them."""
    candidates[name] = (steps, drawing)
    if steps.digit_count > 1:
        for k, other in enumerate(split_digits(source), start=1):
            if other.box != steps.box:
                candidates[f"{name} · digit {k} of {steps.digit_count}"] = (other, None)
        st.info(f"**{name}**: {' '.join(steps.notes)} Each of them is in *Look closely at* below.")


drawing = canvas.image_data if canvas is not None else None
if drawing is not None and drawing[..., 3].max() > 0 and (drawing[..., :3].min() < 250):
    steps, problem = _prepare(drawing, "your drawing")
    if problem:
        st.warning(problem)
    else:
        add_candidate("your drawing", drawing, steps, drawing)

uploads = []
for f in files or []:
    data = f.getvalue()
    steps, problem = _prepare(data, f.name)
    if problem:
        st.error(problem)
    else:
        uploads.append((f.name, steps))
        add_candidate(f.name, data, steps)

if not candidates:
    st.info("Draw a digit on the white square, or upload a picture of one, to see what each level makes of it.")
    st.stop()

if len(uploads) > 1:
    st.subheader("Your uploads at every level")
    rows = []
    for name, steps in uploads:
        results = reconstruct_everywhere(steps.centred, dims)
        row = {"file": name, "prepared": png_data_uri(steps.centred)}
        row.update({f"MSE {level_label(r.latent_dim)}": round(r.mse, 5) for r in results})
        row["unlike MNIST?"] = "yes ⚠" if unlike_mnist(results) else "no"
        rows.append(row)
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        column_config={"prepared": st.column_config.ImageColumn("prepared", width="small")},
        key="upload_table",
    )

choice = st.selectbox("Look closely at", list(candidates), key="digit_choice")
steps, _ = candidates[choice]
st.session_state[YOUR_DIGIT_KEY] = steps.centred  # the latent explorer can start from it

# The answer first (the row of reconstructions), then how the digit was prepared.
lab_models = usable_lab_models()
results = reconstruct_everywhere(steps.centred, [*dims, *lab_models])
st.subheader("Reconstructed at every level")
st.markdown(mnist_likeness(results))
image_row(
    [(steps.centred, "your digit")]
    + [
        (r.reconstruction, f"{level_label(r.model)} · MSE {r.mse:.4f}" + (" ⚠ unusual" if r.unusual else ""))
        for r in sorted(results, key=lambda r: (-r.latent_dim, isinstance(r.model, str)))
    ],
    size_px=112,
)

show_classifier_readings(steps.centred, results)

st.subheader("Prepared like MNIST")
image_row(
    [
        (steps.original, "original"),
        (steps.grey, "the ink, white on black"),
        (steps.cropped, "cropped to the digit"),
        (steps.scaled, "scaled into 20×20"),
        (steps.centred, "centred in 28×28"),
    ],
    size_px=140,
)

# `model` is a shipped latent size or a lab model's name (core.checkpoints.lab); `latent_dim` is its size either way
model = level_picker(dims, label="Level to inspect", default=(8,), key="digit_level", multi=False, lab=lab_models)
if not picked_models([model]):
    st.stop()
latent_dim = latent_dim_of(model)
show_model_card(model)
chosen = next(r for r in results if r.model == model)
st.plotly_chart(
    latent_code_bars(chosen.code, latent_dim),
    width="stretch",
    key="code_chart",
    config=png_download(f"your_digit_code_{model if isinstance(model, str) else f'd{latent_dim}'}"),
)

st.subheader("Its code as a file holds it: bits and text, at each quality of the codec")
show_digit_codes(steps.centred)


@st.cache_resource(show_spinner=False, max_entries=4)
def cached_placer(model: int | str, weights_sha256: str, method: str) -> Placer:
    return Placer(model, method)


st.subheader("Where it lands among the real digits")
method = st.radio("map", ["t-SNE", "PCA"], horizontal=True, key="digit_map_method")
with st.spinner(f"Preparing the {method} map at {level_label(model)} (once per model)…"):
    placer = cached_placer(model, model_meta(model)["weights_sha256"], method)
placed = placer.place(np.stack([steps.centred, chosen.reconstruction]))
emb = placer.embedding
fig = embedding_scatter(
    emb.xy,
    emb.source,
    emb.labels,
    emb.test_index,
    "digit",
    title=f"Your digit (★ blue) and its reconstruction (★ red) on the {method} map at {level_label(model)}",
    method=method,
)
st.plotly_chart(
    add_placed_points(fig, placed, ["your digit", "its reconstruction"]),
    width="stretch",
    key="digit_map",
    config=png_download(f"your_digit_on_{method}_map_d{latent_dim}"),
)
st.caption(
    "New points are placed on the existing map (openTSNE's transform for t-SNE, the fitted projection "
    "for PCA); the map itself does not move."
)
