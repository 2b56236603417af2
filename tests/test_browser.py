"""A person's view: every page in a real headless Chromium, with screenshots to look at.

In CI a missing browser is a failure, not a skip (`make test` installs Debian's chromium).
"""

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
]


@pytest.fixture(scope="module")
def browser_page():
    SHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server() as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        yield url, page
        browser.close()


def shot(page, name: str) -> Path:
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
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
    rows_before = page.locator(".js-plotly-plot .heatmaplayer").count()
    # remove the first preselected level with its chip's close button
    page.locator("[data-testid='stMultiSelect'] button[aria-label^='Remove']").first.click()
    wait_for_app(page)
    shot(page, "reconstructions-one-level-removed")
    assert page.locator(".js-plotly-plot .heatmaplayer").count() < rows_before
