"""Rooms, students and their digits: who may do what, checked inside each write's transaction.

The public code lets a student join and send; only the teacher's token (its SHA-256 is stored,
compared with `hmac.compare_digest`) reads the class's digits, hides them or closes the room. A
student is a secret the page keeps for them (also hashed), so a student withdraws only their own
digits. Wrong codes and forged tokens are counted per client in the database, so every server
process slows the same guesser: after `MAX_FAILED_ATTEMPTS` in `ATTEMPT_WINDOW_S` that client is
refused until the window passes. Rooms expire (default a school day) and are then deleted.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass, field

import numpy as np

from core.classroom.database import reading, transaction
from core.data.user_digit import MAX_BYTES, InvalidImageError, prepare_digit_steps
from core.levels import IMAGE_SIDE

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read off a projector, typed on a phone
CODE_LENGTH = 6
DEFAULT_HOURS = 8.0  # a school day
MAX_FAILED_ATTEMPTS = 20
ATTEMPT_WINDOW_S = 600.0


class ClassroomError(Exception):
    """Something a teacher or student asked for that can't be done; the message says why, for them."""


@dataclass(frozen=True)
class RoomLimits:
    """Caps on one room; a student who reaches one is told which."""

    max_students: int = 60
    max_digits: int = 1_000
    max_digits_per_student: int = 20
    max_bytes: int = 200 * 2**20  # pictures received (uploads can be photos); only 784 bytes a digit are kept
    hours: float = DEFAULT_HOURS


@dataclass(frozen=True)
class OpenedRoom:
    code: str  # public: shown on the projector
    token: str  # the teacher's secret: whoever holds it controls the room
    expires_at: float


@dataclass(frozen=True)
class ClassDigit:
    id: int
    student_number: int  # 1, 2, ... in the order the students joined (never their secret)
    label: int  # the digit the student meant
    pixels: np.ndarray = field(repr=False)  # (28, 28) float32 in [0, 1], prepared like MNIST
    sent_at: float
    hidden: bool


@dataclass(frozen=True)
class RoomView:
    """What anyone with the code may know about a room."""

    code: str
    open: bool
    students: int
    digits: int
    expires_at: float
    limits: RoomLimits


@dataclass(frozen=True)
class SentDigit:
    id: int
    pixels: np.ndarray
    notes: tuple[str, ...]  # what preparation did that the student should know (e.g. several digits seen)


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def normalise_code(code: str) -> str:
    """The code as typed on a phone: case, spaces and dashes don't matter."""
    return "".join(ch for ch in str(code).upper() if ch not in " -")[:32]


def limits_from_env() -> RoomLimits:
    """Caps a deployment can set (AECL_CLASSROOM_MAX_STUDENTS, _MAX_DIGITS, _MAX_DIGITS_PER_STUDENT, _HOURS)."""
    base = RoomLimits()

    def number(name: str, default, kind):
        raw = os.environ.get(f"AECL_CLASSROOM_{name}")
        try:
            value = kind(raw) if raw else default
        except ValueError:
            return default
        return value if value > 0 else default

    return RoomLimits(
        max_students=number("MAX_STUDENTS", base.max_students, int),
        max_digits=number("MAX_DIGITS", base.max_digits, int),
        max_digits_per_student=number("MAX_DIGITS_PER_STUDENT", base.max_digits_per_student, int),
        max_bytes=number("MAX_BYTES", base.max_bytes, int),
        hours=number("HOURS", base.hours, float),
    )


def delete_expired(now: float | None = None) -> int:
    """Remove rooms past their time with everything in them; returns how many went."""
    now = time.time() if now is None else now
    with transaction() as db:
        gone = db.execute("DELETE FROM rooms WHERE expires_at <= ?", (now,)).rowcount
        db.execute("DELETE FROM failed_attempts WHERE at <= ?", (now - ATTEMPT_WINDOW_S,))
    return gone


def open_room(limits: RoomLimits | None = None) -> OpenedRoom:
    """A new room: its public code and the teacher's token (shown once; only its hash is kept)."""
    limits = limits or limits_from_env()
    delete_expired()
    token = secrets.token_urlsafe(24)
    now = time.time()
    expires = now + limits.hours * 3600
    with transaction() as db:
        while True:
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            if db.execute("SELECT 1 FROM rooms WHERE code = ?", (code,)).fetchone() is None:
                break
        db.execute(
            "INSERT INTO rooms (code, token_sha256, opened_at, expires_at, max_students, max_digits, "
            "max_digits_per_student, max_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                code,
                _sha256(token),
                now,
                expires,
                limits.max_students,
                limits.max_digits,
                limits.max_digits_per_student,
                limits.max_bytes,
            ),
        )
    return OpenedRoom(code, token, expires)


def _refuse_if_guessing(db, client: str, now: float) -> None:
    failures = db.execute(
        "SELECT COUNT(*), MIN(at) FROM failed_attempts WHERE client = ? AND at > ?", (client, now - ATTEMPT_WINDOW_S)
    ).fetchone()
    if failures[0] >= MAX_FAILED_ATTEMPTS:
        wait = max(1, round((failures[1] + ATTEMPT_WINDOW_S - now) / 60))
        raise ClassroomError(f"Too many wrong room codes or keys from here. Try again in {wait} minute(s).")


