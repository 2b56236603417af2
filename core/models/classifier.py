"""A small CNN that reads digits: the judge of whether a reconstruction is still recognisable.

MSE says how far a reconstruction is from its original pixel by pixel; it can't say
whether a reader still sees a "2" or now sees an "8". So one classifier, trained on
MNIST's training set (`core.training.classifier`), reads every level's reconstructions
of the test set (`core.evaluation.recognition`).

Network (about 0.2 M parameters; small enough to train in a few minutes on two CPU cores):

    x ─ Conv3x3(1→16) ─ BN ─ ReLU ─ MaxPool2 ─ Conv3x3(16→32) ─ BN ─ ReLU ─ MaxPool2
      ─ flatten(32·7·7) ─ Linear(→128) ─ BN ─ ReLU ─ Dropout ─ Linear(→10)

No augmentation, so the classifier judges digits as MNIST draws them.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from core.data.pixels import to_unit_float
from core.levels import IMAGE_SIDE
from core.models.autoencoder import MNIST_MEAN, MNIST_STD
from core.models.config import ClassifierConfig

N_CLASSES = 10


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


def as_input(images: np.ndarray) -> torch.Tensor:
    """Digits (uint8 or [0, 1] floats, N x 28 x 28) as the network's input tensor (N, 1, 28, 28)."""
    return torch.from_numpy(to_unit_float(images).reshape(-1, 1, IMAGE_SIDE, IMAGE_SIDE))


@torch.no_grad()
def probabilities(model: DigitClassifier, images: np.ndarray, batch_size: int = 2000) -> np.ndarray:
    """Class probabilities (N, 10) for uint8 or [0, 1] float images, in eval mode."""
    was_training = model.training
    model.eval()
    x = as_input(images)
    out = [torch.softmax(model(x[i : i + batch_size]), dim=1) for i in range(0, len(x), batch_size)]
    model.train(was_training)
    return torch.cat(out).numpy() if out else np.zeros((0, N_CLASSES), np.float32)


@torch.no_grad()
def penultimate(model: DigitClassifier, images: np.ndarray, batch_size: int = 2000) -> np.ndarray:
    """The last hidden layer's activations (N, hidden), in eval mode: what the classifier "sees" in a digit,
    the feature space of the two-sample test and the Fréchet distance (`core.evaluation.divergence`)."""
    was_training = model.training
    model.eval()
    x = as_input(images)
    hidden = model.head[:-1]  # everything before the last Linear (its Dropout is the identity in eval mode)
    batches = (x[i : i + batch_size] for i in range(0, len(x), batch_size))
    out = [hidden(model.features((b - MNIST_MEAN) / MNIST_STD)) for b in batches]
    model.train(was_training)
    return torch.cat(out).numpy() if out else np.zeros((0, model.config.hidden), np.float32)


def accuracy(model: DigitClassifier, images: np.ndarray, labels: np.ndarray) -> float:
    return float((probabilities(model, images).argmax(1) == np.asarray(labels)).mean())
