"""A person's view: every page in a real headless Chromium, with screenshots to look at.

In CI a missing browser is a failure, not a skip (`make test` installs Debian's chromium).
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from core.paths import REPO_ROOT
from tests.browser import launch_chromium, streamlit_server, wait_for_app

SHOTS = REPO_ROOT / "tests" / "artifacts"
PAGES = [
    ("", "Autoencoder Compression Lab"),
    ("reconstructions", "Original vs reconstructed digits"),
    ("error-curve", "Reconstruction error against compression"),
    ("per-digit", "Error per digit"),
    ("embedding", "Do reconstructions live where the originals do?"),
    ("rate-distortion", "Rate–distortion"),
    ("recognisability", "Recognisability"),
    ("model-lab", "Model lab"),
    ("latent-explorer", "Latent explorer"),
    ("claims", "The study's claims, tested"),
    ("compress", "Compress"),
]


@pytest.fixture(scope="module")
def browser_page():
    SHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server() as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        wait_for_app(page)
        yield url, page
        browser.close()


def shot(page, name: str) -> Path:
    """A screenshot of the whole page: Streamlit scrolls inside stMain, so grow the viewport to fit it."""
    path = SHOTS / f"{name}.png"
    height = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=\"stMain\"]'); return m ? m.scrollHeight : 1000; }"
    )
    page.set_viewport_size({"width": 1400, "height": int(min(max(1000, height + 40), 6000))})
    page.wait_for_timeout(500)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 1000})
    return path


@pytest.mark.parametrize("path,title", PAGES)
def test_every_page_renders_in_chromium(browser_page, path, title):
    url, page = browser_page
    page.goto(f"{url}/{path}")
    wait_for_app(page, timeout_ms=180_000)
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    assert page.locator("[data-testid='stException']").count() == 0
    assert shot(page, f"page-{path or 'home'}").stat().st_size > 10_000


def test_navigation_between_pages_by_clicking(browser_page):
    url, page = browser_page
    page.goto(url)
    wait_for_app(page)
    page.get_by_role("link", name="Per-digit error").first.click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Error per digit")).to_be_visible()


def test_changing_the_level_on_the_reconstructions_page_redraws_the_grid(browser_page):
    url, page = browser_page
    page.goto(f"{url}/reconstructions")
    wait_for_app(page)
    labels_before = page.locator(".js-plotly-plot .textpoint").count()  # one label under each digit
    # remove the first preselected level with its chip's close button
    page.locator("[data-testid='stMultiSelect'] button[aria-label^='Remove']").first.click()
    wait_for_app(page)
    shot(page, "reconstructions-one-level-removed")
    assert page.locator(".js-plotly-plot .textpoint").count() == labels_before - 10


def _digit_png(tmp_path, text="7", name="seven.png") -> Path:
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("L", (160, 160), 255)
    ImageDraw.Draw(img).text((40, 10), text, fill=0, font=ImageFont.load_default(size=130))
    path = tmp_path / name
    img.save(path)
    return path


def test_drawing_a_digit_with_the_mouse_shows_its_reconstructions(browser_page):
    url, page = browser_page
    page.goto(f"{url}/your-digit")
    wait_for_app(page)
    canvas = page.locator("[data-testid='stBidiComponentIsolated'] canvas").last  # fabric.js's drawing layer
    canvas.wait_for(timeout=30_000)
    page.wait_for_timeout(1000)  # let fabric.js finish setting up its event handlers
    box = canvas.bounding_box()
    x0, y0 = box["x"], box["y"]
    page.mouse.move(x0 + 90, y0 + 60)  # a "7": a bar, then a diagonal
    page.mouse.down()
    for x in range(90, 200, 10):
        page.mouse.move(x0 + x, y0 + 60)
    for i in range(12):
        page.mouse.move(x0 + 200 - 8 * i, y0 + 60 + 15 * i)
    page.mouse.up()
    expect(page.get_by_text("Reconstructed at every level")).to_be_visible(timeout=120_000)
    wait_for_app(page, timeout_ms=180_000)
    expect(page.get_by_text("MSE", exact=False).first).to_be_visible()
    assert page.locator("[data-testid='stException']").count() == 0
    shot(page, "your-digit-drawn")


def test_uploading_a_digit_and_a_bad_file(browser_page, tmp_path):
    url, page = browser_page
    page.goto(f"{url}/your-digit")
    wait_for_app(page)
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"definitely not a png")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files([str(_digit_png(tmp_path)), str(bad)])
    expect(page.get_by_text("broken.png", exact=False).first).to_be_visible(timeout=60_000)
    expect(page.get_by_text("not an image we can read")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Reconstructed at every level")).to_be_visible(timeout=120_000)
    wait_for_app(page, timeout_ms=180_000)
    assert page.locator("[data-testid='stException']").count() == 0
    shot(page, "your-digit-uploaded")


def test_an_upload_over_the_size_limit_is_refused_in_the_browser(browser_page, tmp_path):
    """.streamlit/config.toml caps uploads at 5 MB: a 6 MB 'PNG' gets Streamlit's message, not a crash."""
    url, page = browser_page
    page.goto(f"{url}/your-digit")
    wait_for_app(page)
    big = tmp_path / "huge.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * (6 * 1024 * 1024))
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(big))
    expect(page.get_by_text(re.compile(r"(must be|exceeds).*5(\.0)?\s?MB", re.I)).first).to_be_visible(timeout=30_000)
    wait_for_app(page)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_text("Reconstructed at every level").count() == 0  # nothing reached the page script
    shot(page, "your-digit-upload-too-big")


