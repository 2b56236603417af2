"""Background training jobs: one per requested model, shared by every session of the process.

Why a registry here and not in the page: Streamlit reruns a page script on every
interaction, runs each browser session in its own thread, and forgets a session on
reload; a training run takes minutes. So a job runs `core.training.trainer.train` in a worker
process (`core.training.worker`: the CLI's situation, away from the server's GIL), a daemon
thread folds its progress into a state, and the page only reads that state. The registry
is keyed by what defines the model (latent size, epochs, seed, training fraction): a
reload finds the same job again, and two sessions asking for the same model share one
run instead of training it twice.

A run belongs to the session that started it (`owner`, an anonymous token: the dashboard has
no accounts): only that session can cancel it; others watch it and wait. A run whose
session has gone trains on and is saved. On success the worker saves a *lab model*
(`core.checkpoints.lab`), never a shipped checkpoint, with the same atomic `save_checkpoint` the CLI
uses, then trims the lab to the server's cap; every view lists it beside the shipped
models at once. A cancelled or failed run writes nothing: `train` stops before returning,
and the save itself is atomic. If the server dies, the kernel sends the worker SIGTERM
(PR_SET_PDEATHSIG): it stops unsaved. What the lab allows (`core.checkpoints.lab.LabPolicy`) is
checked on every request.

At most `max_running` jobs train at a time (one by default): on two CPU cores, two runs
side by side would each take twice as long and make the dashboard sluggish. The worker
also runs at a lower CPU priority (`WORKER_NICENESS`): when the server has a page to draw
it gets the cores first, and when the server is idle the run trains as fast as the CLI.
"""

from __future__ import annotations

import json
import logging
import secrets
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from core.checkpoints.lab import MAX_EPOCHS, LabPolicy, lab_model_name, lab_policy
from core.data.samples import sample_digits
from core.levels import check_latent_dim
from core.paths import REPO_ROOT, lab_dir
from core.training.cpu_kernels import pinned_env
from core.training.worker import decode_images

log = logging.getLogger(__name__)

#: Smallest training fraction: below ~300 digits an epoch is a couple of steps and teaches nothing.
MIN_TRAIN_FRACTION = 0.005
#: How often the lab's live panel rereads a job. Every rerun, however small, costs the browser CPU (Streamlit's
#: frontend); polled much more often, a local browser slows training on the same cores.
POLL_S = 5.0
#: The live loss curve and samples change at most this often while a run trains. An unchanged chart costs the
#: browser nothing on a poll; a changed one is laid out again by plotly, which costs CPU.
CHARTS_EVERY_S = 10.0
#: Running-loss points kept per epoch for the live curve.
STEPS_PER_EPOCH = 50
#: How much lower the training worker's CPU priority is than the server's. At equal priority a run's threads hold
#: every core and pages slow down; niceness only matters while the server wants the CPU, so an unwatched run is not
#: slowed.
WORKER_NICENESS = 5

#: The module each run trains in, as its process's command line names it (the load test looks for it).
WORKER_MODULE = decode_images.__module__

RUNNING, DONE, CANCELLED, FAILED = "running", "done", "cancelled", "failed"


class JobRequestError(ValueError):
    """A training request we refuse; the message is written for the person who asked."""


class LabDisabledError(JobRequestError):
    """This server's lab is switched off (AECL_LAB=off)."""


class NotYourRunError(JobRequestError):
    """A session asked to cancel a run that another session started."""


@dataclass(frozen=True)
class JobKey:
    """What defines a trained model: equal keys mean the same run, so they share one job."""

    latent_dim: int
    epochs: int
    seed: int = 0
    train_fraction: float = 1.0

    @property
    def token(self) -> str:
        """A short string for a URL (`?job=...`), so a reloaded page finds its job again."""
        return f"d{self.latent_dim}-e{self.epochs}-s{self.seed}-f{self.train_fraction:g}"

    def label(self) -> str:
        share = "all" if self.train_fraction >= 1 else f"{self.train_fraction:.1%}"
        return f"d={self.latent_dim}, {self.epochs} epoch(s), {share} of the training set, seed {self.seed}"


