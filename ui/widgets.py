"""Widgets and cached `core` calls shared by every page.

Why the caches: Streamlit reruns the whole page script on every interaction.
`st.cache_resource` keeps one copy of each model for all sessions (models are read-only
after loading); `st.cache_data` keeps results (records, per-image errors, embeddings)
keyed by their arguments, so switching pages or levels never recomputes. Behind both,
`core` keeps its own disk cache, so even a fresh server starts warm.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core.checkpoints.files import CheckpointError, read_meta
from core.checkpoints.lab import latent_dim_of
from core.checkpoints.loaded import available_latent_dims, lab_models, model_meta
from core.data.mnist import DataError
from core.levels import STUDY_LATENT_DIMS
from figures.study import level_label
from ui.charts import png_download  # noqa: F401 - pages take it from here too
from ui.images import png_data_uri


@st.cache_data(show_spinner=False)
def _verified(latent_dim: int, weights_sha256: str) -> None:
    """Checked once per weights digest (an error is not cached: it is raised again, and the page says it)."""
    from core.checkpoints.files import verify_checkpoint

    verify_checkpoint(latent_dim)


def usable_latent_dims() -> tuple[list[int], list[str]]:
    """Latent sizes whose checkpoint is sound (checked without torch: `verify_checkpoint`), and a message for
    each one that isn't."""
    good, problems = [], []
    for d in available_latent_dims():
        try:
            _verified(d, read_meta(d)["weights_sha256"])
            good.append(d)
        except CheckpointError as exc:
            problems.append(str(exc))
    return good, problems


@st.cache_data(show_spinner=False)
def _cached_curve_records(latent_dims: tuple[int, ...], weights_sha256s: tuple[str, ...]) -> list[dict]:
    from core.evaluation.knee import curve_records

    return curve_records(list(latent_dims))


def cached_curve_records(latent_dims: tuple[int, ...]) -> list[dict]:
    # keyed by the weights too: a checkpoint retrained in the model lab must not show its old error
    return _cached_curve_records(latent_dims, tuple(read_meta(d)["weights_sha256"] for d in latent_dims))


@st.cache_data(show_spinner=False)
def cached_evaluation(method: str, latent_dim: int, weights_sha256: str):
    from core.evaluation.evaluate import evaluate

    return evaluate(method, latent_dim)


def evaluation(method: str, latent_dim: int | str):
    return cached_evaluation(method, latent_dim, model_meta(latent_dim)["weights_sha256"])


@st.cache_data(show_spinner=False, max_entries=64)
def cached_reconstructions(latent_dim: int, weights_sha256: str, indices: tuple[int, ...]) -> np.ndarray:
    from core.data.mnist import load_split
    from core.models.inference import ae_reconstruct

    return ae_reconstruct(latent_dim, load_split("test").float_images(list(indices)))


def reconstructions(latent_dim: int | str, indices) -> np.ndarray:
    digest = model_meta(latent_dim)["weights_sha256"]
    return cached_reconstructions(latent_dim, digest, tuple(int(i) for i in indices))


def page_guard() -> list[int]:
    """Stop the page with a clear message if data or checkpoints are unusable; else the usable sizes."""
    try:
        from core.data.mnist import load_split

        load_split("test")
    except DataError as exc:
        st.error(f"**The MNIST data can't be read.** {exc}")
        st.stop()
    dims, problems = usable_latent_dims()
    for p in problems:
        st.warning(f"Skipping a checkpoint: {p}")
    if not dims:
        st.error(
            "No trained checkpoint is available. Train one with `python -m core.train --level 99` "
            "or rebuild all with `make checkpoints`."
        )
        st.stop()
    return dims


def usable_lab_models() -> list[str]:
    """The lab models on this server (`core.checkpoints.lab`), to offer beside the shipped ones.

    Listed, not loaded: the one picked is loaded by `picked_models`."""
    return lab_models()


def picked_models(refs: list[int | str]) -> list[int | str]:
    """The picked models that load; a lab model that can't (removed by the disk cap since it was listed, or
    damaged) is dropped with a message instead of a traceback further down the page."""
    from core.checkpoints.loaded import load_model

    kept = []
    for ref in refs:
        try:
            load_model(ref)
            kept.append(ref)
        except CheckpointError as exc:
            st.warning(str(exc))
    return kept


