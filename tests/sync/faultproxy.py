"""A loopback HTTP proxy in front of the S3 server that answers chosen requests with server errors.

The client talks to the proxy as if it were the server (the Host header is passed on unchanged, so the
SigV4 signature still holds); :meth:`FaultProxy.fail_next` makes the next N requests get a 5xx answer
(S3's XML error body) without reaching the server. Each connection carries one request (HTTP/1.0), so
stopping the proxy leaves no handler thread behind.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"}


class FaultProxy:
    """Forwards to ``upstream_url``; see the module docstring."""

    def __init__(self, upstream_url: str) -> None:
        url = urlsplit(upstream_url)
        self._upstream = (url.hostname or "127.0.0.1", url.port or 80)
        self._lock = threading.Lock()
        self._failures: list[int] = []
        self._when: Callable[[str, str], bool] = lambda method, path: True
        self.n_requests = 0
        self.n_failed = 0
        self.methods: list[str] = []
        self.paths: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = False
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)

    @property
    def url(self) -> str:
        """The proxy's address, to use as the store's endpoint."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def fail_next(
        self, n: int, status: int = 503, when: Callable[[str, str], bool] = lambda method, path: True
    ) -> None:
        """Answer the next ``n`` requests for which ``when(method, path)`` holds with ``status`` (500 or
        503: S3's own codes are sent)."""
        with self._lock:
            self._failures += [status] * n
            self._when = when

    def _take_failure(self, method: str, path: str) -> int | None:
        with self._lock:
            self.n_requests += 1
            self.methods.append(method)
            self.paths.append(path)
            if self._failures and self._when(method, path):
                self.n_failed += 1
                return self._failures.pop(0)
            return None

    def start(self) -> None:
        """Serve in a thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and wait for every handler thread."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status = proxy._take_failure(self.command, self.path)
                if status is not None:
                    self._answer_error(status)
                else:
                    self._forward(body)

            def _answer_error(self, status: int) -> None:
                code = "InternalError" if status == 500 else "ServiceUnavailable"
                xml = f"<Error><Code>{code}</Code><Message>injected by the test</Message></Error>".encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(xml)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(xml)

            def _forward(self, body: bytes) -> None:
                conn = http.client.HTTPConnection(*proxy._upstream, timeout=30)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                    answer = conn.getresponse()
                    data = answer.read()
                finally:
                    conn.close()
                self.send_response(answer.status, answer.reason)
                for k, v in answer.getheaders():
                    if k.lower() not in _HOP_BY_HOP and k.lower() != "content-length":
                        self.send_header(k, v)
                if self.command != "HEAD":
                    self.send_header("Content-Length", str(len(data)))
                elif answer.getheader("Content-Length"):
                    self.send_header("Content-Length", answer.getheader("Content-Length") or "0")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

        return Handler


@contextmanager
def fault_proxy(upstream_url: str) -> Iterator[FaultProxy]:
    """A running :class:`FaultProxy`, stopped on leaving."""
    proxy = FaultProxy(upstream_url)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
