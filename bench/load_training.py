"""The load test's trainer: one browser session that trains a small model in the Model lab.

It asks for latent size 12 (not shipped), 3 epochs on the default 10 % of the training set,
then watches the run like a person would. If the run outlives the load test it is cancelled,
so the test stops by itself and leaves nothing half-written behind.
"""

from __future__ import annotations

import time

LATENT_DIM, EPOCHS = 12, 3


async def train_from_browser(page, url: str, until: float) -> str:
    await page.goto(f"{url}/model-lab")
    await page.get_by_role("heading", name="Model lab").wait_for(timeout=90_000)
    for label, value in (("latent dims", LATENT_DIM), ("epochs", EPOCHS)):
        box = page.get_by_role("spinbutton", name=label)
        await box.fill(str(value))
        await box.press("Enter")
        await page.wait_for_timeout(500)
    await page.get_by_role("button", name="Start training").click()
    await page.get_by_text(f"Training d={LATENT_DIM}", exact=False).first.wait_for(timeout=90_000)
    while time.monotonic() < until:
        if await page.get_by_text(f"Done: d={LATENT_DIM}", exact=False).count():
            return "done"
        await page.wait_for_timeout(1000)
    if await page.get_by_text(f"Done: d={LATENT_DIM}", exact=False).count():
        return "done"
    try:
        await page.get_by_role("button", name="Cancel").click(timeout=10_000)
    except Exception:  # the run ended between our look and the click
        if await page.get_by_text(f"Done: d={LATENT_DIM}", exact=False).count():
            return "done"
        raise
    await page.get_by_text("Cancelled", exact=False).first.wait_for(timeout=90_000)
    return "cancelled at the time limit"
