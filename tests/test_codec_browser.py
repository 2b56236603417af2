"""The digit as text in a real Chromium: *Your digit* shows the string and its link, and the link opened in a fresh
browser (no cookies, no session, nothing on the server) shows the digit decoded, pixel for pixel."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from playwright.sync_api import expect, sync_playwright

from core.codec import decode_text, digit_text, qualities
from core.data.mnist import load_split
from core.explore.round_trip import default_quality
from core.paths import REPO_ROOT
from tests.browser import launch_chromium, streamlit_server, wait_for_app

SHOTS = REPO_ROOT / "tests" / "artifacts"


@pytest.fixture(scope="module")
def server_and_browser():
    SHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server() as url, sync_playwright() as p:
        browser = launch_chromium(p)
        yield url, browser
        browser.close()


def _shot(page, name: str) -> None:
    height = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=\"stMain\"]'); return m ? m.scrollHeight : 1000; }"
    )
    page.set_viewport_size({"width": 1400, "height": int(min(max(1000, height + 40), 6000))})
    page.wait_for_timeout(500)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _shown_digit(page) -> np.ndarray:
    """The pixels of the first image under "The digit from …", as the browser received them."""
    src = page.locator("[data-testid='stMain'] figure img").first.get_attribute("src")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))))


def _as_shown(image: np.ndarray) -> np.ndarray:
    return (np.clip(image, 0, 1) * 255).astype(np.uint8)  # ui.images.png_data_uri's conversion


@pytest.mark.timeout(300)
def test_a_code_link_opened_in_a_fresh_browser_shows_the_digit_decoded(server_and_browser):
    url, browser = server_and_browser
    text = digit_text(load_split("test").images[21], default_quality(qualities()).number)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # nothing shared with any other visit
    page = context.new_page()
    page.goto(f"{url}/compress?code={text}")
    wait_for_app(page, timeout_ms=180_000)
    expect(page.get_by_role("heading", name="The digit from the link")).to_be_visible()
    expect(page.get_by_text(f"Decoded from {text}", exact=False)).to_be_visible()
    assert page.locator("[data-testid='stException']").count() == 0
    assert np.array_equal(_shown_digit(page), _as_shown(decode_text(text).images[0]))
    _shot(page, "compress-code-link")
    context.close()

    bad = browser.new_context()
    page = bad.new_page()
    page.goto(f"{url}/compress?code={text[:-2]}")
    wait_for_app(page, timeout_ms=180_000)
    expect(page.get_by_text("Ignored code=", exact=False)).to_be_visible()
    assert page.locator("[data-testid='stException']").count() == 0
    bad.close()


def _digit_png(tmp_path: Path) -> Path:
    img = Image.new("L", (160, 160), 255)
    ImageDraw.Draw(img).text((40, 10), "4", fill=0, font=ImageFont.load_default(size=130))
    path = tmp_path / "four.png"
    img.save(path)
    return path


@pytest.mark.timeout(400)
def test_your_digit_shows_its_code_as_text_and_the_link_reopens_it_elsewhere(server_and_browser, tmp_path):
    url, browser = server_and_browser
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{url}/your-digit")
    wait_for_app(page, timeout_ms=180_000)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(_digit_png(tmp_path)))
    wait_for_app(page, timeout_ms=300_000)
    line = page.get_by_text("This digit as text", exact=False)
    expect(line).to_be_visible(timeout=120_000)
    line.scroll_into_view_if_needed()
    link = page.get_by_role("link", name="open it as a link").get_attribute("href")
    text = link.split("code=", 1)[1]
    assert 10 <= len(text) <= 24 and decode_text(text).header.n_images == 1
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=str(SHOTS / "your-digit-code-text.png"))
    context.close()

    elsewhere = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = elsewhere.new_page()
    page.goto(link)
    wait_for_app(page, timeout_ms=180_000)
    expect(page.get_by_role("heading", name="The digit from the link")).to_be_visible()
    assert np.array_equal(_shown_digit(page), _as_shown(decode_text(text).images[0]))
    elsewhere.close()
