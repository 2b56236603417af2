"""Per-digit error: which digits are hardest to compress, raw or per unit of ink."""

import streamlit as st

from core.evaluation.metrics import INK_THRESHOLD
from core.evaluation.verdicts import per_digit_rank_verdicts
from figures.study import level_label, per_digit_bars
from ui.state import set_url, url_levels
from ui.widgets import evaluation, level_picker, page_guard, png_download

st.title("Error per digit")
dims = page_guard()
levels = level_picker(dims, default=url_levels("levels", dims, (39, 8)), key="digit_levels")
value = st.radio("error measure", ["raw MSE", "ink-normalised"], horizontal=True, key="digit_value")
sort = st.toggle("sort digits by error", key="digit_sort")
st.caption(
    f"Ink-normalised: an image's summed squared error per 100 ink pixels (pixels at least "
    f"{INK_THRESHOLD:.0%} bright in the original), so a digit with more strokes isn't penalised "
    "just for having more to get wrong."
)

set_url(levels=sorted(levels, reverse=True))
if not levels:
    st.info("Pick at least one compression level.")
    st.stop()

stats = {d: evaluation("ae", d).per_digit("mse" if value == "raw MSE" else "ink") for d in levels}
st.plotly_chart(
    per_digit_bars(stats, "mse" if value == "raw MSE" else "ink", sort_by_error=sort),
    width="stretch",
    key="digit_chart",
    config=png_download("error_per_digit"),
)

#: What the study reports (raw MSE): easiest digit everywhere, hardest at 95 % and at 99 %.
STUDY_CLAIMS = {39: (1, 2), 8: (1, 8)}
for d, g in sorted(stats.items(), reverse=True):
    hard, easy = int(g.digit[g.mean.argmax()]), int(g.digit[g.mean.argmin()])
    st.markdown(f"At **{level_label(d)}**: hardest digit **{hard}**, easiest **{easy}** ({value}).")
    if value == "raw MSE" and d in STUDY_CLAIMS:
        for line in per_digit_rank_verdicts(g, *STUDY_CLAIMS[d], where=f"at {level_label(d)}"):
            st.markdown(f"- {line.sentence}")

from core.evaluation.seeds import seed_spread, seeded  # noqa: E402
from figures.study import seed_spread_chart  # noqa: E402

spreads = [seed_spread(d) for d in sorted(levels, reverse=True) if isinstance(d, int) and seeded(d)]
if spreads:
    st.subheader("Over training seeds")
    st.caption(
        "The same recipe trained again with other seeds (raw MSE): one dot per seed and digit. A ranking that a "
        "second run reverses is a fact about one run, not about the digits."
    )
    st.plotly_chart(seed_spread_chart(spreads), width="stretch", key="digit_seeds", config=png_download("digit_seeds"))
    for sp in spreads:
        st.markdown(f"- {sp.sentence(level_label(sp.latent_dim))}")
