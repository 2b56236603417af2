"""Class room: the teacher opens a room; the projector shows the class's digits arriving and meeting the models."""

import time
from html import escape

import numpy as np
import streamlit as st

from core.checkpoints.loaded import model_meta
from core.classroom import ClassroomError, class_digits, close_room, hide_digit, is_teacher, open_room, room_view
from core.classroom.projector import (
    MOST_COMPRESSED,
    class_error_by_digit,
    class_reports,
    export_zip,
    least_mnist_like,
    misread_at,
    mnist_error_by_digit,
)
from core.explore.embedding import Placer
from core.levels import STUDY_LATENT_DIMS
from figures.classroom import class_on_map, class_vs_mnist_bars
from figures.study import level_label
from ui.classroom import ROOM_PATH, client_id, room_from_url, show_join_card, url_secret
from ui.images import image_row, png_data_uri
from ui.presenter import for_audience, is_presenting
from ui.state import set_url

REFRESH_S = 2  # the live view's fragment reruns this often; the rest of the page stays still
GALLERY_MAX = 60  # the newest digits on screen; all of them count in the figures

st.title("Class room")
client = client_id()
presenting = is_presenting()
code = room_from_url()
key = url_secret("key")

teacher = st.session_state.get("class_teacher")  # (code, token) of the room this browser opened
if code and key and (teacher is None or teacher != (code, key)):
    if is_teacher(code, key, client=client):
        teacher = st.session_state.class_teacher = (code, key)
    else:
        st.error("That key does not open this room's controls, so only its public view is shown.")
        set_url(key=None)

if code is None:
    st.markdown(
        "Open a room and every student can send a digit drawn on their phone: they scan the code, draw, say "
        "which digit it is, and it appears here, at each of the study's four levels, with what the classifier reads."
    )
    if st.button("Open a room for my class", type="primary"):
        opened = open_room()
        st.session_state.class_teacher = (opened.code, opened.token)
        set_url(room=opened.code, key=opened.token)
        st.rerun()
    st.stop()

try:
    room = room_view(code, client=client)
except ClassroomError as exc:
    st.error(str(exc))
    set_url(room=None, key=None)
    st.stop()

show_join_card(code, big=presenting)
if teacher is None or teacher[0] != code:
    st.info(
        f"This is room {code}'s public view. The class's digits and the room's controls open only with the "
        "teacher's link (the one the teacher's browser got when it opened the room)."
    )
    st.stop()
token = teacher[1]
if not room.open:
    st.warning("This room is closed: students can no longer send digits. What they sent stays until it expires.")

# --- The teacher's controls live in the sidebar: off the projector, beside the page list -----------------------
with st.sidebar:
    st.subheader(f"Room {code}")
    st.caption(
        f"Closes itself at {time.strftime('%H:%M', time.localtime(room.expires_at))}; its digits are then deleted."
    )
    with st.expander("Teacher's link (keep it private)"):
        st.caption("It reopens these controls on any browser, after a reload or a server restart.")
        st.code(f"/{ROOM_PATH}?room={code}&key={token}", language=None)
    number = st.number_input("Digit number (on its card)", min_value=1, step=1, value=None, key="class_digit_no")
    hide_col, show_col = st.columns(2)
    for column, hidden, label in ((hide_col, True, "Hide it"), (show_col, False, "Show again")):
        if column.button(label, key=f"class_hide_{hidden}", disabled=number is None, width="stretch"):
            try:
                hide_digit(code, token, int(number), hidden=hidden, client=client)
                st.toast(f"Digit {int(number)} {'hidden' if hidden else 'shown again'}.")
            except ClassroomError as exc:
                st.error(str(exc))

    def zipped() -> bytes:
        everything = class_digits(code, token, include_hidden=True, client=client)
        return export_zip(everything, class_reports(everything))

    st.download_button(
        "Download the class's digits (PNGs + CSV)",
        data=zipped,
        file_name=f"class_{code}_digits.zip",
        mime="application/zip",
        on_click="ignore",
        width="stretch",
    )
    if room.open:
        sure = st.checkbox("Yes, stop taking digits", key="class_close_sure")
        if st.button("Close the room", disabled=not sure, width="stretch"):
            close_room(code, token, client=client)
            st.rerun()

level = (
    st.segmented_control(
        "Level for the figures",
        sorted(STUDY_LATENT_DIMS, reverse=True),
        default=MOST_COMPRESSED,
        format_func=level_label,
        key="class_level",
    )
    or MOST_COMPRESSED
)
method = st.segmented_control("Map", ["PCA", "t-SNE"], default="PCA", key="class_map") or "PCA"


@st.cache_resource(show_spinner=False, max_entries=4)
def cached_placer(latent_dim: int, weights_sha256: str, method: str) -> Placer:
    return Placer(latent_dim, method)


def placed(digits, latent_dim: int, method: str) -> np.ndarray:
    """Each class digit's place on the map, computed once per digit (t-SNE placement costs time)."""
    placer = cached_placer(latent_dim, model_meta(latent_dim)["weights_sha256"], method)
    memo = st.session_state.setdefault("class_places", {})
    new = [d for d in digits if (method, latent_dim, d.id) not in memo]
    if new:
        for d, xy in zip(new, placer.place(np.stack([d.pixels for d in new])), strict=True):
            memo[(method, latent_dim, d.id)] = xy
    return np.array([memo[(method, latent_dim, d.id)] for d in digits]).reshape(-1, 2)


