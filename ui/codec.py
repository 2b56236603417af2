"""The codec in the app: cached `core.codec` calls, the quality picker, and a digit's code as bits.

Why the caches: Streamlit reruns the page on every click. `st.cache_data` keeps each file and
what it decodes to, keyed by the inputs (the quality, which names its model and that model's
measured figures, and the digits or the file's bytes), so a revisit shows the result again
without coding a digit. The spinner text shows only when the work is really done.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import numpy as np
import streamlit as st

from core.codec import (
    CodecFileError,
    Decoded,
    Quality,
    compress,
    decode_text,
    decompress,
    from_text,
    qualities,
    to_text,
)
from core.codec.fileformat import parse_file
from core.data.user_digit import prepare_digit_steps
from core.explore.round_trip import RoundTrip, default_quality, round_trip, round_trip_test_digits
from core.levels import latent_bytes
from ui.images import image_row
from ui.state import url_parsed

#: Hex digits per group when a code is shown: 4 (two bytes), as hex dumps group them.
HEX_GROUP_BYTES = 2
#: The URL parameter that carries a digit's code, and the page that opens it.
CODE_PARAM, CODE_PAGE = "code", "compress"


def quality_label(q: Quality) -> str:
    """What the quality picker shows: the quality, then what it costs and gives on the test set."""
    return f"{q.label} · {q.bytes_per_digit:.2f} B/digit · MSE {q.mse:.4f}"


def usable_qualities() -> list[Quality]:
    """The codec's qualities, or a message and a stopped page when no rate model is shipped."""
    found = qualities()
    if not found:
        st.error(
            "No rate model of the codec is available here, so nothing can be compressed. "
            "Rebuild them with `make checkpoints`."
        )
        st.stop()
    return found


def quality_picker(found: list[Quality], default: Quality, key: str = "quality") -> Quality:
    numbers = [q.number for q in found]
    by_number = {q.number: q for q in found}
    number = st.selectbox(
        "quality",
        numbers,
        index=numbers.index(default.number),
        format_func=lambda n: quality_label(by_number[n]),
        key=key,
        help="1 takes the fewest bytes. Bytes per digit and MSE are measured on the 10,000 test digits in one file.",
    )
    return by_number[number]


@st.cache_data(show_spinner="Compressing the digits and decoding them back…", max_entries=16)
def compressed_test_digits(n: int, order: str, seed: int, quality: Quality) -> RoundTrip:
    return round_trip_test_digits(n, quality.number, order, seed)


@st.cache_data(show_spinner="Compressing your digits and decoding them back…", max_entries=16)
def compressed_uploads(images: np.ndarray, names: tuple[str, ...], quality: Quality) -> RoundTrip:
    return round_trip(images, quality.number, names=list(names))


@st.cache_data(show_spinner=False, max_entries=512)
def prepared_upload(data: bytes) -> tuple[np.ndarray, tuple[str, ...]]:
    """A picture prepared like a *Your digit* upload: its 28×28 digit and the notes about it. Cached by its bytes,
    so a rerun doesn't prepare it again; only these are kept, not the full-size stages a photo would make heavy.
    An InvalidImageError is raised, never cached."""
    steps = prepare_digit_steps(data)
    return steps.centred, steps.notes


@st.cache_data(show_spinner="Decoding the file…", max_entries=8)
def decoded_file(data: bytes):
    """The file's digits and header (`core.codec.decompress`); a CodecFileError is raised, never cached."""
    return decompress(data)


def grouped_hex(code: bytes, group: int = HEX_GROUP_BYTES) -> str:
    """`code` as hex, `group` bytes to a group: 'a3f1 2b07 c4' is easier to read and compare than 'a3f12b07c4'."""
    return " ".join(code[i : i + group].hex() for i in range(0, len(code), group))


def show_digit_codes(image: np.ndarray) -> None:
    """A digit's actual code at each quality: the one-digit file's bytes, the code inside it in hex, and the file as
    text; then the link that opens it at the quality meant for MSE 0.01."""
    found = qualities()
    if not found:
        st.info("The codec's rate models are not here, so there is no code to show: `make checkpoints` builds them.")
        return
    width = max(len(q.label) for q in found)
    lines, texts = [], {}
    for q in found:
        data = compress(image[None], q.number)
        code, texts[q.number] = parse_file(data).stream, to_text(data)
        lines.append(
            f"{q.label:<{width}}  {len(code):>3} B = {8 * len(code):>4} bits, in a file of {len(data):>3} B   "
            f"file of many: {q.bytes_per_digit:5.2f} B/digit   "
            f"float32 code: {latent_bytes(q.latent_dim, 'float32'):>4} B"
        )
        lines.append(f"    {grouped_hex(code)}")
        lines.append(f"    as text: {texts[q.number]}")
    st.code("\n".join(lines), language=None, wrap_lines=True)
    st.caption(
        "What the coder writes for this digit alone at each quality: its integers coded exactly under the whole "
        "mixture, in whole bytes; the file around them adds 7 (the codec's mark, the model's number, two bytes of "
        "its weights' digest, a 3-byte checksum). Beside it, the bytes per digit of the 10,000 test digits in one "
        "file, and the same model's code stored as float32 numbers, the way the study counts a code. *As text* is "
        "the whole file in URL-safe base64: paste it anywhere, or open it as a link."
    )
    show_digit_link(texts[default_quality(found).number])


def code_link(text: str) -> str:
    """The address that opens a digit's code: this server's, as the browser reached it, at /compress?code=…"""
    url = st.context.url
    here = urlsplit(url if isinstance(url, str) else "http://localhost:8501/")
    return f"{here.scheme}://{here.netloc}/{CODE_PAGE}?{CODE_PARAM}={text}"


def show_digit_link(text: str, what: str = "This digit") -> None:
    """A digit's text and the link that carries it (nothing stored on the server: the link is the digit)."""
    link = code_link(text)
    st.markdown(f"**{what} as text** ({len(text)} characters): `{text}` · [open it as a link]({link})")
    st.code(link, language=None)


@st.cache_data(show_spinner=False, max_entries=256)
def decoded_text(text: str) -> Decoded:
    """A digit's code decoded (`core.codec.decode_text`); a CodecFileError is raised, never cached."""
    return decode_text(text)


def show_digit_from_link() -> bool:
    """The digit a `?code=` link carries, decoded and shown large; a bad code is ignored with its message."""
    decoded = url_parsed(CODE_PARAM, decoded_text, CodecFileError)
    if decoded is None:
        return False
    show_decoded_code(decoded, str(st.query_params.get(CODE_PARAM)), "The digit from the link")
    return True


def show_decoded_code(decoded: Decoded, text: str, title: str) -> None:
    """What a digit's code decodes to: the digits, large, and which model and how many bytes made them."""
    st.subheader(title)
    h = decoded.header
    n = len(decoded.images)
    image_row(
        [(decoded.images[k], decoded.names[k] or f"#{k + 1}") for k in range(min(n, 12))],
        size_px=168 if n == 1 else 84,
    )
    quality = f"q{h.quality}" if h.quality else "a quality not listed here"
    st.caption(
        f"Decoded from `{text}`: {len(text)} characters, a {len(from_text(text)):,}-byte file of "
        f"{n} digit{'s' if n != 1 else ''}, model {h.model} ({quality}). Nothing was stored on the server: "
        "the code is the digit."
    )
