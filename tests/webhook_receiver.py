"""A real HTTP endpoint for tests: a threaded server on 127.0.0.1 (random port) that records JSON POSTs.

    with WebhookReceiver(fail_first=2) as hook:      # answers 500 to the first two requests
        os.environ["SALES_ALERT_WEBHOOK_URL"] = hook.url
        ...
        bodies = hook.wait_for(1, timeout=10)

`port` binds a given port (a webhook that comes back where it was); `bodies` holds the JSON of the requests answered 2xx (the alerts that were delivered); `attempts`
counts every request, failed ones included. `delay` makes each answer wait, to exercise timeouts.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class WebhookReceiver:
    def __init__(self, fail_first: int = 0, fail_status: int = 500, delay: float = 0.0, port: int = 0):
        self.fail_first = fail_first
        self.fail_status = fail_status
        self.delay = delay
        self.attempts = 0
        self.bodies: list[dict[str, Any]] = []
        self.received_at: list[float] = []  # time.time() of each delivered body
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/alerts"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver.attempts += 1
                    failing = receiver.attempts <= receiver.fail_first
                if receiver.delay:
                    time.sleep(receiver.delay)
                if failing:
                    self.send_response(receiver.fail_status)
                    self.end_headers()
                    return
                try:
                    parsed = json.loads(body)
                except ValueError:
                    self.send_response(400)
                    self.end_headers()
                    return
                with receiver._lock:
                    receiver.bodies.append(parsed)
                    receiver.received_at.append(time.time())
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

        return Handler

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for(self, count: int, timeout: float, predicate=None) -> list[dict[str, Any]]:
        """Wait until `count` delivered bodies (matching `predicate`, if given) arrived, or timeout."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                matching = [b for b in self.bodies if predicate is None or predicate(b)]
            if len(matching) >= count or time.monotonic() >= deadline:
                return matching
            time.sleep(0.2)


def dead_url() -> str:
    """A loopback URL where nothing listens: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/alerts"
