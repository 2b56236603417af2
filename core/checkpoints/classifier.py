"""The digit classifier's checkpoint: `checkpoints/classifier.safetensors` + `classifier.json`.

Written by the same locked, atomic code as the auto-encoders (`core.checkpoints.files.write_pair`),
loaded once per weights digest, and a clear `ClassifierError` (with the command that rebuilds it)
when it is missing or damaged.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.checkpoints.files import (
    CheckpointError,
    CheckpointMissingError,
    CheckpointPaths,
    library_versions,
    load_pair,
    verify_pair,
    write_pair,
)
from core.data.mnist import data_digest
from core.models.config import ClassifierConfig
from core.models.torch_thread import on_torch_thread
from core.paths import checkpoint_dir

if TYPE_CHECKING:  # torch loads with the weights: a page that reads only the sidecar never waits for it
    from core.models.classifier import DigitClassifier

NAME = "classifier"
TRAIN_COMMAND = "python -m core.classifier --train  (or: make classifier)"


class ClassifierError(CheckpointError):
    """The classifier checkpoint is missing or unusable; the message says how to rebuild it."""


def classifier_paths(folder: Path | None = None) -> CheckpointPaths:
    folder = folder or checkpoint_dir()
    return CheckpointPaths(folder / f"{NAME}.safetensors", folder / f"{NAME}.json")


def save_classifier(result, folder: Path | None = None) -> dict:
    """Write the checkpoint pair; returns its metadata (config, metrics, digests, wall time)."""
    import torch

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
        "versions": library_versions(),
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


def _as_classifier_error(exc: CheckpointError) -> ClassifierError:
    if isinstance(exc, CheckpointMissingError):
        return ClassifierError(str(exc))
    return ClassifierError(f"The digit classifier can't be used: {exc}")


def verify_classifier() -> dict:
    """The classifier's sidecar once its pair checks out without torch (`verify_pair`); ClassifierError if not.
    For pages whose readings ship as records."""
    folder = checkpoint_dir()
    try:
        return verify_pair(
            classifier_paths(folder), lambda: read_classifier_meta(folder), f"Retrain it with: {TRAIN_COMMAND}"
        )
    except ClassifierError:
        raise
    except CheckpointError as exc:
        raise _as_classifier_error(exc) from exc


@lru_cache(maxsize=4)
def _load(weights_sha256: str, folder: Path) -> tuple[DigitClassifier, dict]:
    from core.models.classifier import DigitClassifier

    try:
        model, meta = load_pair(
            classifier_paths(folder),
            lambda: read_classifier_meta(folder),
            lambda meta: DigitClassifier(ClassifierConfig.from_dict(meta["config"])),
            f"Retrain it with: {TRAIN_COMMAND}",
        )
    except ClassifierError:
        raise
    except CheckpointError as exc:
        raise _as_classifier_error(exc) from exc
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
    from core.models.classifier import probabilities

    return probabilities(load_classifier()[0], images)


@on_torch_thread
def classifier_features(images: np.ndarray) -> np.ndarray:
    """The shipped classifier's last hidden layer (N, hidden) for uint8 or [0, 1] float digits."""
    from core.models.classifier import penultimate

    return penultimate(load_classifier()[0], images)
