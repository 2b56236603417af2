"""Evaluation of every checkpoint on the 10k test set, with PCA of the same size beside it.

Per-image errors are the unit everything else is built from (per-digit bars, the error
curve, the dashboard's grids), so they are computed once per checkpoint (keyed by its
weights digest) or PCA size and kept in the disk cache.

`python -m core.evaluate` prints a table; `--json` prints one record per method and size.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass

import numpy as np
import torch

from core.cache import cached_arrays
from core.data import data_digest, load_split
from core.lab import ModelRef, latent_dim_of
from core.levels import compression_pct, latent_bytes
from core.metrics import ink_normalised_error, per_digit, per_image_mse, psnr
from core.pca import pca_basis
from core.store import available_latent_dims, load_model_and_meta
from core.torch_thread import on_torch_thread

METHODS = ("ae", "pca")


@on_torch_thread
@torch.no_grad()
def ae_reconstruct(latent_dim: ModelRef, images: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Reconstructions (N, 28, 28) float32 in [0, 1] of uint8 or [0, 1] float images."""
    model, _ = load_model_and_meta(latent_dim)
    x = np.asarray(images)
    x = x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)
    t = torch.from_numpy(x.reshape(-1, 1, 28, 28))
    out = [model(t[i : i + batch_size]) for i in range(0, len(t), batch_size)]
    return torch.cat(out).numpy().reshape(-1, 28, 28) if out else np.zeros((0, 28, 28), np.float32)


def pca_reconstruct(latent_dim: int, images: np.ndarray) -> np.ndarray:
    x = np.asarray(images)
    x = x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)
    return pca_basis().reconstruct(x, latent_dim).astype(np.float32)


def reconstruct(method: str, latent_dim: int, images: np.ndarray) -> np.ndarray:
    if method == "ae":
        return ae_reconstruct(latent_dim, images)
    if method == "pca":
        return pca_reconstruct(latent_dim, images)
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def _source_key(method: str, latent_dim: ModelRef) -> str:
    if method == "ae":
        return f"ae_d{latent_dim_of(latent_dim):03d}_{load_model_and_meta(latent_dim)[1]['weights_sha256'][:16]}"
    return f"pca_d{latent_dim:03d}_{data_digest()}"


@dataclass(frozen=True)
class Evaluation:
    """Per-image results of one method at one size on the test set."""

    method: str
    latent_dim: int
    image_mse: np.ndarray  # (10000,)
    ink_error: np.ndarray  # (10000,) squared error per 100 ink pixels
    labels: np.ndarray  # (10000,)

    @property
    def mse(self) -> float:
        return float(self.image_mse.mean())

    def record(self) -> dict:
        return {
            "method": self.method,
            "latent_dim": self.latent_dim,
            "compression_pct": compression_pct(self.latent_dim),
            "mse": self.mse,
            "psnr": float(psnr(self.mse)),
            "ink_error": float(self.ink_error.mean()),
            "bytes_float32": latent_bytes(self.latent_dim, "float32"),
            "n_images": len(self.image_mse),
        }

    def per_digit(self, value: str = "mse"):
        values = self.image_mse if value == "mse" else self.ink_error
        return per_digit(values, self.labels)


def evaluate(method: str, latent_dim: ModelRef) -> Evaluation:
    """Evaluate one method at one size (or the auto-encoder of a lab model) on the full test set (disk-cached)."""
    test = load_split("test")

    def compute() -> dict[str, np.ndarray]:
        originals = test.float_images()
        return {"image_mse": per_image_mse(originals, reconstruct(method, latent_dim, originals))}

    image_mse = cached_arrays("eval", _source_key(method, latent_dim), compute)["image_mse"]
    ink = ink_normalised_error(image_mse, test.float_images())
    return Evaluation(method, latent_dim_of(latent_dim), image_mse, ink, np.asarray(test.labels))


def all_records(latent_dims: list[int] | None = None, classifier: bool = True) -> list[dict]:
    """One record per (method, size) for every shipped checkpoint, AE then PCA.

    With `classifier`, each record also gets `classifier_accuracy` (the shipped classifier on
    that method's reconstructions of the test set), and one record is added for the
    original digits: `{"method": "original", "classifier_accuracy": ...}`.
    """
    dims = available_latent_dims() if latent_dims is None else latent_dims
    records = [evaluate(m, d).record() for d in dims for m in METHODS]
    if classifier:
        from core.recognition import ORIGINAL, classifier_accuracy

        for r in records:
            r["classifier_accuracy"] = classifier_accuracy(r["method"], r["latent_dim"])
        records.append({"method": ORIGINAL, "classifier_accuracy": classifier_accuracy(ORIGINAL)})
    return records


def _table(records: list[dict]) -> str:
    records = [r for r in records if "latent_dim" in r]  # the table is per size; "original" has none
    by = {(r["method"], r["latent_dim"]): r for r in records}
    lines = [
        f"{'compression':>11}  {'latent':>6}  {'AE MSE':>9}  {'PCA MSE':>9}  {'AE/PCA':>6}  "
        f"{'AE PSNR':>7}  {'PCA PSNR':>8}"
    ]
    for d in sorted({r["latent_dim"] for r in records}):
        ae, pca = by.get(("ae", d)), by.get(("pca", d))
        ratio = f"{ae['mse'] / pca['mse']:.2f}" if ae and pca else "-"
        lines.append(
            f"{compression_pct(d):10.1f}%  {d:>6}  {ae['mse'] if ae else float('nan'):9.6f}  "
            f"{pca['mse'] if pca else float('nan'):9.6f}  {ratio:>6}  "
            f"{ae['psnr'] if ae else float('nan'):7.2f}  {pca['psnr'] if pca else float('nan'):8.2f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from core.checkpoints import CheckpointError

    parser = argparse.ArgumentParser(prog="python -m core.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the records as one JSON list")
    parser.add_argument("--latent-dim", type=int, action="append", help="only these sizes (repeatable)")
    args = parser.parse_args(argv)
    try:
        records = all_records(args.latent_dim, classifier=args.json)
    except CheckpointError as exc:  # the classifier's ClassifierError included
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(records, indent=2) if args.json else _table(records))
    return 0


if __name__ == "__main__":
    sys.exit(main())
