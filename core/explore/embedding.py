"""Originals and their reconstructions embedded together in 2-D, and how well they mix.

Methods: t-SNE (as in the study), UMAP and PCA. t-SNE uses openTSNE (Barnes-Hut gradient
on two threads, exact neighbours, 125 exaggerated + 200 normal iterations) on a
50-component PCA of the pixels: at a few thousand points that is much quicker than
scikit-learn's `TSNE()` on the raw pixels and gives the same overlap number
(bench/design_notes.md). Embeddings are cached on disk per (checkpoint weights, method,
sample size, seed), because even a fast t-SNE is seconds and a page switch should be
instant.

Overlap. For each point we look at its k nearest neighbours in the 2-D map and count
how many come from the other source (original vs reconstruction). With equal numbers of
each, a perfect mix gives 50 % and fully separated clouds give 0 %. `overlap_score` counts
every neighbour, so an original's own reconstruction (its partner) lifts it above 50 %;
`overlap` leaves each point's partner out, so it asks what the study asks (do the
reconstructions follow the originals' distribution?), with bootstrap intervals overall
and per digit.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from core.checkpoints.lab import ModelRef, latent_dim_of
from core.checkpoints.loaded import model_meta
from core.data.mnist import load_split
from core.evaluation.metrics import bootstrap_indices, percentile_interval
from core.progress import ProgressCallback
from core.storage.cache import cached_arrays, is_cached

MAP_METHODS = ("t-SNE", "UMAP", "PCA")
DEFAULT_PER_SOURCE = 2000
MAX_PER_SOURCE = 5000
OVERLAP_K = 10
#: Overlap above this reads as "the reconstructions mix with the originals": within 10 % of a perfect mix (50 %).
MIXING_THRESHOLD = 0.45
OVERLAP_BOOTSTRAP = 1000
PLACE_ITERATIONS = 100
CACHE_VERSION = 3  # bump whenever an embedding method changes, so no stale map is served


@dataclass(frozen=True)
class Embedding:
    xy: np.ndarray  # (2n, 2): first n originals, then their n reconstructions
    source: np.ndarray  # (2n,) 0 = original, 1 = reconstruction
    labels: np.ndarray  # (2n,) digit
    test_index: np.ndarray  # (2n,) index into the test set
    key: str | None = None  # the disk cache's key of the map, so its overlap figures are kept beside it

    @cached_property
    def overlap_per_point(self) -> np.ndarray:
        """Computed once per embedding (for a cached map, kept in the disk cache beside it): the page shows
        both the mean and the per-digit split."""
        if self.key is None:
            return overlap_per_point(self.xy, self.source)
        key = f"{self.key}_k{OVERLAP_K}_with_partner"
        return cached_arrays("embedding_overlap", key, lambda: {"per_point": overlap_per_point(self.xy, self.source)})[
            "per_point"
        ]

    @property
    def overlap(self) -> float:
        return float(self.overlap_per_point.mean())

    def overlap_by_digit(self) -> dict[int, float]:
        """Overlap among the points of each digit: which digits' reconstructions drift away."""
        per_point = self.overlap_per_point
        return {d: float(per_point[self.labels == d].mean()) for d in range(10) if np.any(self.labels == d)}

    @property
    def partner(self) -> np.ndarray:
        """(2n,) index of each point's partner: an original's reconstruction, a reconstruction's original."""
        n = len(self.xy) // 2
        return np.concatenate([np.arange(n, 2 * n), np.arange(n)])

    def partner_gap(self) -> tuple[float, float]:
        """Median map distance between each original and its reconstruction, and the map's width: how close
        the map puts partners, whatever a classifier can tell between them."""
        n = len(self.xy) // 2
        gap = float(np.median(np.linalg.norm(self.xy[:n] - self.xy[n:], axis=1)))
        return gap, float(np.ptp(self.xy[:, 0]))

    @cached_property
    def mixing(self) -> OverlapResult:
        """The partner-free overlap with its bootstrap intervals, overall and per digit (computed once; for a
        cached map, kept in the disk cache beside it, since its bootstrap takes seconds)."""
        if self.key is None:
            return overlap(self.xy, self.source, self.labels, self.partner)
        key = f"{self.key}_k{OVERLAP_K}_b{OVERLAP_BOOTSTRAP}"
        arrays = cached_arrays(
            "embedding_overlap", key, lambda: overlap(self.xy, self.source, self.labels, self.partner).to_arrays()
        )
        return OverlapResult.from_arrays(arrays)


