"""The training seeds in a real Chromium: the error curve's bars, per-digit spread, the claims' seeds column."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from core.levels import STUDY_LATENT_DIMS
from tests.browser import launch_chromium, streamlit_server, wait_for_app
from tests.test_browser import SHOTS, shot


@pytest.fixture(scope="module")
def seeded_page():
    from core.evaluation.seeds import seeded

    if not any(seeded(d) for d in STUDY_LATENT_DIMS):
        pytest.fail("no training seeds' records are shipped: run `make seeds`")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server() as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        yield url, page
        browser.close()


def test_the_error_curve_shows_the_spread_over_seeds(seeded_page):
    url, page = seeded_page
    page.goto(f"{url}/error-curve")
    wait_for_app(page, timeout_ms=180_000)
    assert page.get_by_text("auto-encoder over training seeds").count()
    assert page.get_by_text("Black bars: the same recipe trained again").count()
    shot(page, "seeds_error_curve")


def test_per_digit_error_says_how_many_seeds_agree_on_the_hardest_digit(seeded_page):
    url, page = seeded_page
    page.goto(f"{url}/per-digit")
    wait_for_app(page, timeout_ms=180_000)
    assert page.get_by_text("Over training seeds").count()
    assert page.get_by_text("is hardest at 95.0% · d=39 in").count()
    shot(page, "seeds_per_digit")


def test_the_claims_page_says_whether_seeds_changed_each_verdict(seeded_page):
    url, page = seeded_page
    page.goto(f"{url}/claims?claim=hardest")
    wait_for_app(page, timeout_ms=300_000)
    assert page.get_by_text("seeds: unchanged").count() + page.get_by_text("seeds: changed").count() >= 3
    assert page.get_by_text("Counting training seeds").count()
    shot(page, "seeds_claims")
