"""A WSGI app wrapped in wsgiref.validate.validator, which asserts that the
server keeps PEP 3333 (environ keys and types, wsgi.input and wsgi.errors
methods, start_response and exc_info rules, close() of the iterable).
WSGIWarnings are turned into errors, so a lax server gets a 500 rather than
a warning nobody reads.

Paths (all answer 200 unless noted):
  /read           body read with read(65536) until b"": length and sha256
  /read-eof       read CONTENT_LENGTH bytes, then read(1) must give b""
  /readline       body read with readline() until b"": line count, sha256
  /readline-size  readline(7) until b"" (size hint honoured: no line > 7)
  /readlines      readlines()
  /iter           `for line in wsgi.input`
  /write          the body sent through start_response's write(), ?n= parts
  /generator      ?n=N&size=S: N chunks of S bytes from an iterable whose
                  close() is counted; chunk i is bytes([i % 251]) * S
  /closes         how many times close() was called in this worker
  /exc_info       start_response(200), then again with exc_info: 500
  /errors         writes a line to wsgi.errors
  /file_wrapper   this file through wsgi.file_wrapper
  anything else   a short JSON echo of the request (body read when it has one)
"""

import hashlib
import json
import os
import sys
import warnings
from urllib.parse import parse_qs
from wsgiref.validate import WSGIWarning, validator

warnings.simplefilter("error", WSGIWarning)

CLOSES = {"count": 0}


class CountedBody:
    """An iterable response whose close() is counted."""

    def __init__(self, count, size):
        self.count = count
        self.size = size

    def __iter__(self):
        for i in range(self.count):
            yield bytes([i % 251]) * self.size

    def close(self):
        CLOSES["count"] += 1


def query(environ, name, default):
    return int(parse_qs(environ.get("QUERY_STRING", "")).get(name, [default])[0])


def digest_of(parts):
    body = b"".join(parts)
    return {"length": len(body), "sha256": hashlib.sha256(body).hexdigest(),
            "parts": len(parts), "longest": max((len(p) for p in parts), default=0)}


def read_all(stream):
    parts = []
    while True:
        chunk = stream.read(65536)
        if not chunk:
            return parts
        parts.append(chunk)


def read_eof(stream, environ):
    remaining = int(environ.get("CONTENT_LENGTH") or 0)
    parts = []
    while remaining > 0:
        chunk = stream.read(remaining)
        assert chunk, "input ended before CONTENT_LENGTH"
        parts.append(chunk)
        remaining -= len(chunk)
    parts.append(stream.read(1))
    assert parts[-1] == b"", "read past CONTENT_LENGTH returned data"
    return parts


def read_lines(stream, size=None):
    lines = []
    while True:
        line = stream.readline() if size is None else stream.readline(size)
        if not line:
            return lines
        lines.append(line)


READERS = {
    "/read": lambda s, e: read_all(s),
    "/read-eof": read_eof,
    "/readline": lambda s, e: read_lines(s),
    "/readline-size": lambda s, e: read_lines(s, 7),
    "/readlines": lambda s, e: s.readlines(),
    "/iter": lambda s, e: list(s),
}


def json_response(start_response, value, status="200 OK"):
    payload = json.dumps(value).encode()
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(payload)))])
    return [payload]


def app(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    stream = environ["wsgi.input"]
    if path in READERS:
        return json_response(start_response, digest_of(READERS[path](stream, environ)))
    if path == "/write":
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        for i in range(query(environ, "n", "3")):
            write(f"part {i}\n".encode())
        return []
    if path == "/generator":
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return CountedBody(query(environ, "n", "4"), query(environ, "size", "16"))
    if path == "/closes":
        return json_response(start_response, {"closes": CLOSES["count"], "pid": os.getpid()})
    if path == "/exc_info":
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            raise ValueError("uwsgid-test-handled")
        except ValueError:
            start_response("500 Internal Server Error",
                           [("Content-Type", "text/plain")], sys.exc_info())
        return [b"recovered from exc_info\n"]
    if path == "/errors":
        environ["wsgi.errors"].write("uwsgid-test-wsgi-errors-line\n")
        environ["wsgi.errors"].flush()
        return json_response(start_response, {"written": True})
    if path == "/file_wrapper":
        start_response("200 OK", [("Content-Type", "text/x-python")])
        return environ["wsgi.file_wrapper"](open(__file__, "rb"), 8192)
    # A request without a length has no body unless it is chunked.
    has_body = environ.get("CONTENT_LENGTH") or "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "")
    body = read_all(stream) if has_body else []
    return json_response(start_response, {
        "method": environ["REQUEST_METHOD"],
        "path": path,
        "query": environ.get("QUERY_STRING", ""),
        "body": b"".join(body).decode("latin-1"),
        "pid": os.getpid(),
    })


application = validator(app)
