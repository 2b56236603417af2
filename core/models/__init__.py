"""The networks and the linear baseline: the auto-encoder and its batched inference, the digit classifier, PCA,
the layer shapes the lesson draws, and the one thread torch runs on for the dashboard."""
