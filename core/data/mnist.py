"""MNIST, parsed from the IDX files the repo ships, verified, and cached as arrays.

We parse IDX ourselves because the shipped .gz files are re-compressed copies that
torchvision's downloader would reject. Integrity is checked on the *decompressed* bytes
(their digests don't depend on the gzip tool) against digests kept in this module.
Decompressing and hashing takes a few seconds, so the decoded arrays are cached as
`.npy` next to a stamp of the source file's size and mtime; a second load in a new
process is a memory-map away. The cache is rebuilt whenever its source changes.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from core.data.pixels import to_unit_float
from core.paths import cache_dir, data_dir
from core.storage.atomic import atomic_write, atomic_write_text, locked

#: SHA-256 of the decompressed IDX files (LeCun, Cortes & Burges' MNIST).
RAW_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

RESTORE_HINT = "Restore it with: cp ../shared/data/mnist/*.gz data/mnist/  (or `git checkout -- data/mnist`)"

IMAGE_MAGIC, LABEL_MAGIC = 2051, 2049


class DataError(RuntimeError):
    """MNIST is missing or damaged; the message names the file and how to restore it."""


@dataclass(frozen=True)
class Split:
    """One split of MNIST: `images` uint8 (N, 28, 28), `labels` uint8 (N,)."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def float_images(self, indices=None) -> np.ndarray:
        """Pixels as float32 in [0, 1], the scale every metric is computed on; only the rows asked for.

        Converting the whole test set makes a 31 MB copy, so pages that show a dozen digits ask for
        just those rows."""
        images = self.images if indices is None else self.images[indices]
        return to_unit_float(images)


def data_digest() -> str:
    """One digest naming exactly this copy of MNIST; checkpoints record it."""
    joined = "".join(f"{name}:{RAW_SHA256[name]};" for name in sorted(RAW_SHA256))
    return hashlib.sha256(joined.encode()).hexdigest()[:16]


def _read_verified(name: str) -> bytes:
    path = data_dir() / f"{name}.gz"
    if not path.is_file():
        raise DataError(f"MNIST file {path} is missing. {RESTORE_HINT}")
    try:
        raw = gzip.decompress(path.read_bytes())
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(f"MNIST file {path} is corrupt (not a readable gzip: {exc}). {RESTORE_HINT}") from exc
    digest = hashlib.sha256(raw).hexdigest()
    if digest != RAW_SHA256[name]:
        raise DataError(
            f"MNIST file {path} is corrupt: SHA-256 of its contents is {digest[:12]}…, "
            f"expected {RAW_SHA256[name][:12]}…. {RESTORE_HINT}"
        )
    return raw


def _parse_idx(raw: bytes, name: str) -> np.ndarray:
    magic = struct.unpack(">I", raw[:4])[0]
    if magic == IMAGE_MAGIC:
        n, rows, cols = struct.unpack(">III", raw[4:16])
        return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, rows, cols)
    if magic == LABEL_MAGIC:
        (n,) = struct.unpack(">I", raw[4:8])
        return np.frombuffer(raw, dtype=np.uint8, offset=8).reshape(n)
    raise DataError(f"MNIST file {name} has unknown IDX magic {magic}. {RESTORE_HINT}")


def _save_npy(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as fh:
        np.save(fh, array, allow_pickle=False)


def _stamp(name: str) -> str:
    st = (data_dir() / f"{name}.gz").stat()
    return json.dumps({"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": RAW_SHA256[name]})


def _load_array(name: str) -> np.ndarray:
    """Decoded array for one IDX file, from the disk cache when its stamp still matches."""
    source = data_dir() / f"{name}.gz"
    if not source.is_file():
        raise DataError(f"MNIST file {source} is missing. {RESTORE_HINT}")
    cached = cache_dir() / "mnist" / f"{name}.npy"
    stamp_file = cached.with_suffix(".stamp.json")
    stamp = _stamp(name)
    if cached.is_file() and stamp_file.is_file() and stamp_file.read_text() == stamp:
        try:
            return np.load(cached, mmap_mode="r", allow_pickle=False)
        except (ValueError, OSError):
            pass  # a damaged cache file is simply rebuilt below
    with locked(cached):
        array = _parse_idx(_read_verified(name), name)
        atomic_write(cached, lambda tmp: _save_npy(tmp, array))
        atomic_write_text(stamp_file, stamp)
    return array


@lru_cache(maxsize=4)
def load_split(split: str) -> Split:
    """The `train` (60k) or `test` (10k) split, verified and cached."""
    if split not in SPLIT_FILES:
        raise ValueError(f"split must be one of {sorted(SPLIT_FILES)}, got {split!r}")
    images_name, labels_name = SPLIT_FILES[split]
    images, labels = _load_array(images_name), _load_array(labels_name)
    if len(images) != len(labels):
        raise DataError(f"MNIST {split}: {len(images)} images but {len(labels)} labels. {RESTORE_HINT}")
    return Split(images=images, labels=labels)


def verify_all() -> None:
    """Re-hash every source file (ignores the cache); raises DataError on the first bad one."""
    for name in RAW_SHA256:
        _parse_idx(_read_verified(name), name)


def cache_path_for(name: str) -> Path:
    """Where the decoded array of one IDX file is cached (tests inspect it)."""
    return cache_dir() / "mnist" / f"{name}.npy"
