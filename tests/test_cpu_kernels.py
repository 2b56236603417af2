"""Training processes run on kernels pinned to AVX2, so a rebuild gives the shipped weights on any host."""

import json
import os
import subprocess
import sys

import pytest

from core.cpu_kernels import OPT_OUT, PINNED_ENV, cpu_has_avx2, pinned_env
from core.paths import REPO_ROOT, checkpoint_dir

needs_avx2 = pytest.mark.skipif(not cpu_has_avx2(), reason="the pinning applies to x86-64 hosts with AVX2")

#: Trains the default (shipped) config of one size for its first epoch and prints that epoch's mean train loss.
FIRST_EPOCH = """
import sys
from core.train import TrainConfig, train

class FirstEpochDone(Exception):
    pass

def stop_after_first_epoch(p):
    if p.test_mse is not None:
        print(repr(p.train_loss))
        raise FirstEpochDone

try:
    train(TrainConfig(latent_dim=int(sys.argv[1]), device="cpu"), progress=stop_after_first_epoch)
except FirstEpochDone:
    pass
"""


@needs_avx2
def test_the_pinned_environment_caps_all_three_libraries_and_can_be_opted_out_of():
    env = pinned_env({"PATH": "/bin"})
    assert {k: env[k] for k in PINNED_ENV} == PINNED_ENV and env["PATH"] == "/bin"
    assert pinned_env({OPT_OUT: "1"}) == {OPT_OUT: "1"}


@needs_avx2
@pytest.mark.parametrize("opt_out", [False, True])
def test_the_training_cli_restarts_itself_on_the_pinned_kernels_unless_opted_out(opt_out, tmp_path):
    import torch

    env = {k: v for k, v in os.environ.items() if k not in PINNED_ENV and k != OPT_OUT}
    env["AECL_CHECKPOINT_DIR"] = str(tmp_path)
    if opt_out:
        env[OPT_OUT] = "1"
    command = [sys.executable, "-m", "core.train", "--latent-dim", "2", "--epochs", "1", "--train-fraction", "0.01"]
    out = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=True)
    out = out.stdout
    native = torch.backends.cpu.get_cpu_capability()  # this test process is not pinned
    assert f"on cpu ({native if opt_out else 'AVX2'} kernels)" in out
    # and the checkpoint records them, since the same seed only gives the same weights on the same kernels
    recorded = json.loads((tmp_path / "ae_d002.json").read_text())["cpu_kernels"]
    if opt_out:
        assert recorded == {"aten": native, "onednn_max_isa": "native", "mkl_cbwr": "native"}
    else:
        assert recorded == {"aten": "AVX2", "onednn_max_isa": "AVX2", "mkl_cbwr": "AVX2"}


@needs_avx2
def test_the_first_epoch_of_a_rebuild_reproduces_the_shipped_record_bit_for_bit():
    """What `make checkpoints` promises, checked on whatever host runs the suite: the d=39 run's first
    epoch, trained as the rebuild trains it, gives the shipped checkpoint's recorded loss to the last bit.
    (Without the pinning, an AVX-512 host's d=8 first epoch differed from the 9th significant digit on.)"""
    shipped = json.loads((checkpoint_dir() / "ae_d039.json").read_text())
    command = [sys.executable, "-c", FIRST_EPOCH, "39"]
    out = subprocess.run(
        command, cwd=REPO_ROOT, env=pinned_env(), capture_output=True, text=True, timeout=600, check=True
    ).stdout
    assert float(out) == shipped["history"][0]["train_loss"]
