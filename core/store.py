"""Models for the rest of the program: load each checkpoint once per process.

`load_model(d)` re-reads only the small JSON on each call; the weights are loaded once
per (latent size, weights digest), so a model retrained while the process runs is
picked up, and an unchanged one is never loaded twice.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from core.checkpoints import list_checkpoints, load_checkpoint, read_meta
from core.model import AutoEncoder
from core.paths import checkpoint_dir


@lru_cache(maxsize=32)
def _load(latent_dim: int, weights_sha256: str, folder: Path) -> tuple[AutoEncoder, dict]:
    model, meta = load_checkpoint(latent_dim, folder)
    if meta["weights_sha256"] != weights_sha256:  # replaced between the two reads: try again
        _load.cache_clear()
        return load_checkpoint(latent_dim, folder)
    for p in model.parameters():
        p.requires_grad_(False)
    return model, meta


def load_model_and_meta(latent_dim: int) -> tuple[AutoEncoder, dict]:
    folder = checkpoint_dir()
    meta = read_meta(latent_dim, folder)
    return _load(latent_dim, meta["weights_sha256"], folder)


def load_model(latent_dim: int) -> AutoEncoder:
    """The trained auto-encoder for `latent_dim` (eval mode, CPU, shared: don't train it)."""
    return load_model_and_meta(latent_dim)[0]


def available_latent_dims() -> list[int]:
    """Latent sizes with a checkpoint on disk, smallest first."""
    return list_checkpoints(checkpoint_dir())
