"""The lab's training jobs: background runs that save like the CLI, cancel cleanly, and are shared."""

import itertools
import os
import threading
import time
from pathlib import Path

import pytest

from core.checkpoints.files import list_checkpoints, load_checkpoint, read_meta
from core.checkpoints.lab import list_lab_models
from core.training.cpu_kernels import PINNED_ENV, cpu_has_avx2
from core.training.jobs import (
    CANCELLED,
    DONE,
    MAX_EPOCHS,
    RUNNING,
    WORKER_NICENESS,
    JobRegistry,
    JobRequestError,
    JobState,
    full_epoch_seconds,
    job_key,
)

TINY = 0.005  # 300 training digits: one epoch is a few batches


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(latent_dim=0, epochs=1), "from 1 to 784"),
        (dict(latent_dim=785, epochs=1), "from 1 to 784"),
        (dict(latent_dim=8, epochs=0), "at least one epoch"),
        (dict(latent_dim=8, epochs=MAX_EPOCHS + 1), "python -m core.train --latent-dim 8"),
        (dict(latent_dim=8, epochs=1, train_fraction=0.0), "share of the training set"),
        (dict(latent_dim=8, epochs=1, train_fraction=1.5), "share of the training set"),
    ],
)
def test_bad_requests_are_refused_with_a_message(kwargs, message):
    with pytest.raises(JobRequestError, match=message):
        job_key(**kwargs)


def test_a_short_job_writes_a_valid_lab_model(tmp_checkpoints):
    job = JobRegistry().submit(job_key(3, 1, train_fraction=TINY))
    assert job.wait(180)
    state = job.state()
    assert state.status == DONE, state.error
    model, meta = load_checkpoint(job.model_name)
    assert model.latent_dim == 3 and meta["train"]["train_fraction"] == TINY
    assert len(state.history) == 1 and state.history[0]["test_mse"] == meta["metrics"]["test_mse"]
    assert state.snapshots and state.snapshots[-1][0] == "after epoch 1"
    assert state.snapshots[-1][1].shape == (10, 28, 28)
    assert list_checkpoints(tmp_checkpoints) == [] and list_lab_models() == [job.model_name]  # nothing shipped
    assert full_epoch_seconds(3) is None  # trained on a share of the digits: no full-data epoch to quote


def _wait_until_training(job, timeout_s: float = 120) -> None:
    """Until the worker has reported its first batch (or the timeout): then it is running, not starting."""
    deadline = time.monotonic() + timeout_s
    while job.state().fraction == 0 and time.monotonic() < deadline:
        time.sleep(0.05)


def test_cancelling_leaves_no_partial_checkpoint(tmp_checkpoints):
    job = JobRegistry().submit(job_key(5, 3, train_fraction=0.05))
    _wait_until_training(job)
    job.cancel()
    assert job.wait(60)
    assert job.state().status == CANCELLED
    assert not [p.name for p in tmp_checkpoints.iterdir() if not p.name.endswith(".lock")]


def test_the_training_worker_yields_the_cpu_to_the_server(tmp_checkpoints):
    """A page switch must not wait behind a run's two threads: the worker runs at a lower priority."""
    job = JobRegistry().submit(job_key(6, 3, train_fraction=0.05))
    _wait_until_training(job)
    try:
        assert job.state().running and job.worker_pid is not None
        ours = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, job.worker_pid) == min(19, ours + WORKER_NICENESS) > ours
        if cpu_has_avx2():  # and on the CLI's kernels, so a lab run gives the CLI's weights
            environ = Path(f"/proc/{job.worker_pid}/environ").read_bytes().split(b"\0")
            assert {f"{k}={v}".encode() for k, v in PINNED_ENV.items()} <= set(environ)
    finally:
        job.cancel()
        assert job.wait(60)


def test_two_concurrent_requests_for_the_same_model_produce_one_job(tmp_checkpoints):
    registry = JobRegistry(max_running=4)
    key = job_key(6, 2, train_fraction=0.05)
    jobs, barrier = [], threading.Barrier(4)

    def ask():
        barrier.wait()
        jobs.append(registry.submit(key))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(j) for j in jobs}) == 1 and len(registry.jobs()) == 1
    assert registry.find(key.token) is jobs[0]  # what a reloaded page does with ?job=<token>
    jobs[0].cancel()
    assert jobs[0].wait(60)


def test_a_second_run_of_the_same_settings_makes_a_second_lab_model(tmp_checkpoints):
    registry = JobRegistry()
    key = job_key(3, 1, train_fraction=TINY)
    first = registry.submit(key)
    assert first.wait(180)
    again = registry.submit(key)
    assert again is not first and registry.jobs() == [again]  # a finished job is not reused
    assert again.wait(180) and again.state().status == DONE
    assert list_lab_models() == sorted([first.model_name, again.model_name])  # neither replaces the other


def test_a_second_model_is_refused_while_one_trains(tmp_checkpoints):
    registry = JobRegistry(max_running=1)
    first = registry.submit(job_key(7, 3, train_fraction=0.05))
    with pytest.raises(JobRequestError, match="Another model is training"):
        registry.submit(job_key(9, 1, train_fraction=TINY))
    first.cancel()
    assert first.wait(60)


def test_the_time_left_follows_the_pace_so_far():
    key = job_key(8, 4)
    assert JobState(key, RUNNING, fraction=0.01, elapsed_s=2.0).seconds_left is None  # too early for a pace
    assert JobState(key, RUNNING, fraction=0.25, elapsed_s=30.0).seconds_left == pytest.approx(90.0)
    assert JobState(key, DONE, fraction=1.0, elapsed_s=120.0).seconds_left is None


def test_a_full_data_epoch_is_quoted_from_the_nearest_checkpoint_in_size():
    """From the shipped checkpoints' own per-epoch timestamps, nearest on a log scale."""
    seconds, reference_dim = full_epoch_seconds(9)
    assert reference_dim == 8
    meta = read_meta(8)
    ends = [0.0] + [row["elapsed_s"] for row in meta["history"]]
    epochs = sorted(b - a for a, b in itertools.pairwise(ends))
    assert epochs[0] <= seconds <= epochs[-1] and seconds < meta["wall_time_s"] / 2
    assert full_epoch_seconds(600)[1] == 392 and full_epoch_seconds(1)[1] == min(list_checkpoints())