def sample_indices(n_per_source: int, seed: int) -> np.ndarray:
    n = int(np.clip(n_per_source, 10, MAX_PER_SOURCE))
    return np.sort(np.random.default_rng(seed).choice(len(load_split("test")), size=n, replace=False))


def overlap_per_point(xy: np.ndarray, source: np.ndarray, k: int = OVERLAP_K) -> np.ndarray:
    """For each point, the share of its k nearest neighbours that come from the other source."""
    from sklearn.neighbors import NearestNeighbors

    source = np.asarray(source)
    k = min(k, len(xy) - 1)
    _, idx = NearestNeighbors(n_neighbors=k + 1).fit(xy).kneighbors(xy)
    neighbours = source[idx[:, 1:]]  # drop the point itself
    return (neighbours != source[:, None]).mean(axis=1)


Interval = tuple[float, float, float]  # (estimate, low, high)


@dataclass(frozen=True)
class OverlapResult:
    """Partner-free overlap: the estimate and 95 % bootstrap interval overall and per digit.

    `replicates` keeps the bootstrap's per-digit means (n_boot, 10), resampled jointly, so the difference
    between two digits gets its own interval (`difference`).
    """

    overall: Interval
    per_digit: dict[int, Interval]
    per_point: np.ndarray
    replicates: np.ndarray
    k: int

    def to_arrays(self) -> dict[str, np.ndarray]:
        digits = sorted(self.per_digit)
        return {
            "overall": np.asarray(self.overall, np.float64),
            "digits": np.asarray(digits, np.int64),
            "per_digit": np.asarray([self.per_digit[d] for d in digits], np.float64).reshape(len(digits), 3),
            "per_point": np.asarray(self.per_point),
            "replicates": np.asarray(self.replicates),
            "k": np.asarray(self.k),
        }

    @classmethod
    def from_arrays(cls, a: dict[str, np.ndarray]) -> OverlapResult:
        per_digit = {int(d): tuple(float(v) for v in row) for d, row in zip(a["digits"], a["per_digit"], strict=True)}
        overall = tuple(float(v) for v in a["overall"])
        return cls(overall, per_digit, a["per_point"], a["replicates"], int(a["k"]))

    def difference(self, a: int, b: int) -> Interval:
        """Digit a's overlap minus digit b's, with its bootstrap interval."""
        est = self.per_digit[a][0] - self.per_digit[b][0]
        return percentile_interval(est, self.replicates[:, a] - self.replicates[:, b])


def overlap_per_point_without_partner(
    xy: np.ndarray, source: np.ndarray, partner: np.ndarray, k: int = OVERLAP_K
) -> np.ndarray:
    """For each point, the share of its k nearest neighbours from the other source, leaving out the point
    itself and its partner (index into xy; -1 for none), so a digit sitting on its own reconstruction
    does not count as mixing."""
    from sklearn.neighbors import NearestNeighbors

    source, partner = np.asarray(source), np.asarray(partner)
    k = min(k, len(xy) - 2)
    _, idx = NearestNeighbors(n_neighbors=k + 2).fit(xy).kneighbors(xy)
    own = np.arange(len(xy))[:, None]
    keep = (idx != own) & (idx != partner[:, None])
    order = np.argsort(~keep, axis=1, kind="stable")[:, :k]  # the first k kept neighbours, nearest first
    neighbours = np.take_along_axis(idx, order, axis=1)
    return (source[neighbours] != source[:, None]).mean(axis=1)


def resampling_units(partner: np.ndarray) -> np.ndarray:
    """(units, size) point indices the bootstrap draws together: each pair of partners, or each point alone where
    not every point has a partner."""
    partner = np.asarray(partner)
    points = np.arange(len(partner))
    if len(partner) and (partner >= 0).all() and (partner[partner] == points).all() and (partner != points).all():
        first = points[points < partner]
        return np.stack([first, partner[first]], axis=1)
    return points[:, None]


