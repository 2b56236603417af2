"""The study's claims as experiments: one module per claim, each returning a `ClaimRecord` (its numbers, the
verdict from `core.evaluation.verdicts` with its interval, the command that reproduces it)."""
