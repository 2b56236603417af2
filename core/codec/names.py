"""The digits' names in a codec file: runs of numbered names, then the smaller of plain, deflate and LZMA.

A folder's names are mostly one numbered sequence (t00000 … t09999): each run stores its prefix, suffix, digit
count, first number and length, so the sequence costs a few bytes in all, not a few per digit. Names that are
not numbered are runs of one, and the general-purpose compressor then finds what they share.

    block   method (1 byte: 0 plain, 1 deflate, 2 LZMA2, raw streams) + payload, the runs compressed
    runs    count (varint) + per run: prefix, suffix (each varint length + UTF-8), width, start, length (varints)

Name k of a run is prefix + str(start + k) zero-padded to `width` digits + suffix (no number when width is 0).
"""

from __future__ import annotations

import lzma
import re
import zlib
from collections.abc import Sequence

from core.codec.varint import VarintReader, varint

MAX_NAME_BYTES = 255
PLAIN, DEFLATE, LZMA = 0, 1, 2
_LZMA_FILTERS = [{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME, "dict_size": 1 << 20}]
#: A run's first number may have as many digits as a name has bytes: its varint's most bytes.
NUMBER_VARINT_BYTES = MAX_NAME_BYTES // 2
_NUMBERED = re.compile(r"^(.*?)([0-9]+)([^0-9]*)$", re.DOTALL)


class NamesError(ValueError):
    """A names block that can't be read (the file's parser turns it into a CodecFileError)."""


def clip_name(name: str) -> str:
    """`name` cut to at most MAX_NAME_BYTES of UTF-8, on a character boundary."""
    return name.encode("utf-8")[:MAX_NAME_BYTES].decode("utf-8", "ignore")


def _name(prefix: str, suffix: str, width: int, number: int) -> str:
    return prefix + (str(number).zfill(width) if width else "") + suffix


def runs_of(names: Sequence[str]) -> list[tuple[str, str, int, int, int]]:
    """(prefix, suffix, width, start, length) runs that spell `names` in order, each as long as it can be."""
    runs: list[list] = []
    for name in names:
        if runs:
            prefix, suffix, width, start, length = runs[-1]
            if name == _name(prefix, suffix, width, start + length):
                runs[-1][4] += 1
                continue
        m = _NUMBERED.match(name)
        runs.append([m[1], m[3], len(m[2]), int(m[2]), 1] if m else [name, "", 0, 0, 1])
    return [tuple(r) for r in runs]


def _text(s: str) -> bytes:
    raw = s.encode("utf-8")
    return varint(len(raw)) + raw


def encode_names(names: Sequence[str]) -> bytes:
    """The names block for `names` (each at most MAX_NAME_BYTES of UTF-8: `clip_name`)."""
    runs = runs_of([clip_name(n) for n in names])
    body = bytearray(varint(len(runs)))
    for prefix, suffix, width, start, length in runs:
        body += _text(prefix) + _text(suffix) + varint(width) + varint(start) + varint(length)
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = {
        PLAIN: bytes(body),
        DEFLATE: deflater.compress(bytes(body)) + deflater.flush(),
        LZMA: lzma.compress(bytes(body), format=lzma.FORMAT_RAW, filters=_LZMA_FILTERS),
    }
    method = min(packed, key=lambda m: (len(packed[m]), m))
    return bytes([method]) + packed[method]


def _unpacked(block: bytes, limit: int) -> bytes:
    if not block:
        raise NamesError("its names are empty")
    method, payload = block[0], block[1:]
    if method == PLAIN:
        return payload
    try:
        if method == DEFLATE:
            d = zlib.decompressobj(-15)
            out = d.decompress(payload, limit)
            done = d.eof and not d.unconsumed_tail and not d.unused_data
        elif method == LZMA:
            d = lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=_LZMA_FILTERS)
            out = d.decompress(payload, limit)
            done = d.eof and not d.unused_data
        else:
            raise NamesError("its names are packed in a way this program doesn't know")
    except (zlib.error, lzma.LZMAError) as exc:
        raise NamesError("its names can't be unpacked") from exc
    if not done:
        raise NamesError("its names can't be unpacked (too long, or cut short)")
    return out


def decode_names(block: bytes, n: int) -> list[str]:
    """The `n` names a block spells; NamesError if it is not exactly such a block."""
    r = VarintReader(_unpacked(block, n * (MAX_NAME_BYTES + 32) + 64), NamesError, "names")
    names: list[str] = []
    for _ in range(r.varint()):
        try:
            prefix, suffix = (r.take(r.varint()).decode("utf-8") for _ in range(2))
        except UnicodeDecodeError as exc:
            raise NamesError("a name is not UTF-8 text") from exc
        width, start, length = r.varint(), r.varint(NUMBER_VARINT_BYTES), r.varint()
        if not 1 <= length <= n - len(names) or width > MAX_NAME_BYTES or (not width and start):
            raise NamesError("its names don't add up to its digits")
        last = _name(prefix, suffix, width, start + length - 1)
        if len(last.encode("utf-8")) > MAX_NAME_BYTES:
            raise NamesError("a name is longer than allowed")
        names += [_name(prefix, suffix, width, start + k) for k in range(length)]
    if len(names) != n or not r.at_end():
        raise NamesError("its names don't add up to its digits")
    return names
