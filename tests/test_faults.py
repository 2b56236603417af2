"""Faults: damaged files on disk are detected and redone, never served and never a crash."""

from pathlib import Path

import numpy as np
import pytest

from core.storage.cache import cache_path, cached_arrays


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
    at = AppTest.from_file(str(REPO_ROOT / path), default_timeout=600)
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
    charts = [c.key for c in at.get("plotly_chart")]
    assert charts.count("digit_chart") == 1  # the page still works with the levels that load
    assert not any(str(o).endswith(" d=39") for o in at.multiselect(key="digit_levels").options)
    assert any("d=8" in str(o) for o in at.multiselect(key="digit_levels").options)


def test_a_forged_pair_is_refused_without_torch_and_by_the_loader(tmp_path, monkeypatch, clear_loader_caches):
    """Weights of another size put under d=39's name, with a sidecar that names their digest: the checksum
    passes, so only the network's parameter count can tell. The torch-free check and the strict load both
    refuse it, naming the file and how to rebuild it."""
    import hashlib
    import json
    import shutil

    from core.checkpoints.files import CheckpointError, load_checkpoint, verify_checkpoint
    from core.paths import checkpoint_dir

    folder = tmp_path / "checkpoints"
    shutil.copytree(checkpoint_dir(), folder)
    assert verify_checkpoint(39, folder)["latent_dim"] == 39  # the shipped pair passes
    forged = (folder / "ae_d078.safetensors").read_bytes()
    (folder / "ae_d039.safetensors").write_bytes(forged)
    meta = json.loads((folder / "ae_d039.json").read_text())
    meta["weights_sha256"] = hashlib.sha256(forged).hexdigest()
    (folder / "ae_d039.json").write_text(json.dumps(meta))
    for check in (verify_checkpoint, load_checkpoint):
        with pytest.raises(CheckpointError, match=r"ae_d039\.safetensors does not fit its config") as exc:
            check(39, folder)
        assert "python -m core.train --latent-dim 39" in str(exc.value)


def test_pages_whose_results_ship_open_without_torch():
    """A shared link's first page waits for nothing it doesn't use: the pages that run no network (home, the
    student's page, and those that draw the shipped records) must not import torch (an empty cache, a fresh
    process). The server's early import of torch (ui.warmup) skips them by the same flag."""
    import subprocess
    import sys

    from core.paths import REPO_ROOT
    from ui.navigation import PAGES

    script = """
import os, sys, tempfile
os.environ["AECL_CACHE_DIR"] = tempfile.mkdtemp()
from streamlit.testing.v1 import AppTest
for page in sys.argv[1:]:
    at = AppTest.from_file(page, default_timeout=300)
    at.run()
    assert not at.exception, (page, [e.message for e in at.exception])
    assert "torch" not in sys.modules, page
print("ok")
"""
    # home runs only inside app.py's navigation, whose warm-up imports torch by design (test_home covers it)
    pages = [p.script for p in PAGES if not p.runs_models and p.group != "home"]
    assert len(pages) >= 7  # the student's page and the six that draw the shipped records
    out = subprocess.run(
        [sys.executable, "-c", script, *(str(REPO_ROOT / p) for p in pages)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr[-2000:]


def test_damaged_data_gives_an_error_page_that_says_what_to_do(data_copy, tmp_cache, clear_loader_caches):
    _flip_middle_byte(data_copy / "t10k-images-idx3-ubyte.gz")
    for page in ("pages/reconstructions.py", "pages/lesson.py", "pages/embedding.py"):
        at = _fresh_app(page)
        assert at.error and "MNIST data can't be read" in at.error[0].value
        assert "t10k-images-idx3-ubyte.gz" in at.error[0].value


KILLED_WRITER = """
import os, signal, sys, torch
from core.checkpoints.files import save_checkpoint
from core.models.autoencoder import AutoEncoder
from core.training.trainer import TrainConfig, TrainResult

kill_at = int(sys.argv[1])  # SIGKILL ourselves at the n-th file rename of the second save
torch.manual_seed(0)
config = TrainConfig(latent_dim=5, epochs=1)
save_checkpoint(TrainResult(AutoEncoder(config.model), config, [{"epoch": 1, "test_mse": 1.0}], 0.1, "cpu"))
real_replace, calls = os.replace, []

def dying_replace(src, dst):
    calls.append(dst)
    if len(calls) == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
    real_replace(src, dst)

os.replace = dying_replace
torch.manual_seed(1)
save_checkpoint(TrainResult(AutoEncoder(config.model), config, [{"epoch": 1, "test_mse": 2.0}], 0.1, "cpu"))
"""


@pytest.mark.parametrize("kill_at", [1, 2, 3])
def test_sigkill_in_the_middle_of_saving_a_checkpoint_leaves_a_loadable_one(
    tmp_checkpoints, clear_loader_caches, kill_at
):
    """Killed before, between or after the renames of the weights and the JSON: it still loads, old or new."""
    import os
    import signal
    import subprocess
    import sys

    from core.checkpoints.files import load_checkpoint
    from core.paths import REPO_ROOT

    env = {**os.environ, "AECL_CHECKPOINT_DIR": str(tmp_checkpoints)}
    proc = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(kill_at)], cwd=REPO_ROOT, env=env, timeout=300)
    assert proc.returncode in (-signal.SIGKILL, 0)
    _model, meta = load_checkpoint(5)  # never "corrupt": either the old pair or the new one
    assert meta["history"][0]["test_mse"] in (1.0, 2.0)
    _model, again = load_checkpoint(5)
    assert again == meta  # and it stays that way on the next start


