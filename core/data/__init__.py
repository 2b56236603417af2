"""MNIST as verified arrays, the test-digit selections every view shares, and a user's picture
turned into an MNIST-style digit."""
