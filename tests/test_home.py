"""Home shows the lab at work: one test digit at each study level, with bytes and MSE, and another on request."""

import re
import subprocess
import sys

import numpy as np
from streamlit.testing.v1 import AppTest

from core.data.mnist import load_split
from core.evaluation.metrics import per_image_mse
from core.explore.showcase import showcase
from core.levels import STUDY_LATENT_DIMS
from core.models.inference import ae_reconstruct
from core.paths import REPO_ROOT

CAPTION = re.compile(r"figcaption[^>]*>([^<]*)</figcaption>")


def home() -> AppTest:
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=300)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def captions(at: AppTest) -> list[str]:
    return [c for h in at.get("html") for c in CAPTION.findall(h.proto.body)]


def test_showcase_reconstructs_the_digit_at_each_study_level_with_its_real_error():
    shown = showcase(3)
    original = load_split("test").float_images([3])
    assert np.array_equal(shown.original, original[0]) and shown.label == int(load_split("test").labels[3])
    assert [level.latent_dim for level in shown.levels] == sorted(STUDY_LATENT_DIMS, reverse=True)
    for level in shown.levels:
        recon = ae_reconstruct(level.latent_dim, original)
        assert np.allclose(level.reconstruction, recon[0], atol=1e-6)
        assert level.mse == per_image_mse(original, recon)[0] and level.code_bytes == level.latent_dim
    assert shown.levels[0].mse < shown.levels[-1].mse  # 50 % keeps the digit better than 99 %


def test_a_shown_digit_is_shown_again_without_importing_torch():
    """The home page's first paint must not wait for torch: once computed, a digit comes from the disk cache."""
    showcase(5)
    probe = "import sys; from core.explore.showcase import showcase; showcase(5); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_home_shows_one_digit_and_each_study_level_with_bytes_and_mse():
    at = home()
    shown = captions(at)
    assert len(shown) == 1 + len(STUDY_LATENT_DIMS)
    assert shown[0] == "original · 784 B raw"
    for caption, d in zip(shown[1:], sorted(STUDY_LATENT_DIMS, reverse=True), strict=True):
        assert f"{d} B code" in caption and re.search(r"MSE 0\.\d{4}", caption)
    assert at.query_params["digit"] == "0"


def test_another_digit_changes_the_digit_and_the_link_keeps_it():
    at = home()
    before = captions(at)
    at.button(key="home_another").click().run()
    index = int(at.query_params["digit"])
    after = captions(at)
    assert after != before or index == 0  # a new draw (index 0 again is a 1-in-10,000 chance)
    reopened = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=300)
    reopened.query_params["digit"] = str(index)
    reopened.run()
    assert captions(reopened) == after
