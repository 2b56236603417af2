"""Compress: test digits or your own pictures into one real file at a chosen quality, and a file decoded back."""

import numpy as np
import pandas as pd
import streamlit as st

from core.codec import CodecFileError, to_text
from core.codec.fileformat import SMALL_SET
from core.data.mnist import load_split
from core.data.samples import N_TEST
from core.data.user_digit import InvalidImageError
from core.explore.round_trip import DEFAULT_TEST_DIGITS, KEPT, ORDERS, default_quality, pick_test_digits
from core.levels import N_PIXELS
from figures.study import reconstruction_grid
from ui.codec import (
    compressed_test_digits,
    compressed_uploads,
    decoded_file,
    decoded_text,
    prepared_upload,
    quality_picker,
    show_decoded_code,
    show_digit_from_link,
    show_digit_link,
    usable_qualities,
)
from ui.images import image_row
from ui.state import set_url, url_choice, url_int
from ui.widgets import page_guard, png_download

#: What the codec's files are called here (the suffix is only a name: the file's magic bytes say what it is).
FILE_SUFFIX = ".aecl"
UPLOAD_TYPES = ["png", "jpg", "jpeg", "bmp", "gif", "webp"]  # as on "Your digit"
SOURCES = {"test": "test digits", "uploads": "your pictures"}
#: More uploads than this show a progress bar while they are prepared (each takes tens of milliseconds).
PROGRESS_FROM = 5

st.title("Compress")
st.caption(
    "A real file, not a count of numbers: the rate-trained auto-encoder codes each digit's latents with an "
    "entropy coder into one file, header first. Pick digits and a quality; see the file's size, what it "
    "decodes to, and download it. A file made here (or by `python -m core.codec compress`) decodes below."
)
page_guard()
show_digit_from_link()
found = usable_qualities()
by_number = {q.number: q for q in found}

source_col, quality_col = st.columns([1, 2])
source = source_col.radio(
    "compress",
    list(SOURCES),
    index=list(SOURCES).index(url_choice("source", list(SOURCES), "test")),
    format_func=SOURCES.get,
    horizontal=True,
    key="compress_source",
)
start = by_number.get(url_int("q", default_quality(found).number, 1, max(by_number)), default_quality(found))
quality = quality_picker(found, start, key="compress_quality")


def show_file(result, file_name: str) -> None:
    """The file: its size, bytes per digit, the download, and what its header says."""
    n = len(result.mse)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("file size", f"{len(result.data):,} B")
    c2.metric("bytes per digit", f"{result.bytes_per_digit:,.2f} B")
    c3.metric("against the raw digits", f"{N_PIXELS * n / len(result.data):,.0f}× smaller")
    c4.metric("mean MSE once decoded", f"{result.mse.mean():.4f}")
    st.download_button(
        f"Download the file ({len(result.data):,} bytes)",
        data=result.data,
        file_name=file_name,
        mime="application/octet-stream",
        on_click="ignore",
        icon=":material/download:",
        key="compress_download",
    )
    if n <= SMALL_SET:  # a few digits: the file is short enough to paste, or to open as a link
        show_digit_link(to_text(result.data), "This digit" if n == 1 else "This file")
    show_header(result.header)


def show_header(header) -> None:
    """What the file says about itself (`core.codec.read_header`), on one row."""
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "format version": header.version,
                    "model": header.model,
                    "weights (sha256)": header.weights_sha256,
                    "digits": header.n_images,
                    "shape": " × ".join(str(s) for s in header.shape),
                    "quality": header.quality,
                    "header bytes": header.header_bytes - header.names_bytes,
                    "names bytes": header.names_bytes,
                }
            ]
        ),
        hide_index=True,
    )


