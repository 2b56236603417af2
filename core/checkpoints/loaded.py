"""Models for the rest of the program: load each checkpoint once per process.

`load_model(d)` re-reads only the small JSON on each call; the weights are loaded once
per (latent size, weights digest), so a model retrained while the process runs is
picked up, and an unchanged one is never loaded twice. A lab model (`core.checkpoints.lab`) is loaded once by
name and then kept: its name is never reused, so its weights never change, and a session showing
it keeps it even after the lab's disk cap removes its files.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from core.checkpoints.files import CheckpointMissingError, list_checkpoints, load_checkpoint, read_meta
from core.checkpoints.lab import ModelRef, is_lab_model, list_lab_models
from core.checkpoints.seeds import is_seed_model
from core.paths import checkpoint_dir, lab_dir, seeds_dir

if TYPE_CHECKING:
    from core.models.autoencoder import AutoEncoder


@lru_cache(maxsize=32)
def _load(latent_dim: ModelRef, weights_sha256: str, folder: Path) -> tuple[AutoEncoder, dict]:
    model, meta = load_checkpoint(latent_dim, folder)
    if meta["weights_sha256"] != weights_sha256:  # replaced between the two reads: try again
        _load.cache_clear()
        return load_checkpoint(latent_dim, folder)
    for p in model.parameters():
        p.requires_grad_(False)
    return model, meta


@lru_cache(maxsize=16)
def _load_lab(name: str, folder: Path) -> tuple[AutoEncoder, dict]:
    model, meta = load_checkpoint(name, folder)
    for p in model.parameters():
        p.requires_grad_(False)
    return model, meta


def forget_loaded_models() -> None:
    """Drop every model this process has loaded (tests that point the folders elsewhere start clean)."""
    _load.cache_clear()
    _load_lab.cache_clear()


def load_model_and_meta(ref: ModelRef) -> tuple[AutoEncoder, dict]:
    """Model and sidecar of a shipped size, a lab or a seed model; CheckpointError (with a message) if it can't be
    had."""
    if is_lab_model(ref):
        return _load_lab(ref, lab_dir())
    folder = seeds_dir() if is_seed_model(ref) else checkpoint_dir()
    meta = read_meta(ref, folder)
    return _load(ref, meta["weights_sha256"], folder)


def model_meta(ref: ModelRef) -> dict:
    """A model's sidecar (the JSON only: cheap). For a lab model whose files the disk cap has removed, the copy
    this process loaded, if it has one; CheckpointMissingError with a message for the visitor otherwise."""
    if is_seed_model(ref):
        return seed_meta(ref)
    if not is_lab_model(ref):
        return read_meta(ref)
    try:
        return read_meta(ref, lab_dir())
    except CheckpointMissingError:
        return load_model_and_meta(ref)[1]


def seed_meta(ref: str) -> dict:
    """A seed model's sidecar; where its weights aren't here, what the shipped records say of it (enough for its
    records' keys); CheckpointMissingError otherwise."""
    try:
        return read_meta(ref)
    except CheckpointMissingError:
        from core.storage.records import read_index

        shipped = read_index().seeds.get(ref)
        if shipped is None:
            raise
        return dict(shipped)


def load_model(ref: ModelRef) -> AutoEncoder:
    """The trained auto-encoder for a shipped latent size or a lab model (eval mode, CPU, shared: don't train it)."""
    return load_model_and_meta(ref)[0]


def lab_models() -> list[str]:
    """Names of the lab models on disk, by latent size then age (see `core.checkpoints.lab`)."""
    return list_lab_models(lab_dir())


def available_latent_dims() -> list[int]:
    """Latent sizes with a checkpoint on disk, smallest first."""
    return list_checkpoints(checkpoint_dir())
