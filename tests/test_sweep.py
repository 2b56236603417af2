"""The sweep on a real local Ray (`core.sweep`): a tiny grid lands, resumes, survives a failing job, and gives the
same weights as the same job in a pinned process here."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from core.paths import REPO_ROOT

TINY = ["--sizes", "2", "--seeds", "1-2", "--epochs", "1", "--train-fraction", "0.01"]


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray for the module (starting one costs seconds): the sweep joins it instead of starting its own."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def sidecar(folder, name):
    return json.loads((folder / f"{name}.json").read_text())


def test_a_tiny_sweep_lands_every_job_with_its_seed(local_ray, tmp_path, capsys):
    from core.sweep.__main__ import main
    from core.sweep.engine import worker_env

    assert main([*TINY, "--out", str(tmp_path)]) == 0
    for seed in (1, 2):
        meta = sidecar(tmp_path, f"ae_d002_seed{seed}")
        assert meta["train"]["seed"] == seed and meta["train"]["epochs"] == 1
        assert meta["cpu_kernels"]["onednn_max_isa"] == worker_env().get("ONEDNN_MAX_CPU_ISA", "native")  # pinned
        assert (tmp_path / f"ae_d002_seed{seed}.safetensors").is_file()
    assert "2 trained, 0 already done, 0 failed" in capsys.readouterr().out


def test_resuming_skips_the_jobs_already_done(local_ray, tmp_path):
    from core.sweep.engine import run_on_ray
    from core.sweep.grid import grid_jobs

    jobs = grid_jobs([2], [1], epochs=1, train_fraction=0.01, out=tmp_path)
    assert run_on_ray(jobs).landed == ["ae_d002_seed1"]
    written = (tmp_path / "ae_d002_seed1.safetensors").stat().st_mtime_ns
    again = run_on_ray(grid_jobs([2], [1, 2], epochs=1, train_fraction=0.01, out=tmp_path))
    assert again.skipped == ["ae_d002_seed1"] and again.landed == ["ae_d002_seed2"]
    assert (tmp_path / "ae_d002_seed1.safetensors").stat().st_mtime_ns == written
    other = run_on_ray(grid_jobs([2], [1], epochs=2, train_fraction=0.01, out=tmp_path))
    assert other.landed == ["ae_d002_seed1"]  # another config is another job: trained again


def test_a_job_that_raises_is_reported_by_name_and_the_other_lands(local_ray, tmp_path):
    from dataclasses import replace

    from core.sweep.engine import run_on_ray
    from core.sweep.grid import grid_jobs

    good, bad = grid_jobs([2], [1, 2], epochs=1, train_fraction=0.01, out=tmp_path)
    broken = {**bad.kwargs["config"], "epochs": 0}  # TrainConfig refuses it inside the task
    report = run_on_ray([good, replace(bad, kwargs={**bad.kwargs, "config": broken})])
    assert report.landed == ["ae_d002_seed1"] and not report.ok
    assert "ValueError: epochs must be between 1 and 1000" in report.failed["ae_d002_seed2"]
    assert not (tmp_path / "ae_d002_seed2.json").exists()


def test_ray_and_a_pinned_process_here_train_identical_weights(local_ray, tmp_path):
    from core.sweep.engine import run_on_ray
    from core.sweep.grid import grid_jobs

    on_ray, here = tmp_path / "ray", tmp_path / "here"
    assert run_on_ray(grid_jobs([2], [1], epochs=1, train_fraction=0.01, out=on_ray)).ok
    cmd = [sys.executable, "-m", "core.sweep", "--sizes", "2", "--seeds", "1", "--epochs", "1"]
    done = subprocess.run(
        [*cmd, "--train-fraction", "0.01", "--out", str(here), "--in-process"], cwd=REPO_ROOT, capture_output=True
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    a, b = sidecar(on_ray, "ae_d002_seed1"), sidecar(here, "ae_d002_seed1")
    assert a["cpu_kernels"] == b["cpu_kernels"]
    assert a["weights_sha256"] == b["weights_sha256"]


def test_the_same_job_run_twice_gives_the_same_bytes_on_ray_and_in_process(local_ray, tmp_path):
    """What `make checkpoints` relies on: one host, one thread per job, the same weights file every time."""
    from core.sweep.engine import run_here, run_on_ray
    from core.sweep.grid import grid_jobs

    def weights(run, folder):
        assert run(grid_jobs([2], [1], epochs=1, train_fraction=0.01, out=folder)).ok
        return (folder / "ae_d002_seed1.safetensors").read_bytes()

    assert weights(run_on_ray, tmp_path / "ray1") == weights(run_on_ray, tmp_path / "ray2")
    assert weights(run_here, tmp_path / "here1") == weights(run_here, tmp_path / "here2")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--sizes", "8,x"], "--sizes takes whole numbers"),
        (["--sizes", "900"], "latent size must be between"),
        (["--sizes", "8", "--epochs", "1"], "needs --out DIR"),
    ],
)
def test_a_bad_grid_exits_2_with_one_line_before_ray_starts(args, message):
    done = subprocess.run([sys.executable, "-m", "core.sweep", *args], cwd=REPO_ROOT, capture_output=True, text=True)
    assert done.returncode == 2 and message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_the_trainers_that_use_the_sweep_do_not_import_ray_until_they_train():
    code = (
        "import sys, core.sweep.engine, core.sweep.grid, core.training.rebuild, core.codec.training, "
        "core.training.variants; assert 'ray' not in sys.modules"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT).returncode == 0
