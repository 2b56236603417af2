import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch

from core.checkpoints.card import model_card
from core.checkpoints.files import (
    CheckpointError,
    CheckpointMissingError,
    CheckpointPaths,
    list_checkpoints,
    load_checkpoint,
    save_checkpoint,
)
from core.models.autoencoder import AutoEncoder, ModelConfig
from core.paths import REPO_ROOT
from core.training.trainer import TrainConfig, TrainingCancelled, mean_mse, one_cycle, train


def tiny_config(latent_dim=8, **kw) -> TrainConfig:
    return TrainConfig(latent_dim=latent_dim, epochs=kw.pop("epochs", 2), batch_size=64, max_lr=3e-3, **kw)


def test_model_maps_digits_to_a_latent_of_the_requested_size_and_back():
    for d in (1, 8, 392, 784):
        model = AutoEncoder(ModelConfig(latent_dim=d)).eval()
        x = torch.rand(3, 1, 28, 28)
        z = model.encoder(x)
        y = model(x)
        assert z.shape == (3, d)
        assert y.shape == x.shape and float(y.min()) >= 0 and float(y.max()) <= 1


def test_narrow_codes_get_bottleneck_blocks_and_one_at_14x14_and_wider_codes_do_not():
    from core.models.autoencoder import NARROW_CODE_MAX, Residual

    def residual_map_sizes(latent_dim: int) -> list[tuple[int, int, int]]:
        """(channels, height, width) of every residual block's input, found by running a digit through."""
        model = AutoEncoder(ModelConfig(latent_dim=latent_dim)).eval()
        seen = []
        for module in model.modules():
            if isinstance(module, Residual):
                module.register_forward_hook(lambda m, inp, out: seen.append(tuple(inp[0].shape[1:])))
        with torch.no_grad():
            model(torch.rand(1, 1, 28, 28))
        return seen

    assert residual_map_sizes(NARROW_CODE_MAX) == [(64, 7, 7), (64, 7, 7), (32, 14, 14)]
    assert residual_map_sizes(NARROW_CODE_MAX + 1) == [(48, 7, 7), (48, 7, 7)]
    narrow = AutoEncoder(ModelConfig(latent_dim=2))
    blocks = [m for m in narrow.modules() if isinstance(m, Residual)]
    assert all(sum(isinstance(c, torch.nn.Conv2d) for c in b.body) == 3 for b in blocks)  # 1x1, 3x3, 1x1
    assert ModelConfig.from_dict(ModelConfig(latent_dim=2).to_dict()) == ModelConfig(latent_dim=2)


def test_a_few_training_steps_lower_the_loss(small_mnist):
    train_images, test_images = small_mnist
    seen = []
    result = train(tiny_config(), progress=seen.append, train_images=train_images, test_images=test_images)
    untrained = mean_mse(AutoEncoder(ModelConfig(8)), torch.from_numpy(test_images[:, None] / 255.0).float())
    assert result.history[-1]["test_mse"] < 0.5 * untrained
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
    # progress: every batch, then one epoch-end report carrying the test MSE
    per_epoch = [p for p in seen if p.test_mse is not None]
    assert len(per_epoch) == 2 and seen[-1].fraction == 1.0
    assert len(seen) == 2 * (2000 // 64 + 1) + 2


@pytest.mark.parametrize("linear_path", [True, False])
def test_an_untrained_model_starts_from_the_mean_digit(small_mnist, linear_path):
    """Without it a fresh model draws uniform grey, worse than an all-black image; the lab's quick runs showed that."""
    train_images, test_images = small_mnist
    x_train = torch.from_numpy(train_images[:, None] / 255.0).float()
    x_test = torch.from_numpy(test_images[:, None] / 255.0).float()
    torch.manual_seed(0)
    fresh = AutoEncoder(ModelConfig(8, linear_path=linear_path))
    started = AutoEncoder(ModelConfig(8, linear_path=linear_path))
    started.decoder.start_at_mean(x_train.mean(0))
    all_black = float((x_test**2).mean())
    assert mean_mse(started, x_test) < all_black < mean_mse(fresh, x_test)
    if linear_path:  # a bias per pixel: the mean digit's shape, not only its brightness
        mean_digit = float(((x_test - x_train.mean(0)) ** 2).mean())
        assert mean_mse(started, x_test) < 1.2 * mean_digit


def test_epochs_are_scored_on_a_fixed_test_sample_and_the_last_on_the_whole_test_set(small_mnist):
    train_images, test_images = small_mnist
    seen = []
    config = tiny_config(epochs=3, epoch_test_images=100)
    result = train(config, progress=seen.append, train_images=train_images[:300], test_images=test_images)
    assert [h["test_images"] for h in result.history] == [100, 100, len(test_images)]
    assert [p.test_images for p in seen if p.test_mse is not None] == [100, 100, len(test_images)]
    x_test = torch.from_numpy(test_images[:, None] / 255.0).float()
    assert result.history[-1]["test_mse"] == pytest.approx(mean_mse(result.model, x_test), rel=1e-6)
    assert result.history[-1]["test_mse"] != pytest.approx(mean_mse(result.model, x_test[::5]), rel=1e-6)
    # None scores everything, every epoch (the benchmark's race needs that); records from before the field did too
    full = train(
        tiny_config(epochs=2, epoch_test_images=None), train_images=train_images[:300], test_images=test_images
    )
    assert [h["test_images"] for h in full.history] == [len(test_images)] * 2
    old_record = {k: v for k, v in config.to_dict().items() if k != "epoch_test_images"}
    assert TrainConfig.from_dict(old_record).epoch_test_images is None
    with pytest.raises(ValueError, match="epoch_test_images"):
        tiny_config(epoch_test_images=0)


def test_the_batched_optimizer_update_gives_the_same_weights_as_the_per_tensor_loop(small_mnist):
    """The rebuild reproduces checkpoints trained with the per-tensor loop only if the two agree bit for bit."""
    x = torch.from_numpy(small_mnist[0][:256, None] / 255.0).float()
    weights = []
    for foreach in (False, True):
        torch.manual_seed(0)
        model = AutoEncoder(ModelConfig(8))
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=1e-4, foreach=foreach)
        for batch in x.split(64):
            optimizer.zero_grad()
            torch.nn.functional.mse_loss(model(batch), batch).backward()
            optimizer.step()
        weights.append(model.state_dict())
    for k, v in weights[0].items():
        assert torch.equal(v, weights[1][k]), k
    assert one_cycle(AutoEncoder(ModelConfig(8)), 1e-2, 1e-4, 1, 1)[0].defaults["foreach"] is True


