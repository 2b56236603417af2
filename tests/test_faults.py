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


def _fresh_app(path: str):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from core.paths import REPO_ROOT

    st.cache_data.clear()  # the app's in-memory caches would otherwise hide the damage
    st.cache_resource.clear()
    at = AppTest.from_file(str(REPO_ROOT / path), default_timeout=120)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.fixture
def damaged_checkpoints(tmp_path, monkeypatch, clear_loader_caches):
    import shutil

    from core.paths import checkpoint_dir

    folder = tmp_path / "checkpoints"
    shutil.copytree(checkpoint_dir(), folder)
    _flip_middle_byte(folder / "ae_d039.safetensors")
    (folder / "ae_d078.json").write_text("{ not json")
    monkeypatch.setenv("AECL_CHECKPOINT_DIR", str(folder))
    yield folder
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()


def test_a_corrupt_checkpoint_is_reported_on_the_page_and_skipped(damaged_checkpoints):
    at = _fresh_app("pages/per_digit.py")
    warnings = " ".join(w.value for w in at.warning)
    assert "ae_d039.safetensors is corrupt" in warnings and "ae_d078.json" in warnings
    assert "python -m core.train --latent-dim 39" in warnings  # says how to rebuild it
    assert len(at.get("plotly_chart")) == 1  # the page still works with the levels that load
    assert not any(str(o).endswith(" d=39") for o in at.multiselect(key="digit_levels").options)
    assert any("d=8" in str(o) for o in at.multiselect(key="digit_levels").options)


def test_damaged_data_gives_an_error_page_that_says_what_to_do(data_copy, tmp_cache, clear_loader_caches):
    _flip_middle_byte(data_copy / "t10k-images-idx3-ubyte.gz")
    for page in ("pages/reconstructions.py", "pages/lesson.py", "pages/embedding.py"):
        at = _fresh_app(page)
        assert at.error and "MNIST data can't be read" in at.error[0].value
        assert "t10k-images-idx3-ubyte.gz" in at.error[0].value
