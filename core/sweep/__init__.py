"""Training jobs on Ray: the grid of (latent size, seed) auto-encoders (`python -m core.sweep`), and the engine
that `make checkpoints`, the codec's λ sweep and the claims' variants share (`core.sweep.engine`).
"""
