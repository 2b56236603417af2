"""Error vs compression: every trained checkpoint, PCA of the same size beside it, and the knee."""

import pandas as pd
import streamlit as st

from core.checkpoints.card import network_of, network_text, trained_on_an_earlier_network
from core.evaluation.evaluate import evaluate, evaluation_is_cached
from core.evaluation.knee import curve_is_cached, curve_records, knee_of_records
from core.levels import STUDY_LATENT_DIMS
from core.models.config import NARROW_CODE_MAX, ModelConfig
from figures.study import level_label
from ui.progress import TimedProgress
from ui.widgets import cached_curve_records, evaluation, page_guard, picked_models, png_download, usable_lab_models

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

if not curve_is_cached(dims):  # a retrained model: its errors aren't shipped, so compute them here, with a bar
    bar = TimedProgress("Evaluating the checkpoints on the 10,000 test digits (once; cached after)")
    curve_records(dims, progress=bar)
    bar.done()
rows = cached_curve_records(tuple(dims))
knee = knee_of_records(rows)
lab = usable_lab_models()
if lab:
    # lab models are their own markers: the curve, the knee and the figures below are the shipped models'
    lab = st.multiselect("lab models on the chart", lab, default=lab, format_func=level_label, key="curve_lab")
    picked = picked_models(lab)
    todo = [name for name in picked if not evaluation_is_cached("ae", name)]
    if todo:
        bar = TimedProgress(f"Evaluating {len(todo)} lab model{'s' if len(todo) > 1 else ''} on the 10,000 test digits")
        for i, name in enumerate(todo):
            bar(i / len(todo), level_label(name))
            evaluate("ae", name)
        bar.done()
    lab_rows = [{**evaluation("ae", name).record(), "label": level_label(name)} for name in picked]
else:
    lab_rows = []

from core.evaluation.seeds import seed_curve_rows  # noqa: E402
from figures.study import error_curve  # noqa: E402  (after the spinner so the import cost is hidden)

# each seed's errors are shipped records: read, not computed; a level whose own checkpoint isn't usable is left out
seed_rows = seed_curve_rows(sorted(set(STUDY_LATENT_DIMS) & set(dims)))
st.plotly_chart(
    error_curve(rows, knee, log_y=log_y, x_axis=x_axis, lab=lab_rows, seeds=seed_rows),
    width="stretch",
    key="curve_chart",
    config=png_download("error_vs_compression"),
)

if seed_rows:
    spread = "; ".join(
        f"{level_label(r['latent_dim'])}: {r['low']:.5f}–{r['high']:.5f} over {len(r['seeds'])} seeds"
        for r in sorted(seed_rows, key=lambda r: -r["latent_dim"])
    )
    st.caption(
        f"The curve is each size's shipped model (seed 0). Black bars: the same recipe trained again with other "
        f"seeds, from the lowest test MSE to the highest ({spread})."
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

earlier = trained_on_an_earlier_network(sorted(ae))
if earlier:
    st.caption(
        f"d = {', '.join(str(d) for d in earlier)} were trained on an earlier network than the others "
        f"({network_text(network_of(earlier[0]))}, against today's "
        f"{network_text(ModelConfig(latent_dim=earlier[0]))}); "
        "part of a step between neighbouring points can be the network. `make checkpoints` retrains all on today's."
    )

narrow = [d for d in sorted(ae) if d <= NARROW_CODE_MAX and d not in earlier]
if narrow and any(d > NARROW_CODE_MAX for d in ae):
    st.caption(
        f"Codes of {NARROW_CODE_MAX} dims or fewer (here d = {', '.join(str(d) for d in narrow)}) are trained on a "
        f"larger network ({network_text(ModelConfig(latent_dim=narrow[0]))}) than the wider codes "
        f"({network_text(ModelConfig(latent_dim=NARROW_CODE_MAX + 1))}): with so few numbers the decoder's "
        "drawing capacity sets the error. Part of the step between d = "
        f"{narrow[-1]} and the next size is that network."
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

# Recognisability: the same levels judged by a digit classifier instead of pixel error.
from figures.ratedistortion import accuracy_curve  # noqa: E402
from ui.measures import classifier_problem, recognition_records  # noqa: E402

st.subheader("Are the reconstructions still recognisable?")
problem = classifier_problem()
if problem:
    st.warning(problem)
else:
    with st.spinner("Classifying every level's reconstructions of the test digits (once; cached after)…"):
        acc_rows = recognition_records(dims)
    original = next(r["classifier_accuracy"] for r in acc_rows if r["method"] == "original")
    st.plotly_chart(
        accuracy_curve(acc_rows, original, x_axis=x_axis),
        width="stretch",
        key="curve_accuracy",
        config=png_download("classifier_accuracy_vs_compression"),
    )
    ae_acc = sorted((r for r in acc_rows if r["method"] == "ae"), key=lambda r: -r["latent_dim"])
    kept = [r for r in ae_acc if r["classifier_accuracy"] >= original - 0.01]
    st.markdown(
        f"The classifier reads **{100 * original:.2f} %** of the original test digits correctly. On the "
        f"auto-encoder's reconstructions it stays within 1 point of that down to "
        f"**{kept[-1]['latent_dim'] if kept else '—'} latent dims**, and reads "
        + ", ".join(f"{100 * r['classifier_accuracy']:.1f} % at d = {r['latent_dim']}" for r in ae_acc[-3:])
        + ". The confusions behind the losses are on the **Recognisability** page."
    )
