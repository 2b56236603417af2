"""The shipped checkpoints, evaluated for real on the 10k test set."""

import json
import math

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


def test_evaluate_cli_prints_one_record_per_method_and_size(capsys):

    from core.evaluate import main

    assert main(["--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    dims = available_latent_dims()
    assert {(r["method"], r["latent_dim"]) for r in records} == {(m, d) for m in ("ae", "pca") for d in dims}
    for r in records:
        assert isinstance(r["latent_dim"], int) and 0 < r["mse"] < 0.1 and r["psnr"] > 10
        assert r["psnr"] == pytest.approx(10 * math.log10(1 / r["mse"]))


def test_evaluate_cli_table_names_both_methods(capsys):
    from core.evaluate import main

    assert main(["--latent-dim", "8"]) == 0
    out = capsys.readouterr().out
    assert "AE MSE" in out and "PCA MSE" in out and "99.0%" in out
