"""The plain baseline auto-encoder from the core issue, kept only to measure against.

Encoder Conv(1→32, 3, s2)-ReLU-Conv(32→64, 3, s2)-ReLU-Linear(3136→d); decoder mirrored
with ConvTranspose and a sigmoid; Adam 1e-3, batch 128, MSE, 10 epochs.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn


class BaselineAutoEncoder(nn.Module):
    def __init__(self, latent_dim: int) -> None:
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 32, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(32, 64, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(3136, latent_dim),
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, 3136),
            nn.ReLU(),
            nn.Unflatten(1, (64, 7, 7)),
            nn.ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=1),
            nn.ReLU(),
            nn.ConvTranspose2d(32, 1, 3, stride=2, padding=1, output_padding=1),
            nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


def train_baseline(
    latent_dim: int, train_images: np.ndarray, test_images: np.ndarray, epochs: int = 10, seed: int = 0
) -> list[dict]:
    """Train the baseline; one history row per epoch (test_mse, elapsed_s)."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    train_x = torch.from_numpy(np.asarray(train_images, dtype=np.float32) / 255).unsqueeze(1)
    test_x = torch.from_numpy(np.asarray(test_images, dtype=np.float32) / 255).unsqueeze(1)
    model = BaselineAutoEncoder(latent_dim)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    history, start = [], time.perf_counter()
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(train_x), generator=gen)
        for i in range(0, len(train_x), 128):
            x = train_x[order[i : i + 128]]
            loss = nn.functional.mse_loss(model(x), x)
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            mse = float(
                sum(
                    ((model(test_x[i : i + 1000]) - test_x[i : i + 1000]) ** 2).sum()
                    for i in range(0, len(test_x), 1000)
                )
                / test_x.numel()
            )
        history.append({"epoch": epoch, "test_mse": mse, "elapsed_s": time.perf_counter() - start})
    return history
