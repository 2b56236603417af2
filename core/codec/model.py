"""A rate–distortion auto-encoder (Ballé et al. 2017, "End-to-end optimized image compression"):

    x ─ AutoEncoder.encoder ─ × gain ─ y ─ round ─ q (integers, entropy-coded with the tables) ─ ÷ gain ─ decoder ─ x̂

`gain` (one per latent dimension) sets how finely each dimension is quantised. The density of q is a mixture of
`components` factorized densities (a logistic per dimension, convolved with a unit-width box), coded as a two-part
code: each digit names the component that codes it most cheaply, then its latents under that component. Digits
cluster (a 1 is not a 0), so one factorized density per cluster costs fewer bits than one for all, even with the
component's name paid for. Training minimises MSE + λ · bits per digit, the bits those of the cheapest component,
with additive uniform noise standing in for rounding in the bits term and rounding (straight-through) feeding the
decoder, so the decoder learns on the integers it will see. After training the densities are turned into the
integer tables (`core.codec.entropy`) that the coder uses; they are stored with the weights.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from core.codec.entropy import EntropyTables, counts_from_probabilities
from core.models.autoencoder import AutoEncoder, Decoder, ModelConfig

#: Tail mass left outside a table's support on each side (lumped into its end symbols, so still codable).
TAIL_MASS = 1e-5
#: The widest table a dimension may have.
MAX_SYMBOLS = 4096


class RateModel(nn.Module):
    """An auto-encoder with a quantised latent and its learned density, a mixture of `components` factorized ones.

    `decoder`, where given, builds the decoder apart from the encoder (e.g. wider: decoding is what a digit's
    quality depends on, encoding only where the latents land); None: both from `config`."""

    def __init__(self, config: ModelConfig, components: int = 1, decoder: ModelConfig | None = None) -> None:
        super().__init__()
        d = config.latent_dim
        self.ae = AutoEncoder(config)
        if decoder is not None:
            if decoder.latent_dim != d:
                raise ValueError(f"the decoder's latent size {decoder.latent_dim} is not the encoder's {d}")
            self.ae.decoder = Decoder(decoder)
        self.decoder_config = decoder
        self.log_gain = nn.Parameter(torch.zeros(d))
        self.loc = nn.Parameter(torch.zeros(components, d))
        self.log_scale = nn.Parameter(torch.zeros(components, d))
        self.logits = nn.Parameter(torch.zeros(components))
        self.register_buffer("table_counts", torch.zeros((components, d, 0), dtype=torch.int32))
        self.register_buffer("table_offsets", torch.zeros((components, d), dtype=torch.int32))
        self.register_buffer("component_counts", torch.zeros(components, dtype=torch.int32))

    @property
    def config(self) -> ModelConfig:
        return self.ae.config

    @property
    def latent_dim(self) -> int:
        return self.ae.config.latent_dim

    @property
    def components(self) -> int:
        return self.loc.shape[0]

    def analysis(self, x: torch.Tensor) -> torch.Tensor:
        """Latents y (N, d) on the integer grid's scale, before rounding."""
        return self.ae.encoder(x) * self.log_gain.exp()

    def synthesis(self, q: torch.Tensor) -> torch.Tensor:
        """Images (N, 1, 28, 28) in [0, 1] from (rounded) latents."""
        return self.ae.decoder(q * (-self.log_gain).exp())

    def component_bits(self, y: torch.Tensor) -> torch.Tensor:
        """Bits (N, K) of latents y (N, d), noisy or integer, under each component, its name's bits included."""
        scale = self.log_scale.exp()[None]
        upper = (y[:, None, :] + 0.5 - self.loc[None]) / scale
        lower = (y[:, None, :] - 0.5 - self.loc[None]) / scale
        # Subtract on the side of the median where the two CDF values are small (stable in float32).
        sign = -torch.sign(upper + lower)
        p = (torch.sigmoid(sign * upper) - torch.sigmoid(sign * lower)).abs().clamp_min(1e-9)
        return -torch.log2(p).sum(2) - torch.log_softmax(self.logits, 0)[None] / math.log(2)

    def bits(self, y: torch.Tensor) -> torch.Tensor:
        """Bits per digit (N,) of latents y: the cheapest component's, as the two-part code pays."""
        return self.component_bits(y).min(1).values

    @torch.no_grad()
    def estimated_bytes(self, q: np.ndarray) -> float:
        """What the density says integer latents (N, d) cost, clamped as the coder codes them: the estimate a real
        file's size is checked against."""
        tables = self.tables()
        coded = tables.clamp(q, tables.choose(q)).astype(np.float32)
        return float(self.bits(torch.from_numpy(coded)).sum()) / 8

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Training pass: (reconstruction from straight-through rounded y, bits of y + uniform noise)."""
        y = self.analysis(x)
        noisy = y + torch.empty_like(y).uniform_(-0.5, 0.5)
        rounded = y + (torch.round(y) - y).detach()
        return self.synthesis(rounded), self.bits(noisy)

    @torch.no_grad()
    def fit_density(self, y: torch.Tensor, seed: int = 0) -> None:
        """Start the mixture at latents y (N, d): k-means clusters, each component at its cluster's moments (a
        logistic's scale is std·√3/π), its weight the cluster's share."""
        k = self.components
        if k == 1:
            labels = np.zeros(len(y), np.int64)
        else:
            from sklearn.cluster import KMeans

            labels = KMeans(k, n_init=1, random_state=seed).fit(y.double().numpy()).labels_
        labels = torch.from_numpy(np.asarray(labels, np.int64))
        for c in range(k):
            members = y[labels == c] if (labels == c).sum() > 2 else y
            self.loc[c] = members.mean(0)
            self.log_scale[c] = (members.std(0) * math.sqrt(3) / math.pi).clamp_min(0.05).log()
        self.logits.copy_(torch.log(torch.bincount(labels, minlength=k).float() + 1))

    @torch.no_grad()
    def build_tables(self, codes: np.ndarray | None = None) -> EntropyTables:
        """Integer tables from the densities, stored in the model's buffers (and returned). With `codes`, the
        rounded latents (N, d) of the training digits, each table then becomes what those codes count under it
        (`count_tables`)."""
        k, d = self.components, self.latent_dim
        loc = self.loc.double().numpy().reshape(-1)
        scale = self.log_scale.exp().double().numpy().reshape(-1)
        tail = math.log(TAIL_MASS / (1 - TAIL_MASS))
        lo = np.floor(loc + scale * tail).astype(np.int64)
        hi = np.ceil(loc - scale * tail).astype(np.int64)
        hi = np.minimum(hi, lo + MAX_SYMBOLS - 1)
        width = int((hi - lo + 1).max())
        counts = np.zeros((len(loc), width), np.int64)
        for j in range(len(loc)):
            edges = (np.arange(lo[j], hi[j] + 2) - 0.5 - loc[j]) / scale[j]
            cdf = 1 / (1 + np.exp(-edges))
            cdf[0], cdf[-1] = 0.0, 1.0  # the tails go to the end symbols
            counts[j, : hi[j] - lo[j] + 1] = counts_from_probabilities(np.diff(cdf))
        weights = torch.softmax(self.logits.double(), 0).numpy()
        tables = EntropyTables.from_arrays(
            counts.reshape(k, d, width), lo.reshape(k, d), counts_from_probabilities(weights)
        )
        if codes is not None:
            tables = count_tables(tables, codes)
        self.table_counts = torch.from_numpy(tables.counts.astype(np.int32))
        self.table_offsets = torch.from_numpy(tables.offsets.astype(np.int32))
        self.component_counts = torch.from_numpy(tables.component_counts.astype(np.int32))
        self._tables = None
        return self.tables()

    def tables(self) -> EntropyTables:
        """The integer tables the coder uses (from the buffers: what was saved is what codes). Made once per set
        of buffers, so the coder's models they hold are built once, not for every file or digit."""
        if self.table_counts.shape[-1] == 0:
            raise ValueError("this rate model has no entropy tables yet (build_tables after training)")
        if getattr(self, "_tables", None) is None:
            self._tables = EntropyTables.from_arrays(
                self.table_counts.numpy(), self.table_offsets.numpy(), self.component_counts.numpy()
            )
        return self._tables

    def load_state_dict(self, state, strict: bool = True, assign: bool = False):
        """As nn.Module's, but the tables' buffers take the shape the saved tables have."""
        if "table_counts" in state:
            self.table_counts = torch.zeros_like(state["table_counts"])
        self._tables = None
        return super().load_state_dict(state, strict=strict, assign=assign)


