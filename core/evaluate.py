"""`python -m core.evaluate`: every checkpoint's test error with PCA beside it (`--json` for records).

The records are `core.evaluation.report`'s.
"""

import sys

if __name__ == "__main__":
    from core.evaluation.report import main

    sys.exit(main())
