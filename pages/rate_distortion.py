"""Rate–distortion: the auto-encoder codec against JPEG, WebP, JPEG XL, PNG and LZMA, byte for byte, in two framings."""

import pandas as pd
import streamlit as st

from core.data.mnist import load_split
from core.ratedistortion.codecs import FRAMINGS, HEADERS_SHARED, LATENT_STORAGE, PER_FILE
from core.ratedistortion.records import (
    BUDGETS,
    DEFAULT_BUDGET,
    closest_points,
    framing,
    rd_records_are_cached,
    side_by_side_indices,
    where_it_wins,
)
from core.ratedistortion.records import rd_records as compute_rd_records
from figures.ratedistortion import images_side_by_side, rate_distortion_chart
from ui.measures import point_images, rd_records
from ui.progress import TimedProgress
from ui.widgets import page_guard, png_download

st.title("Rate–distortion")
st.caption(
    "How many bytes does a digit really take? Every method stores the 10,000 test digits and we measure the "
    "bytes (real file sizes) and the error of what comes back, in two framings: **a file per digit** (each "
    "digit pays its file's headers) and **one file for all digits** (the headers paid once: the codecs encode "
    "one 100 × 100 mosaic of the digits, LZMA the raw pixels one after another; bytes per digit = the file's "
    "size / 10,000). The auto-encoder codec's points are the sizes of its real files. The auto-encoder's and "
    f"PCA's codes written as bare numbers ({', '.join(LATENT_STORAGE)}) are shown too: numbers, not a file format."
)
dims = page_guard()

c1, c2 = st.columns([1, 2])
y_axis = c1.radio("error axis", ["MSE", "PSNR"], horizontal=True, key="rd_y")
budget = c2.select_slider(
    "byte budget per image", options=BUDGETS, value=DEFAULT_BUDGET, key="rd_budget", format_func=lambda b: f"{b:,} B"
)
shown = st.pills(
    "show", FRAMINGS, selection_mode="multi", default=list(FRAMINGS), key="rd_framings", format_func=str.capitalize
)

if not rd_records_are_cached(dims):  # a retrained model or codec: its records aren't shipped, so compute them here
    bar = TimedProgress("Encoding the 10,000 test digits with every method (once; cached after)")
    compute_rd_records(dims, progress=bar)
    bar.done()
records = rd_records(dims)
visible = [r for r in records if framing(r) in shown]
if not visible:
    st.info("Pick at least one way of storing the digits above.")
    st.stop()

st.plotly_chart(
    rate_distortion_chart(visible, y=y_axis.lower(), budget=budget),
    width="stretch",
    key="rd_chart",
    config=png_download("rate_distortion"),
)
st.markdown(where_it_wins(records))
st.caption(
    "Each classical codec at its best settings: JPEG quality 1–95 (Pillow, `optimize=True`), WebP quality 0–100 "
    "(libwebp's smallest, `method=6`; lossless `method=4`, as small and faster), JPEG XL distance 4–25 (libjxl via "
    "imagecodecs; effort 4 per digit, 3 and 5 on the mosaic), LZMA at preset 9 + extreme. 8-bit codes: the "
    "per-dimension offsets and steps (2 × d float32) are counted once for the set. Lossless methods (error 0) are "
    "vertical lines. A line joins a method's best settings; a faint marker off it is a setting another of its "
    "own beats. "
    f"Framings: {HEADERS_SHARED} solid, {PER_FILE} dashed."
)

st.subheader(f"The same digits at about {budget:,} bytes per image")
indices = side_by_side_indices()
points = closest_points([r for r in visible if r["mse"] > 0], budget)
rows = [
    (
        f"{p['method']} · {p['setting']}<br>{p['bytes_per_image']:,.1f} B · MSE {p['mse']:.4f}",
        point_images(p, indices),
    )
    for p in points
]
st.plotly_chart(
    images_side_by_side(
        load_split("test").float_images(indices),
        rows,
        title=f"Each lossy method at its operating point closest to {budget:,} B (first test digit of each class)",
        label_width=260,
    ),
    width="stretch",
    key="rd_strip",
    config=png_download(f"rate_distortion_images_at_{budget}B"),
)

with st.expander("All operating points"):
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "method": r["method"],
                    "stored as": framing(r),
                    "setting": r["setting"],
                    "bytes / image": round(r["bytes_per_image"], 2),
                    "MSE": r["mse"],
                    "PSNR dB": r["psnr"],
                }
                for r in records
            ]
        ),
        hide_index=True,
    )
