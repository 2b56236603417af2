"""Two Streamlit processes behind haproxy share the classroom: a digit sent through one is on the projector
of the other, and the balancer keeps each browser on the process its cookie names."""

from __future__ import annotations

import asyncio
import base64
import urllib.request

import pytest

from bench.classroom_protocol import ProtocolSession
from core.classroom import open_room
from tests.browser import free_port
from tests.test_classroom import digit_png
from ui.balancer import STICKY_COOKIE, balanced


@pytest.fixture(scope="module")
def balancer(tmp_path_factory):
    folder = tmp_path_factory.mktemp("classroom")
    mp = pytest.MonkeyPatch()
    mp.setenv("AECL_CLASSROOM_DIR", str(folder))
    with balanced(2, free_port(), env={"AECL_CLASSROOM_DIR": str(folder)}) as url:
        yield url
    mp.undo()


def test_the_balancer_pins_each_new_browser_to_a_process_by_a_cookie(balancer):
    nodes = []
    for _ in range(4):
        with urllib.request.urlopen(f"{balancer}/_stcore/health", timeout=10) as r:
            nodes.append(next(c for c in r.headers.get_all("Set-Cookie") if c.startswith(STICKY_COOKIE)).split(";")[0])
    assert sorted(set(nodes)) == [f"{STICKY_COOKIE}=s1", f"{STICKY_COOKIE}=s2"]


class PinnedSession(ProtocolSession):
    def __init__(self, *args, node: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.node = node

    def _sticky_cookie(self) -> str:
        return f"{STICKY_COOKIE}={self.node}"


def test_the_projector_on_one_process_sees_a_digit_sent_through_the_other(balancer):
    room = open_room()
    picture = "data:image/png;base64," + base64.b64encode(digit_png("4")).decode()

    async def lesson() -> tuple[dict, dict, str]:
        projector = PinnedSession(balancer, "class-room", f"room={room.code}&key={room.token}", node="s2")
        await projector.connect()
        before = (await projector.run()).metrics
        student = PinnedSession(balancer, "join", f"room={room.code}", node="s1")
        await student.connect()
        await student.run()
        canvas, pills = student.widgets["canvas"][1], student.widgets["button_group"][1]
        drawn = {canvas: {"drawing": {"raw": {"objects": [{"type": "path"}]}, "data": picture}}, pills: ["4"]}
        sent = await student.run({**drawn, student.widgets["Send my digit"][1]: True})
        after = (await projector.run(fragment_id=next(iter(projector.fragments)))).metrics
        await student.close()
        await projector.close()
        return before, after, " ".join(sent.texts)

    before, after, sent = asyncio.run(lesson())
    assert "Sent your 4" in sent
    assert before["digits on screen"] == "0" and after["digits on screen"] == "1"
