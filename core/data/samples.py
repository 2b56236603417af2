"""Which test digits to show: a seeded random sample, N per class, or indices typed by a user."""

from __future__ import annotations

import re

import numpy as np

from core.data.mnist import load_split

N_TEST = 10_000
MAX_SHOWN = 60


def random_indices(n: int, seed: int, most: int = MAX_SHOWN) -> np.ndarray:
    """`n` distinct test indices (at least 1, at most `most`), sorted, the same for the same seed."""
    n = int(np.clip(n, 1, min(most, N_TEST)))
    return np.sort(np.random.default_rng(seed).choice(N_TEST, size=n, replace=False))


def per_class_indices(per_class: int, seed: int) -> np.ndarray:
    """`per_class` random test digits of each class 0-9, ordered by class."""
    per_class = int(np.clip(per_class, 1, MAX_SHOWN // 10))
    labels = np.asarray(load_split("test").labels)
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.choice(np.flatnonzero(labels == d), per_class, replace=False) for d in range(10)])


def parse_indices(text: str) -> np.ndarray:
    """Parse "3, 17, 100-104" into test indices; ValueError with a user-facing message."""
    found: list[int] = []
    for part in filter(None, (p.strip() for p in re.split(r"[,\s]+", text or ""))):
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not m:
            raise ValueError(f"“{part}” is not an index or a range like 10-15.")
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if hi < lo or hi >= N_TEST:
            raise ValueError(f"“{part}”: test indices run from 0 to {N_TEST - 1}.")
        found.extend(range(lo, hi + 1))
        if len(found) > MAX_SHOWN:
            raise ValueError(f"At most {MAX_SHOWN} digits at once.")
    if not found:
        raise ValueError("Type at least one test index, for example: 0, 7, 42-45.")
    return np.array(list(dict.fromkeys(found)))


def sample_digits() -> np.ndarray:
    """One test digit per class (the same ones every time): the row that sharpens as a job trains."""
    return load_split("test").float_images(per_class_indices(1, seed=0)).astype(np.float32)
