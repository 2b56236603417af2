"""Training: the loop and its CLI, the lab's background jobs and their worker process, the full rebuild,
and how a training process sets up its CPU kernels and memory."""
