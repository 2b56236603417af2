"""`python -m core.train`: train one auto-encoder and save it as a shipped checkpoint.

The loop and its options live in `core.training.trainer`; this entry restarts itself on the
pinned CPU kernels first (`core.training.cpu_kernels`), so a seed gives the same weights.
"""

import sys

if __name__ == "__main__":
    from core.training.cpu_kernels import reexec_pinned

    reexec_pinned("core.train", sys.argv[1:])
    from core.training.trainer import main

    sys.exit(main())
