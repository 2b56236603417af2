"""A rate–distortion auto-encoder (Ballé et al. 2017, "End-to-end optimized image compression"):

    x ─ AutoEncoder.encoder ─ × gain ─ y ─ round ─ q (integers, entropy-coded with the tables) ─ ÷ gain ─ decoder ─ x̂

`gain` (one per latent dimension) sets how finely each dimension is quantised. A factorized density (a logistic
per dimension, convolved with a unit-width box) gives the bits of q; training minimises MSE + λ · bits per digit,
with additive uniform noise standing in for rounding in the bits term and rounding (straight-through) feeding the
decoder, so the decoder learns on the integers it will see. After training the density is turned into the
integer tables (`core.codec.entropy`) that the coder uses; they are stored with the weights.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from core.codec.entropy import EntropyTables, counts_from_probabilities
from core.models.autoencoder import AutoEncoder, ModelConfig

#: Tail mass left outside a table's support on each side (lumped into its end symbols, so still codable).
TAIL_MASS = 1e-5
#: The widest table a dimension may have.
MAX_SYMBOLS = 4096


class RateModel(nn.Module):
    """An auto-encoder with a quantised latent and its learned density."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        d = config.latent_dim
        self.ae = AutoEncoder(config)
        self.log_gain = nn.Parameter(torch.zeros(d))
        self.loc = nn.Parameter(torch.zeros(d))
        self.log_scale = nn.Parameter(torch.zeros(d))
        self.register_buffer("table_counts", torch.zeros((d, 0), dtype=torch.int32))
        self.register_buffer("table_offsets", torch.zeros(d, dtype=torch.int32))

    @property
    def config(self) -> ModelConfig:
        return self.ae.config

    @property
    def latent_dim(self) -> int:
        return self.ae.config.latent_dim

    def analysis(self, x: torch.Tensor) -> torch.Tensor:
        """Latents y (N, d) on the integer grid's scale, before rounding."""
        return self.ae.encoder(x) * self.log_gain.exp()

    def synthesis(self, q: torch.Tensor) -> torch.Tensor:
        """Images (N, 1, 28, 28) in [0, 1] from (rounded) latents."""
        return self.ae.decoder(q * (-self.log_gain).exp())

    def likelihood(self, y: torch.Tensor) -> torch.Tensor:
        """P(round(y) = y) under the factorized logistic density, for noisy or integer y (N, d)."""
        scale = self.log_scale.exp()
        upper = (y + 0.5 - self.loc) / scale
        lower = (y - 0.5 - self.loc) / scale
        # Subtract on the side of the median where the two CDF values are small (stable in float32).
        sign = -torch.sign(upper + lower)
        p = (torch.sigmoid(sign * upper) - torch.sigmoid(sign * lower)).abs()
        return p.clamp_min(1e-9)

    def bits(self, y: torch.Tensor) -> torch.Tensor:
        """Bits per digit (N,) of latents y under the density."""
        return -torch.log2(self.likelihood(y)).sum(1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Training pass: (reconstruction from straight-through rounded y, bits of y + uniform noise)."""
        y = self.analysis(x)
        noisy = y + torch.empty_like(y).uniform_(-0.5, 0.5)
        rounded = y + (torch.round(y) - y).detach()
        return self.synthesis(rounded), self.bits(noisy)

    @torch.no_grad()
    def fit_density(self, y: torch.Tensor) -> None:
        """Start the density at the moments of latents y (N, d): a logistic's scale is std·√3/π."""
        self.loc.copy_(y.mean(0))
        self.log_scale.copy_((y.std(0) * math.sqrt(3) / math.pi).clamp_min(0.05).log())

    @torch.no_grad()
    def build_tables(self) -> EntropyTables:
        """Integer tables from the density, stored in the model's buffers (and returned)."""
        loc = self.loc.double().numpy()
        scale = self.log_scale.exp().double().numpy()
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
        self.table_counts = torch.from_numpy(counts.astype(np.int32))
        self.table_offsets = torch.from_numpy(lo.astype(np.int32))
        return self.tables()

    def tables(self) -> EntropyTables:
        """The integer tables the coder uses (from the buffers: what was saved is what codes)."""
        if self.table_counts.shape[1] == 0:
            raise ValueError("this rate model has no entropy tables yet (build_tables after training)")
        return EntropyTables.from_arrays(self.table_counts.numpy(), self.table_offsets.numpy())

    def load_state_dict(self, state, strict: bool = True, assign: bool = False):
        """As nn.Module's, but the tables' buffers take the shape the saved tables have."""
        if "table_counts" in state:
            self.table_counts = torch.zeros_like(state["table_counts"])
        return super().load_state_dict(state, strict=strict, assign=assign)
