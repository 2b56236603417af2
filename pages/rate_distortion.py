"""Rate–distortion: the auto-encoder against JPEG, WebP, PNG and PCA, byte for byte."""

import pandas as pd
import streamlit as st

from core.data.mnist import load_split
from core.ratedistortion.codecs import LATENT_STORAGE
from core.ratedistortion.records import closest_points, where_it_wins
from figures.ratedistortion import images_side_by_side, rate_distortion_chart
from ui.measures import point_images, rd_records
from ui.widgets import page_guard, png_download

#: Byte budgets offered (bytes per image): powers of two up to float32 codes of d=392.
BUDGETS = [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 1568]
#: One test digit of each class (the first of each), shown side by side at the chosen budget.
N_PER_ROW = 10

st.title("Rate–distortion")
st.caption(
    "How many bytes does a digit really take? Every method stores each of the 10,000 test digits and we "
    "measure the bytes (real encoded lengths, headers included, each digit its own file) and the error of "
    "what comes back. The auto-encoder's and PCA's codes are stored three ways: "
    f"{', '.join(LATENT_STORAGE)}."
)
dims = page_guard()

c1, c2 = st.columns([1, 2])
y_axis = c1.radio("error axis", ["MSE", "PSNR"], horizontal=True, key="rd_y")
budget = c2.select_slider(
    "byte budget per image", options=BUDGETS, value=32, key="rd_budget", format_func=lambda b: f"{b:,} B"
)

with st.spinner("Encoding the 10,000 test digits with every method (once; cached after)…"):
    records = rd_records(dims)

st.plotly_chart(
    rate_distortion_chart(records, y=y_axis.lower(), budget=budget),
    width="stretch",
    key="rd_chart",
    config=png_download("rate_distortion"),
)
st.markdown(where_it_wins(records))
st.caption(
    "8-bit codes: the per-dimension offsets and steps (2 × d float32) are counted once for the whole set of "
    "10,000 digits, so they add 8·d / 10,000 bytes per image. JPEG and PNG use Pillow's `optimize=True`, WebP "
    "libwebp's default effort (`method=4`). Lossless methods (error 0) are drawn as vertical lines."
)

st.subheader(f"The same digits at about {budget:,} bytes per image")
labels = load_split("test").labels
indices = [int((labels == d).argmax()) for d in range(N_PER_ROW)]
points = closest_points(records, budget)
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
        title=f"Each method at its operating point closest to {budget:,} B (first test digit of each class)",
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
