"""Exact arithmetic coding of a few digits under the mixture's marginal, with Python's integers.

A file of one digit (or a handful) is too short for the range coder's 32-bit words and for naming a component:
here each digit's integers are coded under the whole mixture, dimension by dimension, each step's table the
components' tables weighted by their posterior given the dimensions already coded (so the component's name is
never paid for). Every quantity is an exact integer (the tables' counts sum to 2^16), so the encoder and the
decoder compute the same intervals on any host, and the code is the shortest whole number of bytes that lands
inside the digits' interval, with no flush: a digit costs its information rounded up to a byte, plus at most one.

The decoder re-encodes what it read and refuses a code that is not the one the encoder would have written
(`StreamError`): a damaged code almost never is, which checks the file beyond its checksum.
"""

from __future__ import annotations

import numpy as np

from core.codec.entropy import TABLE_TOTAL, EntropyTables, StreamError

#: Bits of each table's (and the component table's) total: every probability is a count over 2^16.
TOTAL_BITS = TABLE_TOTAL.bit_length() - 1


def _cumulative(tables: EntropyTables) -> np.ndarray:
    if (tables.counts.sum(-1) != TABLE_TOTAL).any() or tables.component_counts.sum() != TABLE_TOTAL:
        raise ValueError(f"exact coding needs every table to total {TABLE_TOTAL}")
    return tables.cumulative


def _below(tables: EntropyTables, cum: np.ndarray, j: int, value: int) -> np.ndarray:
    """(K,) each component's count of integers below `value` in dimension j (0 under its support, all above)."""
    index = np.clip(value - tables.offsets[:, j], 0, tables.sizes[:, j])
    return cum[np.arange(tables.components), j, index]


def _digit_interval(tables: EntropyTables, cum: np.ndarray, row: np.ndarray) -> tuple[int, int]:
    """(low, width) of one digit's integers, over 2^(16 (d + 1)): its place and probability under the mixture."""
    weights = tables.component_counts.astype(object)
    low = 0
    for j, value in enumerate(row.tolist()):
        below, upto = _below(tables, cum, j, value), _below(tables, cum, j, value + 1)
        low = (low << TOTAL_BITS) + int(weights.dot(below))
        weights = weights * (upto - below)
    return low, int(weights.sum())


def _interval(tables: EntropyTables, q: np.ndarray) -> tuple[int, int, int]:
    """(low, width, bits of the denominator) of all the rows of q (n, d), one after another."""
    cum, bits = _cumulative(tables), TOTAL_BITS * (tables.latent_dim + 1)
    low, width = 0, 1
    for row in q:
        digit_low, digit_width = _digit_interval(tables, cum, row)
        if digit_width == 0:
            raise ValueError("a row lies outside every component's support (clamp it first)")
        low, width = (low << bits) + width * digit_low, width * digit_width
    return low, width, bits * len(q)


def _shortest(low: int, width: int, bits: int) -> bytes:
    """The fewest bytes whose number, read as a fraction with zeros after it, lies in [low, low + width) / 2^bits."""
    for n in range(bits // 8 + 2):
        shift = bits - 8 * n
        point = -(-low >> shift) if shift >= 0 else low << -shift  # ceil(low / 2^shift)
        if (point << shift if shift >= 0 else point >> -shift) < low + width:
            return point.to_bytes(n, "big") if n else b""
    raise AssertionError("an interval of positive width always holds such a number")


def encode(tables: EntropyTables, q: np.ndarray) -> bytes:
    """The exact code of integer latents q (n, d), each row inside some component's support."""
    return _shortest(*_interval(tables, np.asarray(q, np.int64)))


def decode(tables: EntropyTables, data: bytes, n: int) -> np.ndarray:
    """The rows (n, d) that `encode` wrote as `data`; StreamError if `data` is not exactly such a code."""
    cum, d = _cumulative(tables), tables.latent_dim
    digit_bits = TOTAL_BITS * (d + 1)
    lo = tables.offsets.min(0)
    hi = (tables.offsets + tables.sizes).max(0) - 1
    point, point_bits = int.from_bytes(data, "big"), 8 * len(data)
    out = np.empty((n, d), np.int64)
    low, width = 0, 1  # the rows decoded so far, over 2^(digit_bits * i)
    for i in range(n):
        # where the point lies inside this digit's interval, over 2^digit_bits (floored: every bound is an integer)
        scale = digit_bits * (i + 1)
        num = (point << scale) - ((low << digit_bits) << point_bits)
        rem = num // (width << point_bits) if num >= 0 else -1
        if not 0 <= rem < 1 << digit_bits:
            raise StreamError("the code does not fit the tables")
        weights = tables.component_counts.astype(object)
        for j in range(d):
            shift = TOTAL_BITS * (d - 1 - j)
            a, b = int(lo[j]), int(hi[j])  # the largest value whose count below it, scaled, is ≤ rem
            while a < b:
                mid = (a + b + 1) // 2
                if int(weights.dot(_below(tables, cum, j, mid))) << shift <= rem:
                    a = mid
                else:
                    b = mid - 1
            below, upto = _below(tables, cum, j, a), _below(tables, cum, j, a + 1)
            rem -= int(weights.dot(below)) << shift
            weights = weights * (upto - below)
            if not weights.any():
                raise StreamError("the code does not fit the tables")
            out[i, j] = a
        digit_low, _ = _digit_interval(tables, cum, out[i])
        low, width = (low << digit_bits) + width * digit_low, width * int(weights.sum())
    if _shortest(low, width, digit_bits * n) != bytes(data):
        raise StreamError("the code is not the one these digits are written as")
    return out
