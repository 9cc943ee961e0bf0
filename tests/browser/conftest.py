"""Fixtures for the browser tests: a local HTTP server for the pages under test.

The server answers single byte-range requests, as real web servers do: the media element
fetches and seeks audio by range, and a server without ranges makes seeking unreliable.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import threading
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest


class RangeRequestHandler(SimpleHTTPRequestHandler):
    """Static files, quietly, with single byte ranges (``Range: bytes=START-[END]``)."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def copyfile(self, source: Any, outputfile: Any) -> None:
        # The browser cancels media requests it no longer needs.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            super().copyfile(source, outputfile)

    def send_head(self) -> Any:
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        path = self.translate_path(self.path)
        if m is None or not os.path.isfile(path):
            return super().send_head()
        size = os.path.getsize(path)
        start = int(m[1])
        end = min(int(m[2]) if m[2] else size - 1, size - 1)
        if start >= size:
            self.send_error(416)
            return None
        with open(path, "rb") as f:
            f.seek(start)
            body = f.read(end - start + 1)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        return io.BytesIO(body)


@pytest.fixture(scope="session")
def serve() -> Iterator[Callable[[Path], str]]:
    """``serve(folder)`` serves ``folder`` on 127.0.0.1 and returns its base URL."""
    servers: list[ThreadingHTTPServer] = []

    def start(root: Path) -> str:
        httpd = ThreadingHTTPServer(
            ("127.0.0.1", 0), partial(RangeRequestHandler, directory=str(root))
        )
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}"

    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()