KILLED_CACHE_WRITER = """
import os, signal, numpy as np
from core.storage.cache import cached_arrays

def dying_replace(src, dst):
    os.kill(os.getpid(), signal.SIGKILL)

os.replace = dying_replace  # killed with the finished temp file written, just before the rename
cached_arrays("faults", "killed", lambda: {"values": np.ones(10_000)})
"""


def test_sigkill_while_writing_a_cache_entry_leaves_nothing_half_written(tmp_cache):
    import os
    import signal
    import subprocess
    import sys

    from core.paths import REPO_ROOT

    env = {**os.environ, "AECL_CACHE_DIR": str(tmp_cache)}
    proc = subprocess.run([sys.executable, "-c", KILLED_CACHE_WRITER], cwd=REPO_ROOT, env=env, timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert not cache_path("faults", "killed").exists()  # no torn entry under the real name
    redone = cached_arrays("faults", "killed", lambda: {"values": np.full(10_000, 2.0)})
    assert redone["values"][0] == 2.0  # the interrupted work is simply done again


KILLED_RD_WRITER = """
import os, signal
from core.ratedistortion.records import rd_records

def dying_replace(src, dst):
    os.kill(os.getpid(), signal.SIGKILL)

os.replace = dying_replace  # the records computed and written to a temp file, killed just before the rename
rd_records([8], n_images=12)
"""


def test_sigkill_while_writing_the_rate_distortion_records_then_damage_both_redo_the_work(tmp_cache):
    """Killed mid-write: no records file under the real name; the next call computes them again.

    Then the same file truncated on disk: read as missing and recomputed, never a crash."""
    import os
    import signal
    import subprocess
    import sys

    from core.paths import REPO_ROOT
    from core.ratedistortion.records import rd_records

    env = {**os.environ, "AECL_CACHE_DIR": str(tmp_cache)}
    proc = subprocess.run([sys.executable, "-c", KILLED_RD_WRITER], cwd=REPO_ROOT, env=env, timeout=300)
    assert proc.returncode == -signal.SIGKILL
    folder = tmp_cache / "ratedistortion"
    assert not list(folder.glob("records_*.npz"))  # nothing half-written under the real name
    records = rd_records([8], n_images=12)
    (written,) = folder.glob("records_*.npz")
    assert len({r["method"] for r in records}) > 1  # the AE and the image codecs
    written.write_bytes(written.read_bytes()[: len(written.read_bytes()) // 2])  # torn on disk
    assert rd_records([8], n_images=12) == records  # recomputed, the same records


KILLED_SERVER = """
import time
from core.training.jobs import JobRegistry, job_key

job = JobRegistry().submit(job_key(6, 5, train_fraction=0.2))
while not job.state().epoch:
    time.sleep(0.1)
print("training", flush=True)
time.sleep(120)
"""


def test_a_server_killed_while_a_lab_run_trains_takes_the_run_with_it_unsaved(tmp_checkpoints):
    """SIGKILL to the dashboard's process mid-training: its worker stops too, and writes nothing."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from core.paths import REPO_ROOT

    env = {**os.environ, "AECL_CHECKPOINT_DIR": str(tmp_checkpoints)}
    server = subprocess.Popen(
        [sys.executable, "-c", KILLED_SERVER], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout.readline().strip() == "training"
        tasks = Path(f"/proc/{server.pid}/task").iterdir()  # the worker is a child of the job's thread
        (worker,) = [int(c) for t in tasks for c in (t / "children").read_text().split()]
        server.send_signal(signal.SIGKILL)
        server.wait(30)
        deadline = time.monotonic() + 60
        while Path(f"/proc/{worker}").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not Path(f"/proc/{worker}").exists(), "the training worker outlived the server"
        assert not [p.name for p in tmp_checkpoints.rglob("*") if p.is_file() and not p.name.endswith(".lock")]
    finally:
        server.kill()
