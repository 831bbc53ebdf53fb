"""Echoes what the server gave the app, as JSON: the environ (plain values),
the request body read through wsgi.input, and the worker's pid.

Paths:
  /file_wrapper   the app's own source through wsgi.file_wrapper (no validator
                  in between, so a server's file fast path is exercised)
  anything else   the echo
"""

import hashlib
import json
import os
import sys

PLAIN = (str, int, float, bool, type(None))


def read_body(stream, environ):
    """Reads CONTENT_LENGTH bytes when given, else until end of input
    (chunked request bodies)."""
    length = environ.get("CONTENT_LENGTH")
    chunks = []
    if length:
        remaining = int(length)
        while remaining > 0:
            chunk = stream.read(min(remaining, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    else:
        while True:
            chunk = stream.read(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def describe(environ):
    out = {}
    for key, value in environ.items():
        if isinstance(value, PLAIN):
            out[key] = value
        elif isinstance(value, tuple):
            out[key] = list(value)
        else:
            out[key] = type(value).__name__
    return out


def application(environ, start_response):
    if environ.get("PATH_INFO") == "/file_wrapper":
        start_response("200 OK", [("Content-Type", "text/x-python")])
        return environ["wsgi.file_wrapper"](open(__file__, "rb"), 8192)
    body = read_body(environ["wsgi.input"], environ)
    result = {
        "pid": os.getpid(),
        "environ": describe(environ),
        "body_length": len(body),
        "body_sha256": hashlib.sha256(body).hexdigest(),
        "body": body.decode("latin-1") if len(body) <= 65536 else None,
        "prefix": sys.prefix,
    }
    payload = json.dumps(result).encode()
    start_response("200 OK", [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(payload))),
    ])
    return [payload]
