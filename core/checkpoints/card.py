"""A model card: what one checkpoint is and how it was made, read from its JSON sidecar.

The dashboard shows it wherever a model is chosen, so a visitor can see what a level
costs (bytes per image) and what it was trained with before trusting its pictures.
"""

from __future__ import annotations

from pathlib import Path

from core.checkpoints.files import read_meta
from core.checkpoints.lab import ModelRef, is_lab_model, lab_card_rows, latent_dim_of
from core.levels import N_PIXELS, compression_pct, latent_bytes
from core.models.config import ACTIVATIONS, ModelConfig


def _device(meta: dict) -> str:
    device = str(meta.get("device", "an unrecorded device"))
    kernels = meta.get("cpu_kernels")
    if isinstance(kernels, dict) and kernels.get("aten"):
        device += f" ({kernels['aten']} kernels)"
    return device


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "not recorded"
    minutes, s = divmod(round(seconds), 60)
    return f"{minutes} min {s} s" if minutes else f"{s} s"


def network_text(config: ModelConfig) -> str:
    """One line on how the network is built: models of two recipes can sit side by side on the error curve."""
    c1, c2 = config.channels
    parts = [f"convolutions {c1}/{c2} wide", ACTIVATIONS[config.activation]]
    kind = "bottleneck " if config.res_kind == "bottleneck" else ""
    if config.res_blocks:
        plural = "s" if config.res_blocks > 1 else ""
        parts.append(f"{config.res_blocks} {kind}residual block{plural} each side")
    if config.res_blocks_14:
        plural = "s" if config.res_blocks_14 > 1 else ""
        parts.append(
            f"{config.res_blocks_14} more at 14x14 in the decoder"
            if config.res_blocks
            else f"{config.res_blocks_14} {kind}residual block{plural} at 14x14 in the decoder"
        )
    parts.append(f"hidden layer {config.hidden}" if config.hidden else "no hidden layer")
    if config.linear_path:
        parts.append("linear path")
    return ", ".join(parts)


def network_of(latent_dim: int, folder: Path | None = None) -> ModelConfig:
    """The network a checkpoint was built as, read from its sidecar (legacy fields as they were)."""
    return ModelConfig.from_dict(read_meta(latent_dim, folder)["model"])


def trained_on_an_earlier_network(latent_dims: list[int], folder: Path | None = None) -> list[int]:
    """The sizes whose checkpoint was built differently from what `make checkpoints` would build today.

    The error curve mixes them with today's models; a visitor comparing neighbouring points
    should know that part of a step between them is the network, not the latent size.
    """
    return [d for d in latent_dims if network_of(d, folder) != ModelConfig(latent_dim=d)]


def model_card(ref: ModelRef, folder: Path | None = None, meta: dict | None = None) -> list[tuple[str, str]]:
    """(field, value) rows for one checkpoint (a shipped size or a lab model, whose card also says who trained
    it, when and how); CheckpointError if it can't be read. `meta`: the sidecar already in hand."""
    meta = meta or read_meta(ref, folder)
    latent_dim = latent_dim_of(ref)
    train = meta.get("train", {})
    fraction = train.get("train_fraction", 1.0)
    mse = (meta.get("metrics") or {}).get("test_mse")
    b32, b16, b8 = (latent_bytes(latent_dim, t) for t in ("float32", "float16", "uint8"))
    return (
        [
            ("latent dims", f"{latent_dim} (compression {compression_pct(latent_dim):.1f} %)"),
            ("parameters", f"{meta.get('n_parameters', 0):,}"),
            ("network", network_text(ModelConfig.from_dict(meta["model"]))),  # read_meta has checked it parses
            ("bytes per image", f"{b32:,} as float32 · {b16:,} as float16 · {b8:,} as 8-bit (raw digit: {N_PIXELS})"),
            ("epochs", str(train.get("epochs", "not recorded"))),
            ("training data", "all 60,000 digits" if fraction >= 1 else f"{fraction:.1%} of the 60,000 digits"),
            ("training time", f"{_duration(meta.get('wall_time_s'))} on {_device(meta)}"),
            ("test MSE", f"{mse:.6f}" if mse is not None else "not recorded"),
            ("weights SHA-256", meta["weights_sha256"][:16] + "…"),
        ]
        + (lab_card_rows(meta) if is_lab_model(ref) else [])
    )


def codec_card(meta: dict) -> list[tuple[str, str]]:
    """(field, value) rows for one of the codec's rate models (`core.codec`), from its sidecar."""
    train = meta.get("train", {})
    metrics = meta.get("metrics") or {}
    warm = meta.get("warm_start") or {}
    fraction = train.get("train_fraction", 1.0)
    n = metrics.get("n_images")
    rows = [
        ("model", str(meta.get("name"))),
        ("latent dims", str(meta.get("latent_dim"))),
        ("λ (MSE per bit)", f"{meta.get('lmbda', 0):g}"),
        ("parameters", f"{meta.get('n_parameters', 0):,}"),
        ("network", network_text(ModelConfig.from_dict(meta["model"]))),
        (
            "started from",
            f"{warm['name']} ({str(warm.get('weights_sha256', ''))[:12]}…)" if warm else "scratch (random weights)",
        ),
        ("entropy model", f"a mixture of {meta.get('components', 1)} factorized densities, integer tables"),
        ("training", f"{train.get('epochs', '?')} epoch(s) on {fraction:.0%} of the 60,000 digits, MSE + λ · bits"),
        ("training time", f"{_duration(meta.get('wall_time_s'))} on {_device(meta)}"),
    ]
    if n:
        rows += [
            ("bytes per digit", f"{metrics['bytes_per_digit']:.3f} (one file of the {n:,} test digits)"),
            ("test MSE", f"{metrics['test_mse']:.6f}"),
            ("estimated / real bytes", f"{metrics['estimated_bytes']:,.0f} / {metrics['file_bytes']:,}"),
        ]
    return [*rows, ("weights SHA-256", str(meta.get("weights_sha256", ""))[:16] + "…")]
