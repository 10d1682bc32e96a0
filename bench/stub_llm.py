"""An OpenAI-compatible chat server that answers slowly, like a real model, for `bench/load.py`.

    python bench/stub_llm.py [--port 0] [--ttft 0.3] [--tokens-per-s 20] [--tokens 60]

`POST /v1/chat/completions` answers a Korean sentence citing `[1]`: with `"stream": true` as a `text/event-stream`
of `chat.completion.chunk` events (HTTP/1.1 chunked), the first text `--ttft` seconds after the request was read and
then one token every 1/`--tokens-per-s` seconds until `--tokens` tokens (a token is a piece of one or two syllables,
or the marker `[1]`); without it, one `chat.completion` after the same total time. `GET /v1/models` lists the model
`stub`; `GET /stats` tells how many requests came and how many were answered at the same time at most (a server
that serialises its calls to the model shows 1). One asyncio event loop serves every connection (keep-alive), so
fifty answers stream side by side at the same pace as one.

The first line printed is `stub: http://HOST:PORT/v1`; it runs until interrupted (SIGINT or SIGTERM).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import time
from dataclasses import dataclass, field
from typing import Any

MODEL = "stub"
ANSWER = ("문서에 따르면 이 업무는 해당 매뉴얼과 조례에서 정한 절차와 기한에 따라 처리합니다 [1]. "
          "필요한 서류와 세부 기준은 담당 부서의 안내를 함께 확인하시기 바랍니다 [1]. ")


def tokens_of(text: str) -> list[str]:
    """The text cut as a model writes Korean: pieces of at most two syllables, a space starting a new word,
    and `[n]` markers whole."""
    pieces: list[str] = []
    for word in text.split(" "):
        if not word:
            continue
        lead = " " if pieces else ""
        if word.startswith("[") and "]" in word:
            marker, rest = word[: word.index("]") + 1], word[word.index("]") + 1:]
            pieces.append(lead + marker)
            if rest:
                pieces.append(rest)
            continue
        parts = [word[i:i + 2] for i in range(0, len(word), 2)]
        pieces.append(lead + parts[0])
        pieces.extend(parts[1:])
    return pieces


def answer_tokens(count: int) -> list[str]:
    """`count` tokens of the stub's answer (the answer repeated as needed)."""
    base = tokens_of(ANSWER)
    tokens: list[str] = []
    while len(tokens) < count:
        tokens.extend(base if not tokens else [" " + base[0].lstrip(), *base[1:]])
    return tokens[: max(1, count)]


@dataclass
class Pace:
    """How slowly the stub answers."""

    ttft: float = 0.3  # seconds from the request to the first text
    tokens_per_s: float = 20.0
    tokens: int = 60

    def token_at(self, n: int) -> float:
        """Seconds after the request at which token `n` (0-based) is due."""
        return self.ttft + n / self.tokens_per_s if self.tokens_per_s > 0 else self.ttft


@dataclass
class Stats:
    """What the stub saw: requests, streamed answers, and the most answers it was writing at once."""

    requests: int = 0
    streamed: int = 0
    completed: int = 0
    active: int = 0
    peak_active: int = 0
    started: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        """JSON form for GET /stats."""
        return {"requests": self.requests, "streamed": self.streamed, "completed": self.completed,
                "active": self.active, "peak_active": self.peak_active, "uptime_s": time.time() - self.started}


def _chunk(delta: dict[str, str], created: int, finish: str | None = None) -> bytes:
    body = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": created, "model": MODEL,
            "system_fingerprint": None,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
    event = b"data: " + json.dumps(body, ensure_ascii=False).encode() + b"\n\n"
    return f"{len(event):x}\r\n".encode() + event + b"\r\n"


def _json_response(status: int, payload: dict[str, Any], keep_alive: bool) -> bytes:
    raw = json.dumps(payload, ensure_ascii=False).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}.get(status, "OK")
    head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {len(raw)}\r\n"
            f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n")
    return head.encode() + raw


