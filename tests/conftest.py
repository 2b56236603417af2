"""Shared fixtures. Tests that write anything point the project's folders at tmp dirs."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from core.paths import REPO_ROOT


@pytest.fixture
def tmp_checkpoints(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    monkeypatch.setenv("AECL_CHECKPOINT_DIR", str(folder))
    return folder


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("AECL_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def data_copy(tmp_path, monkeypatch) -> Path:
    """A private copy of the MNIST files, safe to damage."""
    folder = tmp_path / "mnist"
    shutil.copytree(REPO_ROOT / "data" / "mnist", folder)
    for f in folder.iterdir():
        f.chmod(0o644)
    monkeypatch.setenv("AECL_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def clear_loader_caches():
    """Per-process caches must not leak between tests that redirect folders."""
    from core.checkpoints.loaded import forget_loaded_models
    from core.data.mnist import load_split

    load_split.cache_clear()
    forget_loaded_models()
    yield
    load_split.cache_clear()
    forget_loaded_models()


@pytest.fixture(scope="session")
def small_mnist() -> tuple[np.ndarray, np.ndarray]:
    """2,000 training and 500 test digits: enough for a loss to move in a few steps."""
    from core.data.mnist import load_split

    return load_split("train").images[:2000], load_split("test").images[:500]