def job_key(latent_dim: int, epochs: int, seed: int = 0, train_fraction: float = 1.0) -> JobKey:
    """A validated key; JobRequestError with a message a visitor can act on otherwise."""
    try:
        check_latent_dim(latent_dim)
    except ValueError as exc:
        raise JobRequestError(f"The latent size must be a whole number from 1 to 784 ({exc}).") from exc
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise JobRequestError(f"Train for at least one epoch (got {epochs!r}).")
    if epochs > MAX_EPOCHS:
        raise JobRequestError(
            f"{epochs} epochs is more than the lab allows ({MAX_EPOCHS}; longer runs belong to the command "
            f"line). Use: python -m core.train --latent-dim {latent_dim} --epochs {epochs}"
        )
    if not MIN_TRAIN_FRACTION <= train_fraction <= 1:
        raise JobRequestError(
            f"The share of the training set must be between {MIN_TRAIN_FRACTION:.1%} and 100 % "
            f"(got {train_fraction:.2%})."
        )
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise JobRequestError(f"The seed must be a whole number ≥ 0 (got {seed!r}).")
    return JobKey(latent_dim, epochs, seed, float(train_fraction))


@dataclass(frozen=True)
class JobState:
    """A consistent copy of a job's progress, safe to read while training goes on."""

    key: JobKey
    status: str
    fraction: float = 0.0
    epoch: int = 0
    train_loss: float | None = None
    history: tuple[dict, ...] = ()  # one row per finished epoch: epoch, train_loss, test_mse, test_images, elapsed_s
    steps: tuple[tuple[float, float], ...] = ()  # (epochs done, running loss) for the live curve
    snapshots: tuple[tuple[str, np.ndarray], ...] = ()  # (when, reconstructions of the sample digits)
    elapsed_s: float = 0.0
    error: str | None = None
    checkpoint: Path | None = None

    @property
    def running(self) -> bool:
        return self.status == RUNNING

    @property
    def seconds_left(self) -> float | None:
        """Time to the end at the pace so far; None until a twentieth of the run gives a pace worth quoting."""
        if not self.running or self.fraction < 0.05 or self.elapsed_s <= 0:
            return None
        return self.elapsed_s * (1 - self.fraction) / self.fraction


