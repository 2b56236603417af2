"""Lesson: the study told in order, one step per screen, for a class or on your own."""

import streamlit as st

from teaching.steps import PRESENTER_SEED, STEP_KEYS, embedding_ready, lesson_step, map_hides_ready
from ui.presenter import for_audience, is_presenting
from ui.state import set_url, url_choice, url_int
from ui.widgets import lesson_step_cached, lesson_zip, page_guard, png_download

BACK, NEXT = "Back", "Next"  # the arrow keys press them: Streamlit shows ← and → beside the labels

st.title("Lesson")
page_guard()
presenting = is_presenting()

# Where we are lives in session state (the buttons move it) and in the URL (bookmarks).
if "lesson_step" not in st.session_state:
    st.session_state.lesson_step = STEP_KEYS.index(url_choice("step", STEP_KEYS, STEP_KEYS[0]))
if presenting:
    seed = PRESENTER_SEED
else:
    seed = int(
        st.sidebar.number_input(
            "lesson seed (which digits)",
            0,
            2**31 - 1,
            url_int("seed", PRESENTER_SEED, 0, 2**31 - 1),
            key="lesson_seed",
            help="Presenter mode always uses seed 0, so every rehearsal shows the same digits.",
        )
    )


def go(delta: int) -> None:
    st.session_state.lesson_step = min(max(st.session_state.lesson_step + delta, 0), len(STEP_KEYS) - 1)


i = st.session_state.lesson_step
key = STEP_KEYS[i]
set_url(step=key, seed=None if presenting else seed)

st.progress((i + 1) / len(STEP_KEYS), text=f"Step {i + 1} of {len(STEP_KEYS)}")
back, _, nxt = st.columns([1, 4, 1])
# The arrow keys press these buttons (Streamlit's own keyboard shortcuts).
back.button(BACK, on_click=go, args=(-1,), disabled=i == 0, width="stretch", key="lesson_back", shortcut="Left")
nxt.button(
    NEXT, on_click=go, args=(1,), disabled=i == len(STEP_KEYS) - 1, width="stretch", key="lesson_next", shortcut="Right"
)

if key == "embedding" and not embedding_ready():
    with st.status("Building the t-SNE map (once; cached on disk after)…", expanded=False) as status:
        bar = st.progress(0.0)
        step = lesson_step(key, seed, progress=lambda f, msg: bar.progress(min(max(f, 0.0), 1.0), text=msg))
        status.update(label="t-SNE map ready", state="complete")
elif key == "map-hides" and not map_hides_ready():
    with st.status("Teaching a classifier to tell originals from reconstructions (once; cached after)…"):
        step = lesson_step(key, seed)
else:
    step = lesson_step_cached(key, seed)

st.header(step.title)
if step.figure is not None:
    st.plotly_chart(
        for_audience(step.figure),
        width="stretch",
        key=f"lesson_chart_{key}",
        config=png_download(f"lesson_{i + 1:02d}_{key}"),
    )
st.markdown(step.text)
st.info(f"**Ask the class:** {step.question}", icon=":material/record_voice_over:")
if key == "your-digit":
    st.page_link("pages/your_digit.py", label="Open “Your digit”", icon=":material/draw:")
    st.page_link(
        "pages/class_room.py", label="Open a class room: everyone draws on their phone", icon=":material/groups:"
    )
if key == "bits":
    st.page_link("pages/compress.py", label="Open “Compress”", icon=":material/folder_zip:")

with st.sidebar:
    st.download_button(
        "Download this lesson's figures (zip)",
        data=lambda: lesson_zip(seed),
        file_name=f"autoencoder_lesson_seed{seed}.zip",
        mime="application/zip",
        icon=":material/download:",
        key="lesson_zip",
        help="Every figure of the lesson as a PNG for slides, with the text and questions; made offline.",
    )
