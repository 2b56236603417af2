"""Faults: damaged files on disk are detected and redone, never served and never a crash."""

import numpy as np
import pytest

from core.cache import cache_path, cached_arrays


def _flip_middle_byte(path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["bit flip", "truncated", "empty", "not a zip"])
def test_a_damaged_cache_entry_is_recomputed_not_served(tmp_cache, damage):
    calls = []

    def compute():
        calls.append(1)
        return {"values": np.arange(50_000, dtype=np.float32)}

    cached_arrays("faults", "entry", compute)
    path = cache_path("faults", "entry")
    if damage == "bit flip":
        _flip_middle_byte(path)
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        path.write_text("<html>not an npz</html>")
    again = cached_arrays("faults", "entry", compute)
    assert len(calls) == 2  # detected and redone
    np.testing.assert_array_equal(again["values"], np.arange(50_000, dtype=np.float32))
    assert cached_arrays("faults", "entry", compute) and len(calls) == 2  # and the repaired entry is used
