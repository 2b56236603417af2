"""`python -m core.rebuild` (`make checkpoints`): retrain every shipped checkpoint from scratch.

What it trains is `core.training.rebuild`; like `core.train` it restarts on the pinned CPU kernels first.
"""

import sys

if __name__ == "__main__":
    from core.training.cpu_kernels import reexec_pinned

    reexec_pinned("core.rebuild", sys.argv[1:])
    from core.training.rebuild import main

    sys.exit(main())
