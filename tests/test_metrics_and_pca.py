import numpy as np
import pytest
from scipy import stats

from core.evaluation.metrics import (
    ink_normalised_error,
    ink_pixels,
    mean_ci,
    per_digit,
    per_image_mse,
    psnr,
)


def test_per_image_mse_matches_the_numpy_formula():
    rng = np.random.default_rng(0)
    a, b = rng.random((5, 28, 28)), rng.random((5, 28, 28))
    expected = [np.mean((a[i] - b[i]) ** 2) for i in range(5)]
    assert np.allclose(per_image_mse(a, b), expected)


def test_psnr_of_known_errors():
    assert psnr(0.01) == pytest.approx(20.0)
    assert psnr(1e-4) == pytest.approx(40.0)


def test_ink_counts_half_bright_pixels_and_normalises_per_100():
    img = np.zeros((1, 28, 28), np.float32)
    img[0, :5, :10] = 0.9  # 50 ink pixels
    img[0, 10, :] = 0.4  # faint halo, not ink
    assert ink_pixels(img).tolist() == [50]
    # summed squared error 784 * mse; per 100 ink pixels
    assert ink_normalised_error(np.array([0.01]), img)[0] == pytest.approx(0.01 * 784 / 50 * 100)


def test_confidence_interval_matches_scipy():
    rng = np.random.default_rng(1)
    x = rng.normal(3.0, 2.0, 200)
    m, lo, hi = mean_ci(x)
    ref_lo, ref_hi = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert m == pytest.approx(x.mean()) and lo == pytest.approx(ref_lo) and hi == pytest.approx(ref_hi)


def test_per_digit_groups_by_label_and_wider_spread_gives_wider_intervals():
    rng = np.random.default_rng(2)
    labels = np.repeat(np.arange(10), 100)
    values = np.concatenate([rng.normal(d, 0.1 + d, 100) for d in range(10)])
    g = per_digit(values, labels)
    assert g.n.tolist() == [100] * 10
    assert np.allclose(g.mean, [values[labels == d].mean() for d in range(10)])
    widths = g.ci_high - g.ci_low
    assert widths[9] > 5 * widths[0]
    assert all(lo < m < hi for lo, m, hi in zip(g.ci_low, g.mean, g.ci_high, strict=True))


def test_pca_matches_sklearn_fit_at_the_same_size():
    from sklearn.decomposition import PCA

    from core.data.mnist import load_split
    from core.models.pca import pca_basis

    basis = pca_basis()
    x_train = load_split("train").float_images().reshape(-1, 784)
    x_test = load_split("test").float_images()[:500].reshape(-1, 784)
    for d in (8, 39):
        ref = PCA(n_components=d, svd_solver="full").fit(x_train)
        ref_recon = np.clip(ref.inverse_transform(ref.transform(x_test)), 0, 1)
        ours = basis.reconstruct(x_test, d).reshape(-1, 784)
        assert np.abs(ours - ref_recon).max() < 1e-3
    assert basis.explained_variance_ratio.sum() == pytest.approx(1.0, abs=1e-3)
