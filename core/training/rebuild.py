"""`make checkpoints`: retrain every shipped checkpoint from scratch, reproducibly.

Every size is one job on Ray (`core.sweep`: one thread each, as many at once as there are cores), study levels
first (they are what the dashboard opens on), then the sweep sizes, then the claims
page's d=16 variants (`core.training.variants`; the denoising one starts from the new d=16), then the codec's
rate models (`core.codec.training`, warm-started from the new auto-encoders).
Each model uses the default TrainConfig (seed 0) on the CPU with the kernels pinned to AVX2
(`core.training.cpu_kernels`), so a rebuild on any x86-64 machine with AVX2 reproduces the shipped
weights bit for bit. Pass latent sizes to rebuild only those, or `--variants` for only the variants (and the
claims page's scalability timings, `checkpoints/claims_scalability.json`).
"""

from __future__ import annotations

import argparse
import time

from core.levels import STUDY_LATENT_DIMS, SWEEP_LATENT_DIMS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.rebuild", description=__doc__.splitlines()[0])
    parser.add_argument("latent_dims", nargs="*", type=int)
    parser.add_argument("--variants", action="store_true", help="only the claims page's variants (digits04, denoise)")
    parser.add_argument("--codec", action="store_true", help="only the codec's rate models")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    everything = not args.latent_dims and not args.variants and not args.codec
    dims = list(sorted(STUDY_LATENT_DIMS)) + list(SWEEP_LATENT_DIMS) if everything else args.latent_dims
    if dims:
        from core.sweep.engine import run_on_ray
        from core.sweep.grid import grid_jobs

        report = run_on_ray(grid_jobs(dims, [0], resume=False))
        for name, error in report.failed.items():
            print(f"error: {name}: {error}")
        if not report.ok:
            return 1
    if everything or args.variants:
        from core.checkpoints.variants import VARIANTS
        from core.training.variants import main as variants_main

        code = variants_main(list(VARIANTS))
        if code:
            return code
        from core.claims.scalability import write_shipped

        write_shipped()  # the claims page's timings, measured on the host that built the models
    n = len(dims) + (2 if everything or args.variants else 0)
    if everything or args.codec:
        from core.codec.training import train_sweep

        n += len(train_sweep())
    print(f"rebuilt {n} checkpoints in {time.perf_counter() - start:.0f} s")
    return 0