def level_picker(
    dims: list[int],
    label: str = "Compression levels",
    default: tuple[int, ...] = STUDY_LATENT_DIMS,
    key: str = "levels",
    multi: bool = True,
    lab: list[str] = (),
):
    """Pick one or several trained latent sizes, shown as 'compression % · d'.

    `lab`: lab models offered too, each beside the shipped size it shares, labelled 'lab' (never instead of it).
    A lab model picked earlier in this session that has since been removed is dropped with a message."""
    options = sorted([*dims, *lab], key=lambda ref: (latent_dim_of(ref), str(ref)))
    chosen = st.session_state.get(key)
    gone = [c for c in (chosen if isinstance(chosen, list) else [chosen]) if isinstance(c, str) and c not in options]
    if gone:
        st.info(
            f"The lab model {', '.join(gone)} is no longer on this server (the lab keeps only its newest "
            "models); showing the shipped models instead."
        )
        del st.session_state[key]
    if not options:
        st.error("No trained checkpoint is available. Rebuild them with `make checkpoints`.")
        st.stop()
    preselected = [d for d in default if d in options] or options[:1]
    if multi:
        return st.multiselect(label, options, default=preselected, format_func=level_label, key=key)
    return st.selectbox(label, options, index=options.index(preselected[0]), format_func=level_label, key=key)


@st.cache_data(show_spinner=False, max_entries=4)
def lesson_zip(seed: int) -> bytes:
    """Every lesson figure as PNG plus the text, zipped (built on demand, once per seed)."""
    from teaching.steps import lesson_bundle

    return lesson_bundle(seed)


def checkpoints_fingerprint() -> tuple[tuple[int, str], ...]:
    """(latent size, weights digest) of every checkpoint: a cache key that changes when any model does."""
    out = []
    for d in available_latent_dims():
        try:
            out.append((d, read_meta(d)["weights_sha256"]))
        except CheckpointError:
            continue
    return tuple(out)


@st.cache_data(show_spinner=False, max_entries=64)
def _cached_lesson_step(key: str, seed: int, fingerprint: tuple):
    from teaching.steps import lesson_step

    return lesson_step(key, seed)


def lesson_step_cached(key: str, seed: int):
    """A lesson step, built once per (step, seed, set of models): stepping back and forth is instant."""
    return _cached_lesson_step(key, seed, checkpoints_fingerprint())


def image_strips(rows: list[tuple[str, np.ndarray]], column_titles: list[str], cell_px: int = 56) -> None:
    """Labelled rows of digits as one inline table: each row is a single PNG strip.

    For views that refresh while something runs (the lab's sharpening samples): an <img>
    costs the browser next to nothing to swap, where a heatmap chart is laid out again by
    plotly on every refresh, on the same cores as the training when the browser is local.
    """
    from html import escape

    from figures.lab import GAP, SIDE, tile_row

    gap_px = cell_px * GAP / SIDE
    head = "".join(f'<span style="flex:0 0 {cell_px}px;text-align:center">{escape(t)}</span>' for t in column_titles)
    cells = [
        "<span></span>",
        f'<div style="display:flex;gap:{gap_px:.1f}px;font-size:0.8rem;color:#555">{head}</div>',
    ]
    for label, images in rows:
        strip = tile_row(images)
        cells += [
            f'<span style="text-align:right;font-size:0.85rem;white-space:nowrap">{escape(label)}</span>',
            f'<img src="{png_data_uri(strip, max_px=None)}" alt="{escape(label)}" '
            f'style="width:{strip.shape[1] * cell_px / SIDE:.0f}px;image-rendering:pixelated;display:block">',
        ]
    st.html(
        '<div style="display:grid;grid-template-columns:max-content max-content;gap:6px 10px;align-items:center">'
        + "".join(cells)
        + "</div>"
    )


#: Session-state key under which the "Your digit" page leaves the prepared digit (28x28 in [0, 1])
#: for other pages (the latent explorer starts from it).
YOUR_DIGIT_KEY = "your_digit_prepared"


def _bytes_if_there(path) -> bytes:
    return path.read_bytes() if path.is_file() else b""  # a lab model removed by the disk cap since: nothing


def show_model_card(latent_dim: int | str, expanded: bool = False, key: str = "card") -> None:
    """The chosen checkpoint's card (dims, size, bytes, training, test MSE; for a lab model, who trained it and
    when) and its two files to download.

    `key` tells two cards on one page apart (their download buttons are widgets)."""
    from core.checkpoints.card import model_card as card_rows
    from core.checkpoints.files import model_paths

    with st.expander(f"Model card · {level_label(latent_dim)}", expanded=expanded, icon=":material/badge:"):
        try:
            rows = card_rows(latent_dim, meta=model_meta(latent_dim))
        except CheckpointError as exc:
            st.error(str(exc))
            return
        st.table(pd.DataFrame({"value": [v for _, v in rows]}, index=[k for k, _ in rows]))
        paths = model_paths(latent_dim)
        c1, c2 = st.columns(2)
        for col, path, mime in ((c1, paths.weights, "application/octet-stream"), (c2, paths.meta, "application/json")):
            col.download_button(
                f"Download {path.name}",
                data=lambda path=path: _bytes_if_there(path),  # read only when clicked
                file_name=path.name,
                mime=mime,
                on_click="ignore",
                icon=":material/download:",
                key=f"{key}_{path.name}",
            )