#: How many digits' worth of weight the density keeps in `count_tables`: enough that no symbol a few training
#: digits happened to miss becomes dear, few enough that the counts decide.
DENSITY_PRIOR_DIGITS = 4.0


def count_tables(density: EntropyTables, codes: np.ndarray) -> EntropyTables:
    """Tables that code `codes` (N, d), the training digits' rounded latents, as the coder will meet them: each
    digit assigned to the component the density's tables pick for it, each component's table the counts of its
    digits' symbols, the density added as a prior of `DENSITY_PRIOR_DIGITS` digits. The density was fitted to
    noisy latents; the counts are of the integers themselves, so they code the test digits in fewer bits
    (bench/codec_notes.md). Same supports as the density's, so every latent stays codable."""
    codes = np.asarray(codes, np.int64)
    k, d, width = density.counts.shape
    component = density.choose(codes)
    symbols = density.clamp(codes, component) - density.offsets[component]
    seen = np.zeros((k, d, width))
    for j in range(d):
        np.add.at(seen[:, j], (component, symbols[:, j]), 1)
    prior = density.counts / density.counts.sum(-1, keepdims=True)
    blended = seen + DENSITY_PRIOR_DIGITS * prior
    counts = np.zeros_like(density.counts)
    for c in range(k):
        for j in range(d):
            size = density.sizes[c, j]
            counts[c, j, :size] = counts_from_probabilities(blended[c, j, :size])
    used = np.bincount(component, minlength=k) + DENSITY_PRIOR_DIGITS * density.component_counts / (
        density.component_counts.sum()
    )
    return EntropyTables.from_arrays(counts, density.offsets, counts_from_probabilities(used))
