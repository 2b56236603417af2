"""Bytes for real: each method's codec (Pillow's, and the latent codes stored as numbers) and the
rate–distortion records (`python -m core.ratedistortion`)."""
