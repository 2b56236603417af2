"""The entropy model: one integer frequency table per latent dimension, and the range coder it drives.

The tables are integers stored with the model; probabilities are counts / total in float64, which every host
computes identically, so the encoder and the decoder feed `constriction`'s categorical models the same numbers
and never fall out of sync (no float from the network enters the coder; CompressAI issue 279 is the failure
this avoids). Symbol k of dimension j stands for the integer offset[j] + k.
"""

from __future__ import annotations

from dataclasses import dataclass

import constriction
import numpy as np

#: Sum of every table's counts: 16-bit probabilities, well inside the range coder's 24-bit precision.
TABLE_TOTAL = 1 << 16


class StreamError(ValueError):
    """The entropy-coded stream can't be decoded with these tables (damaged or not ours)."""


def counts_from_probabilities(p: np.ndarray, total: int = TABLE_TOTAL) -> np.ndarray:
    """Integer counts summing to `total`, every symbol at least 1 (so none is impossible), from probabilities."""
    p = np.asarray(p, np.float64)
    p = p / p.sum()
    counts = np.maximum(1, np.floor(p * (total - len(p))).astype(np.int64) + 1)
    counts[np.argmax(counts)] += total - counts.sum()
    if counts.min() < 1:
        raise ValueError("table too wide for its total")
    return counts


@dataclass(frozen=True)
class EntropyTables:
    """`counts` (d, K) int64 (rows may end in zero-count padding past `sizes[j]`), `offsets` (d,) int64."""

    counts: np.ndarray
    offsets: np.ndarray
    sizes: np.ndarray

    @classmethod
    def from_arrays(cls, counts: np.ndarray, offsets: np.ndarray) -> EntropyTables:
        counts = np.asarray(counts, np.int64)
        sizes = np.array([np.max(np.nonzero(row)[0]) + 1 if row.any() else 0 for row in counts], np.int64)
        if counts.ndim != 2 or (sizes < 1).any() or (counts < 0).any():
            raise ValueError("entropy tables must have at least one symbol with a count in every row")
        for row, n in zip(counts, sizes, strict=True):
            if (row[:n] < 1).any():
                raise ValueError("entropy tables must give every symbol in their support a count")
        return cls(counts, np.asarray(offsets, np.int64), sizes)

    @property
    def latent_dim(self) -> int:
        return len(self.offsets)

    def probabilities(self, j: int) -> np.ndarray:
        row = self.counts[j, : self.sizes[j]].astype(np.float64)
        return row / row.sum()

    def models(self) -> list:
        """One constriction categorical model per dimension, built from the integer tables."""
        return [
            constriction.stream.model.Categorical(self.probabilities(j), perfect=False) for j in range(len(self.sizes))
        ]

    def clamp(self, q: np.ndarray) -> np.ndarray:
        """Integer latents (N, d) clamped into each dimension's support: no escape symbols needed."""
        lo = self.offsets
        return np.clip(np.asarray(q, np.int64), lo, lo + self.sizes - 1)

    def bits(self, q: np.ndarray) -> float:
        """Information content of clamped integer latents (N, d) under the tables, in bits."""
        sym = self.clamp(q) - self.offsets
        total = 0.0
        for j in range(self.latent_dim):
            total -= float(np.log2(self.probabilities(j))[sym[:, j]].sum())
        return total

    def min_bits_per_row(self) -> float:
        """The fewest bits any one latent vector can cost: bounds how many a stream of a given length can hold."""
        return float(sum(-np.log2(self.probabilities(j).max()) for j in range(self.latent_dim)))

    def encode(self, q: np.ndarray) -> bytes:
        """Range-code integer latents (N, d), dimension by dimension (each a run of one model)."""
        sym = (self.clamp(q) - self.offsets).astype(np.int32)
        encoder = constriction.stream.queue.RangeEncoder()
        for j, model in enumerate(self.models()):
            if len(sym):
                encoder.encode(np.ascontiguousarray(sym[:, j]), model)
        return encoder.get_compressed().astype("<u4").tobytes()

    def decode(self, data: bytes, n: int) -> np.ndarray:
        """The integer latents (n, d) that `encode` wrote; StreamError if `data` can't be a stream of them."""
        if len(data) % 4:
            raise StreamError("the coded stream's length is not a whole number of 32-bit words")
        words = np.frombuffer(data, "<u4").astype(np.uint32)
        out = np.empty((n, self.latent_dim), np.int64)
        try:
            decoder = constriction.stream.queue.RangeDecoder(words)
            for j, model in enumerate(self.models()):
                out[:, j] = decoder.decode(model, n) if n else []
        except (ValueError, RuntimeError, OverflowError) as exc:
            raise StreamError(f"the coded stream is damaged ({exc})") from exc
        return out + self.offsets