def overlap(
    xy: np.ndarray,
    source: np.ndarray,
    labels: np.ndarray,
    partner: np.ndarray | None = None,
    k: int = OVERLAP_K,
    n_boot: int = OVERLAP_BOOTSTRAP,
    seed: int = 0,
) -> OverlapResult:
    """Partner-free overlap of a 2-D map, overall and per digit, each with a 95 % bootstrap interval.

    The bootstrap resamples test digits, not points: an original and its reconstruction are drawn together, since
    their scores are not independent (seeded); a digit's replicate is the mean over its resampled points.
    `partner=None` means no point has a partner (e.g. two halves of the originals): then points are the units.
    """
    labels = np.asarray(labels)
    partner = np.full(len(xy), -1) if partner is None else np.asarray(partner)
    per_point = overlap_per_point_without_partner(xy, source, partner, k)
    units = resampling_units(partner)
    idx = units[bootstrap_indices(len(units), n_boot, seed)].reshape(n_boot, -1)
    overall = percentile_interval(per_point.mean(), per_point[idx].mean(axis=1))
    sums = np.zeros((n_boot, 10))
    counts = np.zeros((n_boot, 10))
    rows = np.repeat(np.arange(n_boot), idx.shape[1])
    np.add.at(sums, (rows, labels[idx].ravel()), per_point[idx].ravel())
    np.add.at(counts, (rows, labels[idx].ravel()), 1.0)
    replicates = sums / np.maximum(counts, 1.0)
    per_digit = {
        int(d): percentile_interval(per_point[labels == d].mean(), replicates[:, d])
        for d in range(10)
        if np.any(labels == d)
    }
    return OverlapResult(overall, per_digit, per_point, replicates, k)


def overlap_score(xy: np.ndarray, source: np.ndarray, k: int = OVERLAP_K) -> float:
    """Mean share of each point's k nearest neighbours that come from the other source."""
    return float(overlap_per_point(xy, source, k).mean())


def pca50(points: np.ndarray, seed: int):
    """The fitted 50-component PCA that t-SNE and UMAP start from (the map and the placer share it).

    Randomised SVD: on 4,000 x 784 points it takes a fraction of the full SVD's time, and
    with a fixed seed it is just as reproducible.
    """
    from sklearn.decomposition import PCA

    return PCA(n_components=50, svd_solver="randomized", random_state=seed).fit(points)


def _reduce(points: np.ndarray, seed: int) -> np.ndarray:
    return pca50(points, seed).transform(points)


def _tsne(points: np.ndarray, seed: int, progress: ProgressCallback) -> np.ndarray:
    from openTSNE import TSNE

    # Fewer iterations than openTSNE's 250 + 500: on 4,000 points the map and its overlap
    # number have settled by then.
    n_iter = {"early": 125, "main": 200}
    done = {"n": 0}
    total = n_iter["early"] + n_iter["main"]

    def callback(iteration, error, embedding):
        done["n"] += 25
        progress(0.1 + 0.9 * min(done["n"], total) / total, f"t-SNE iteration {min(done['n'], total)}/{total}")
        return False

    reduced = _reduce(points, seed)
    progress(0.1, "t-SNE: finding neighbours")
    tsne = TSNE(
        n_components=2,
        perplexity=30,
        initialization="pca",
        negative_gradient_method="bh",
        neighbors="exact",
        early_exaggeration_iter=n_iter["early"],
        n_iter=n_iter["main"],
        n_jobs=2,
        random_state=seed,
        callbacks=callback,
        callbacks_every_iters=25,
        verbose=False,
    )
    return np.asarray(tsne.fit(reduced))


def _umap(points: np.ndarray, seed: int, progress: ProgressCallback) -> np.ndarray:
    progress(0.05, "UMAP: loading (the first time takes ~15 s to compile)")
    import umap

    progress(0.3, "UMAP: fitting")
    return umap.UMAP(n_components=2, random_state=seed, n_jobs=1).fit_transform(_reduce(points, seed))


def _pca(points: np.ndarray, seed: int, progress: ProgressCallback) -> np.ndarray:
    from sklearn.decomposition import PCA

    return PCA(n_components=2, random_state=seed).fit_transform(points)


_EMBEDDERS = {"t-SNE": _tsne, "UMAP": _umap, "PCA": _pca}


def embedding_key(latent_dim: ModelRef, method: str, n_per_source: int, seed: int) -> str:
    """The disk cache's key for one map: the model's weights, the method, the sample and the seed (from the sidecar
    alone, so a seed model's shipped map is found without its weights)."""
    sha = model_meta(latent_dim)["weights_sha256"][:16]
    return f"v{CACHE_VERSION}_d{latent_dim_of(latent_dim):03d}_{sha}_{method}_n{n_per_source}_s{seed}"


def is_embedding_cached(latent_dim: ModelRef, method: str, n_per_source: int, seed: int) -> bool:
    return is_cached("embedding", embedding_key(latent_dim, method, n_per_source, seed))


