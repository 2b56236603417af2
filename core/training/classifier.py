"""Training the digit classifier (`python -m core.classifier --train`, `make classifier`).

BatchNorm and a one-cycle learning rate (AdamW) reach about 99 % test accuracy in three epochs.
Training is deterministic for a seed, data and thread count, on the same pinned CPU kernels as
the auto-encoders.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from core.checkpoints.classifier import ClassifierError, classifier_paths, read_classifier_meta, save_classifier
from core.data.mnist import load_split
from core.models.classifier import ClassifierConfig, DigitClassifier, accuracy, as_input
from core.training.trainer import one_cycle, step


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
    x = as_input(train_images)
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
