"""A model card: what one checkpoint is and how it was made, read from its JSON sidecar.

The dashboard shows it wherever a model is chosen, so a visitor can see what a level
costs (bytes per image) and what it was trained with before trusting its pictures.
"""

from __future__ import annotations

from pathlib import Path

from core.checkpoints import read_meta
from core.levels import N_PIXELS, compression_pct, latent_bytes


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "not recorded"
    minutes, s = divmod(round(seconds), 60)
    return f"{minutes} min {s} s" if minutes else f"{s} s"


def model_card(latent_dim: int, folder: Path | None = None) -> list[tuple[str, str]]:
    """(field, value) rows for one checkpoint; CheckpointError if it can't be read."""
    meta = read_meta(latent_dim, folder)
    train = meta.get("train", {})
    fraction = train.get("train_fraction", 1.0)
    mse = (meta.get("metrics") or {}).get("test_mse")
    b32, b16, b8 = (latent_bytes(latent_dim, t) for t in ("float32", "float16", "uint8"))
    return [
        ("latent dims", f"{latent_dim} (compression {compression_pct(latent_dim):.1f} %)"),
        ("parameters", f"{meta.get('n_parameters', 0):,}"),
        ("bytes per image", f"{b32:,} as float32 · {b16:,} as float16 · {b8:,} as 8-bit (raw digit: {N_PIXELS})"),
        ("epochs", str(train.get("epochs", "not recorded"))),
        ("training data", "all 60,000 digits" if fraction >= 1 else f"{fraction:.1%} of the 60,000 digits"),
        ("training time", f"{_duration(meta.get('wall_time_s'))} on {meta.get('device', 'an unrecorded device')}"),
        ("test MSE", f"{mse:.6f}" if mse is not None else "not recorded"),
        ("weights SHA-256", meta["weights_sha256"][:16] + "…"),
    ]
