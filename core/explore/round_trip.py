"""Digits through the codec and back: the file, its header, and each digit's error once decoded.

What the Compress page shows, computed without streamlit so a script or a test gets the same
figures. Only a few digits' pixels are kept (the first ones and the worst ones): a set of
10,000 decoded digits is 31 MB, and the page shows a dozen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from core.codec import Header, compress, decompress
from core.data.mnist import load_split
from core.data.pixels import to_unit_float
from core.data.samples import N_TEST, random_indices
from core.evaluation.metrics import per_image_mse

#: How test digits are picked: a seeded random sample, or the first N of the test set.
ORDERS = ("random", "first")
#: How many digits' pixels a result keeps: the first ones, and as many of the worst.
KEPT = 12


@dataclass(frozen=True)
class RoundTrip:
    """One file of N digits and what comes back out of it."""

    data: bytes  # the file, as `core.codec.compress` wrote it
    header: Header
    names: list[str]  # each digit's name (a test digit's "t00042", an upload's file name)
    mse: np.ndarray  # (N,) each digit's error once decoded
    first: np.ndarray  # positions of the first KEPT digits
    worst: np.ndarray  # positions of the KEPT worst digits, worst first
    originals: dict[int, np.ndarray]  # position -> (28, 28) float32, for `first` and `worst`
    decoded: dict[int, np.ndarray]

    @property
    def bytes_per_digit(self) -> float:
        return len(self.data) / len(self.mse)


def pick_test_digits(n: int, order: str = "random", seed: int = 0) -> np.ndarray:
    """`n` test indices (1 to 10,000): a seeded random sample (sorted), or the first `n`."""
    if order not in ORDERS:
        raise ValueError(f"order is one of {', '.join(ORDERS)}, not {order!r}")
    n = int(np.clip(n, 1, N_TEST))
    return np.arange(n) if order == "first" else random_indices(n, seed, most=N_TEST)


def name_of_test_digit(index: int) -> str:
    """A test digit's name, as the codec's command line writes it for `t00042.png`."""
    return f"t{int(index):05d}"


def round_trip(images: np.ndarray, quality: int, names: Sequence[str] | None = None) -> RoundTrip:
    """Compress `images` (N, 28, 28) into one file at `quality`, decode it, and measure each digit's error.

    `names` are written into the file when given; otherwise the file holds pixels only."""
    originals = to_unit_float(images)
    data = compress(images, quality, names=names)
    out = decompress(data)
    mse = per_image_mse(originals, out.images)
    first = np.arange(min(KEPT, len(mse)))
    worst = np.argsort(-mse, kind="stable")[:KEPT]
    kept = sorted({*first.tolist(), *worst.tolist()})
    return RoundTrip(
        data=data,
        header=out.header,
        names=list(names) if names is not None else [""] * len(mse),
        mse=mse,
        first=first,
        worst=worst,
        originals={i: originals[i] for i in kept},
        decoded={i: out.images[i] for i in kept},
    )


def round_trip_test_digits(n: int, quality: int, order: str = "random", seed: int = 0) -> RoundTrip:
    """`n` test digits through the codec: stored without names (a digit's index is ours to know, not the
    file's), named here as the command line would name them."""
    indices = pick_test_digits(n, order, seed)
    result = round_trip(load_split("test").images[indices], quality)
    return replace(result, names=[name_of_test_digit(i) for i in indices])
