"""Damaged digits for the denoising experiment: Gaussian noise on [0, 1] pixels, clipped back into range.

One function for training (each input noised afresh) and for the test (the test digits noised once,
seeded), so the denoising model is judged on the damage it learned to undo.
"""

from __future__ import annotations

import torch

#: Noise levels (standard deviation, on [0, 1] pixels) the denoising model trains on, one drawn per digit.
TRAIN_SIGMA_RANGE = (0.1, 0.5)
#: The noise on the test digits the claims page scores: inside the trained range, heavy enough to see.
TEST_SIGMA = 0.3


def noised(x: torch.Tensor, sigma: float | torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """`x` (N, ...) in [0, 1] plus Gaussian noise of std `sigma` (a number, or one per image), clipped to [0, 1]."""
    sigma = torch.as_tensor(sigma, dtype=x.dtype)
    if sigma.ndim == 1:
        sigma = sigma.view(-1, *([1] * (x.ndim - 1)))
    return (x + sigma * torch.randn(x.shape, generator=generator, dtype=x.dtype)).clamp_(0.0, 1.0)


def train_sigmas(n: int, generator: torch.Generator) -> torch.Tensor:
    """One noise level per training digit, uniform over TRAIN_SIGMA_RANGE."""
    low, high = TRAIN_SIGMA_RANGE
    return low + (high - low) * torch.rand(n, generator=generator)
