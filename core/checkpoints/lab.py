"""The Model lab's own models, kept apart from the shipped ones, and the switch that limits the lab.

What ships stays shipped: a lab run never writes `checkpoints/ae_dNNN.*` (only `python -m core.train`
does). Each run is saved under its own name in `lab_dir()`, e.g. `ae_d008_lab_20261201-140512_3f2a9c`
(latent size, when it started, the run's id), its sidecar saying which session trained it, with what
settings and when. Wherever the program takes a model, a *model reference* is either a latent size
(the shipped checkpoint of that size), a lab model's name, or a seed model's (`core.checkpoints.seeds`).

The switch is read from the environment, so whoever starts the server decides:
`AECL_LAB=off|limited|on`, and in any mode `AECL_LAB_MAX_EPOCHS`, `AECL_LAB_MAX_FRACTION`,
`AECL_LAB_MAX_MODELS` (the newest K lab models are kept on disk, the oldest removed first).
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from core.checkpoints.seeds import SEED_NAME
from core.levels import compression_pct
from core.paths import lab_dir

ModelRef = int | str

#: The lab's ceiling on epochs. A full-data epoch takes up to a minute on a small CPU; longer runs belong to the CLI.
MAX_EPOCHS = 50
LAB_NAME = re.compile(r"^ae_d(\d{3})_lab_(\d{8}-\d{6})_([0-9a-f]{6})$")
MODES = ("off", "limited", "on")
#: A saved pair's weights, or weights whose JSON is committed but whose last rename a kill cut short.
WEIGHTS_ENDINGS = (".safetensors", ".safetensors.pending")
#: What `limited` allows unless the environment says otherwise: a class can try the lab in a minute or two.
LIMITED = dict(max_epochs=5, max_fraction=0.1, max_models=10)
#: What `on` allows unless the environment says otherwise; the disk is bounded even here.
ON = dict(max_epochs=MAX_EPOCHS, max_fraction=1.0, max_models=50)


class LabSettingError(ValueError):
    """The server's lab settings can't be read; the message names the variable and what it accepts."""


def lab_model_name(latent_dim: int, run_id: str, started: float) -> str:
    """The file stem of a lab run's model: unique per run, never reused, so its weights never change."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(started))
    return f"ae_d{latent_dim:03d}_lab_{stamp}_{run_id}"


def is_lab_model(ref: object) -> bool:
    return isinstance(ref, str) and LAB_NAME.match(ref) is not None


def latent_dim_of(ref: ModelRef) -> int:
    """The latent size of a model reference (a shipped size, a lab model's or a seed model's name)."""
    if isinstance(ref, str):
        match = LAB_NAME.match(ref) or SEED_NAME.match(ref)
        if match is None:
            raise ValueError(f"{ref!r} is not a lab model's or a seed model's name")
        return int(match.group(1))
    return int(ref)


def lab_label(name: str) -> str:
    """How a lab model is named wherever one is picked: the shipped label of its size, then 'lab' and when."""
    match = LAB_NAME.match(name)
    d, stamp = int(match.group(1)), match.group(2)
    when = f"{stamp[4:6]}-{stamp[6:8]} {stamp[9:11]}:{stamp[11:13]}:{stamp[13:]}"
    return f"{compression_pct(d):.1f}% · d={d} · lab {when}"


def _sort_key(name: str) -> tuple:
    match = LAB_NAME.match(name)
    return int(match.group(1)), match.group(2), name


def list_lab_models(folder: Path | None = None) -> list[str]:
    """Lab models on disk, by latent size then age. A model counts once its JSON (the save's commit point) is
    there; a save killed after that is finished by the first reader (`core.checkpoints.files`)."""
    folder = Path(folder or lab_dir())
    if not folder.is_dir():
        return []
    names = [p.stem for p in folder.glob("ae_d*_lab_*.json") if LAB_NAME.match(p.stem)]
    has_weights = [n for n in names if any((folder / f"{n}{end}").is_file() for end in WEIGHTS_ENDINGS)]
    return sorted(has_weights, key=_sort_key)


def prune_lab(max_models: int, folder: Path | None = None) -> list[str]:
    """Remove the oldest lab models until at most `max_models` remain; returns the names removed.

    Each pair goes under its own lock, JSON first (what readers look for), so a reader sees the whole
    model or none. A session already showing a removed model keeps it: `core.checkpoints.loaded` holds a loaded lab
    model in memory, since its name is never reused."""
    from core.storage.atomic import locked

    folder = Path(folder or lab_dir())
    with locked(folder / "prune"):
        by_age = sorted(list_lab_models(folder), key=lambda n: (LAB_NAME.match(n).group(2), n))
        removed = by_age[: max(0, len(by_age) - max(0, max_models))]
        for name in removed:
            weights = folder / f"{name}.safetensors"
            with locked(weights):
                for path in (folder / f"{name}.json", weights, folder / f"{name}.safetensors.pending"):
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
            with contextlib.suppress(FileNotFoundError):
                weights.with_name(weights.name + ".lock").unlink()
    return removed


def lab_card_rows(meta: dict) -> list[tuple[str, str]]:
    """The model card's rows on where a lab model came from (who, when, with what)."""
    lab = meta.get("lab") or {}
    return [
        ("kind", "lab model, trained in the Model lab (the shipped model of this size is unchanged)"),
        ("trained by", f"session {lab.get('run_by', 'unknown')} (anonymous: the dashboard has no accounts)"),
        ("started", str(lab.get("started_at", "not recorded"))),
        ("settings", str(lab.get("settings", "not recorded"))),
    ]


@dataclass(frozen=True)
class LabPolicy:
    """What this server's Model lab allows."""

    mode: str = "on"
    max_epochs: int = ON["max_epochs"]
    max_fraction: float = ON["max_fraction"]
    max_models: int = ON["max_models"]

    @property
    def enabled(self) -> bool:
        return self.mode != "off"

    def describe(self) -> str:
        share = "all" if self.max_fraction >= 1 else f"{self.max_fraction:.1%}"
        return (
            f"at most {self.max_epochs} epoch(s) on {share} of the training digits per run; "
            f"the {self.max_models} newest lab models are kept, the oldest removed first"
        )


def _number(environ, name: str, default, kind, low, high):
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        what = "a whole number" if kind is int else "a number"
        raise LabSettingError(f"{name} must be {what} from {low} to {high} (it is {raw!r}).")
    return value


def lab_policy(environ=None) -> LabPolicy:
    """The lab's settings from the environment (AECL_LAB and its limits); LabSettingError if one is unreadable."""
    environ = os.environ if environ is None else environ
    mode = environ.get("AECL_LAB", "on").strip().lower() or "on"
    if mode not in MODES:
        raise LabSettingError(f"AECL_LAB must be one of {', '.join(MODES)} (it is {environ['AECL_LAB']!r}).")
    defaults = LIMITED if mode == "limited" else ON
    return LabPolicy(
        mode,
        _number(environ, "AECL_LAB_MAX_EPOCHS", defaults["max_epochs"], int, 1, MAX_EPOCHS),
        _number(environ, "AECL_LAB_MAX_FRACTION", defaults["max_fraction"], float, 0.005, 1.0),
        _number(environ, "AECL_LAB_MAX_MODELS", defaults["max_models"], int, 1, 10_000),
    )
