"""Checkpoints on disk: `<name>.safetensors` (weights) + `<name>.json` (everything else).

Never pickle: weights are safetensors, metadata is JSON. The JSON records the model and
training config, per-epoch history, test metrics, the MNIST digest, library versions,
wall time, and the SHA-256 of the weights file, so a torn or swapped pair is detected.

Writers take a file lock per checkpoint and write each file atomically (temp + rename),
with the JSON as the commit point (see `save_checkpoint`); readers take the same lock, so two processes training the
same model leave one valid pair and nobody ever reads a half-written one.

A model is named by a reference (`core.checkpoints.lab`): a latent size is the shipped checkpoint in
`checkpoint_dir()`, a lab model's name is a pair of the same format in `lab_dir()`.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from safetensors import SafetensorError

from core.checkpoints.lab import ModelRef, is_lab_model, latent_dim_of
from core.checkpoints.paths import NAME_PATTERN, CheckpointPaths, checkpoint_name
from core.checkpoints.seeds import is_seed_model
from core.data.mnist import data_digest
from core.levels import compression_pct
from core.models.config import ModelConfig
from core.paths import checkpoint_dir, lab_dir, seeds_dir
from core.storage.atomic import atomic_write_bytes, atomic_write_text, locked
from core.training.cpu_kernels import kernels_in_use

if TYPE_CHECKING:  # torch is imported where weights are read or written, so a sidecar's readers never wait for it
    import torch

    from core.models.autoencoder import AutoEncoder

FORMAT_VERSION = 1


class CheckpointError(RuntimeError):
    """A checkpoint can't be used; the message says which file and what to do."""


class CheckpointMissingError(CheckpointError):
    pass


def retrain_command(latent_dim: int) -> str:
    return f"python -m core.train --latent-dim {latent_dim}"


def _retrain_hint(ref: ModelRef) -> str:
    if is_lab_model(ref):
        return "Train it again in the Model lab."
    if is_seed_model(ref):
        return "Rebuild the seeds with: make seeds"
    return f"Retrain it with: {retrain_command(ref)}"


def model_paths(ref: ModelRef, folder: Path | None = None) -> CheckpointPaths:
    """The pair of a shipped size (in `folder`, default the checkpoint folder) or of a lab model (in `folder`,
    default the lab folder) or of a seed model (default the seeds folder)."""
    if is_seed_model(ref):
        folder = Path(folder or seeds_dir())
        return CheckpointPaths(folder / f"{ref}.safetensors", folder / f"{ref}.json")
    if not is_lab_model(ref):
        return CheckpointPaths.for_latent_dim(ref, folder)
    folder = Path(folder or lab_dir())
    return CheckpointPaths(folder / f"{ref}.safetensors", folder / f"{ref}.json")


def library_versions() -> dict:
    """The libraries a checkpoint was made with, for its JSON (a result is only as reproducible as they are)."""
    import safetensors
    import torch

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "safetensors": safetensors.__version__,
    }


def save_checkpoint(
    result, folder: Path | None = None, metrics: dict | None = None, name: str | None = None, lab: dict | None = None
) -> Path:
    """Write a TrainResult as a checkpoint pair; returns the weights path.

    Without `name`, the shipped checkpoint of its size in `folder` (the CLI's save). With a lab model's
    `name` (`core.checkpoints.lab.lab_model_name`), that model in `folder` (default the lab folder), and `lab` (who
    trained it, when, with what settings) goes into its sidecar."""
    model: AutoEncoder = result.model
    latent_dim = model.config.latent_dim
    if name is not None and latent_dim_of(name) != latent_dim:
        raise ValueError(f"lab model name {name!r} does not match latent_dim={latent_dim}")
    paths = model_paths(name if name is not None else latent_dim, folder)
    final = result.history[-1] if result.history else {}
    meta = {
        "format_version": FORMAT_VERSION,
        "name": name or checkpoint_name(latent_dim),
        "latent_dim": latent_dim,
        "compression_pct": compression_pct(latent_dim),
        "model": model.config.to_dict(),
        "train": result.config.to_dict(),
        "history": result.history,
        "metrics": metrics or {"test_mse": final.get("test_mse")},
        "n_parameters": model.n_parameters(),
        "data_digest": data_digest(),
        "wall_time_s": result.wall_time_s,
        "device": result.device,
        "versions": library_versions(),
    }
    if result.device == "cpu":
        meta["cpu_kernels"] = kernels_in_use()
    if lab is not None:
        meta["lab"] = lab
    write_pair(paths, model, meta, "aecl-autoencoder")
    return paths.weights


