"""AppTest for the model lab and the latent explorer: train from the page, explore what was trained."""

import json
import shutil
import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.checkpoints.files import list_checkpoints, load_checkpoint
from core.paths import REPO_ROOT
from core.training.jobs import registry
from figures.study import level_label
from ui.widgets import YOUR_DIGIT_KEY

LAB = str(REPO_ROOT / "pages" / "model_lab.py")
EXPLORER = str(REPO_ROOT / "pages" / "latent_explorer.py")
TIMEOUT = 600  # first use on a fresh clone builds the caches


@pytest.fixture(autouse=True)
def no_job_outlives_its_test():
    """The registry is process-wide (as on a server): stop whatever a test left running."""
    yield
    for job in registry().running():
        job.cancel()
        job.wait(60)


def run(path: str, **state) -> AppTest:
    at = AppTest.from_file(path, default_timeout=TIMEOUT)
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def chart(at: AppTest, key: str) -> dict:
    found = [c for c in at.get("plotly_chart") if c.proto.id and key in c.proto.id]
    assert found, f"no chart {key}"
    return json.loads(found[0].proto.spec)


def wait_until(at: AppTest, done, timeout: float = TIMEOUT) -> None:
    """Rerun the page (what the live panel's timer does in a browser) until `done(at)`."""
    deadline = time.monotonic() + timeout
    while not done(at):
        assert time.monotonic() < deadline, "the job did not reach the expected state in time"
        time.sleep(0.5)
        at.run()
        assert not at.exception, [e.message for e in at.exception]


def test_a_short_run_started_from_the_lab_is_saved_and_appears_in_the_level_picker(tmp_checkpoints, tmp_cache):
    at = run(LAB, lab_dim=3, lab_epochs=1, lab_share=0.5)
    assert not any("shipped model" in i.value for i in at.info)  # no shipped model for d=3
    at.button(key="lab_start").click().run()
    wait_until(at, lambda at: any("Done" in s.value for s in at.success))
    (job,) = registry().jobs()[:1]
    assert list_checkpoints(tmp_checkpoints) == []  # a lab model, never a shipped checkpoint
    _, meta = load_checkpoint(job.model_name)
    assert meta["train"]["epochs"] == 1 and meta["train"]["train_fraction"] == 0.005
    curve = chart(at, "lab_curve")
    assert [t["name"] for t in curve["data"]][-1] == "test MSE, per epoch"
    samples = "".join(h.proto.body for h in at.get("html"))
    assert 'alt="original"' in samples and 'alt="after epoch 1"' in samples  # the rows that sharpen as it trains
    for ext in ("json", "safetensors"):  # the views need a shipped model; the lab model is listed beside it
        shutil.copy(REPO_ROOT / "checkpoints" / f"ae_d002.{ext}", tmp_checkpoints)
    explorer = run(EXPLORER, lx_level=job.model_name)
    assert explorer.selectbox(key="lx_level").options == ["99.7% · d=2", level_label(job.model_name)]
    assert explorer.selectbox(key="lx_level").options[1].startswith("99.6% · d=3 · lab ")
    assert len(explorer.slider) == 3 + 1  # one per latent dim, and the interpolation steps


def test_a_shipped_size_trains_as_a_lab_model_beside_the_shipped_one():
    at = run(LAB, lab_dim=8)
    assert "separate **lab model**" in at.info[0].value and "stays as it is" in at.info[0].value
    assert not at.button(key="lab_start").disabled and not at.checkbox  # nothing to confirm: nothing is replaced


def test_cancelling_from_the_lab_writes_nothing(tmp_checkpoints):
    at = run(LAB, lab_dim=5, lab_epochs=5, lab_share=20.0)
    at.button(key="lab_start").click().run()
    wait_until(at, lambda at: any(p.value > 0 for p in at.get("progress")))
    at.button(key="lab_cancel").click().run()  # the session that started it
    wait_until(at, lambda at: any("Cancelled" in i.value for i in at.info))
    assert not [p.name for p in tmp_checkpoints.iterdir() if not p.name.endswith(".lock")]


def test_a_second_session_finds_the_running_job_and_does_not_start_another(tmp_checkpoints):
    settings = dict(lab_dim=4, lab_epochs=5, lab_share=20.0)
    first = run(LAB, **settings)
    first.button(key="lab_start").click().run()
    n_jobs = len(registry().jobs())
    token = registry().running()[0].key.token
    assert first.query_params["job"] == token
    reloaded = AppTest.from_file(LAB, default_timeout=TIMEOUT)  # a reload: a new session, same URL, no form state
    reloaded.query_params["job"] = token
    reloaded.run()
    assert any("Training d=4" in p.proto.text for p in reloaded.get("progress"))
    # the form shows the run it is watching, not the defaults
    assert reloaded.number_input(key="lab_dim").value == 4 and reloaded.number_input(key="lab_epochs").value == 5
    assert reloaded.slider(key="lab_share").value == 20.0 and not reloaded.warning
    reloaded.button(key="lab_start").click().run()  # so Start asks for the same run, which it joins
    assert len(registry().jobs()) == n_jobs and len(registry().running()) == 1
    # once the pace is known, the bar says how long is left
    wait_until(reloaded, lambda at: any(" left, " in p.proto.text for p in at.get("progress")))


def test_compression_percent_picks_the_latent_size():
    at = run(LAB, lab_size_by="compression %", lab_pct=99.0)
    assert "→ 8 latent dims" in at.caption[1].value


def test_moving_one_slider_changes_the_decoded_digit():
    at = run(EXPLORER, lx_level=8)
    before = chart(at, "lx_moved")["data"][0]["z"]
    slider = at.slider(key="lx_z_8_test0_3")
    slider.set_value(slider.max).run()
    assert chart(at, "lx_moved")["data"][0]["z"] != before


def test_a_large_latent_shows_sliders_for_the_top_k_dims():
    at = run(EXPLORER, lx_level=392)
    n_before = len(at.slider)
    at.number_input(key="lx_k").set_value(12).run()
    assert len(at.slider) == n_before + 4


def test_interpolation_strip_follows_the_chosen_digits():
    at = run(EXPLORER, lx_level=8)
    fig = chart(at, "lx_interp")
    assert fig["layout"]["yaxis"]["ticktext"] == ["latent-linear", "pixel-linear"]
    at.number_input(key="lx_to").set_value(1).run()
    assert chart(at, "lx_interp")["data"][0]["z"] != fig["data"][0]["z"]


def test_the_2d_model_shows_its_latent_plane_coloured_by_digit():
    at = run(EXPLORER, lx_level=2, lx_grid=8)
    fig = chart(at, "lx_plane")
    assert fig["data"][0]["type"] == "heatmap"
    assert [t["name"] for t in fig["data"][1:]] == [f"digit {d}" for d in range(10)]
    assert fig["data"][1]["marker"]["color"] == "#2ca02c"


@pytest.mark.parametrize("offered", [False, True])
def test_the_explorer_starts_from_the_users_own_digit_when_there_is_one(offered):
    state = {"lx_level": 8}
    if offered:
        digit = np.zeros((28, 28), np.float32)
        digit[6:22, 13:16] = 1.0  # a "1"
        state[YOUR_DIGIT_KEY] = digit
    at = run(EXPLORER, **state)
    assert at.radio(key="lx_source").options == (["a test digit", "your digit"] if offered else ["a test digit"])
    if offered:
        before = chart(at, "lx_moved")["data"][0]["z"]
        at.radio(key="lx_source").set_value("your digit").run()
        assert chart(at, "lx_moved")["data"][0]["z"] != before
