"""The convolutional auto-encoder, parameterised by `latent_dim`.

Data flow (28x28 digit in, 28x28 digit out; c1, c2 = 32, 48; h = 256 when d < 256):

    x ─┬─ Conv↓(1→c1) ─ Conv↓(c1→c2) ─ Res ─ flatten ─ [Linear(→h) ─ BN ─ SiLU] ─ Linear(→d) ─┐
       └──────────────── Linear(784→d)   (linear path) ───────────────────────────────────────┴─ + ─ z (d)
    z ─┬─ [Linear(→h) ─ BN ─ SiLU] ─ Linear(→c2·7·7) ─ Res ─ ConvT↑(c2→c1) ─ [Res14] ─ ConvT↑(c1→1) ─┐
       └──────────────── Linear(d→784)   (linear path) ───────────────────────────────────────────────┴─ + ─ sigmoid

Every strided convolution is 3x3, stride 2, followed by BatchNorm and SiLU (except the
last). Res is x + SiLU(BN(Conv3x3(x))) at the 7x7 stage.

Narrow codes (d <= NARROW_CODE_MAX = 8) get a costlier network: c2 = 64, every Res a
1x1-3x3-1x1 bottleneck (x + body, each convolution with BN and SiLU), and one more
bottleneck (Res14) at 14x14 in the decoder. At d=8 the error is set by how well the
decoder can draw strokes from 8 numbers, and only this extra capacity met the target
there; wider codes meet theirs without it, and the rebuild's time budget can't pay it at
every level.

What we chose, and why (bench/recipe_search.md has the runs, bench/design_notes.md the
figures behind each choice):

- SiLU instead of ReLU: lower error at every size, at no cost on a CPU.
- One residual 3x3 convolution at the 7x7 stage in the encoder and in the decoder, with
  the second stage 48 channels wide: the cheapest capacity that moves narrow codes, at a
  width the time budget can pay.
- BatchNorm after every convolution, AdamW and a one-cycle learning rate (peak 1e-2, or
  3e-3 for codes of 256+ dims; batch 128; core/training/trainer.py sets the epochs): this
  buys quality per second. Training is update-limited, so the peak rate matters most; wide
  codes, without the BatchNorm'd hidden layer, diverge at 1e-2, hence their lower peak.
- The decoder starts at the mean digit (`Decoder.start_at_mean`), so that an untrained
  model draws the average training digit rather than uniform grey; it matters most for the
  lab's quick runs.
- A hidden MLP layer (256 wide) around narrow codes: a dense layer is the cheapest capacity
  on a CPU (GEMM). For d >= 256 it is skipped: it would be a bottleneck narrower than the code.
- The linear path. At large latent sizes PCA is very hard to beat, and a purely
  convolutional network spends its short budget re-learning a near-identity linear map. A
  linear encoder/decoder in parallel makes the network a superset of a linear code (in logit
  space); the conv path learns the non-linear rest. The latent is still the only path from
  encoder to decoder.
- Channels-last memory layout: faster convolutions on a CPU, same numbers.
- Sigmoid output and MSE loss, as in the study.

Checkpoints trained before SiLU and the residual blocks (ReLU, channels 32/64) still load:
`ModelConfig.from_dict` reads a missing field as what those models were built with.
"""

from __future__ import annotations

import torch
from torch import nn

from core.levels import IMAGE_SIDE, N_PIXELS
from core.models.config import HIDDEN_WIDTH, NARROW_CODE_MAX, ModelConfig  # noqa: F401 - the network's config

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
#: The activation modules, by the name a config stores (`core.models.config.ACTIVATIONS`).
ACTIVATION_MODULES = {"relu": nn.ReLU, "silu": nn.SiLU}


def _conv(c_in: int, c_out: int, act: type[nn.Module]) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c_out), act())


def _deconv(c_in: int, c_out: int, act: type[nn.Module]) -> nn.Sequential:
    return nn.Sequential(
        nn.ConvTranspose2d(c_in, c_out, 3, stride=2, padding=1, output_padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        act(),
    )


def _conv_bn(c_in: int, c_out: int, kernel: int, act: type[nn.Module]) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2, bias=False), nn.BatchNorm2d(c_out), act()]


class Residual(nn.Module):
    """x + body(x): spatial capacity at a small feature map, where it is cheapest.

    "conv": act(BN(conv3x3(x))). "bottleneck": 1x1 down to half the channels, 3x3, 1x1 back,
    each with BN and act: a deeper block for fewer FLOPs than one full-width 3x3.
    """

    def __init__(self, channels: int, act: type[nn.Module], kind: str = "conv") -> None:
        super().__init__()
        if kind == "conv":
            layers = _conv_bn(channels, channels, 3, act)
        else:
            half = channels // 2
            layers = [*_conv_bn(channels, half, 1, act), *_conv_bn(half, half, 3, act)]
            layers += _conv_bn(half, channels, 1, act)
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class Encoder(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        c1, c2 = config.channels
        act = ACTIVATION_MODULES[config.activation]
        res = [Residual(c2, act, config.res_kind) for _ in range(config.res_blocks)]
        self.features = nn.Sequential(_conv(1, c1, act), _conv(c1, c2, act), *res, nn.Flatten())
        h = config.hidden
        self.to_latent = (
            nn.Sequential(nn.Linear(c2 * 49, h, bias=False), nn.BatchNorm1d(h), act(), nn.Linear(h, config.latent_dim))
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
        act = ACTIVATION_MODULES[config.activation]
        h = config.hidden
        self.from_latent = (
            nn.Sequential(
                nn.Linear(config.latent_dim, h, bias=False),
                nn.BatchNorm1d(h),
                act(),
                nn.Linear(h, c2 * 49),
                act(),
            )
            if h
            else nn.Sequential(nn.Linear(config.latent_dim, c2 * 49), act())
        )
        res = [Residual(c2, act, config.res_kind) for _ in range(config.res_blocks)]
        res_14 = [Residual(c1, act, config.res_kind) for _ in range(config.res_blocks_14)]
        self.upsample = nn.Sequential(
            *res, _deconv(c2, c1, act), *res_14, nn.ConvTranspose2d(c1, 1, 3, stride=2, padding=1, output_padding=1)
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
            logits = logits + self.linear_path(z).view(-1, 1, IMAGE_SIDE, IMAGE_SIDE)
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
