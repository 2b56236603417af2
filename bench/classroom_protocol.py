"""A Streamlit visitor without a browser: Streamlit's own websocket protocol, one coroutine per visitor.

Each action sends `BackMsg.rerun_script` (the page, its query string, the widgets' values, or a fragment's
auto-rerun) and waits for `ForwardMsg.script_finished`, as the browser's frontend does. From the deltas it
keeps what a person would read (markdown, alerts, metrics, html), the widgets' ids by label, errors shown
as exceptions, and the fragments that ask to be rerun every few seconds. A balancer's sticky cookie is
fetched with a plain GET first and sent with the websocket, as a browser would.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

DONE = {
    ForwardMsg.FINISHED_SUCCESSFULLY,
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
    ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
}


@dataclass
class RunResult:
    seconds: float
    texts: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    metrics: dict[str, str] = field(default_factory=dict)


class ProtocolSession:
    """One visitor's websocket session; `run` is one rerun of a page (or of a fragment)."""

    def __init__(self, base_url: str, page: str, query: str, timeout_s: float = 60.0) -> None:
        self.base_url, self.page, self.query, self.timeout_s = base_url.rstrip("/"), page, query, timeout_s
        self.widgets: dict[str, tuple[str, str]] = {}  # label or kind -> (element type, widget id)
        self.fragments: dict[str, float] = {}  # fragment id -> seconds between auto-reruns
        self._ws = None
        self._reader: asyncio.Task | None = None
        self._finished: asyncio.Event = asyncio.Event()
        self._current: RunResult | None = None

    def _sticky_cookie(self) -> str:
        with urllib.request.urlopen(f"{self.base_url}/_stcore/health", timeout=self.timeout_s) as r:
            cookies = r.headers.get_all("Set-Cookie") or []
        return "; ".join(c.split(";", 1)[0] for c in cookies)

    async def connect(self) -> None:
        cookie = await asyncio.to_thread(self._sticky_cookie)
        headers = {"Origin": self.base_url} | ({"Cookie": cookie} if cookie else {})
        ws_url = self.base_url.replace("http", "ws", 1) + "/_stcore/stream"
        self._ws = await websockets.connect(
            ws_url,
            subprotocols=["streamlit"],
            additional_headers=headers,
            max_size=None,
            ping_interval=None,
            open_timeout=self.timeout_s,
        )
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()

    async def _read(self) -> None:
        async for data in self._ws:
            msg = ForwardMsg()
            msg.ParseFromString(data)
            kind = msg.WhichOneof("type")
            run = self._current
            if kind == "delta" and run is not None and msg.delta.WhichOneof("type") == "new_element":
                self._element(msg.delta.new_element, run)
            elif kind == "page_info_changed":
                self.query = msg.page_info_changed.query_string
            elif kind == "auto_rerun":
                self.fragments[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
            elif kind == "script_finished" and msg.script_finished in DONE:
                self._finished.set()

    def _element(self, element, run: RunResult) -> None:
        kind = element.WhichOneof("type")
        if kind == "exception":
            run.exceptions.append(f"{element.exception.type}: {element.exception.message}"[:300])
        elif kind == "alert":
            run.texts.append(element.alert.body)
        elif kind == "markdown":
            run.texts.append(element.markdown.body)
        elif kind == "html":
            run.texts.append(element.html.body)
        elif kind == "metric":
            run.metrics[element.metric.label] = element.metric.body
        elif kind == "button":
            self.widgets[element.button.label] = ("button", element.button.id)
        elif kind == "button_group":
            self.widgets["button_group"] = ("button_group", element.button_group.id)
        elif kind == "bidi_component":
            self.widgets["canvas"] = ("bidi_component", element.bidi_component.id)

    async def run(self, states: dict[str, object] | None = None, fragment_id: str = "") -> RunResult:
        """One rerun: `states` maps widget ids to a value (True: a click; list: chosen options; dict: JSON)."""
        msg = BackMsg()
        client = msg.rerun_script
        client.query_string = self.query
        client.page_name = self.page
        if fragment_id:
            client.fragment_id = fragment_id
            client.is_auto_rerun = True
        for widget_id, value in (states or {}).items():
            w = client.widget_states.widgets.add()
            w.id = widget_id
            if value is True:
                w.trigger_value = True
            elif isinstance(value, list):
                w.string_array_value.data.extend(str(v) for v in value)
            else:
                w.json_value = json.dumps(value)
        self._current = RunResult(0.0)
        self._finished.clear()
        start = time.perf_counter()
        await self._ws.send(msg.SerializeToString())
        await asyncio.wait_for(self._finished.wait(), self.timeout_s)
        self._current.seconds = time.perf_counter() - start
        return self._current
