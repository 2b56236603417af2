"""Benchmark of the teaching issue: stepping through the whole lesson in headless Chromium.

A fresh server (disk caches warm, as after one earlier run), then the lesson stepped through
with the Next button and no typing: the first pass loads models into the fresh process, the
later passes are the "caches warm" case the target is about. Per step: from the click until
the page script has finished and the step's heading is on screen.
"""

from __future__ import annotations

import statistics
import time

from playwright.sync_api import sync_playwright

from teaching.steps import STEP_KEYS, lesson_step
from tests.browser import launch_chromium, streamlit_server, wait_for_app


def _pass(page, url: str, query: str) -> list[float]:
    page.goto(f"{url}/lesson{query}")
    wait_for_app(page, timeout_ms=300_000)
    times = []
    for key in STEP_KEYS[1:]:
        start = time.perf_counter()
        page.get_by_role("button", name="Next").first.click()
        page.get_by_role("heading", name=lesson_step(key).title).wait_for(timeout=300_000)
        times.append(wait_for_app(page, timeout_ms=300_000) - start)
    return times


def lesson_steps(warm_passes: int = 3) -> dict:
    for key in STEP_KEYS:  # the disk caches (evaluations, the t-SNE map) exist before the clock starts
        lesson_step(key)
    with streamlit_server() as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        wait_for_app(page)
        first = _pass(page, url, "")
        warm = [_pass(page, url, "?present=1" if i % 2 else "") for i in range(warm_passes)]
        browser.close()
    per_step = {key: statistics.median(p[i] for p in warm) for i, key in enumerate(STEP_KEYS[1:])}
    return {
        "first_pass": dict(zip(STEP_KEYS[1:], first, strict=True)),
        "warm_median": per_step,
        "warm_max": max(max(p) for p in warm),
        "passes": warm_passes,
    }


if __name__ == "__main__":
    print(lesson_steps())
