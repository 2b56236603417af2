"""Recognisability: does a reconstruction still read as the digit it was?

The study says that at 99 % a "2" starts to look like an "8" and a "4" like a "9", and
that most digits stay recognisable. We measure it: the shipped classifier
(`core.checkpoints.classifier`) reads the 10,000 test digits and each method's reconstructions of
them at every level. Its accuracy is the share read as their true label; the confusion
matrix counts which digit is read as which, and the most confused pairs are spelled out
in words.

Predictions are kept in the disk cache keyed by the classifier's weights digest and the
reconstruction's source (an auto-encoder's weights digest, or PCA's data digest), so a
page shows them instantly and a retrained model is never served stale results.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.checkpoints.classifier import classify, read_classifier_meta
from core.data.mnist import data_digest, load_split
from core.evaluation.evaluate import reconstruct, source_key
from core.evaluation.metrics import binomial_ci
from core.evaluation.verdicts import Verdict, verdict
from core.levels import IMAGE_SIDE, compression_pct
from core.storage.cache import cached_arrays

DIGIT_PLURALS = ("zeros", "ones", "twos", "threes", "fours", "fives", "sixes", "sevens", "eights", "nines")
DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
ORIGINAL = "original"


#: What the Recognisability page shows of a level: its most confused pairs, and so many examples of each.
SHOWN_PAIRS, SHOWN_EXAMPLES = 3, 8


def _with_article(word: str) -> str:
    return ("an " if word[0] in "aeio" else "a ") + word


def predictions(method: str, latent_dim: int | None = None) -> np.ndarray:
    """The classifier's reading (N,) of the test digits (`method` "original") or of a method's reconstructions."""
    clf_sha = read_classifier_meta()["weights_sha256"][:16]
    test = load_split("test")
    if method == ORIGINAL:
        source = f"original_{data_digest()}"

        def compute() -> dict[str, np.ndarray]:
            return {"pred": classify(test.images).argmax(1).astype(np.uint8)}
    else:
        source = source_key(method, latent_dim)

        def compute() -> dict[str, np.ndarray]:
            recon = reconstruct(method, latent_dim, test.float_images())
            return {"pred": classify(recon).argmax(1).astype(np.uint8)}

    return cached_arrays("recognition", f"clf_{clf_sha}_{source}", compute)["pred"]


def classifier_accuracy(method: str, latent_dim: int | None = None) -> float:
    """Share of the test digits (or their reconstructions) read as their true label."""
    return float((predictions(method, latent_dim) == load_split("test").labels).mean())


def recognition_records(latent_dims: list[int]) -> list[dict]:
    """One record per (method, size) with `classifier_accuracy`, plus one for the original digits."""
    rows = [
        {
            "method": m,
            "latent_dim": d,
            "compression_pct": compression_pct(d),
            "classifier_accuracy": classifier_accuracy(m, d),
        }
        for d in latent_dims
        for m in ("ae", "pca")
    ]
    return [*rows, {"method": ORIGINAL, "classifier_accuracy": classifier_accuracy(ORIGINAL)}]


def confusion(method: str, latent_dim: int | None = None) -> np.ndarray:
    """10 x 10 counts: row = true digit, column = the classifier's reading."""
    labels = np.asarray(load_split("test").labels, dtype=np.int64)
    pred = predictions(method, latent_dim).astype(np.int64)
    return np.bincount(labels * 10 + pred, minlength=100).reshape(10, 10)


@dataclass(frozen=True)
class ConfusedPair:
    true: int
    read_as: int
    count: int  # digits `true` read as `read_as`
    n_true: int  # all test digits `true`

    def sentence(self, where: str) -> str:
        """E.g. 'at 99.0 %, 23 of the 1,032 twos are read as eights'."""
        verb = (
            "is read as " + _with_article(DIGIT_NAMES[self.read_as])
            if self.count == 1
            else ("are read as " + DIGIT_PLURALS[self.read_as])
        )
        return f"{where}, {self.count:,} of the {self.n_true:,} {DIGIT_PLURALS[self.true]} {verb}"


def most_confused(matrix: np.ndarray, top: int = 3) -> list[ConfusedPair]:
    """The `top` largest off-diagonal cells (ties: smaller digits first); empty cells are left out."""
    m = np.asarray(matrix)
    cells = [(int(m[t, p]), t, p) for t in range(10) for p in range(10) if t != p and m[t, p] > 0]
    cells.sort(key=lambda c: (-c[0], c[1], c[2]))
    return [ConfusedPair(t, p, n, int(m[t].sum())) for n, t, p in cells[:top]]


def pair_examples(method: str, latent_dim: int | None, true: int, read_as: int, k: int = 6) -> np.ndarray:
    """Test indices (first `k`) of digits `true` whose reconstruction is read as `read_as`."""
    labels = np.asarray(load_split("test").labels)
    hits = np.flatnonzero((labels == true) & (predictions(method, latent_dim) == read_as))
    return hits[:k]


def pair_reconstructions(
    method: str, latent_dim: int, true: int, read_as: int, k: int = 6
) -> tuple[np.ndarray, np.ndarray]:
    """`pair_examples`' test digits and the method's reconstructions of them, kept in the disk cache (and so
    shipped for the default levels): the page shows them without running a model."""
    clf_sha = read_classifier_meta()["weights_sha256"][:16]
    key = f"pairs_clf_{clf_sha}_{source_key(method, latent_dim)}_{true}to{read_as}_k{k}"

    def compute() -> dict[str, np.ndarray]:
        indices = pair_examples(method, latent_dim, true, read_as, k)
        return {
            "indices": indices,
            "reconstructions": reconstruct(method, latent_dim, load_split("test").float_images(indices)),
        }

    arrays = cached_arrays("recognition_examples", key, compute)
    return arrays["indices"], arrays["reconstructions"]


def read_digit(image: np.ndarray) -> tuple[int, float]:
    """The classifier's reading of one 28x28 digit in [0, 1], and how sure it is (probability)."""
    return read_digits([image])[0]


def read_digits(images: list[np.ndarray]) -> list[tuple[int, float]]:
    """Readings of several digits in one batch (one forward pass, not one per digit)."""
    p = classify(np.stack([np.asarray(im, np.float32).reshape(IMAGE_SIDE, IMAGE_SIDE) for im in images]))
    return [(int(row.argmax()), float(row.max())) for row in p]


def confusion_verdict(matrix: np.ndarray, original_matrix: np.ndarray, true: int, read_as: int, where: str) -> Verdict:
    """The claim "a `true` reads as a `read_as`" after compression: it holds where the share of `true` digits
    read as `read_as` in the reconstructions, with its Wilson 95 % interval, lies above that share among the
    original digits (what the classifier misreads without any compression)."""
    m, o = np.asarray(matrix), np.asarray(original_matrix)
    share = binomial_ci(int(m[true, read_as]), int(m[true].sum()))
    baseline = float(o[true, read_as] / max(o[true].sum(), 1))
    return verdict(
        f"The study's claim that {_with_article(DIGIT_NAMES[true])} reads as "
        f"{_with_article(DIGIT_NAMES[read_as])} {where}",
        *share,
        threshold=baseline,
        measure=f"share of {DIGIT_PLURALS[true]} read as {DIGIT_PLURALS[read_as]}",
        fmt=".2%",
    )
