"""A small threaded HTTP server on 127.0.0.1 (ephemeral port) that routes requests to a handler object."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class Api(Protocol):
    token: str
    calls: list[Call]

    def route(self, call: Call) -> Reply: ...


@dataclass
class Throttle:
    """Answer the first request whose path contains `path_part` with 429 and Retry-After, once."""

    path_part: str
    body: Any
    retry_after_seconds: int = 1
    fired: bool = False

    def reply(self, call: Call) -> Reply | None:
        if self.fired or self.path_part not in call.path:
            return None
        self.fired = True
        return Reply(429, self.body, {"Retry-After": str(self.retry_after_seconds)})


def _handler(api: Api, unauthorized: Any, throttle: Throttle | None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            call = Call(self.command, parts.path, parse_qs(parts.query), body)
            api.calls.append(call)
            if self.headers.get("Authorization") != f"Bearer {api.token}":
                reply = Reply(401, unauthorized)
            else:
                reply = (throttle and throttle.reply(call)) or api.route(call)
            payload = json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _serve

        def log_message(self, *args) -> None:  # keep test output quiet
            pass

    return Handler


@contextmanager
def serve(api: Api, unauthorized: Any, throttle: Throttle | None = None) -> Iterator[str]:
    """Run `api` on a loopback port; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api, unauthorized, throttle))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
