"""Lab runs stay apart from the shipped models, belong to their session, obey the server's switch and disk cap."""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest
from streamlit.testing.v1 import AppTest

from core.checkpoints.files import CheckpointMissingError, list_checkpoints, load_checkpoint
from core.checkpoints.lab import LabPolicy, LabSettingError, lab_policy, latent_dim_of, list_lab_models, prune_lab
from core.checkpoints.loaded import load_model_and_meta, model_meta
from core.paths import REPO_ROOT
from core.training.jobs import DONE, JobRegistry, JobRequestError, LabDisabledError, NotYourRunError, job_key, registry
from figures.study import level_label
from tests.test_your_digit_page import digit_png, image_captions

LAB = str(REPO_ROOT / "pages" / "model_lab.py")
EXPLORER = str(REPO_ROOT / "pages" / "latent_explorer.py")
RECONSTRUCTIONS = str(REPO_ROOT / "pages" / "reconstructions.py")
YOUR_DIGIT = str(REPO_ROOT / "pages" / "your_digit.py")
TINY = 0.005  # 300 training digits: one epoch is a few batches
TIMEOUT = 600


@pytest.fixture(autouse=True)
def no_job_outlives_its_test():
    yield
    for job in registry().running():
        job.cancel()
        job.wait(60)


@pytest.fixture
def shipped_copy(tmp_checkpoints, clear_loader_caches):
    """A copy of two shipped checkpoints (d=2 and d=8) as this test's shipped folder; its lab is inside it."""
    for d in (2, 8):
        for ext in ("json", "safetensors"):
            shutil.copy(REPO_ROOT / "checkpoints" / f"ae_d{d:03d}.{ext}", tmp_checkpoints)
    return tmp_checkpoints


def digests(folder) -> dict[str, str]:
    """SHA-256 of every file in `folder` but the readers' lock files (empty, made by any reader)."""
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix != ".lock"]
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def page(path: str, **state) -> AppTest:
    at = AppTest.from_file(path, default_timeout=TIMEOUT)
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def fake_lab_model(folder, stamp: str, run_id: str, d: int = 2) -> str:
    """A lab model on disk made from a shipped pair (same format, same digest), as if trained at `stamp`."""
    name = f"ae_d{d:03d}_lab_{stamp}_{run_id}"
    (folder / "lab").mkdir(exist_ok=True)
    for ext in ("json", "safetensors"):
        shutil.copy(REPO_ROOT / "checkpoints" / f"ae_d{d:03d}.{ext}", folder / "lab" / f"{name}.{ext}")
    return name


def test_a_lab_run_of_a_shipped_size_leaves_the_shipped_files_unchanged_and_is_listed_as_lab(shipped_copy, tmp_cache):
    before = digests(shipped_copy)
    job = JobRegistry().submit(job_key(8, 1, train_fraction=TINY), owner="alice")
    assert job.wait(300) and job.state().status == DONE, job.state().error
    assert digests(shipped_copy) == before  # every shipped byte as it was
    assert list_checkpoints(shipped_copy) == [2, 8]
    (name,) = list_lab_models(shipped_copy / "lab")
    assert name == job.model_name and latent_dim_of(name) == 8
    lab = model_meta(name)["lab"]
    assert lab["run_by"] == "alice" and "1 epoch(s)" in lab["settings"] and lab["started_at"]

    explorer = page(EXPLORER)
    options = explorer.selectbox(key="lx_level").options
    assert options[:2] == ["99.7% · d=2", "99.0% · d=8"] and len(options) == 3
    assert options[2].startswith("99.0% · d=8 · lab ")  # beside the shipped model of its size
    assert explorer.selectbox(key="lx_level").value == 8  # the study's view keeps the shipped one
    explorer.selectbox(key="lx_level").set_value(name).run()
    assert not explorer.exception, [e.message for e in explorer.exception]
    card = explorer.table[0].value
    assert "trained by" in card.index and "alice" in card.loc["trained by", "value"]

    recon = page(RECONSTRUCTIONS, recon_levels=[8, name])
    assert "lab" in recon.multiselect(key="recon_levels").options[-1]
    assert f"{name},8" in str(recon.query_params["levels"])  # the view's link keeps the lab model

    yours = page(YOUR_DIGIT, digit_map_method="PCA")
    yours.file_uploader(key="uploads").set_value(("three.png", digit_png("3"), "image/png")).run()
    captions = image_captions(yours)
    shipped_at = next(i for i, c in enumerate(captions) if c.startswith("99.0% · d=8 · MSE"))
    assert captions[shipped_at + 1].startswith("99.0% · d=8 · lab ")  # the lab model right after the shipped one
    assert yours.selectbox(key="digit_level").value == 8
    yours.selectbox(key="digit_level").set_value(name).run()
    assert not yours.exception, [e.message for e in yours.exception]
    assert any(name in str(c.proto.spec) or "lab" in str(c.proto.spec) for c in yours.get("plotly_chart"))
    assert digests(shipped_copy) == before  # viewing writes nothing there either


