"""Opening a trained model up: encode, decode, move one latent dimension, interpolate.

The explorer moves a code by hand, so it needs to know what a "normal" value is for
each dimension. That comes from the codes of the 10,000 test digits: computed once per
checkpoint (keyed by its weights digest, like every per-checkpoint result) into the disk
cache, then kept in memory, because a slider move must decode in well under 150 ms.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from core.cache import cached_arrays
from core.data import load_split
from core.evaluate import _source_key
from core.lab import ModelRef, latent_dim_of
from core.store import load_model_and_meta
from core.torch_thread import on_torch_thread

#: Slider range: the central 98 % of the test codes in each dimension, so outliers don't squash it.
RANGE_PERCENTILES = (1.0, 99.0)


def _as_float_images(images: np.ndarray) -> np.ndarray:
    x = np.asarray(images)
    return x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)


@on_torch_thread
@torch.no_grad()
def encode(latent_dim: ModelRef, images: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Codes (N, latent_dim) of uint8 or [0, 1] float images (N, 28, 28), by a shipped size's or a lab model."""
    model, _ = load_model_and_meta(latent_dim)
    t = torch.from_numpy(_as_float_images(images).reshape(-1, 1, 28, 28))
    out = [model.encoder(t[i : i + batch_size]) for i in range(0, len(t), batch_size)]
    return torch.cat(out).numpy() if out else np.zeros((0, latent_dim_of(latent_dim)), np.float32)


@on_torch_thread
@torch.no_grad()
def decode(latent_dim: ModelRef, codes: np.ndarray) -> np.ndarray:
    """Images (N, 28, 28) in [0, 1] for codes (N, latent_dim) (or one code of shape (latent_dim,))."""
    model, _ = load_model_and_meta(latent_dim)
    z = torch.from_numpy(np.asarray(codes, np.float32).reshape(-1, latent_dim_of(latent_dim)))
    return model.decoder(z).numpy().reshape(-1, 28, 28)


@lru_cache(maxsize=4)
def _test_codes(latent_dim: int, key: str) -> np.ndarray:
    return cached_arrays("codes", key, lambda: {"codes": encode(latent_dim, load_split("test").images)})["codes"]


def codes_of_test_digits(latent_dim: int) -> np.ndarray:
    """Codes of the 10,000 test digits (disk-cached per checkpoint, then kept in memory)."""
    return _test_codes(latent_dim, _source_key("ae", latent_dim))


@dataclass(frozen=True)
class CodeStats:
    """How the test digits spread in each latent dimension."""

    mean: np.ndarray
    std: np.ndarray
    low: np.ndarray  # RANGE_PERCENTILES of the test codes, per dimension
    high: np.ndarray
    by_variance: np.ndarray  # dimension indices, most varied first

    def top_dims(self, k: int) -> np.ndarray:
        """The k dimensions along which the test digits vary most (a big latent has too many for sliders)."""
        return self.by_variance[: max(1, min(int(k), len(self.by_variance)))]


@lru_cache(maxsize=4)
def _code_stats(latent_dim: int, key: str) -> CodeStats:
    codes = _test_codes(latent_dim, key)
    std = codes.std(axis=0)
    low, high = np.percentile(codes, RANGE_PERCENTILES, axis=0)
    return CodeStats(codes.mean(axis=0), std, low, high, np.argsort(-std, kind="stable"))


def code_stats(latent_dim: int) -> CodeStats:
    return _code_stats(latent_dim, _source_key("ae", latent_dim))


def interpolate(latent_dim: int, a: np.ndarray, b: np.ndarray, steps: int = 9) -> tuple[np.ndarray, np.ndarray]:
    """From digit `a` to digit `b` in `steps` images: decoded along the line between their codes,
    and the plain pixel cross-fade. The first shows what the model thinks lies between them."""
    t = np.linspace(0.0, 1.0, max(2, int(steps)), dtype=np.float32)[:, None]
    za, zb = encode(latent_dim, np.stack([a, b]))
    latent = decode(latent_dim, (1 - t) * za + t * zb)
    fa, fb = _as_float_images(np.stack([a, b])).reshape(2, -1)
    pixels = ((1 - t) * fa + t * fb).reshape(-1, 28, 28)
    return latent, pixels


def manifold(latent_dim: int, n: int = 15) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For a 2-d model: (xs, ys, images (n, n, 28, 28)) decoded on an n×n grid spanning the test codes.

    Row i is y = ys[i] (bottom to top), column j is x = xs[j].
    """
    if latent_dim_of(latent_dim) != 2:
        raise ValueError(f"the latent plane can be drawn only for a 2-dimensional model, not d={latent_dim}")
    stats = code_stats(latent_dim)
    xs = np.linspace(stats.low[0], stats.high[0], n, dtype=np.float32)
    ys = np.linspace(stats.low[1], stats.high[1], n, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)
    images = decode(latent_dim, np.stack([gx.ravel(), gy.ravel()], axis=1)).reshape(n, n, 28, 28)
    return xs, ys, images
