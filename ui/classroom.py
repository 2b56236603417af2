"""Streamlit helpers for class mode: who the caller is, the room's code and join link, the QR code.

The join link carries only the public code (`/join?room=CODE`); the teacher's key lives in the teacher's
own address bar (`/class-room?room=CODE&key=…`), so a reload or a server restart keeps the room's controls,
and never on the projector's join link or QR code.
"""

from __future__ import annotations

import os
from html import escape
from urllib.parse import urlsplit

import segno
import streamlit as st

from core.classroom.rooms import normalise_code

JOIN_PATH = "join"
ROOM_PATH = "class-room"
MAX_PARAM = 64  # a code or a key is far shorter; anything longer is not read


def client_id() -> str:
    """Who is asking, for slowing down code guessers: the browser's address (behind `make class`'s
    balancer, AECL_TRUST_PROXY=1, the last X-Forwarded-For entry: the one haproxy appended, not one a client forged)."""
    if os.environ.get("AECL_TRUST_PROXY") == "1":
        forwarded = st.context.headers.get("X-Forwarded-For", "")
        if isinstance(forwarded, str) and forwarded:
            return forwarded.split(",")[-1].strip()[:64]
    ip = st.context.ip_address
    return ip[:64] if isinstance(ip, str) else "unknown"  # None (or a stand-in) outside a real browser session


def url_secret(param: str) -> str | None:
    """A code or key from the address bar, bounded; None if absent or absurd."""
    raw = st.query_params.get(param)
    if not raw or len(raw) > MAX_PARAM:
        return None
    return raw


def room_from_url() -> str | None:
    raw = url_secret("room")
    return normalise_code(raw) if raw else None


def join_link(code: str) -> str:
    """The address a phone opens: this server's, as the browser reached it, at /join?room=CODE."""
    url = st.context.url
    here = urlsplit(url if isinstance(url, str) else "http://localhost:8501/")
    return f"{here.scheme}://{here.netloc}/{JOIN_PATH}?room={code}"


def qr_image(link: str, scale: int = 8) -> str:
    """The join link as a QR code (segno, pure Python; no network): an <img> with the PNG inline."""
    uri = segno.make(link, error="m").png_data_uri(scale=scale, border=2)
    return f'<img data-testid="join-qr" src="{uri}" alt="QR code of {escape(link)}" style="image-rendering:pixelated">'


def show_join_card(code: str, big: bool) -> None:
    """The code in big letters, the link, and its QR code: what the class reads off the projector."""
    link = join_link(code)
    size = "7rem" if big else "3.6rem"
    spaced = f"{code[:3]} {code[3:]}"
    st.html(
        f'<div style="display:flex;gap:2.5rem;align-items:center;flex-wrap:wrap">'
        f'<div style="flex:0 0 auto">{qr_image(link, scale=10 if big else 6)}</div>'
        f'<div><div style="font-size:1.2rem;color:#555">Join on your phone: scan, or open the link and type</div>'
        f'<div data-testid="room-code" style="font-size:{size};font-weight:800;letter-spacing:0.12em;'
        f'font-family:monospace;line-height:1.1">{escape(spaced)}</div>'
        f'<div style="font-size:{"2rem" if big else "1.2rem"};font-family:monospace">{escape(link)}</div></div></div>'
    )
