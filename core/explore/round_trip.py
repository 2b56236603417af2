"""Digits through the codec and back: the file, its header, and each digit's error once decoded.

What the Compress page shows, computed without streamlit so a script or a test gets the same
figures. Only a few digits' pixels are kept (the first ones and the worst ones): a set of
10,000 decoded digits is 31 MB, and the page shows a dozen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.codec import Header, compress, decompress, read_header
from core.codec.fileformat import FORMAT_VERSION
from core.codec.store import Quality, quality_by_number, read_codec_meta
from core.data.mnist import data_digest, load_split
from core.data.pixels import to_unit_float
from core.data.samples import N_TEST, random_indices
from core.evaluation.metrics import per_image_mse
from core.ratedistortion.records import TARGET_MSE
from core.storage.cache import cached_arrays

#: How test digits are picked: a seeded random sample, or the first N of the test set.
ORDERS = ("random", "first")
#: How many test digits the Compress page puts in its file unless asked for another number.
DEFAULT_TEST_DIGITS = 1000
#: How many digits' pixels a result keeps: the first ones, and as many of the worst.
KEPT = 12
ROUND_TRIP_VERSION = 1  # bump when what a round trip keeps changes, so no stale one is served


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


def default_quality(found: list[Quality]) -> Quality:
    """The fewest bytes whose test error is within the rate–distortion page's target (else the best error)."""
    good = [q for q in found if q.mse <= TARGET_MSE]
    return min(good, key=lambda q: q.bytes_per_digit) if good else min(found, key=lambda q: q.mse)


def pick_test_digits(n: int, order: str = "random", seed: int = 0) -> np.ndarray:
    """`n` test indices (1 to 10,000): a seeded random sample (sorted), or the first `n`."""
    if order not in ORDERS:
        raise ValueError(f"order is one of {', '.join(ORDERS)}, not {order!r}")
    n = int(np.clip(n, 1, N_TEST))
    return np.arange(n) if order == "first" else random_indices(n, seed, most=N_TEST)


def name_of_test_digit(index: int) -> str:
    """A test digit's name, as the codec's command line writes it for `t00042.png`."""
    return f"t{int(index):05d}"


def kept_positions(mse: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positions whose pixels a result keeps: the first KEPT digits, and the KEPT worst (worst first)."""
    return np.arange(min(KEPT, len(mse))), np.argsort(-mse, kind="stable")[:KEPT]


def round_trip(images: np.ndarray, quality: int, names: Sequence[str] | None = None) -> RoundTrip:
    """Compress `images` (N, 28, 28) into one file at `quality`, decode it, and measure each digit's error.

    `names` are written into the file when given; otherwise the file holds pixels only."""
    originals = to_unit_float(images)
    data = compress(images, quality, names=names)
    out = decompress(data)
    mse = per_image_mse(originals, out.images)
    first, worst = kept_positions(mse)
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
    file's), named here as the command line would name them.

    Kept in the disk cache (the file, each digit's error and the kept digits decoded), keyed by the quality's
    model and weights, so the Compress page's default set ships with the records instead of being coded on
    every visit."""
    indices = pick_test_digits(n, order, seed)
    model = quality_by_number(quality).model
    weights = read_codec_meta(model)["weights_sha256"][:16]
    key = f"v{ROUND_TRIP_VERSION}_f{FORMAT_VERSION}_{model}_{weights}_{data_digest()}_n{len(indices)}_{order}_s{seed}"
    test = load_split("test")

    def compute() -> dict[str, np.ndarray]:
        result = round_trip(test.images[indices], quality)
        kept = sorted(result.decoded)
        return {
            "coded": np.frombuffer(result.data, np.uint8),
            "mse": result.mse,
            "kept": np.asarray(kept, np.int64),
            "decoded": np.stack([result.decoded[i] for i in kept]),
        }

    arrays = cached_arrays("round_trips", key, compute)
    data, mse, kept = arrays["coded"].tobytes(), arrays["mse"], arrays["kept"].tolist()
    first, worst = kept_positions(mse)
    originals = to_unit_float(test.images[indices[kept]])
    return RoundTrip(
        data=data,
        header=read_header(data),
        names=[name_of_test_digit(i) for i in indices],
        mse=mse,
        first=first,
        worst=worst,
        originals={i: originals[j] for j, i in enumerate(kept)},
        decoded={i: arrays["decoded"][j] for j, i in enumerate(kept)},
    )
