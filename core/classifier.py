"""`python -m core.classifier`: the digit classifier's test accuracy, or `--train` to retrain it.

The network is `core.models.classifier`, its checkpoint `core.checkpoints.classifier`, its training
`core.training.classifier`; training restarts on the pinned CPU kernels first, like `core.train`.
"""

import sys

if __name__ == "__main__":
    if "--train" in sys.argv[1:]:
        from core.training.cpu_kernels import reexec_pinned

        reexec_pinned("core.classifier", sys.argv[1:])
    from core.training.classifier import main

    sys.exit(main())