class StubLLM:
    """The server: one coroutine per connection, requests on it one after the other (keep-alive)."""

    def __init__(self, pace: Pace) -> None:
        self.pace = pace
        self.stats = Stats()
        self.tokens = answer_tokens(pace.tokens)

    async def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one client connection until it closes."""
        try:
            while await self._one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass  # a client that went away (e.g. it timed out) or sent something else than HTTP/1.1
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def _one_request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        line = await reader.readline()
        if not line:
            return False
        method, path, _version = line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while (header := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = header.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length") or 0))
        keep_alive = headers.get("connection", "").lower() != "close"
        received = time.perf_counter()
        self.stats.requests += 1
        if method == "GET" and path.rstrip("/").endswith("/stats"):
            writer.write(_json_response(200, self.stats.to_dict(), keep_alive))
        elif method == "GET" and path.rstrip("/").endswith("/models"):
            writer.write(_json_response(200, {"object": "list", "data": [
                {"id": MODEL, "object": "model", "created": 0, "owned_by": "bench"}]}, keep_alive))
        elif method == "POST" and path.rstrip("/").endswith("/chat/completions"):
            try:
                request = json.loads(body or b"{}")
            except ValueError:
                writer.write(_json_response(400, {"error": {"message": "body is not JSON"}}, keep_alive))
            else:
                await self._answer(writer, bool(request.get("stream")), received, keep_alive)
        else:
            writer.write(_json_response(404, {"error": {"message": f"no {method} {path}"}}, keep_alive))
        await writer.drain()
        return keep_alive

    async def _answer(self, writer: asyncio.StreamWriter, stream: bool, received: float, keep_alive: bool) -> None:
        created = int(time.time())
        self.stats.active += 1
        self.stats.peak_active = max(self.stats.peak_active, self.stats.active)
        try:
            if not stream:
                await _sleep_until(received + self.pace.token_at(len(self.tokens) - 1))
                text = "".join(self.tokens)
                writer.write(_json_response(200, {
                    "id": "chatcmpl-bench", "object": "chat.completion", "created": created, "model": MODEL,
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "refusal": None},
                                 "logprobs": None, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 1000, "completion_tokens": len(self.tokens),
                              "total_tokens": 1000 + len(self.tokens)}}, keep_alive))
                self.stats.completed += 1
                return
            self.stats.streamed += 1
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
                         b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n"
                         + f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n".encode())
            writer.write(_chunk({"role": "assistant", "content": ""}, created))
            await writer.drain()
            for n, token in enumerate(self.tokens):
                await _sleep_until(received + self.pace.token_at(n))
                writer.write(_chunk({"content": token}, created))
                await writer.drain()
            writer.write(_chunk({}, created, "stop"))
            event = b"data: [DONE]\n\n"
            writer.write(f"{len(event):x}\r\n".encode() + event + b"\r\n0\r\n\r\n")
            self.stats.completed += 1
        finally:
            self.stats.active -= 1


async def _sleep_until(moment: float) -> None:
    delay = moment - time.perf_counter()
    if delay > 0:
        await asyncio.sleep(delay)


async def serve(host: str, port: int, pace: Pace) -> None:
    """Serve until SIGINT or SIGTERM; prints the base URL first."""
    stub = StubLLM(pace)
    server = await asyncio.start_server(stub.connection, host, port, backlog=1024)
    bound = server.sockets[0].getsockname()
    print(f"stub: http://{bound[0]}:{bound[1]}/v1", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    """Run the stub from the command line."""
    parser = argparse.ArgumentParser(description="OpenAI-compatible stub that streams like a real model")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: a free port (printed on the first line)")
    parser.add_argument("--ttft", type=float, default=0.3, help="seconds to the first token (default 0.3)")
    parser.add_argument("--tokens-per-s", type=float, default=20.0, help="tokens per second after it (default 20)")
    parser.add_argument("--tokens", type=int, default=60, help="tokens per answer (default 60)")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.host, args.port, Pace(args.ttft, args.tokens_per_s, args.tokens)))


if __name__ == "__main__":
    main()
