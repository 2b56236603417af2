"""Per-digit error: which digits are hardest to compress, raw or per unit of ink."""

import streamlit as st

from core.figures import per_digit_bars
from core.metrics import INK_THRESHOLD
from ui.widgets import evaluation, level_picker, page_guard

st.title("Error per digit")
dims = page_guard()
levels = level_picker(dims, default=(39, 8), key="digit_levels")
value = st.radio("error measure", ["raw MSE", "ink-normalised"], horizontal=True, key="digit_value")
sort = st.toggle("sort digits by error", key="digit_sort")
if value == "ink-normalised":
    st.caption(
        f"Ink-normalised: an image's summed squared error per 100 ink pixels (pixels at least "
        f"{INK_THRESHOLD:.0%} bright in the original), so a digit with more strokes isn't penalised "
        "just for having more to get wrong."
    )

if not levels:
    st.info("Pick at least one compression level.")
    st.stop()

stats = {d: evaluation("ae", d).per_digit("mse" if value == "raw MSE" else "ink") for d in levels}
st.plotly_chart(
    per_digit_bars(stats, "mse" if value == "raw MSE" else "ink", sort_by_error=sort),
    use_container_width=True,
    key="digit_chart",
    config={"toImageButtonOptions": {"filename": "error_per_digit", "scale": 2}},
)

for d, g in sorted(stats.items()):
    hard, easy = int(g.digit[g.mean.argmax()]), int(g.digit[g.mean.argmin()])
    st.markdown(f"At **d = {d}**: hardest digit **{hard}**, easiest **{easy}** ({value}).")
