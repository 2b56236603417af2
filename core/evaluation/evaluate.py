"""Evaluation of one method (auto-encoder or PCA) at one size on the 10k test set.

Per-image errors are the unit everything else is built from (per-digit bars, the error
curve, the dashboard's grids), so they are computed once per checkpoint (keyed by its
weights digest) or PCA size and kept in the disk cache.

`core.evaluation.report` gathers them, AE and PCA side by side, into what `python -m core.evaluate`
prints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.checkpoints.lab import ModelRef, latent_dim_of
from core.checkpoints.loaded import model_meta
from core.data.mnist import data_digest, load_split
from core.data.pixels import to_unit_float
from core.evaluation.metrics import error_per_ink, ink_pixels, per_digit, per_image_mse, psnr
from core.levels import compression_pct, latent_bytes
from core.models.pca import pca_basis
from core.storage.cache import cached_arrays, is_cached

METHODS = ("ae", "pca")


_ink_memo: list[tuple[np.ndarray, np.ndarray]] = []


def _ink_pixels_of(images: np.ndarray) -> np.ndarray:
    """Each digit's ink pixels, counted once per loaded split: every evaluation divides by them, and counting
    converts the whole set to floats."""
    for seen, counts in _ink_memo:
        if seen is images:
            return counts
    counts = ink_pixels(to_unit_float(images))
    _ink_memo[:] = [(images, counts)]
    return counts


def pca_reconstruct(latent_dim: int, images: np.ndarray) -> np.ndarray:
    return pca_basis().reconstruct(to_unit_float(images), latent_dim).astype(np.float32)


def reconstruct(method: str, latent_dim: int, images: np.ndarray) -> np.ndarray:
    if method == "ae":
        from core.models.inference import ae_reconstruct  # torch: only where a model runs, not where records hold

        return ae_reconstruct(latent_dim, images)
    if method == "pca":
        return pca_reconstruct(latent_dim, images)
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def source_key(method: str, latent_dim: ModelRef) -> str:
    """What a method's results at one size are computed from, as a cache key: the weights' digest for the
    auto-encoder (read from its JSON, so no model is loaded), the data's for PCA. Every cache of per-model
    results is keyed by it."""
    if method == "ae":
        return f"ae_d{latent_dim_of(latent_dim):03d}_{model_meta(latent_dim)['weights_sha256'][:16]}"
    return f"pca_d{latent_dim:03d}_{data_digest()}"


@dataclass(frozen=True)
class Evaluation:
    """Per-image results of one method at one size on the test set."""

    method: str
    latent_dim: int
    image_mse: np.ndarray  # (10000,)
    ink_error: np.ndarray  # (10000,) squared error per 100 ink pixels
    labels: np.ndarray  # (10000,)

    @property
    def mse(self) -> float:
        return float(self.image_mse.mean())

    def record(self) -> dict:
        return {
            "method": self.method,
            "latent_dim": self.latent_dim,
            "compression_pct": compression_pct(self.latent_dim),
            "mse": self.mse,
            "psnr": float(psnr(self.mse)),
            "ink_error": float(self.ink_error.mean()),
            "bytes_float32": latent_bytes(self.latent_dim, "float32"),
            "n_images": len(self.image_mse),
        }

    def per_digit(self, value: str = "mse"):
        values = self.image_mse if value == "mse" else self.ink_error
        return per_digit(values, self.labels)


def evaluation_is_cached(method: str, latent_dim: ModelRef) -> bool:
    """Whether `evaluate` would read its per-image errors rather than compute them."""
    return is_cached("eval", source_key(method, latent_dim))


def evaluate(method: str, latent_dim: ModelRef) -> Evaluation:
    """Evaluate one method at one size (or the auto-encoder of a lab model) on the full test set (disk-cached)."""
    test = load_split("test")

    def compute() -> dict[str, np.ndarray]:
        originals = test.float_images()
        return {"image_mse": per_image_mse(originals, reconstruct(method, latent_dim, originals))}

    image_mse = cached_arrays("eval", source_key(method, latent_dim), compute)["image_mse"]
    ink = error_per_ink(image_mse, _ink_pixels_of(test.images), test.images[0].size)
    return Evaluation(method, latent_dim_of(latent_dim), image_mse, ink, np.asarray(test.labels))
