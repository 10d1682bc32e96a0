"""A small OpenAI-compatible HTTP server for tests (the one thing we cannot run here is a real model)."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Behaviour:
    """What the server does: fail the first N requests, or answer slowly; it records every request body."""

    fail_first: int = 0
    delay: float = 0.0
    dimension: int = 8
    requests: list[dict[str, Any]] = field(default_factory=list)


def fake_vector(text: str, dimension: int) -> list[float]:
    """A deterministic vector for a text."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return [b / 255.0 for b in digest[:dimension]]


def _handler(behaviour: Behaviour) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            behaviour.requests.append({"path": self.path, **body})
            if len(behaviour.requests) <= behaviour.fail_first:
                return self._send(500, {"error": {"message": "overloaded", "type": "server_error"}})
            time.sleep(behaviour.delay)
            if self.path.endswith("/embeddings"):
                inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
                data = [{"object": "embedding", "index": i, "embedding": fake_vector(t, behaviour.dimension)}
                        for i, t in enumerate(inputs)]
                return self._send(200, {"object": "list", "data": data, "model": body["model"],
                                        "usage": {"prompt_tokens": 1, "total_tokens": 1}})
            return self._send(404, {"error": {"message": "not found"}})

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            raw = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    return Handler


@contextmanager
def fake_openai_server(behaviour: Behaviour) -> Iterator[str]:
    """Serve on a free loopback port; yields the base URL (…/v1)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(behaviour))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
