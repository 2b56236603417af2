"""The latent explorer's core: codes, moved codes, interpolation, the 2-d plane, the model card."""

import numpy as np
import pytest

from core.checkpoints.card import model_card
from core.checkpoints.files import read_meta
from core.data.mnist import load_split
from core.explore.latent import code_stats, codes_of_test_digits, interpolate, manifold
from core.levels import latent_bytes
from core.models.inference import ae_decode, ae_encode, ae_reconstruct


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    return load_split("test").float_images()[:2]


def test_decoding_a_code_moved_along_one_dimension_changes_the_digit(digits):
    code = ae_encode(8, digits[:1])[0]
    stats = code_stats(8)
    moved = code.copy()
    moved[3] = stats.high[3] if code[3] < stats.mean[3] else stats.low[3]
    a, b = ae_decode(8, np.stack([code, moved]))
    assert np.abs(a - b).mean() > 0.01
    np.testing.assert_allclose(ae_decode(8, code)[0], a, atol=1e-6)  # the unmoved code gives the same digit


def test_interpolation_endpoints_are_the_two_reconstructions(digits):
    latent, pixels = interpolate(8, digits[0], digits[1], steps=7)
    recon = ae_reconstruct(8, digits)
    assert latent.shape == pixels.shape == (7, 28, 28)
    np.testing.assert_allclose(latent[[0, -1]], recon, atol=1e-5)
    np.testing.assert_allclose(pixels[[0, -1]], digits, atol=1e-6)
    assert not np.allclose(latent[3], pixels[3], atol=0.05)  # halfway, the model's digit is no cross-fade


def test_code_statistics_rank_dimensions_by_the_spread_of_the_test_codes():
    codes = codes_of_test_digits(392)
    stats = code_stats(392)
    assert codes.shape == (10_000, 392)
    np.testing.assert_allclose(stats.std, codes.std(axis=0), rtol=1e-5)
    top = stats.top_dims(5)
    assert len(top) == 5 and stats.std[top[0]] == stats.std.max()
    assert np.all(np.diff(stats.std[top]) <= 0)
    assert np.all(stats.low <= stats.high)


def test_the_latent_plane_is_drawn_only_for_a_2d_model():
    xs, ys, grid = manifold(2, n=6)
    assert grid.shape == (6, 6, 28, 28) and xs[0] < xs[-1] and ys[0] < ys[-1]
    np.testing.assert_allclose(grid[2, 4], ae_decode(2, np.array([xs[4], ys[2]]))[0], atol=1e-6)
    with pytest.raises(ValueError, match="2-dimensional"):
        manifold(8)


def test_model_card_reads_the_sidecar_and_counts_bytes_per_image():
    card = dict(model_card(39))
    meta = read_meta(39)
    assert card["latent dims"].startswith("39 (compression 95.0")
    assert f"{latent_bytes(39):,} as float32" in card["bytes per image"]
    assert card["test MSE"] == f"{meta['metrics']['test_mse']:.6f}"
    assert card["epochs"] == str(meta["train"]["epochs"])
    assert card["parameters"] == f"{meta['n_parameters']:,}"
    config = meta["model"]
    assert f"{config['channels'][0]}/{config['channels'][1]} wide" in card["network"]
    assert ("SiLU" in card["network"]) == (config.get("activation", "relu") == "silu")


def test_the_network_line_tells_the_earlier_recipe_from_todays():
    from core.checkpoints.card import network_text
    from core.models.autoencoder import ModelConfig

    today = network_text(ModelConfig(latent_dim=39))
    narrow = network_text(ModelConfig(latent_dim=8))
    earlier = network_text(ModelConfig.from_dict({"latent_dim": 8, "channels": [32, 64], "hidden": 256}))
    assert "SiLU" in today and "1 residual block each side" in today and "32/48" in today and "14x14" not in today
    assert "32/64" in narrow and "1 bottleneck residual block each side" in narrow and "14x14" in narrow
    assert "ReLU" in earlier and "residual" not in earlier and "14x14" not in earlier and "32/64" in earlier


def test_sizes_trained_on_an_earlier_network_are_told_apart(small_mnist, tmp_checkpoints):
    """The error curve flags them: a step between neighbouring points may be the network, not the size."""
    from core.checkpoints.card import network_of, trained_on_an_earlier_network
    from core.checkpoints.files import save_checkpoint
    from core.models.autoencoder import ModelConfig
    from core.training.trainer import TrainConfig, train

    legacy = ModelConfig(latent_dim=3, channels=(32, 64), activation="relu", res_blocks=0)
    for config in (TrainConfig(latent_dim=3, epochs=1, model=legacy), TrainConfig(latent_dim=6, epochs=1)):
        save_checkpoint(train(config, train_images=small_mnist[0][:200], test_images=small_mnist[1][:50]))
    assert trained_on_an_earlier_network([3, 6]) == [3]
    assert network_of(3) == legacy and network_of(6) == ModelConfig(latent_dim=6)
