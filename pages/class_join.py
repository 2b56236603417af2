"""Join a class: a student's phone opens the room's link, draws a digit, says which it is, and sends it."""

import streamlit as st

from core.classroom import ClassroomError, join_room, my_digits, room_view, send_digit, withdraw_digit
from ui.classroom import client_id, room_from_url, url_secret
from ui.images import image_row
from ui.state import set_url

UPLOAD_TYPES = ["png", "jpg", "jpeg", "bmp", "gif", "webp"]
# Phones are narrow: the pad fits a 390-pixel screen with the page's margins.
PAD_PX = 300

st.title("Join the class")
client = client_id()

code = room_from_url()
if code is None:
    typed = st.text_input("The room's code, from the projector", max_chars=12, key="typed_code")
    if st.button("Join", type="primary") and typed.strip():
        set_url(room="".join(typed.split()).upper())
        st.rerun()
    st.stop()

try:
    room = room_view(code, client=client)
except ClassroomError as exc:
    st.error(str(exc))
    set_url(room=None, me=None)
    if st.button("Type another code"):
        st.rerun()
    st.stop()

# Who this student is: their secret, kept in the address bar so a reload (or a server restart) keeps it.
student = url_secret("me")
kept = st.session_state.get("class_student")
if student is None and kept and kept[0] == code:  # the address lost it (edited by hand): this tab still knows
    student = kept[1]
    set_url(me=student)
if student is not None and st.session_state.get("class_student") != (code, student):
    try:
        my_digits(code, student, client=client)  # is it one of this room's students?
        st.session_state.class_student = (code, student)
    except ClassroomError as exc:
        st.warning(f"{exc} You have joined as a new student.")
        student = None
if student is None:
    try:
        student = join_room(code, client=client)
    except ClassroomError as exc:
        st.error(str(exc))
        st.stop()
    st.session_state.class_student = (code, student)
    set_url(room=code, me=student)
    room = room_view(code, client=client)  # counts this student

students = f"{room.students} student" + ("" if room.students == 1 else "s")
st.caption(f"Room **{code}** · {students} · {room.digits} digits sent so far")
if not room.open:
    st.warning("The teacher has closed this room: it takes no more digits.")

flash = st.session_state.pop("class_flash", None)
if flash:
    st.success(flash)

# A new key per sent digit gives a clean pad (and an empty uploader) for the next one.
round_no = st.session_state.setdefault("class_round", 0)


def drawing_pad(key: str):
    from streamlit_drawable_canvas import st_canvas  # only importable inside a running Streamlit script

    return st_canvas(
        stroke_width=24,
        stroke_color="#000000",
        background_color="#ffffff",
        height=PAD_PX,
        width=PAD_PX,
        drawing_mode="freedraw",
        return_image_data=True,
        key=key,
    )


pad = drawing_pad(f"class_pad_{round_no}")
with st.expander("…or upload a photo of a digit on paper"):
    upload = st.file_uploader("PNG, JPEG, BMP, GIF or WebP", type=UPLOAD_TYPES, key=f"class_upload_{round_no}")
label = st.pills("Which digit is it?", list(range(10)), key=f"class_label_{round_no}")


def drawn_png() -> bytes | None:
    """The pad as a PNG, or None while nothing is drawn on it."""
    if pad is None or not (pad.json_data or {}).get("objects"):
        return None
    return pad.image_bytes


if st.button("Send my digit", type="primary", width="stretch", disabled=not room.open):
    picture = upload.getvalue() if upload is not None else drawn_png()
    if picture is None:
        st.warning("Draw a digit on the white square first (or upload a photo of one).")
    elif label is None:
        st.warning("Tap which digit you drew (0 to 9), then send.")
    else:
        try:
            sent = send_digit(code, student, picture, label, client=client)
        except ClassroomError as exc:
            st.error(str(exc))
        else:
            st.session_state.class_flash = f"Sent your {label}. Look at the projector! " + " ".join(sent.notes)
            st.session_state.class_round = round_no + 1
            st.rerun()

mine = my_digits(code, student, client=client)
if mine:
    st.subheader(f"Your digits ({len(mine)})")
    st.caption("As the models see them: prepared like MNIST's, white on black, 28×28.")
    for digit in reversed(mine):
        left, right = st.columns([3, 2], vertical_alignment="center")
        with left:
            note = " · hidden by the teacher" if digit.hidden else ""
            image_row([(digit.pixels, f"meant {digit.label}{note}")], 72)
        with right:
            if st.button("Take back", key=f"withdraw_{digit.id}"):
                try:
                    withdraw_digit(code, student, digit.id, client=client)
                except ClassroomError as exc:
                    st.error(str(exc))
                else:
                    st.rerun()
