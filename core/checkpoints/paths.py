"""Where a checkpoint's two files live and what they are called; free of torch.

Kept apart from `core.checkpoints.files` (which loads weights) so that a page that only needs to
know which models exist, or whether one changed, paints without importing torch.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from core.levels import check_latent_dim
from core.paths import checkpoint_dir

NAME_PATTERN = re.compile(r"^ae_d(\d{3})$")


def checkpoint_name(latent_dim: int) -> str:
    return f"ae_d{check_latent_dim(latent_dim):03d}"


@dataclass(frozen=True)
class CheckpointPaths:
    weights: Path
    meta: Path

    @property
    def pending(self) -> Path:
        """New weights of a save in progress, waiting for their JSON to be committed."""
        return self.weights.with_name(self.weights.name + ".pending")

    @classmethod
    def for_latent_dim(cls, latent_dim: int, folder: Path | None = None) -> CheckpointPaths:
        folder = folder or checkpoint_dir()
        name = checkpoint_name(latent_dim)
        return cls(folder / f"{name}.safetensors", folder / f"{name}.json")


def sidecar_digest(latent_dim: int, folder: Path | None = None) -> str:
    """A digest of a checkpoint's JSON sidecar, which names its weights' digest: it changes whenever they do.

    FileNotFoundError when there is no sidecar.
    """
    return hashlib.sha256(CheckpointPaths.for_latent_dim(latent_dim, folder).meta.read_bytes()).hexdigest()
