"""Reconstructions: originals on top, one row per compression level, each image with its MSE."""

import streamlit as st

from core.checkpoints.lab import latent_dim_of
from core.checkpoints.seeds import seed_model_name, seeds_on_disk
from core.data.samples import MAX_SHOWN, parse_indices, per_class_indices, random_indices
from core.levels import STUDY_LATENT_DIMS
from figures.grid import digit_grid
from ui.state import MAX_PARAM_LENGTH, set_url, url_choice, url_int, url_levels
from ui.widgets import level_picker, page_guard, picked_models, png_download, reconstructions, usable_lab_models

st.title("Original vs reconstructed digits")
st.caption(
    "Each row squeezes the same test digits through a smaller code. The number under each "
    "image is its reconstruction MSE (pixels in [0, 1])."
)
dims = page_guard()

with st.sidebar:
    st.header("Digits")
    lab = usable_lab_models()  # lab models are offered beside the shipped sizes, labelled "lab"
    levels = level_picker(
        dims, key="recon_levels", default=url_levels("levels", [*dims, *lab], STUDY_LATENT_DIMS), lab=lab
    )
    modes = ["random sample", "N per class", "specific test indices"]
    url_mode = {"random": modes[0], "per-class": modes[1], "indices": modes[2]}
    mode = st.radio(
        "Which digits",
        modes,
        index=modes.index(url_mode[url_choice("digits", list(url_mode), "random")]),
        key="recon_mode",
    )
    seed = st.number_input(
        "seed", min_value=0, max_value=2**31 - 1, value=url_int("seed", 0, 0, 2**31 - 1), step=1, key="recon_seed"
    )
    if mode == "random sample":
        n = st.slider("how many", 1, 20, url_int("n", 10, 1, 20), key="recon_n")
        indices = random_indices(n, int(seed))
    elif mode == "N per class":
        most = MAX_SHOWN // 10 // 3
        per_class = st.slider("per class", 1, most, url_int("per_class", 1, 1, most), key="recon_per_class")
        indices = per_class_indices(per_class, int(seed))
    else:
        text = st.text_input(
            "test indices (0-9999)",
            st.query_params.get("indices", "0, 1, 2, 3, 4, 7, 42, 100-102")[:MAX_PARAM_LENGTH],
            key="recon_indices",
        )
        try:
            indices = parse_indices(text)
        except ValueError as exc:
            st.error(str(exc))
            st.stop()
    show_error = st.toggle("show absolute error map instead", key="recon_error_map")
    trained = [0, *sorted({m["train"]["seed"] for m in seeds_on_disk().values()})]
    if len(trained) > 1:
        train_seed = st.selectbox(
            "training seed of the study levels",
            trained,
            index=trained.index(int(url_choice("train_seed", [str(s) for s in trained], "0"))),
            format_func=lambda s: f"{s} (shipped)" if s == 0 else str(s),
            key="recon_train_seed",
        )
    else:
        train_seed = 0
        st.caption("Other training seeds of the study levels: `make seeds` brings their weights (only records ship).")

set_url(
    levels=sorted(levels, key=lambda ref: (latent_dim_of(ref), str(ref)), reverse=True),
    digits={v: k for k, v in url_mode.items()}[mode],
    seed=int(seed),
    n=n if mode == modes[0] else None,
    per_class=per_class if mode == modes[1] else None,
    indices=text if mode == modes[2] else None,
    train_seed=train_seed or None,
)

if not levels:
    st.info("Pick at least one compression level in the sidebar.")
    st.stop()

if train_seed:  # each study level's model of that seed, where it was trained here
    on_disk = seeds_on_disk()
    levels = [
        name if isinstance(ref, int) and (name := seed_model_name(ref, train_seed)) in on_disk else ref
        for ref in levels
    ]
levels = picked_models(levels)
fig, _ = digit_grid(indices, levels, show_error=show_error, reconstruct=reconstructions)
st.plotly_chart(
    fig,
    width="stretch",
    key="recon_grid",
    config=png_download("reconstructions"),
)


def grid_png() -> bytes:
    """The grid as a slide-ready PNG, drawn only when someone downloads it (matplotlib, a third of a second
    to import, stays out of the page's first run)."""
    from figures.export import figure_png

    return figure_png(fig)


st.download_button(
    "Download the grid as PNG (for slides)",
    data=grid_png,
    file_name=f"reconstructions_seed{int(seed)}.png",
    mime="image/png",
    icon=":material/download:",
    key="recon_png",
)
if show_error:
    st.caption("Error maps: white = the reconstruction is off by the full pixel range, black = exact.")
