"""A user's own digit through every trained level: reconstructions, codes, and a sanity flag.

The flag. A drawing unlike anything in MNIST (a letter, a scribble, two digits) is still
"reconstructed", just badly, and a visitor should be told that the model is out of its
depth rather than that compression failed. We compare the digit's error at each level
with the distribution of errors on the 10,000 test digits at that level: above the 99th
percentile at a level counts as unusual there, and a digit unusual at most levels is
called unlike MNIST.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from core.checkpoints.lab import ModelRef, latent_dim_of
from core.checkpoints.loaded import load_model_and_meta
from core.evaluation.evaluate import evaluate
from core.levels import IMAGE_SIDE
from core.models.torch_thread import on_torch_thread

UNUSUAL_PERCENTILE = 99.0


@dataclass(frozen=True)
class LevelResult:
    model: ModelRef  # a shipped latent size, or a lab model's name
    reconstruction: np.ndarray  # (28, 28) float32
    code: np.ndarray  # (latent_dim,) float32
    mse: float
    test_percentile: float  # share of test digits with a lower error, in %
    threshold: float  # the test set's 99th-percentile error at this level

    @property
    def latent_dim(self) -> int:
        return latent_dim_of(self.model)

    @property
    def unusual(self) -> bool:
        return self.mse > self.threshold


@lru_cache(maxsize=64)
def _sorted_test_errors(latent_dim: ModelRef, weights_sha256: str) -> np.ndarray:
    """The test set's per-image errors at one level, sorted; kept in memory (the page's hot path)."""
    return np.sort(evaluate("ae", latent_dim).image_mse)


@on_torch_thread
@torch.no_grad()
def reconstruct_everywhere(digit: np.ndarray, latent_dims: list[ModelRef]) -> list[LevelResult]:
    """The digit (28x28 in [0, 1]) encoded and decoded by each model (shipped sizes and lab models)."""
    x = torch.from_numpy(np.asarray(digit, np.float32).reshape(1, 1, IMAGE_SIDE, IMAGE_SIDE))
    results = []
    for d in latent_dims:
        model, meta = load_model_and_meta(d)
        code = model.encoder(x)
        recon = model.decoder(code).numpy().reshape(IMAGE_SIDE, IMAGE_SIDE)
        mse = float(np.mean((recon - digit) ** 2))
        test_errors = _sorted_test_errors(d, meta["weights_sha256"])
        results.append(
            LevelResult(
                model=d,
                reconstruction=recon,
                code=code.numpy().reshape(-1),
                mse=mse,
                test_percentile=float(np.searchsorted(test_errors, mse) / len(test_errors) * 100),
                threshold=float(np.percentile(test_errors, UNUSUAL_PERCENTILE)),
            )
        )
    return results


def unlike_mnist(results: list[LevelResult]) -> bool:
    """Unusual at more than half of the levels."""
    return sum(r.unusual for r in results) * 2 > len(results)


def mnist_likeness(results: list[LevelResult]) -> str:
    """One sentence for the page about how MNIST-like the digit is."""
    n_unusual = sum(r.unusual for r in results)
    worst = max(results, key=lambda r: r.test_percentile)
    if unlike_mnist(results):
        return (
            f"This doesn't look like an MNIST digit to the models: at {n_unusual} of {len(results)} levels its "
            f"error is above the {UNUSUAL_PERCENTILE:.0f}th percentile of the 10,000 test digits. Expect poor "
            "reconstructions for that reason, not just because of compression."
        )
    return (
        f"Looks like an MNIST digit: its error is within the range of the test digits at "
        f"{len(results) - n_unusual} of {len(results)} levels (worst: d={worst.latent_dim}, "
        f"higher than {worst.test_percentile:.0f}% of test digits)."
    )
