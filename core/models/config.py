"""What a checkpoint's network is, as data: the auto-encoder's and the classifier's configs, stored in their
checkpoints' JSON.

Apart from the networks (`core.models.autoencoder`, `core.models.classifier`), so that reading a sidecar,
listing the shipped models and drawing what the records hold never import torch: a page whose results ship
as records opens without it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from core.levels import check_latent_dim

#: Hidden MLP width for codes narrower than it; wider codes skip it (it would be a needless bottleneck).
HIDDEN_WIDTH = 256


#: What a checkpoint that predates a field was built with: its JSON lacks the field, and reading it back must
#: rebuild the network it was trained as (ReLU, no residual blocks), not today's default.
LEGACY_DEFAULTS = {"activation": "relu", "res_blocks": 0, "res_kind": "conv", "res_blocks_14": 0}
#: The activations a network can use, by the name its config stores (and the name people read).
ACTIVATIONS = {"relu": "ReLU", "silu": "SiLU"}
RESIDUAL_KINDS = ("conv", "bottleneck")
#: Codes this narrow get the costlier network (wider 7x7 stage, bottleneck residual blocks, one more at 14x14).
NARROW_CODE_MAX = 8


@dataclass
class ModelConfig:
    """Everything needed to rebuild the network; stored in every checkpoint's JSON."""

    latent_dim: int
    channels: tuple[int, int] | None = None  # None: (32, 64) for narrow codes, else (32, 48)
    hidden: int | None = None  # MLP width between conv features and latent; None: HIDDEN_WIDTH if narrower codes
    linear_path: bool = True
    activation: str = "silu"
    res_blocks: int = 1  # residual blocks at 7x7, in the encoder and again in the decoder
    res_kind: str | None = None  # "conv" (one 3x3) or "bottleneck" (1x1-3x3-1x1); None: bottleneck if narrow
    res_blocks_14: int | None = None  # residual blocks at 14x14 in the decoder; None: 1 if narrow, else 0

    def __post_init__(self) -> None:
        check_latent_dim(self.latent_dim)
        narrow = self.latent_dim <= NARROW_CODE_MAX
        if self.hidden is None:
            self.hidden = HIDDEN_WIDTH if self.latent_dim < HIDDEN_WIDTH else 0
        if self.channels is None:
            self.channels = (32, 64) if narrow else (32, 48)
        if self.res_kind is None:
            self.res_kind = "bottleneck" if narrow else "conv"
        if self.res_blocks_14 is None:
            self.res_blocks_14 = 1 if narrow else 0
        self.channels = tuple(int(c) for c in self.channels)
        if len(self.channels) != 2 or min(self.channels) < 1:
            raise ValueError(f"channels must be two positive widths, got {self.channels}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {self.activation!r}")
        if self.res_kind not in RESIDUAL_KINDS:
            raise ValueError(f"res_kind must be one of {list(RESIDUAL_KINDS)}, got {self.res_kind!r}")
        for name in ("res_blocks", "res_blocks_14"):
            if not 0 <= getattr(self, name) <= 8:
                raise ValueError(f"{name} must be between 0 and 8, got {getattr(self, name)}")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["channels"] = list(self.channels)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> ModelConfig:
        fields = (
            "latent_dim",
            "channels",
            "hidden",
            "linear_path",
            "activation",
            "res_blocks",
            "res_kind",
            "res_blocks_14",
        )
        known = {k: d.get(k, LEGACY_DEFAULTS.get(k)) for k in fields if k in d or k in LEGACY_DEFAULTS}
        return cls(**known)


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
