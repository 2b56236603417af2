"""The entropy model: integer frequency tables, one per mixture component and latent dimension, and the range
coder they drive.

The tables are integers stored with the model; probabilities are counts / total in float64, which every host
computes identically, so the encoder and the decoder feed `constriction`'s categorical models the same numbers
and never fall out of sync (no float from the network enters the coder; CompressAI issue 279 is the failure
this avoids). Symbol s of component c's dimension j stands for the integer offset[c, j] + s.

A stream is a two-part code: first every digit's component (under the component table), then the latents of
the digits of component 0, dimension by dimension, then those of component 1, and so on. The encoder picks for
each digit the component whose tables code it in the fewest bits; the decoder only reads what was picked.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

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
    """`counts` (K, d, S) int64 (rows may end in zero-count padding past `sizes[c, j]`), `offsets` (K, d) int64,
    `component_counts` (K,) int64: the tables of K components over d latent dimensions."""

    counts: np.ndarray
    offsets: np.ndarray
    sizes: np.ndarray
    component_counts: np.ndarray

    @classmethod
    def from_arrays(
        cls, counts: np.ndarray, offsets: np.ndarray, component_counts: np.ndarray | None = None
    ) -> EntropyTables:
        """Checked tables; (d, S) counts and (d,) offsets are one component's."""
        counts, offsets = np.asarray(counts, np.int64), np.asarray(offsets, np.int64)
        if counts.ndim == 2:
            counts, offsets = counts[None], offsets[None]
        if component_counts is None:
            component_counts = np.ones(len(counts), np.int64)
        component_counts = np.asarray(component_counts, np.int64)
        if counts.ndim != 3 or offsets.shape != counts.shape[:2] or component_counts.shape != counts.shape[:1]:
            raise ValueError("entropy tables' shapes don't agree with each other")
        if (counts < 0).any() or (component_counts < 1).any():
            raise ValueError("entropy tables must have positive counts")
        nonzero = counts > 0
        sizes = np.where(nonzero.any(-1), counts.shape[-1] - np.argmax(nonzero[..., ::-1], axis=-1), 0)
        if (sizes < 1).any():
            raise ValueError("entropy tables must have at least one symbol with a count in every row")
        inside = np.arange(counts.shape[-1]) < sizes[..., None]
        if (counts[inside] < 1).any():
            raise ValueError("entropy tables must give every symbol in their support a count")
        return cls(counts, offsets, sizes.astype(np.int64), component_counts)

    @property
    def components(self) -> int:
        return self.counts.shape[0]

    @property
    def latent_dim(self) -> int:
        return self.counts.shape[1]

    def probabilities(self, c: int, j: int) -> np.ndarray:
        row = self.counts[c, j, : self.sizes[c, j]].astype(np.float64)
        return row / row.sum()

    @cached_property
    def _costs(self) -> np.ndarray:
        """(K, d, S) bits of every symbol (inf past a table's support)."""
        with np.errstate(divide="ignore"):
            return -np.log2(self.counts / self.counts.sum(-1, keepdims=True))

    @cached_property
    def cumulative(self) -> np.ndarray:
        """(K, d, S + 1) counts below each symbol, as Python integers (an object array), for exact sums."""
        zero = np.zeros((*self.counts.shape[:2], 1), np.int64)
        return np.concatenate([zero, np.cumsum(self.counts, -1)], -1).astype(object)

    @cached_property
    def _component_costs(self) -> np.ndarray:
        return -np.log2(self.component_counts / self.component_counts.sum())

    @cached_property
    def _models(self) -> tuple[object, list[list[object]]]:
        """constriction's categorical models: the component table's, and one per component and dimension."""
        categorical = constriction.stream.model.Categorical
        component = categorical(self.component_counts / self.component_counts.sum(), perfect=False)
        latents = [
            [categorical(self.probabilities(c, j), perfect=False) for j in range(self.latent_dim)]
            for c in range(self.components)
        ]
        return component, latents

    def clamp(self, q: np.ndarray, component: np.ndarray) -> np.ndarray:
        """Integer latents (N, d) clamped into their components' supports: no escape symbols needed."""
        lo = self.offsets[component]
        return np.clip(np.asarray(q, np.int64), lo, lo + self.sizes[component] - 1)

    @cached_property
    def modes(self) -> np.ndarray:
        """(K, d) the most likely integer of each component's dimension."""
        return self.offsets + np.argmax(self.counts, -1)

    @cached_property
    def _cost_by_value(self) -> tuple[int, np.ndarray]:
        """(lowest integer, (d, W, K) bits of every integer from it under each component, inf outside a support):
        one gather per dimension prices a row under every component at once."""
        lo = int(self.offsets.min())
        width = int((self.offsets + self.sizes).max()) - lo
        table = np.full((self.latent_dim, width, self.components), np.inf)
        for c in range(self.components):
            for j in range(self.latent_dim):
                start = self.offsets[c, j] - lo
                table[j, start : start + self.sizes[c, j], c] = self._costs[c, j, : self.sizes[c, j]]
        return lo, table

    def price(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(component, bits), each (N,), of integer latents (N, d) as `encode` codes them: the component that codes
        each row in the fewest bits, among those whose supports hold the row (so that coding never changes a
        latent) unless none does, and what the row costs under it, its name included (clamped into its
        support, as coded)."""
        q = np.asarray(q, np.int64)
        if not len(q):
            return np.zeros(0, np.int64), np.zeros(0)
        lo, table = self._cost_by_value
        index = np.clip(q - lo, 0, table.shape[1] - 1)
        cost = np.broadcast_to(self._component_costs, (len(q), self.components)).copy()
        for j in range(self.latent_dim):
            cost += table[j, index[:, j]]
        outside = np.isinf(cost).all(1)
        if outside.any():  # held by no support: priced clamped into each, as coded
            cost[outside] = self._clamped_costs(q[outside])
        component = np.argmin(cost, axis=1)
        return component, cost[np.arange(len(q)), component]

    def _clamped_costs(self, q: np.ndarray) -> np.ndarray:
        """(N, K) bits of rows (N, d) clamped into each component's support."""
        cost = np.empty((len(q), self.components))
        dims = np.arange(self.latent_dim)
        for c in range(self.components):
            sym = np.clip(q - self.offsets[c], 0, self.sizes[c] - 1)
            cost[:, c] = self._costs[c, dims, sym].sum(1) + self._component_costs[c]
        return cost

    def price_under(self, q: np.ndarray, component: np.ndarray) -> np.ndarray:
        """(N,) bits of rows (N, d) coded under the given components (clamped into their supports)."""
        q = np.asarray(q, np.int64)
        sym = self.clamp(q, component) - self.offsets[component]
        dims = np.arange(self.latent_dim)
        return self._costs[component[:, None], dims[None], sym].sum(1) + self._component_costs[component]

    def choose(self, q: np.ndarray) -> np.ndarray:
        """(N,) the component that codes each row of integer latents (N, d) (`price`)."""
        return self.price(q)[0]

    def bits(self, q: np.ndarray) -> float:
        """Information content of integer latents (N, d) as `encode` codes them, in bits."""
        return float(self.price(q)[1].sum())

    def min_bits_per_row(self) -> float:
        """The fewest bits any one latent vector can cost: bounds how many a stream of a given length can hold."""
        cheapest = self._costs.min(-1).sum(-1)  # padding past a support costs inf, so never the minimum
        return float((cheapest + self._component_costs).min())

    def encode(self, q: np.ndarray) -> bytes:
        """Range-code integer latents (N, d): the components, then each component's rows dimension by dimension."""
        q = np.asarray(q, np.int64)
        component = self.choose(q)
        sym = (self.clamp(q, component) - self.offsets[component]).astype(np.int32)
        component_model, latent_models = self._models
        encoder = constriction.stream.queue.RangeEncoder()
        if len(q):
            encoder.encode(component.astype(np.int32), component_model)
        for c in range(self.components):
            rows = sym[component == c]
            if len(rows):
                for j, model in enumerate(latent_models[c]):
                    encoder.encode(np.ascontiguousarray(rows[:, j]), model)
        return encoder.get_compressed().astype("<u4").tobytes()

    def decode(self, data: bytes, n: int) -> np.ndarray:
        """The integer latents (n, d) that `encode` wrote; StreamError if `data` can't be a stream of them."""
        if len(data) % 4:
            raise StreamError("the coded stream's length is not a whole number of 32-bit words")
        words = np.frombuffer(data, "<u4").astype(np.uint32)
        out = np.empty((n, self.latent_dim), np.int64)
        component_model, latent_models = self._models
        try:
            decoder = constriction.stream.queue.RangeDecoder(words)
            component = np.asarray(decoder.decode(component_model, n), np.int64) if n else np.zeros(0, np.int64)
            for c in range(self.components):
                rows = np.flatnonzero(component == c)
                if len(rows):
                    for j, model in enumerate(latent_models[c]):
                        out[rows, j] = np.asarray(decoder.decode(model, len(rows)), np.int64) + self.offsets[c, j]
        except (ValueError, RuntimeError, OverflowError) as exc:
            raise StreamError(f"the coded stream is damaged ({exc})") from exc
        return out
