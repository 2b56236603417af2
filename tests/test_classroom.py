"""Class mode's rooms on a real SQLite file: permissions as attacks come, caps, expiry, concurrent writers,
and a writer killed mid-stream that loses nothing it was told was saved."""

from __future__ import annotations

import io
import multiprocessing
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from core.classroom import (
    ClassroomError,
    RoomLimits,
    class_digits,
    close_room,
    hide_digit,
    is_teacher,
    join_room,
    my_digits,
    open_room,
    room_view,
    send_digit,
    withdraw_digit,
)
from core.classroom.database import db_path
from core.classroom.rooms import MAX_FAILED_ATTEMPTS, delete_expired
from core.data.user_digit import InvalidImageError, prepare_digit
from core.paths import REPO_ROOT


def digit_png(text: str = "3", side: int = 160) -> bytes:
    img = Image.new("L", (side, side), 255)
    ImageDraw.Draw(img).text((side // 4, 0), text, fill=0, font=ImageFont.load_default(size=side * 4 // 5))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def blank_png() -> bytes:
    buf = io.BytesIO()
    Image.new("L", (120, 120), 255).save(buf, format="PNG")
    return buf.getvalue()


THREE = digit_png("3")


@pytest.fixture(autouse=True)
def classroom_dir(tmp_path, monkeypatch):
    folder = tmp_path / "classroom"
    monkeypatch.setenv("AECL_CLASSROOM_DIR", str(folder))
    return folder


def test_a_digit_sent_is_stored_prepared_like_your_digit_in_a_wal_database():
    room = open_room()
    student = join_room(room.code)
    sent = send_digit(room.code, student, THREE, 3)
    (digit,) = class_digits(room.code, room.token)
    assert digit.id == sent.id and digit.label == 3 and digit.student_number == 1
    np.testing.assert_allclose(digit.pixels, prepare_digit(THREE), atol=1 / 255)
    with sqlite3.connect(db_path()) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_code_is_read_whatever_the_case_and_spacing():
    room = open_room()
    spaced = room.code[:3].lower() + " - " + room.code[3:].lower()
    send_digit(spaced, join_room(spaced), THREE, 3)
    assert room_view(room.code).digits == 1


def test_a_picture_your_digit_refuses_is_refused_with_the_same_message():
    room = open_room()
    student = join_room(room.code)
    with pytest.raises(InvalidImageError) as expected:
        prepare_digit(blank_png())
    with pytest.raises(ClassroomError) as refused:
        send_digit(room.code, student, blank_png(), 3)
    assert str(refused.value) == str(expected.value)
    with pytest.raises(ClassroomError, match="damaged"):
        send_digit(room.code, student, THREE[:200], 3)
    assert class_digits(room.code, room.token) == []


@pytest.mark.parametrize("label", [-1, 10, 3.5, "7; DROP TABLE digits", None, True])
def test_a_label_that_is_not_a_digit_is_refused(label):
    room = open_room()
    with pytest.raises(ClassroomError, match="0 to 9"):
        send_digit(room.code, join_room(room.code), THREE, label)


def test_the_public_code_alone_reads_nothing_and_controls_nothing():
    room = open_room()
    send_digit(room.code, join_room(room.code), THREE, 3)
    for forged in ["", room.code, room.token[:-1], room.token + "x", room.token.upper()]:
        with pytest.raises(ClassroomError, match="teacher key"):
            class_digits(room.code, forged, client=forged)
        with pytest.raises(ClassroomError, match="teacher key"):
            hide_digit(room.code, forged, 1, client=forged)
        with pytest.raises(ClassroomError, match="teacher key"):
            close_room(room.code, forged, client=forged)
        assert not is_teacher(room.code, forged, client=forged)
    assert room_view(room.code).open and is_teacher(room.code, room.token)


def test_one_rooms_token_reaches_nothing_in_another_room():
    a, b = open_room(), open_room()
    digit_in_b = send_digit(b.code, join_room(b.code), THREE, 3).id
    with pytest.raises(ClassroomError, match="teacher key"):
        class_digits(b.code, a.token)
    with pytest.raises(ClassroomError, match="no digit number"):
        hide_digit(a.code, a.token, digit_in_b)  # the right key of the wrong room
    assert [d.hidden for d in class_digits(b.code, b.token)] == [False]


def test_a_student_sees_and_withdraws_only_their_own_digits():
    room = open_room()
    alice, bob = join_room(room.code), join_room(room.code)
    mine = send_digit(room.code, alice, THREE, 3).id
    theirs = send_digit(room.code, bob, digit_png("7"), 7).id
    assert [d.id for d in my_digits(room.code, alice)] == [mine]
    with pytest.raises(ClassroomError, match="only take back a digit you sent"):
        withdraw_digit(room.code, alice, theirs)
    with pytest.raises(ClassroomError, match="not in this room"):
        my_digits(room.code, "forged-student")
    other_room = open_room()
    with pytest.raises(ClassroomError, match="not in this room"):
        my_digits(other_room.code, alice)  # a student of one room is nobody in another
    withdraw_digit(room.code, alice, mine)
    assert [d.id for d in class_digits(room.code, room.token)] == [theirs]


def test_the_teacher_hides_a_digit_and_puts_it_back():
    room = open_room()
    sent = send_digit(room.code, join_room(room.code), THREE, 3).id
    hide_digit(room.code, room.token, sent)
    assert class_digits(room.code, room.token) == []
    assert [d.hidden for d in class_digits(room.code, room.token, include_hidden=True)] == [True]
    hide_digit(room.code, room.token, sent, hidden=False)
    assert len(class_digits(room.code, room.token)) == 1


def test_a_closed_room_takes_no_one_and_nothing_but_keeps_what_was_sent():
    room = open_room()
    student = join_room(room.code)
    send_digit(room.code, student, THREE, 3)
    close_room(room.code, room.token)
    with pytest.raises(ClassroomError, match="closed"):
        send_digit(room.code, student, THREE, 3)
    with pytest.raises(ClassroomError, match="closed"):
        join_room(room.code)
    assert len(class_digits(room.code, room.token)) == 1 and not room_view(room.code).open


def test_each_cap_stops_a_student_with_a_message_saying_which():
    room = open_room(RoomLimits(max_students=2, max_digits=3, max_digits_per_student=2, max_bytes=10 * len(THREE)))
    a, b = join_room(room.code), join_room(room.code)
    with pytest.raises(ClassroomError, match="full: it takes 2 students"):
        join_room(room.code)
    send_digit(room.code, a, THREE, 3)
    send_digit(room.code, a, THREE, 3)
    with pytest.raises(ClassroomError, match="sent 2 digits, as many as one student may"):
        send_digit(room.code, a, THREE, 3)
    send_digit(room.code, b, THREE, 3)
    with pytest.raises(ClassroomError, match="class has sent 3 digits"):
        send_digit(room.code, b, THREE, 3)
    small = open_room(RoomLimits(max_bytes=len(THREE) + 10))
    s = join_room(small.code)
    send_digit(small.code, s, THREE, 3)
    with pytest.raises(ClassroomError, match="megabytes of pictures"):
        send_digit(small.code, s, THREE, 3)


def test_guessing_codes_locks_out_that_client_only_in_every_process():
    room = open_room()
    for i in range(MAX_FAILED_ATTEMPTS):
        with pytest.raises(ClassroomError, match="no room with the code"):
            join_room(f"ZZZZ{i:02d}", client="10.0.0.66")
    with pytest.raises(ClassroomError, match="Too many wrong room codes"):
        join_room(room.code, client="10.0.0.66")  # even the right code, until the window passes
    with pytest.raises(ClassroomError, match="Too many wrong room codes"):
        class_digits(room.code, room.token, client="10.0.0.66")
    join_room(room.code, client="10.0.0.7")  # a classmate is not slowed
    # the count lives in the database, so a second server process refuses the guesser too
    probe = "from core.classroom import join_room, ClassroomError\ntry:\n    join_room(%r, client='10.0.0.66')\n"
    probe += "except ClassroomError as e:\n    print(e)\n"
    out = subprocess.run([sys.executable, "-c", probe % room.code], cwd=REPO_ROOT, capture_output=True, text=True)
    assert "Too many wrong room codes" in out.stdout, out.stderr


def test_forged_teacher_keys_count_as_guesses():
    room = open_room()
    for _ in range(MAX_FAILED_ATTEMPTS):
        assert not is_teacher(room.code, "forged", client="phone")
    with pytest.raises(ClassroomError, match="Too many"):
        class_digits(room.code, room.token, client="phone")


def test_an_expired_room_and_its_digits_are_deleted():
    room = open_room(RoomLimits(hours=1))
    send_digit(room.code, join_room(room.code), THREE, 3)
    assert delete_expired(now=time.time() + 1800) == 0
    assert delete_expired(now=time.time() + 3601) == 1
    with pytest.raises(ClassroomError, match="no room"):
        room_view(room.code)
    with sqlite3.connect(db_path()) as db:
        assert db.execute("SELECT COUNT(*) FROM digits").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM students").fetchone()[0] == 0


def test_a_hundred_students_sending_at_once_lose_nothing():
    room = open_room(RoomLimits(max_students=100))
    students = [join_room(room.code) for _ in range(100)]
    with ThreadPoolExecutor(100) as pool:
        ids = list(pool.map(lambda s: send_digit(room.code, s, THREE, 3).id, students))
    stored = class_digits(room.code, room.token)
    assert sorted(ids) == [d.id for d in stored] and len(set(ids)) == 100
    assert sorted(d.student_number for d in stored) == list(range(1, 101))


def _send_many(code: str, count: int, queue) -> None:
    from core.classroom import ClassroomError, join_room, send_digit

    student = join_room(code)
    for _ in range(count):
        try:
            queue.put(("ok", send_digit(code, student, THREE, 3).id))
        except ClassroomError as exc:
            queue.put(("refused", str(exc)))


def test_a_cap_holds_against_writers_in_several_processes():
    room = open_room(RoomLimits(max_digits=30))
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    workers = [ctx.Process(target=_send_many, args=(room.code, 10, queue)) for _ in range(4)]
    for w in workers:
        w.start()
    results = [queue.get(timeout=120) for _ in range(40)]
    for w in workers:
        w.join(30)
    assert sum(r[0] == "ok" for r in results) == 30
    assert all("class has sent 30 digits" in r[1] for r in results if r[0] == "refused")
    assert len(class_digits(room.code, room.token)) == 30


WRITER = """
import sys
from core.classroom import join_room, send_digit
from tests.test_classroom import THREE
code = sys.argv[1]
student = join_room(code)
while True:
    sent = send_digit(code, student, THREE, 3)
    print(sent.id, flush=True)  # acknowledged: committed before send_digit returned
"""


def test_a_server_killed_mid_write_loses_no_acknowledged_digit_and_the_room_goes_on(classroom_dir):
    room = open_room(RoomLimits(max_digits_per_student=10_000, max_digits=10_000))
    proc = subprocess.Popen([sys.executable, "-c", WRITER, room.code], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    acknowledged = []
    try:
        while len(acknowledged) < 25:
            line = proc.stdout.readline()
            assert line, "the writer stopped before it was killed"
            acknowledged.append(int(line))
    finally:
        proc.send_signal(signal.SIGKILL)  # mid-stream: it is preparing or committing the next digit
        proc.wait(10)
    acknowledged += [int(line) for line in proc.stdout.read().split()]  # printed before the kill landed
    stored = {d.id for d in class_digits(room.code, room.token)}
    assert set(acknowledged) <= stored
    with sqlite3.connect(db_path()) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    send_digit(room.code, join_room(room.code), THREE, 3)  # the room goes on
    assert len(class_digits(room.code, room.token)) == len(stored) + 1
