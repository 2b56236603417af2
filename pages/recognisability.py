"""Recognisability: which digits a classifier misreads after compression, and what they look like."""

import streamlit as st

from core.evaluation import recognition
from core.evaluation.recognition import (
    DIGIT_NAMES,
    SHOWN_EXAMPLES,
    SHOWN_PAIRS,
    ConfusedPair,
    confusion_verdict,
    most_confused,
)
from figures.ratedistortion import confusion_heatmap, images_side_by_side
from figures.study import level_label
from ui.measures import classifier_problem, confused_examples, confusion, original_accuracy
from ui.widgets import evaluation, level_picker, page_guard, png_download

#: The confusions the study names: "a 2 starts to look like an 8 and a 4 like a 9".
STUDY_PAIRS = ((2, 8), (4, 9))
METHODS = {"auto-encoder": "ae", "PCA (same size)": "pca"}

st.title("Recognisability")
st.caption(
    "A small CNN trained on MNIST's 60,000 training digits (`python -m core.classifier --train`) reads the "
    "10,000 test digits and their reconstructions. Where it reads a reconstruction as another digit, a person "
    "may too: this is where compression changes what a digit *says*, not just how it looks."
)
dims = page_guard()
problem = classifier_problem()
if problem:
    st.error(problem)
    st.stop()

c1, c2 = st.columns(2)
with c1:
    latent_dim = level_picker(dims, label="Level", default=(8,), key="rec_level", multi=False)
method_label = c2.radio("reconstructed by", list(METHODS), horizontal=True, key="rec_method")
method = METHODS[method_label]
where = f"at {level_label(latent_dim)}"

matrix = confusion(method, latent_dim)
clean = original_accuracy()
accuracy = matrix.trace() / matrix.sum()
m1, m2, m3 = st.columns(3)
m1.metric("read correctly, reconstructions", f"{100 * accuracy:.2f} %")
m2.metric("read correctly, original digits", f"{100 * clean:.2f} %")
m3.metric("test MSE at this level", f"{evaluation(method, latent_dim).mse:.5f}")

st.plotly_chart(
    confusion_heatmap(matrix, f"What the classifier reads in the {method_label} reconstructions {where}"),
    width="stretch",
    key="rec_confusion",
    config=png_download(f"confusion_{method}_d{latent_dim}"),
)

pairs = most_confused(matrix, SHOWN_PAIRS)
st.subheader("The most confused pairs")
study = [ConfusedPair(t, r, int(matrix[t, r]), int(matrix[t].sum())) for t, r in STUDY_PAIRS]
st.caption(
    "The study's examples (“a 2 starts to look like an 8, a 4 like a 9”), measured: "
    + "; ".join(p.sentence(where) for p in study)
    + ". Each holds where the share, with its 95 % interval, is above the share among the original digits."
)
original_matrix = recognition.confusion(recognition.ORIGINAL)  # disk-cached readings of the clean digits
for t, r in STUDY_PAIRS:
    st.markdown(f"- {confusion_verdict(matrix, original_matrix, t, r, where).sentence}")
if not pairs:
    st.markdown(f"{where.capitalize()} every reconstruction is read as its own digit.")
for pair in pairs:
    st.markdown(f"**{pair.sentence(where.capitalize())}.**")
    originals, recon = confused_examples(method, latent_dim, pair.true, pair.read_as, SHOWN_EXAMPLES)
    st.plotly_chart(
        images_side_by_side(
            originals,
            [(f"read as {DIGIT_NAMES[pair.read_as]}", recon)],
            title=f"{DIGIT_NAMES[pair.true].capitalize()}s read as {DIGIT_NAMES[pair.read_as]}s: "
            f"originals (top) and their reconstructions",
            row_height=90,
        ),
        width="stretch",
        key=f"rec_pair_{pair.true}_{pair.read_as}",
        config=png_download(f"{pair.true}s_read_as_{pair.read_as}s_{method}_d{latent_dim}"),
    )

from core.evaluation.seeds import seed_confusions, seeded  # noqa: E402

if method == "ae" and isinstance(latent_dim, int) and seeded(latent_dim):
    with st.expander("The most confused pairs under each training seed"):
        for seed, pairs in seed_confusions(latent_dim):
            shipped = " (the shipped model)" if seed == 0 else ""
            st.markdown(f"- seed {seed}{shipped}: " + "; ".join(p.sentence("").lstrip(", ") for p in pairs))
