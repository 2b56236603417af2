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

from core.checkpoints.lab import latent_dim_of
from core.data.mnist import load_split
from core.data.pixels import to_unit_float
from core.evaluation.evaluate import source_key
from core.levels import IMAGE_SIDE
from core.models.inference import ae_decode, ae_encode
from core.storage.cache import cached_arrays

#: Slider range: the central 98 % of the test codes in each dimension, so outliers don't squash it.
RANGE_PERCENTILES = (1.0, 99.0)


@lru_cache(maxsize=4)
def _test_codes(latent_dim: int, key: str) -> np.ndarray:
    return cached_arrays("codes", key, lambda: {"codes": ae_encode(latent_dim, load_split("test").images)})["codes"]


def codes_of_test_digits(latent_dim: int) -> np.ndarray:
    """Codes of the 10,000 test digits (disk-cached per checkpoint, then kept in memory)."""
    return _test_codes(latent_dim, source_key("ae", latent_dim))


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
    return _code_stats(latent_dim, source_key("ae", latent_dim))


def interpolate(latent_dim: int, a: np.ndarray, b: np.ndarray, steps: int = 9) -> tuple[np.ndarray, np.ndarray]:
    """From digit `a` to digit `b` in `steps` images: decoded along the line between their codes,
    and the plain pixel cross-fade. The first shows what the model thinks lies between them."""
    t = np.linspace(0.0, 1.0, max(2, int(steps)), dtype=np.float32)[:, None]
    za, zb = ae_encode(latent_dim, np.stack([a, b]))
    latent = ae_decode(latent_dim, (1 - t) * za + t * zb)
    fa, fb = to_unit_float(np.stack([a, b])).reshape(2, -1)
    pixels = ((1 - t) * fa + t * fb).reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
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
    images = ae_decode(latent_dim, np.stack([gx.ravel(), gy.ravel()], axis=1)).reshape(n, n, IMAGE_SIDE, IMAGE_SIDE)
    return xs, ys, images
