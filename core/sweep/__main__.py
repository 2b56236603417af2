"""`python -m core.sweep`: train every (latent size, seed) pair of a grid on Ray.

    python -m core.sweep --sizes 8,39 --seeds 0-4                     # a local Ray on this machine's cores
    python -m core.sweep --sizes 8 --seeds 1 --epochs 1 --train-fraction 0.01 --out /tmp/tiny
    python -m core.sweep --sizes 8,39 --seeds 0-4 --address HEAD:6379  # a running cluster (or RAY_ADDRESS)

Jobs already trained with the same config are skipped, so a sweep resumes where it stopped. A failed job is
named with its error and the others finish; the exit status is 1 when any failed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.levels import check_latent_dim


class SweepArgumentError(ValueError):
    """A grid we can't run; the message says what to type instead."""


def parse_list(text: str, what: str) -> list[int]:
    """`8,39` or `0-4` or `1,3-5`, as sorted distinct whole numbers."""
    values: set[int] = set()
    try:
        for part in text.split(","):
            low, dash, high = part.strip().partition("-")
            values.update(range(int(low), int(high) + 1) if dash else [int(low)])
    except ValueError:
        raise SweepArgumentError(f"--{what} takes whole numbers like 8,39 or 0-4 (got {text!r})") from None
    if not values:
        raise SweepArgumentError(f"--{what} names nothing (got {text!r})")
    return sorted(values)


def main(argv: list[str] | None = None) -> int:
    from core.training.cpu_kernels import reexec_pinned

    raw = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m core.sweep", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", required=True, help="latent sizes, e.g. 8,39")
    parser.add_argument("--seeds", default="0", help="training seeds, e.g. 0-4")
    parser.add_argument("--epochs", type=int, default=None, help="default: each size's shipped recipe")
    parser.add_argument("--train-fraction", type=float, default=None, help="train on a share of the digits")
    parser.add_argument("--out", type=Path, default=None, help="one folder for every model (default: shipped/seeds)")
    parser.add_argument("--address", default=None, help="a Ray cluster to join (default: RAY_ADDRESS, else local)")
    parser.add_argument("--cpus", type=int, default=None, help="a local Ray's cores (default: all of them)")
    parser.add_argument("--in-process", action="store_true", help="no Ray: the jobs one after another here")
    args = parser.parse_args(raw)
    try:
        sizes = [check_latent_dim(d) for d in parse_list(args.sizes, "sizes")]
        seeds = parse_list(args.seeds, "seeds")
        changed = args.epochs is not None or args.train_fraction is not None
        if changed and args.out is None:
            raise SweepArgumentError(
                "a changed recipe (--epochs, --train-fraction) needs --out DIR: it would replace "
                "the shipped models and the seeds' weights"
            )
        from core.sweep.grid import grid_jobs

        jobs = grid_jobs(sizes, seeds, args.epochs, args.train_fraction, args.out)
    except ValueError as exc:
        print(f"python -m core.sweep: {exc}", file=sys.stderr)
        return 2
    if args.in_process:
        reexec_pinned("core.sweep", raw)  # the workers' kernels, so weights match a Ray run's
    from core.sweep.engine import run_here, run_on_ray

    report = run_here(jobs) if args.in_process else run_on_ray(jobs, args.address, cpus=args.cpus)
    for name, error in report.failed.items():
        print(f"failed: {name}: {error}", file=sys.stderr)
    print(
        f"{len(report.landed)} trained, {len(report.skipped)} already done, {len(report.failed)} failed "
        f"in {report.wall_s:.0f} s"
    )
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
