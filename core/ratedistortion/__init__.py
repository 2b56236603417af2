"""Bytes for real: each method's codec (`codecs`, `shared`: image codecs, latent codes as numbers), the image
codecs' work as worker tasks (`tasks`), and the rate–distortion records (`records`; `python -m core.ratedistortion`)."""
