"""A Gradio page's events posted the way the page posts them: queue/join, then the event stream until the answer.

For tests that call a page's handlers from outside a browser, as an attacker (or a second server's visitor) would.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import httpx


class ChatSession:
    """One visit of the chat page (its session), with a cookie and the page's query (`?bot=…&key=…`)."""

    def __init__(self, base: str, cookie: str, query: str) -> None:
        self.base, self.cookie, self.query = base, cookie, query
        self.session = secrets.token_hex(8)
        config = httpx.get(f"{base}/chat/config", headers={"Cookie": cookie}).json()
        self.ids = {d.get("api_name"): d["id"] for d in config["dependencies"]}

    def call(self, name: str, data: list[Any]) -> dict[str, Any]:
        """Run an event by its API name; the finished message (`output.data` holds the outputs)."""
        body = {"data": data, "fn_index": self.ids[name], "trigger_id": None, "event_data": None,
                "session_hash": self.session}
        joined = httpx.post(f"{self.base}/chat/gradio_api/queue/join{self.query}", json=body,
                            headers={"Cookie": self.cookie}, timeout=30)
        assert joined.status_code == 200, joined.text
        with httpx.stream("GET", f"{self.base}/chat/gradio_api/queue/data?session_hash={self.session}",
                          headers={"Cookie": self.cookie}, timeout=60) as stream:
            for line in stream.iter_lines():
                message = json.loads(line[5:]) if line.startswith("data:") else {}
                if message.get("msg") == "process_completed":
                    return message
        raise AssertionError(f"{name}: no answer")
