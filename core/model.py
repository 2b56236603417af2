"""The convolutional auto-encoder, parameterised by `latent_dim`.

Data flow (28x28 digit in, 28x28 digit out; c1, c2 = 32, 64; h = 256 when d < 256):

    x ─┬─ Conv↓(1→c1) ─ Conv↓(c1→c2) ─ flatten ─ [Linear(→h) ─ BN ─ ReLU] ─ Linear(→d) ─┐
       └──────────────── Linear(784→d)   (linear path) ─────────────────────────────────┴─ + ─ z (d)
    z ─┬─ [Linear(→h) ─ BN ─ ReLU] ─ Linear(→c2·7·7) ─ ConvT↑(c2→c1) ─ ConvT↑(c1→1) ─┐
       └──────────────── Linear(d→784)   (linear path) ───────────────────────────────┴─ + ─ sigmoid

Every convolution is 3x3, stride 2, followed by BatchNorm and ReLU (except the last).

What we chose, and why (each measured on this 2-core CPU; figures in bench/results.md):

- The plain baseline's widths (32, 64). Wider convolutions cost more per epoch than they
  win back in a 30-minute budget for four models: (64, 128) is 2.2x slower per epoch,
  a full-resolution 28x28 stage 2.6x.
- BatchNorm after every convolution, AdamW and a one-cycle learning rate (peak 1e-2, or
  3e-3 for codes of 256+ dims, batch 128, 14 epochs). This is what buys quality per
  second: the baseline's fixed Adam 1e-3 without normalisation needs several times more
  epochs for the same error. Training is update-limited (train and test error stay
  level), so the peak rate matters most: at
  d=39 after 4 epochs, 3e-3 gave 0.00370, 1e-2 0.00305 (batch 64 at 6e-3: 0.00295, but a
  batch-64 epoch costs 15-30 % more here). Over 15 epochs 1e-2 reached 0.00241 at d=39 and
  0.0123 at d=8, where the earlier 3e-3 recipe had 0.00276 and 0.0135 after 11. Wide
  codes skip the BatchNorm'd hidden layer, and at 1e-2 their linear maps diverged (d=392:
  0.0016 after 2 epochs, 0.013 after 4), hence their lower peak.
- The decoder starts at the mean digit (`Decoder.start_at_mean`): its output biases are
  set so that an untrained model draws the average training digit (error ~0.07) rather
  than uniform grey (~0.2, worse than black). It matters most for the lab's quick runs.
- Measured and left out: SiLU instead of ReLU (3 % lower error at d=8 after 4 epochs for
  5 % more time), a 512-wide hidden layer (1 % for 28 %), an extra 28x28 decoder stage
  (8 % for 26 %: at equal time, worse), BCE loss (3 %), weight averaging (EMA: no gain at
  the end of a one-cycle schedule), torch.compile (slower on this CPU).
- A hidden MLP layer (256 wide) around narrow codes. At d=8 the error is set by how well
  the decoder can turn 8 numbers into strokes; a dense layer is the cheapest capacity on
  a CPU (GEMM) and cut the d=8 test error by ~8 % at equal epochs (0.0170 vs 0.0186 after 5).
  For d >= 256 it is skipped: it would be a bottleneck narrower than the code.
- The linear path. At large latent sizes PCA is very hard to beat (392 principal
  components keep almost every pixel), and a purely convolutional network spends its
  short budget re-learning a near-identity linear map. A linear encoder/decoder in
  parallel makes the network a superset of a linear code (in logit space); the conv path
  learns the non-linear rest. At d=392 it cut the error after 6 epochs from 0.00067 to
  0.00038. The latent is still the only path from encoder to decoder.
- Channels-last memory layout: ~15 % faster convolutions on this CPU, same numbers.
- Sigmoid output and MSE loss, as in the study.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from core.levels import N_PIXELS, check_latent_dim

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
#: Hidden MLP width for codes narrower than it; wider codes skip it (it would be a needless bottleneck).
HIDDEN_WIDTH = 256


@dataclass
class ModelConfig:
    """Everything needed to rebuild the network; stored in every checkpoint's JSON."""

    latent_dim: int
    channels: tuple[int, int] = (32, 64)
    hidden: int | None = None  # MLP width between conv features and latent; None: HIDDEN_WIDTH if narrower codes
    linear_path: bool = True

    def __post_init__(self) -> None:
        check_latent_dim(self.latent_dim)
        if self.hidden is None:
            self.hidden = HIDDEN_WIDTH if self.latent_dim < HIDDEN_WIDTH else 0
        self.channels = tuple(int(c) for c in self.channels)
        if len(self.channels) != 2 or min(self.channels) < 1:
            raise ValueError(f"channels must be two positive widths, got {self.channels}")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["channels"] = list(self.channels)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> ModelConfig:
        known = {k: d[k] for k in ("latent_dim", "channels", "hidden", "linear_path") if k in d}
        return cls(**known)


