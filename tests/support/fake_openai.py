"""A small OpenAI-compatible HTTP server for tests (the one thing we cannot run here is a real model).

It speaks the OpenAI wire format closely enough for the real `openai` client:

- `POST /v1/embeddings`: deterministic vectors (`fake_vector`, or the behaviour's own `embed`);
- `POST /v1/chat/completions`: a `chat.completion` object, or with `"stream": true` a `text/event-stream` of
  `data: {chat.completion.chunk}` lines ending with `data: [DONE]`.

What it does is scripted by a `Behaviour`: the reply (a text or a function of the request's messages), how it is
cut into chunks and how fast they come, an HTTP status to fail with (the first N requests, or always), and a delay
before answering (to make a client time out), or a connection dropped mid-stream. Every request body is recorded,
with its path.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Messages = list[dict[str, Any]]
CHAT_PATH = "/v1/chat/completions"


@dataclass
class Behaviour:
    """What the server does: fail the first N requests, or answer slowly; it records every request body."""

    fail_first: int = 0  # the first N requests (any path) fail with `fail_status`
    delay: float = 0.0  # seconds to wait before answering (cut short when the server stops)
    dimension: int = 8
    embed: Callable[[str], list[float]] | None = None  # the vector of a text (default: `fake_vector`)
    requests: list[dict[str, Any]] = field(default_factory=list)
    # Chat completions.
    reply: str | Callable[[Messages], str] = "답변입니다."  # the answer, or a function of the request's messages
    chunk_chars: int = 4  # characters per streamed chunk
    chunk_delay: float = 0.0  # seconds between streamed chunks
    fail_always: bool = False  # every request fails with `fail_status`
    fail_status: int = 500
    retry_after_ms: int | None = None  # sent with failures: the openai client waits this long before retrying
    break_after: int | None = None  # streaming: drop the connection after this many text chunks, mid-answer
    chunks_sent: int = 0  # streaming: text chunks written so far (all requests)

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        """The bodies of the chat completion requests received, in order."""
        return [r for r in self.requests if r["path"] == CHAT_PATH]

    def reply_to(self, messages: Messages) -> str:
        """The reply text for a request's messages."""
        return self.reply(messages) if callable(self.reply) else self.reply


def fake_vector(text: str, dimension: int) -> list[float]:
    """A deterministic vector for a text."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return [b / 255.0 for b in digest[:dimension]]


def chunks_of(text: str, size: int) -> list[str]:
    """The text cut into pieces of `size` characters (the last may be shorter)."""
    size = max(1, size)
    return [text[i:i + size] for i in range(0, len(text), size)]


def _completion(model: str, text: str, created: int) -> dict[str, Any]:
    return {"id": "chatcmpl-fake", "object": "chat.completion", "created": created, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "refusal": None},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}


def _chunk(model: str, created: int, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": created, "model": model,
            "system_fingerprint": None,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}


def _handler(behaviour: Behaviour, stop: threading.Event) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def handle(self) -> None:
            try:
                super().handle()
            except (ConnectionError, TimeoutError):
                return  # the client gave up (timed out) before the answer was written

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            behaviour.requests.append({"path": self.path, **body})
            if behaviour.fail_always or len(behaviour.requests) <= behaviour.fail_first:
                return self._send(behaviour.fail_status,
                                  {"error": {"message": "overloaded", "type": "server_error", "param": None,
                                             "code": None}})
            if behaviour.delay and stop.wait(behaviour.delay):
                return  # the server is stopping: no answer
            if self.path.endswith("/embeddings"):
                inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
                embed = behaviour.embed or (lambda text: fake_vector(text, behaviour.dimension))
                data = [{"object": "embedding", "index": i, "embedding": embed(t)} for i, t in enumerate(inputs)]
                return self._send(200, {"object": "list", "data": data, "model": body["model"],
                                        "usage": {"prompt_tokens": 1, "total_tokens": 1}})
            if self.path.endswith("/chat/completions"):
                text = behaviour.reply_to(body["messages"])
                created = int(time.time())
                if body.get("stream"):
                    return self._stream(body["model"], text, created)
                return self._send(200, _completion(body["model"], text, created))
            return self._send(404, {"error": {"message": "not found"}})

        def _stream(self, model: str, text: str, created: int) -> None:
            # HTTP/1.1 chunked, as real servers stream: a connection dropped mid-answer is then an error for the
            # client, not a normal end of the body.
            self.protocol_version = "HTTP/1.1"
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            pieces = chunks_of(text, behaviour.chunk_chars)
            self._event(_chunk(model, created, {"role": "assistant", "content": ""}))
            for n, piece in enumerate(pieces):
                if behaviour.break_after is not None and n >= behaviour.break_after:
                    return  # no final chunk, no [DONE], no end of the chunked body
                if n and behaviour.chunk_delay and stop.wait(behaviour.chunk_delay):
                    return
                self._event(_chunk(model, created, {"content": piece}))
                behaviour.chunks_sent += 1
            self._event(_chunk(model, created, {}, "stop"))
            self._event("[DONE]")
            self._write_chunk(b"")

        def _event(self, data: dict[str, Any] | str) -> None:
            line = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
            self._write_chunk(f"data: {line}\n\n".encode())

        def _write_chunk(self, raw: bytes) -> None:
            self.wfile.write(f"{len(raw):x}\r\n".encode() + raw + b"\r\n")
            self.wfile.flush()

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            raw = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            if status >= 400 and behaviour.retry_after_ms is not None:
                self.send_header("retry-after-ms", str(behaviour.retry_after_ms))
            self.end_headers()
            self.wfile.write(raw)

    return Handler


@contextmanager
def fake_openai_server(behaviour: Behaviour) -> Iterator[str]:
    """Serve on a free loopback port; yields the base URL (…/v1)."""
    stop = threading.Event()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(behaviour, stop))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        stop.set()  # wakes handlers that are still waiting
        server.shutdown()
        server.server_close()
