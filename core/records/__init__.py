"""The records that ship with the models: which results the views need at their defaults (`views.py`), and
`python -m core.records`, which computes them into `checkpoints/records/` and checks that they are all there."""