@dataclass
class Job:
    """One training run in its own worker process, watched by a thread. Read it with `state()`; stop it with
    `cancel()`."""

    key: JobKey
    folder: Path  # the lab folder it saves into
    sample_images: np.ndarray  # (n, 28, 28) float32: the digits whose reconstructions are shown
    owner: str = ""  # the session that started it: only it may cancel
    max_models: int = LabPolicy().max_models  # the lab's disk cap, applied after the save
    run_id: str = field(default_factory=lambda: secrets.token_hex(3))
    started: float = field(default_factory=time.time)
    _state: JobState = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _cancel: threading.Event = field(default_factory=threading.Event, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)
    _process: subprocess.Popen | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self._state = JobState(self.key, RUNNING)

    def state(self) -> JobState:
        with self._lock:
            return self._state

    @property
    def model_name(self) -> str:
        """The lab model this run saves, once done (`core.checkpoints.lab.lab_model_name`)."""
        return lab_model_name(self.key.latent_dim, self.run_id, self.started)

    def cancel(self, by: str | None = None) -> None:
        """Stop at the next batch; nothing is written.

        `by`: the session asking. Only the session that started the run may stop it (NotYourRunError
        otherwise); None is the server itself (shutdown, scripts, tests)."""
        if by is not None and by != self.owner:
            s = self.state()
            left = "" if s.seconds_left is None else f" It ends by itself in about {s.seconds_left / 60:.0f} min."
            raise NotYourRunError(
                f"This run ({self.key.label()}) was started by another visitor's session, and only that session "
                f"can cancel it.{left} Your own run can start once it ends."
            )
        self._cancel.set()
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()  # SIGTERM: the worker stops at its next batch, without saving

    @property
    def worker_pid(self) -> int | None:
        """The training process's id (tests read its priority); None before it starts."""
        process = self._process
        return None if process is None else process.pid

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has ended (for scripts and tests); True if it has."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.state().running

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"train-{self.key.token}", daemon=True)
        self._thread.start()

    def _update(self, **changes) -> None:
        with self._lock:
            self._state = replace(self._state, **changes)

    def _apply(self, message: dict) -> None:
        """One progress event from the worker process, folded into the state the pages read."""
        epoch, batch, batches = message["epoch"], message["batch"], message["batches"]
        done = epoch - 1 + batch / batches
        s = self._state  # only this thread writes, so reading without the lock is safe here
        changes: dict = {
            "fraction": ((epoch - 1) * batches + batch) / (message["epochs"] * batches),
            "epoch": epoch,
            "train_loss": message["train_loss"],
            "elapsed_s": message["elapsed_s"],
        }
        if message["test_mse"] is not None:
            row = {k: message.get(k) for k in ("epoch", "train_loss", "test_mse", "test_images", "elapsed_s")}
            changes["history"] = (*s.history, row)
        elif batch % max(1, batches // STEPS_PER_EPOCH) == 0 or batch == batches:
            changes["steps"] = (*s.steps, (done, message["train_loss"]))
        if "snapshot" in message:
            when = f"after epoch {epoch}" if message["test_mse"] is not None else f"epoch {done:.2f}"
            # keep each epoch's end, and only the latest mid-epoch view
            kept = tuple(x for x in s.snapshots if x[0].startswith("after"))
            changes["snapshots"] = (*kept, (when, decode_images(message["snapshot"])))
        self._update(**changes)

    def _run(self) -> None:
        lab = {
            "run_by": self.owner or "a script",
            "run_id": self.run_id,
            "started_at": time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(self.started)),
            "settings": self.key.label(),
        }
        request = {
            **asdict(self.key),
            "folder": str(self.folder),
            "name": self.model_name,
            "lab": lab,
            "max_models": self.max_models,
        }
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", WORKER_MODULE, json.dumps(request)],
                cwd=REPO_ROOT,
                stdout=subprocess.PIPE,
                text=True,
                env=pinned_env(),  # the CLI's kernels, so a lab run gives the CLI's weights
                preexec_fn=_prepare_worker,
            )
            if self._cancel.is_set():  # cancelled while the process was starting
                self._process.terminate()
            end: dict = {"event": "failed", "error": "the training process ended without a word"}
            for line in self._process.stdout:
                message = json.loads(line)
                if message["event"] == "progress":
                    self._apply(message)
                else:
                    end = message
            code = self._process.wait()
        except Exception as exc:  # a thread has nobody to raise to: record it for the page
            log.exception("training job %s failed", self.key.token)
            self._update(status=FAILED, error=f"{type(exc).__name__}: {exc}")
            return
        if end["event"] == "saved":
            self._update(status=DONE, checkpoint=Path(end["path"]), fraction=1.0)
        elif end["event"] == "cancelled" or (self._cancel.is_set() and code != 0):
            self._update(status=CANCELLED)
        else:
            self._update(status=FAILED, error=end.get("error") or f"the training process exited with {code}")


def check_allowed(key: JobKey, policy: LabPolicy) -> None:
    """Refuse, with a message for the visitor, a request this server's lab does not allow."""
    if not policy.enabled:
        raise LabDisabledError("Training is turned off on this server (AECL_LAB=off).")
    if key.epochs > policy.max_epochs:
        raise JobRequestError(
            f"This server's lab allows at most {policy.max_epochs} epoch(s) per run (you asked for {key.epochs})."
        )
    if key.train_fraction > policy.max_fraction + 1e-9:
        raise JobRequestError(
            f"This server's lab trains on at most {policy.max_fraction:.1%} of the training digits "
            f"(you asked for {key.train_fraction:.1%})."
        )


