"""The study's claims, tested: every verdict at a glance, then one section per claim (picked, and kept in the URL),
each with its experiment, figure, verdict and command.

One section at a time keeps a revisit to one chart; the records come from the disk cache under a fingerprint
of the shipped models (`core.claims.catalogue.shown_record`), so a fresh server paints without loading a model.
"""

import pandas as pd
import streamlit as st

from core.claims.catalogue import (
    ADVANTAGES,
    CLAIMS,
    TITLES,
    shown_divergence,
    shown_record,
    shown_record_is_cached,
)
from core.evaluation.verdicts import CANT_TELL, DOES_NOT_HOLD, HOLDS, HOLDS_PARTLY
from figures import claims as fig
from ui.charts import png_download
from ui.progress import TimedProgress
from ui.state import set_url, url_choice

#: How each outcome is shown: Streamlit's coloured callouts, so a verdict reads at a glance.
OUTCOME_BOX = {HOLDS: st.success, HOLDS_PARTLY: st.warning, DOES_NOT_HOLD: st.error, CANT_TELL: st.info}


def record_or_message(key: str):
    """The claim's record (computed once, then read from the disk cache); None, with the reason shown, if a model
    it needs is missing."""
    try:
        with st.spinner(f"Testing “{TITLES[key]}” (the first time takes up to a minute)…"):
            return shown_record(key)
    except RuntimeError as exc:  # a missing or damaged model (CheckpointError, DataError): say which, and how to fix it
        st.error(f"This claim can't be tested here: {exc}")
        return None


def figure_for(record):
    n = record.numbers
    if record.key == "adaptability":
        return fig.adaptability_bars(n)
    if record.key == "feature_learning":
        return fig.feature_bars(n)
    if record.key == "degradation":
        return fig.operating_points(n)
    if record.key == "nonlinear":
        return fig.ae_vs_pca(n)
    if record.key == "scalability":
        return fig.timing_lines(n)
    if record.key == "easiest":
        return fig.per_digit_intervals(n["per_digit"], {k: 1 for k in n["per_digit"]}, "mean test MSE")
    if record.key == "hardest":
        levels = list(n["per_digit"])
        return fig.per_digit_intervals(n["per_digit"], dict(zip(levels, (2, 8), strict=False)), "mean test MSE")
    if record.key == "reads_as":
        return fig.reading_shares(n)
    return fig.overlap_bars(n)


def show_verdict(record) -> None:
    """The overall verdict in a coloured box, then each part's verdict with its estimate and 95 % interval."""
    OUTCOME_BOX[record.outcome](f"**Verdict: {record.outcome}.**")
    for part in record.parts:
        v = part.verdict
        side = "above" if part.holds_above else "below"
        st.markdown(
            f"- {part.name}: **{v.outcome}**. {part.measure[:1].upper()}{part.measure[1:]}: **{v.estimate:.3g}** "
            f"(95 % interval {v.low:.3g} to {v.high:.3g}; holds when the whole interval is {side} "
            f"{part.threshold:.3g})."
        )


def divergence_section() -> None:
    """What the 2-D map hides: the classifier two-sample test at each study level."""
    from core.levels import STUDY_LATENT_DIMS

    st.markdown(
        "**What the map hides.** A t-SNE map can put each reconstruction on its original. A map-independent test "
        "asks a small model to tell originals from reconstructions on digits it did not learn from: 50 % means it "
        "can't, and the further above, the more the reconstructions differ as a whole."
    )
    with st.spinner("Two-sample test at each level (the first time takes a minute)…"):
        rows = shown_divergence(sorted(STUDY_LATENT_DIMS))
    st.plotly_chart(
        fig.divergence_curve_figure(rows),
        width="stretch",
        key="claims_divergence",
        config=png_download("claims_divergence"),
    )


def show_claim(key: str) -> None:
    record = record_or_message(key)
    if record is None:
        return
    st.subheader(record.title, anchor=key)
    st.markdown(f"**The claim, in our words:** {record.claim}")
    st.markdown(f"**The experiment:** {record.experiment}")
    st.plotly_chart(figure_for(record), width="stretch", key=f"claims_{key}", config=png_download(f"claim_{key}"))
    show_verdict(record)
    card = record.numbers.get("model_card")
    if card:
        with st.expander(f"Model card: {card['name']}"):
            st.table(pd.DataFrame(card["rows"], columns=["", "value"]).set_index(""))
    if key == "scalability":
        st.markdown(f"- {record.numbers['box_claim']['sentence']}")
    for note in record.notes:
        st.caption(note)
    if key == "tsne_separation":
        divergence_section()
    st.markdown("Reproduce it:")
    st.code(record.command, language="bash")


def seeds_column(r) -> str:
    """Whether counting training seeds changed the verdict of the shipped model alone."""
    if not r.seeds:
        return "one model (seed 0)"
    n = max(len(s) for s in r.seeds["levels"].values())
    if r.seeds["changed_verdict"]:
        return f"up to {n} seeds: changed (seed 0 alone: {r.seeds['seed_0']['outcome']})"
    return f"up to {n} seeds: unchanged"


def glance() -> None:
    """Every claim's verdict and headline interval in one table (records read from disk)."""
    rows = []
    todo = [key for key in CLAIMS if not shown_record_is_cached(key)]  # not shipped: a retrained model, a new setting
    bar = TimedProgress(f"Testing {len(todo)} of the claims on this machine (once; cached after)") if todo else None
    for key in CLAIMS:
        if bar is not None and key in todo:
            bar(todo.index(key) / len(todo), f"“{TITLES[key]}”")
        try:
            r = shown_record(key)
        except RuntimeError as exc:  # a missing model: its section says which, and how to build it
            rows.append({"claim": TITLES[key], "verdict": "not tested here", "headline": str(exc)[:80], "command": ""})
            continue
        v = r.verdict
        rows.append(
            {
                "claim": r.title,
                "verdict": r.outcome,
                "headline": f"{r.parts[0].measure}: {v.estimate:.3g} ({v.low:.3g} to {v.high:.3g})",
                "training seeds": seeds_column(r),
                "command": r.command,
            }
        )
    if bar is not None:
        bar.done()
    # a static table: the whole headline and command wrap in view (a data grid would cut them off)
    st.table(pd.DataFrame(rows).set_index("claim"))


st.title("The study's claims, tested")
st.caption(
    "The study (*Image compression with Auto-Encoders*, Ready Tensor) lists five advantages of auto-encoders over "
    "traditional compression, and reads several findings off its figures. Each section below turns one into an "
    "experiment on our models. A verdict is computed, never written: a claim **holds** when the whole 95 % "
    "interval of its measure is on the claim's side of the threshold, **does not hold here** when it is wholly on "
    "the other side, and we **can't tell** when the interval straddles it; a claim of several parts **holds "
    "partly** when only some do."
)
st.header("Every claim at a glance")
glance()
picked = st.radio(
    "Claim",
    CLAIMS,
    index=CLAIMS.index(url_choice("claim", CLAIMS, CLAIMS[0])),
    format_func=lambda k: ("Advantage: " if k in ADVANTAGES else "Figure: ") + TITLES[k],
    horizontal=True,
    key="claims_pick",
)
set_url(claim=picked)
st.header("Advantages over traditional compression" if picked in ADVANTAGES else "What the study reads off its figures")
show_claim(picked)