def test_another_sessions_cancel_is_refused_with_a_clear_message(tmp_checkpoints):
    job = JobRegistry().submit(job_key(5, 3, train_fraction=0.05), owner="alice")
    with pytest.raises(NotYourRunError, match="started by another visitor's session, and only that session"):
        job.cancel(by="bob")
    time.sleep(1)
    assert job.state().running  # the refusal stopped nothing
    job.cancel(by="alice")
    assert job.wait(60) and job.state().status == "cancelled"


def test_the_lab_page_of_another_session_shows_the_run_but_cannot_cancel_it(tmp_checkpoints):
    owner = page(LAB, lab_dim=5, lab_epochs=5, lab_share=20.0)
    owner.button(key="lab_start").click().run()
    other = page(LAB)  # another visitor: shown what this server is training
    deadline = time.monotonic() + TIMEOUT
    while not any(p.value > 0 for p in other.get("progress")):
        assert time.monotonic() < deadline
        time.sleep(0.5)
        other.run()
    assert any("Training d=5" in p.proto.text for p in other.get("progress"))
    assert other.button(key="lab_cancel").disabled
    assert any("only that session can cancel it" in c.value for c in other.caption)
    assert registry().running() and registry().running()[0].key.latent_dim == 5
    assert not owner.button(key="lab_cancel").disabled
    owner.button(key="lab_cancel").click().run()
    assert registry().jobs()[0].wait(60) and registry().jobs()[0].state().status == "cancelled"