class _Guess(ClassroomError):
    """A wrong code, key or student secret: counted against the client once its transaction has ended."""


def _counting_guesses(func):
    """Record each `_Guess` in its own transaction (the caller's may still hold the write lock inside)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except _Guess as exc:
            with transaction() as db:
                db.execute(
                    "INSERT INTO failed_attempts (client, at) VALUES (?, ?)", (kwargs.get("client", ""), time.time())
                )
            raise ClassroomError(str(exc)) from None

    return wrapper


def _room(db, code: str, client: str, now: float):
    """The room's row, or ClassroomError (counted as a guess) if there is no open room of that code."""
    _refuse_if_guessing(db, client, now)
    row = db.execute(
        "SELECT code, token_sha256, expires_at, closed, max_students, max_digits, max_digits_per_student, "
        "max_bytes, bytes_received FROM rooms WHERE code = ? AND expires_at > ?",
        (normalise_code(code), now),
    ).fetchone()
    if row is None:
        raise _Guess(
            f"There is no room with the code {normalise_code(code) or '(empty)'}. Check the code on the projector.",
        )
    return row


def _teacher_room(db, code: str, token: str, client: str, now: float):
    row = _room(db, code, client, now)
    if not hmac.compare_digest(_sha256(str(token)), row[1]):
        raise _Guess("That is not this room's teacher key, so the room's controls stay locked.")
    return row


def _student_number(db, code: str, student: str) -> int | None:
    row = db.execute(
        "SELECT number FROM students WHERE room = ? AND secret_sha256 = ?", (code, _sha256(str(student)))
    ).fetchone()
    return None if row is None else row[0]


@_counting_guesses
def join_room(code: str, *, client: str = "") -> str:
    """A new student in the room; returns their secret (the page keeps it; it is their only identity)."""
    now = time.time()
    student = secrets.token_urlsafe(18)
    with transaction() as db:
        row = _room(db, code, client, now)
        if row[3]:
            raise ClassroomError("This room is closed: the teacher has stopped taking digits.")
        count, top = db.execute(
            "SELECT COUNT(*), COALESCE(MAX(number), 0) FROM students WHERE room = ?", (row[0],)
        ).fetchone()
        if count >= row[4]:
            raise ClassroomError(f"This room is full: it takes {row[4]} students. Ask your teacher.")
        db.execute(
            "INSERT INTO students (room, secret_sha256, number, joined_at) VALUES (?, ?, ?, ?)",
            (row[0], _sha256(student), top + 1, now),
        )
    return student


def _check_label(label) -> int:
    try:
        value = int(label)
    except (TypeError, ValueError):
        value = -1
    if isinstance(label, bool) or not 0 <= value <= 9 or str(label).strip() not in {str(value), f"{value}.0"}:
        raise ClassroomError("Say which digit you meant to draw: a whole number from 0 to 9.")
    return value


@_counting_guesses
def send_digit(code: str, student: str, image_bytes: bytes, label: int, *, client: str = "") -> SentDigit:
    """A student's picture, prepared like *Your digit* (same refusals), stored under their name.

    Returns once the digit is committed: a server killed after this returns has not lost it.
    """
    value = _check_label(label)
    data = bytes(image_bytes) if isinstance(image_bytes, (bytes, bytearray, memoryview)) else None
    if data is None:
        raise ClassroomError("Send a picture of your digit (PNG, JPEG, BMP, GIF or WebP).")
    if len(data) > MAX_BYTES:
        raise ClassroomError(f"That picture is {len(data) / 1e6:.1f} MB; pictures up to {MAX_BYTES // 2**20} MB work.")
    now = time.time()
    with reading() as db:  # who and where before the (slower) preparation, so a stranger costs no CPU
        row = _room(db, code, client, now)
        if _student_number(db, row[0], student) is None:
            raise _Guess("You are not in this room on this page: open the join link again.")
    try:
        steps = prepare_digit_steps(data)
    except InvalidImageError as exc:
        raise ClassroomError(str(exc)) from exc
    pixels = np.clip(np.rint(steps.centred * 255), 0, 255).astype(np.uint8)
    with transaction() as db:
        row = _room(db, code, client, now)
        room, closed, max_digits, per_student, max_bytes, received = row[0], row[3], row[5], row[6], row[7], row[8]
        number = _student_number(db, room, student)
        if number is None:
            raise ClassroomError("You are not in this room on this page: open the join link again.")
        if closed:
            raise ClassroomError("This room is closed: the teacher has stopped taking digits.")
        total = db.execute("SELECT COUNT(*) FROM digits WHERE room = ?", (room,)).fetchone()[0]
        if total >= max_digits:
            raise ClassroomError(f"The class has sent {max_digits} digits, as many as this room takes.")
        mine = db.execute(
            "SELECT COUNT(*) FROM digits WHERE room = ? AND student_number = ?", (room, number)
        ).fetchone()[0]
        if mine >= per_student:
            raise ClassroomError(
                f"You have sent {per_student} digits, as many as one student may. Take one back to send another."
            )
        if received + len(data) > max_bytes:
            raise ClassroomError(
                "This room has received as many megabytes of pictures as it takes; draw instead of uploading."
            )
        digit_id = db.execute(
            "INSERT INTO digits (room, student_number, label, pixels, sent_at) VALUES (?, ?, ?, ?, ?)",
            (room, number, value, pixels.tobytes(), time.time()),
        ).lastrowid
        db.execute("UPDATE rooms SET bytes_received = bytes_received + ? WHERE code = ?", (len(data), room))
    return SentDigit(int(digit_id), pixels.astype(np.float32) / 255, steps.notes)