def full_epoch_seconds(latent_dim: int, folder: Path | None = None) -> tuple[float, int] | None:
    """Seconds per epoch on all 60,000 digits, as measured when the nearest checkpoint in size was trained, and
    that checkpoint's latent size.

    Read from the checkpoint's own per-epoch timestamps (their median, so a run paused for a while doesn't skew
    it), to tell a visitor what a full-data run costs before they start one, without guessing. The nearest size
    on a log scale, since the model's width changes with the code size. None without a full-data checkpoint."""
    from core.checkpoints.files import CheckpointError, list_checkpoints, read_meta

    timings = {}
    for dim in list_checkpoints(folder):
        try:
            meta = read_meta(dim, folder)
            ends = [0.0] + [float(row["elapsed_s"]) for row in meta["history"]]
            if meta["train"]["train_fraction"] < 1 or len(ends) < 2:
                continue
        except (CheckpointError, KeyError, TypeError, ValueError):
            continue  # the views say what is wrong with it; here it just doesn't count
        timings[dim] = float(np.median(np.diff(ends)))
    if not timings:
        return None
    nearest = min(timings, key=lambda dim: (abs(np.log(dim / latent_dim)), dim))
    return timings[nearest], nearest


def _prepare_worker() -> None:
    """In the forked worker: yield the CPU to the server, and stop (SIGTERM: cancel, nothing saved) if it dies."""
    import contextlib
    import ctypes
    import os
    import signal

    os.nice(WORKER_NICENESS)
    with contextlib.suppress(OSError):  # not Linux/glibc: the run then finishes and saves on its own
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class JobRegistry:
    """Every job of this process, by key. Thread-safe: sessions submit concurrently."""

    def __init__(self, max_running: int = 1) -> None:
        self.max_running = max_running
        self._jobs: dict[JobKey, Job] = {}
        self._lock = threading.Lock()

    def submit(self, key: JobKey, owner: str = "", folder: Path | None = None, policy: LabPolicy | None = None) -> Job:
        """The running job for `key` (joined, still its starter's), or a new lab run owned by `owner`.

        Refuses with JobRequestError where it must: the lab off or the request over its limits (`policy`,
        default from the environment), or another model training."""
        policy = policy or lab_policy()
        check_allowed(key, policy)
        folder = Path(folder or lab_dir())  # fixed now: the thread must not follow later env changes
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and job.state().running:
                return job
            busy = [j for j in self._jobs.values() if j.state().running]
            if len(busy) >= self.max_running:
                other = busy[0].state()
                whose = "Your run" if owner and busy[0].owner == owner else "Another visitor's run"
                left = "" if other.seconds_left is None else f", about {other.seconds_left / 60:.0f} min left"
                raise JobRequestError(
                    f"Another model is training: {whose} of {other.key.label()} ({other.fraction:.0%} done{left}). "
                    "One model trains at a time here; start yours when it has finished."
                )
            job = Job(key, folder, sample_digits(), owner=owner, max_models=policy.max_models)
            self._jobs.pop(key, None)  # a finished run of the same key: the new one goes to the front
            self._jobs[key] = job
            job.start()
            return job

    def get(self, key: JobKey) -> Job | None:
        with self._lock:
            return self._jobs.get(key)

    def find(self, token: str) -> Job | None:
        """The job whose key has this URL token, if this process knows it."""
        with self._lock:
            return next((j for k, j in self._jobs.items() if k.token == token), None)

    def jobs(self) -> list[Job]:
        """All jobs, newest first."""
        with self._lock:
            return list(reversed(self._jobs.values()))

    def running(self) -> list[Job]:
        return [j for j in self.jobs() if j.state().running]


_REGISTRY = JobRegistry()


def registry() -> JobRegistry:
    """The process-wide registry every session shares."""
    return _REGISTRY