def test_two_sessions_asking_for_the_same_size_get_one_run_owned_by_the_first(tmp_checkpoints):
    reg = JobRegistry(max_running=1)
    key = job_key(6, 2, train_fraction=0.05)
    jobs, barrier = {}, threading.Barrier(2)

    def ask(who):
        barrier.wait()
        jobs[who] = reg.submit(key, owner=who)

    threads = [threading.Thread(target=ask, args=(who,)) for who in ("alice", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    job = jobs["alice"]
    assert jobs["bob"] is job and len(reg.jobs()) == 1
    loser = "bob" if job.owner == "alice" else "alice"
    with pytest.raises(NotYourRunError):
        job.cancel(by=loser)
    with pytest.raises(JobRequestError, match="Another visitor's run of d=6"):
        reg.submit(job_key(6, 1, train_fraction=TINY), owner="carol")  # same size, other settings: waits its turn
    job.cancel(by=job.owner)
    assert job.wait(60)
    assert not list_lab_models(tmp_checkpoints / "lab")


def test_a_run_whose_session_has_gone_trains_on_and_is_saved(tmp_checkpoints):
    at = page(LAB, lab_dim=3, lab_epochs=1, lab_share=0.5)
    at.button(key="lab_start").click().run()
    (job,) = registry().running()
    del at  # the browser tab is closed: its session is gone
    assert job.wait(300) and job.state().status == DONE
    assert list_lab_models(tmp_checkpoints / "lab") == [job.model_name]
    assert load_checkpoint(job.model_name)[1]["lab"]["run_by"] == job.owner


def test_the_switch_turns_the_lab_off(tmp_checkpoints, monkeypatch):
    monkeypatch.setenv("AECL_LAB", "off")
    at = page(LAB)
    assert "Training is turned off on this server" in at.info[0].value and "AECL_LAB=on" in at.info[0].value
    assert not [b for b in at.button if b.key == "lab_start"]
    with pytest.raises(LabDisabledError, match="turned off"):
        JobRegistry().submit(job_key(3, 1, train_fraction=TINY))
    assert not (tmp_checkpoints / "lab").exists()


def test_limited_mode_caps_epochs_and_data_and_says_so(tmp_checkpoints, monkeypatch):
    monkeypatch.setenv("AECL_LAB", "limited")
    monkeypatch.setenv("AECL_LAB_MAX_EPOCHS", "2")
    monkeypatch.setenv("AECL_LAB_MAX_FRACTION", "0.05")
    at = page(LAB)
    assert at.number_input(key="lab_epochs").max == 2 and at.slider(key="lab_share").max == 5.0
    assert any("at most 2 epoch(s) on 5.0%" in c.value for c in at.caption)
    with pytest.raises(JobRequestError, match="at most 2 epoch"):
        JobRegistry().submit(job_key(3, 3, train_fraction=TINY))
    with pytest.raises(JobRequestError, match=r"at most 5\.0%"):
        JobRegistry().submit(job_key(3, 1, train_fraction=0.5))


@pytest.mark.parametrize(
    "environ,message",
    [
        ({"AECL_LAB": "maybe"}, "AECL_LAB must be one of off, limited, on"),
        ({"AECL_LAB": "limited", "AECL_LAB_MAX_MODELS": "0"}, "AECL_LAB_MAX_MODELS must be a whole number"),
        ({"AECL_LAB_MAX_FRACTION": "half"}, "AECL_LAB_MAX_FRACTION must be a number"),
    ],
)
def test_unreadable_lab_settings_are_named(environ, message):
    with pytest.raises(LabSettingError, match=message):
        lab_policy(environ)
    assert lab_policy({"AECL_LAB": "limited"}).max_models == 10 and lab_policy({}).mode == "on"


def test_the_disk_cap_removes_the_oldest_lab_model_and_its_viewer_keeps_it(shipped_copy, tmp_cache):
    oldest = fake_lab_model(shipped_copy, "20200101-000000", "aaaaaa")
    older = fake_lab_model(shipped_copy, "20200102-000000", "bbbbbb")
    viewer = page(EXPLORER, lx_level=oldest)  # another session is looking at the oldest one
    assert viewer.selectbox(key="lx_level").value == oldest
    shipped = digests(shipped_copy)

    job = JobRegistry().submit(job_key(2, 1, train_fraction=TINY), policy=LabPolicy(max_models=2))
    assert job.wait(300) and job.state().status == DONE, job.state().error
    assert list_lab_models(shipped_copy / "lab") == [older, job.model_name]  # the oldest made room
    assert digests(shipped_copy) == shipped

    assert load_model_and_meta(oldest)[1]["latent_dim"] == 2  # this process still holds what it showed
    viewer.run()  # the viewer's next rerun: a message and the shipped model, no traceback
    assert not viewer.exception, [e.message for e in viewer.exception]
    assert any("no longer on this server" in i.value for i in viewer.info)
    assert viewer.selectbox(key="lx_level").value == 8  # the page's default shipped model

    load_model_and_meta.__globals__["_load_lab"].cache_clear()  # a fresh server: nothing in memory
    with pytest.raises(CheckpointMissingError, match=r"no longer on this server.*Train it again in the Model lab"):
        load_model_and_meta(oldest)
    assert prune_lab(1, shipped_copy / "lab") == [older]


KILLED_LAB_WRITER = """
import os, signal, sys, torch
from core.checkpoints.files import save_checkpoint
from core.models.autoencoder import AutoEncoder
from core.training.trainer import TrainConfig, TrainResult

kill_at = int(sys.argv[1])  # SIGKILL ourselves at the n-th file rename of the lab save
real_replace, calls = os.replace, []

def dying_replace(src, dst):
    calls.append(dst)
    if len(calls) == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
    real_replace(src, dst)

os.replace = dying_replace
torch.manual_seed(1)
config = TrainConfig(latent_dim=5, epochs=1)
result = TrainResult(AutoEncoder(config.model), config, [{"epoch": 1, "test_mse": 2.0}], 0.1, "cpu")
save_checkpoint(result, name="ae_d005_lab_20260101-000000_cccccc", lab={"run_by": "alice"})
"""


@pytest.mark.parametrize("kill_at", [1, 2, 3])
def test_sigkill_during_a_lab_save_leaves_the_whole_model_or_none(shipped_copy, kill_at):
    shipped = digests(shipped_copy)
    env = {**os.environ, "AECL_CHECKPOINT_DIR": str(shipped_copy)}
    proc = subprocess.run([sys.executable, "-c", KILLED_LAB_WRITER, str(kill_at)], cwd=REPO_ROOT, env=env, timeout=300)
    assert proc.returncode == -signal.SIGKILL
    listed = list_lab_models(shipped_copy / "lab")
    if kill_at < 3:  # before the JSON's rename (the commit point): no model
        assert listed == []
    else:  # after it: listed, and the first reader finishes the save
        assert listed == ["ae_d005_lab_20260101-000000_cccccc"]
        _model, meta = load_checkpoint(listed[0])
        assert meta["lab"] == {"run_by": "alice"} and meta["history"][0]["test_mse"] == 2.0
    assert digests(shipped_copy) == shipped


def test_the_error_curve_shows_a_lab_model_as_its_own_marker(shipped_copy):
    name = fake_lab_model(shipped_copy, "20200101-000000", "dddddd")
    at = page(str(REPO_ROOT / "pages" / "error_curve.py"))
    chart = next(c for c in at.get("plotly_chart") if "curve_chart" in c.proto.id)
    traces = {t["name"]: t for t in json.loads(chart.proto.spec)["data"]}
    lab = traces["lab models (trained here, not shipped)"]
    assert lab["mode"] == "markers" and lab["text"] == [level_label(name)]
    assert len(traces["auto-encoder"]["x"]) == 2  # the shipped curve: d=2 and d=8, the lab model not on it
