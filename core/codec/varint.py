"""Unsigned LEB128 varints, and a reader that checks every length against what is left before taking it."""

from __future__ import annotations


def varint(n: int) -> bytes:
    """`n` ≥ 0 in 7-bit groups, lowest first, the high bit set on all but the last."""
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


class VarintReader:
    """Reads `data` front to back; every flaw raises `error(message)`, the message naming `what` is being read."""

    def __init__(self, data: bytes, error: type[Exception], what: str) -> None:
        self.data, self.pos, self.error, self.what = data, 0, error, what

    def take(self, n: int) -> bytes:
        if n > len(self.data) - self.pos:
            raise self.error(f"it ends too soon, inside its {self.what}")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def varint(self, max_bytes: int = 5) -> int:
        n = shift = 0
        for _ in range(max_bytes):
            byte = self.take(1)[0]
            n |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return n
            shift += 7
        raise self.error(f"a number in its {self.what} is not valid")

    def at_end(self) -> bool:
        return self.pos == len(self.data)
