"""The model's anatomy, read off the real network: the shape of the data after each layer.

The lesson draws encoder → code → decoder from these shapes, so the diagram can never
drift from the model we ship (change the channels or the latent size and it redraws).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

import torch
from torch import nn

from core.levels import IMAGE_SIDE
from core.models.autoencoder import AutoEncoder

_LAYERS = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)


@dataclass(frozen=True)
class Stage:
    name: str
    part: str  # "input", "encoder", "code", "decoder" or "output"
    shape: tuple[int, ...]  # per image, without the batch dimension

    @property
    def size(self) -> int:
        return prod(self.shape)

    @property
    def shape_text(self) -> str:
        return "×".join(str(s) for s in self.shape)


@torch.no_grad()
def stages(model: AutoEncoder) -> list[Stage]:
    """Input, each weight layer's output (the skip-free main path), the code, the output."""
    recorded: list[tuple[str, str, tuple[int, ...]]] = []
    hooks = []
    for part_name, part in (("encoder", model.encoder), ("decoder", model.decoder)):
        for name, module in part.named_modules():
            if isinstance(module, _LAYERS) and not name.startswith("linear_path"):
                kind = {nn.Conv2d: "conv", nn.ConvTranspose2d: "deconv", nn.Linear: "linear"}[type(module)]
                hooks.append(
                    module.register_forward_hook(
                        lambda _m, _i, out, part_name=part_name, kind=kind: recorded.append(
                            (part_name, kind, tuple(out.shape[1:]))
                        )
                    )
                )
    was_training = model.training
    model.eval()
    try:
        model(torch.zeros(2, 1, IMAGE_SIDE, IMAGE_SIDE))
    finally:
        model.train(was_training)
        for h in hooks:
            h.remove()
    result = [Stage("input", "input", (1, IMAGE_SIDE, IMAGE_SIDE))]
    counts: dict[str, int] = {}
    last_encoder = max(i for i, (p, _, _) in enumerate(recorded) if p == "encoder")
    for i, (part, kind, shape) in enumerate(recorded):
        if i == last_encoder:
            result.append(Stage("code", "code", shape))
            continue
        if i == len(recorded) - 1:
            result.append(Stage("output", "output", shape))
            continue
        counts[kind] = counts.get(kind, 0) + 1  # numbered through the whole model: names stay unique
        result.append(Stage(f"{kind} {counts[kind]}", part, shape))
    return result