def write_pair(paths: CheckpointPaths, model: torch.nn.Module, meta: dict, fmt: str) -> dict:
    """Write `model`'s weights and `meta` (+ their SHA-256) as one pair, atomically, under the pair's lock.

    Shared by every model the project ships (auto-encoders, the classifier), so they are all
    written, locked and verified the same way. Returns the metadata as written.
    """
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    from safetensors.torch import save as save_safetensors_bytes

    weights = save_safetensors_bytes(state, metadata={"format": fmt})
    meta = {**meta, "weights_sha256": hashlib.sha256(weights).hexdigest()}
    with locked(paths.weights):
        # Two files can't be renamed at once, so the JSON is the commit point: new weights wait
        # beside the old ones, the JSON (naming their digest) replaces the old JSON, then the
        # weights move in. Killed in between, a reader finds the JSON's weights still pending
        # and finishes the move (see `_settle`); killed before, the old pair is untouched.
        atomic_write_bytes(paths.pending, weights)
        atomic_write_text(paths.meta, json.dumps(meta, indent=2) + "\n")
        os.replace(paths.pending, paths.weights)
    return meta


def read_weights(paths: CheckpointPaths, meta: dict, hint: str) -> dict[str, torch.Tensor]:
    """The pair's weights, checked against the SHA-256 in `meta`; CheckpointError otherwise.

    Call it holding `locked(paths.weights)`, with `meta` read under the same lock.
    """
    from safetensors.torch import load as load_safetensors_bytes

    return _parsed(load_safetensors_bytes, _checked_bytes(paths, meta, hint), paths, hint)


def _checked_bytes(paths: CheckpointPaths, meta: dict, hint: str) -> bytes:
    """The weights file's bytes once they are the ones `meta` names (call it holding the pair's lock)."""
    _settle(paths, meta)
    if not paths.weights.is_file():
        raise CheckpointMissingError(f"Checkpoint weights {paths.weights.name} are missing. {hint}")
    blob = paths.weights.read_bytes()
    if hashlib.sha256(blob).hexdigest() != meta.get("weights_sha256"):
        raise CheckpointError(
            f"Checkpoint {paths.weights.name} is corrupt: its SHA-256 does not match {paths.meta.name}. {hint}"
        )
    return blob


def _parsed(load: Callable[[bytes], dict], blob: bytes, paths: CheckpointPaths, hint: str) -> dict:
    """`blob` read as safetensors by `load` (torch's or numpy's); CheckpointError if it isn't."""
    try:
        return load(blob)
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"Checkpoint {paths.weights.name} is not valid safetensors ({exc}). {hint}") from exc


def load_weights_into(model: torch.nn.Module, state: dict[str, torch.Tensor], name: str, hint: str) -> None:
    """Load `state` strictly into `model` (then eval mode); a mismatch is a CheckpointError."""
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0:2]
        raise CheckpointError(f"Checkpoint {name} does not fit its config ({' '.join(first)}). {hint}") from exc
    model.eval()


def _settle(paths: CheckpointPaths, meta: dict) -> None:
    """Finish a save that was killed between its renames; drop weights that were never committed.

    Call it holding the pair's lock.
    """
    if not paths.pending.is_file():
        return
    if hashlib.sha256(paths.pending.read_bytes()).hexdigest() == meta.get("weights_sha256"):
        os.replace(paths.pending, paths.weights)  # the JSON already names these weights: roll forward
    else:
        paths.pending.unlink()  # written, never committed: the old pair stands


