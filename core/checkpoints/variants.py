"""The claims page's own models: d=16 auto-encoders trained differently from the shipped one.

A *variant* is a checkpoint pair named `ae_d016_<variant>` beside the shipped sizes: `digits04` learned
digits 0–4 only (does an auto-encoder specialise?), `denoise` learned to give the clean digit back from
a noisy one (does it keep what matters?). Their names never match `NAME_PATTERN`, so they are never
listed, loaded or overwritten as a shipped size; they are written and read by the same locked, verified
code as every other model (`core.checkpoints.files`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from core.checkpoints.card import model_card
from core.checkpoints.files import (
    CheckpointError,
    CheckpointMissingError,
    CheckpointPaths,
    load_pair,
)
from core.checkpoints.paths import checkpoint_name
from core.levels import IMAGE_SIDE
from core.models.autoencoder import AutoEncoder, ModelConfig
from core.models.inference import as_input, in_batches
from core.models.torch_thread import on_torch_thread
from core.paths import checkpoint_dir

#: The latent size every variant is trained at: the shipped d=16 is what each is compared with.
VARIANT_LATENT_DIM = 16
REBUILD_COMMAND = "python -m core.rebuild --variants  (or: make checkpoints)"


@dataclass(frozen=True)
class Variant:
    """What a variant learns, in a phrase for its model card, and which digits it trains on."""

    name: str
    trained_on: str
    digits: tuple[int, ...] = tuple(range(10))
    noisy_inputs: bool = False


VARIANTS: dict[str, Variant] = {
    "digits04": Variant("digits04", "training digits 0–4 only", digits=(0, 1, 2, 3, 4)),
    "denoise": Variant(
        "denoise", "all 60,000 digits, each input noised (targets clean); warm-started from ae_d016", noisy_inputs=True
    ),
}


def variant_stem(name: str) -> str:
    """The file stem of a variant, e.g. `ae_d016_digits04`."""
    if name not in VARIANTS:
        raise ValueError(f"unknown variant {name!r}; known: {', '.join(VARIANTS)}")
    return f"{checkpoint_name(VARIANT_LATENT_DIM)}_{name}"


def variant_paths(name: str, folder: Path | None = None) -> CheckpointPaths:
    folder = Path(folder or checkpoint_dir())
    stem = variant_stem(name)
    return CheckpointPaths(folder / f"{stem}.safetensors", folder / f"{stem}.json")


def read_variant_meta(name: str, folder: Path | None = None) -> dict:
    """A variant's JSON sidecar, checked; CheckpointMissingError (with the rebuild command) when absent."""
    paths = variant_paths(name, folder)
    if not paths.meta.is_file():
        raise CheckpointMissingError(
            f"The {variant_stem(name)} model is not in {paths.meta.parent}. Build it with: {REBUILD_COMMAND}"
        )
    try:
        meta = json.loads(paths.meta.read_text())
        ModelConfig.from_dict(meta["model"])
        meta["weights_sha256"]
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(
            f"{paths.meta.name} is unreadable ({type(exc).__name__}: {exc}). Rebuild it with: {REBUILD_COMMAND}"
        ) from exc
    return meta


@lru_cache(maxsize=4)
def _load(name: str, weights_sha256: str, folder: Path) -> tuple[AutoEncoder, dict]:
    model, meta = load_pair(
        variant_paths(name, folder),
        lambda: read_variant_meta(name, folder),
        lambda meta: AutoEncoder(ModelConfig.from_dict(meta["model"])),
        f"Rebuild it with: {REBUILD_COMMAND}",
    )
    for p in model.parameters():
        p.requires_grad_(False)
    return model, meta


def load_variant(name: str) -> tuple[AutoEncoder, dict]:
    """A variant's model (eval mode, CPU, shared) and sidecar, loaded once per weights digest."""
    folder = checkpoint_dir()
    return _load(name, read_variant_meta(name, folder)["weights_sha256"], folder)


def variant_card(name: str) -> list[tuple[str, str]]:
    """The model card of a variant: the shipped card's rows, with what it was trained on."""
    meta = read_variant_meta(name)
    rows = model_card(VARIANT_LATENT_DIM, meta=meta)
    trained_on = VARIANTS[name].trained_on
    return [(k, trained_on if k == "training data" else v) for k, v in rows]


@on_torch_thread
@torch.no_grad()
def variant_reconstruct(name: str, images: np.ndarray) -> np.ndarray:
    """A variant's reconstructions (N, 28, 28) float32 in [0, 1] of uint8 or [0, 1] float images, in batches."""
    net = load_variant(name)[0]
    out = in_batches(net, as_input(images))
    return torch.cat(out).numpy().reshape(-1, IMAGE_SIDE, IMAGE_SIDE) if out else np.zeros((0, IMAGE_SIDE, IMAGE_SIDE))


def variant_source_key(name: str) -> str:
    """A cache key naming a variant's weights (read from its JSON, no model loaded)."""
    return f"{variant_stem(name)}_{read_variant_meta(name)['weights_sha256'][:16]}"