def test_a_few_steps_on_a_few_digits_already_beat_an_all_black_image(small_mnist):
    train_images, test_images = small_mnist
    result = train(tiny_config(epochs=1), train_images=train_images[:300], test_images=test_images)
    x_test = torch.from_numpy(test_images[:, None] / 255.0).float()
    assert result.history[-1]["test_mse"] < float((x_test**2).mean())


def test_training_is_deterministic_for_a_seed(small_mnist):
    train_images, test_images = small_mnist
    a = train(tiny_config(epochs=1, seed=3), train_images=train_images[:500], test_images=test_images[:100])
    b = train(tiny_config(epochs=1, seed=3), train_images=train_images[:500], test_images=test_images[:100])
    c = train(tiny_config(epochs=1, seed=4), train_images=train_images[:500], test_images=test_images[:100])
    for (k, va), vb in zip(a.model.state_dict().items(), b.model.state_dict().values(), strict=True):
        assert torch.equal(va, vb), k
    assert not all(
        torch.equal(va, vc) for va, vc in zip(a.model.state_dict().values(), c.model.state_dict().values(), strict=True)
    )


def test_cancel_stops_training(small_mnist):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(TrainingCancelled):
        train(tiny_config(), cancel=cancel, train_images=small_mnist[0], test_images=small_mnist[1])


@pytest.fixture(scope="module")
def trained(small_mnist):
    return train(
        tiny_config(latent_dim=5, epochs=1), train_images=small_mnist[0][:500], test_images=small_mnist[1][:100]
    )


def test_save_load_round_trip_is_exact(trained, tmp_checkpoints):
    save_checkpoint(trained)
    model, meta = load_checkpoint(5)
    for k, v in trained.model.state_dict().items():
        assert torch.equal(v, model.state_dict()[k]), k
    x = torch.rand(4, 1, 28, 28)
    with torch.no_grad():
        assert torch.equal(trained.model.eval()(x), model(x))
    assert meta["latent_dim"] == 5 and meta["train"]["epochs"] == 1
    assert meta["history"] == trained.history
    assert {"torch", "safetensors", "numpy"} <= set(meta["versions"])
    assert meta["cpu_kernels"]["aten"] == torch.backends.cpu.get_cpu_capability()
    assert f"({meta['cpu_kernels']['aten']} kernels)" in dict(model_card(5))["training time"]
    assert list_checkpoints() == [5]
    assert not list(tmp_checkpoints.glob("*.tmp"))


