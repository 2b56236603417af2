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
    "DataError": "core.data",
    "load_split": "core.data",
    "AutoEncoder": "core.model",
    "ModelConfig": "core.model",
    "TrainConfig": "core.train",
    "train": "core.train",
    "CheckpointError": "core.checkpoints",
    "CheckpointMissingError": "core.checkpoints",
    "save_checkpoint": "core.checkpoints",
    "load_model": "core.store",
    "available_latent_dims": "core.store",
    "evaluate": "core.evaluate",
    "prepare_digit": "core.digit",
    "InvalidImageError": "core.digit",
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
    from core.checkpoints import CheckpointError, CheckpointMissingError, save_checkpoint  # noqa: F401
    from core.data import DataError, load_split  # noqa: F401
    from core.digit import InvalidImageError, prepare_digit  # noqa: F401
    from core.evaluate import evaluate  # noqa: F401
    from core.model import AutoEncoder, ModelConfig  # noqa: F401
    from core.store import available_latent_dims, load_model  # noqa: F401
    from core.train import TrainConfig, train  # noqa: F401


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'core' has no attribute {name!r}")