def _conv(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU())


def _deconv(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.ConvTranspose2d(c_in, c_out, 3, stride=2, padding=1, output_padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(),
    )


class Encoder(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        c1, c2 = config.channels
        self.features = nn.Sequential(_conv(1, c1), _conv(c1, c2), nn.Flatten())
        h = config.hidden
        self.to_latent = (
            nn.Sequential(
                nn.Linear(c2 * 49, h, bias=False), nn.BatchNorm1d(h), nn.ReLU(), nn.Linear(h, config.latent_dim)
            )
            if h
            else nn.Linear(c2 * 49, config.latent_dim)
        )
        self.linear_path = nn.Linear(N_PIXELS, config.latent_dim, bias=False) if config.linear_path else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = (x - MNIST_MEAN) / MNIST_STD
        z = self.to_latent(self.features(x.contiguous(memory_format=torch.channels_last)))
        if self.linear_path is not None:
            z = z + self.linear_path(x.flatten(1))
        return z


class Decoder(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        c1, c2 = config.channels
        self.c2 = c2
        h = config.hidden
        self.from_latent = (
            nn.Sequential(
                nn.Linear(config.latent_dim, h, bias=False),
                nn.BatchNorm1d(h),
                nn.ReLU(),
                nn.Linear(h, c2 * 49),
                nn.ReLU(),
            )
            if h
            else nn.Sequential(nn.Linear(config.latent_dim, c2 * 49), nn.ReLU())
        )
        self.upsample = nn.Sequential(
            _deconv(c2, c1), nn.ConvTranspose2d(c1, 1, 3, stride=2, padding=1, output_padding=1)
        )
        self.linear_path = nn.Linear(config.latent_dim, N_PIXELS) if config.linear_path else None

    @torch.no_grad()
    def start_at_mean(self, mean_image: torch.Tensor) -> None:
        """Set the output biases so that, before any training, the decoder draws the mean training digit.

        A fresh decoder outputs sigmoid(0) = 0.5 everywhere, an error (~0.2) worse than an all-black image; the
        first hundreds of steps then only learn the background. Starting at the mean digit (error ~0.07) makes
        short runs (the lab's quick runs) look like digits at once and takes that detour out of long ones.
        """
        mean = mean_image.reshape(-1).double()
        if self.linear_path is not None:  # one bias per pixel: the mean digit itself
            self.linear_path.bias.copy_(torch.logit(mean.clamp(0.01, 0.99)).float())
        else:  # one bias for the whole image: the best constant under MSE, the mean pixel
            self.upsample[-1].bias.fill_(float(torch.logit(mean.mean().clamp(0.01, 0.99))))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.from_latent(z).view(-1, self.c2, 7, 7).contiguous(memory_format=torch.channels_last)
        logits = self.upsample(h).contiguous()
        if self.linear_path is not None:
            logits = logits + self.linear_path(z).view(-1, 1, 28, 28)
        return torch.sigmoid(logits)


class AutoEncoder(nn.Module):
    """Images (N, 1, 28, 28) in [0, 1] → reconstructions of the same shape, via a d-dim code."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = Encoder(config)
        self.decoder = Decoder(config)

    @property
    def latent_dim(self) -> int:
        return self.config.latent_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))

    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