@pytest.mark.parametrize(
    "legacy, missing",
    [
        (  # before SiLU and residual blocks: ReLU, channels 32/64
            dict(channels=(32, 64), activation="relu", res_blocks=0, res_kind="conv", res_blocks_14=0),
            ("activation", "res_blocks", "res_kind", "res_blocks_14"),
        ),
        (  # before the narrow codes' network: one plain residual conv each side, no 14x14 block
            dict(channels=(32, 48), activation="silu", res_blocks=1, res_kind="conv", res_blocks_14=0),
            ("res_kind", "res_blocks_14"),
        ),
    ],
    ids=["relu-no-residual", "silu-conv-residual"],
)
def test_a_checkpoint_from_an_earlier_network_still_loads_as_it_was_trained(
    small_mnist, tmp_checkpoints, legacy, missing
):
    """Its JSON lacks the newer fields: reading those as today's defaults would build the wrong network."""
    legacy = ModelConfig(latent_dim=5, **legacy)
    config = TrainConfig(latent_dim=5, epochs=1, batch_size=64, model=legacy)
    result = train(config, train_images=small_mnist[0][:300], test_images=small_mnist[1][:50])
    save_checkpoint(result)
    paths = CheckpointPaths.for_latent_dim(5)
    meta = json.loads(paths.meta.read_text())
    for field in missing:
        del meta["model"][field], meta["train"]["model"][field]
    paths.meta.write_text(json.dumps(meta))

    model, _ = load_checkpoint(5)
    assert model.config == legacy
    x = torch.rand(4, 1, 28, 28)
    with torch.no_grad():
        assert torch.equal(result.model.eval()(x), model(x))
    assert ModelConfig(latent_dim=5) != legacy  # the legacy reading differs from today's default


def test_missing_checkpoint_names_the_command_to_train_it(tmp_checkpoints):
    with pytest.raises(CheckpointMissingError, match=r"python -m core.train --latent-dim 17"):
        load_checkpoint(17)


def test_truncated_checkpoint_raises_our_error(trained, tmp_checkpoints):
    save_checkpoint(trained)
    paths = CheckpointPaths.for_latent_dim(5)
    paths.weights.write_bytes(paths.weights.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match=r"ae_d005\.safetensors is corrupt"):
        load_checkpoint(5)


def test_garbage_weights_with_a_matching_digest_raise_our_error(trained, tmp_checkpoints):
    import hashlib

    save_checkpoint(trained)
    paths = CheckpointPaths.for_latent_dim(5)
    garbage = b"\x00\x01not a safetensors file" * 10
    paths.weights.write_bytes(garbage)
    meta = json.loads(paths.meta.read_text())
    meta["weights_sha256"] = hashlib.sha256(garbage).hexdigest()
    paths.meta.write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="not valid safetensors"):
        load_checkpoint(5)


def test_shapes_that_do_not_fit_the_config_raise_our_error(trained, tmp_checkpoints):
    save_checkpoint(trained)
    paths = CheckpointPaths.for_latent_dim(5)
    meta = json.loads(paths.meta.read_text())
    meta["model"]["channels"] = [16, 32]
    paths.meta.write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="does not fit its config"):
        load_checkpoint(5)


def test_missing_or_broken_json_raises_our_error(trained, tmp_checkpoints):
    save_checkpoint(trained)
    paths = CheckpointPaths.for_latent_dim(5)
    paths.meta.write_text("{not json")
    with pytest.raises(CheckpointError, match="unreadable"):
        load_checkpoint(5)
    paths.meta.unlink()
    with pytest.raises(CheckpointError, match=r"has no ae_d005\.json"):
        load_checkpoint(5)


WRITER = """
import sys, torch
from core.checkpoints.files import save_checkpoint
from core.models.autoencoder import AutoEncoder
from core.training.trainer import TrainConfig, TrainResult
seed = int(sys.argv[1])
torch.manual_seed(seed)
config = TrainConfig(latent_dim=5, epochs=1, seed=seed)
for i in range(8):
    history = [{"epoch": 1, "test_mse": float(seed + i)}]
    save_checkpoint(TrainResult(AutoEncoder(config.model), config, history, 0.1, "cpu"))
"""


def test_two_concurrent_writers_leave_one_valid_checkpoint(tmp_checkpoints):
    # Separate interpreters (not multiprocessing): two real processes racing on one checkpoint.
    env = {**os.environ, "AECL_CHECKPOINT_DIR": str(tmp_checkpoints)}
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(seed)], cwd=REPO_ROOT, env=env, stderr=subprocess.PIPE)
        for seed in (1, 100)
    ]
    for w in writers:
        _, err = w.communicate(timeout=300)
        assert w.returncode == 0, err.decode()[-2000:]
    _model, meta = load_checkpoint(5)  # digest check passes: weights and JSON are from one writer
    assert meta["history"][0]["test_mse"] in {1.0 + i for i in range(8)} | {100.0 + i for i in range(8)}
    assert sorted(p.name for p in tmp_checkpoints.iterdir() if not p.name.endswith(".lock")) == [
        "ae_d005.json",
        "ae_d005.safetensors",
    ]


def test_training_cli_trains_a_quick_model_and_saves_it(tmp_checkpoints, capsys):
    from core.training.trainer import main

    assert main(["--level", "99", "--epochs", "1", "--train-fraction", "0.02"]) == 0
    out = capsys.readouterr().out
    assert "latent_dim=8" in out and "saved" in out
    _model, meta = load_checkpoint(8)
    assert meta["train"]["train_fraction"] == 0.02 and np.isfinite(meta["metrics"]["test_mse"])


def test_training_cli_refuses_bad_sizes(capsys):
    from core.training.trainer import main

    assert main(["--latent-dim", "0"]) == 2
    assert "latent size must be between 1 and 784" in capsys.readouterr().err