def test_a_photo_just_under_the_size_limit_is_read_as_a_digit(browser_page, tmp_path):
    """A 4-5 MB noisy 2400x2400 scan with a 3 on it: accepted, cropped and reconstructed, not refused."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    rng = np.random.default_rng(0)
    scan = Image.fromarray(rng.integers(200, 256, (2400, 2400), dtype=np.uint8), "L")  # paper grain
    ImageDraw.Draw(scan).text((700, 300), "3", fill=0, font=ImageFont.load_default(size=1600))
    path = tmp_path / "scan.png"
    scan.save(path)
    assert 4 * 2**20 < path.stat().st_size < 5 * 2**20
    url, page = browser_page
    page.goto(f"{url}/your-digit")
    wait_for_app(page)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(path))
    expect(page.get_by_text("Reconstructed at every level")).to_be_visible(timeout=60_000)
    wait_for_app(page)
    assert page.locator("[data-testid='stException']").count() == 0
    shot(page, "your-digit-upload-near-limit")


def _step_through_lesson(page, url: str, query: str, name: str, press) -> list[str]:
    from teaching.steps import STEP_KEYS, lesson_step

    page.goto(f"{url}/lesson{query}")
    wait_for_app(page, timeout_ms=180_000)
    seen = []
    for i, key in enumerate(STEP_KEYS):
        expect(page.get_by_role("heading", name=lesson_step(key).title)).to_be_visible(timeout=60_000)
        assert page.locator("[data-testid='stException']").count() == 0
        assert f"step={key}" in page.url
        shot(page, f"lesson-{name}-{i + 1:02d}-{key}")
        seen.append(key)
        if i < len(STEP_KEYS) - 1:
            press(page)
            page.wait_for_timeout(100)
            wait_for_app(page, timeout_ms=180_000)
    return seen


def test_the_whole_lesson_steps_through_with_the_next_button(browser_page):
    from teaching.steps import STEP_KEYS

    url, page = browser_page
    seen = _step_through_lesson(page, url, "", "normal", lambda p: p.get_by_role("button", name="Next").first.click())
    assert seen == list(STEP_KEYS)


def test_presenter_mode_from_the_url_hides_the_sidebar_and_answers_the_arrow_keys(browser_page):
    from teaching.steps import STEP_KEYS

    url, page = browser_page
    seen = _step_through_lesson(page, url, "?present=1", "presenter", lambda p: p.keyboard.press("ArrowRight"))
    assert seen == list(STEP_KEYS)
    assert page.locator("[data-testid='stSidebar']").get_attribute("data-collapsed") == "true"
    root_px = page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert root_px >= 20  # presenter type, readable from the back of the room
    page.keyboard.press("ArrowLeft")
    wait_for_app(page)
    assert f"step={STEP_KEYS[-2]}" in page.url


def _copy_checkpoints(folder: Path, dims: tuple[int, ...]) -> Path:
    import shutil

    from core.checkpoints.files import CheckpointPaths

    folder.mkdir()
    for d in dims:
        for f in (CheckpointPaths.for_latent_dim(d).weights, CheckpointPaths.for_latent_dim(d).meta):
            shutil.copy(f, folder / f.name)
    return folder


def test_a_deep_link_as_the_first_request_to_a_fresh_server_opens_that_page(browser_page):
    """A shared link (a teacher's /model-lab) opened before anyone visited Home: no "Page not found" dialog."""
    browser = browser_page[1].context.browser
    with streamlit_server() as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/model-lab")
        page.get_by_role("heading", name="Model lab").wait_for(timeout=120_000)
        wait_for_app(page)
        assert page.get_by_text("Page not found").count() == 0
        page.get_by_role("spinbutton", name="latent dims").fill("12", timeout=10_000)  # nothing covers the page
        page.close()


def _torch_loaded(pid: int) -> bool:
    """Whether the server process has torch's library mapped, read from the kernel rather than asked of it."""
    return "libtorch" in Path(f"/proc/{pid}/maps").read_text()


def test_a_shared_link_to_a_page_that_runs_a_model_starts_torch_before_the_page_runs():
    """The HTML of /reconstructions, asked for before any session exists, has the server import torch while the
    browser would still be loading the front end; the home page's HTML doesn't (torch would compete with it)."""
    import time
    import urllib.request

    started = []
    with streamlit_server(started=started) as url:
        pid = started[0].pid
        with urllib.request.urlopen(url, timeout=10) as r:
            assert r.status == 200
        time.sleep(3)  # longer than torch takes to appear once started
        assert not _torch_loaded(pid)
        with urllib.request.urlopen(f"{url}/reconstructions", timeout=10) as r:
            assert r.status == 200
        deadline = time.monotonic() + 60
        while not _torch_loaded(pid):
            assert time.monotonic() < deadline, "torch never loaded after a model page's link"
            time.sleep(0.1)


def test_home_has_the_browser_fetch_the_chart_library_while_it_is_read(browser_page):
    """The views' first plotly chart finds plotly.js already loaded: the home page fetches Streamlit's chunk."""
    url, page = browser_page
    page.goto(url)
    wait_for_app(page)
    fetched = "() => performance.getEntriesByType('resource').some(e => e.name.includes('/static/js/PlotlyChart.'))"
    page.wait_for_function(fetched, timeout=30_000)
    assert page.locator("[data-testid='stException']").count() == 0


def test_an_unknown_page_in_the_url_says_so_and_opens_home(browser_page):
    url, page = browser_page
    page.goto(f"{url}/no-such-page?level=abc")
    page.get_by_role("heading", name="Autoencoder Compression Lab").wait_for(timeout=60_000)
    wait_for_app(page)
    expect(page.get_by_text("Page not found")).to_be_visible()
    assert page.locator("[data-testid='stException']").count() == 0
    shot(page, "unknown-page")


def test_training_in_the_model_lab_then_exploring_the_new_model(browser_page, tmp_path):
    """A tiny run started by clicking, watched live, then found in the explorer's level picker.

    Its own server writes to a temporary checkpoint folder; the module's Chromium drives it."""
    folder = _copy_checkpoints(tmp_path / "checkpoints", (2, 8))
    browser = browser_page[1].context.browser
    with streamlit_server(env={"AECL_CHECKPOINT_DIR": str(folder)}) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        wait_for_app(page)
        page.goto(f"{url}/model-lab")
        wait_for_app(page)
        page.get_by_role("spinbutton", name="latent dims").fill("3")
        page.get_by_role("spinbutton", name="latent dims").press("Enter")
        page.get_by_role("spinbutton", name="epochs").fill("2")
        page.get_by_role("spinbutton", name="epochs").press("Enter")
        wait_for_app(page)
        page.locator("[data-testid='stSlider']").filter(has_text="share").get_by_role("slider").press("Home")
        wait_for_app(page)
        page.get_by_role("button", name="Start training").click()
        expect(page.get_by_text("Training d=3", exact=False).first).to_be_visible(timeout=60_000)
        page.wait_for_timeout(2500)
        shot(page, "model-lab-training")
        expect(page.get_by_text("Done: d=3", exact=False)).to_be_visible(timeout=240_000)
        wait_for_app(page)
        assert page.locator("[data-testid='stException']").count() == 0
        assert "job=d3-e2" in page.url  # a reload finds the run again
        shot(page, "model-lab-done")
        assert not (folder / "ae_d003.json").exists()  # a lab run never writes a shipped checkpoint
        assert len(list((folder / "lab").glob("ae_d003_lab_*.safetensors"))) == 1
        page.goto(f"{url}/latent-explorer")
        wait_for_app(page)
        page.locator("[data-testid='stSelectbox']").filter(has_text="Model").click()
        option = page.get_by_role("option", name=re.compile(r"^99\.6% · d=3 · lab "))
        expect(option).to_be_visible()
        option.click()
        wait_for_app(page)
        assert page.locator("[data-testid='stSlider']").count() == 3 + 1
        shot(page, "latent-explorer-new-model")
        page.close()


def test_the_latent_explorer_on_the_2d_model(browser_page):
    url, page = browser_page
    page.goto(f"{url}/latent-explorer")
    wait_for_app(page)
    page.locator("[data-testid='stSelectbox']").filter(has_text="Model").click()
    page.get_by_role("option", name="99.7% · d=2").click()
    wait_for_app(page, timeout_ms=180_000)
    expect(page.get_by_text("The whole latent plane")).to_be_visible()
    assert page.locator("[data-testid='stException']").count() == 0
    shot(page, "latent-explorer-2d")


def test_home_shows_a_digit_at_each_level_and_another_on_request(browser_page):
    url, page = browser_page
    page.goto(url)
    wait_for_app(page)
    digits = page.locator("[data-testid='stMain'] figure img")
    expect(digits).to_have_count(5)
    for i in range(5):
        assert page.evaluate("(img) => img.naturalWidth", digits.nth(i).element_handle()) > 0  # decoded, not broken
    before = digits.nth(1).get_attribute("src")
    shot(page, "home-digit")
    page.get_by_role("button", name="Another digit").click()
    page.wait_for_url(re.compile(r"digit=(?!0\b)\d+"))
    wait_for_app(page)
    assert digits.nth(1).get_attribute("src") != before


def test_compressing_test_digits_downloading_the_file_and_decoding_it_back(browser_page, tmp_path):
    from core.codec import decompress, read_header

    url, page = browser_page
    page.goto(f"{url}/compress?n=300&order=first")
    wait_for_app(page, timeout_ms=180_000)
    expect(page.get_by_role("heading", name="300 test digits in one file", exact=False)).to_be_visible()
    expect(page.get_by_text("bytes per digit")).to_be_visible()
    assert page.locator("[data-testid='stException']").count() == 0
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile(r"^Download the file")).click()
    data = Path(download.value.path()).read_bytes()
    assert read_header(data).n_images == 300 and decompress(data).images.shape == (300, 28, 28)
    saved = tmp_path / download.value.suggested_filename
    saved.write_bytes(data)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").last.set_input_files(str(saved))
    expect(page.get_by_text("300 digits decoded", exact=False)).to_be_visible(timeout=60_000)
    wait_for_app(page)
    assert page.locator("[data-testid='stException']").count() == 0
    shot(page, "compress")
