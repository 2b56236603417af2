"""Looking inside a model: 2-D maps of originals and reconstructions, the latent space, a user's own
digit through every level, and the home page's showcase digit."""