def embed(
    latent_dim: ModelRef,
    method: str = "t-SNE",
    n_per_source: int = DEFAULT_PER_SOURCE,
    seed: int = 0,
    progress: ProgressCallback | None = None,
) -> Embedding:
    """Embed n test originals and their reconstructions together (disk-cached)."""
    if method not in _EMBEDDERS:
        raise ValueError(f"method must be one of {MAP_METHODS}, got {method!r}")
    progress = progress or (lambda fraction, message: None)
    n_per_source = int(np.clip(n_per_source, 10, MAX_PER_SOURCE))
    indices = sample_indices(n_per_source, seed)
    test = load_split("test")

    def compute() -> dict[str, np.ndarray]:
        progress(0.02, "reconstructing the sample")
        originals = test.float_images(indices)
        from core.models.inference import ae_reconstruct  # torch: where a map is computed, not where records hold

        recon = ae_reconstruct(latent_dim, originals)
        points = np.concatenate([originals, recon]).reshape(2 * len(indices), -1)
        return {"xy": _EMBEDDERS[method](points, seed, progress).astype(np.float32)}

    key = embedding_key(latent_dim, method, n_per_source, seed)
    xy = cached_arrays("embedding", key, compute)["xy"]
    progress(1.0, "done")
    labels = np.asarray(test.labels)[indices]
    return Embedding(
        xy=xy,
        source=np.repeat([0, 1], len(indices)),
        labels=np.concatenate([labels, labels]),
        test_index=np.concatenate([indices, indices]),
        key=key,
    )


class Placer:
    """Places new digits on an existing map, without moving the map.

    t-SNE: openTSNE's `TSNEEmbedding.transform`, built on the cached coordinates and the
    affinities of the same points (recomputed, exact neighbours), so new points are
    optimised against a frozen map. PCA: the fitted projection. UMAP: the fitted model's
    `transform` (refitting with the same seed reproduces the cached map; we check).
    """

    def __init__(
        self, latent_dim: ModelRef, method: str = "t-SNE", n_per_source: int = DEFAULT_PER_SOURCE, seed: int = 0
    ) -> None:
        from sklearn.decomposition import PCA

        self.embedding = embed(latent_dim, method, n_per_source, seed)
        self.method, self.seed = method, seed
        indices = self.embedding.test_index[: len(self.embedding.test_index) // 2]
        originals = load_split("test").float_images(indices)
        from core.models.inference import ae_reconstruct

        points = np.concatenate([originals, ae_reconstruct(latent_dim, originals)]).reshape(2 * len(indices), -1)
        if method == "PCA":
            self._pca2 = PCA(n_components=2, random_state=seed).fit(points)
            return
        self._pca50 = pca50(points, seed)
        reduced = self._pca50.transform(points)
        if method == "t-SNE":
            from openTSNE import TSNEEmbedding
            from openTSNE.affinity import PerplexityBasedNN

            affinities = PerplexityBasedNN(reduced, perplexity=30, method="exact", n_jobs=2, random_state=seed)
            self._tsne = TSNEEmbedding(
                np.asarray(self.embedding.xy, np.float64),
                affinities,
                negative_gradient_method="bh",
                n_jobs=2,
                random_state=seed,
            )
        else:
            import umap

            self._umap = umap.UMAP(n_components=2, random_state=seed, n_jobs=1).fit(reduced)
            refit = np.asarray(self._umap.embedding_, np.float32)
            if not np.allclose(refit, self.embedding.xy, atol=1e-3):  # show the map we place on, never a stale one
                e = self.embedding
                self.embedding = Embedding(refit, e.source, e.labels, e.test_index)

    def place(self, images: np.ndarray) -> np.ndarray:
        """Map coordinates (k, 2) for digits (k, 28, 28) in [0, 1]."""
        flat = np.asarray(images, np.float32).reshape(len(images), -1)
        if self.method == "PCA":
            return self._pca2.transform(flat)
        reduced = self._pca50.transform(flat)
        if self.method == "t-SNE":
            # 100 iterations, not openTSNE's 250: new points start at the median of their
            # neighbours and barely move after that, and every iteration is time the visitor waits.
            return np.asarray(self._tsne.transform(reduced, n_iter=PLACE_ITERATIONS))
        return self._umap.transform(reduced)


def tsne_map(points: np.ndarray, seed: int = 0) -> np.ndarray:
    """The t-SNE this page's maps use (openTSNE, the settings above) on any points: the claims page times it."""
    return _tsne(points, seed, lambda fraction, message: None)
