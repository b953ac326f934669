"""A scripted OpenAI-compatible HTTP server on 127.0.0.1, for offline tests of LLM code.

It speaks ``POST /v1/chat/completions`` (whole replies, or streamed as server-sent
events when the request asks ``"stream": true``) and ``POST /v1/embeddings``,
records every request, and replies from a script: a list of :class:`Reply` (used
in order; the last one repeats) or a callable ``request_json -> Reply``. Replies
can inject faults: an HTTP status with headers (429 + Retry-After, 500, 400),
a delay past the client's timeout, a dropped connection, a malformed body; and
imitate a slow local model: a reply written in chunks with a pause between them
(``Reply.trickle``), whole only after the sum of the pauses.

Use it to test your own scripts with the real ``openai`` client::

    from feedbackiq.testing import OpenAIServer, Reply

    with OpenAIServer([Reply.json({"name": "Battery life"})]) as server:
        llm = feedbackiq.LLM(model="test", base_url=server.base_url, api_key="x")
        ...
        assert server.requests[0]["json"]["model"] == "test"
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["OpenAIServer", "Reply"]


@dataclass
class Reply:
    """One scripted reply. Build with the class methods."""

    content: str | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    raw_body: bytes | None = None
    usage: tuple[int, int] = (20, 10)
    error: str | None = None
    chunks: int = 1              # a streamed reply's content is sent in this many pieces
    chunk_delay: float = 0.0     # seconds before each piece (a whole reply waits for all of them)
    finish_reason: str = "stop"  # "length": the reply was cut off at the request's max_tokens

    @classmethod
    def text(cls, content: str, **kw: Any) -> "Reply":
        return cls(content=content, **kw)

    @classmethod
    def json(cls, obj: Any, **kw: Any) -> "Reply":
        return cls(content=json.dumps(obj, ensure_ascii=False), **kw)

    @classmethod
    def http_error(cls, status: int, message: str = "error", headers: dict[str, str] | None = None) -> "Reply":
        return cls(status=status, error=message, headers=headers or {})

    @classmethod
    def rate_limited(cls, retry_after: float = 0.01) -> "Reply":
        return cls.http_error(429, "rate limited", {"Retry-After": str(retry_after)})

    @classmethod
    def slow(cls, seconds: float, content: str = "{}") -> "Reply":
        return cls(content=content, delay=seconds)

    @classmethod
    def trickle(cls, obj: Any, chunks: int, seconds_between: float) -> "Reply":
        """A JSON reply written like a slow model: ``chunks`` pieces, ``seconds_between`` apart."""
        return cls(content=json.dumps(obj, ensure_ascii=False), chunks=chunks, chunk_delay=seconds_between)

    @classmethod
    def looping(cls, text: str = '{"name": "Battery Battery Battery') -> "Reply":
        """A small model caught in a loop: its reply is cut off at the request's token cap, mid-JSON."""
        return cls(content=text, finish_reason="length")

    @classmethod
    def dropped(cls) -> "Reply":
        return cls(drop=True)

    @classmethod
    def malformed(cls) -> "Reply":
        return cls(raw_body=b'{"id": "x", "choices": [ {"message": ')


class OpenAIServer:
    """Context manager running the scripted server in a background thread on a free port."""

    def __init__(self, script: list[Reply] | Callable[[dict], Reply] | None = None, *, embedding_dim: int = 8) -> None:
        self.script = script if script is not None else [Reply.text("{}")]
        self.embedding_dim = embedding_dim
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        return [r["json"] for r in self.requests if r["path"].endswith("/chat/completions")]

    def next_reply(self, body: dict) -> Reply:
        if callable(self.script):
            return self.script(body)
        with self._lock:
            n = sum(1 for r in self.requests if r["path"].endswith("/chat/completions")) - 1
        return self.script[min(n, len(self.script) - 1)]

    def __enter__(self) -> "OpenAIServer":
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    body = {"_unparsed": raw.decode("utf-8", "replace")}
                path = self.path.split("?", 1)[0]  # Azure adds ?api-version=...
                with server._lock:
                    server.requests.append({"path": path, "query": self.path[len(path):], "json": body,
                                            "headers": dict(self.headers)})
                if path.endswith("/embeddings"):
                    return self._embeddings(body)
                reply = server.next_reply(body)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.drop:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if reply.raw_body is not None:
                    return self._send(200, reply.raw_body, {})
                if reply.status != 200:
                    err = {"error": {"message": reply.error or "error", "type": "test_error", "code": reply.status}}
                    return self._send(reply.status, json.dumps(err).encode(), reply.headers)
                if body.get("stream"):
                    return self._stream(body, reply)
                if reply.chunk_delay:  # the model writes as slowly as when streaming; the reply comes whole
                    time.sleep(reply.chunk_delay * reply.chunks)
                p, c = reply.usage
                payload = {
                    "id": f"chatcmpl-{len(server.requests)}", "object": "chat.completion", "created": int(time.time()),
                    "model": body.get("model", "test"),
                    "choices": [{"index": 0, "finish_reason": reply.finish_reason,
                                 "message": {"role": "assistant", "content": reply.content}}],
                    "usage": {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c},
                }
                self._send(200, json.dumps(payload).encode(), reply.headers)

            def _stream(self, body: dict, reply: Reply) -> None:
                """Server-sent events as OpenAI sends them: role, content pieces, finish, usage, [DONE]."""
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")  # no length: the body ends when the connection does
                self.end_headers()
                self.close_connection = True
                base = {"id": f"chatcmpl-{len(server.requests)}", "object": "chat.completion.chunk",
                        "created": int(time.time()), "model": body.get("model", "test")}
                text, n = reply.content or "", max(1, reply.chunks)
                step = -(-len(text) // n) or 1
                deltas = [{"role": "assistant", "content": ""}] + [{"content": text[i:i + step]}
                                                                   for i in range(0, len(text), step)]
                for i, delta in enumerate(deltas):
                    if i and reply.chunk_delay:
                        time.sleep(reply.chunk_delay)
                    self._event({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
                self._event({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": reply.finish_reason}]})
                if (body.get("stream_options") or {}).get("include_usage"):
                    p, c = reply.usage
                    self._event({**base, "choices": [], "usage": {"prompt_tokens": p, "completion_tokens": c,
                                                                  "total_tokens": p + c}})
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

            def _event(self, obj: dict) -> None:
                self.wfile.write(b"data: " + json.dumps(obj).encode() + b"\n\n")
                self.wfile.flush()

            def _embeddings(self, body: dict) -> None:
                import hashlib

                inputs = body.get("input", [])
                inputs = [inputs] if isinstance(inputs, str) else inputs
                data = []
                for i, text in enumerate(inputs):
                    digest = hashlib.sha256(str(text).encode()).digest()
                    vec = [(b - 128) / 128 for b in digest[: server.embedding_dim]]
                    data.append({"object": "embedding", "index": i, "embedding": vec})
                payload = {"object": "list", "data": data, "model": body.get("model", "test"),
                           "usage": {"prompt_tokens": len(inputs), "total_tokens": len(inputs)}}
                self._send(200, json.dumps(payload).encode(), {})

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
