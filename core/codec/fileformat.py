"""The codec's file: a versioned header, the names of the digits, the entropy-coded stream and a checksum.

    offset  field
    0       magic b"AEC\\x1a" (4 bytes)
    4       format version (1 byte)
    5       flags (1 byte; bit 0: names follow)
    6       model id: length (1 byte) + ASCII
    ..      first 8 bytes of the model's weights SHA-256
    ..      quality number at writing time (1 byte)
    ..      number of images (unsigned LEB128 varint)
    ..      height, width (1 byte each; 28, 28)
    ..      if flagged: one name per image, length (varint, ≤ 255) + UTF-8
    ..      stream: length (varint) + bytes (32-bit little-endian words of a range coder; version 2: each digit's
            mixture component first, then the latents component by component, `core.codec.entropy`)
    end-4   CRC-32 of everything before it

Parsing is strict: every length is checked against what is left before anything is read or allocated, and any
flaw is a CodecFileError whose message is written for the person holding the file.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from core.levels import IMAGE_SIDE

MAGIC = b"AEC\x1a"
#: 1 coded every digit with one factorized table; 2 with a mixture (the component first).
FORMAT_VERSION = 2
DIGEST_BYTES = 8
MAX_NAME_BYTES = 255
#: No file may declare more images than this, whatever its stream (a forged count can't make a huge allocation).
MAX_IMAGES = 10_000_000
FLAG_NAMES = 1


class CodecFileError(ValueError):
    """A file the codec refuses; the message says what is wrong with it, for the user."""


@dataclass(frozen=True)
class Header:
    """What a codec file says about itself."""

    version: int
    model: str
    weights_sha256: str  # hex of the first DIGEST_BYTES bytes of the model's weights digest
    n_images: int
    shape: tuple[int, int]
    quality: int
    header_bytes: int = 0  # bytes before the stream's length (names included)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def write_file(header: Header, names: list[str] | None, stream: bytes) -> bytes:
    """The file's bytes for `header`, optional per-image `names` and the coded `stream`."""
    model = header.model.encode("ascii")
    if not 1 <= len(model) <= 255:
        raise ValueError("model id must be 1-255 ASCII characters")
    digest = bytes.fromhex(header.weights_sha256)[:DIGEST_BYTES]
    body = bytearray(MAGIC)
    body += bytes([FORMAT_VERSION, FLAG_NAMES if names else 0, len(model)]) + model + digest
    body += bytes([header.quality]) + _varint(header.n_images) + bytes(header.shape)
    for name in names or []:
        raw = name.encode("utf-8")[:MAX_NAME_BYTES].decode("utf-8", "ignore").encode("utf-8")
        body += _varint(len(raw)) + raw
    body += _varint(len(stream)) + stream
    return bytes(body) + zlib.crc32(body).to_bytes(4, "little")


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int, what: str) -> bytes:
        if n > len(self.data) - self.pos:
            raise CodecFileError(f"This codec file is truncated (it ends inside its {what}).")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def varint(self, what: str) -> int:
        n = shift = 0
        for _ in range(5):
            byte = self.take(1, what)[0]
            n |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return n
            shift += 7
        raise CodecFileError(f"This codec file is damaged (its {what} is not a valid number).")


def parse_file(data: bytes) -> tuple[Header, list[str], bytes]:
    """(header, names, stream) of a codec file; CodecFileError for anything but a whole, intact file.

    `names` is empty when the file has none (the caller fills them in once the stream has vouched for the count)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise CodecFileError(f"Expected the bytes of a codec file, got {type(data).__name__}.")
    data = bytes(data)
    if not data:
        raise CodecFileError("This file is empty.")
    if not data.startswith(MAGIC[: len(data)]) or len(data) < len(MAGIC):
        if data.startswith(MAGIC[: len(data)]):
            raise CodecFileError("This codec file is truncated (it ends inside its magic bytes).")
        raise CodecFileError("This is not an auto-encoder codec file (its first bytes are not the codec's).")
    if len(data) > len(MAGIC) and data[len(MAGIC)] != FORMAT_VERSION:
        raise CodecFileError(
            f"This codec file has format version {data[len(MAGIC)]}; this program reads version {FORMAT_VERSION}."
        )
    if len(data) < len(MAGIC) + 5:
        raise CodecFileError("This codec file is truncated (it ends inside its header).")
    if zlib.crc32(data[:-4]).to_bytes(4, "little") != data[-4:]:
        raise CodecFileError("This codec file is damaged or truncated: its checksum does not match its contents.")
    r = _Reader(data[:-4])
    r.take(len(MAGIC) + 1, "magic bytes")
    flags = r.take(1, "flags")[0]
    if flags & ~FLAG_NAMES:
        raise CodecFileError("This codec file is damaged (unknown flags in its header).")
    try:
        model = r.take(r.take(1, "model id")[0], "model id").decode("ascii")
    except UnicodeDecodeError as exc:
        raise CodecFileError("This codec file is damaged (its model id is not text).") from exc
    if not model or not model.isprintable():
        raise CodecFileError("This codec file is damaged (its model id is empty or not printable).")
    digest = r.take(DIGEST_BYTES, "weights digest").hex()
    quality = r.take(1, "quality")[0]
    n_images = r.varint("number of images")
    if n_images > MAX_IMAGES:
        raise CodecFileError(f"This codec file claims {n_images:,} images, more than the {MAX_IMAGES:,} allowed.")
    shape = tuple(r.take(2, "image shape"))
    if shape != (IMAGE_SIDE, IMAGE_SIDE):
        raise CodecFileError(
            f"This codec file holds {shape[0]}x{shape[1]} images; the codec makes {IMAGE_SIDE}x{IMAGE_SIDE}."
        )
    names = []
    if flags & FLAG_NAMES:
        for _ in range(n_images):  # each name takes at least one byte, so this ends with the file
            length = r.varint("names")
            if length > MAX_NAME_BYTES:
                raise CodecFileError("This codec file is damaged (a name is longer than allowed).")
            try:
                names.append(r.take(length, "names").decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise CodecFileError("This codec file is damaged (a name is not UTF-8 text).") from exc
    header_bytes = r.pos
    stream = r.take(r.varint("stream length"), "coded stream")
    if r.pos != len(r.data):
        raise CodecFileError("This codec file is damaged (bytes follow its coded stream).")
    header = Header(FORMAT_VERSION, model, digest, n_images, shape, quality, header_bytes)
    return header, names, stream
