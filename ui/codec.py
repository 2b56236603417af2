"""The codec in the app: cached `core.codec` calls, the quality picker, and a digit's code as bits.

Why the caches: Streamlit reruns the page on every click. `st.cache_data` keeps each file and
what it decodes to, keyed by the inputs (the quality, which names its model and that model's
measured figures, and the digits or the file's bytes), so a revisit shows the result again
without coding a digit. The spinner text shows only when the work is really done.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.codec import Quality, decompress, digit_code, qualities
from core.data.user_digit import prepare_digit_steps
from core.explore.round_trip import RoundTrip, round_trip, round_trip_test_digits
from core.levels import latent_bytes
from core.ratedistortion.records import TARGET_MSE

#: Hex digits per group when a code is shown: 4 (two bytes), as hex dumps group them.
HEX_GROUP_BYTES = 2


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


def default_quality(found: list[Quality]) -> Quality:
    """The fewest bytes whose test error is within the rate–distortion page's target (else the best error)."""
    good = [q for q in found if q.mse <= TARGET_MSE]
    return min(good, key=lambda q: q.bytes_per_digit) if good else min(found, key=lambda q: q.mse)


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
    """A digit's actual code at each quality: the bits the file would hold for it (no header), in hex."""
    found = qualities()
    if not found:
        st.info("The codec's rate models are not here, so there is no code to show: `make checkpoints` builds them.")
        return
    width = max(len(q.label) for q in found)
    lines = []
    for q in found:
        code = digit_code(image, q.number)
        lines.append(
            f"{q.label:<{width}}  {len(code):>3} B = {8 * len(code):>4} bits   file of many: "
            f"{q.bytes_per_digit:5.2f} B/digit   float32 code: {latent_bytes(q.latent_dim, 'float32'):>4} B"
        )
        lines.append(f"    {grouped_hex(code)}")
    st.code("\n".join(lines), language=None, wrap_lines=True)
    st.caption(
        "What the entropy coder writes for this digit alone at each quality (no header). The coder writes whole "
        "32-bit words and ends by flushing its state, so a digit alone costs more than its share of a file of "
        "many: beside it, the bytes per digit of the 10,000 test digits in one file, and the same model's code "
        "stored as float32 numbers, the way the study counts a code."
    )