def _digits(rows) -> list[ClassDigit]:
    return [
        ClassDigit(
            id=r[0],
            student_number=r[1],
            label=r[2],
            pixels=np.frombuffer(r[3], np.uint8).reshape(IMAGE_SIDE, IMAGE_SIDE).astype(np.float32) / 255,
            sent_at=r[4],
            hidden=bool(r[5]),
        )
        for r in rows
    ]


DIGIT_COLUMNS = "id, student_number, label, pixels, sent_at, hidden"


@_counting_guesses
def class_digits(code: str, token: str, *, include_hidden: bool = False, client: str = "") -> list[ClassDigit]:
    """Every digit of the room, oldest first (the teacher's token only); hidden ones only if asked."""
    now = time.time()
    with reading() as db:
        row = _teacher_room(db, code, token, client, now)
        shown = "" if include_hidden else "AND hidden = 0"
        rows = db.execute(
            f"SELECT {DIGIT_COLUMNS} FROM digits WHERE room = ? {shown} ORDER BY id", (row[0],)
        ).fetchall()
    return _digits(rows)


@_counting_guesses
def my_digits(code: str, student: str, *, client: str = "") -> list[ClassDigit]:
    """The digits this student sent (and has not taken back), oldest first."""
    now = time.time()
    with reading() as db:
        row = _room(db, code, client, now)
        number = _student_number(db, row[0], student)
        if number is None:
            raise _Guess("You are not in this room on this page: open the join link again.")
        rows = db.execute(
            f"SELECT {DIGIT_COLUMNS} FROM digits WHERE room = ? AND student_number = ? ORDER BY id", (row[0], number)
        ).fetchall()
    return _digits(rows)


@_counting_guesses
def withdraw_digit(code: str, student: str, digit_id: int, *, client: str = "") -> None:
    """Delete one of the student's own digits; another's (or none) is refused alike, so ids reveal nothing."""
    now = time.time()
    with transaction() as db:
        row = _room(db, code, client, now)
        number = _student_number(db, row[0], student)
        gone = 0
        if number is not None:
            gone = db.execute(
                "DELETE FROM digits WHERE room = ? AND student_number = ? AND id = ?", (row[0], number, int(digit_id))
            ).rowcount
    if not gone:
        raise _Guess("You can only take back a digit you sent yourself, from this page.")


@_counting_guesses
def hide_digit(code: str, token: str, digit_id: int, hidden: bool = True, *, client: str = "") -> None:
    """Take a digit off the projector (or put it back); the teacher's token only."""
    now = time.time()
    with transaction() as db:
        row = _teacher_room(db, code, token, client, now)
        changed = db.execute(
            "UPDATE digits SET hidden = ? WHERE room = ? AND id = ?", (int(bool(hidden)), row[0], int(digit_id))
        ).rowcount
    if not changed:
        raise ClassroomError(f"This room has no digit number {digit_id}.")


@_counting_guesses
def close_room(code: str, token: str, *, client: str = "") -> None:
    """Stop taking students and digits; what was sent stays for the teacher until the room expires."""
    now = time.time()
    with transaction() as db:
        row = _teacher_room(db, code, token, client, now)
        db.execute("UPDATE rooms SET closed = 1 WHERE code = ?", (row[0],))


def is_teacher(code: str, token: str, *, client: str = "") -> bool:
    """Whether `token` is this room's teacher key (a wrong one counts as a guess)."""
    try:
        _check_teacher(code, token, client=client)
    except ClassroomError:
        return False
    return True


@_counting_guesses
def _check_teacher(code: str, token: str, *, client: str = "") -> None:
    with reading() as db:
        _teacher_room(db, code, token, client, time.time())


@_counting_guesses
def room_view(code: str, *, client: str = "") -> RoomView:
    """What the code alone tells: open or closed, how many students and digits, the caps."""
    now = time.time()
    with reading() as db:
        row = _room(db, code, client, now)
        students = db.execute("SELECT COUNT(*) FROM students WHERE room = ?", (row[0],)).fetchone()[0]
        digits = db.execute("SELECT COUNT(*) FROM digits WHERE room = ?", (row[0],)).fetchone()[0]
    limits = RoomLimits(row[4], row[5], row[6], row[7])
    return RoomView(row[0], not row[3], students, digits, row[2], limits)
