"""The worker's own HTTP port (WORKER_METRICS_PORT): /metrics, /livez and /readyz.

Served from a thread, not from the worker's event loop: a loop that hangs (a handler blocking
the loop, a deadlock) cannot answer for itself, and the liveness probe must see exactly that.

- /livez: 200 while the worker loop has beaten within WORKER_LIVENESS_SECONDS, else 503 (the
  kubelet restarts the container);
- /readyz: 200 once the loop runs and its last claim reached the database, 503 while stopping
  or while the database is away (no restart for that: the loop recovers on its own).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest


class Beating(Protocol):
    """What the probes read from the worker (`app.worker.runner.Worker`)."""

    beat_at: float | None  # time.monotonic() of the loop's last beat; None before its first
    database_ok: bool  # the last claim reached the database

    @property
    def stopping(self) -> bool: ...


class ProbeServer:
    def __init__(
        self,
        worker: Beating,
        registry: CollectorRegistry,
        host: str,
        port: int,
        liveness_seconds: float,
    ) -> None:
        self.worker = worker
        self.registry = registry
        self.liveness_seconds = liveness_seconds
        self._httpd = ThreadingHTTPServer((host, port), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="worker-probes", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def live(self) -> tuple[bool, dict[str, object]]:
        beat = self.worker.beat_at
        if beat is None:  # starting: alive (startup is bounded by the probe's initial delay)
            return True, {"status": "starting"}
        age = time.monotonic() - beat
        ok = age <= self.liveness_seconds
        return ok, {"status": "ok" if ok else "loop_stalled", "last_beat_seconds": round(age, 1)}

    def ready(self) -> tuple[bool, dict[str, object]]:
        if self.worker.stopping:
            return False, {"status": "shutting_down"}
        if self.worker.beat_at is None:
            return False, {"status": "starting"}
        if not self.worker.database_ok:
            return False, {"status": "database_unreachable"}
        live, body = self.live()
        return live, body

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        probes = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    self._send(200, generate_latest(probes.registry), CONTENT_TYPE_LATEST)
                elif path in ("/livez", "/readyz"):
                    ok, body = probes.live() if path == "/livez" else probes.ready()
                    self._send(200 if ok else 503, json.dumps(body).encode(), "application/json")
                else:
                    self._send(404, b"not found\n", "text/plain")

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return  # probes every few seconds: not worth a log line

        return Handler
