"""A small disk cache of numpy arrays, keyed by what they were computed from.

Keys name their inputs (a checkpoint's weights digest, the data digest, a method and
its settings), so a stale entry can't be served: change an input and the key changes.
Entries are `.npz` files written atomically under a lock, read with pickling disabled.
A damaged entry is treated as missing and recomputed.

Behind the disk cache stand the shipped records (`core.storage.records`): the same entries, computed
from the shipped models and committed, so a fresh clone reads what it would otherwise compute.
`noting_entries` lists the entries a piece of work reads, which is how `make records` knows what to ship.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from core.paths import cache_dir
from core.storage.atomic import atomic_write, locked
from core.storage.records import record_path

Arrays = dict[str, np.ndarray]
#: While `noting_entries` runs: every (namespace, key) asked for, with the file that answered it.
_noted: dict[tuple[str, str], Path] | None = None


class MissingRecord(LookupError):
    """Raised instead of computing, inside `noting_entries(compute=False)`: the entry is neither cached nor shipped."""


_computing_allowed = True


@contextlib.contextmanager
def noting_entries(compute: bool = True) -> Iterator[dict[tuple[str, str], Path]]:
    """Collect the entries `cached_arrays` serves while the block runs; with `compute=False`, a missing one
    raises MissingRecord instead of being computed (a check that everything needed is there)."""
    global _noted, _computing_allowed
    saved = _noted, _computing_allowed
    _noted, _computing_allowed = {}, compute
    try:
        yield _noted
    finally:
        _noted, _computing_allowed = saved


def _note(namespace: str, key: str, path: Path) -> None:
    if _noted is not None:
        _noted[(namespace, key)] = path


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
    hit, source = _read(path), path
    if hit is None and (shipped := record_path(namespace, key)) is not None:
        hit, source = _read(shipped), shipped
    if hit is None:
        if not _computing_allowed:
            raise MissingRecord(f"no record for {namespace}/{key}")
        with locked(path):
            hit = _read(path)  # another process may have finished it while we waited
            if hit is None:
                hit = {k: np.asarray(v) for k, v in compute().items()}
                _write(path, hit)
    _note(namespace, key, source)
    return hit


def is_cached(namespace: str, key: str) -> bool:
    """Whether the entry can be read without computing it (from the disk cache or a shipped record)."""
    return _read(cache_path(namespace, key)) is not None or record_path(namespace, key) is not None
