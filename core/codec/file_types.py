"""What reading a codec file gives: its header, its parts, and the error every refusal raises."""

from __future__ import annotations

from dataclasses import dataclass


class CodecFileError(ValueError):
    """A file the codec refuses; the message says what is wrong with it, for the user."""


@dataclass(frozen=True)
class Header:
    """What a codec file says about itself."""

    version: int
    model: str
    weights_sha256: str  # hex of the first bytes of the model's weights digest (8 in versions 1-2, 2 in 3)
    n_images: int
    shape: tuple[int, int]
    quality: int  # the quality number at writing time (versions 1-2); 0 where the file doesn't say (3)
    header_bytes: int = 0  # bytes before the coded stream, names included
    names_bytes: int = 0  # of those, the names'


@dataclass(frozen=True)
class CodecFile:
    """A parsed file: `names` already read (versions 1-2), or `names_block` to read once the stream has vouched for
    the count (3: a forged count must not make a huge list of names)."""

    header: Header
    stream: bytes
    names: list[str] | None = None
    names_block: bytes | None = None
