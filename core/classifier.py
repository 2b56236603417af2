"""A small CNN that reads digits: the judge of whether a reconstruction is still recognisable.

MSE says how far a reconstruction is from its original pixel by pixel; it can't say
whether a reader still sees a "2" or now sees an "8". So we train one classifier on
MNIST's training set and ask it, for every level, how many reconstructions of the test
set it still reads correctly (core/recognition.py).

Network (about 0.2 M parameters, ~1.2 M multiply-adds per digit; sized to train in well
under 3 minutes on 2 busy CPU cores: twice the widths were 5x slower per step here):

    x ─ Conv3x3(1→16) ─ BN ─ ReLU ─ MaxPool2 ─ Conv3x3(16→32) ─ BN ─ ReLU ─ MaxPool2
      ─ flatten(32·7·7) ─ Linear(→128) ─ BN ─ ReLU ─ Dropout ─ Linear(→10)

BatchNorm and a one-cycle learning rate (AdamW) reach ~99.2 % test accuracy in three
epochs; no augmentation, so the classifier judges digits as MNIST draws them.

Shipped as `checkpoints/classifier.safetensors` + `classifier.json`, written by the same
locked, atomic code as the auto-encoders (`core.checkpoints.write_pair`). Training is
deterministic for a seed, data and thread count. Rebuild: `python -m core.classifier --train`
(or `make classifier`).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from torch import nn

from core.checkpoints import (
    CheckpointError,
    CheckpointMissingError,
    CheckpointPaths,
    load_weights_into,
    read_weights,
    write_pair,
)
from core.data import data_digest, load_split
from core.model import MNIST_MEAN, MNIST_STD
from core.paths import checkpoint_dir
from core.torch_thread import on_torch_thread
from core.train import one_cycle, step

NAME = "classifier"
TRAIN_COMMAND = "python -m core.classifier --train  (or: make classifier)"
N_CLASSES = 10


class ClassifierError(CheckpointError):
    """The classifier checkpoint is missing or unusable; the message says how to rebuild it."""


@dataclass
class ClassifierConfig:
    """Network and training recipe in one object: the JSON sidecar stores it."""

    channels: tuple[int, int] = (16, 32)
    hidden: int = 128
    dropout: float = 0.25
    epochs: int = 3
    batch_size: int = 128
    max_lr: float = 4e-3
    weight_decay: float = 5e-4
    seed: int = 0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["channels"] = list(self.channels)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> ClassifierConfig:
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        if "channels" in known:
            known["channels"] = tuple(known["channels"])
        return cls(**known)


class DigitClassifier(nn.Module):
    """Images (N, 1, 28, 28) in [0, 1] → logits (N, 10)."""

    def __init__(self, config: ClassifierConfig) -> None:
        super().__init__()
        self.config = config
        c1, c2 = config.channels
        self.features = nn.Sequential(
            nn.Conv2d(1, c1, 3, padding=1, bias=False),
            nn.BatchNorm2d(c1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 3, padding=1, bias=False),
            nn.BatchNorm2d(c2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
        )
        self.head = nn.Sequential(
            nn.Linear(c2 * 49, config.hidden, bias=False),
            nn.BatchNorm1d(config.hidden),
            nn.ReLU(),
            nn.Dropout(config.dropout),
            nn.Linear(config.hidden, N_CLASSES),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features((x - MNIST_MEAN) / MNIST_STD))


def _as_tensor(images: np.ndarray) -> torch.Tensor:
    x = np.asarray(images)
    x = x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)
    return torch.from_numpy(x.reshape(-1, 1, 28, 28))


@torch.no_grad()
def probabilities(model: DigitClassifier, images: np.ndarray, batch_size: int = 2000) -> np.ndarray:
    """Class probabilities (N, 10) for uint8 or [0, 1] float images, in eval mode."""
    was_training = model.training
    model.eval()
    x = _as_tensor(images)
    out = [torch.softmax(model(x[i : i + batch_size]), dim=1) for i in range(0, len(x), batch_size)]
    model.train(was_training)
    return torch.cat(out).numpy() if out else np.zeros((0, N_CLASSES), np.float32)


def accuracy(model: DigitClassifier, images: np.ndarray, labels: np.ndarray) -> float:
    return float((probabilities(model, images).argmax(1) == np.asarray(labels)).mean())


@dataclass
class ClassifierResult:
    model: DigitClassifier
    config: ClassifierConfig
    history: list[dict]  # one row per epoch: epoch, train_loss, test_accuracy, elapsed_s
    wall_time_s: float
    cpu_time_s: float = 0.0  # CPU seconds of this process (all threads): the cost on a machine others share


def train_classifier(
    config: ClassifierConfig,
    train_images: np.ndarray | None = None,
    train_labels: np.ndarray | None = None,
    test_images: np.ndarray | None = None,
    test_labels: np.ndarray | None = None,
    progress: Callable[[int, int, int, float], None] | None = None,
) -> ClassifierResult:
    """Train on MNIST's training split (or the arrays given); `progress(epoch, batch, batches, loss)`."""
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    if train_images is None or train_labels is None:
        train = load_split("train")
        train_images, train_labels = train.images, train.labels
    if test_images is None or test_labels is None:
        test = load_split("test")
        test_images, test_labels = test.images, test.labels
    x = _as_tensor(train_images)
    y = torch.from_numpy(np.asarray(train_labels, dtype=np.int64))
    model = DigitClassifier(config)
    batches = math.ceil(len(x) / config.batch_size)
    optimizer, scheduler = one_cycle(model, config.max_lr, config.weight_decay, config.epochs, batches)
    loss_fn = nn.CrossEntropyLoss()
    history: list[dict] = []
    start, cpu_start = time.perf_counter(), time.process_time()
    for epoch in range(1, config.epochs + 1):
        model.train()
        order = torch.randperm(len(x), generator=generator)
        total = 0.0
        for b in range(batches):
            idx = order[b * config.batch_size : (b + 1) * config.batch_size]
            total += step(loss_fn(model(x[idx]), y[idx]), optimizer, scheduler)
            if progress is not None:
                progress(epoch, b + 1, batches, total / (b + 1))
        history.append(
            {
                "epoch": epoch,
                "train_loss": total / batches,
                "test_accuracy": accuracy(model, test_images, test_labels),
                "elapsed_s": time.perf_counter() - start,
            }
        )
    model.eval()
    return ClassifierResult(model, config, history, time.perf_counter() - start, time.process_time() - cpu_start)


