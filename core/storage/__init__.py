"""Files written so nothing is lost: atomic writes under a lock, and the disk cache of arrays keyed by
what they were computed from."""
