"""A small disk cache of numpy arrays, keyed by what they were computed from.

Keys name their inputs (a checkpoint's weights digest, the data digest, a method and
its settings), so a stale entry can't be served: change an input and the key changes.
Entries are `.npz` files written atomically under a lock, read with pickling disabled.
A damaged entry is treated as missing and recomputed.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.paths import cache_dir
from core.storage.atomic import atomic_write, locked

Arrays = dict[str, np.ndarray]


def cache_path(namespace: str, key: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.=-]", "_", key)
    if len(safe) > 120:
        safe = safe[:80] + "-" + hashlib.sha256(key.encode()).hexdigest()[:16]
    return cache_dir() / namespace / f"{safe}.npz"


def _read(path: Path) -> Arrays | None:
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            return {name: z[name] for name in z.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile):  # torn or bit-flipped: recompute
        return None


def _write(path: Path, arrays: Arrays) -> None:
    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)

    atomic_write(path, write)


def cached_arrays(namespace: str, key: str, compute: Callable[[], Arrays]) -> Arrays:
    """Arrays for `key`, computed once (across processes) and then read from disk."""
    path = cache_path(namespace, key)
    hit = _read(path)
    if hit is not None:
        return hit
    with locked(path):
        hit = _read(path)  # another process may have finished it while we waited
        if hit is not None:
            return hit
        arrays = {k: np.asarray(v) for k, v in compute().items()}
        _write(path, arrays)
        return arrays


def is_cached(namespace: str, key: str) -> bool:
    return _read(cache_path(namespace, key)) is not None
