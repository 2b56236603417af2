"""`make checkpoints`: retrain every shipped checkpoint from scratch, reproducibly.

Study levels first (they are what the dashboard opens on), then the sweep sizes.
Each model uses the default TrainConfig (seed 0) on the CPU with the kernels pinned to AVX2
(`core.training.cpu_kernels`), so a rebuild on any x86-64 machine with AVX2 reproduces the shipped
weights bit for bit. Pass latent sizes to rebuild only those.
"""

from __future__ import annotations

import argparse
import time

from core.levels import STUDY_LATENT_DIMS, SWEEP_LATENT_DIMS
from core.training.trainer import main as train_main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.rebuild", description=__doc__.splitlines()[0])
    parser.add_argument(
        "latent_dims", nargs="*", type=int, default=list(sorted(STUDY_LATENT_DIMS)) + list(SWEEP_LATENT_DIMS)
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    for d in args.latent_dims:
        code = train_main(["--latent-dim", str(d), "--device", "cpu"])
        if code:
            return code
    print(f"rebuilt {len(args.latent_dims)} checkpoints in {time.perf_counter() - start:.0f} s")
    return 0
