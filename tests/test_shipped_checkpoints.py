"""The shipped checkpoints, evaluated for real on the 10k test set."""

import pytest

from core.checkpoints import read_meta
from core.data import data_digest
from core.evaluate import evaluate
from core.levels import SHIPPED_LATENT_DIMS, STUDY_LATENT_DIMS
from core.store import available_latent_dims, load_model

#: 0.6x the plain baseline's 10-epoch test MSE (measured in the core issue).
TARGET_MSE = {8: 0.0113, 39: 0.00206, 78: 0.00109, 392: 0.00067}


def test_every_shipped_size_has_a_checkpoint():
    assert set(SHIPPED_LATENT_DIMS) <= set(available_latent_dims())


@pytest.mark.parametrize("latent_dim", SHIPPED_LATENT_DIMS)
def test_checkpoint_loads_and_reproduces_the_mse_in_its_json(latent_dim):
    model = load_model(latent_dim)
    assert model.latent_dim == latent_dim
    meta = read_meta(latent_dim)
    assert meta["data_digest"] == data_digest()
    measured = evaluate("ae", latent_dim).mse
    assert measured == pytest.approx(meta["metrics"]["test_mse"], abs=1e-5)


@pytest.mark.parametrize("latent_dim", STUDY_LATENT_DIMS)
def test_study_levels_reach_0_6x_the_baseline_mse(latent_dim):
    assert evaluate("ae", latent_dim).mse <= TARGET_MSE[latent_dim]


@pytest.mark.parametrize("latent_dim", STUDY_LATENT_DIMS)
def test_ae_beats_pca_at_every_study_level(latent_dim):
    ae, pca = evaluate("ae", latent_dim).mse, evaluate("pca", latent_dim).mse
    assert ae < pca, f"d={latent_dim}: AE {ae:.6f} vs PCA {pca:.6f}"
