"""How good a model is on the test set: per-image errors and their statistics, the knee of the error
curve, what a classifier reads in the reconstructions, and the report `python -m core.evaluate` prints."""
