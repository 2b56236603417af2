"""`python -m core.records`: compute what the views show from the shipped models into the shipped records.

    python -m core.records            # (re)write checkpoints/records/ (what `make records` runs)
    python -m core.records --check    # exit 1, naming what is missing, when a record the views need isn't there

Work runs in an empty temporary cache, so nothing computed by older code can slip in; records already
shipped under the same key are reused unless `--recompute` is given.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time

from tqdm import tqdm

from core.paths import checkpoint_dir, redirected, seeds_dir
from core.records.views import JOBS, shipped
from core.storage.records import carried_entries, changed_models, read_index, records_dir, write_records


def shipped_models() -> dict[str, str]:
    """Every checkpoint in the checkpoint folder (not the lab's), by name, with its weights file's SHA-256."""
    return {
        path.stem: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(checkpoint_dir().glob("*.safetensors"))
    }


def missing_records() -> list[str]:
    """What the views would have to compute on a fresh clone: models changed since their records were made,
    and every entry a job reads that is not shipped. Empty when a fresh clone computes nothing."""
    from core.storage.cache import MissingRecord, noting_entries

    problems = [f"{name}: its records were made from other weights" for name in changed_models(shipped_models())]
    with tempfile.TemporaryDirectory() as cache, redirected(AECL_CACHE_DIR=cache, AECL_SEEDS_DIR=str(seeds_dir())):
        for job in JOBS:
            try:
                with noting_entries(compute=False):
                    job.run()
            except MissingRecord as exc:
                problems.append(f"{job.name}: {exc}")
            except Exception as exc:  # a broken model or data file: say which job it stopped, then check the rest
                problems.append(f"{job.name}: {type(exc).__name__}: {exc}")
    return problems


def build(recompute: bool = False) -> int:
    """Run every job in an empty cache and ship what they read (plus, unless recomputing, the shipped entries
    they were computed from: `carried_entries`); returns the records' total bytes."""
    from core.checkpoints.loaded import forget_loaded_models
    from core.checkpoints.seeds import describe, seeds_on_disk
    from core.data.mnist import load_split
    from core.records.seeds import carried
    from core.storage.cache import noting_entries

    target = records_dir()
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as nothing_shipped:
        env = {
            "AECL_CACHE_DIR": cache,
            "AECL_SEEDS_DIR": str(seeds_dir()),
            **({"AECL_RECORDS_DIR": nothing_shipped} if recompute else {}),
        }
        with redirected(**env), noting_entries() as entries:
            load_split.cache_clear()
            forget_loaded_models()
            for job in (bar := tqdm(JOBS, unit="job", desc="records")):
                bar.set_postfix_str(job.name)
                start = time.perf_counter()
                job.run()
                tqdm.write(f"{job.name}: {time.perf_counter() - start:.1f} s")
        kept = {entry: path for entry, path in entries.items() if shipped(*entry)}
        seeds = {name: describe(meta) for name, meta in seeds_on_disk().items()}
        keep, files = carried(read_index(target), target, set(seeds))  # shipped seeds whose weights aren't here
        inputs = {} if recompute else carried_entries(shipped_models(), target)
        index = write_records(target, {**inputs, **files, **kept}, shipped_models(), {**keep, **seeds})
    return index.total_bytes()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.records", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say what is missing (exit 1 if anything is)")
    parser.add_argument("--recompute", action="store_true", help="compute everything again, ignoring shipped records")
    args = parser.parse_args(argv)
    if args.check:
        problems = missing_records()
        for line in problems:
            print(line)
        if problems:
            print("run `make records` to bring them up to date", file=sys.stderr)
        return 1 if problems else 0
    from core.checkpoints.files import CheckpointError
    from core.data.mnist import DataError

    try:
        total = build(args.recompute)
    except (CheckpointError, DataError) as exc:
        print(f"python -m core.records: {exc}", file=sys.stderr)
        return 1
    print(f"records written to {records_dir()}: {total / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
