"""A user's digit through every level, the unlike-MNIST flag, and placement on a frozen map."""

import numpy as np
import pytest

from core.checkpoints.loaded import available_latent_dims
from core.data.mnist import load_split
from core.explore.embedding import Placer
from core.explore.your_digit import mnist_likeness, reconstruct_everywhere, unlike_mnist


def test_a_real_test_digit_is_reconstructed_everywhere_and_looks_like_mnist():
    digit = load_split("test").float_images()[0]
    dims = available_latent_dims()
    results = reconstruct_everywhere(digit, dims)
    assert [r.latent_dim for r in results] == dims
    assert all(r.reconstruction.shape == (28, 28) and r.code.shape == (r.latent_dim,) for r in results)
    assert not unlike_mnist(results) and "Looks like an MNIST digit" in mnist_likeness(results)


def test_noise_is_flagged_as_unlike_mnist():
    noise = np.random.default_rng(0).random((28, 28)).astype(np.float32)
    results = reconstruct_everywhere(noise, available_latent_dims())
    assert unlike_mnist(results) and "doesn't look like an MNIST digit" in mnist_likeness(results)


@pytest.mark.parametrize("method", ["t-SNE", "PCA"])
def test_placed_digits_land_among_their_own_class_without_moving_the_map(method):
    """Placed digits' nearest map points share their label far more often than chance (0.1).

    The bar is set well below what this small map allows (the 5 nearest neighbours in the map's own 50-d input
    share the label ~0.7 of the time), and well above chance, so library versions that move the map's last
    details don't flip it; the shuffled labels are the control that the measure can fail."""
    latent_dim = min(available_latent_dims(), key=lambda d: abs(d - 8))
    placer = Placer(latent_dim, method, n_per_source=300, seed=0)
    before = placer.embedding.xy.copy()
    test = load_split("test")
    unseen = np.setdiff1d(np.arange(2000), placer.embedding.test_index)[:100]
    placed = placer.place(test.float_images()[unseen])
    assert placed.shape == (100, 2) and np.array_equal(placer.embedding.xy, before)
    dist = np.linalg.norm(placer.embedding.xy[None, :, :] - placed[:, None, :], axis=2)
    nearest_labels = placer.embedding.labels[np.argsort(dist, axis=1)[:, :5]]
    truth = test.labels[unseen][:, None]
    agreement = (nearest_labels == truth).mean()
    shuffled = (nearest_labels == np.random.default_rng(0).permutation(truth)).mean()
    assert agreement > (0.4 if method == "t-SNE" else 0.2)
    assert shuffled < 0.2
