"""A codec file as text: URL-safe base64 without padding, so one digit (about 11 bytes at the quality meant for
MSE 0.01) is a string of about 15 characters that fits in a link, a chat message or a spreadsheet cell."""

from __future__ import annotations

import base64
import re
from typing import TYPE_CHECKING

import numpy as np

from core.codec.file_types import CodecFileError

if TYPE_CHECKING:  # the coder needs torch; turning bytes into text doesn't
    from core.codec.latent_codec import Decoded

#: Longest string read as a code: a few thousand digits' file; a link's `?code=` is far shorter.
MAX_TEXT_CHARS = 100_000
_ALPHABET = re.compile(r"^[A-Za-z0-9_-]*$")


def to_text(data: bytes) -> str:
    """The file's bytes as URL-safe base64, padding dropped."""
    return base64.urlsafe_b64encode(bytes(data)).rstrip(b"=").decode("ascii")


def from_text(text: str) -> bytes:
    """The file's bytes a string spells (surrounding blanks ignored); CodecFileError with a one-line message
    for anything that is not such a string. Whether the bytes are a codec file is the file reader's to say."""
    if not isinstance(text, str):
        raise CodecFileError(f"Expected a digit's code as text, got {type(text).__name__}.")
    s = text.strip()
    if not s:
        raise CodecFileError("The code is empty.")
    if len(s) > MAX_TEXT_CHARS:
        raise CodecFileError(f"This code is {len(s):,} characters long, more than the {MAX_TEXT_CHARS:,} read.")
    if not _ALPHABET.match(s):
        bad = next(ch for ch in s if not _ALPHABET.match(ch))
        raise CodecFileError(
            f"This is not a digit's code: it holds {bad!r}; a code has only letters, digits, '-' and '_'."
        )
    if len(s) % 4 == 1:
        raise CodecFileError("This code is cut short or has a character too many (its length can't be a code's).")
    try:
        data = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
    except ValueError as exc:  # binascii.Error
        raise CodecFileError(f"This is not a digit's code ({exc}).") from exc
    if to_text(data) != s:  # base64 ignores a last character's spare bits: only one spelling is a code's
        raise CodecFileError("This code is damaged (its last character is not one a code can end with).")
    return data


def digit_text(image: np.ndarray, quality: int) -> str:
    """One digit (28, 28) as text: its one-digit codec file at `quality`, in URL-safe base64."""
    from core.codec.latent_codec import compress

    return to_text(compress(np.asarray(image)[None], quality))


def decode_text(text: str) -> Decoded:
    """What a digit's text decodes to; CodecFileError for a string that is not an intact code."""
    from core.codec.latent_codec import decompress

    return decompress(from_text(text))
