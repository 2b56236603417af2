"""Trained models on disk (safetensors + JSON), loaded once per process, with their cards; shipped
checkpoints and the lab's models kept apart."""
