"""One test digit at each of the study's levels: what the home page shows a visitor first.

The reconstructions are kept in the disk cache, keyed by the digit and every study model's
weights digest, so a server that has shown a digit once shows it again without importing
torch: the home page stays as quick to paint as a page of text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.checkpoints.paths import sidecar_digest
from core.data.mnist import load_split
from core.evaluation.metrics import per_image_mse
from core.levels import N_PIXELS, STUDY_LATENT_DIMS, latent_bytes
from core.storage.cache import cached_arrays

#: The digit a first visit shows (a clear 7 from the test set); "Another digit" draws a new one.
FIRST_DIGIT = 0


@dataclass(frozen=True)
class LevelView:
    """One study level's reconstruction of the showcased digit, with what its code costs."""

    latent_dim: int
    reconstruction: np.ndarray  # (28, 28) float32 in [0, 1]
    mse: float
    code_bytes: int  # the code stored as 8-bit numbers, one byte per latent dimension


@dataclass(frozen=True)
class Showcase:
    """A test digit, its label, and its reconstruction at each study level (least compressed first)."""

    index: int
    label: int
    original: np.ndarray
    raw_bytes: int
    levels: tuple[LevelView, ...]


def random_test_index(seed: int) -> int:
    """A test digit drawn by `seed`, so a seed in the URL shows the same digit again."""
    return int(np.random.default_rng(seed).integers(len(load_split("test"))))


def showcase(index: int, latent_dims: tuple[int, ...] = STUDY_LATENT_DIMS) -> Showcase:
    """Test digit `index` and its reconstructions; computed once per set of weights, then read from disk."""
    test = load_split("test")
    if not 0 <= index < len(test):
        raise IndexError(f"test digits are numbered 0 to {len(test) - 1}, got {index}")
    dims = tuple(sorted(latent_dims, reverse=True))
    digests = "-".join(f"{d}.{sidecar_digest(d)[:12]}" for d in dims)
    original = test.float_images([index])

    def compute() -> dict[str, np.ndarray]:
        from core.models.inference import ae_reconstruct  # torch, only when this digit isn't cached yet

        return {"recon": np.stack([ae_reconstruct(d, original)[0] for d in dims])}

    recon = cached_arrays("showcase", f"i{index}_{digests}", compute)["recon"]
    mse = per_image_mse(np.repeat(original, len(dims), axis=0), recon)
    levels = tuple(
        LevelView(d, r, float(m), latent_bytes(d, "uint8")) for d, r, m in zip(dims, recon, mse, strict=True)
    )
    return Showcase(index, int(test.labels[index]), original[0], N_PIXELS, levels)