def read_meta(ref: ModelRef, folder: Path | None = None) -> dict:
    """The JSON sidecar of a checkpoint (a shipped size or a lab model), checked for the fields every reader
    relies on."""
    paths = model_paths(ref, folder)
    latent_dim = latent_dim_of(ref)
    if not paths.meta.is_file():
        if is_lab_model(ref):
            raise CheckpointMissingError(
                f"The lab model {ref} is no longer on this server: the lab keeps only its newest models, and "
                "this one was removed to make room. Train it again in the Model lab."
            )
        if is_seed_model(ref):
            raise CheckpointMissingError(f"The seed model {ref} is not on this machine; `make seeds` brings it.")
        if paths.weights.is_file():
            raise CheckpointError(
                f"Checkpoint {paths.weights.name} has no {paths.meta.name} beside it. "
                f"Retrain it with: {retrain_command(latent_dim)}"
            )
        raise CheckpointMissingError(
            f"No checkpoint for latent size {latent_dim} in {paths.meta.parent}. "
            f"Train it with: {retrain_command(latent_dim)}"
        )
    try:
        meta = json.loads(paths.meta.read_text())
        ModelConfig.from_dict(meta["model"])
        meta["weights_sha256"], meta["latent_dim"]
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(
            f"Checkpoint metadata {paths.meta.name} is unreadable ({type(exc).__name__}: {exc}). {_retrain_hint(ref)}"
        ) from exc
    if meta["latent_dim"] != latent_dim:
        raise CheckpointError(f"{paths.meta.name} says latent_dim={meta['latent_dim']}, expected {latent_dim}.")
    return meta


def load_pair(
    paths: CheckpointPaths,
    read_sidecar: Callable[[], dict],
    build: Callable[[dict], torch.nn.Module],
    hint: str,
) -> tuple[torch.nn.Module, dict]:
    """Any checkpoint pair as a model (eval mode, CPU) and its sidecar, read under the pair's lock so a writer
    can't swap the files between the two reads; every failure is a CheckpointError ending with `hint`."""
    with locked(paths.weights):
        meta = read_sidecar()
        state = read_weights(paths, meta, hint)
    model = build(meta)
    load_weights_into(model, state, paths.weights.name, hint)
    return model, meta


def _build_autoencoder(meta: dict) -> AutoEncoder:
    from core.models.autoencoder import AutoEncoder

    return AutoEncoder(ModelConfig.from_dict(meta["model"]))


def load_checkpoint(ref: ModelRef, folder: Path | None = None) -> tuple[AutoEncoder, dict]:
    """Model (eval mode, CPU) and its metadata; every failure is a CheckpointError."""
    return load_pair(
        model_paths(ref, folder),
        lambda: read_meta(ref, folder),
        _build_autoencoder,
        _retrain_hint(ref),
    )


#: State-dict entries that are buffers, not parameters: a sidecar's `n_parameters` doesn't count them.
BUFFER_SUFFIXES = ("running_mean", "running_var", "num_batches_tracked")


def verify_pair(paths: CheckpointPaths, read_sidecar: Callable[[], dict], hint: str) -> dict:
    """Check any checkpoint pair without torch: its weights are the ones its sidecar names (SHA-256), valid
    safetensors, and hold as many parameters as the sidecar says its network has. Returns the sidecar; every
    failure is the CheckpointError `load_pair` would raise.

    For pages whose results ship as records: they list the usable models without waiting for torch, and
    whatever runs a model still loads it strictly (`load_pair`)."""
    from safetensors.numpy import load as load_numpy

    with locked(paths.weights):
        meta = read_sidecar()
        blob = _checked_bytes(paths, meta, hint)
    state = _parsed(load_numpy, blob, paths, hint)
    held = sum(int(v.size) for k, v in state.items() if not k.endswith(BUFFER_SUFFIXES))
    expected = meta.get("n_parameters")
    if expected is not None and held != expected:
        raise CheckpointError(
            f"Checkpoint {paths.weights.name} does not fit its config ({held:,} parameters, "
            f"{paths.meta.name} says {expected:,}). {hint}"
        )
    return meta


def verify_checkpoint(ref: ModelRef, folder: Path | None = None) -> dict:
    """`verify_pair` for an auto-encoder's checkpoint (a shipped size, a lab or a seed model)."""
    return verify_pair(model_paths(ref, folder), lambda: read_meta(ref, folder), _retrain_hint(ref))


def list_checkpoints(folder: Path | None = None) -> list[int]:
    """Latent sizes that have a checkpoint pair on disk, smallest first (not yet verified)."""
    folder = folder or checkpoint_dir()
    dims = []
    for path in folder.glob("ae_d*.json"):
        match = NAME_PATTERN.match(path.stem)
        if match and path.with_suffix(".safetensors").is_file():
            dims.append(int(match.group(1)))
    return sorted(d for d in dims if 1 <= d <= 784)
