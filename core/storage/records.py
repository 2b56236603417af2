"""Shipped records: what the views compute from the shipped models, committed beside them.

A record is one entry of the disk cache (`core.storage.cache`), the same `.npz` of arrays under
the same namespace and key. Keys name every input (weights digests, the data digest, settings and
a version of the computation), so a record is used exactly when the cache entry it stands for
would be: a retrained model, a lab model or a changed computation asks for another key, finds no
record and is computed as before.

The folder (`checkpoints/records/` by default, `AECL_RECORDS_DIR` moves it) holds:

- `<namespace>/<key file>.npz`: arrays only, read with pickling disabled;
- `index.json`: `{"format": 1, "models": {name: weights SHA-256}, "records": {"<namespace>/<key>":
  {"file": path, "sha256": ..., "bytes": ...}}}`. `models` names the checkpoints the records were
  computed from, so a test can tell when one has changed since (`changed_models`); and, where extra training
  seeds have records, `"seeds": {name: {"latent_dim", "seed", "weights_sha256", "model", "train"}}`: what each
  seed model is (`core.checkpoints.seeds`), so its records are found (and shown) without its weights.

A record whose file is missing or whose bytes don't match the index is ignored (and computed).
Per-seed records of retrained models live here too, under their own weights' digests.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from core.paths import checkpoint_dir
from core.storage.atomic import atomic_write_text

FORMAT = 1
INDEX = "index.json"


def records_dir() -> Path:
    """Folder of the shipped records; inside the checkpoint folder, as they ship with the models."""
    return Path(os.environ.get("AECL_RECORDS_DIR", checkpoint_dir() / "records"))


def entry_name(namespace: str, key: str) -> str:
    return f"{namespace}/{key}"


@dataclass(frozen=True)
class Index:
    models: dict[str, str]
    records: dict[str, dict]
    seeds: dict[str, dict] = field(default_factory=dict)

    def total_bytes(self) -> int:
        return sum(int(r["bytes"]) for r in self.records.values())


_index_memo: dict[tuple[str, int, int], Index] = {}


def read_index(folder: Path | None = None) -> Index:
    """The folder's index (empty when there is none or it is unreadable); re-read when the file changes."""
    path = (folder or records_dir()) / INDEX
    try:
        st = path.stat()
    except OSError:
        return Index({}, {})
    memo = (str(path), st.st_mtime_ns, st.st_size)
    if memo not in _index_memo:
        try:
            raw = json.loads(path.read_text())
            ok = raw.get("format") == FORMAT
            index = (
                Index(dict(raw["models"]), dict(raw["records"]), dict(raw.get("seeds", {}))) if ok else Index({}, {})
            )
        except (OSError, ValueError, KeyError, TypeError):
            index = Index({}, {})
        _index_memo.clear()
        _index_memo[memo] = index
    return _index_memo[memo]


def record_path(namespace: str, key: str, folder: Path | None = None) -> Path | None:
    """The record's file when the index lists it and its bytes are the ones listed; else None."""
    folder = folder or records_dir()
    entry = read_index(folder).records.get(entry_name(namespace, key))
    if entry is None:
        return None
    path = folder / entry["file"]
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    return path if hashlib.sha256(blob).hexdigest() == entry["sha256"] else None


def write_records(
    folder: Path, entries: dict[tuple[str, str], Path], models: dict[str, str], seeds: dict[str, dict] | None = None
) -> Index:
    """Replace the records in `folder` by `entries` ((namespace, key) -> the .npz to copy) for `models` (and the
    seed models `seeds` describes).

    Files are copied first and the index written last, atomically: a reader sees the old set or the new.
    Files no longer listed are removed afterwards.
    """
    records = {}
    for (namespace, key), source in sorted(entries.items()):
        rel = f"{namespace}/{source.name}"
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.resolve() != target.resolve():
            shutil.copyfile(source, target)
        blob = target.read_bytes()
        records[entry_name(namespace, key)] = {
            "file": rel,
            "sha256": hashlib.sha256(blob).hexdigest(),
            "bytes": len(blob),
        }
    index = {"format": FORMAT, "models": dict(sorted(models.items())), "records": records}
    if seeds:
        index["seeds"] = dict(sorted(seeds.items()))
    atomic_write_text(folder / INDEX, json.dumps(index, indent=1) + "\n")
    listed = {folder / r["file"] for r in records.values()}
    for stale in folder.glob("*/*.npz"):
        if stale not in listed:
            stale.unlink()
    return Index(index["models"], records, index.get("seeds", {}))


def changed_models(current: dict[str, str], folder: Path | None = None) -> list[str]:
    """Names of `current` models (name -> weights SHA-256) whose records are missing or were made from other
    weights; empty when every one has its records."""
    shipped = read_index(folder).models
    return sorted(name for name, digest in current.items() if shipped.get(name) != digest)


def carried_entries(current: dict[str, str], folder: Path | None = None) -> dict[tuple[str, str], Path]:
    """The shipped entries an incremental `make records` keeps although no job read them this time.

    A job that finds a shipped result reads only it, not the entries it was computed from, so rebuilding from
    what the jobs read alone would drop those inputs. Kept: every listed entry whose key names none of the
    changed models' digests (an outdated entry is never served, only kept); `--recompute` starts from nothing.
    """
    folder = folder or records_dir()
    index = read_index(folder)
    gone = [digest[:16] for name, digest in index.models.items() if current.get(name) != digest]
    return {
        tuple(entry.split("/", 1)): folder / r["file"]
        for entry, r in index.records.items()
        if not any(d in entry for d in gone) and (folder / r["file"]).is_file()
    }
