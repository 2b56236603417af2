"""AppTest: every page renders on the shipped checkpoints, and each widget changes what's shown."""

import base64
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.checkpoints.loaded import available_latent_dims
from core.paths import REPO_ROOT

TIMEOUT = 600  # a fresh clone builds every cache (PCA, evaluations, classifier readings) on first use


def run_page(path: str) -> AppTest:
    at = AppTest.from_file(str(REPO_ROOT / path), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def values(v) -> np.ndarray:
    """Plotly stores numpy arrays as base64 typed arrays; decode them for assertions."""
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
    return np.asarray(v)


def figure(at: AppTest, index: int = 0) -> dict:
    return json.loads(at.get("plotly_chart")[index].proto.spec)


def test_app_entry_point_renders_home():
    at = run_page("app.py")
    assert "Autoencoder Compression Lab" in at.title[0].value
    table = at.table[0].value
    assert table["latent dims"].tolist() == [392, 78, 39, 8]
    # the home page's map leads to every other page, once
    from ui.navigation import PAGES

    linked = [link.proto.label for link in at.get("page_link")]
    assert sorted(linked) == sorted(p.title for p in PAGES if p.group != "home")
    assert [h.value for h in at.subheader][-3:] == ["The study's four views", "Beyond the study", "Teaching with it"]


def test_reconstructions_page_changes_with_levels_mode_and_error_map():
    def tiles(fig: dict) -> int:  # one MSE / index label under each digit of the mosaic
        return len(fig["data"][1]["text"])

    at = run_page("pages/reconstructions.py")
    fig = figure(at)
    assert tiles(fig) == 10 * 5  # 10 digits, originals + 4 levels
    assert fig["data"][0]["z"]["shape"].startswith(f"{5 * (28 + 10)},")  # mosaic rows: 5 rows of tiles
    at.multiselect(key="recon_levels").set_value([8]).run()
    assert tiles(figure(at)) == 10 * 2
    before = values(figure(at)["data"][0]["z"])
    at.toggle(key="recon_error_map").set_value(True).run()
    after = values(figure(at)["data"][0]["z"])
    assert np.array_equal(np.isnan(before), np.isnan(after)) and not np.allclose(before, after, equal_nan=True)
    at.radio(key="recon_mode").set_value("specific test indices").run()
    at.text_input(key="recon_indices").set_value("5, 7").run()
    assert tiles(figure(at)) == 2 * 2
    at.text_input(key="recon_indices").set_value("abc").run()
    assert not at.exception
    assert "not an index" in at.error[0].value


def test_error_curve_page_shows_ae_and_pca_and_toggles_log_scale():
    at = run_page("pages/error_curve.py")
    fig = figure(at)
    names = [t["name"] for t in fig["data"]]
    assert any("auto-encoder" in n for n in names) and any("PCA" in n for n in names)
    assert fig["layout"]["yaxis"]["type"] == "log"
    # every tick on the log axis is labelled in full (plotly's own would read "5, 2, 0.01, 5, 2, 0.001")
    y_axis, mse = fig["layout"]["yaxis"], np.concatenate([values(t["y"]) for t in fig["data"]])
    assert [float(t) for t in y_axis["ticktext"]] == pytest.approx(y_axis["tickvals"])
    assert min(y_axis["tickvals"]) <= mse.min() and max(y_axis["tickvals"]) >= mse.max()
    assert {"0.001", "0.002", "0.005", "0.01"} <= set(y_axis["ticktext"])
    at.toggle(key="curve_log").set_value(False).run()
    assert figure(at)["layout"]["yaxis"]["type"] == "linear"
    assert "tickvals" not in figure(at)["layout"]["yaxis"]
    at.radio(key="curve_x").set_value("latent dims").run()
    fig = figure(at)
    assert fig["layout"]["xaxis"]["type"] == "log"
    assert {"2", "5", "10", "20", "50", "100", "200"} <= set(fig["layout"]["xaxis"]["ticktext"])
    # the knee's label sits on the axis (plotly reads a log axis's annotation x as log10: 78 stretched it to 10^78)
    (knee,) = [a for a in fig["layout"]["annotations"] if a["text"].startswith("knee")]
    assert 0 < knee["x"] < np.log10(784)
    assert sorted(values(fig["data"][0]["x"]).tolist()) == sorted(available_latent_dims())


def test_error_curve_page_names_the_sizes_trained_on_an_earlier_network():
    from core.checkpoints.card import network_of, network_text, trained_on_an_earlier_network
    from core.models.autoencoder import ModelConfig

    at = run_page("pages/error_curve.py")
    earlier = trained_on_an_earlier_network(sorted(available_latent_dims()))
    notes = [c.value for c in at.caption if "earlier network" in c.value]
    assert len(notes) == (1 if earlier else 0)
    if earlier:
        assert f"d = {', '.join(str(d) for d in earlier)} were trained" in notes[0]
        assert network_text(network_of(earlier[0])) in notes[0]
        assert network_text(ModelConfig(latent_dim=earlier[0])) in notes[0]


def test_error_curve_page_says_the_narrow_codes_have_a_larger_network():
    from core.checkpoints.card import network_text, trained_on_an_earlier_network
    from core.models.autoencoder import NARROW_CODE_MAX, ModelConfig

    at = run_page("pages/error_curve.py")
    dims = sorted(available_latent_dims())
    narrow = [d for d in dims if d <= NARROW_CODE_MAX and d not in trained_on_an_earlier_network(dims)]
    assert narrow  # d=8, a study level, ships on it
    (note,) = [c.value for c in at.caption if "larger network" in c.value]
    assert f"d = {', '.join(str(d) for d in narrow)})" in note
    assert network_text(ModelConfig(latent_dim=8)) in note and "bottleneck" in note


def test_per_digit_page_switches_between_raw_and_ink_normalised():
    at = run_page("pages/per_digit.py")
    fig = figure(at)
    assert len(fig["data"]) == 2  # 95 % and 99 % preselected
    raw = fig["data"][0]["y"]
    at.radio(key="digit_value").set_value("ink-normalised").run()
    assert figure(at)["data"][0]["y"] != raw
    at.toggle(key="digit_sort").set_value(True).run()
    xs = figure(at)["data"][0]["x"]
    assert sorted(xs) == [str(d) for d in range(10)] and xs != [str(d) for d in range(10)]


@pytest.mark.parametrize("method", ["PCA", "t-SNE"])
def test_embedding_page_overlays_originals_and_reconstructions(method):
    at = AppTest.from_file(str(REPO_ROOT / "pages/embedding.py"), default_timeout=TIMEOUT)
    at.session_state["emb_method"] = method  # small sample from the first run: the default is 2 x 2,000
    at.session_state["emb_n"] = 300
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    fig = figure(at)
    assert [t["name"] for t in fig["data"]] == ["original", "reconstruction"]
    assert fig["data"][0]["marker"]["color"] == "#1f77b4" and fig["data"][1]["marker"]["color"] == "#d62728"
    assert len(values(fig["data"][0]["x"])) == 300
    at.radio(key="emb_color").set_value("digit").run()
    assert len(figure(at)["data"]) == 10
    assert "%" in at.metric[0].value


def run_with_url(path: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(REPO_ROOT / path), default_timeout=TIMEOUT)
    at.query_params.update(params)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_lesson_steps_forward_and_back_and_keeps_the_step_in_the_url():
    from teaching.steps import STEP_KEYS, lesson_step

    at = run_page("pages/lesson.py")
    assert at.header[0].value == lesson_step(STEP_KEYS[0]).title
    at.button(key="lesson_next").click().run()
    assert at.header[0].value == lesson_step(STEP_KEYS[1]).title
    assert at.query_params["step"] == STEP_KEYS[1]
    at.button(key="lesson_back").click().run()
    assert at.header[0].value == lesson_step(STEP_KEYS[0]).title
    assert at.button(key="lesson_back").disabled


def test_lesson_reopens_at_the_step_in_the_url_and_presenter_mode_fixes_the_seed():
    from teaching.steps import PRESENTER_SEED, lesson_step

    at = run_with_url("pages/lesson.py", step="reconstructions", seed="7")
    assert at.header[0].value == lesson_step("reconstructions").title
    assert at.number_input(key="lesson_seed").value == 7
    assert str(lesson_step("reconstructions", 7).facts["worst_index"]) in at.markdown[0].value

    # Presenter mode is app.py's sidebar switch (its `?present=1` is tested in the browser); here its state.
    at = AppTest.from_file(str(REPO_ROOT / "pages/lesson.py"), default_timeout=TIMEOUT)
    at.session_state["present"] = True
    at.query_params.update({"step": "reconstructions", "seed": "7"})
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert not [n for n in at.number_input if n.key == "lesson_seed"]  # no seed to change while presenting
    worst = lesson_step("reconstructions", PRESENTER_SEED).facts["worst_index"]
    assert any(str(worst) in m.value for m in at.markdown)


def test_a_bookmarked_reconstructions_url_reopens_the_same_grid():
    at = run_with_url("pages/reconstructions.py", levels="39,8", seed="5", n="4", digits="random")
    fig = figure(at)
    assert len(fig["data"][1]["text"]) == 4 * 3  # 4 digits, originals + 2 levels
    assert at.number_input(key="recon_seed").value == 5
    assert at.multiselect(key="recon_levels").value == [39, 8]
    at.number_input(key="recon_seed").set_value(6).run()
    assert at.query_params["seed"] == "6"
    at = run_with_url("pages/reconstructions.py", digits="indices", indices="3, 9")
    assert len(figure(at)["data"][1]["text"]) == 2 * 5


@pytest.mark.parametrize(
    "params,warning",
    [
        ({"levels": "abc"}, "levels=abc"),
        ({"seed": "-1"}, "seed=-1"),
        ({"n": "1000000000"}, "n=1000000000"),
        ({"digits": "../../etc/passwd"}, "digits=../../etc/passwd"),
    ],
)
def test_hostile_url_values_are_ignored_with_a_message(params, warning):
    at = run_with_url("pages/reconstructions.py", **params)
    assert any(warning in w.value for w in at.warning)
    assert len(figure(at)["data"][1]["text"]) == 10 * 5  # the default view, not a crash


def test_a_latent_size_of_a_billion_or_a_forged_job_in_the_url_is_refused_with_a_message():
    at = run_with_url("pages/embedding.py", level="1000000000")
    assert any("level=1000000000" in w.value for w in at.warning)
    assert at.selectbox(key="emb_level").value == 8  # the default level, not a crash
    at = run_with_url("pages/model_lab.py", job="../../checkpoints/ae_d008")
    assert not at.exception
    assert any("not known to this server" in i.value for i in at.info)


def test_embedding_and_per_digit_pages_reopen_from_the_url():
    at = run_with_url("pages/embedding.py", level="39", method="PCA", n="300")
    assert at.selectbox(key="emb_level").value == 39 and at.selectbox(key="emb_method").value == "PCA"
    assert len(values(figure(at)["data"][0]["x"])) == 300
    at = run_with_url("pages/per-digit.py".replace("-", "_"), levels="78")
    assert len(figure(at)["data"]) == 1


@pytest.mark.parametrize(
    "path",
    [
        "pages/reconstructions.py",
        "pages/error_curve.py",
        "pages/per_digit.py",
        "pages/lesson.py",
        "pages/rate_distortion.py",
        "pages/recognisability.py",
    ],
)
def test_every_chart_downloads_as_png_under_a_telling_name(path):
    at = run_page(path)
    charts = at.get("plotly_chart")
    assert charts
    for chart in charts:
        options = json.loads(chart.proto.config)["toImageButtonOptions"]
        assert options["filename"] not in ("", "newplot") and options["scale"] >= 2


def test_rate_distortion_page_toggles_the_error_axis_and_moves_the_byte_budget():
    at = run_page("pages/rate_distortion.py")
    fig = figure(at)
    names = [t["name"] for t in fig["data"]]
    assert {"AE 8-bit", "PCA float32", "JPEG · per file", "WebP · headers shared"} <= set(names)
    assert fig["layout"]["xaxis"]["type"] == "log" and fig["layout"]["yaxis"]["type"] == "log"
    assert "as a file per digit" in " ".join(m.value for m in at.markdown)
    mse_y = values(fig["data"][0]["y"])
    at.radio(key="rd_y").set_value("PSNR").run()
    fig = figure(at)
    assert fig["layout"]["yaxis"]["type"] == "linear" and not np.allclose(values(fig["data"][0]["y"]), mse_y)
    strip = figure(at, 1)["data"]
    at.select_slider(key="rd_budget").set_value(256).run()
    assert not at.exception
    assert [values(t["z"]).tolist() for t in figure(at, 1)["data"]] != [values(t["z"]).tolist() for t in strip]


def test_recognisability_page_shows_the_confusions_of_the_chosen_level():
    at = run_page("pages/recognisability.py")
    before = figure(at)["data"][0]["z"]
    sentences = [m.value for m in at.markdown if " of the " in m.value]
    assert sentences and all("read as" in s for s in sentences)
    at.selectbox(key="rec_level").set_value(392).run()
    assert not at.exception and figure(at)["data"][0]["z"] != before


def test_error_curve_page_adds_the_classifier_accuracy_curve():
    at = run_page("pages/error_curve.py")
    fig = figure(at, 1)
    assert "classifier" in fig["layout"]["title"]["text"]
    assert len(values(fig["data"][0]["y"])) == len(available_latent_dims())


def test_pages_without_a_classifier_warn_instead_of_failing(tmp_path, monkeypatch):
    import shutil

    folder = tmp_path / "checkpoints"
    shutil.copytree(REPO_ROOT / "checkpoints", folder, ignore=shutil.ignore_patterns("classifier.*", "*.lock"))
    monkeypatch.setenv("AECL_CHECKPOINT_DIR", str(folder))
    at = run_page("pages/recognisability.py")
    assert "classifier can't be used" in at.error[0].value
    at = run_page("pages/error_curve.py")
    assert "classifier can't be used" in at.warning[0].value
    assert len(at.get("plotly_chart")) == 1  # the error curve itself still shows


def test_the_warm_up_runs_to_its_end_and_leaves_no_model_to_load(monkeypatch, clear_loader_caches):
    """What the server does once the first page has run (load every model, import the views' libraries, draw a
    figure of each kind) ends without an error, and a page asking for any shipped model afterwards reads no
    checkpoint."""
    import core.checkpoints.loaded as loaded
    import ui.warmup as warmup
    from core.checkpoints.loaded import load_model

    reads = []
    real = loaded.load_checkpoint
    monkeypatch.setattr(loaded, "load_checkpoint", lambda ref, folder=None: reads.append(ref) or real(ref, folder))
    monkeypatch.setattr(warmup, "START_DELAY_S", 0)
    warmup.warm()
    assert sorted(reads) == available_latent_dims()
    for d in available_latent_dims():
        load_model(d)
    assert sorted(reads) == available_latent_dims()  # nothing read again