if source == "test":
    c1, c2, c3 = st.columns(3)
    n = int(
        c1.number_input(
            "how many test digits", 1, N_TEST, url_int("n", DEFAULT_TEST_DIGITS, 1, N_TEST), key="compress_n"
        )
    )
    order = c2.radio(
        "which",
        ORDERS,
        index=ORDERS.index(url_choice("order", list(ORDERS), "random")),
        format_func={"random": "random (seed)", "first": f"the first {n:,}"}.get,
        horizontal=True,
        key="compress_order",
    )
    seed = int(
        c3.number_input(
            "seed",
            0,
            2**31 - 1,
            url_int("seed", 0, 0, 2**31 - 1),
            disabled=order == "first",
            key="compress_seed",
        )
    )
    set_url(source=source, q=quality.number, n=n, order=order, seed=seed if order == "random" else None)
    result = compressed_test_digits(n, order, seed, quality)
    st.subheader(f"{n:,} test digits in one file at {quality.label}")
    show_file(
        result, f"mnist_test_{order}{n}{f'_seed{seed}' if order == 'random' else ''}_q{quality.number}" + FILE_SUFFIX
    )
    shown = st.radio(
        "show",
        ["first", "worst"],
        format_func=lambda s: f"the {s} {min(KEPT, n)}",
        horizontal=True,
        key="compress_show",
    )
    positions = (result.first if shown == "first" else result.worst).tolist()
    test = load_split("test")
    indices = pick_test_digits(n, order, seed)[positions].tolist()
    st.plotly_chart(
        reconstruction_grid(
            np.stack([result.originals[p] for p in positions]),
            [(f"decoded · q{quality.number}", np.stack([result.decoded[p] for p in positions]), result.mse[positions])],
            indices,
            np.asarray(test.labels)[indices].tolist(),
            f"The {shown} {len(positions)} of the file's digits, decoded (MSE under each)",
        ),
        width="stretch",
        key="compress_grid",
        config=png_download(f"compressed_q{quality.number}"),
    )
else:
    set_url(source=source, q=quality.number, n=None, order=None, seed=None)
    files = st.file_uploader(
        f"PNG, JPEG, BMP, GIF or WebP of a digit, up to {st.get_option('server.maxUploadSize')} MB each; "
        "several at once go into one file",
        type=UPLOAD_TYPES,
        accept_multiple_files=True,
        key="compress_uploads",
    )
    files = files or []
    digits, names = [], []
    bar = st.progress(0.0) if len(files) > PROGRESS_FROM else None
    for i, f in enumerate(files):
        if bar is not None:
            bar.progress(i / len(files), text=f"Preparing picture {i + 1:,} of {len(files):,}…")
        try:
            digit, notes = prepared_upload(f.getvalue())
        except InvalidImageError as exc:
            st.error(f"**{f.name}**: {exc}")
            continue
        for note in notes:
            st.info(f"**{f.name}**: {note}")
        digits.append(digit)
        names.append(f.name)
    if bar is not None:
        bar.empty()
    if not digits:
        st.info("Upload a picture of a digit (or several) to compress it, prepared the way *Your digit* does.")
    else:
        result = compressed_uploads(np.stack(digits), tuple(names), quality)
        st.subheader(f"{len(digits)} of your digits in one file at {quality.label}")
        show_file(result, f"your_digits_q{quality.number}{FILE_SUFFIX}")
        st.caption("Your file names are stored in the file, so they count in its bytes.")
        image_row(
            [
                item
                for p in result.first.tolist()
                for item in (
                    (result.originals[p], result.names[p]),
                    (result.decoded[p], f"decoded · MSE {result.mse[p]:.4f}"),
                )
            ],
            size_px=96,
        )

st.subheader("Decode a file or a digit's code")
pasted = st.text_input(
    "a digit's code (the text *Your digit* and this page show; `python -m core.codec encode-text` prints it)",
    max_chars=4096,
    key="decode_text",
)
if pasted.strip():
    try:
        show_decoded_code(decoded_text(pasted.strip()), pasted.strip(), "The digit from the code")
    except CodecFileError as exc:
        st.error(f"**That code**: {exc}")
upload = st.file_uploader(
    f"A {FILE_SUFFIX} file made here or by `python -m core.codec compress`", type=None, key="decode_upload"
)
if upload is not None:
    try:
        decoded = decoded_file(upload.getvalue())
    except CodecFileError as exc:
        st.error(f"**{upload.name}**: {exc}")
    else:
        count = len(decoded.images)
        st.success(f"**{upload.name}**: {count:,} digits decoded from {len(upload.getvalue()):,} bytes.")
        show_header(decoded.header)
        image_row(
            [(decoded.images[k], decoded.names[k] or f"#{k + 1}") for k in range(min(count, KEPT))],
            size_px=60,
        )
        if count > KEPT:
            st.caption(f"The first {KEPT} of {count:,}; `python -m core.codec decompress` writes them all as PNGs.")
