"""Auto-encoder compression lab: data, models, training and metrics, with no UI.

Everything the dashboard shows is computed here, so it can also be used from a script,
a test or the command line (`python -m core.train`, `python -m core.evaluate`).
Heavy modules (torch, sklearn) are imported only when first used, so that importing
`core` for a constant stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from core.levels import (
    SHIPPED_LATENT_DIMS,
    STUDY_LATENT_DIMS,
    STUDY_LEVELS_PCT,
    compression_pct,
    latent_bytes,
    latent_dim_for,
)

_LAZY = {
    "DataError": "core.data.mnist",
    "load_split": "core.data.mnist",
    "AutoEncoder": "core.models.autoencoder",
    "ModelConfig": "core.models.autoencoder",
    "TrainConfig": "core.training.trainer",
    "train": "core.training.trainer",
    "CheckpointError": "core.checkpoints.files",
    "CheckpointMissingError": "core.checkpoints.files",
    "save_checkpoint": "core.checkpoints.files",
    "load_model": "core.checkpoints.loaded",
    "available_latent_dims": "core.checkpoints.loaded",
    "evaluate": "core.evaluation.evaluate",
    "prepare_digit": "core.data.user_digit",
    "InvalidImageError": "core.data.user_digit",
}

__all__ = [
    "SHIPPED_LATENT_DIMS",
    "STUDY_LATENT_DIMS",
    "STUDY_LEVELS_PCT",
    "compression_pct",
    "latent_bytes",
    "latent_dim_for",
    *_LAZY,
]

if TYPE_CHECKING:  # pragma: no cover
    from core.checkpoints.files import CheckpointError, CheckpointMissingError, save_checkpoint  # noqa: F401
    from core.checkpoints.loaded import available_latent_dims, load_model  # noqa: F401
    from core.data.mnist import DataError, load_split  # noqa: F401
    from core.data.user_digit import InvalidImageError, prepare_digit  # noqa: F401
    from core.evaluation.evaluate import evaluate  # noqa: F401
    from core.models.autoencoder import AutoEncoder, ModelConfig  # noqa: F401
    from core.training.trainer import TrainConfig, train  # noqa: F401


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'core' has no attribute {name!r}")
