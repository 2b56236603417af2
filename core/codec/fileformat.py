"""The codec's file, compact form (format version 3): a tiny header, the names coded, the stream, a checksum sized
to the file. Files of the long form (version 2, `core.codec.long_format`) are still read.

    offset  field
    0       0xA3: the codec's mark (0xA) and format version 3
    1       bit 7: a names block follows; bit 6: a count follows (else the file holds one digit);
            bits 0-5: the rate model's index (1-63, `core.codec.registry`)
    2       first 2 bytes of the model's weights SHA-256
    4       if counted: number of digits (varint)
    ..      if named: names block length (varint) + block (`core.codec.names`)
    ..      stream, up to the checksum: the exact code of the mixture's marginal for up to SMALL_SET digits
            (`core.codec.exact_coder`), else the range coder's 32-bit words (`core.codec.entropy`)
    end-C   CRC-32 of everything before it, little-endian: its low 3 bytes when the file is at most 32 bytes long,
            all 4 otherwise

Every digit is 28×28. Parsing is strict: the checksum first, then every length against what is left, and any flaw
is a CodecFileError whose message is written for the person holding the file.
"""

from __future__ import annotations

import zlib

from core.codec.file_types import CodecFile, CodecFileError, Header
from core.codec.long_format import MAGIC, MAX_IMAGES, parse_long_file
from core.codec.registry import MAX_INDEX, MODEL_INDEX, index_of
from core.codec.varint import VarintReader, varint
from core.levels import IMAGE_SIDE

__all__ = ["CodecFile", "CodecFileError", "Header", "parse_file", "write_file"]

FORMAT_VERSION = 3
MARK = 0xA0
DIGEST_BYTES = 2
FLAG_NAMES, FLAG_COUNT = 0x80, 0x40
#: Up to this many digits a file's stream is the exact code (no component named, no 32-bit words).
SMALL_SET = 16
#: Files up to this long carry a 3-byte checksum, longer ones 4.
SHORT_FILE = 32
FIXED_BYTES = 4


def checksum_bytes(file_length: int) -> int:
    """How many bytes of CRC-32 a file of this length ends with."""
    return 3 if file_length <= SHORT_FILE else 4


def _checksum(body: bytes, n: int) -> bytes:
    return zlib.crc32(body).to_bytes(4, "little")[:n]


def write_file(model: str, weights_sha256: str, n_images: int, names: list[str] | None, stream: bytes) -> bytes:
    """A compact file; `names` is a names block (`core.codec.names.encode_names`) or None."""
    index = index_of(model)
    if index is None or not 1 <= index <= MAX_INDEX:
        raise ValueError(f"{model} has no index in the compact form's registry")
    flags = (FLAG_NAMES if names is not None else 0) | (FLAG_COUNT if n_images != 1 else 0)
    body = bytearray([MARK | FORMAT_VERSION, flags | index]) + bytes.fromhex(weights_sha256)[:DIGEST_BYTES]
    if n_images != 1:
        body += varint(n_images)
    if names is not None:
        body += varint(len(names)) + names
    body += stream
    n = 3 if len(body) + 3 <= SHORT_FILE else 4
    return bytes(body) + _checksum(bytes(body), n)


def parse_file(data: bytes) -> CodecFile:
    """A codec file's parts, either form; CodecFileError for anything but a whole, intact file."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise CodecFileError(f"Expected the bytes of a codec file, got {type(data).__name__}.")
    data = bytes(data)
    if not data:
        raise CodecFileError("This file is empty.")
    if MAGIC.startswith(data[:4]):
        return parse_long_file(data)
    if data[0] & 0xF0 != MARK or data[0] & 0x0F < FORMAT_VERSION:  # the mark was first used by version 3
        raise CodecFileError("This is not an auto-encoder codec file (its first bytes are not the codec's).")
    if data[0] != MARK | FORMAT_VERSION:
        raise CodecFileError(
            f"This codec file has format version {data[0] & 0x0F}; this program reads versions 2 and 3."
        )
    n = checksum_bytes(len(data))
    if len(data) < FIXED_BYTES + n:
        raise CodecFileError("This codec file is truncated (it ends inside its header).")
    body = data[:-n]
    if _checksum(body, n) != data[-n:]:
        raise CodecFileError("This codec file is damaged or truncated: its checksum does not match its contents.")
    flags, index = body[1] & 0xC0, body[1] & 0x3F
    model = MODEL_INDEX.get(index)
    if model is None:
        raise CodecFileError(
            f"This codec file names rate model number {index}, which this program doesn't know "
            "(a newer version of it may)."
        )
    r = VarintReader(body, CodecFileError, "header")
    digest = r.take(FIXED_BYTES)[2:].hex()
    try:
        n_images = r.varint() if flags & FLAG_COUNT else 1
        if n_images > MAX_IMAGES:
            raise CodecFileError(f"This codec file claims {n_images:,} images, more than the {MAX_IMAGES:,} allowed.")
        names_start = r.pos
        block = r.take(r.varint()) if flags & FLAG_NAMES else None
    except CodecFileError as exc:
        if "claims" in str(exc):
            raise
        raise CodecFileError(f"This codec file is damaged ({exc}).") from exc
    header = Header(FORMAT_VERSION, model, digest, n_images, (IMAGE_SIDE, IMAGE_SIDE), 0, r.pos, r.pos - names_start)
    return CodecFile(header, body[r.pos :], names_block=block)
