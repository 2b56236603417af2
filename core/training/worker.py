"""One lab training run in its own process: `python -m core.training.worker '<job JSON>'`.

Why a process and not a thread of the dashboard's server: in the server, training shared the
GIL with every session's page runs and walked a server-sized heap on each collection, so it
ran slower than `python -m core.train` even with nobody watching. Here it is the CLI's
situation exactly, and the server's sessions stay quick while it trains.

The parent (`core.training.jobs.Job`) reads one JSON line per event on stdout:
  {"event": "progress", epoch, epochs, batch, batches, train_loss, test_mse, test_images, elapsed_s[, snapshot]}
  {"event": "saved", "path": ..., "removed": [...]} | {"event": "cancelled"} | {"event": "failed", "error": ...}
`snapshot` is the sample digits' reconstructions, uint8 base64, every SNAPSHOT_EVERY_S and at
each epoch's end. SIGTERM cancels at the next batch; nothing is written then. The model is saved
as the lab model the job names (never a shipped checkpoint), then the lab is trimmed to its cap
(`removed`: the lab models that made room).
"""

from __future__ import annotations

import base64
import json
import signal
import sys
import threading
import time
from pathlib import Path

import numpy as np
import torch

from core.data.pixels import to_unit_float
from core.levels import IMAGE_SIDE

SNAPSHOT_EVERY_S = 2.0
#: The fields of `core.training.trainer.Progress` that each progress event carries.
PROGRESS_FIELDS = ("epoch", "epochs", "batch", "batches", "train_loss", "test_mse", "test_images", "elapsed_s")


def encode_images(images: np.ndarray) -> str:
    return base64.b64encode((np.clip(images, 0, 1) * 255).round().astype(np.uint8).tobytes()).decode()


def decode_images(text: str) -> np.ndarray:
    return to_unit_float(np.frombuffer(base64.b64decode(text), np.uint8).reshape(-1, IMAGE_SIDE, IMAGE_SIDE))


def _emit(message: dict) -> None:
    if sys.stdout is None:
        return
    try:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # the server is gone (that is why we were told to stop): nobody to tell
        sys.stdout = None


def run(job: dict) -> int:
    from core.checkpoints.files import save_checkpoint
    from core.checkpoints.lab import prune_lab
    from core.data.samples import sample_digits
    from core.training.trainer import Progress, TrainConfig, TrainingCancelled, eval_reconstructions, train

    cancel = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: cancel.set())
    samples = torch.from_numpy(sample_digits()[:, None])
    last_snapshot = [-1e9]

    def on_progress(p: Progress) -> None:
        message = {
            "event": "progress",
            **{k: getattr(p, k) for k in PROGRESS_FIELDS},
        }
        now = time.monotonic()
        if p.model is not None and (p.test_mse is not None or now - last_snapshot[0] >= SNAPSHOT_EVERY_S):
            last_snapshot[0] = now
            message["snapshot"] = encode_images(eval_reconstructions(p.model, samples).numpy()[:, 0])
        _emit(message)

    config = TrainConfig(
        latent_dim=job["latent_dim"], epochs=job["epochs"], seed=job["seed"], train_fraction=job["train_fraction"]
    )
    try:
        result = train(config, progress=on_progress, cancel=cancel)
        if cancel.is_set():  # cancelled after the last batch: still honour it
            raise TrainingCancelled("cancelled before saving")
        path = save_checkpoint(result, Path(job["folder"]), name=job["name"], lab=job["lab"])
    except TrainingCancelled:
        _emit({"event": "cancelled"})
        return 0
    except Exception as exc:  # reported to the page through the parent
        _emit({"event": "failed", "error": f"{type(exc).__name__}: {exc}"})
        return 1
    try:
        removed = prune_lab(job["max_models"], Path(job["folder"]))
    except OSError as exc:  # the model is saved; a failed trim is retried by the next run's
        print(f"trimming the lab failed: {exc}", file=sys.stderr)
        removed = []
    _emit({"event": "saved", "path": str(path), "removed": removed})
    return 0


if __name__ == "__main__":
    from core.training.allocator import keep_freed_memory

    keep_freed_memory()
    raise SystemExit(run(json.loads(sys.argv[1])))
