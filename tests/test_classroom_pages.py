"""AppTest for class mode's two pages: opening a room, the teacher's key through the URL, a student joining."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.classroom import ClassroomError, join_room, open_room, send_digit
from core.paths import REPO_ROOT
from tests.test_classroom import THREE, digit_png

ROOM_PAGE = str(REPO_ROOT / "pages" / "class_room.py")
JOIN_PAGE = str(REPO_ROOT / "pages" / "class_join.py")


@pytest.fixture(autouse=True)
def classroom_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("AECL_CLASSROOM_DIR", str(tmp_path / "classroom"))


def run(page: str, **params) -> AppTest:
    at = AppTest.from_file(page, default_timeout=300)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def texts(at) -> str:
    parts = [m.value for m in at.markdown] + [e.value for e in at.error] + [w.value for w in at.warning]
    parts += [i.value for i in at.info] + [h.value for h in at.html] + [c.value for c in at.caption]
    parts += [s.value for s in at.subheader]
    return "\n".join(str(p) for p in parts)


def test_opening_a_room_puts_its_code_and_the_teachers_key_in_the_teachers_address():
    at = run(ROOM_PAGE)
    at.button[0].click().run()
    assert not at.exception
    code, key = at.query_params["room"], at.query_params["key"]
    assert len(code) == 6 and len(key) > 20
    page = texts(at)
    assert f"{code[:3]} {code[3:]}" in page and f"/join?room={code}" in page and 'data-testid="join-qr"' in page
    assert "Waiting for the first digit" in page


def test_the_projector_shows_every_digit_with_its_readings_and_the_figures():
    room = open_room()
    student = join_room(room.code)
    for text in "3717":
        send_digit(room.code, student, digit_png(text), int(text))
    at = run(ROOM_PAGE, room=room.code, key=room.token)
    page = texts(at)
    assert page.count('class="class-digit"') == 4
    assert "Which of our digits does the" in page and "least MNIST-like" in page
    assert len(at.get("plotly_chart")) == 2


@pytest.mark.parametrize("forged", ["forged-key", "x" * 500])
def test_a_forged_key_in_the_url_shows_only_the_public_view(forged):
    room = open_room()
    send_digit(room.code, join_room(room.code), THREE, 3)
    at = run(ROOM_PAGE, room=room.code, key=forged)
    page = texts(at)
    assert "public view" in page and 'class="class-digit"' not in page
    assert not at.get("plotly_chart") and "Close the room" not in [b.label for b in at.button]


def test_the_public_code_alone_shows_no_digits_and_no_controls():
    room = open_room()
    send_digit(room.code, join_room(room.code), THREE, 3)
    at = run(ROOM_PAGE, room=room.code)
    assert "public view" in texts(at) and 'class="class-digit"' not in texts(at)
    assert not [b for b in at.button if b.label in {"Hide it", "Close the room"}]


def test_a_student_joins_by_the_link_and_keeps_their_identity_in_the_address():
    room = open_room()
    at = run(JOIN_PAGE, room=room.code.lower())
    me = at.query_params["me"]
    assert me and f"Room **{room.code}**" in texts(at)
    again = run(JOIN_PAGE, room=room.code, me=me)  # a reload, or the server restarted: the same student
    assert again.query_params["me"] == me and "new student" not in texts(again)


def test_a_forged_student_in_the_url_joins_as_a_new_student_and_sees_no_ones_digits():
    room = open_room()
    send_digit(room.code, join_room(room.code), THREE, 3)
    at = run(JOIN_PAGE, room=room.code, me="someone-elses-secret")
    assert "joined as a new student" in texts(at) and at.query_params["me"] != "someone-elses-secret"
    assert "Your digits" not in [s.value for s in at.subheader]


def test_an_unknown_code_says_so_without_a_traceback():
    at = run(JOIN_PAGE, room="NOSUCH")
    assert "no room with the code NOSUCH" in texts(at)


def test_the_teacher_hides_a_digit_and_closes_the_room_from_the_sidebar():
    room = open_room()
    student = join_room(room.code)
    first = send_digit(room.code, student, THREE, 3).id
    send_digit(room.code, student, digit_png("7"), 7)
    at = run(ROOM_PAGE, room=room.code, key=room.token)
    at.number_input(key="class_digit_no").set_value(first).run()
    next(b for b in at.button if b.label == "Hide it").click().run()
    assert not at.exception and texts(at).count('class="class-digit"') == 1
    at.checkbox(key="class_close_sure").check().run()
    next(b for b in at.button if b.label == "Close the room").click().run()
    assert "This room is closed" in texts(at)
    with pytest.raises(ClassroomError, match="closed"):
        send_digit(room.code, student, THREE, 3)
