"""The long form of a codec file (format versions 1 and 2): the model's id spelled out and every name stored raw.

Version 2 is still read, so older files decode (version 1, a single table, is refused as before); still
written for a rate model that the compact form's registry has no index for (`core.codec.registry`).

    offset  field
    0       magic b"AEC\\x1a" (4 bytes)
    4       format version (1 byte: 1 one factorized table, 2 a mixture, its component first)
    5       flags (1 byte; bit 0: names follow)
    6       model id: length (1 byte) + ASCII
    ..      first 8 bytes of the model's weights SHA-256
    ..      quality number at writing time (1 byte)
    ..      number of images (unsigned LEB128 varint)
    ..      height, width (1 byte each; 28, 28)
    ..      if flagged: one name per image, length (varint, ≤ 255) + UTF-8
    ..      stream: length (varint) + bytes (32-bit little-endian words of the range coder, `core.codec.entropy`)
    end-4   CRC-32 of everything before it
"""

from __future__ import annotations

import zlib

from core.codec.file_types import CodecFile, CodecFileError, Header
from core.codec.names import MAX_NAME_BYTES, clip_name
from core.codec.varint import VarintReader, varint
from core.levels import IMAGE_SIDE

MAGIC = b"AEC\x1a"
VERSION = 2
DIGEST_BYTES = 8
#: No file may declare more images than this, whatever its stream (a forged count can't make a huge allocation).
MAX_IMAGES = 10_000_000
FLAG_NAMES = 1


def write_long_file(header: Header, names: list[str] | None, stream: bytes) -> bytes:
    """The long form's bytes (version 2) for `header`, optional per-image `names` and the coded `stream`."""
    model = header.model.encode("ascii")
    if not 1 <= len(model) <= 255:
        raise ValueError("model id must be 1-255 ASCII characters")
    digest = bytes.fromhex(header.weights_sha256)[:DIGEST_BYTES]
    body = bytearray(MAGIC)
    body += bytes([VERSION, FLAG_NAMES if names else 0, len(model)]) + model + digest
    body += bytes([header.quality]) + varint(header.n_images) + bytes(header.shape)
    for name in names or []:
        raw = clip_name(name).encode("utf-8")
        body += varint(len(raw)) + raw
    body += varint(len(stream)) + stream
    return bytes(body) + zlib.crc32(body).to_bytes(4, "little")


class _Reader(VarintReader):
    """Reads a file's body; running out means the file was cut short."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data, CodecFileError, "header")

    def field(self, n: int, what: str) -> bytes:
        if n > len(self.data) - self.pos:
            raise CodecFileError(f"This codec file is truncated (it ends inside its {what}).")
        return self.take(n)

    def number(self, what: str) -> int:
        self.what = what
        try:
            return self.varint()
        except CodecFileError as exc:
            if "ends too soon" in str(exc):
                raise CodecFileError(f"This codec file is truncated (it ends inside its {what}).") from exc
            raise CodecFileError(f"This codec file is damaged (its {what} is not a valid number).") from exc


def parse_long_file(data: bytes) -> CodecFile:
    """A long-form file (it starts with MAGIC); CodecFileError for anything but a whole, intact one."""
    if len(data) < len(MAGIC):
        raise CodecFileError("This codec file is truncated (it ends inside its magic bytes).")
    if len(data) > len(MAGIC) and data[len(MAGIC)] != VERSION:
        raise CodecFileError(
            f"This codec file has format version {data[len(MAGIC)]}; this program reads versions 2 and 3."
        )
    if len(data) < len(MAGIC) + 5:
        raise CodecFileError("This codec file is truncated (it ends inside its header).")
    if zlib.crc32(data[:-4]).to_bytes(4, "little") != data[-4:]:
        raise CodecFileError("This codec file is damaged or truncated: its checksum does not match its contents.")
    r = _Reader(data[:-4])
    version = r.field(len(MAGIC) + 1, "magic bytes")[-1]
    flags = r.field(1, "flags")[0]
    if flags & ~FLAG_NAMES:
        raise CodecFileError("This codec file is damaged (unknown flags in its header).")
    try:
        model = r.field(r.field(1, "model id")[0], "model id").decode("ascii")
    except UnicodeDecodeError as exc:
        raise CodecFileError("This codec file is damaged (its model id is not text).") from exc
    if not model or not model.isprintable():
        raise CodecFileError("This codec file is damaged (its model id is empty or not printable).")
    digest = r.field(DIGEST_BYTES, "weights digest").hex()
    quality = r.field(1, "quality")[0]
    n_images = r.number("number of images")
    if n_images > MAX_IMAGES:
        raise CodecFileError(f"This codec file claims {n_images:,} images, more than the {MAX_IMAGES:,} allowed.")
    shape = tuple(r.field(2, "image shape"))
    if shape != (IMAGE_SIDE, IMAGE_SIDE):
        raise CodecFileError(
            f"This codec file holds {shape[0]}x{shape[1]} images; the codec makes {IMAGE_SIDE}x{IMAGE_SIDE}."
        )
    names, names_start = [], r.pos
    if flags & FLAG_NAMES:
        for _ in range(n_images):  # each name takes at least one byte, so this ends with the file
            length = r.number("names")
            if length > MAX_NAME_BYTES:
                raise CodecFileError("This codec file is damaged (a name is longer than allowed).")
            try:
                names.append(r.field(length, "names").decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise CodecFileError("This codec file is damaged (a name is not UTF-8 text).") from exc
    header_bytes, names_bytes = r.pos, r.pos - names_start
    stream = r.field(r.number("stream length"), "coded stream")
    if not r.at_end():
        raise CodecFileError("This codec file is damaged (bytes follow its coded stream).")
    header = Header(version, model, digest, n_images, shape, quality, header_bytes, names_bytes)
    return CodecFile(header, stream, names=names)
