"""`python -m core.ratedistortion`: print the rate–distortion records (`--json`: one JSON list)."""

import sys

from core.ratedistortion.records import main

sys.exit(main())
