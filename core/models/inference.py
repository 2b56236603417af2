"""The auto-encoder at work outside training: batched encode, decode and reconstruct of a saved model.

Every view that runs a model goes through here (embedding, latent explorer, rate–distortion,
evaluation), on the shared inference thread (`core.models.torch_thread`), in batches so
memory stays flat whatever the number of digits.
"""

from __future__ import annotations

import numpy as np
import torch

from core.checkpoints.lab import ModelRef, latent_dim_of
from core.checkpoints.loaded import load_model_and_meta
from core.data.pixels import to_unit_float
from core.levels import IMAGE_SIDE
from core.models.torch_thread import on_torch_thread

#: Digits per forward pass.
BATCH_SIZE = 1000


def in_batches(fn, x: torch.Tensor) -> list[torch.Tensor]:
    """`fn` over `x` in BATCH_SIZE slices, so memory stays flat whatever the number of digits (every model's
    inference batches this way, the codec's included)."""
    return [fn(x[i : i + BATCH_SIZE]) for i in range(0, len(x), BATCH_SIZE)]


def as_input(images: np.ndarray) -> torch.Tensor:
    """uint8 or [0, 1] float images (N, 28, 28) as the (N, 1, 28, 28) float32 tensor a model takes."""
    return torch.from_numpy(to_unit_float(images).reshape(-1, 1, IMAGE_SIDE, IMAGE_SIDE))


@on_torch_thread
@torch.no_grad()
def ae_encode(model: ModelRef, images: np.ndarray) -> np.ndarray:
    """Codes (N, latent_dim) of uint8 or [0, 1] float images (N, 28, 28), by a shipped size or a lab model."""
    net, _ = load_model_and_meta(model)
    out = in_batches(net.encoder, as_input(images))
    return torch.cat(out).numpy() if out else np.zeros((0, latent_dim_of(model)), np.float32)


@on_torch_thread
@torch.no_grad()
def ae_decode(model: ModelRef, codes: np.ndarray) -> np.ndarray:
    """Images (N, 28, 28) in [0, 1] for codes (N, latent_dim) (or one code of shape (latent_dim,))."""
    net, _ = load_model_and_meta(model)
    z = torch.from_numpy(np.asarray(codes, np.float32).reshape(-1, latent_dim_of(model)))
    out = in_batches(net.decoder, z)
    return (
        torch.cat(out).numpy().reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
        if out
        else np.zeros((0, IMAGE_SIDE, IMAGE_SIDE), np.float32)
    )


@on_torch_thread
@torch.no_grad()
def ae_reconstruct(model: ModelRef, images: np.ndarray) -> np.ndarray:
    """Reconstructions (N, 28, 28) float32 in [0, 1] of uint8 or [0, 1] float images."""
    net, _ = load_model_and_meta(model)
    out = in_batches(net, as_input(images))
    return (
        torch.cat(out).numpy().reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
        if out
        else np.zeros((0, IMAGE_SIDE, IMAGE_SIDE), np.float32)
    )
