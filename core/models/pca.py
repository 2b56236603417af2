"""PCA, the linear baseline the study's claim is measured against.

One full PCA of the 60k training images (sklearn, exact SVD) gives every size at once:
PCA with d components is the first d rows of the full fit. Components are cached in an
`.npz` (no pickles). Reconstructions are clipped to [0, 1], like any image a user
would store, which only ever lowers PCA's error: the baseline is as strong as it can be.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from core.data.mnist import data_digest, load_split
from core.data.pixels import to_unit_float
from core.levels import IMAGE_SIDE, check_latent_dim
from core.paths import cache_dir
from core.storage.atomic import atomic_write, locked


@dataclass(frozen=True)
class PCABasis:
    mean: np.ndarray  # (784,)
    components: np.ndarray  # (784, 784), rows by decreasing variance
    explained_variance_ratio: np.ndarray  # (784,)

    def encode(self, images: np.ndarray, latent_dim: int) -> np.ndarray:
        x = np.asarray(images, dtype=np.float32).reshape(len(images), -1)
        return (x - self.mean) @ self.components[: check_latent_dim(latent_dim)].T

    def decode(self, codes: np.ndarray) -> np.ndarray:
        d = codes.shape[1]
        x = codes @ self.components[:d] + self.mean
        return np.clip(x, 0.0, 1.0).reshape(len(codes), IMAGE_SIDE, IMAGE_SIDE)

    def reconstruct(self, images: np.ndarray, latent_dim: int) -> np.ndarray:
        return self.decode(self.encode(images, latent_dim))


def fit_pca(train_images: np.ndarray) -> PCABasis:
    """The full PCA (all 784 components) of uint8 or [0, 1] images: the shipped basis, or one fitted on a subset."""
    from sklearn.decomposition import PCA

    x = to_unit_float(train_images).reshape(len(train_images), -1)
    pca = PCA(n_components=x.shape[1], svd_solver="full").fit(x)
    return PCABasis(
        pca.mean_.astype(np.float32),
        pca.components_.astype(np.float32),
        pca.explained_variance_ratio_.astype(np.float32),
    )


@lru_cache(maxsize=1)
def pca_basis() -> PCABasis:
    """The full PCA of MNIST's training set, from the disk cache when present."""
    path = cache_dir() / f"pca_{data_digest()}.npz"
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as z:
                return PCABasis(z["mean"], z["components"], z["explained_variance_ratio"])
        except (OSError, ValueError, KeyError):
            pass  # damaged cache: refit below
    with locked(path):
        basis = fit_pca(load_split("train").images)

        def write(tmp):
            with open(tmp, "wb") as fh:
                np.savez(
                    fh,
                    mean=basis.mean,
                    components=basis.components,
                    explained_variance_ratio=basis.explained_variance_ratio,
                )

        atomic_write(path, write)
    return basis