def classifier_paths(folder: Path | None = None) -> CheckpointPaths:
    folder = folder or checkpoint_dir()
    return CheckpointPaths(folder / f"{NAME}.safetensors", folder / f"{NAME}.json")


def save_classifier(result: ClassifierResult, folder: Path | None = None) -> dict:
    """Write the checkpoint pair; returns its metadata (config, metrics, digests, wall time)."""
    from core.checkpoints import _versions

    meta = {
        "format_version": 1,
        "name": NAME,
        "config": result.config.to_dict(),
        "history": result.history,
        "metrics": {"test_accuracy": result.history[-1]["test_accuracy"] if result.history else None},
        "n_parameters": sum(p.numel() for p in result.model.parameters()),
        "data_digest": data_digest(),
        "wall_time_s": result.wall_time_s,
        "cpu_time_s": result.cpu_time_s,
        "device": "cpu",
        "torch_threads": torch.get_num_threads(),
        "versions": _versions(),
    }
    return write_pair(classifier_paths(folder), result.model, meta, "aecl-classifier")


def read_classifier_meta(folder: Path | None = None) -> dict:
    """The classifier's JSON sidecar, checked; ClassifierError if missing or unreadable."""
    import json

    paths = classifier_paths(folder)
    if not paths.meta.is_file():
        raise ClassifierError(
            f"No digit classifier in {paths.meta.parent} ({paths.meta.name} is missing). Train it with: {TRAIN_COMMAND}"
        )
    try:
        meta = json.loads(paths.meta.read_text())
        ClassifierConfig.from_dict(meta["config"])
        meta["weights_sha256"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ClassifierError(
            f"The classifier's metadata {paths.meta.name} is unreadable ({type(exc).__name__}: {exc}). "
            f"Retrain it with: {TRAIN_COMMAND}"
        ) from exc
    return meta


@lru_cache(maxsize=4)
def _load(weights_sha256: str, folder: Path) -> tuple[DigitClassifier, dict]:
    from core.atomic import locked

    paths = classifier_paths(folder)
    hint = f"Retrain it with: {TRAIN_COMMAND}"
    try:
        with locked(paths.weights):
            meta = read_classifier_meta(folder)
            state = read_weights(paths, meta, hint)
        model = DigitClassifier(ClassifierConfig.from_dict(meta["config"]))
        load_weights_into(model, state, paths.weights.name, hint)
    except ClassifierError:
        raise
    except CheckpointMissingError as exc:
        raise ClassifierError(str(exc)) from exc
    except CheckpointError as exc:
        raise ClassifierError(f"The digit classifier can't be used: {exc}") from exc
    for p in model.parameters():
        p.requires_grad_(False)
    return model, meta


def load_classifier() -> tuple[DigitClassifier, dict]:
    """The shipped classifier (eval mode, CPU, shared) and its metadata; ClassifierError if unusable.

    Loaded once per weights digest: a retrained classifier is picked up without a restart.
    """
    folder = checkpoint_dir()
    model, meta = _load(read_classifier_meta(folder)["weights_sha256"], folder)
    if meta["weights_sha256"] != read_classifier_meta(folder)["weights_sha256"]:  # replaced meanwhile
        _load.cache_clear()
        return load_classifier()
    return model, meta


@on_torch_thread
def classify(images: np.ndarray) -> np.ndarray:
    """Class probabilities (N, 10) from the shipped classifier."""
    return probabilities(load_classifier()[0], images)


def main(argv: list[str] | None = None) -> int:
    from tqdm import tqdm

    parser = argparse.ArgumentParser(prog="python -m core.classifier", description=__doc__.splitlines()[0])
    parser.add_argument("--train", action="store_true", help="train on MNIST and write checkpoints/classifier.*")
    parser.add_argument("--epochs", type=int, default=ClassifierConfig.epochs)
    parser.add_argument("--seed", type=int, default=ClassifierConfig.seed)
    parser.add_argument("--no-save", action="store_true", help="train and report, write nothing")
    args = parser.parse_args(argv)
    if not args.train:
        try:
            meta = read_classifier_meta()
        except ClassifierError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        acc, wall = meta["metrics"]["test_accuracy"], meta["wall_time_s"]
        print(f"classifier: test accuracy {acc:.4%}, trained in {wall:.0f} s")
        return 0
    config = ClassifierConfig(epochs=args.epochs, seed=args.seed)
    bars: dict[int, tqdm] = {}

    def show(epoch: int, batch: int, batches: int, loss: float) -> None:
        if epoch not in bars:
            bars[epoch] = tqdm(total=batches, desc=f"classifier epoch {epoch}/{config.epochs}")
        bar = bars[epoch]
        bar.update(1)
        if batch % 20 == 0 or batch == batches:
            bar.set_postfix(loss=f"{loss:.4f}")
        if batch == batches:
            bar.close()

    result = train_classifier(config, progress=show)
    for row in result.history:
        print(f"epoch {row['epoch']}: loss {row['train_loss']:.4f}, test accuracy {row['test_accuracy']:.4%}")
    print(f"trained in {result.wall_time_s:.1f} s")
    if not args.no_save:
        save_classifier(result)
        print(f"wrote {classifier_paths().weights}")
    return 0


if __name__ == "__main__":
    if "--train" in sys.argv[1:]:
        from core.cpu_kernels import reexec_pinned

        reexec_pinned("core.classifier", sys.argv[1:])
    sys.exit(main())
