"""Class mode in real Chromium: a phone (390x844, touch) joins and sends a digit drawn with a finger, a refused
upload, the projector with 30 digits arriving live, and a second browser that holds only the public code."""

from __future__ import annotations

import threading
import time

import pytest
from playwright.sync_api import expect, sync_playwright

from core.classroom import join_room, open_room, send_digit
from tests.browser import launch_chromium, streamlit_server, wait_for_app
from tests.test_browser import SHOTS, shot
from tests.test_classroom import blank_png, digit_png

PHONE = dict(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True, device_scale_factor=2)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("classroom")
    mp = pytest.MonkeyPatch()
    mp.setenv("AECL_CLASSROOM_DIR", str(folder))  # this process and the server share the one database
    SHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server(env={"AECL_CLASSROOM_DIR": str(folder)}) as url, sync_playwright() as p:
        browser = launch_chromium(p)
        yield url, browser
        browser.close()
    mp.undo()


def phone_shot(page, name: str) -> None:
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 390, "height": int(min(max(844, height + 40), 4000))})
    page.wait_for_timeout(400)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})


def finger_stroke(page, points: list[tuple[float, float]]) -> None:
    """A finger on the screen: touch events through the DevTools protocol, as a phone sends them."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [dict(x=points[0][0], y=points[0][1])]})
    for x, y in points[1:]:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [dict(x=x, y=y)]})
        page.wait_for_timeout(15)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def digit_pill(page, digit: int):
    return page.locator("[data-testid='stButtonGroup'] button").nth(digit)


def open_on_phone(browser, url: str, code: str):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{url}/join?room={code}")
    wait_for_app(page)
    return context, page


def test_a_phone_joins_by_the_link_draws_with_a_finger_and_sends(server):
    url, browser = server
    room = open_room()
    context, page = open_on_phone(browser, url, room.code)
    expect(page.get_by_text(f"Room {room.code}")).to_be_visible(timeout=30_000)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    canvas = page.locator("[data-testid='stBidiComponentIsolated'] canvas").last
    canvas.wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    box = canvas.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    x0, y0 = box["x"], box["y"]
    seven = [(x0 + x, y0 + 70) for x in range(90, 220, 10)] + [(x0 + 215 - 9 * i, y0 + 70 + 16 * i) for i in range(13)]
    finger_stroke(page, seven)
    page.wait_for_timeout(1500)  # the stroke's image reaches the server
    wait_for_app(page)
    digit_pill(page, 7).tap()
    wait_for_app(page)
    page.get_by_role("button", name="Send my digit").tap()
    expect(page.get_by_text("Sent your 7")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Your digits (1)")).to_be_visible(timeout=30_000)
    phone_shot(page, "class-phone-sent")
    assert page.locator("[data-testid='stException']").count() == 0
    context.close()


def test_a_refused_upload_says_why_on_the_phone(server, tmp_path):
    url, browser = server
    room = open_room()
    context, page = open_on_phone(browser, url, room.code)
    blank = tmp_path / "blank.png"
    blank.write_bytes(blank_png())
    page.get_by_text("…or upload a photo").tap()
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(blank))
    wait_for_app(page)
    digit_pill(page, 3).tap()
    wait_for_app(page)
    page.get_by_role("button", name="Send my digit").tap()
    wait_for_app(page)
    error = page.locator("[data-testid='stAlertContentError']")
    expect(error).to_be_visible(timeout=30_000)
    assert "ink" in error.inner_text().lower() or "digit" in error.inner_text().lower()
    assert page.locator("[data-testid='stException']").count() == 0
    phone_shot(page, "class-phone-refused-upload")
    context.close()


def test_the_projector_shows_thirty_digits_arriving_without_a_reload(server):
    url, browser = server
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.goto(f"{url}/class-room?present=1")
    wait_for_app(page)
    page.get_by_role("button", name="Open a room for my class").click()
    expect(page.get_by_text("Waiting for the first digit")).to_be_visible(timeout=120_000)
    code = page.evaluate("() => new URLSearchParams(location.search).get('room')")
    assert page.evaluate("() => new URLSearchParams(location.search).get('key')")
    page.evaluate("() => { window.__notReloaded = true; }")

    def class_sends() -> None:  # 30 students, one digit each, over about ten seconds
        for k in range(30):
            send_digit(code, join_room(code), digit_png(str(k % 10)), k % 10)
            time.sleep(0.3)

    sender = threading.Thread(target=class_sends)
    sender.start()
    expect(page.locator(".class-digit").first).to_be_visible(timeout=60_000)
    sender.join(120)
    expect(page.locator(".class-digit")).to_have_count(30, timeout=60_000)
    assert page.evaluate("() => window.__notReloaded === true")  # the fragment redrew, the page stayed
    expect(page.get_by_text("Our least MNIST-like digit")).to_be_visible()
    page.wait_for_timeout(2500)
    assert page.locator("[data-testid='join-qr']").bounding_box()["width"] > 200  # big enough to scan off a wall
    shot(page, "class-projector-30-digits")
    assert page.locator("[data-testid='stException']").count() == 0

    # a second browser with only the public code (and then a forged key) sees no digit and no control
    other = browser.new_context(viewport={"width": 1200, "height": 900})
    stranger = other.new_page()
    stranger.goto(f"{url}/class-room?room={code}")
    wait_for_app(stranger)
    expect(stranger.get_by_text("public view")).to_be_visible()
    stranger.goto(f"{url}/class-room?room={code}&key=forged")
    wait_for_app(stranger)
    expect(stranger.get_by_text("does not open this room's controls")).to_be_visible()
    stranger.wait_for_timeout(2500)  # past a refresh of the teacher's view
    assert stranger.locator(".class-digit").count() == 0
    assert stranger.get_by_role("button", name="Close the room").count() == 0
    other.close()
    context.close()
