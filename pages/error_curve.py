"""Error vs compression: every trained checkpoint, PCA of the same size beside it, and the knee."""

import pandas as pd
import streamlit as st

from core.curve import knee_of_records
from ui.widgets import cached_curve_records, page_guard, png_download

st.title("Reconstruction error against compression")
dims = page_guard()
c1, c2 = st.columns(2)
log_y = c1.toggle("log-scale error axis", value=True, key="curve_log")
x_axis = c2.radio(
    "horizontal axis",
    ["compression", "latent dims"],
    horizontal=True,
    key="curve_x",
    help="Compression % squeezes the small codes together near 100 %; latent dims on a log scale spreads them out.",
)

with st.spinner("Evaluating every checkpoint on the 10,000 test digits (once; cached after)…"):
    rows = cached_curve_records(tuple(dims))
knee = knee_of_records(rows)

from core.figures import error_curve  # noqa: E402  (after the spinner so the import cost is hidden)

st.plotly_chart(
    error_curve(rows, knee, log_y=log_y, x_axis=x_axis),
    width="stretch",
    key="curve_chart",
    config=png_download("error_vs_compression"),
)

ae = {r["latent_dim"]: r for r in rows if r["method"] == "ae"}
pca = {r["latent_dim"]: r for r in rows if r["method"] == "pca"}
wins = [d for d in ae if ae[d]["mse"] < pca[d]["mse"]]
st.markdown(
    f"**Non-linear vs linear.** The auto-encoder has the lower error at {len(wins)} of {len(ae)} sizes"
    + (f" (PCA wins at d = {', '.join(str(d) for d in sorted(set(ae) - set(wins)))})." if len(wins) < len(ae) else ".")
)
if knee is not None:
    st.markdown(
        f"**The knee** is at about **{knee:.1f}%** compression: found with the Kneedle method on "
        "log-MSE — the point farthest below the straight line joining the curve's ends, i.e. where the "
        "error's relative growth takes off."
    )

with st.expander("All figures"):
    table = pd.DataFrame(
        [
            {
                "latent dims": d,
                "compression %": round(ae[d]["compression_pct"], 2),
                "AE MSE": ae[d]["mse"],
                "PCA MSE": pca[d]["mse"],
                "AE PSNR dB": ae[d]["psnr"],
                "PCA PSNR dB": pca[d]["psnr"],
                "bytes float32": ae[d]["bytes_float32"],
                "bytes 8-bit": ae[d]["bytes_uint8"],
            }
            for d in sorted(ae)
        ]
    )
    st.dataframe(table, hide_index=True)
