"""Class mode: rooms a class sends its digits to (SQLite, shared by every server process), and what the
projector computes from them. Never imports streamlit; the dashboard and the tests call the same functions."""

from core.classroom.rooms import (
    ClassDigit,
    ClassroomError,
    OpenedRoom,
    RoomLimits,
    RoomView,
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

__all__ = [
    "ClassDigit",
    "ClassroomError",
    "OpenedRoom",
    "RoomLimits",
    "RoomView",
    "class_digits",
    "close_room",
    "hide_digit",
    "is_teacher",
    "join_room",
    "my_digits",
    "open_room",
    "room_view",
    "send_digit",
    "withdraw_digit",
]