def digit_card(digit, report) -> str:
    """One digit as the models see it: the original and each level, with the classifier's reading under each."""
    cells = []
    readings = report.level_readings or [None] * len(report.levels)
    first = report.original_reading
    items = [(digit.pixels, "sent", first)] + [
        (r.reconstruction, f"{100 * (1 - r.latent_dim / 784):.0f}%", reading)
        for r, reading in zip(report.levels, readings, strict=True)
    ]
    for image, caption, reading in items:
        wrong = reading is not None and reading[0] != digit.label
        read = "" if reading is None else f"→ {reading[0]}{' ⚠' if wrong else ''}"
        colour = "#d62728" if wrong else "#333"
        cells.append(
            f'<figure style="margin:0;text-align:center"><img src="{png_data_uri(image)}" alt="{escape(caption)}" '
            f'style="width:44px;height:44px;image-rendering:pixelated;background:#000">'
            f'<figcaption style="font-size:0.62rem;color:{colour};line-height:1.1">{caption}<br>{read}</figcaption>'
            f"</figure>"
        )
    return (
        f'<div class="class-digit" style="border:1px solid #ddd;border-radius:8px;padding:4px 6px">'
        f'<div style="font-size:0.75rem;color:#555">#{digit.id} · meant <b>{digit.label}</b></div>'
        f'<div style="display:flex;gap:3px">{"".join(cells)}</div></div>'
    )


@st.fragment(run_every=REFRESH_S)
def live_room(code: str, token: str, level: int, method: str) -> None:
    """Reruns alone every REFRESH_S seconds: new digits appear without touching the rest of the page."""
    try:
        digits = class_digits(code, token, client=client)
        view = room_view(code, client=client)
    except ClassroomError as exc:
        st.error(str(exc))
        return
    reports = class_reports(digits)
    wrong = misread_at(digits, reports)
    counts = st.columns(4)
    counts[0].metric("students", view.students)
    counts[1].metric("digits on screen", len(digits))
    counts[2].metric("hidden", view.digits - len(digits))
    counts[3].metric(f"misread at {level_label(MOST_COMPRESSED)}", len(wrong))
    if not digits:
        st.info("Waiting for the first digit… Scan the code, draw, tap which digit it is, and send.")
        return

    st.subheader("Our digits at the study's four levels")
    st.caption("Under each picture, what the classifier reads; ⚠ where it reads another digit than the one meant.")
    shown = list(zip(digits, reports, strict=True))[-GALLERY_MAX:][::-1]
    kept = st.session_state.setdefault("class_cards", {})  # a digit's card never changes: drawn once
    for d, r in shown:
        if d.id not in kept:
            kept[d.id] = digit_card(d, r)
    cards = "".join(kept[d.id] for d, _ in shown)
    grid = "display:grid;gap:8px;grid-template-columns:repeat(auto-fill,minmax(250px,1fr))"
    st.html(f'<div data-testid="class-gallery" style="{grid}">{cards}</div>')
    if len(digits) > GALLERY_MAX:
        st.caption(f"The newest {GALLERY_MAX} of {len(digits)}; every digit counts in the figures below.")

    st.subheader(f"Which of our digits does the {level_label(MOST_COMPRESSED)} model get wrong?")
    if wrong:
        report_of = {d.id: r for d, r in zip(digits, reports, strict=True)}
        pairs = []
        for d, read_as in wrong[:16]:
            pairs.append((d.pixels, f"#{d.id}: meant {d.label}"))
            pairs.append((report_of[d.id].at(MOST_COMPRESSED).reconstruction, f"reads as {read_as}"))
        image_row(pairs, size_px=84)
    else:
        st.markdown(
            f"None: the classifier reads every reconstruction at {level_label(MOST_COMPRESSED)} as the digit meant."
        )

    odd = least_mnist_like(digits, reports)
    if odd is not None:
        digit, report = odd
        st.subheader("Our least MNIST-like digit")
        left, right = st.columns([1, 3])
        with left:
            image_row([(digit.pixels, f"#{digit.id}: meant {digit.label}")], size_px=140)
        with right:
            st.markdown(
                f"On average the models reconstruct it worse than **{report.oddness:.0f}%** of MNIST's 10,000 test "
                "digits"
                + (", unusual at most levels: a shape MNIST never taught them." if report.unlike_mnist else ".")
            )

    st.plotly_chart(
        for_audience(
            class_vs_mnist_bars(class_error_by_digit(digits, reports, level), mnist_error_by_digit(level), level)
        ),
        width="stretch",
        key="class_error_chart",
    )
    placer = cached_placer(level, model_meta(level)["weights_sha256"], method)
    emb = placer.embedding
    mnist = emb.source == 0
    st.plotly_chart(
        for_audience(
            class_on_map(
                emb.xy[mnist],
                emb.labels[mnist],
                placed(digits, level, method),
                [d.label for d in digits],
                f"Our digits (★) among MNIST's test digits on the {method} map at {level_label(level)}",
            )
        ),
        width="stretch",
        key="class_map_chart",
    )


with st.spinner(f"Preparing the {method} map at {level_label(level)} (once per server)…"):
    cached_placer(level, model_meta(level)["weights_sha256"], method)
live_room(code, token, level, method)
