"""Where the project's files live: one definition, so tests and tools can redirect them.

Every folder can be moved with an environment variable. Tests point the checkpoint and
cache folders at temporary directories this way, so they never touch the shipped files.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """Folder holding the gzipped MNIST IDX files (a copy of ../shared/data/mnist)."""
    return Path(os.environ.get("AECL_DATA_DIR", REPO_ROOT / "data" / "mnist"))


def checkpoint_dir() -> Path:
    """Folder of `<name>.safetensors` + `<name>.json` pairs."""
    return Path(os.environ.get("AECL_CHECKPOINT_DIR", REPO_ROOT / "checkpoints"))


def lab_dir() -> Path:
    """Models trained in the dashboard's Model lab, kept apart from the shipped checkpoints.

    Inside the checkpoint folder by default (so moving that folder moves the lab too); a deployment
    whose checkpoint folder is read-only points AECL_LAB_DIR somewhere writable.
    """
    return Path(os.environ.get("AECL_LAB_DIR", checkpoint_dir() / "lab"))


def cache_dir() -> Path:
    """Disk cache for decoded arrays, PCA fits, metrics and embeddings; safe to delete."""
    return Path(os.environ.get("AECL_CACHE_DIR", REPO_ROOT / ".cache"))


def seeds_dir() -> Path:
    """Weights of the study levels' extra training seeds (`make seeds`): git-ignored, since only their records ship."""
    return Path(os.environ.get("AECL_SEEDS_DIR", cache_dir() / "seeds"))


@contextmanager
def redirected(**values: str) -> Iterator[None]:
    """Set environment variables (e.g. AECL_CHECKPOINT_DIR) for the block, then restore them."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
