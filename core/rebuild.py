"""`make checkpoints`: retrain every shipped checkpoint from scratch, reproducibly.

Study levels first (they are what the dashboard opens on), then the sweep sizes.
Each model uses the default TrainConfig (seed 0) on the CPU with the kernels pinned to AVX2
(core/cpu_kernels.py), so a rebuild on any host of this kind reproduces the shipped weights
bit for bit. Pass latent sizes to rebuild only those.
"""

from __future__ import annotations

import argparse
import sys
import time

from core.levels import STUDY_LATENT_DIMS, SWEEP_LATENT_DIMS
from core.train import main as train_main


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


if __name__ == "__main__":
    from core.cpu_kernels import reexec_pinned

    reexec_pinned("core.rebuild", sys.argv[1:])
    sys.exit(main())
